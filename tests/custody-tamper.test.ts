// The proof that `sealcam verify` catches tampering (issue 4): each case
// takes its own copy of a fresh recording of the 12 s fixture (1 s segments:
// 12 segments of 30 frames; recorded once per run, copied per case to keep the
// file's run short on a two-core machine), tampers with it the way someone holding the files and the force's public key
// could (tests/helpers/tamper.ts: stock `age` to decrypt and re-seal, the
// evidence stream edited entry by entry), and checks that verify exits 1 and
// names the right problem kind, segment and frame, with the force identity and,
// where the manifests alone can tell, without it. The untouched recording
// must verify intact, a wrong identity is refused, and an exported clip
// verifies on its own and is caught when one of its frames is altered.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { ROOT, assertCleanError, type Run } from "./helpers/cli.ts";
import type { ProblemKind, VerifyReport } from "../host/custody/model.ts";
import {
  keygen, ageKeygen, recordFixture, sealcamAsync, agePath, manifestPath, flipAgeCiphertext, cutFile, agePayloadOffset, ageDecrypt,
  splitStream, editSegment, entryOf, alterFrameBytes, removeSegment, swapSegments, editManifest, parseClip,
  parseReport, problemsAt, allProblems, recordingIn, segmentIn, show, AGE_CHUNK, AGE_TAG, FIXTURE_FRAMES,
  FRAMES_PER_SEGMENT, SEGMENTS, type Entry, type Keys, type Recording,
} from "./helpers/tamper.ts";

const TOOLS = ["age", "age-keygen", "ffprobe", "ffmpeg"];
const FIXTURE = join(ROOT, "fixtures/testsrc-12s.h264");
const missing = TOOLS.filter((t) => spawnSync(t, [t.startsWith("ff") ? "-version" : "--version"]).error);
const skip = missing.length > 0 && !REQUIRE_ALL ? `needs ${missing.join(", ")} (install age and ffmpeg)` : false;
if (skip) console.log(`# custody tamper tests skipped: ${skip}`);
if (missing.length > 0 && REQUIRE_ALL) {
  it("has the tools it needs (SEALCAM_REQUIRE_ALL=1)", () => assert.fail(`missing: ${missing.join(", ")}`));
}

interface Verified {
  code: number | null;
  report: VerifyReport;
  err: string;
}

/** `sealcam verify PATH… --json [--identity F]`: an exit of 0 or 1, and the report it printed. */
async function verify(paths: string[], identity?: string): Promise<Verified> {
  const r = await sealcamAsync("verify", ...paths, "--json", ...(identity ? ["--identity", identity] : []));
  assert.ok(r.code === 0 || r.code === 1, `verify exits 0 or 1 (got ${r.code}; stderr: ${r.err})`);
  const report = parseReport(r.out);
  assert.equal(report.intact, r.code === 0, "intact exactly when the exit code is 0");
  assert.equal(report.mode, identity ? "full" : "manifests");
  return { code: r.code, report, err: r.err };
}

/** Asserts a problem of one of `kinds` names `segment` (and `frame`, when given). */
function expectProblem(v: Verified, kinds: ProblemKind[], segment: number, frame?: number): void {
  const where = frame === undefined ? `segment ${segment}` : `segment ${segment} frame ${frame}`;
  assert.ok(problemsAt(v.report, kinds, segment, frame).length > 0, `a ${kinds.join("/")} problem at ${where}; found:\n${show(v.report)}`);
}

/** Asserts verify found an evidence problem: exit 1, not intact. */
function expectTampered(v: Verified, what: string): void {
  assert.equal(v.code, 1, `${what}: exit 1 (stderr: ${v.err})\n${show(v.report)}`);
  assert.equal(v.report.intact, false);
}

/** Frame numbers named by the report's problems. */
const framesNamed = (report: VerifyReport): Set<number> =>
  new Set(allProblems(report).flatMap((p) => (p.frame === undefined ? [] : [p.frame])));

const ORDER: ProblemKind[] = ["frame-number", "frame-chain"];

