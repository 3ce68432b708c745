// The capture pipeline inside the module (docs/ABI.md "The camera"), driven
// through its exports by the test harness (tests/helpers/camera.ts): every
// committed segment decrypts with typage and the age CLI under each of two
// identities, its evidence stream parses per FORMAT.md, the frames equal the
// input, every signature verifies and the chains hold across segments;
// segments are cut before keyframes at the limits; output is byte-identical
// for the same seed and clock on both builds. Failure paths are in
// camera-module-failures.test.ts.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { Build } from "../host/engine/index.ts";
import { splitAnnexB, FIXTURE } from "../host/capture/index.ts";
import { OK, KIB } from "./helpers/camera.ts";
import { haveAgeCli, decryptAgeCli, sha256 } from "./helpers/evidence.ts";
import { Session, DEVICE_SEED, FORCE, camera, config, openingSecrets, type CheckedSegment } from "./helpers/recording.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { Rng } from "./helpers/random.ts";

const BUILDS: Build[] = ["release", "scalar"];
const T0 = 1_700_000_000_000_000n;
const CLI = haveAgeCli();
const CLI_SKIP = CLI ? false : REQUIRE_ALL ? false : "the age CLI is not installed (apt install age)";

interface InputFrame { time: bigint; bytes: Uint8Array; key: boolean }

/**
 * Synthetic frames at ~30 fps (33 333 µs), a keyframe every 30th: random
 * bytes, keyframes larger, and a few sizes on the 64 KiB chunk boundaries.
 */
function synthetic(count: number, seed: number): InputFrame[] {
  const rng = new Rng(seed);
  const special: Record<number, number> = { 1: 1, 2: 65536, 3: 65536 - 9, 4: 2 * 65536 - 249, 5: 3 * 65536 + 17 };
  return Array.from({ length: count }, (_, i) => {
    const key = i % 30 === 0;
    const size = special[i] ?? (key ? 40_000 + rng.int(110_000) : 1 + rng.int(30_000));
    return { time: T0 + BigInt(i) * 33_333n, bytes: rng.bytes(size), key };
  });
}

/** Feeds frames, varying the piece size the host uses; every frame must be accepted. */
function feed(s: Session, frames: InputFrame[]): void {
  frames.forEach((f, i) => {
    const piece = i % 7 === 0 ? 1000 : i % 11 === 0 ? 4097 : 64 * KIB;
    assert.equal(s.frame(f.time, f.bytes, f.key, piece), OK, `frame ${i}`);
  });
}

const firstFrames = (segs: CheckedSegment[]): number[] => segs.map((g) => Number(g.stream.header.firstFrame));
const allFrames = (segs: CheckedSegment[]): Buffer => Buffer.concat(segs.flatMap((g) => g.stream.frames.map((f) => f.bytes)));

