// The recorder (host/camera) over the module's camera ABI: the same injected
// entropy and clock give byte-identical segments from the SIMD and the scalar
// build; a frame larger than the I/O window arrives whole; a storage failure
// aborts the open segment (no file of it remains), is reported in one line
// with its cause, and recording goes on in a new segment; a frame out of time
// order is refused without harm. Segments are opened with typage (an age
// implementation that is not sealcam's).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { Recorder, seededEntropy, type CameraEvent } from "../host/camera/index.ts";
import { SegmentStore, type StoreStep } from "../host/store/index.ts";
import { parseManifest } from "../host/evidence/index.ts";
import { parseRecipient } from "../host/keys/index.ts";
import { MODULE_ERRORS, SealcamError, EXIT } from "../host/errors.ts";
import { TEST_BUILDS } from "./helpers/module.ts";
import type { Build } from "../host/engine/index.ts";

const T0 = 1_750_000_000_000_000;
const SEED = new Uint8Array(32).fill(0x5c);

/** Frames of pseudo-random bytes (the module never parses them): a keyframe every `gop`. */
function frames(count: number, sizes: (i: number) => number, gop = 30) {
  const next = seededEntropy("frames");
  return Array.from({ length: count }, (_, i) => {
    const bytes = new Uint8Array(sizes(i));
    next(bytes);
    return { bytes, keyframe: i % gop === 0, timeUs: T0 + Math.round((i * 1e6) / 30) };
  });
}

async function setup(build: Build, faults?: (step: StoreStep) => void) {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-recorder-"));
  const store = SegmentStore.open(dir, { faults });
  let now = BigInt(T0);
  const events: CameraEvent[] = [];
  const recorder = await Recorder.create({
    store, build, entropy: seededEntropy("recorder test"), clock: () => (now += 1000n), onEvent: (e) => events.push(e),
  });
  return { dir, store, recorder, events };
}

async function openSegments(dir: string, identity: string): Promise<Uint8Array[]> {
  const d = new Decrypter();
  d.addIdentity(identity);
  const names = readdirSync(dir).filter((f) => f.endsWith(".age")).sort();
  return Promise.all(names.map((f) => d.decrypt(readFileSync(join(dir, f)))));
}

/** The frames of one evidence stream (FORMAT.md: 128-byte header, 'F' entries, 'T' trailer). */
function streamFrames(plain: Uint8Array): Uint8Array[] {
  const b = Buffer.from(plain);
  const out: Uint8Array[] = [];
  let at = 128;
  while (b[at] === 0x46) {
    const n = Number(b.readBigUInt64LE(at + 1));
    out.push(b.subarray(at + 9, at + 9 + n));
    at += 9 + n + 176 + 64;
  }
  assert.equal(b[at], 0x54);
  return out;
}

