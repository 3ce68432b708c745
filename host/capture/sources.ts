// Where frames come from: a recorded H.264 file, stdin (a camera encoder's
// pipe), a live ffmpeg test pattern, or the committed fixture. Each source is
// an async iterable of access units with a capture time.
//
// Capture times are assigned from the frame rate, never read from a clock:
// timeUs = startTimeUs + round(index * 1e6 / fps), whole microseconds. A raw
// Annex B stream carries no timestamps we trust, and a constant-rate sensor
// is what a body-worn camera has; deriving times from the index keeps them
// reproducible and makes a dropped frame visible as a gap in indices, not a
// jitter in times. The caller passes the start (default 0: times relative
// to the first frame).
import { spawn } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SealcamError, EXIT } from "../errors.ts";
import { splitAnnexB, type AccessUnit } from "./annexb.ts";

/** An access unit with its capture time. */
export interface TimedAccessUnit extends AccessUnit {
  /** Capture time in whole microseconds (see startTimeUs). */
  readonly timeUs: number;
}

export type SourceKind = "file" | "stdin" | "ffmpeg" | "fixture";

export interface SourceOptions {
  kind: SourceKind;
  /** file: the .h264 file to read. */
  path?: string;
  /** ffmpeg: picture size (even, 16..4096; default 640x360). */
  width?: number;
  height?: number;
  /** Frames per second: required for file and stdin; ffmpeg default 30; the fixture's is 30. */
  fps?: number;
  /** ffmpeg: length of the test pattern (default 10). */
  seconds?: number;
  /** Capture time of frame 0, in microseconds (default 0). */
  startTimeUs?: number;
  /** Largest access unit accepted (default 64 MiB). */
  maxAccessUnitBytes?: number;
}

/** An opened source: read it once with for await. */
export interface CaptureSource extends AsyncIterable<TimedAccessUnit> {
  readonly kind: SourceKind;
  readonly fps: number;
  /** What it reads, for messages ("file x.h264", "ffmpeg testsrc2 640x360 30 fps 10 s"). */
  readonly label: string;
}

/** The committed H.264 fixture (made by scripts/make-fixture.sh; fixtures/README.md). */
export const FIXTURE = {
  path: fileURLToPath(new URL("../../fixtures/testsrc-12s.h264", import.meta.url)),
  width: 640,
  height: 360,
  fps: 30,
  seconds: 12,
  frames: 360,
  keyframes: 12,
  bytes: 707_717,
  sha256: "023aef8864bf5d99c935d4849c145dfdc17bcdd8f9c52e8bfca1d3d2b5bb3be3",
} as const;

const OPTIONS_FOR: Record<SourceKind, readonly string[]> = {
  file: ["path", "fps"],
  stdin: ["fps"],
  ffmpeg: ["width", "height", "fps", "seconds"],
  fixture: [],
};

