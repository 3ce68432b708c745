// The pre-event buffer inside the module (docs/ABI.md "Pre-event buffer"),
// driven through the harness (tests/helpers/camera.ts) with a seeded entropy
// stream, so the test knows every file key and payload nonce the module drew
// (read from the draws just before each storage_open). Checked with
// independent code: node:crypto opens the parked payloads with those keys
// (so the keys searched for in memory are the real ones), typage and the age
// CLI decrypt the committed files with the force identities, the evidence
// streams and manifests are parsed from FORMAT.md (tests/helpers), and the
// custody verifier (host/custody) checks a triggered recording as a whole.
//
// What must hold: an untriggered buffer leaves nothing; an expired segment's
// key, payload key and header-MAC key are nowhere in module memory and
// nothing storage ever held of it decrypts under the force identity; a
// triggered window is evidence, chained, its start marked when something
// before it expired.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv, hkdfSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x25519, ed25519 } from "@noble/curves/ed25519.js";
import { instantiateV8, type Build } from "../host/engine/index.ts";
import { Crypto } from "../host/engine/crypto.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { manifestFromBlob, manifestJson } from "../host/evidence/index.ts";
import { verifyPaths } from "../host/custody/verify.ts";
import type { RecordingResult } from "../host/custody/model.ts";
import { encode } from "../host/keys/bech32.ts";
import { CameraHarness, secureBlock, signedConfig, OK, type CameraConfig } from "./helpers/camera.ts";
import { Session, DEVICE_SEED, DEVICE_PK, FORCE, RECIPIENTS, camera, config, type CheckedSegment } from "./helpers/recording.ts";
import { parseEvidence, parseManifest, decryptTypage, decryptAgeCli, haveAgeCli } from "./helpers/evidence.ts";
import { Rng } from "./helpers/random.ts";

const BUILDS: Build[] = ["release", "scalar"];
const T0 = 1_700_000_000_000_000n;
const E = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([name, e]) => [name, e.code])) as Record<string, number>;
const CLI = haveAgeCli();
const ZERO32 = Buffer.alloc(32);
/** age header for the two test recipients: version line, 2 stanzas of 98 bytes, MAC line (FORMAT.md). */
const HEADER_BYTES = 22 + 2 * 98 + 48;

/** 10 fps, a keyframe every 10th frame: with 1 s segments, segment k holds frames 10k … 10k + 9. */
const at = (i: number): bigint => T0 + BigInt(i) * 100_000n;
/** An access unit the custody verifier accepts: an IDR NAL on keyframes (FORMAT.md's keyframe flag), random bytes after. */
function unit(i: number, n = 1500): Uint8Array {
  const b = new Rng(7000 + i).bytes(n);
  b.set([0, 0, 0, 1, i % 10 === 0 ? 0x65 : 0x41]);
  return b;
}

/** The test configuration with a pre-event duration and 1 s segments. */
const preConfig = (preEventUs: bigint, over: Partial<CameraConfig> = {}): Uint8Array =>
  config({ durationUs: 1_000_000n, preEventUs, ...over });

/** Feeds frames [from, to) of the 10 fps stream; every one must be accepted. */
function feed(s: Session, from: number, to: number): void {
  for (let i = from; i < to; i++) assert.equal(s.frame(at(i), unit(i), i % 10 === 0), OK, `frame ${i}`);
}

interface Keys { fileKey: Buffer; nonce: Buffer }

/**
 * The file key and payload nonce of every segment the module opens, by
 * sequence: the nonce is the last draw before storage_open, the file key the
 * last 16-byte draw before it (ephemeral secrets are 32 bytes).
 */
function trackKeys(h: CameraHarness): Map<number, Keys> {
  const keys = new Map<number, Keys>();
  h.onImport = (name, args) => {
    if (name !== "storage_open") return;
    const nonce = h.draws.at(-1)!;
    let at = h.draws.length - 2;
    while (h.draws[at].length !== 16) at--;
    const fileKey = h.draws[at];
    keys.set(Number(args[1]) >>> 0, { fileKey, nonce });
  };
  return keys;
}

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer =>
  Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from(info), 32));

/** A segment's secrets: file key, payload key, header-MAC key (FORMAT.md "The age file"). */
const segmentSecrets = (k: Keys): Buffer[] => [k.fileKey, hkdf(k.fileKey, k.nonce, "payload"), hkdf(k.fileKey, Buffer.alloc(0), "header")];

/** The secrets of stanzas built from 32-byte ephemeral draws, recipients in turn: ephemeral, shared secret, wrap key. */
function stanzaSecrets(draws: Buffer[]): Buffer[] {
  return draws.flatMap((eph, j) => {
    assert.equal(eph.length, 32);
    const recipient = RECIPIENTS[j % RECIPIENTS.length];
    const shared = Buffer.from(x25519.getSharedSecret(eph, recipient));
    return [eph, shared, hkdf(shared, Buffer.concat([x25519.getPublicKey(eph), recipient]), "age-encryption.org/v1/X25519")];
  });
}

