// A streaming splitter of H.264 Annex B byte streams into access units (one
// coded picture each, the unit sealcam signs as a frame). It keeps every byte:
// the access units, concatenated, are the input exactly, so a signed frame is
// the encoder's output and not a re-framing of it.
//
// Boundaries follow ITU-T H.264 §7.4.1.2.3: after the last VCL NAL unit of an
// access unit, the next access unit begins at the first access unit delimiter
// (type 9), SEI (6), SPS (7), PPS (8) or type 14-18 NAL unit, or at the first
// slice (type 1 or 5) of a new primary picture, recognised by
// first_mb_in_slice == 0. Known limits: redundant pictures and arbitrary slice
// order (Baseline-only tools no camera encoder we target emits) are not told
// apart from a new picture.
//
// Byte ownership (the spec leaves it open): a 4-byte start code's zero_byte
// belongs to the NAL unit it introduces; any further zeros before it are the
// previous NAL unit's trailing_zero_8bits. NAL units that would start an access
// unit but are followed by no picture (end of stream) stay with the last one,
// so every access unit holds a picture.
//
// Input before the first start code may only be zeros (leading_zero_8bits,
// kept in access unit 0); anything else is rejected rather than dropped or
// signed as if it were video.
import { SealcamError, EXIT } from "../errors.ts";

/** One access unit: its bytes exactly as in the stream (start codes included). */
export interface AccessUnit {
  readonly bytes: Uint8Array;
  /** True when it holds an IDR slice (nal_unit_type 5): decoding can start here. */
  readonly keyframe: boolean;
  /** Position in the stream, from 0. */
  readonly index: number;
}

export interface SplitOptions {
  /** Largest access unit accepted, in bytes (default 64 MiB); a larger one is an error. */
  maxAccessUnitBytes?: number;
}

export const DEFAULT_MAX_ACCESS_UNIT_BYTES = 64 << 20;
/** How far into a stream the first start code must appear. */
export const FIRST_START_CODE_WITHIN = 4096;

// Input is copied into the buffer at most this much at a time, so one huge
// chunk never makes the buffer larger than an access unit plus one piece.
const PIECE = 64 << 10;
// Slice header bytes needed to read first_mb_in_slice before the NAL unit
// ends: a ue(v) is at most 63 bits, plus room for emulation-prevention bytes.
const SLICE_HEADER_LOOKAHEAD = 16;

/**
 * The streaming splitter: `push` chunks cut anywhere, then `end` once.
 * Each call returns the access units it completed, in order. Errors are
 * SealcamError with EXIT.USAGE; after one, the splitter must not be reused.
 */
export class AnnexBSplitter {
  private readonly max: number;
  private buf = new Uint8Array(PIECE * 2);
  private len = 0;
  private offset = 0; // stream offset of buf[0], for messages
  private index = 0;
  private started = false; // the first start code has been seen
  private ended = false;
  private scanFrom = 0; // where the search for the next start code resumes
  private nal = 0; // buf position of the current NAL unit's header byte
  private nalStart = 0; // where its byte_stream_nal_unit begins (zero_byte or start code)
  private decided = true; // the current NAL unit's access unit is settled
  private hasPicture = false; // the current access unit holds a slice
  private keyframe = false;
  private cut = -1; // where the next access unit begins, once a picture confirms it

  constructor(options: SplitOptions = {}) {
    const max = options.maxAccessUnitBytes ?? DEFAULT_MAX_ACCESS_UNIT_BYTES;
    if (!Number.isInteger(max) || max < 1) throw new SealcamError(`maxAccessUnitBytes must be a positive whole number, not ${max}`, EXIT.USAGE);
    this.max = max;
  }