describe("recorder", () => {
  it("a commit listener that throws does not turn a committed segment into an aborted one", async () => {
    const identity = await generateX25519Identity();
    const recipient = parseRecipient(await identityToRecipient(identity));
    const dir = mkdtempSync(join(tmpdir(), "sealcam-recorder-"));
    try {
      const events: CameraEvent[] = [];
      const recorder = await Recorder.create({
        store: SegmentStore.open(dir), entropy: seededEntropy("listener"), onEvent: (e) => events.push(e),
        onCommit: () => {
          throw new Error("a broken listener");
        },
      });
      recorder.configure({ deviceSeed: new Uint8Array(32).fill(4), recipients: [recipient], segmentSeconds: 1 });
      recorder.start();
      for (const f of frames(90, () => 2000)) recorder.frame(f);
      const summary = recorder.stop();
      assert.equal(summary.segments.length, 3);
      assert.equal(summary.aborted, 0);
      assert.deepEqual(events.filter((e) => e.kind === 4), [], "no segment aborted");
      assert.equal(readdirSync(dir).filter((f) => f.endsWith(".manifest.json")).length, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("same entropy and clock: byte-identical segments from every build; large frames arrive whole", async () => {
    const identity = await generateX25519Identity();
    const recipient = parseRecipient(await identityToRecipient(identity));
    // Sizes around the 64 KiB piece: below, exactly, above, several pieces.
    const input = frames(75, (i) => [1000, 65_536, 65_537, 200_003, 3][i % 5]);
    const outputs: Map<string, Buffer>[] = [];
    for (const build of TEST_BUILDS) {
      const { dir, recorder, events } = await setup(build);
      try {
        const pk = recorder.configure({ deviceSeed: SEED.slice(), recipients: [recipient], segmentSeconds: 1 });
        assert.equal(pk.length, 32);
        const id = recorder.start();
        for (const f of input) recorder.frame(f);
        const summary = recorder.stop();
        assert.equal(summary.recording, Buffer.from(id).toString("hex"));
        assert.equal(summary.frames, 75);
        assert.equal(summary.segments.length, 3, "1 s segments at keyframes 0, 30, 60");
        assert.equal(summary.frameBytes, input.reduce((n, f) => n + f.bytes.length, 0));
        assert.deepEqual(events.map((e) => e.kind), [6, 1, 2, 3, 2, 3, 2, 3, 5]);
        const files = new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));
        outputs.push(files);
        const got = (await openSegments(dir, identity)).flatMap(streamFrames);
        assert.equal(got.length, input.length);
        got.forEach((g, i) => assert.ok(Buffer.from(g).equals(input[i].bytes), `${build}: frame ${i} whole`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const [first, ...rest] = outputs;
    for (const other of rest) {
      assert.deepEqual([...other.keys()], [...first.keys()]);
      for (const [name, bytes] of first) assert.ok(other.get(name)!.equals(bytes), `${name} identical across builds`);
    }
  });

  it("a storage failure aborts the open segment, names its cause, and recording continues", async () => {
    const identity = await generateX25519Identity();
    const recipient = parseRecipient(await identityToRecipient(identity));
    let appends = 0;
    let failAt = -1;
    const { dir, store, recorder, events } = await setup("release", (step) => {
      if (step === "append" && appends++ === failAt) throw Object.assign(new Error("disk gone"), { code: "EIO" });
    });
    try {
      recorder.configure({ deviceSeed: SEED.slice(), recipients: [recipient], segmentSeconds: 1 });
      recorder.start();
      const input = frames(90, () => 40_000);
      for (const f of input.slice(0, 40)) recorder.frame(f);
      failAt = appends + 3; // inside segment 1 (it opened at frame 30)
      let failed = -1;
      for (let i = 40; i < 90; i++) {
        try {
          recorder.frame(input[i]);
        } catch (e) {
          assert.ok(e instanceof SealcamError);
          assert.equal(e.moduleCode, MODULE_ERRORS.ERR_STORAGE.code);
          assert.equal(e.exitCode, EXIT.USAGE);
          assert.match(e.message, /^frame \d+: storage: cannot write [0-9a-f]{32}-000001\.age\.partial: input\/output error \(EIO\)$/);
          assert.ok(!store.isOpen, "segment aborted");
          assert.ok(!readdirSync(dir).some((f) => f.includes("000001")), "nothing of segment 1 remains");
          failed = i;
        }
      }
      assert.ok(failed > 40, "the failure happened");
      const summary = recorder.stop();
      assert.equal(summary.aborted, 1);
      assert.ok(events.some((e) => e.kind === 4 && e.a === 1 && e.b === MODULE_ERRORS.ERR_STORAGE.code), "segment-aborted event");
      assert.ok(!readdirSync(dir).some((f) => f.endsWith(".partial")));
      const manifests = store.segments().map((n) => parseManifest(readFileSync(join(dir, `${n}.manifest.json`), "utf8")));
      assert.equal(manifests[0].sequence, 0);
      assert.ok(manifests.length >= 2, "recording went on in a new segment");
      assert.ok(manifests.at(-1)!.final);
      const recorded = manifests.reduce((n, m) => n + m.frame_count, 0);
      assert.ok(recorded < summary.frames, "the lost frames show as a gap");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a frame earlier than the previous one is refused with nothing written; a misuse is one line", async () => {
    const identity = await generateX25519Identity();
    const recipient = parseRecipient(await identityToRecipient(identity));
    const { dir, recorder } = await setup("release");
    try {
      assert.throws(() => recorder.start(), /start: the camera is not configured/);
      assert.throws(() => recorder.configure({ deviceSeed: SEED.slice(), recipients: [], segmentSeconds: 4 }), /between 1 and 8 recipients/);
      recorder.configure({ deviceSeed: SEED.slice(), recipients: [recipient], segmentSeconds: 4 });
      recorder.start();
      const [a, b] = frames(2, () => 500);
      recorder.frame(b);
      assert.throws(() => recorder.frame(a), (e: unknown) =>
        e instanceof SealcamError && e.exitCode === EXIT.USAGE && e.moduleCode === MODULE_ERRORS.ERR_FRAME_ORDER.code && /^frame 1: /.test(e.message));
      assert.equal(recorder.framesRecorded(), 1);
      recorder.frame({ ...b, keyframe: false });
      const s = recorder.stop();
      assert.equal(s.frames, 2);
      assert.equal(s.segments.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