/** Opens a parked payload (payload nonce ‖ STREAM chunks) with a known file key, using node:crypto. */
function openPayload(payload: Uint8Array, k: Keys): Buffer {
  const p = Buffer.from(payload);
  assert.ok(p.subarray(0, 16).equals(k.nonce), "the payload starts with the payload nonce");
  const key = hkdf(k.fileKey, k.nonce, "payload");
  const out: Buffer[] = [];
  let counter = 0n;
  for (let off = 16; off < p.length; counter++) {
    const end = Math.min(off + 65536 + 16, p.length);
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64BE(counter, 3);
    nonce[11] = end === p.length ? 1 : 0;
    const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    d.setAuthTag(p.subarray(end - 16, end));
    out.push(d.update(p.subarray(off, end - 16)), d.final());
    off = end;
  }
  return Buffer.concat(out);
}

/** [a, b] of every event of `kind`, as numbers. */
const events = (h: CameraHarness, kind: number): number[][] => h.events.filter(([k]) => k === kind).map(([, a, b]) => [Number(a), Number(b)]);

interface AuditEntry { kind: number; a: bigint; b: bigint; ref: Buffer }
const AUDIT_DOMAIN = Buffer.from("sealcam/v1/audit-entry");

/** The audit entries audit_write stored, each signature checked under the device key (FORMAT.md "The audit log"). */
function audit(h: CameraHarness): AuditEntry[] {
  return h.audit.map((e, i) => {
    const b = Buffer.from(e);
    assert.ok(ed25519.verify(b.subarray(136, 200), Buffer.concat([AUDIT_DOMAIN, b.subarray(0, 136)]), DEVICE_PK), `audit entry ${i} signature`);
    return { kind: b.readUInt32LE(40), a: b.readBigUInt64LE(56), b: b.readBigUInt64LE(64), ref: b.subarray(72, 104) };
  });
}
const recordingRef = (h: CameraHarness): Buffer => Buffer.concat([Buffer.from(h.recordingId()), Buffer.alloc(16)]);

/** Frame numbers in whatever of `blobs` decrypts under a force identity (typage); the rest are counted as refused. */
async function framesReadable(blobs: Uint8Array[]): Promise<{ frames: Set<number>; refused: number }> {
  const frames = new Set<number>();
  let refused = 0;
  for (const blob of blobs) {
    for (const id of FORCE) {
      let plain: Uint8Array;
      try {
        plain = await decryptTypage(blob, id);
      } catch {
        refused++;
        continue;
      }
      for (const f of parseEvidence(plain).frames) frames.add(Number(f.number));
    }
  }
  return { frames, refused };
}