describe("sealcam verify: the tamper matrix", { skip, concurrency: 3 }, () => {
  let work: string;
  let force: Keys; // the force identity and the recording device
  let stranger: Keys; // another force's identity
  let pristine: Recording; // recorded once; never touched
  let foreign: Recording; // the other camera's recording, same force
  let count = 0;

  /** A case's own copy of the pristine recording. */
  const fresh = (what: string): Recording => {
    const dir = join(work, `${String(++count).padStart(2, "0")}-${what}`);
    cpSync(pristine.dir, dir, { recursive: true });
    return { ...pristine, dir };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sealcam-tamper-"));
    [force, stranger] = await Promise.all([keygen(join(work, "keys")), ageKeygen(join(work, "stranger.key"))]);
    // The other camera is a new one: record makes its device key beside its segments.
    [pristine, foreign] = await Promise.all([
      recordFixture(join(work, "pristine"), force),
      recordFixture(join(work, "other-camera"), force, null),
    ]);
    assert.notEqual(foreign.manifests[4].device, pristine.manifests[4].device, "two device keys");
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("1. a bit flipped in segment 4's age ciphertext: decrypt at 4, age-hash at 4 without the identity; none of its frames verified", async () => {
    const rec = fresh("bit-flip");
    flipAgeCiphertext(agePath(rec, 4), 1000);

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "bit flip");
    expectProblem(full, ["decrypt"], 4);
    expectProblem(full, ["age-hash"], 4);
    const recording = recordingIn(full.report, rec.id);
    const seg = segmentIn(recording, 4);
    assert.equal(seg.decrypted, false, "segment 4 did not decrypt");
    assert.equal(seg.frames_verified, 0, "the flip is in the first STREAM chunk: no frame of segment 4 can be verified");
    assert.equal(seg.ok, false);
    assert.ok(recording.frames_verified <= FIXTURE_FRAMES - FRAMES_PER_SEGMENT, `frames_verified ${recording.frames_verified}`);

    const bare = await verify([rec.dir]);
    expectTampered(bare, "bit flip, manifests only");
    expectProblem(bare, ["age-hash"], 4);
    assert.deepEqual(allProblems(bare.report).filter((p) => p.segment !== 4), [], "nothing but segment 4 is blamed");
  });

  it("2. frame 97 altered in segment 3 and the segment re-sealed with age -r: frame-hash at 3/97, age-hash at 3", async () => {
    const rec = fresh("frame-altered");
    await editSegment(rec, 3, force, (s) => alterFrameBytes(s.entries[entryOf(s, 97)].bytes));

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "altered frame");
    expectProblem(full, ["frame-hash"], 3, 97);
    expectProblem(full, ["age-hash"], 3);
    assert.deepEqual([...framesNamed(full.report)], [97], `no other frame is blamed:\n${show(full.report)}`);
    const recording = recordingIn(full.report, rec.id);
    assert.deepEqual(segmentIn(recording, 3).bad_frames, [97]);
    assert.equal(recording.frames_verified, FIXTURE_FRAMES - 1, "every other frame passes every check");

    const bare = await verify([rec.dir]);
    expectTampered(bare, "altered frame, manifests only");
    expectProblem(bare, ["age-hash"], 3);
  });

  it("3. frame 150 removed (segment 5's first): frame-number/frame-chain naming frame 150", async () => {
    const rec = fresh("frame-removed");
    await editSegment(rec, 5, force, (s) => void s.entries.splice(entryOf(s, 150), 1));

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "removed frame");
    expectProblem(full, ORDER, 5, 150);
    expectProblem(full, ["age-hash"], 5);
    assert.ok(recordingIn(full.report, rec.id).frames_verified < FIXTURE_FRAMES - 1);

    const bare = await verify([rec.dir]);
    expectTampered(bare, "removed frame, manifests only");
    expectProblem(bare, ["age-hash", "age-size"], 5);
  });

  it("4. frames 200 and 201 swapped: named at 200 or 201", async () => {
    const rec = fresh("frames-swapped");
    await editSegment(rec, 6, force, (s) => {
      const i = entryOf(s, 200);
      assert.equal(entryOf(s, 201), i + 1);
      [s.entries[i], s.entries[i + 1]] = [s.entries[i + 1], s.entries[i]];
    });

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "swapped frames");
    const named = [200, 201].filter((f) => problemsAt(full.report, ORDER, 6, f).length > 0);
    assert.ok(named.length > 0, `frame-number/frame-chain at segment 6, frame 200 or 201:\n${show(full.report)}`);
    assert.ok([...framesNamed(full.report)].every((f) => f >= 200 && f < 210), `only frames from 200 on in segment 6:\n${show(full.report)}`);

    const bare = await verify([rec.dir]);
    expectTampered(bare, "swapped frames, manifests only");
    expectProblem(bare, ["age-hash"], 6);
  });

  it("5. frame 250 duplicated: named at 250 or 251", async () => {
    const rec = fresh("frame-duplicated");
    await editSegment(rec, 8, force, (s) => {
      const i = entryOf(s, 250);
      s.entries.splice(i + 1, 0, { ...s.entries[i], bytes: Buffer.from(s.entries[i].bytes) });
    });

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "duplicated frame");
    const named = [250, 251].filter((f) => problemsAt(full.report, ORDER, 8, f).length > 0);
    assert.ok(named.length > 0, `frame-number/frame-chain at segment 8, frame 250 or 251:\n${show(full.report)}`);
    assert.ok([...framesNamed(full.report)].every((f) => f >= 250 && f < 270), `only frames from 250 on in segment 8:\n${show(full.report)}`);

    const bare = await verify([rec.dir]);
    expectTampered(bare, "duplicated frame, manifests only");
    expectProblem(bare, ["age-hash", "age-size"], 8);
  });

  it("6. segment 6 removed (both files): segment-gap naming sequence 6 and frames 180-209", async () => {
    const rec = fresh("segment-removed");
    removeSegment(rec, 6);

    for (const identity of [force.identity, undefined]) {
      const v = await verify([rec.dir], identity);
      expectTampered(v, `removed segment (${identity ? "full" : "manifests"})`);
      expectProblem(v, ["segment-gap"], 6);
      const recording = recordingIn(v.report, rec.id);
      assert.deepEqual(recording.gaps, [{ sequences: [6, 6], frames: [180, 209] }], "one gap: sequence 6, frames 180-209");
      assert.ok(!recording.segments.some((s) => s.sequence === 6 && s.age_file !== null), "no segment 6 file was found");
      if (identity) assert.equal(recording.frames_verified, FIXTURE_FRAMES - FRAMES_PER_SEGMENT, "the 330 frames present all verify");
    }
  });

  it("7. segments 2 and 3 exchange names (both files): file-name and chain problems naming 2 and 3", async () => {
    const rec = fresh("segments-swapped");
    swapSegments(rec, 2, 3);

    for (const identity of [force.identity, undefined]) {
      const v = await verify([rec.dir], identity);
      expectTampered(v, `swapped segments (${identity ? "full" : "manifests"})`);
      assert.ok(problemsAt(v.report, ["file-name"]).length > 0, `a file-name problem:\n${show(v.report)}`);
      const kinds: ProblemKind[] = ["file-name", "manifest-chain", "segment-gap", "frame-chain", "frame-number", "frame-record", "stream", "manifest-stream"];
      for (const seq of [2, 3]) {
        assert.ok(problemsAt(v.report, kinds, seq).length > 0, `segment ${seq} named:\n${show(v.report)}`);
      }
      assert.ok([...framesNamed(v.report)].every((f) => f >= 60 && f < 120), `only frames of segments 2 and 3:\n${show(v.report)}`);
    }
  });

  it("8. the last segment cut in the middle: segment 11 named (age-size/age-hash, decrypt), frames after the cut not verified", async () => {
    const rec = fresh("last-truncated");
    const file = agePath(rec, SEGMENTS - 1);
    const plain = splitStream(await ageDecrypt(file, force.identity));
    const age = readFileSync(file);
    const cut = Math.floor(age.length / 2);
    cutFile(file, cut);
    // What survives the cut authenticated: whole STREAM chunks before it; the
    // frames whose entries end inside them are all a verifier may count.
    const chunks = Math.floor((cut - agePayloadOffset(age) - 16) / (AGE_CHUNK + AGE_TAG));
    let end = plain.header.length;
    let intactFrames = 0;
    for (const e of plain.entries) {
      end += e.bytes.length;
      if (e.type === "F" && end <= chunks * AGE_CHUNK) intactFrames++;
    }

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "truncated last segment");
    expectProblem(full, ["age-size", "age-hash"], 11);
    expectProblem(full, ["decrypt"], 11);
    const recording = recordingIn(full.report, rec.id);
    const seg = segmentIn(recording, 11);
    assert.equal(seg.decrypted, false, "segment 11 did not decrypt to its end");
    assert.ok(seg.frames_verified <= intactFrames, `segment 11: ${seg.frames_verified} frames verified, at most ${intactFrames} lie before the cut`);
    assert.ok(recording.frames_verified <= FIXTURE_FRAMES - FRAMES_PER_SEGMENT + intactFrames);

    const bare = await verify([rec.dir]);
    expectTampered(bare, "truncated last segment, manifests only");
    expectProblem(bare, ["age-size"], 11);
    assert.equal(segmentIn(recordingIn(bare.report, rec.id), 11).file_ok, false);
  });

  it("9. segment 5's manifest edited (last_time_us + 1, still valid JSON): manifest-signature at 5", async () => {
    const rec = fresh("manifest-edited");
    editManifest(rec, 5, (m) => void (m.last_time_us += 1));

    for (const identity of [force.identity, undefined]) {
      const v = await verify([rec.dir], identity);
      expectTampered(v, `edited manifest (${identity ? "full" : "manifests"})`);
      expectProblem(v, ["manifest-signature"], 5);
      assert.equal(segmentIn(recordingIn(v.report, rec.id), 5).manifest_ok, false);
    }
  });

  it("10. segment 4 of another camera's recording (same force) spliced in under this recording's names: named at 4", async () => {
    const rec = fresh("spliced");
    copyFileSync(agePath(foreign, 4), agePath(rec, 4));
    copyFileSync(manifestPath(foreign, 4), manifestPath(rec, 4));

    const full = await verify([rec.dir], force.identity);
    expectTampered(full, "spliced segment");
    expectProblem(full, ["device-mismatch", "manifest-chain", "frame-chain"], 4);
    const recording = recordingIn(full.report, rec.id);
    assert.ok(recording.frames_verified <= FIXTURE_FRAMES - FRAMES_PER_SEGMENT, `the foreign frames are not counted: ${recording.frames_verified}`);

    const bare = await verify([rec.dir]);
    expectTampered(bare, "spliced segment, manifests only");
    expectProblem(bare, ["device-mismatch", "manifest-chain"], 4);
  });

  it("11. a wrong identity (another force's key): exit 2, one line naming its recipient", async () => {
    const rec = fresh("wrong-identity");
    const r: Run = await sealcamAsync("verify", rec.dir, "--identity", stranger.identity, "--json");
    assertCleanError(r, new RegExp(stranger.recipient));
  });

  it("12. the untouched recording: exit 0 with and without the identity, intact, 360 frames verified", async () => {
    const rec = fresh("intact");

    const full = await verify([rec.dir], force.identity);
    assert.equal(full.code, 0, `${full.err}\n${show(full.report)}`);
    assert.deepEqual(allProblems(full.report), []);
    assert.deepEqual(full.report.identities, [force.recipient]);
    const recording = recordingIn(full.report, rec.id);
    assert.equal(recording.intact, true);
    assert.equal(recording.final, true);
    assert.equal(recording.frames_verified, FIXTURE_FRAMES);
    assert.equal(recording.frames_declared, FIXTURE_FRAMES);
    assert.deepEqual([recording.first_frame, recording.last_frame], [0, FIXTURE_FRAMES - 1]);
    assert.deepEqual(recording.gaps, []);
    assert.equal(recording.device, rec.manifests[0].device);
    assert.deepEqual(recording.segments.map((s) => s.sequence), [...Array(SEGMENTS).keys()]);
    for (const s of recording.segments) {
      assert.ok(s.ok && s.manifest_ok && s.file_ok && s.decrypted === true, `segment ${s.sequence} checked whole`);
      assert.equal(s.frames_verified, FRAMES_PER_SEGMENT);
      assert.deepEqual(s.bad_frames, []);
    }

    const bare = await verify([rec.dir]);
    assert.equal(bare.code, 0, `${bare.err}\n${show(bare.report)}`);
    const manifestsOnly = recordingIn(bare.report, rec.id);
    assert.equal(manifestsOnly.intact, true);
    assert.equal(manifestsOnly.frames_verified, 0, "nothing decrypted without an identity");
    assert.equal(manifestsOnly.frames_declared, FIXTURE_FRAMES);
    assert.ok(manifestsOnly.segments.every((s) => s.decrypted === null && s.manifest_ok && s.file_ok));

    const text = await sealcamAsync("verify", rec.dir, "--identity", force.identity);
    assert.equal(text.code, 0, `without --json: ${text.err}`);
  });

  it("decrypt: the whole recording gives the fixture back; a range with an altered frame exits 1 and writes nothing; a clean range of it decrypts", async () => {
    const whole = join(work, "whole.h264");
    const r = await sealcamAsync("decrypt", pristine.dir, "--identity", force.identity, "--out", whole);
    assert.equal(r.code, 0, `decrypt: ${r.err}`);
    assert.ok(readFileSync(whole).equals(readFileSync(FIXTURE)), "the verified H.264 is the fixture, byte for byte");

    const rec = fresh("decrypt-range");
    await editSegment(rec, 3, force, (s) => alterFrameBytes(s.entries[entryOf(s, 97)].bytes));
    const bad = join(work, "bad-range.h264");
    const refused = await sealcamAsync("decrypt", rec.dir, "--identity", force.identity, "--from", "90", "--to", "119", "--out", bad);
    assert.equal(refused.code, 1, `a range holding frame 97: exit 1 (${refused.err})`);
    assert.ok(!existsSync(bad), "no output file for a range with problems");

    // Frames 120-179 (segments 4 and 5) are untouched: they decrypt to exactly their bytes.
    const good = join(work, "good-range.h264");
    const clean = await sealcamAsync("decrypt", rec.dir, "--identity", force.identity, "--from", "120", "--to", "179", "--out", good);
    assert.equal(clean.code, 0, `a clean range: exit 0 (${clean.err})`);
    const frames: Entry[] = [];
    for (const seq of [4, 5]) frames.push(...splitStream(await ageDecrypt(agePath(rec, seq), force.identity)).entries.filter((e) => e.type === "F"));
    const expected = Buffer.concat(frames.map((e) => e.bytes.subarray(9, 9 + Number(e.bytes.readBigUInt64LE(1)))));
    assert.ok(readFileSync(good).equals(expected), "frames 120-179 exactly");
  });

  it("export: a clip of frames 100-160 verifies alone, is caught when one frame is altered, and ffprobe reads its MP4", async () => {
    const rec = fresh("clip");
    const mp4 = join(work, "clip.mp4");
    const clipFile = join(work, "clip.sealclip");
    const r = await sealcamAsync("export", rec.dir, "--identity", force.identity, "--from", "100", "--to", "160", "--out", mp4);
    assert.equal(r.code, 0, `export: ${r.err}`);
    assert.ok(existsSync(mp4) && existsSync(clipFile), "clip.mp4 and clip.sealclip beside it");

    const bytes = readFileSync(clipFile);
    const clip = parseClip(bytes);
    assert.deepEqual(clip.requested, [100, 160]);
    assert.ok(clip.firstFrame <= 100 && clip.frames[0].keyframe, "the clip starts at a keyframe at or before frame 100");
    assert.equal(clip.frames.at(-1)!.frame, 160);
    assert.equal(clip.count, clip.frames.length);

    const alone = await verify([clipFile]);
    assert.equal(alone.code, 0, `${alone.err}\n${show(alone.report)}`);
    assert.equal(alone.report.clips.length, 1);
    assert.equal(alone.report.clips[0].intact, true);
    assert.equal(alone.report.clips[0].frames_verified, clip.count);
    assert.deepEqual(alone.report.clips[0].requested, [100, 160]);

    // One byte inside frame 130's H.264 bytes; the header and end entry are left as they were.
    const altered = join(work, "altered.sealclip");
    const target = clip.frames.find((f) => f.frame === 130)!;
    const changed = Buffer.from(bytes);
    changed[target.start + Math.floor(target.length / 2)] ^= 0x10;
    writeFileSync(altered, changed);
    const caught = await verify([altered]);
    expectTampered(caught, "altered clip frame");
    assert.ok(problemsAt(caught.report, ["frame-hash"], undefined, 130).length > 0, `frame-hash at frame 130:\n${show(caught.report)}`);
    assert.ok(caught.report.clips[0].bad_frames.includes(130));
    assert.ok(caught.report.clips[0].frames_verified < clip.count);

    const probe = spawnSync("ffprobe", [
      "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "json", mp4,
    ], { encoding: "utf8" });
    assert.equal(probe.status, 0, probe.stderr);
    const stream = JSON.parse(probe.stdout).streams[0];
    assert.equal(stream.codec_name, "h264");
    assert.ok(Number(stream.nb_read_frames) >= 61, `${stream.nb_read_frames} frames in the MP4`);
  });
});