/** Opens a source. Bad options throw here (EXIT.USAGE); read errors come while iterating. */
export function openSource(options: SourceOptions): CaptureSource {
  const { kind } = options;
  if (!(kind in OPTIONS_FOR)) throw usage(`unknown source kind '${kind}' (file, stdin, ffmpeg or fixture)`);
  for (const name of ["path", "width", "height", "fps", "seconds"] as const) {
    if (options[name] !== undefined && !OPTIONS_FOR[kind].includes(name)) throw usage(`${name} does not apply to ${kind} sources`);
  }
  const start = options.startTimeUs ?? 0;
  if (!Number.isSafeInteger(start)) throw usage(`startTimeUs must be a whole number of microseconds, not ${start}`);
  const split = { maxAccessUnitBytes: options.maxAccessUnitBytes };

  let fps: number;
  let label: string;
  let chunks: () => AsyncIterable<Uint8Array>;
  if (kind === "ffmpeg") {
    const width = whole("width", options.width ?? 640, 16, 4096, true);
    const height = whole("height", options.height ?? 360, 16, 4096, true);
    fps = whole("fps", options.fps ?? 30, 1, 240, false);
    const seconds = options.seconds ?? 10;
    if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 86_400)) throw usage(`seconds must be more than 0 and at most 86400, not ${seconds}`);
    label = `ffmpeg testsrc2 ${width}x${height} ${fps} fps ${seconds} s`;
    chunks = () => runFfmpeg(ffmpegArgs(width, height, fps, seconds));
  } else if (kind === "fixture") {
    fps = FIXTURE.fps;
    label = `fixture ${FIXTURE.path}`;
    chunks = async function* () {
      if (!existsSync(FIXTURE.path)) throw new SealcamError(`fixture missing: ${FIXTURE.path} (run scripts/make-fixture.sh)`, EXIT.SETUP);
      yield* readFile(FIXTURE.path);
    };
  } else {
    if (options.fps === undefined) throw usage(`a ${kind} source needs fps: raw H.264 carries no frame rate sealcam trusts`);
    fps = options.fps;
    if (!(Number.isFinite(fps) && fps > 0 && fps <= 1000)) throw usage(`fps must be more than 0 and at most 1000, not ${fps}`);
    if (kind === "file") {
      const path = options.path;
      if (!path) throw usage("a file source needs a path");
      label = `file ${path}`;
      chunks = () => readFile(path);
    } else {
      label = "stdin";
      chunks = () => process.stdin;
    }
  }

  let opened = false;
  return {
    kind,
    fps,
    label,
    [Symbol.asyncIterator]() {
      if (opened) throw new SealcamError(`capture source (${label}) can be read only once`, EXIT.INTERNAL);
      opened = true;
      return timed(splitAnnexB(chunks(), split), start, fps);
    },
  };
}

/** The ffmpeg command line for a testsrc2 pattern encoded as a camera would: IDR every second, no B-frames. */
export function ffmpegArgs(width: number, height: number, fps: number, seconds: number): string[] {
  // -keyint_min and -sc_threshold 0 pin keyframes to exactly one a second (no scene-cut extras).
  return [
    "-hide_banner", "-loglevel", "error", "-nostdin",
    "-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}`, "-t", String(seconds),
    "-c:v", "libx264", "-preset", "veryfast", "-g", String(fps), "-keyint_min", String(fps), "-sc_threshold", "0",
    "-bf", "0", "-pix_fmt", "yuv420p", "-f", "h264", "-",
  ];
}

async function* timed(units: AsyncIterable<AccessUnit>, startTimeUs: number, fps: number): AsyncGenerator<TimedAccessUnit> {
  for await (const unit of units) yield { ...unit, timeUs: startTimeUs + Math.round((unit.index * 1_000_000) / fps) };
}

async function* readFile(path: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw usage(`cannot read ${path}: ${why}`);
  }
}

// Runs ffmpeg and yields its stdout. If the consumer stops early (or the
// splitter rejects the stream) the child is killed and reaped before this
// returns; a failed ffmpeg is reported with the last line it wrote to stderr.
async function* runFfmpeg(args: string[]): AsyncGenerator<Uint8Array> {
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    stderr = (stderr + text).slice(-4096);
  });
  const exited = new Promise<{ code: number | null; signal: string | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  });

  let complete = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    complete = true;
  } finally {
    if (!complete) {
      child.kill("SIGKILL");
      await exited;
    }
  }
  const status = await exited;
  if (status.error) {
    if (status.error.code === "ENOENT") throw new SealcamError("ffmpeg is not installed (the ffmpeg source needs it: apt-get install ffmpeg)", EXIT.SETUP);
    throw new SealcamError(`cannot run ffmpeg: ${status.error.message}`, EXIT.SETUP);
  }
  if (status.code !== 0) {
    const last = stderr.trim().split("\n").pop()?.trim() || "no message";
    const how = status.code === null ? `signal ${status.signal}` : `exit code ${status.code}`;
    throw new SealcamError(`ffmpeg failed (${how}): ${last}`, EXIT.SETUP);
  }
}

function whole(name: string, n: number, min: number, max: number, even: boolean): number {
  if (!Number.isInteger(n) || n < min || n > max || (even && n % 2 !== 0)) {
    throw usage(`${name} must be ${even ? "an even" : "a"} whole number from ${min} to ${max}, not ${n}`);
  }
  return n;
}

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}