for (const build of BUILDS) {
  describe(`camera pipeline: synthetic recording (${build})`, () => {
    let s: Session;
    let input: InputFrame[];
    let segs: CheckedSegment[];
    const STOP_CLOCK = T0 + 9_000_000n;

    before(async () => {
      s = await camera(build);
      input = synthetic(200, 1);
      assert.equal(s.h.start(), OK);
      feed(s, input);
      s.h.clock = STOP_CLOCK;
      assert.equal(s.h.stop(), OK);
      segs = await s.verify();
    });

    it("every segment decrypts under each identity alone (typage), parses, and every record, trailer and manifest verifies", () => {
      assert.equal(segs.length, 3);
      assert.equal(s.h.aborted.length, 0);
      assert.ok(allFrames(segs).equals(Buffer.concat(input.map((f) => f.bytes))), "frames concatenated = input");
      assert.equal(s.h.framesRecorded(), 200n);
    });

    it("decrypts with the age CLI under each identity", { skip: CLI_SKIP }, () => {
      assert.ok(CLI, "SEALCAM_REQUIRE_ALL=1 but the age CLI is missing");
      for (const [i, seg] of s.h.committed.entries()) {
        for (const id of FORCE) assert.ok(decryptAgeCli(seg.age, id).equals(Buffer.from(segs[i].plain)), `segment ${i}`);
      }
    });

    it("cuts before the first keyframe at or past the duration (2 s): frames 0, 90, 180", () => {
      // 60 × 33 333 µs = 1.99998 s is short of 2 s: the cut waits for frame 90.
      assert.deepEqual(firstFrames(segs), [0, 90, 180]);
      for (const g of segs) assert.equal(g.stream.frames[0].flags, 1, "every segment starts with a keyframe");
      assert.deepEqual(segs.map((g) => g.sequence), [0, 1, 2]);
    });

    it("takes open and close times from the clock import", () => {
      const lead = s.clockLead;
      segs.forEach((g, i) => {
        assert.equal(g.stream.header.openTime, input[firstFrames(segs)[i]].time + lead);
        const close = i + 1 < segs.length ? input[firstFrames(segs)[i + 1]].time + lead : STOP_CLOCK;
        assert.equal(g.stream.trailer.closeTime, close);
      });
    });

    it("reports the documented events", () => {
      const ev = s.h.events.map(([k, a, b]) => [k, Number(a), Number(b)]);
      // 6: the configuration accepted (serial 1, 2 recipients), then the recording.
      assert.deepEqual(ev, [[6, 1, 2], [1, 0, 0], [2, 0, 0], [3, 0, 90], [2, 1, 90], [3, 1, 90], [2, 2, 180], [3, 2, 20], [5, 200, 0]]);
    });

    it("leaves no file key, ephemeral secret, shared secret, wrap key or payload key in memory", () => {
      const groups = openingSecrets(s.h.draws);
      assert.equal(groups.length, 3);
      for (const secrets of groups) for (const k of secrets) assert.deepEqual(s.h.find(k), [], `secret ${k.toString("hex")} still in memory`);
      assert.deepEqual(s.h.find(DEVICE_SEED).length, 1, "the seed lives once, in the module's secret key (the config block was wiped)");
      assert.ok(s.h.memoryUnchanged(), "module memory changed size");
    });
  });

  describe(`camera pipeline: cuts (${build})`, () => {
    it("cuts when the duration is exactly reached (≥), at the size limit, and on segment_close", async () => {
      // 10 fps, keyframe every 10th frame (1 s), duration 2 s: frame 20 is exactly 2 s after frame 0.
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      for (let i = 0; i < 45; i++) assert.equal(s.frame(T0 + BigInt(i) * 100_000n, new Uint8Array(1000).fill(i), i % 10 === 0), OK);
      // segment_close cuts anywhere (not final); the next frame, not a keyframe, opens a segment.
      assert.equal(s.h.closeSegment(), OK);
      assert.equal(s.h.closeSegment(), OK, "nothing open: OK");
      assert.equal(s.frame(T0 + 4_500_000n, new Uint8Array(10), false), OK);
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify();
      assert.deepEqual(firstFrames(segs), [0, 20, 40, 45]);
      assert.deepEqual(segs.map((g) => g.stream.trailer.flags), [0, 0, 0, 1]);
    });

    it("cuts before the first keyframe once the plaintext holds the size limit", async () => {
      const limit = 4 * 65536;
      const s = await camera(build, config({ durationUs: 3_600_000_000n, sizeBytes: BigInt(limit) }));
      assert.equal(s.h.start(), OK);
      const n = 20_000;
      for (let i = 0; i < 50; i++) assert.equal(s.frame(T0 + BigInt(i) * 33_333n, new Rng(i).bytes(n), i % 5 === 0), OK);
      assert.equal(s.h.stop(), OK);
      // Plaintext before frame i of a segment starting at f: 128 + (i − f)(9 + n + 240) (FORMAT.md).
      const expected = [0];
      for (let i = 1; i < 50; i++) if (i % 5 === 0 && 128 + (i - expected.at(-1)!) * (9 + n + 240) >= limit) expected.push(i);
      assert.deepEqual(expected, [0, 15, 30, 45]);
      const segs = await s.verify();
      assert.deepEqual(firstFrames(segs), expected);
      for (const g of segs.slice(0, -1)) assert.ok(g.plain.length >= limit);
    });
  });

  describe(`camera pipeline: H.264 fixture (${build})`, () => {
    it("records the fixture's access units into segments whose frames are the file exactly", async () => {
      const file = readFileSync(FIXTURE.path);
      const units = [];
      for await (const au of splitAnnexB([file])) units.push(au);
      assert.equal(units.length, FIXTURE.frames);
      const s = await camera(build, config({ durationUs: 4_000_000n }));
      assert.equal(s.h.start(), OK);
      // 30 fps exactly: frame 120 is 4 s after frame 0.
      units.forEach((au, i) => assert.equal(s.frame(T0 + (BigInt(i) * 1_000_000n) / 30n, au.bytes, au.keyframe), OK));
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify({ cli: CLI });
      assert.deepEqual(firstFrames(segs), [0, 120, 240]);
      assert.ok(allFrames(segs).equals(file), "frames concatenated = the .h264 file");
      assert.equal(sha256(allFrames(segs)).toString("hex"), FIXTURE.sha256);
      assert.ok(s.h.memoryUnchanged());
    });
  });
}

describe("camera pipeline: reproducible output", () => {
  /** Everything a run produced: segments, manifests, events, as one digest list. */
  async function run(build: Build): Promise<string[]> {
    const s = await camera(build, config(), "reproducibility seed");
    assert.equal(s.h.start(), OK);
    feed(s, synthetic(100, 7));
    s.h.clock = T0 + 5_000_000n;
    assert.equal(s.h.stop(), OK);
    assert.ok(s.h.memoryUnchanged());
    return [
      ...s.h.committed.flatMap((g) => [g.recording, String(g.sequence), sha256(g.age).toString("hex"), Buffer.from(g.manifest!).toString("hex")]),
      JSON.stringify(s.h.events.map((e) => e.map(String))),
    ];
  }

  it("is byte-identical for the same seed and clock: twice on release, and on scalar", async () => {
    const a = await run("release");
    assert.ok(a.length > 8);
    assert.deepEqual(await run("release"), a, "release twice");
    assert.deepEqual(await run("scalar"), a, "release vs scalar");
  });
});
