// The capture pipeline benchmark: synthetic 1080p- and 4K-sized frame
// streams through the recorder (copy into the module, SHA-512 frame hash,
// Ed25519 record signature, age STREAM encryption, manifest signing), into a
// memory sink that hashes and counts what it is given (the host's SHA-256 of
// each .age file included, on a second thread as a camera's hash engine
// would compute it). Figures are frames per second and MB/s of frame
// bytes, medians over interleaved rounds.
import { Recorder } from "../camera/index.ts";
import { MemorySink } from "../store/index.ts";
import { median } from "./stats.ts";

export interface StreamProfile {
  name: string;
  /** Bytes of a keyframe (IDR access unit) and of every other frame. */
  keyframeBytes: number;
  frameBytes: number;
  fps: number;
  /** A keyframe every `gop` frames. */
  gop: number;
}

/** Sizes of typical body-worn camera streams (H.264, one IDR per second). */
export const PROFILES: StreamProfile[] = [
  { name: "1080p30 (IDR 400 KB, P 60 KB)", keyframeBytes: 400_000, frameBytes: 60_000, fps: 30, gop: 30 },
  { name: "4K30 (IDR 1.5 MB, P 250 KB)", keyframeBytes: 1_500_000, frameBytes: 250_000, fps: 30, gop: 30 },
];

export interface PipelineResult {
  profile: StreamProfile;
  framesPerSecond: number;
  megabytesPerSecond: number;
  /** How many times faster than real time (the camera's frame rate). */
  realTime: number;
}

function frames(profile: StreamProfile, seconds: number): Uint8Array[] {
  // Random-looking bytes (their content does not change the cost); the
  // buffers are shared between frames of the same kind.
  const key = new Uint8Array(profile.keyframeBytes).map((_, i) => (i * 2654435761) >>> 24);
  const other = new Uint8Array(profile.frameBytes).map((_, i) => (i * 40503) >>> 8);
  return Array.from({ length: seconds * profile.fps }, (_, i) => (i % profile.gop === 0 ? key : other));
}

/** Records `seconds` of the profile per round; returns medians over `rounds`. */
export async function measurePipeline(profile: StreamProfile, options: { seconds: number; rounds: number }): Promise<PipelineResult> {
  const sink = new MemorySink();
  let clock = 1_800_000_000_000_000n;
  const recorder = await Recorder.create({ store: sink, clock: () => (clock += 1000n) });
  const seed = new Uint8Array(32).fill(7);
  const recipient = new Uint8Array(32).fill(9);
  recorder.configure({ deviceSeed: seed, recipients: [recipient], segmentSeconds: 10 });
  const stream = frames(profile, options.seconds);
  const bytes = stream.reduce((n, f) => n + f.length, 0);
  const perFrameUs = 1e6 / profile.fps;
  const run = () => {
    recorder.start();
    const t0 = performance.now();
    stream.forEach((f, i) => recorder.frame({ bytes: f, keyframe: i % profile.gop === 0, timeUs: Math.round(i * perFrameUs) }));
    recorder.stop();
    return (performance.now() - t0) / 1000;
  };
  run(); // warm-up: lets V8 tier the module up
  const seconds = median(Array.from({ length: options.rounds }, run));
  sink.close();
  const framesPerSecond = stream.length / seconds;
  return { profile, framesPerSecond, megabytesPerSecond: bytes / seconds / 1e6, realTime: framesPerSecond / profile.fps };
}
