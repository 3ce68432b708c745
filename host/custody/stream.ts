// Reading evidence streams and clip files incrementally (docs/FORMAT.md, "The
// evidence stream" and "The clip evidence file"), and checking their frames.
//
// EntryReader is a push parser: decrypted chunks (or a clip file's bytes) go
// in as they arrive, in any sizes, and it calls back with the header, each
// frame's bytes as they pass (never buffered whole: a frame may be 64 MiB),
// each record and signature, the trailer or end entry. Only fixed-size pieces
// (at most 240 bytes) are gathered. A malformed stream stops the reader with
// a StreamError that says where.
//
// FrameChecker checks frame entries against FORMAT.md: the SHA-512 of the
// frame, the record's fields, numbering, time order, the keyframe flag, the
// record-hash chain and the signature, and reports each failure once, named
// by frame number. It is shared by segments and clips.
import { createHash, type Hash } from "node:crypto";
import type { Crypto } from "../engine/crypto.ts";
import { moduleMessage, MODULE_ERRORS } from "../errors.ts";

const ERR_SIGNATURE = MODULE_ERRORS.ERR_SIGNATURE.code;

export const SEGMENT_MAGIC = "SCAMSEG1";
export const CLIP_MAGIC = "SCAMCLP1";
export const HEADER_BYTES = 128;
export const RECORD_BYTES = 176;
export const TRAILER_BYTES = 160;
export const SIGNATURE_BYTES = 64;
export const END_ENTRY_BYTES = 41;
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
export const ENTRY_FRAME = 0x46; // 'F'
export const ENTRY_TRAILER = 0x54; // 'T'
export const ENTRY_END = 0x45; // 'E'
export const DOMAIN_RECORD = Buffer.from("sealcam/v1/frame-record", "latin1");
export const DOMAIN_TRAILER = Buffer.from("sealcam/v1/segment-trailer", "latin1");
const FLAG_KEYFRAME = 1;
const FLAG_FINAL = 1;

/** A stream that does not follow FORMAT.md; `at` is the byte offset in the stream. */
export class StreamError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

export interface EntryHandler {
  header(bytes: Uint8Array): void;
  /** A frame entry starts: its announced length. */
  frameStart(length: number): void;
  /** Bytes of the current frame, in order (views valid only during the call). */
  frameData(bytes: Uint8Array): void;
  /** The frame's record (176 bytes) and signature (64). */
  frameEnd(record: Uint8Array, signature: Uint8Array): void;
  /** Segments only: the trailer (160 bytes) and its signature. */
  trailer?(trailer: Uint8Array, signature: Uint8Array): void;
  /** Clips only: the end entry (41 bytes, type byte included) and how many bytes preceded it. */
  end?(entry: Uint8Array, before: number): void;
}

type State = "header" | "entry" | "frame" | "record" | "final" | "done";

/** Push parser for a segment's evidence stream (kind "segment") or a clip file ("clip"). */
export class EntryReader {
  private state: State = "header";
  private need = HEADER_BYTES;
  private readonly piece = new Uint8Array(256);
  private have = 0;
  private frameLeft = 0;
  private offset = 0;
  private entryAt = 0;

  constructor(private readonly kind: "segment" | "clip", private readonly handler: EntryHandler) {}

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  get finished(): boolean {
    return this.state === "done";
  }

  /** True while inside a frame entry (its bytes or its record). */
  get inFrame(): boolean {
    return this.state === "frame" || this.state === "record" || (this.state === "entry" && this.need === 9);
  }

