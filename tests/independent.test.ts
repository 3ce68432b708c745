// The independent verifier (tests/independent/verifier.ts, written from
// docs/FORMAT.md and DESIGN.md alone, importing nothing of sealcam) against a
// recording made by sealcam's own CLI: an intact recording verifies with no
// problem and every frame of the fixture comes back; a changed frame byte, an
// edited manifest member and a removed segment are each found and named.
// A clip exported by the CLI verifies on its own; a changed frame byte, a
// removed frame entry and another device's key are each found and named, and
// sealcam's own `verify` reaches the same verdict on each. A camera's audit
// log (built from FORMAT.md in tests/helpers/auditlog.ts, signed with the
// recording device's key) verifies beside its recording; an edited, removed
// or forged entry, a truncated file and a committed segment missing from the
// store are each named by entry index. A recording that begins with a
// pre-event start (manifests re-signed with the device key) verifies; the
// flag in the middle is named. sealcam's `verify` agrees on every case.
// Only this test touches sealcam's tooling; the verifier never does.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync, cpSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter, Encrypter, generateIdentity } from "age-encryption";
import {
  verifyRecording, verifyClip, verifyAuditLog, strictVerify, type Report, type Problem, type ClipReport, type ClipProblem, type AuditReport,
} from "./independent/verifier.ts";
import {
  AuditLog, KIND, ENTRY_BYTES, BODY_BYTES, signEntry, logRecording, manifestHash, placeLog, placeRecording, deviceFolder, readSeed,
} from "./helpers/auditlog.ts";
import { resignManifest, removeSegment, type Manifest, type Recording } from "./helpers/tamper.ts";
import { loadVectors } from "./helpers/vectors.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { decode as bech32Decode } from "../host/keys/bech32.ts";
import { ROOT, sealcam } from "./helpers/cli.ts";

const FIXTURE = join(ROOT, "fixtures/testsrc-12s.h264");
const FIXTURE_FRAMES = 360;

const show = (problems: Problem[]) => JSON.stringify(problems, null, 1);
const named = (r: Report, p: (x: Problem) => boolean) => r.problems.some(p);

function segmentFiles(dir: string): Map<number, string[]> {
  const bySeq = new Map<number, string[]>();
  for (const name of readdirSync(dir)) {
    const m = /^[0-9a-f]{32}-(\d{6,})\.(age|manifest\.json)$/.exec(name);
    if (!m) continue;
    const seq = Number(m[1]);
    bySeq.set(seq, [...(bySeq.get(seq) ?? []), name]);
  }
  return bySeq;
}