/** Writes the committed segments as FORMAT.md files and runs the custody verifier with the first force identity. */
async function custody(h: CameraHarness): Promise<RecordingResult> {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-preevent-"));
  try {
    for (const g of h.committed) {
      const name = join(dir, `${g.recording}-${String(g.sequence).padStart(6, "0")}`);
      writeFileSync(`${name}.age`, g.age);
      writeFileSync(`${name}.manifest.json`, manifestJson(manifestFromBlob(g.manifest!)));
    }
    const crypto = new Crypto(await instantiateV8("release"));
    const report = await verifyPaths([dir], { crypto, identities: [{ scalar: FORCE[0], recipient: encode("age", RECIPIENTS[0]) }], pinnedDevice: null });
    assert.equal(report.recordings.length, 1);
    return report.recordings[0];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sequences = (list: { sequence: number }[]): number[] => list.map((g) => g.sequence);

for (const build of BUILDS) {
  describe(`pre-event buffer: untriggered (${build})`, () => {
    it("stopped untriggered: nothing committed, the parked segments dropped, the open one aborted, every key gone", async () => {
      const s = await camera(build, preConfig(3_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.x.PARK_SLOTS.value, 64);
      assert.equal(s.h.buffer(), OK);
      assert.deepEqual(s.h.events.at(-1), [1, 1n, 0n], "event 1 with a = 1");
      assert.equal(s.h.draws.length, 1, "recording_buffer draws the recording id only");
      feed(s, 0, 25); // segments 0 (0-9) and 1 (10-19) parked, 2 (20-24) open; nothing is older than 3 s
      assert.deepEqual(events(s.h, 11), [[0, 10], [1, 10]], "event 11 per parked segment");
      assert.deepEqual(events(s.h, 12), [], "nothing expired");
      assert.equal(s.h.committed.length, 0);
      assert.deepEqual([...s.h.parked.values()].map((p) => p.sequence), [0, 1]);
      // Buffered openings draw the file key and the payload nonce only.
      assert.deepEqual(s.h.draws.map((d) => d.length), [16, 16, 16, 16, 16, 16, 16]);
      for (const p of s.h.parked.values()) {
        const k = keys.get(p.sequence)!;
        // The parked payload is the segment's STREAM with no age header: the
        // test opens it with the key it knows the module drew.
        assert.ok(!Buffer.from(p.payload.subarray(0, 21)).equals(Buffer.from("age-encryption.org/v1")), "no age header in storage");
        const stream = parseEvidence(openPayload(p.payload, k));
        assert.deepEqual(stream.frames.map((f) => Number(f.number)), Array.from({ length: 10 }, (_, j) => 10 * p.sequence + j));
        assert.equal(stream.trailer.flags, 0);
        // While parked the file key is in module memory once (the scan
        // finds what is there); the payload key went at the segment's close.
        assert.equal(s.h.find(k.fileKey).length, 1, `segment ${p.sequence}: file key held in its park slot`);
        assert.deepEqual(s.h.find(segmentSecrets(k)[1]), [], `segment ${p.sequence}: payload key gone once parked`);
      }
      assert.equal(s.h.find(keys.get(2)!.fileKey).length, 1, "the open segment's file key is held");

      assert.equal(s.h.stop(), OK);
      assert.equal(s.h.committed.length, 0, "nothing of an untriggered buffer is committed");
      assert.deepEqual(sequences(s.h.dropped), [0, 1], "storage_drop for every parked segment");
      assert.deepEqual(sequences(s.h.aborted), [2], "the open segment aborted");
      assert.equal(s.h.parked.size, 0);
      assert.equal(s.h.segmentOpen, false);
      assert.deepEqual(events(s.h, 3), []);
      assert.deepEqual(s.h.events.at(-1), [5, 25n, 0n]);
      assert.deepEqual(s.h.violations, [], "storage protocol");
      for (const [seq, k] of keys) for (const secret of segmentSecrets(k)) assert.deepEqual(s.h.find(secret), [], `segment ${seq}: ${secret.toString("hex")} still in memory`);
      const log = audit(s.h);
      assert.ok(log.some((e) => e.kind === 4 && e.a === 1n), "audit kind 4 with a = 1");
      assert.ok(log.some((e) => e.kind === 5 && e.a === 25n && e.b === 0n), "audit kind 5: 25 frames, 0 segments committed");
      assert.ok(!log.some((e) => e.kind === 6 || e.kind === 14), "no trigger, nothing committed");
      assert.ok(s.h.memoryUnchanged());
    });
  });

  describe(`pre-event buffer: expiry, then the trigger (${build})`, () => {
    // Pre-event 2.25 s, 1 s segments. Segment k's last frame is 10k + 9; it
    // expires at the first frame more than 2.25 s later: frame 10k + 32,
    // between cuts (so it is frame_begin's own check that expires it).
    // Frames 0-59 expire 0, 1 and 2 (at frames 32, 42, 52), leave 3 and 4
    // parked and 5 open; the trigger keeps 3 and 4, and 5 once it closes;
    // frames 60-84 follow.
    let s: Session;
    let keys: Map<number, Keys>;
    const expiredDuring = new Map<number, number>(); // sequence → frame whose frame_begin expired it
    const afterExpiry = new Map<number, number[]>(); // sequence → hits of its secrets in memory, before the trigger
    const heldBefore = new Map<number, number>(); // sequence → hits of its file key, before the trigger
    let triggerDraws: Buffer[];
    let triggerEvents: number[][];
    let fileKeysAfterTrigger: number[]; // hits of the file keys of 3, 4, 5 just after the trigger
    let payloadKeyAfterTrigger: number; // hits of the open segment's payload key then
    let segs: CheckedSegment[];

    before(async () => {
      s = await camera(build, preConfig(2_250_000n));
      keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      for (let i = 0; i < 60; i++) {
        const seen = s.h.events.length;
        feed(s, i, i + 1);
        for (const [kind, a] of s.h.events.slice(seen)) if (kind === 12) expiredDuring.set(Number(a), i);
      }
      for (const seq of [0, 1, 2]) afterExpiry.set(seq, segmentSecrets(keys.get(seq)!).flatMap((k) => s.h.find(k)));
      for (const seq of [3, 4, 5]) heldBefore.set(seq, s.h.find(keys.get(seq)!.fileKey).length);
      const drawn = s.h.draws.length;
      const seen = s.h.events.length;
      assert.equal(s.h.trigger(), OK);
      triggerDraws = s.h.draws.slice(drawn);
      triggerEvents = s.h.events.slice(seen).map(([k, a, b]) => [k, Number(a), Number(b)]);
      fileKeysAfterTrigger = [3, 4, 5].map((seq) => s.h.find(keys.get(seq)!.fileKey).length);
      payloadKeyAfterTrigger = s.h.find(segmentSecrets(keys.get(5)!)[1]).length;
      feed(s, 60, 85);
      assert.equal(s.h.stop(), OK);
      segs = await s.verify({ preEventStart: 3, cli: CLI });
    });

    it("expires each segment at the first frame more than the window after its last, dropping it with its id (event 12, audit kind 16)", () => {
      assert.deepEqual([...expiredDuring], [[0, 32], [1, 42], [2, 52]]);
      assert.deepEqual(events(s.h, 12), [[0, 10], [1, 10], [2, 10]]);
      assert.deepEqual(sequences(s.h.dropped), [0, 1, 2], "storage_drop named the expired segments");
      const expired = audit(s.h).filter((e) => e.kind === 16);
      assert.deepEqual(expired.map((e) => [Number(e.a), Number(e.b)]), [[0, 10], [1, 10], [2, 10]]);
      for (const e of expired) assert.ok(e.ref.equals(recordingRef(s.h)), "ref: the recording");
    });

    it("leaves no file key, payload key or header-MAC key of an expired segment in module memory", () => {
      for (const [seq, hits] of afterExpiry) assert.deepEqual(hits, [], `segment ${seq}`);
      // The scan works: the parked and the open segments' keys were there.
      assert.deepEqual([...heldBefore], [[3, 1], [4, 1], [5, 1]]);
    });

    it("nothing storage ever held of an expired segment decrypts with either force identity", async () => {
      const dropped = s.h.dropped.map((p) => p.payload);
      const { refused } = await framesReadable(dropped);
      assert.equal(refused, 2 * dropped.length, "every dropped payload refused by typage under both identities");
      // With the key the test knows, the same bytes do open: they are the real
      // evidence of frames 0-29, only the key that could ever open them is gone.
      assert.deepEqual(s.h.dropped.map((p) => parseEvidence(openPayload(p.payload, keys.get(p.sequence)!)).frames.length), [10, 10, 10]);
      // Every file storage holds: no expired frame can be read from any of them.
      const everything = [...dropped, ...s.h.committed.map((g) => g.age), ...s.h.aborted.map((g) => g.age)];
      const { frames } = await framesReadable(everything);
      for (let f = 0; f < 30; f++) assert.ok(!frames.has(f), `frame ${f} of the expired window is readable`);
      assert.equal(frames.size, 55, "frames 30-84 are readable");
    });

    it("commits the kept segments at the trigger, oldest first, with fresh ephemerals; event 10 and audit kind 6", () => {
      assert.deepEqual(triggerDraws.map((d) => d.length), [32, 32, 32, 32, 32, 32], "32 bytes per recipient for segments 3, 4 and the open 5");
      assert.deepEqual(triggerEvents, [[3, 3, 10], [3, 4, 10], [10, 30, 2]]);
      const trigger = audit(s.h).filter((e) => e.kind === 6);
      assert.deepEqual(trigger.map((e) => [Number(e.a), Number(e.b)]), [[30, 2]]);
      assert.deepEqual(sequences(s.h.committed), [3, 4, 5, 6, 7, 8]);
      const committedLog = audit(s.h).filter((e) => e.kind === 14);
      assert.deepEqual(committedLog.map((e) => Number(e.a)), [3, 4, 5, 6, 7, 8]);
      committedLog.forEach((e, i) => assert.ok(e.ref.equals(segs[i].manifest.hash), "kind 14 names the manifest hash"));
      const stopped = audit(s.h).filter((e) => e.kind === 5);
      assert.deepEqual(stopped.map((e) => [Number(e.a), Number(e.b)]), [[85, 6]], "kind 5: 85 frames, 6 segments committed");
    });

    it("holds no file key once the trigger has written the headers (the open segment keeps only its payload key)", () => {
      assert.deepEqual(fileKeysAfterTrigger, [0, 0, 0]);
      assert.equal(payloadKeyAfterTrigger, 1, "segment 5 is still being written");
    });

    it("writes kept segments as stock age files: header (fresh stanzas) ‖ the payload parked before", async () => {
      for (const g of s.h.committed.slice(0, 3)) {
        const k = keys.get(g.sequence)!;
        const age = Buffer.from(g.age);
        assert.ok(age.subarray(0, 22).equals(Buffer.from("age-encryption.org/v1\n")));
        assert.ok(age.subarray(HEADER_BYTES, HEADER_BYTES + 16).equals(k.nonce), `segment ${g.sequence}: the payload follows the header`);
        assert.equal(parseManifest(g.manifest!).ageBytes, BigInt(HEADER_BYTES + (age.length - HEADER_BYTES)));
        // The stanzas are the trigger's: X25519 shares of its draws, in order.
        const j = 2 * (g.sequence - 3);
        for (const r of [0, 1]) {
          const share = Buffer.from(x25519.getPublicKey(triggerDraws[j + r])).toString("base64").replace(/=+$/, "");
          assert.ok(age.subarray(0, HEADER_BYTES).toString("latin1").includes(`-> X25519 ${share}\n`), `segment ${g.sequence}: stanza ${r}`);
        }
      }
      // Segments opened after the trigger are ordinary: header first, drawn at opening.
      for (const g of s.h.committed.slice(3)) assert.equal(Buffer.from(g.age).subarray(0, 22).toString("latin1"), "age-encryption.org/v1\n");
      if (CLI) for (const g of s.h.committed) assert.ok(decryptAgeCli(g.age, FORCE[1]).length > 0);
    });

    it("chains the manifests from zero at the pre-event start (flag bit 1), through the later segments, final at stop", () => {
      assert.deepEqual(segs.map((g) => g.manifest.flags), [2, 0, 0, 0, 0, 1]);
      assert.ok(segs[0].manifest.previous.equals(ZERO32));
      for (let i = 1; i < segs.length; i++) assert.ok(segs[i].manifest.previous.equals(segs[i - 1].manifest.hash));
      assert.deepEqual(segs.map((g) => Number(g.stream.header.firstFrame)), [30, 40, 50, 60, 70, 80]);
      // Segment 3's chain value names frame 29's record, which expired (Session.verify checked the value).
      assert.ok(!segs[0].stream.header.chain.equals(ZERO32));
    });

    it("verifies as one recording with the custody verifier: evidence begins at frame 30", async () => {
      const r = await custody(s.h);
      assert.deepEqual(r.problems, []);
      assert.equal(r.intact, true);
      assert.deepEqual(r.pre_event_start, { segment: 3, frame: 30 });
      assert.equal(r.frames_verified, 55);
      assert.equal(r.final, true);
    });

    it("leaves no secret of any segment or stanza in memory after the stop", () => {
      for (const [seq, k] of keys) for (const secret of segmentSecrets(k)) assert.deepEqual(s.h.find(secret), [], `segment ${seq}`);
      for (const secret of stanzaSecrets(triggerDraws)) assert.deepEqual(s.h.find(secret), [], `trigger stanza secret ${secret.toString("hex")}`);
      assert.deepEqual(s.h.violations, []);
      assert.ok(s.h.memoryUnchanged());
    });
  });

  describe(`pre-event buffer: the window's edge (${build})`, () => {
    it("expires only past the window (exactly the duration is inside), and a segment a cut has just parked if it is already outside", async () => {
      const s = await camera(build, preConfig(1_000_000n));
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 10); // segment 0 open, last frame at(9)
      // A keyframe 1.5 s after frame 9: the cut parks segment 0, already outside the window, and it expires in the same call.
      const t1 = at(9) + 1_500_000n;
      assert.equal(s.frame(t1, unit(10), true), OK);
      assert.deepEqual(events(s.h, 11), [[0, 10]]);
      assert.deepEqual(events(s.h, 12), [[0, 10]]);
      assert.equal(s.h.closeSegment(), OK); // segment 1: one frame, at t1
      assert.equal(s.frame(t1 + 1_000_000n, unit(20), true), OK);
      assert.deepEqual(events(s.h, 12), [[0, 10]], "exactly 1 s after its last frame: still inside");
      assert.equal(s.frame(t1 + 1_000_001n, unit(21), false), OK);
      assert.deepEqual(events(s.h, 12), [[0, 10], [1, 1]], "1 µs more: expired");
      assert.deepEqual(sequences(s.h.dropped), [0, 1]);
    });
  });

  describe(`pre-event buffer: trigger without expiry, and after everything expired (${build})`, () => {
    it("nothing expired: the first manifest has no pre-event flag and chains from zero; a trigger mid-frame leaves that frame whole", async () => {
      const s = await camera(build, preConfig(10_000_000n));
      trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 25);
      // Trigger between two pieces of frame 25.
      const bytes = unit(25, 4000);
      s.h.clock = at(25) + s.clockLead;
      assert.equal(s.h.begin(at(25), bytes.length, 0), OK);
      assert.equal(s.h.data(bytes.subarray(0, 1000)), OK);
      assert.equal(s.h.trigger(), OK);
      assert.equal(s.h.data(bytes.subarray(1000)), OK);
      assert.equal(s.h.end(), OK);
      s.frames.push({ number: 25n, time: at(25), key: false, sequence: s.openSequence(), bytes });
      assert.deepEqual(events(s.h, 10), [[0, 2]], "event 10: first kept frame 0, two segments kept");
      assert.equal(s.h.trigger(), E.ERR_STATE, "a second trigger");
      feed(s, 26, 45);
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify();
      assert.deepEqual(sequences(s.h.committed), [0, 1, 2, 3, 4]);
      assert.deepEqual(segs.map((g) => g.manifest.flags), [0, 0, 0, 0, 1]);
      assert.deepEqual(s.h.dropped, []);
      const r = await custody(s.h);
      assert.deepEqual(r.problems, []);
      assert.equal(r.pre_event_start, null);
      assert.equal(r.frames_verified, 45);
    });

    it("a trigger right at the start keeps nothing and the recording is ordinary from its first segment", async () => {
      const s = await camera(build, preConfig(1_000_000n));
      assert.equal(s.h.buffer(), OK);
      assert.equal(s.h.trigger(), OK);
      assert.deepEqual(events(s.h, 10), [[0, 0]]);
      feed(s, 0, 15);
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify();
      assert.deepEqual(segs.map((g) => g.manifest.flags), [0, 1]);
      assert.deepEqual(events(s.h, 11), [], "nothing parked after the trigger");
      assert.equal(s.h.calls.storage_park, 0);
    });

    it("after an expiry, a segment lost before the trigger is a loss: the next segment carries no pre-event start, and the verifier names the gap", async () => {
      const s = await camera(build, preConfig(1_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 10);
      assert.equal(s.h.closeSegment(), OK); // parks segment 0 (last frame at 0.9 s)
      assert.deepEqual(events(s.h, 11), [[0, 10]]);
      // 2.0 s: segment 0 is 1.1 s old and expires before segment 1 opens.
      assert.equal(s.frame(at(20), unit(20), true), OK);
      assert.deepEqual(events(s.h, 12), [[0, 10]]);
      // Storage fails inside the next frame: segment 1 aborted, nothing open, nothing parked.
      s.h.failAt("storage_append", 1);
      assert.equal(s.frame(at(21), new Rng(21).bytes(200_000), false), E.ERR_STORAGE);
      assert.deepEqual(sequences(s.h.aborted), [1]);
      for (const seq of [0, 1]) for (const k of segmentSecrets(keys.get(seq)!)) assert.deepEqual(s.h.find(k), [], `segment ${seq}`);
      assert.equal(s.h.trigger(), OK);
      assert.deepEqual(events(s.h, 10), [[11, 0]], "the first kept frame is the next one");
      for (let i = 21; i < 35; i++) assert.equal(s.frame(at(i), unit(i), i % 10 === 0), OK);
      assert.equal(s.h.stop(), OK);
      // Segment 2 began at 2.1 s: the keyframe at 3.0 s is short of 1 s, so it runs to the stop.
      assert.deepEqual(sequences(s.h.committed), [2]);
      // Segment 1 (frame 10, captured inside the window) was lost, not expired: the evidence does
      // not begin at segment 2 (review finding: the flag used to hide that loss).
      const manifest = manifestFromBlob(s.h.committed[0].manifest!);
      assert.equal(manifest.pre_event_start, false, "no pre-event start after a loss");
      assert.equal(manifest.final, true);
      const r = await custody(s.h);
      assert.equal(r.pre_event_start, null);
      assert.equal(r.intact, false);
      assert.ok(r.problems.some((p) => p.kind === "segment-gap"), r.problems.map((p) => `${p.kind}: ${p.message}`).join("; "));
    });
  });

  describe(`pre-event buffer: slots, states, failures (${build})`, () => {
    it("all 64 park slots in use: parking expires the oldest first", async () => {
      const s = await camera(build, preConfig(600_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      // One frame per segment, cut with segment_close: 66 segments parked.
      for (let i = 0; i < 66; i++) {
        assert.equal(s.frame(at(i), unit(i, 200), true), OK, `frame ${i}`);
        assert.equal(s.h.closeSegment(), OK);
      }
      assert.deepEqual(events(s.h, 12), [[0, 1], [1, 1]], "segments 0 and 1 expired to make room");
      assert.deepEqual(sequences(s.h.dropped), [0, 1]);
      assert.equal(s.h.parked.size, 64);
      for (const seq of [0, 1]) for (const k of segmentSecrets(keys.get(seq)!)) assert.deepEqual(s.h.find(k), [], `segment ${seq}`);
      for (const seq of [2, 65]) assert.equal(s.h.find(keys.get(seq)!.fileKey).length, 1, `segment ${seq} held`);
      assert.equal(s.h.trigger(), OK);
      assert.deepEqual(sequences(s.h.committed), Array.from({ length: 64 }, (_, j) => j + 2));
      assert.deepEqual(events(s.h, 10), [[2, 64]]);
      assert.equal(s.h.stop(), OK);
      await s.verify({ preEventStart: 2, final: false });
      for (const [seq, k] of keys) for (const secret of segmentSecrets(k)) assert.deepEqual(s.h.find(secret), [], `segment ${seq}`);
    });

    it("refuses a trigger when not buffering, twice, and from inside an import; recording_buffer in the wrong state", async () => {
      const s = await camera(build, preConfig(5_000_000n));
      assert.equal(s.h.trigger(), E.ERR_STATE, "not recording");
      assert.equal(s.h.start(), OK);
      assert.equal(s.h.trigger(), E.ERR_STATE, "an ordinary recording");
      assert.equal(s.h.buffer(), E.ERR_STATE, "already recording");
      feed(s, 0, 5);
      assert.equal(s.h.stop(), OK);
      assert.equal(s.h.trigger(), E.ERR_STATE, "stopped");
      assert.deepEqual(sequences(s.h.committed), [0]);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 12);
      // Re-entrancy: from inside an import both calls change nothing.
      const inner: number[] = [];
      s.h.onImport = (name) => {
        if (name === "storage_park") inner.push(s.h.trigger(), s.h.buffer());
      };
      assert.equal(s.h.closeSegment(), OK);
      assert.deepEqual(inner, [E.ERR_STATE, E.ERR_STATE]);
      s.h.onImport = undefined;
      assert.equal(s.h.parked.size, 2, "nothing was committed from inside the import");
      assert.equal(s.h.trigger(), OK);
      assert.equal(s.h.trigger(), E.ERR_STATE, "already triggered");
      assert.equal(s.h.stop(), OK);
      assert.deepEqual(sequences(s.h.committed.slice(1)), [0, 1], "the buffered recording's two parked segments");
    });

    it("an entropy failure at the trigger: ERR_ENTROPY, nothing committed, the draws wiped, the buffer runs on; a repeated trigger completes", async () => {
      const s = await camera(build, preConfig(10_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 35); // 0, 1, 2 parked; 3 open
      // The trigger draws everything before it commits anything: fail the
      // third draw (segment 0's two pass, segment 1's first fails).
      let drawn = s.h.draws.length;
      s.h.failAt("entropy", 3);
      assert.equal(s.h.trigger(), E.ERR_ENTROPY);
      const wasted = s.h.draws.slice(drawn);
      assert.equal(wasted.length, 2);
      for (const secret of wasted) assert.deepEqual(s.h.find(secret), [], "the draws of a failed trigger are wiped");
      assert.equal(s.h.committed.length, 0, "nothing committed");
      assert.equal(s.h.calls.storage_unpark, 0);
      assert.deepEqual([...s.h.parked.values()].map((p) => p.sequence), [0, 1, 2]);
      assert.deepEqual(events(s.h, 10), [], "not triggered");
      assert.ok(!audit(s.h).some((e) => e.kind === 6));
      for (const seq of [0, 1, 2, 3]) assert.equal(s.h.find(keys.get(seq)!.fileKey).length, 1, `segment ${seq}: key kept for the retry`);
      // Still buffering: more frames park more segments.
      feed(s, 35, 45); // 3 parked at frame 40; 4 open
      assert.deepEqual(events(s.h, 11).map(([seq]) => seq), [0, 1, 2, 3]);
      // Now the open segment's draw, the last, fails.
      drawn = s.h.draws.length;
      s.h.failAt("entropy", 9);
      assert.equal(s.h.trigger(), E.ERR_ENTROPY);
      assert.equal(s.h.draws.length - drawn, 8);
      for (const secret of s.h.draws.slice(drawn)) assert.deepEqual(s.h.find(secret), []);
      assert.equal(s.h.committed.length, 0);
      assert.equal(s.h.find(keys.get(4)!.fileKey).length, 1, "the open segment's key kept for the retry");
      drawn = s.h.draws.length;
      assert.equal(s.h.trigger(), OK);
      assert.equal(s.h.draws.length - drawn, 10, "32 bytes per recipient for 4 parked segments and the open one");
      assert.deepEqual(sequences(s.h.committed), [0, 1, 2, 3]);
      assert.deepEqual(events(s.h, 10), [[0, 4]]);
      feed(s, 45, 55);
      assert.equal(s.h.stop(), OK);
      assert.deepEqual(sequences(s.h.committed), [0, 1, 2, 3, 4, 5]);
      const segs = await s.verify();
      assert.deepEqual(segs.map((g) => g.manifest.flags), [0, 0, 0, 0, 0, 1]);
      for (const [seq, k] of keys) for (const secret of segmentSecrets(k)) assert.deepEqual(s.h.find(secret), [], `segment ${seq}`);
    });

    it("storage_unpark or storage_commit_parked failing: that segment dropped (event 4, audit kind 15), the next kept, the chain over it", async () => {
      const s = await camera(build, preConfig(10_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 45); // 0-3 parked, 4 open
      s.h.failAt("storage_unpark", 2); // segment 1
      s.h.failAt("storage_commit_parked", 2); // segment 2 (segment 1 never reaches it)
      assert.equal(s.h.trigger(), OK);
      assert.deepEqual(sequences(s.h.committed), [0, 3]);
      assert.deepEqual(sequences(s.h.dropped), [1, 2]);
      assert.deepEqual(events(s.h, 4), [[1, E.ERR_STORAGE], [2, E.ERR_STORAGE]]);
      assert.deepEqual(events(s.h, 10), [[0, 2]]);
      const aborted = audit(s.h).filter((e) => e.kind === 15);
      assert.deepEqual(aborted.map((e) => [Number(e.a), Number(e.b)]), [[1, E.ERR_STORAGE], [2, E.ERR_STORAGE]]);
      for (const seq of [1, 2]) for (const k of segmentSecrets(keys.get(seq)!)) assert.deepEqual(s.h.find(k), [], `segment ${seq}`);
      feed(s, 45, 55);
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify(); // previous hashes chain over 1 and 2
      assert.ok(segs[1].manifest.previous.equals(segs[0].manifest.hash));
      const r = await custody(s.h);
      assert.deepEqual(r.problems.map((p) => p.kind), ["segment-gap"], "the loss is named, nothing else");
    });

    it("a loss right after an expiry is a loss, not the pre-event start: no flag, and the verifier names the missing segments", async () => {
      // Review finding: the flag used to go on the next manifest committed after an expiry, so a host
      // that failed the first kept segments' commits could pass their loss off as the evidence's start.
      for (const lose of [2, 3]) {
        const s = await camera(build, preConfig(2_000_000n));
        assert.equal(s.h.buffer(), OK);
        feed(s, 0, 45); // 1 s segments, a 2 s window: 0 and 1 expire; 2 and 3 parked; 4 open
        assert.deepEqual(events(s.h, 12).map(([seq]) => seq), [0, 1]);
        // The host fails the first `lose` kept segments' commits (each call arms a failure of itself).
        let unparks = 0;
        s.h.onImport = (name) => {
          if (name === "storage_unpark" && ++unparks <= lose) s.h.failAt("storage_unpark", 1);
        };
        assert.equal(s.h.trigger(), OK);
        // Segment 4, open at the trigger, commits when it closes (frame 50): its unpark is the third.
        for (let i = 45; i < 60; i++) s.frame(at(i), unit(i), i % 10 === 0);
        s.h.onImport = undefined;
        assert.equal(s.h.stop(), OK);
        assert.deepEqual(sequences(s.h.dropped), lose === 2 ? [0, 1, 2, 3] : [0, 1, 2, 3, 4], "the expired and the lost");
        const manifests = s.h.committed.map((g) => manifestFromBlob(g.manifest!));
        assert.ok(manifests.every((m) => !m.pre_event_start), `losing ${lose}: no manifest carries the pre-event start (${manifests.map((m) => m.sequence)})`);
        const r = await custody(s.h);
        assert.equal(r.intact, false, `losing ${lose}: not intact`);
        assert.equal(r.pre_event_start, null);
      }
      // Without the loss the same recording begins at its pre-event start (the check above can fail).
      const s = await camera(build, preConfig(2_000_000n));
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 45);
      assert.equal(s.h.trigger(), OK);
      feed(s, 45, 60);
      assert.equal(s.h.stop(), OK);
      const r = await custody(s.h);
      assert.ok(r.intact && r.pre_event_start?.segment === 2, JSON.stringify(r.pre_event_start));
    });

    it("storage full while buffering: the open segment aborted, every parked one dropped, keys wiped, the recording ended", async () => {
      const s = await camera(build, preConfig(10_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 25); // 0, 1 parked; 2 open
      s.h.full = true;
      assert.equal(s.frame(at(25), new Rng(25).bytes(200_000), false), E.ERR_FULL);
      s.h.full = false;
      assert.deepEqual(sequences(s.h.aborted), [2]);
      assert.deepEqual(sequences(s.h.dropped), [0, 1]);
      assert.equal(s.h.parked.size, 0);
      assert.equal(s.h.committed.length, 0);
      assert.equal(s.h.trigger(), E.ERR_STATE, "the recording ended");
      for (const [seq, k] of keys) for (const secret of segmentSecrets(k)) assert.deepEqual(s.h.find(secret), [], `segment ${seq}`);
      assert.deepEqual(s.h.violations, []);
    });

    it("storage_park failing: the segment aborted, its key wiped; the segment open at the trigger dropped if its commit fails", async () => {
      const s = await camera(build, preConfig(10_000_000n));
      const keys = trackKeys(s.h);
      assert.equal(s.h.buffer(), OK);
      feed(s, 0, 10);
      s.h.failAt("storage_park", 1);
      assert.equal(s.frame(at(10), unit(10), true), E.ERR_STORAGE, "the cut before frame 10 fails to park segment 0");
      assert.deepEqual(sequences(s.h.aborted), [0]);
      assert.deepEqual(events(s.h, 4), [[0, E.ERR_STORAGE]]);
      for (const k of segmentSecrets(keys.get(0)!)) assert.deepEqual(s.h.find(k), []);
      feed(s, 10, 25); // 1 parked, 2 open
      assert.equal(s.h.trigger(), OK);
      assert.deepEqual(sequences(s.h.committed), [1]);
      s.h.failAt("storage_commit_parked", 1);
      assert.equal(s.frame(at(30), unit(30), true), E.ERR_STORAGE, "segment 2 (open at the trigger) fails to commit at its cut");
      assert.deepEqual(sequences(s.h.dropped), [2]);
      assert.deepEqual(events(s.h, 4).at(-1), [2, E.ERR_STORAGE]);
      feed(s, 30, 35);
      assert.equal(s.h.stop(), OK);
      assert.deepEqual(sequences(s.h.committed), [1, 3]);
      await s.verify();
      for (const [seq, k] of keys) for (const secret of segmentSecrets(k)) assert.deepEqual(s.h.find(secret), [], `segment ${seq}`);
      assert.deepEqual(s.h.violations, []);
    });
  });
}

describe("pre-event buffer: configuration", () => {
  const base = (preEventUs: bigint): CameraConfig => ({ seed: DEVICE_SEED, durationUs: 1_000_000n, sizeBytes: 1n << 20n, recipients: RECIPIENTS, preEventUs });

  async function configured(): Promise<CameraHarness> {
    const h = await CameraHarness.create("release");
    assert.equal(h.init(secureBlock(DEVICE_SEED)), OK);
    return h;
  }

  it("takes 0 and 1 s … 600 s; refuses anything else, and non-zero reserved bytes 112-127", async () => {
    const h = await configured();
    let serial = 1n;
    const apply = (c: CameraConfig, patch?: (b: Buffer) => void): number => h.configure(signedConfig({ ...c, serial: serial++ }, patch));
    for (const bad of [1n, 999_999n, 600_000_001n, 1n << 63n, (1n << 64n) - 1n]) {
      assert.equal(apply(base(bad)), E.ERR_CONFIG, `pre-event ${bad} µs`);
      assert.deepEqual(h.events.at(-1), [7, BigInt(E.ERR_CONFIG), serial - 1n], "event 7");
    }
    for (const at of [112, 119, 120, 127]) assert.equal(apply(base(0n), (b) => (b[at] = 1)), E.ERR_CONFIG, `reserved byte ${at}`);
    for (const good of [0n, 1_000_000n, 600_000_000n]) assert.equal(apply(base(good)), OK, `pre-event ${good} µs`);
  });

  it("recording_buffer needs a pre-event duration (ERR_CONFIG, nothing drawn); recording_start works either way and never parks", async () => {
    const h = await configured();
    assert.equal(h.configure(signedConfig({ ...base(0n), serial: 1n })), OK);
    const draws = h.draws.length;
    assert.equal(h.buffer(), E.ERR_CONFIG);
    assert.equal(h.draws.length, draws, "no entropy drawn");
    assert.equal(h.stop(), E.ERR_STATE, "not recording");
    assert.equal(h.configure(signedConfig({ ...base(2_000_000n), serial: 2n })), OK);
    const s = new Session(h);
    assert.equal(h.start(), OK);
    feed(s, 0, 45);
    assert.equal(h.stop(), OK);
    assert.equal(h.calls.storage_park, 0);
    assert.deepEqual(sequences(h.committed), [0, 1, 2, 3, 4]);
    await s.verify();
  });
});
