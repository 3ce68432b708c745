// Taking frames out of verified evidence: the H.264 stream (`sealcam
// decrypt`) and clips (`sealcam export`, docs/FORMAT.md "The clip evidence
// file").
//
// Frames leave only once verified. The first pass verifies everything the
// inputs hold and indexes the chosen recording's frames (number, capture
// time, keyframe, segment, verdict: 24 bytes a frame, so a 12-hour shift at
// 30 fps costs 31 MB); the range is resolved against that index and refused
// if any frame in it, or any segment holding one, has a problem. The second
// pass reads only the segments that hold the range, checks their frames
// again as they stream (the files could change between passes) and writes
// them; a frame that does not check out then discards the output.
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { SealcamError, EXIT } from "../errors.ts";
import { verifyPaths, type VerifyOptions, type FrameSink } from "./verify.ts";
import {
  CLIP_MAGIC, HEADER_BYTES, ENTRY_FRAME, ENTRY_END, END_ENTRY_BYTES, type CheckedFrame,
} from "./stream.ts";
import type { VerifyReport, Problem } from "./model.ts";

/** Per-frame facts from the first pass, in stream order. */
export class FrameIndex {
  count = 0;
  numbers = new Float64Array(1024);
  times = new Float64Array(1024);
  sequences = new Uint32Array(1024);
  flags = new Uint8Array(1024); // bit 0 keyframe, bit 1 ok

  add(f: CheckedFrame): void {
    if (this.count === this.numbers.length) {
      const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as { new (n: number): T })(a.length * 2);
        b.set(a);
        return b;
      };
      this.numbers = grow(this.numbers);
      this.times = grow(this.times);
      this.sequences = grow(this.sequences);
      this.flags = grow(this.flags);
    }
    const i = this.count++;
    this.numbers[i] = f.number;
    this.times[i] = f.timeUs;
    this.sequences[i] = f.sequence;
    this.flags[i] = (f.keyframe ? 1 : 0) | (f.ok ? 2 : 0);
  }
}

/** A frame range the user asked for, resolved to frame numbers. */
export interface FrameRange {
  first: number;
  last: number;
}

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

/**
 * Parses a --from/--to value: a frame number (`120`), seconds from the
 * recording's first frame (`4s`, `4.5s`), an offset `[h:]mm:ss[.fff]`, or an
 * ISO 8601 UTC time (`2026-11-27T10:00:04.5Z`) of capture.
 */
export function parseRangeBound(option: string, text: string): { frame: number } | { offsetUs: number } | { timeUs: number } {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw usage(`${option} ${text}: frame number too large`);
    return { frame: n };
  }
  let m = /^([0-9]+(?:\.[0-9]+)?)s$/.exec(text);
  if (m) return { offsetUs: Math.round(Number(m[1]) * 1e6) };
  m = /^(?:([0-9]+):)?([0-9]{1,2}):([0-9]{2}(?:\.[0-9]+)?)$/.exec(text);
  if (m) {
    const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    if (Number(m[3]) >= 60 || (m[1] !== undefined && Number(m[2]) >= 60)) throw usage(`${option} ${text}: minutes and seconds must be below 60`);
    return { offsetUs: Math.round(seconds * 1e6) };
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw usage(`${option} ${text}: not a valid time`);
    const frac = /\.(\d+)Z$/.exec(text)?.[1] ?? "";
    const us = Math.floor(ms / 1000) * 1_000_000 + Math.round(Number(`0.${frac || "0"}`) * 1e6);
    return { timeUs: us };
  }
  throw usage(`${option} must be a frame number, seconds from the start (4.5s), an offset (mm:ss[.fff]) or a UTC time (…T10:00:04Z), not '${text}'`);
}

/** Resolves --from/--to against the index (from: first frame at or after; to: last frame at or before). */
export function resolveRange(index: FrameIndex, from: string | undefined, to: string | undefined): FrameRange {
  if (index.count === 0) throw new SealcamError("no frames could be read from the inputs", EXIT.EVIDENCE);
  const firstNumber = index.numbers[0];
  const lastNumber = index.numbers[index.count - 1];
  const start = index.times[0];
  const at = (option: string, text: string, isFrom: boolean): number => {
    const b = parseRangeBound(option, text);
    if ("frame" in b) {
      if (b.frame < firstNumber || b.frame > lastNumber) throw usage(`${option} ${text}: the recording holds frames ${firstNumber}–${lastNumber}`);
      return b.frame;
    }
    const t = "offsetUs" in b ? start + b.offsetUs : b.timeUs;
    if (isFrom) {
      for (let i = 0; i < index.count; i++) if (index.times[i] >= t) return index.numbers[i];
    } else {
      for (let i = index.count - 1; i >= 0; i--) if (index.times[i] <= t) return index.numbers[i];
    }
    throw usage(`${option} ${text}: no frame was captured ${isFrom ? "at or after" : "at or before"} that time`);
  };
  const first = from === undefined ? firstNumber : at("--from", from, true);
  const last = to === undefined ? lastNumber : at("--to", to, false);
  if (last < first) throw usage(`the range is empty: --to (frame ${last}) is before --from (frame ${first})`);
  return { first, last };
}