function copyDir(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

describe("CCTV Ed25519 vectors: the verifier's strict rules (DESIGN.md)", () => {
  it("accepts exactly the vectors without a rejected flag", () => {
    const REJECT = ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R", "low_order_residue", "reencoded_k"];
    const vectors = loadVectors<any[]>("cctv-ed25519/ed25519vectors.json");
    assert.ok(vectors.length > 900);
    const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
    for (const v of vectors) {
      const flags: string[] = v.flags ?? [];
      const why = strictVerify(unhex(v.sig), new TextEncoder().encode(v.msg), unhex(v.key));
      assert.equal(why === null, !flags.some((f) => REJECT.includes(f)), `vector ${v.number} [${flags.join(" ")}]: ${why}`);
    }
  });
});

describe("independent verifier on a sealcam recording", () => {
  let work: string;
  let rec: string; // the intact recording; tampering happens on copies
  let identity: string;
  let recipient: string;
  let device: string; // the enrolled device key, hex, from keygen's device.pub
  let segments: number[];
  const fixture = new Uint8Array(readFileSync(FIXTURE));

  before(() => {
    work = mkdtempSync(join(tmpdir(), "sealcam-independent-"));
    const keys = join(work, "keys");
    const kg = sealcam("keygen", "--out", keys);
    assert.equal(kg.code, 0, `keygen: ${kg.err}`);
    identity = readFileSync(join(keys, "force.key"), "utf8").split(/\r?\n/).find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
    recipient = readFileSync(join(keys, "force.pub"), "utf8").split(/\r?\n/).find((l) => l.startsWith("age1"))!;
    assert.ok(identity && recipient, "force.key holds an AGE-SECRET-KEY-1 line and force.pub an age1 line");
    // device.pub (sealcamdev1…, bech32) is not in FORMAT.md: decoded with sealcam's own code, here only.
    device = Buffer.from(bech32Decode(readFileSync(join(keys, "device.pub"), "utf8").trim(), "sealcamdev")).toString("hex");
    rec = join(work, "rec");
    const r = sealcam("record", "--recipient", recipient, "--out", rec, "--source", "fixture", "--device-key", join(keys, "device.key"));
    assert.equal(r.code, 0, `record: ${r.err}`);
    segments = [...segmentFiles(rec).keys()].sort((a, b) => a - b);
    assert.ok(segments.length >= 1, "the recording has segments");
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("an intact recording: no problem, every frame verified, the fixture's bytes back", async () => {
    const r = await verifyRecording(rec, identity);
    assert.deepEqual(r.problems, [], show(r.problems));
    assert.equal(r.segments, segments.length);
    assert.equal(r.frames, FIXTURE_FRAMES, "every frame passed every check");
    assert.equal(r.frameBytes.length, FIXTURE_FRAMES);
    assert.ok(Buffer.concat(r.frameBytes).equals(fixture), "the frames, in order, are the fixture's bytes exactly");
    assert.deepEqual(r.devices, [device], "one device key, the enrolled one");
    const enrolled = await verifyRecording(rec, identity, { device });
    assert.deepEqual(enrolled.problems, [], show(enrolled.problems));
  });

  it("without the identity: the manifests alone (a dock's check) verify", async () => {
    const r = await verifyRecording(rec, undefined, { device });
    assert.deepEqual(r.problems, [], show(r.problems));
    assert.equal(r.frames, 0);
    assert.equal(r.segments, segments.length);
  });

  it("another device key enrolled: every manifest and record signature is refused", async () => {
    const r = await verifyRecording(rec, identity, { device: "ab".repeat(32) });
    for (const seq of segments) assert.ok(named(r, (p) => p.segment === seq && /manifest's device key is not the enrolled/.test(p.what)), show(r.problems));
    assert.equal(r.frames, 0);
  });

  it("a wrong identity: every segment is named as not decrypting", async () => {
    const r = await verifyRecording(rec, await generateIdentity());
    for (const seq of segments) assert.ok(named(r, (p) => p.segment === seq && /does not decrypt/.test(p.what)), show(r.problems));
  });

  it("a frame byte changed and the segment re-encrypted to the same recipient: that frame is named", async () => {
    const dir = copyDir(rec, join(work, "frame-byte"));
    const seq = segments[Math.floor(segments.length / 2)];
    const ageName = segmentFiles(dir).get(seq)!.find((n) => n.endsWith(".age"))!;
    const d = new Decrypter();
    d.addIdentity(identity);
    const plain = await d.decrypt(new Uint8Array(readFileSync(join(dir, ageName))));
    // Walk to the segment's third frame entry (FORMAT.md: 128-byte header, then
    // 'F' ‖ u64 n ‖ frame ‖ 176-byte record ‖ 64-byte signature).
    const dv = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    let pos = 128;
    for (let i = 0; i < 2; i++) pos += 9 + Number(dv.getBigUint64(pos + 1, true)) + 176 + 64;
    assert.equal(plain[pos], 0x46, "a frame entry");
    const n = Number(dv.getBigUint64(pos + 1, true));
    const frameNumber = Number(dv.getBigUint64(pos + 9 + n + 48, true));
    plain[pos + 9 + Math.floor(n / 2)] ^= 0x01;
    const e = new Encrypter();
    e.addRecipient(recipient);
    writeFileSync(join(dir, ageName), await e.encrypt(plain));

    const r = await verifyRecording(dir, identity);
    assert.ok(named(r, (p) => p.segment === seq && p.frame === frameNumber && /SHA-512/.test(p.what)), show(r.problems));
    assert.ok(named(r, (p) => p.segment === seq && /age_sha256/.test(p.what)), "the manifest no longer matches the re-encrypted file");
    const frames = new Set(r.problems.filter((p) => p.frame !== undefined).map((p) => p.frame));
    assert.deepEqual([...frames], [frameNumber], "no other frame is blamed");
    assert.equal(r.frames, FIXTURE_FRAMES - 1);
  });

  it("a manifest member edited: that segment's signature is refused", async () => {
    const dir = copyDir(rec, join(work, "manifest"));
    const seq = segments[segments.length - 1];
    const name = segmentFiles(dir).get(seq)!.find((n) => n.endsWith(".manifest.json"))!;
    const m = JSON.parse(readFileSync(join(dir, name), "utf8"));
    m.last_time_us += 1;
    writeFileSync(join(dir, name), JSON.stringify(m));
    const r = await verifyRecording(dir);
    assert.ok(named(r, (p) => p.segment === seq && /manifest signature does not verify/.test(p.what)), show(r.problems));
    assert.ok(r.problems.every((p) => p.segment === seq), `only segment ${seq} is blamed: ${show(r.problems)}`);
    const withKey = await verifyRecording(dir, identity);
    assert.ok(named(withKey, (p) => p.segment === seq && /last_time_us .* differs from the trailer/.test(p.what)), show(withKey.problems));
  });

  it("a segment removed: the gap is named, in the manifest chain and in the frame chain", async (t) => {
    if (segments.length < 2) {
      t.skip(`the recording has ${segments.length} segment; a gap needs at least 2`);
      return;
    }
    const dir = copyDir(rec, join(work, "gap"));
    const before = await verifyRecording(dir, identity);
    // Frames of the segment to remove, from the intact report's order.
    const seq = segments.length >= 3 ? segments[1] : segments[0];
    const files = segmentFiles(dir).get(seq)!;
    const manifest = JSON.parse(readFileSync(join(dir, files.find((n) => n.endsWith(".manifest.json"))!), "utf8"));
    for (const f of files) rmSync(join(dir, f));
    const r = await verifyRecording(dir, identity);
    assert.ok(named(r, (p) => p.segment === seq && /missing/.test(p.what) && /gap/.test(p.what)), show(r.problems));
    const first = manifest.first_frame as number;
    const last = first + (manifest.frame_count as number) - 1;
    assert.ok(named(r, (p) => p.segment === seq + 1 && p.frame === first && p.what.includes(`frames ${first}–${last} are missing`)), show(r.problems));
    assert.equal(r.frames, before.frames - manifest.frame_count);
  });

  it("the last segment removed: the recording is named incomplete", async (t) => {
    if (segments.length < 2) {
      t.skip(`the recording has ${segments.length} segment`);
      return;
    }
    const dir = copyDir(rec, join(work, "truncated"));
    const seq = segments[segments.length - 1];
    for (const f of segmentFiles(dir).get(seq)!) rmSync(join(dir, f));
    const r = await verifyRecording(dir, identity);
    assert.ok(named(r, (p) => p.segment === seq - 1 && /not final/.test(p.what)), show(r.problems));
  });
});

// ---------------------------------------------------------------- audit log and pre-event start

describe("independent verifier on an audit log and a pre-event start", () => {
  let work: string;
  let keys: string;
  let identity: string;
  let device: string; // hex
  let seed: Uint8Array;
  let otherSeed: Uint8Array;
  let rec: Recording;
  let n = 0;
  const showAudit = (r: AuditReport) => JSON.stringify(r.problems, null, 1);

  /** boot, the recording (a commit per segment), docking, an upload per segment. */
  const cameraLog = (manifests: Manifest[] = rec.manifests): AuditLog => {
    const log = new AuditLog(seed);
    log.add({ kind: KIND.boot });
    logRecording(log, rec.id, manifests);
    log.add({ kind: KIND.dockAuthenticated });
    for (const m of manifests) log.add({ kind: KIND.upload, a: m.sequence, b: m.age_bytes, ref: manifestHash(m) });
    return log;
  };
  /** A dock-store tree with the recording and `log`; both verifiers' verdicts. */
  const check = async (log: Uint8Array, edit?: (r: Recording) => void) => {
    const root = join(work, `store-${++n}`);
    const dev = new Uint8Array(Buffer.from(device, "hex"));
    const recDir = placeRecording(root, dev, rec.id, rec.dir);
    if (edit) edit({ ...rec, dir: recDir });
    const file = placeLog(root, dev, log);
    const independent = await verifyAuditLog(file, { device, recordings: [recDir] });
    const v = sealcam("verify", deviceFolder(root, dev), "--json");
    assert.ok(v.code === 0 || v.code === 1, v.err);
    return { independent, sealcamCode: v.code, report: JSON.parse(v.out) };
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), "sealcam-independent-audit-"));
    keys = join(work, "keys");
    assert.equal(sealcam("keygen", "--out", keys).code, 0);
    assert.equal(sealcam("keygen", "--out", join(work, "other"), "--device-only").code, 0);
    identity = join(keys, "force.key");
    const recipient = readFileSync(join(keys, "force.pub"), "utf8").trim();
    device = Buffer.from(bech32Decode(readFileSync(join(keys, "device.pub"), "utf8").trim(), "sealcamdev")).toString("hex");
    seed = readSeed(join(keys, "device.key"));
    otherSeed = readSeed(join(work, "other", "device.key"));
    const dir = join(work, "rec");
    const r = sealcam("record", "--recipient", recipient, "--out", dir, "--source", "fixture", "--device-key", join(keys, "device.key"), "--segment-seconds", "1");
    assert.equal(r.code, 0, `record: ${r.err}`);
    // The camera's own audit log (written beside the segments) would name the
    // segments these tests remove; the logs here are made to order.
    rmSync(join(dir, "audit.log"), { force: true });
    const names = readdirSync(dir).filter((f) => f.endsWith(".manifest.json")).sort();
    assert.equal(names.length, 12, "1 s segments of the 12 s fixture");
    rec = { dir, id: names[0].slice(0, 32), manifests: names.map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Manifest) };
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("an intact log beside its recording: no problem; every commit matches a manifest; sealcam agrees", async () => {
    const log = cameraLog();
    const r = await check(log.bytes());
    assert.deepEqual(r.independent.problems, [], showAudit(r.independent));
    assert.equal(r.independent.entries, log.entries.length);
    assert.equal(r.independent.verified, log.entries.length);
    assert.equal(r.independent.committed, 12);
    assert.equal(r.independent.matched, 12);
    assert.equal(r.sealcamCode, 0);
  });

  it("an edited, a removed and a forged entry, a truncated file: each named by index; sealcam agrees", async () => {
    const log = cameraLog();
    const cases: Array<[string, Uint8Array, number]> = [];
    const edited = log.bytes();
    edited[15 * ENTRY_BYTES + 60] ^= 1;
    cases.push(["edited", edited, 15]);
    cases.push(["removed", log.bytes(log.entries.filter((e) => e.index !== 20n)), 21]);
    const forged = log.bytes();
    signEntry(otherSeed, forged.subarray(16 * ENTRY_BYTES, 16 * ENTRY_BYTES + BODY_BYTES)).copy(forged, 16 * ENTRY_BYTES);
    cases.push(["forged", forged, 16]);
    const whole = log.bytes();
    cases.push(["truncated", whole.subarray(0, whole.length - 7), log.entries.length - 1]);
    for (const [what, bytes, entry] of cases) {
      const r = await check(bytes);
      assert.ok(r.independent.problems.some((p) => p.entry === entry), `${what}: entry ${entry} named: ${showAudit(r.independent)}`);
      assert.equal(r.sealcamCode, 1, `${what}: sealcam verify exits 1 too`);
    }
  });

  it("a committed segment missing from the store: named by segment and entry; sealcam agrees", async () => {
    const r = await check(cameraLog().bytes(), (copy) => removeSegment(copy, 4));
    assert.ok(r.independent.problems.some((p) => p.segment === 4 && p.entry === 2 + 4 && /committed on the camera/.test(p.what)), showAudit(r.independent));
    assert.equal(r.sealcamCode, 1);
    assert.ok(r.report.audit_logs[0].problems.some((p: { kind: string; segment?: number; entry?: number }) => p.kind === "audit-missing-segment" && p.segment === 4 && p.entry === 6));
  });

  it("a recording that begins with a pre-event start verifies; the flag in the middle is named; sealcam agrees", async () => {
    /** A copy with segment `at` re-signed by `edit`, the segments after it re-chained, `drop` removed. */
    const resigned = (what: string, at: number, edit: (m: Manifest) => void, drop: number[] = []): string => {
      const copy: Recording = { ...rec, dir: copyDir(rec.dir, join(work, what)) };
      for (const s of drop) removeSegment(copy, s);
      let previous = resignManifest(copy, at, seed, edit);
      for (let s = at + 1; s < 12; s++) {
        const hash = manifestHash(previous).toString("hex");
        previous = resignManifest(copy, s, seed, (m) => (m.previous_manifest = hash));
      }
      return copy.dir;
    };
    const start = (m: Manifest) => {
      m.pre_event_start = true;
      m.previous_manifest = "00".repeat(32);
    };
    const pre = resigned("pre-event", 3, start, [0, 1, 2]);
    const r = await verifyRecording(pre, identity, { device });
    assert.deepEqual(r.problems, [], show(r.problems));
    assert.equal(r.frames, 9 * 30);
    assert.ok(r.notes.some((x) => x.includes("evidence begins at frame 90 (segment 000003)")), r.notes.join("\n"));
    assert.equal(sealcam("verify", pre, "--identity", identity).code, 0);

    const middle = resigned("middle", 5, start);
    const m = await verifyRecording(middle, identity, { device });
    assert.ok(named(m, (p) => p.segment === 5 && /pre_event_start is set, but earlier segments/.test(p.what)), show(m.problems));
    assert.equal(sealcam("verify", middle, "--identity", identity).code, 1);

    // Without the flag, the same recording misses its start: both verifiers say so.
    const plain = resigned("no-flag", 3, (x) => (x.previous_manifest = "00".repeat(32)), [0, 1, 2]);
    const p = await verifyRecording(plain, identity, { device });
    assert.ok(named(p, (x) => x.segment === 0 && /missing/.test(x.what)), show(p.problems));
    assert.equal(sealcam("verify", plain).code, 1);
  });
});

// ---------------------------------------------------------------- clips

const FFMPEG_MISSING = spawnSync("ffmpeg", ["-version"]).error !== undefined;
const clipSkip = FFMPEG_MISSING && !REQUIRE_ALL ? "needs ffmpeg (sealcam export remuxes the clip's MP4 with it)" : false;
if (clipSkip) console.log(`# independent clip tests skipped: ${clipSkip}`);
if (FFMPEG_MISSING && REQUIRE_ALL) {
  it("has ffmpeg for the clip tests (SEALCAM_REQUIRE_ALL=1)", () => assert.fail("ffmpeg is required: apt-get install ffmpeg"));
}

const showClip = (r: ClipReport) => JSON.stringify(r.problems, null, 1);
const namedClip = (r: ClipReport, p: (x: ClipProblem) => boolean) => r.problems.some(p);
const framesBlamed = (r: ClipReport) => [...new Set(r.problems.flatMap((p) => (p.frame === undefined ? [] : [p.frame])))];
const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

interface ClipEntry {
  /** offset of the entry's type byte; `end` is one past its signature */
  start: number;
  end: number;
  /** offset of the frame's first byte, and its length */
  frameAt: number;
  n: number;
  frame: number;
}

/** The frame entries of a clip and the offset of its end entry, by FORMAT.md's layout. */
function clipEntries(clip: Uint8Array): { entries: ClipEntry[]; endAt: number } {
  const dv = new DataView(clip.buffer, clip.byteOffset, clip.byteLength);
  const entries: ClipEntry[] = [];
  let pos = 128;
  while (clip[pos] === 0x46) {
    const n = Number(dv.getBigUint64(pos + 1, true));
    const record = pos + 9 + n;
    entries.push({ start: pos, end: record + 176 + 64, frameAt: pos + 9, n, frame: Number(dv.getBigUint64(record + 48, true)) });
    pos = record + 176 + 64;
  }
  assert.equal(clip[pos], 0x45, "an end entry follows the frame entries");
  return { entries, endAt: pos };
}

/** A clip rebuilt from a header and frame entries, with an end entry whose count and SHA-256 are right for them. */
function sealClip(header: Uint8Array, entries: Uint8Array[]): Uint8Array {
  const body = Buffer.concat([header, ...entries]);
  const end = new Uint8Array(41);
  end[0] = 0x45;
  new DataView(end.buffer).setBigUint64(1, BigInt(entries.length), true);
  end.set(sha256(body), 9);
  return Buffer.concat([body, end]);
}

describe("independent verifier on a sealcam clip", { skip: clipSkip }, () => {
  let work: string;
  let clipFile: string; // frames 90–160 of the recording, as `sealcam export` wrote them
  let clip: Uint8Array;
  let device: string; // hex, the key the recording's manifests name
  let otherDevice: string; // hex, another camera's key
  let otherDevicePub: string; // its device.pub, for `sealcam verify --device`
  let recordingFrames: Uint8Array[]; // every frame of the recording, from verifyRecording

  /** sealcam's own verdict on a clip: 0 intact, 1 problems. */
  const sealcamVerdict = (file: string, ...args: string[]) => {
    const r = sealcam("verify", file, ...args);
    assert.ok(r.code === 0 || r.code === 1, `sealcam verify exits 0 or 1 (got ${r.code}; stderr: ${r.err})`);
    return r.code;
  };
  const write = (name: string, bytes: Uint8Array) => {
    const file = join(work, name);
    writeFileSync(file, bytes);
    return file;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sealcam-independent-clip-"));
    const keys = join(work, "keys");
    assert.equal(sealcam("keygen", "--out", keys).code, 0, "keygen");
    const other = join(work, "other");
    assert.equal(sealcam("keygen", "--out", other, "--device-only").code, 0, "keygen --device-only");
    otherDevicePub = join(other, "device.pub");
    otherDevice = Buffer.from(bech32Decode(readFileSync(otherDevicePub, "utf8").trim(), "sealcamdev")).toString("hex");
    const recipient = readFileSync(join(keys, "force.pub"), "utf8").trim();
    const rec = join(work, "rec");
    const r = sealcam("record", "--recipient", recipient, "--out", rec, "--device-key", join(keys, "device.key"), "--segment-seconds", "1");
    assert.equal(r.code, 0, `record: ${r.err}`);
    const x = sealcam("export", rec, "--identity", join(keys, "force.key"), "--from", "100", "--to", "160", "--out", join(work, "x.mp4"));
    assert.equal(x.code, 0, `export: ${x.err}`);
    clipFile = join(work, "x.sealclip");
    assert.ok(existsSync(clipFile), "export writes x.sealclip beside x.mp4");
    clip = new Uint8Array(readFileSync(clipFile));
    const devices = new Set(readdirSync(rec).filter((n) => n.endsWith(".manifest.json")).map((n) => JSON.parse(readFileSync(join(rec, n), "utf8")).device as string));
    assert.equal(devices.size, 1, "the manifests name one device");
    [device] = devices;
    const full = await verifyRecording(rec, join(keys, "force.key"), { device });
    assert.deepEqual(full.problems, [], show(full.problems));
    recordingFrames = full.frameBytes;
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("an exported clip verifies alone: frames 90–160, 71 frames, every signature valid under the manifests' key", async () => {
    const r = await verifyClip(clipFile, device);
    assert.deepEqual(r.problems, [], showClip(r));
    assert.equal(r.device, device, "the header names the device key the manifests name");
    assert.equal(r.firstFrame, 90, "from the keyframe at or before frame 100");
    assert.equal(r.lastFrame, 160);
    assert.deepEqual(r.requested, [100, 160]);
    assert.equal(r.count, 71);
    assert.equal(r.headerCount, 71);
    assert.equal(r.frames, 71, "every frame passed every check, its signature included");
    assert.deepEqual(r.segments, [3, 4, 5], "1 s segments of 30 frames: frames 90–160 come from segments 3 to 5");
    assert.equal(r.frameBytes.length, 71);
    r.frameBytes.forEach((f, i) => assert.ok(Buffer.from(f).equals(Buffer.from(recordingFrames[90 + i])), `frame ${90 + i} is the recording's, byte for byte`));
    const unpinned = await verifyClip(clipFile);
    assert.deepEqual(unpinned.problems, [], showClip(unpinned));
    assert.equal(sealcamVerdict(clipFile), 0, "sealcam verify agrees");
  });

  it("one byte flipped inside frame 130's bytes: frame 130 is named, and the end entry's checksum", async () => {
    const target = clipEntries(clip).entries.find((e) => e.frame === 130)!;
    const bytes = clip.slice();
    bytes[target.frameAt + Math.floor(target.n / 2)] ^= 0x01;
    const file = write("flipped.sealclip", bytes);
    const r = await verifyClip(file, device);
    assert.ok(namedClip(r, (p) => p.frame === 130 && p.segment === 4 && /SHA-512/.test(p.what)), showClip(r));
    assert.ok(namedClip(r, (p) => p.frame === undefined && /end entry's SHA-256/.test(p.what)), showClip(r));
    assert.deepEqual(framesBlamed(r), [130], "no other frame is blamed");
    assert.equal(r.frames, 70);
    assert.equal(sealcamVerdict(file), 1, "sealcam verify agrees");

    // The checksum is not what catches it: recomputed, the frame is still named.
    const { entries } = clipEntries(bytes);
    const resealed = write("flipped-resealed.sealclip", sealClip(bytes.subarray(0, 128), entries.map((e) => bytes.subarray(e.start, e.end))));
    const again = await verifyClip(resealed, device);
    assert.ok(namedClip(again, (p) => p.frame === 130 && /SHA-512/.test(p.what)), showClip(again));
    assert.ok(!namedClip(again, (p) => /end entry/.test(p.what)), showClip(again));
    assert.deepEqual(framesBlamed(again), [130]);
    assert.equal(sealcamVerdict(resealed), 1, "sealcam verify agrees");
  });

  it("frame 130's entry removed from the middle: the missing frame is named, even with the header and end entry made to match", async () => {
    const { entries } = clipEntries(clip);
    const gone = entries.find((e) => e.frame === 130)!;
    const file = write("removed.sealclip", Buffer.concat([clip.subarray(0, gone.start), clip.subarray(gone.end)]));
    const r = await verifyClip(file, device);
    assert.ok(namedClip(r, (p) => p.frame === 130 && /frame 130 is missing/.test(p.what)), showClip(r));
    assert.ok(namedClip(r, (p) => /header's frame count 71 differs from the 70 frames/.test(p.what)), showClip(r));
    assert.ok(namedClip(r, (p) => /end entry's frame count 71 differs/.test(p.what)), showClip(r));
    assert.ok(namedClip(r, (p) => /end entry's SHA-256/.test(p.what)), showClip(r));
    assert.equal(r.count, 70);
    assert.ok(r.frames < 70, "frame 131, which names frame 130's record, does not verify in this clip");
    assert.equal(sealcamVerdict(file), 1, "sealcam verify agrees");

    // The header and end entry are not signed: an editor can make them agree.
    // The record chain still names the gap.
    const header = clip.slice(0, 128);
    new DataView(header.buffer).setBigUint64(64, 70n, true);
    const kept = entries.filter((e) => e !== gone).map((e) => clip.subarray(e.start, e.end));
    const careful = write("removed-resealed.sealclip", sealClip(header, kept));
    const again = await verifyClip(careful, device);
    assert.ok(namedClip(again, (p) => p.frame === 130 && /frame 130 is missing/.test(p.what)), showClip(again));
    assert.ok(!namedClip(again, (p) => /count|end entry/.test(p.what)), showClip(again));
    assert.equal(sealcamVerdict(careful), 1, "sealcam verify agrees");
  });

  it("held to another device's key: the header and every frame's signature are refused", async () => {
    const r = await verifyClip(clipFile, otherDevice);
    assert.ok(namedClip(r, (p) => p.frame === undefined && /another device key/.test(p.what)), showClip(r));
    for (let f = 90; f <= 160; f++) assert.ok(namedClip(r, (p) => p.frame === f && /signature does not verify/.test(p.what)), `frame ${f}: ${showClip(r)}`);
    assert.equal(r.frames, 0);
    assert.equal(sealcamVerdict(clipFile, "--device", otherDevicePub), 1, "sealcam verify agrees");
  });

  it("a shorter clip cut from the clip with a new header verifies, but only when it starts at a keyframe", async () => {
    // FORMAT.md: such a clip is still a true statement about consecutive frames.
    const { entries } = clipEntries(clip);
    const cut = (from: number, to: number) => {
      const kept = entries.filter((e) => e.frame >= from && e.frame <= to);
      const header = clip.slice(0, 128);
      const dv = new DataView(header.buffer);
      dv.setBigUint64(56, BigInt(from), true);
      dv.setBigUint64(64, BigInt(kept.length), true);
      dv.setBigUint64(72, BigInt(from), true);
      dv.setBigUint64(80, BigInt(to), true);
      const firstRecord = kept[0].frameAt + kept[0].n;
      header.set(clip.subarray(firstRecord + 144, firstRecord + 176), 88); // the previous record hash the first record names
      return sealClip(header, kept.map((e) => clip.subarray(e.start, e.end)));
    };
    const good = write("cut-120-150.sealclip", cut(120, 150));
    const r = await verifyClip(good, device);
    assert.deepEqual(r.problems, [], showClip(r));
    assert.equal(r.frames, 31);
    assert.equal(sealcamVerdict(good), 0, "sealcam verify agrees");

    const bad = write("cut-121-150.sealclip", cut(121, 150));
    const r2 = await verifyClip(bad, device);
    assert.ok(namedClip(r2, (p) => p.frame === 121 && /first frame \(121\) is not a keyframe/.test(p.what)), showClip(r2));
    assert.equal(sealcamVerdict(bad), 1, "sealcam verify agrees");
  });
});
