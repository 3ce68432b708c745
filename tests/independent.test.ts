// The independent verifier (tests/independent/verifier.ts, written from
// docs/FORMAT.md and DESIGN.md alone, importing nothing of sealcam) against a
// recording made by sealcam's own CLI: an intact recording verifies with no
// problem and every frame of the fixture comes back; a changed frame byte, an
// edited manifest member and a removed segment are each found and named.
// Only this test touches sealcam's tooling; the verifier never does.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter, Encrypter, generateIdentity } from "age-encryption";
import { verifyRecording, strictVerify, type Report, type Problem } from "./independent/verifier.ts";
import { loadVectors } from "./helpers/vectors.ts";
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