/** The keyframe at or before `frame` in the index (or null when none is). */
export function keyframeAtOrBefore(index: FrameIndex, frame: number): number | null {
  for (let i = index.count - 1; i >= 0; i--) if (index.numbers[i] <= frame && index.flags[i] & 1) return index.numbers[i];
  return null;
}

/**
 * Refuses a range unless every frame in it is present once, in order and
 * verified, and no problem names one of its frames or a segment holding one.
 * Returns the problems that stand in the way (empty: the range may leave).
 */
export function rangeProblems(report: VerifyReport, recording: string, index: FrameIndex, range: FrameRange): Problem[] {
  const sequences = new Set<number>();
  let expect = range.first;
  const out: Problem[] = [];
  for (let i = 0; i < index.count; i++) {
    const n = index.numbers[i];
    if (n < range.first || n > range.last) continue;
    sequences.add(index.sequences[i]);
    if (n !== expect) out.push({ kind: "frame-number", recording, frame: expect, message: `frame ${expect} is not where it should be in the range` });
    if (!(index.flags[i] & 2)) out.push({ kind: "frame-record", recording, frame: n, message: `frame ${n} did not verify` });
    expect = Math.max(expect, n + 1);
  }
  if (expect !== range.last + 1) out.push({ kind: "frame-number", recording, frame: expect, message: `frames ${expect}–${range.last} could not be read` });
  const rec = report.recordings.find((r) => r.recording === recording);
  const clip = report.clips.find((c) => c.recording === recording);
  const listed = rec?.problems ?? clip?.problems ?? [];
  for (const p of listed) {
    const inRange = p.frame !== undefined ? p.frame >= range.first && p.frame <= range.last : p.segment !== undefined && sequences.has(p.segment);
    if (inRange || (p.frame === undefined && p.segment === undefined)) out.push(p);
  }
  // The listing is bounded; the segments' own verdicts are not. A segment
  // holding a frame of the range with any problem, listed or not, blocks it.
  for (const seg of rec?.segments ?? []) {
    if (!seg.ok && sequences.has(seg.sequence) && !out.some((p) => p.segment === seg.sequence)) {
      out.push({ kind: "unlisted", recording, segment: seg.sequence, message: `segment ${seg.sequence} has problems beyond the listing (see sealcam verify)` });
    }
  }
  if (clip && !clip.intact && out.length === 0) out.push({ kind: "unlisted", recording, message: "the clip has problems beyond the listing (see sealcam verify)" });
  return out;
}

/** Where the frames go: an H.264 writer, a clip writer, or both. */
export interface FrameOutput {
  frame(bytes: Uint8Array): void;
  end(frame: CheckedFrame, record: Uint8Array, signature: Uint8Array): void;
  /** A frame entry starts (its length), before its bytes. */
  start(length: number): void;
}

/** A sink that passes the frames of one recording in `range` to the outputs and notices any that fail. */
export class RangeSink implements FrameSink {
  taking = false;
  written = 0;
  failure: string | null = null;
  /** Segments the written frames were read from. */
  readonly sequences = new Set<number>();
  private expected: number | null = null;

  constructor(private readonly recording: string, private readonly range: FrameRange, private readonly outputs: FrameOutput[]) {}

  frameStart(recording: string, expected: number | null, length: number): boolean {
    this.expected = expected;
    this.taking = recording === this.recording && expected !== null && expected >= this.range.first && expected <= this.range.last;
    if (this.taking) for (const o of this.outputs) o.start(length);
    return this.taking;
  }

  frameData(bytes: Uint8Array): void {
    for (const o of this.outputs) o.frame(bytes);
  }