  /** Adds bytes; returns the access units they complete. */
  push(chunk: Uint8Array): AccessUnit[] {
    if (this.ended) throw new SealcamError("annex b splitter: push after end", EXIT.INTERNAL);
    const out: AccessUnit[] = [];
    for (let at = 0; at < chunk.length; at += PIECE) {
      this.append(chunk.subarray(at, at + PIECE));
      this.process(false, out);
      this.checkSize();
    }
    return out;
  }

  /** Ends the stream; returns the last access unit(s). */
  end(): AccessUnit[] {
    if (this.ended) throw new SealcamError("annex b splitter: end called twice", EXIT.INTERNAL);
    this.ended = true;
    if (this.len === 0 && this.offset === 0) throw bad("empty input");
    const out: AccessUnit[] = [];
    this.process(true, out);
    if (!this.hasPicture) throw bad(`no picture (slice NAL unit) in its ${this.offset + this.len} bytes`);
    this.emit(this.len, out);
    return out;
  }

  private append(piece: Uint8Array): void {
    if (this.len + piece.length > this.buf.length) {
      let size = this.buf.length;
      while (size < this.len + piece.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(piece, this.len);
    this.len += piece.length;
  }

  // Walks NAL units from the current one on, settling each one's access unit
  // as soon as its header (and, for a slice, first_mb_in_slice) is in.
  private process(final: boolean, out: AccessUnit[]): void {
    if (!this.started && !this.findFirst(final)) return;
    for (;;) {
      const next = findStartCode(this.buf, this.scanFrom, this.len);
      if (next < 0) this.scanFrom = Math.max(this.scanFrom, this.len - 2);
      const nextInStream = this.offset + next; // decide may emit, moving buffer positions
      if (!this.decided && !this.decide(next < 0 ? this.len : next, next >= 0 || final, out)) return;
      if (next < 0) return;
      const at = nextInStream - this.offset;
      const zeroByte = at - 1 > this.nal && this.buf[at - 1] === 0;
      this.nalStart = zeroByte ? at - 1 : at;
      this.nal = at + 3;
      this.scanFrom = at + 3;
      this.decided = false;
    }
  }

  private findFirst(final: boolean): boolean {
    const at = findStartCode(this.buf, 0, this.len);
    if (at < 0) {
      if (this.len > FIRST_START_CODE_WITHIN || final) {
        throw bad(`no start code in the first ${Math.min(this.len, FIRST_START_CODE_WITHIN)} bytes`);
      }
      return false;
    }
    for (let i = 0; i < at; i++) {
      if (this.buf[i] !== 0) throw bad(`non-zero bytes before the first start code (at byte ${at})`);
    }
    this.started = true;
    this.nal = at + 3;
    this.nalStart = at;
    this.scanFrom = at + 3;
    this.decided = false;
    return true;
  }

  // Settles which access unit the current NAL unit (ending at `end`) opens or
  // joins. False when more bytes are needed first.
  private decide(end: number, complete: boolean, out: AccessUnit[]): boolean {
    if (this.nal >= end) {
      if (!complete) return false;
      this.decided = true; // a start code with no NAL unit after it: keep its bytes where they are
      return true;
    }
    const header = this.buf[this.nal];
    if (header & 0x80) throw bad(`forbidden_zero_bit set in the NAL unit at byte ${this.offset + this.nal}`);
    const type = header & 0x1f;
    if (type === 1 || type === 5) {
      if (!complete && end - this.nal - 1 < SLICE_HEADER_LOOKAHEAD) return false;
      if (this.cut >= 0) this.emit(this.cut, out);
      else if (this.hasPicture && readUe(this.buf, this.nal + 1, end) === 0) this.emit(this.nalStart, out);
      this.hasPicture = true;
      if (type === 5) this.keyframe = true;
    } else if (this.hasPicture && this.cut < 0 && startsAccessUnit(type)) {
      this.cut = this.nalStart;
    }
    this.decided = true;
    return true;
  }

  // Hands out buf[0, end) as an access unit and moves the rest to the front.
  private emit(end: number, out: AccessUnit[]): void {
    if (end > this.max) throw this.tooLarge(end);
    out.push({ bytes: this.buf.slice(0, end), keyframe: this.keyframe, index: this.index++ });
    this.buf.copyWithin(0, end, this.len);
    this.len -= end;
    this.offset += end;
    this.nal -= end;
    this.nalStart -= end;
    this.scanFrom = Math.max(0, this.scanFrom - end);
    this.hasPicture = false;
    this.keyframe = false;
    this.cut = -1;
  }

  // The current access unit is at least up to the cut, or to the NAL unit
  // still being decided; what follows a cut is the next one's.
  private checkSize(): void {
    const known = this.cut >= 0 ? this.cut : this.decided ? this.len : this.nalStart;
    if (known > this.max) throw this.tooLarge(known);
    if (this.cut >= 0 && this.len - this.cut > this.max) {
      throw new SealcamError(`access unit ${this.index + 1} at byte ${this.offset + this.cut} is larger than ${this.max} bytes`, EXIT.USAGE);
    }
  }

  private tooLarge(size: number): SealcamError {
    return new SealcamError(`access unit ${this.index} at byte ${this.offset} is larger than ${this.max} bytes (${size} so far)`, EXIT.USAGE);
  }
}

/** Splits a stream of byte chunks (a file or pipe cut anywhere) into access units. */
export async function* splitAnnexB(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: SplitOptions = {}): AsyncGenerator<AccessUnit> {
  const splitter = new AnnexBSplitter(options);
  for await (const chunk of chunks) yield* splitter.push(chunk);
  yield* splitter.end();
}

function bad(what: string): SealcamError {
  return new SealcamError(`not an H.264 Annex B stream: ${what}`, EXIT.USAGE);
}

// SEI, SPS, PPS, AUD and types 14-18 begin an access unit when they follow its last slice.
function startsAccessUnit(type: number): boolean {
  return (type >= 6 && type <= 9) || (type >= 14 && type <= 18);
}

/** Position of the next 00 00 01 in b[from, to), or -1. */
export function findStartCode(b: Uint8Array, from: number, to: number): number {
  // indexOf finds candidate 01 bytes natively; far faster than a byte loop in JS.
  const view = b.subarray(0, to);
  for (let j = from + 2; j < to; j++) {
    j = view.indexOf(1, j);
    if (j < 0) return -1;
    if (view[j - 1] === 0 && view[j - 2] === 0) return j - 2;
  }
  return -1;
}

/**
 * Reads one ue(v) Exp-Golomb value from the NAL unit payload b[from, to),
 * dropping emulation-prevention bytes (the 03 of 00 00 03). Returns -1 if the
 * bytes end first or the code is longer than the 32-bit range allows.
 */
export function readUe(b: Uint8Array, from: number, to: number): number {
  let pos = from;
  let zeros = 0; // zero bytes just read, for spotting 00 00 03
  let byte = 0;
  let bitsLeft = 0;
  const bit = (): number => {
    if (bitsLeft === 0) {
      if (pos >= to) return -1;
      byte = b[pos++];
      if (zeros >= 2 && byte === 3) {
        if (pos >= to) return -1;
        byte = b[pos++];
        zeros = 0;
      }
      zeros = byte === 0 ? zeros + 1 : 0;
      bitsLeft = 8;
    }
    bitsLeft--;
    return (byte >> bitsLeft) & 1;
  };
  let leadingZeros = 0;
  for (;;) {
    const b0 = bit();
    if (b0 < 0) return -1;
    if (b0 === 1) break;
    if (++leadingZeros > 31) return -1;
  }
  let value = 0;
  for (let i = 0; i < leadingZeros; i++) {
    const b1 = bit();
    if (b1 < 0) return -1;
    value = value * 2 + b1; // not <<: 32-bit values would turn negative
  }
  return 2 ** leadingZeros - 1 + value;
}