  push(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.state === "done") throw new StreamError(`${bytes.length - i} bytes follow the ${this.kind === "segment" ? "trailer" : "end entry"}`, this.offset);
      if (this.state === "frame") {
        const n = Math.min(this.frameLeft, bytes.length - i);
        this.handler.frameData(bytes.subarray(i, i + n));
        this.frameLeft -= n;
        this.offset += n;
        i += n;
        if (this.frameLeft === 0) this.expect("record", RECORD_BYTES + SIGNATURE_BYTES);
        continue;
      }
      const n = Math.min(this.need - this.have, bytes.length - i);
      this.piece.set(bytes.subarray(i, i + n), this.have);
      this.have += n;
      this.offset += n;
      i += n;
      if (this.have === this.need) this.complete();
    }
  }

  /** The input ended: throws unless the stream ended where it may. */
  finish(): void {
    if (this.state === "done") return;
    const what = this.state === "header" ? "in its header" : this.state === "entry" && this.have === 0 ? "without its " + (this.kind === "segment" ? "trailer" : "end entry") : "inside an entry";
    throw new StreamError(`the stream ends ${what}`, this.offset);
  }

  private expect(state: State, need: number): void {
    this.state = state;
    this.need = need;
    this.have = 0;
  }

  private complete(): void {
    const p = this.piece.subarray(0, this.need);
    switch (this.state) {
      case "header": {
        const magic = Buffer.from(p.subarray(0, 8)).toString("latin1");
        const want = this.kind === "segment" ? SEGMENT_MAGIC : CLIP_MAGIC;
        if (magic !== want) throw new StreamError(`the header does not start with ${want}`, 0);
        this.handler.header(p);
        this.entryAt = this.offset;
        this.expect("entry", 1);
        return;
      }
      case "entry": {
        const type = p[0];
        if (this.need === 1) {
          // The type byte stays at piece[0]; the entry's fixed part follows it.
          if (type === ENTRY_FRAME) this.need = 9;
          else if (type === ENTRY_TRAILER && this.kind === "segment") {
            this.state = "final";
            this.need = 1 + TRAILER_BYTES + SIGNATURE_BYTES;
          } else if (type === ENTRY_END && this.kind === "clip") {
            this.state = "final";
            this.need = END_ENTRY_BYTES;
          } else throw new StreamError(`unknown entry type 0x${type.toString(16).padStart(2, "0")}`, this.offset - 1);
          return;
        }
        const length = new DataView(p.buffer, p.byteOffset + 1, 8).getBigUint64(0, true);
        if (length < 1n || length > BigInt(MAX_FRAME_BYTES)) throw new StreamError(`frame length ${length} is outside 1..${MAX_FRAME_BYTES}`, this.offset - 8);
        this.frameLeft = Number(length);
        this.handler.frameStart(this.frameLeft);
        this.state = "frame";
        return;
      }
      case "record":
        this.handler.frameEnd(p.subarray(0, RECORD_BYTES), p.subarray(RECORD_BYTES));
        this.entryAt = this.offset;
        this.expect("entry", 1);
        return;
      case "final":
        if (this.kind === "segment") this.handler.trailer?.(p.subarray(1, 1 + TRAILER_BYTES), p.subarray(1 + TRAILER_BYTES));
        else this.handler.end?.(p, this.entryAt);
        this.state = "done";
        return;
    }
  }
}

/** Scans an Annex B access unit as it streams past for an IDR slice (NAL type 5). */
export class IdrScanner {
  private zeros = 0;
  private atHeader = false;
  idr = false;

  reset(): void {
    this.zeros = 0;
    this.atHeader = false;
    this.idr = false;
  }