  frameEnd(recording: string, frame: CheckedFrame, record: Uint8Array, signature: Uint8Array): void {
    if (!this.taking) {
      if (recording === this.recording && frame.number >= this.range.first && frame.number <= this.range.last) this.failure ??= `frame ${frame.number} came out of order on the second reading`;
      return;
    }
    if (!frame.ok || frame.number !== this.expected) this.failure ??= `frame ${frame.number} no longer checks out on the second reading (the files changed?)`;
    for (const o of this.outputs) o.end(frame, record, signature);
    this.sequences.add(frame.sequence);
    this.written++;
    this.taking = false;
  }
}

/** A first pass: verify everything, index the frames of `recording` (or the only one). */
export async function indexPass(paths: readonly string[], o: VerifyOptions): Promise<{ report: VerifyReport; recording: string; index: FrameIndex }> {
  const index = new FrameIndex();
  let chosen = o.recording ?? null;
  const seen = new Set<string>();
  const sink: FrameSink = {
    frameStart: () => false,
    frameData: () => {},
    frameEnd: (recording, frame) => {
      seen.add(recording);
      if (chosen === null) chosen = recording;
      if (recording === chosen) index.add(frame);
    },
  };
  const report = await verifyPaths(paths, { ...o, sink });
  const ids = new Set([...report.recordings.map((r) => r.recording), ...report.clips.map((c) => c.recording)]);
  if (!o.recording && ids.size > 1) throw usage(`the inputs hold ${ids.size} recordings or clips (${[...ids].map((i) => i.slice(0, 8)).join(", ")}…): choose one with --recording ID`);
  if (chosen === null) chosen = [...ids][0] ?? "";
  return { report, recording: chosen, index };
}

/** Writes a clip evidence file (FORMAT.md) through `write(bytes, position?)`. */
export class ClipWriter implements FrameOutput {
  private position = HEADER_BYTES;
  private count = 0;
  private chain: Uint8Array | null = null;
  private firstNumber = -1;
  private device: Uint8Array | null = null;
  private recordingId: Uint8Array | null = null;

  constructor(private readonly out: { write(bytes: Uint8Array, position?: number): void }, private readonly requested: FrameRange) {}

  start(length: number): void {
    const entry = new Uint8Array(9);
    entry[0] = ENTRY_FRAME;
    new DataView(entry.buffer).setBigUint64(1, BigInt(length), true);
    this.put(entry);
  }

  frame(bytes: Uint8Array): void {
    this.put(bytes);
  }

  end(frame: CheckedFrame, record: Uint8Array, signature: Uint8Array): void {
    if (this.count === 0) {
      this.firstNumber = frame.number;
      this.chain = record.slice(144, 176);
      this.device = record.slice(0, 32);
      this.recordingId = record.slice(32, 48);
    }
    this.put(record);
    this.put(signature);
    this.count++;
  }

  private put(bytes: Uint8Array): void {
    this.out.write(bytes, this.position);
    this.position += bytes.length;
  }

  /** Writes the header at the start and the end entry (hashing the file as written, read back from `path`). */
  finish(path: string): void {
    if (this.count === 0) throw new SealcamError("no frames to put in the clip", EXIT.EVIDENCE);
    const header = new Uint8Array(HEADER_BYTES);
    const view = new DataView(header.buffer);
    header.set(Buffer.from(CLIP_MAGIC, "latin1"), 0);
    header.set(this.device!, 8);
    header.set(this.recordingId!, 40);
    view.setBigUint64(56, BigInt(this.firstNumber), true);
    view.setBigUint64(64, BigInt(this.count), true);
    view.setBigUint64(72, BigInt(this.requested.first), true);
    view.setBigUint64(80, BigInt(this.requested.last), true);
    header.set(this.chain!, 88);
    this.out.write(header, 0);
    const sha = createHash("sha256");
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (let at = 0; at < this.position; ) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, this.position - at), at);
        if (n <= 0) throw new SealcamError(`${path}: could not read back the clip being written`, EXIT.INTERNAL);
        sha.update(buf.subarray(0, n));
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    const end = new Uint8Array(END_ENTRY_BYTES);
    end[0] = ENTRY_END;
    new DataView(end.buffer).setBigUint64(1, BigInt(this.count), true);
    end.set(sha.digest(), 9);
    this.out.write(end, this.position);
  }

  get frames(): number {
    return this.count;
  }
}

/** Writes the frames' bytes one after another: an H.264 Annex B stream. */
export class H264Writer implements FrameOutput {
  private position = 0;
  constructor(private readonly out: { write(bytes: Uint8Array, position?: number): void }) {}
  start(): void {}
  frame(bytes: Uint8Array): void {
    this.out.write(bytes, this.position);
    this.position += bytes.length;
  }
  end(): void {}
}
