// A whole shift through one module instance: 4K-sized frames (an IDR of
// 1 MB every second) at 30 fps for the equivalent of 12 hours under
// SEALCAM_REQUIRE_ALL=1 (CI), 10 minutes otherwise. The module's memory must
// stay exactly as it was instantiated, whatever the frame size and however
// long the recording, and every segment must still be committed with a
// consistent manifest chain. (Speed is the benchmark's business, not this
// test's.)
import { it } from "node:test";
import assert from "node:assert/strict";
import { Recorder } from "../host/camera/index.ts";
import { MemorySink } from "../host/store/index.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";

const FPS = 30;
const SHIFT_SECONDS = Number(process.env.SEALCAM_SHIFT_SECONDS ?? (REQUIRE_ALL ? 12 * 3600 : 600));
const IDR_BYTES = 1 << 20; // 1 MiB: a 4K keyframe
const P_BYTES = 20_000; // a low-motion 4K P-frame
const SEGMENT_SECONDS = 60;

it(`records a ${SHIFT_SECONDS / 3600} h shift of 4K-sized frames in constant module memory`, { timeout: 3_600_000 }, async () => {
  const sink = new MemorySink();
  let clock = 1_800_000_000_000_000n;
  const recorder = await Recorder.create({ store: sink, clock: () => (clock += 1n) });
  const memory = recorder.instance.memory;
  const pages = memory.buffer.byteLength / 65536;
  assert.ok(pages <= 8, `${pages} pages`);
  recorder.configure({ deviceSeed: new Uint8Array(32).fill(1), recipients: [new Uint8Array(32).fill(9)], segmentSeconds: SEGMENT_SECONDS });

  const idr = new Uint8Array(IDR_BYTES).map((_, i) => (i * 2654435761) >>> 24);
  const p = new Uint8Array(P_BYTES).map((_, i) => (i * 40503) >>> 8);
  const frames = SHIFT_SECONDS * FPS;
  let bytes = 0;
  recorder.start();
  for (let n = 0; n < frames; n++) {
    const keyframe = n % FPS === 0;
    recorder.frame({ bytes: keyframe ? idr : p, keyframe, timeUs: Math.round((n * 1e6) / FPS) });
    bytes += keyframe ? IDR_BYTES : P_BYTES;
    if (n % (FPS * 3600) === 0) assert.equal(memory.buffer.byteLength, pages * 65536, `memory changed by frame ${n}`);
  }
  const summary = recorder.stop();

  assert.equal(memory.buffer.byteLength, pages * 65536, "module memory changed size");
  assert.equal(summary.frames, frames);
  assert.equal(summary.frameBytes, bytes);
  assert.equal(sink.aborts, 0);
  const segments = sink.committed.map((s) => s.manifest);
  assert.equal(segments.length, Math.ceil(SHIFT_SECONDS / SEGMENT_SECONDS));
  let next = 0;
  segments.forEach((m, i) => {
    assert.equal(m.sequence, i);
    assert.equal(m.first_frame, next, `segment ${i} starts where the previous ended`);
    assert.equal(m.final, i === segments.length - 1);
    if (i > 0) assert.equal(m.previous_manifest, Buffer.from(sink.committed[i - 1].manifestHash).toString("hex"));
    next += m.frame_count;
  });
  assert.equal(next, frames);
});