  /**
   * Looks for each 0x01 with the native indexOf (a frame is mostly not
   * start codes; a byte-by-byte loop in JS was the verifier's costliest
   * line) and checks the two bytes before it, carried over from the previous
   * piece when the start code straddles two.
   */
  push(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    if (this.idr) return;
    if (this.atHeader) {
      this.atHeader = false;
      if ((bytes[0] & 0x1f) === 5) {
        this.idr = true;
        return;
      }
    }
    for (let j = bytes.indexOf(1); j >= 0; j = bytes.indexOf(1, j + 1)) {
      const before = j >= 2 ? (bytes[j - 1] === 0 && bytes[j - 2] === 0 ? 2 : 0) : j === 1 ? (bytes[0] === 0 ? 1 + Math.min(this.zeros, 1) : 0) : this.zeros;
      if (before < 2) continue;
      if (j + 1 < n) {
        if ((bytes[j + 1] & 0x1f) === 5) {
          this.idr = true;
          return;
        }
      } else this.atHeader = true;
    }
    // Zeros at the end of this piece (at most the two a start code needs).
    let zeros = 0;
    while (zeros < 2 && zeros < n && bytes[n - 1 - zeros] === 0) zeros++;
    this.zeros = zeros === n ? Math.min(2, this.zeros + n) : zeros;
  }
}

/** A frame record's fields (FORMAT.md, "Frame record"). */
export interface FrameRecord {
  device: Uint8Array;
  recording: Uint8Array;
  number: number;
  timeUs: number;
  flags: number;
  sequence: number;
  length: number;
  hash: Uint8Array;
  previous: Uint8Array;
}

/** Reads a 64-bit field as a number, or -1 when it is 2^53 or more (never valid here). */
export function u53(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

export function parseRecord(r: Uint8Array): FrameRecord {
  const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return {
    device: r.subarray(0, 32),
    recording: r.subarray(32, 48),
    number: u53(v, 48),
    timeUs: u53(v, 56),
    flags: v.getUint32(64, true),
    sequence: v.getUint32(68, true),
    length: u53(v, 72),
    hash: r.subarray(80, 144),
    previous: r.subarray(144, 176),
  };
}

export const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(a, b) === 0;
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** SHA-256 of a domain string ‖ body: the record hash and the trailer/manifest hashes. */
export function domainHash(domain: Uint8Array, body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(domain).update(body).digest());
}

/** One frame-level failure, before it is placed in a report. */
export interface FrameProblem {
  kind: "frame-number" | "frame-hash" | "frame-record" | "frame-signature" | "frame-chain";
  frame: number;
  message: string;
}

/** What FrameChecker learned of one frame (handed to a sink). */
export interface CheckedFrame {
  number: number;
  timeUs: number;
  keyframe: boolean;
  /** The segment it was read from (for a clip: the segment its record names). */
  sequence: number;
  length: number;
  recordHash: Uint8Array;
  /** Every check of this frame passed. */
  ok: boolean;
}

/**
 * Checks consecutive frame entries of one recording. `expectNumber` and
 * `chain` are where the previous frame left off (null when not known: the
 * first frame present after a gap or an unreadable segment; then numbering
 * and the chain restart from whatever the first record says, and the caller
 * has reported the gap).
 */
export class FrameChecker {
  private hash: Hash | null = null;
  private readonly idr = new IdrScanner();
  private announced = 0;
  private lastTime = -1;
  /** Frames whose every check passed, and the number of the last record seen. */
  verified = 0;
  seen = 0;
  firstNumber = -1;
  lastNumber = -1;
  firstTimeUs = -1;
  lastTimeUs = -1;
  /** Record hash of the last record read, in stream order (what a trailer names). */
  lastRecordHash: Uint8Array | null = null;
  /** Frames with a problem. */
  failed = 0;
  /**
   * When set, frames are checked and counted but not reported one by one:
   * the caller has already said why none of them can verify (evidence held
   * to another device's key), and one line says it better than hundreds.
   */
  quiet = false;

  constructor(
    private readonly crypto: Crypto,
    private readonly device: Uint8Array,
    private readonly recording: Uint8Array,
    /** The segment sequence each record must carry, or null for a clip (any). */
    private sequence: number | null,
    public expectNumber: number | null,
    public chain: Uint8Array | null,
    lastTimeUs: number,
    private readonly problem: (p: FrameProblem) => void,
  ) {
    this.lastTime = lastTimeUs;
  }

  start(length: number): void {
    this.hash = createHash("sha512");
    this.idr.reset();
    this.announced = length;
  }

  data(bytes: Uint8Array): void {
    this.hash!.update(bytes);
    this.idr.push(bytes);
  }

  /**
   * Checks the record against the frame just streamed; returns what it
   * learned. Every failure of one frame becomes one problem (the first
   * failure's kind, every reason in the message), so a frame from another
   * device reads as one line, not five.
   *
   * Numbering resynchronises on the record: a record ahead of the expected
   * number means frames are missing here (expect what follows it); one behind
   * means a repeated or displaced frame, which leaves the expected number and
   * the chain where they were, so the frames after it are judged against
   * their true predecessor.
   */
  end(recordBytes: Uint8Array, signature: Uint8Array): CheckedFrame {
    const r = parseRecord(recordBytes);
    const digest = new Uint8Array(this.hash!.digest());
    this.hash = null;
    const expected = this.expectNumber;
    const number = r.number >= 0 ? r.number : expected ?? 0;
    const reasons: [FrameProblem["kind"], string][] = [];
    let frame = number;
    let behind = false;
    let numbered = true;
    if (r.number < 0) reasons.push(["frame-record", "its record's frame number is 2^53 or more"]);
    else if (expected !== null && r.number !== expected) {
      numbered = false;
      if (r.number > expected) {
        frame = expected;
        const last = r.number - 1;
        reasons.push(["frame-number", last === expected
          ? `frame ${expected} is missing here (the next record is frame ${r.number})`
          : `frames ${expected}–${last} are missing here (the next record is frame ${r.number})`]);
      } else {
        behind = true;
        reasons.push(["frame-number", `frame ${r.number} is repeated or out of order (frame ${expected} was expected here)`]);
      }
    }
    if (!equal(digest, r.hash)) reasons.push(["frame-hash", "the frame's SHA-512 is not the one its signed record holds: the frame was altered"]);
    const msg = new Uint8Array(DOMAIN_RECORD.length + recordBytes.length);
    msg.set(DOMAIN_RECORD, 0);
    msg.set(recordBytes, DOMAIN_RECORD.length);
    const code = this.crypto.ed25519Verify(this.device, msg, signature);
    if (code !== 0) reasons.push(["frame-signature", `the record's signature does not verify under the device key${code === ERR_SIGNATURE ? "" : ` (${moduleMessage(code)})`}`]);
    // A numbering failure already says the chain is broken here.
    if (numbered && this.chain !== null && !equal(r.previous, this.chain)) {
      reasons.push(["frame-chain", "the record does not chain to the previous frame's record (a frame was replaced, or comes from another recording)"]);
    }
    if (!equal(r.device, this.device)) reasons.push(["frame-record", `the record names device ${toHex(r.device).slice(0, 16)}…, not the recording's`]);
    if (!equal(r.recording, this.recording)) reasons.push(["frame-record", `the record names recording ${toHex(r.recording)}, not this one`]);
    if (this.sequence !== null && r.sequence !== this.sequence) reasons.push(["frame-record", `the record says segment ${r.sequence}, but it is in segment ${this.sequence}`]);
    if (r.length !== this.announced) reasons.push(["frame-record", `the record says ${r.length} bytes, the frame entry holds ${this.announced}`]);
    if (r.flags & ~FLAG_KEYFRAME) reasons.push(["frame-record", `unknown record flag bits 0x${r.flags.toString(16)}`]);
    const keyframe = (r.flags & FLAG_KEYFRAME) !== 0;
    if (keyframe !== this.idr.idr) reasons.push(["frame-record", `the record says ${keyframe ? "keyframe" : "not a keyframe"}, but the frame ${this.idr.idr ? "holds" : "holds no"} IDR slice`]);
    if (r.timeUs < 0) reasons.push(["frame-record", "capture time of 2^53 µs or more"]);
    else if (r.timeUs < this.lastTime) reasons.push(["frame-record", `capture time ${r.timeUs} µs is earlier than the previous frame's (${this.lastTime})`]);
    const recordHash = new Uint8Array(createHash("sha256").update(msg).digest());
    const ok = reasons.length === 0;
    if (!ok) this.failed++;
    if (!ok && !this.quiet) {
      const text = reasons.map(([, m]) => m).join("; ");
      this.problem({ kind: reasons[0][0], frame, message: reasons[0][0] === "frame-number" ? text : `frame ${number}: ${text}` });
    }
    if (!behind) {
      this.chain = recordHash;
      this.expectNumber = number + 1;
      // Against the previous frame, not the latest time seen: one bad time
      // is then one problem, not one for every frame after it.
      if (r.timeUs >= 0) this.lastTime = r.timeUs;
    }
    this.lastRecordHash = recordHash;
    this.seen++;
    if (ok) this.verified++;
    if (this.firstNumber < 0) {
      this.firstNumber = number;
      this.firstTimeUs = r.timeUs;
    }
    this.lastNumber = number;
    this.lastTimeUs = r.timeUs;
    return { number, timeUs: r.timeUs, keyframe, sequence: this.sequence ?? r.sequence, length: this.announced, recordHash, ok };
  }

  /** The time order continues across segments. */
  get lastTimeSeen(): number {
    return this.lastTime;
  }
}

/** A trailer's fields (FORMAT.md, "Trailer"). */
export interface Trailer {
  device: Uint8Array;
  recording: Uint8Array;
  sequence: number;
  flags: number;
  final: boolean;
  firstFrame: number;
  frameCount: number;
  firstTimeUs: number;
  lastTimeUs: number;
  closeTimeUs: number;
  headerHash: Uint8Array;
  lastRecordHash: Uint8Array;
}

export function parseTrailer(t: Uint8Array): Trailer {
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const flags = v.getUint32(52, true);
  return {
    device: t.subarray(0, 32),
    recording: t.subarray(32, 48),
    sequence: v.getUint32(48, true),
    flags,
    final: (flags & FLAG_FINAL) !== 0,
    firstFrame: u53(v, 56),
    frameCount: u53(v, 64),
    firstTimeUs: u53(v, 72),
    lastTimeUs: u53(v, 80),
    closeTimeUs: u53(v, 88),
    headerHash: t.subarray(96, 128),
    lastRecordHash: t.subarray(128, 160),
  };
}

/** A segment header's fields (FORMAT.md, "Segment header"). */
export interface SegmentHeader {
  device: Uint8Array;
  recording: Uint8Array;
  sequence: number;
  firstFrame: number;
  openTimeUs: number;
  chain: Uint8Array;
  reservedZero: boolean;
}

export function parseSegmentHeader(h: Uint8Array): SegmentHeader {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return {
    device: h.subarray(8, 40),
    recording: h.subarray(40, 56),
    sequence: v.getUint32(56, true),
    firstFrame: u53(v, 64),
    openTimeUs: u53(v, 72),
    chain: h.subarray(80, 112),
    reservedZero: v.getUint32(60, true) === 0 && h.subarray(112, 128).every((b) => b === 0),
  };
}

/** A clip header's fields (FORMAT.md, "Clip header"). */
export interface ClipHeader {
  device: Uint8Array;
  recording: Uint8Array;
  firstFrame: number;
  frameCount: number;
  requestedFirst: number;
  requestedLast: number;
  chain: Uint8Array;
  reservedZero: boolean;
}

export function parseClipHeader(h: Uint8Array): ClipHeader {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return {
    device: h.subarray(8, 40),
    recording: h.subarray(40, 56),
    firstFrame: u53(v, 56),
    frameCount: u53(v, 64),
    requestedFirst: u53(v, 72),
    requestedLast: u53(v, 80),
    chain: h.subarray(88, 120),
    reservedZero: h.subarray(120, 128).every((b) => b === 0),
  };
}
