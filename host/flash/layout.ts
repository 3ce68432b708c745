// What the flash store puts on the chip, byte for byte (docs/FORMAT.md, "The
// camera's flash" and "Audit blocks"): object ids, block headers, commit
// records, audit block headers and audit entry pages, how to write them and
// how to tell whether a page read back checks out.
//
// There is no table on the chip. Each used block starts with a header page
// naming what it holds: a segment block names its object and its place in it
// (an object's bytes fill pages 1… of its blocks in order; one commit record
// page after the last data page makes it a segment); an audit block names its
// serial (one audit entry per page after it). What a boot does with what it
// reads is store.ts's business; this file only encodes and decodes.
//
// Memory: one block of 0xFF, kept to recognise erased blocks with a memcmp.
import { createHash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import type { Manifest } from "../evidence/manifest.ts";
import { segmentName } from "../store/segments.ts";
import type { FlashDevice } from "./device.ts";
import { AUDIT_ENTRY_BYTES } from "../evidence/audit.ts";

export { AUDIT_ENTRY_BYTES };

/** Magic of a block header (8 ASCII bytes). */
export const BLOCK_MAGIC = "SCAMFLB1";
/** Magic of a commit record (8 ASCII bytes). */
export const COMMIT_MAGIC = "SCAMCMT2";
/**
 * Magic of the commit record written before parked segments existed (355
 * bytes, no header-bytes field). Boot still reads it, as a record whose
 * header bytes are 0, so an upgrade never discards a committed segment.
 */
export const COMMIT_MAGIC_V1 = "SCAMCMT1";
/** Magic of an audit block header (8 ASCII bytes). */
export const AUDIT_MAGIC = "SCAMAUD1";
/** Object id: recording id (16) ‖ sequence number (4, little-endian). */
export const OBJECT_ID_BYTES = 20;
/** Block header: magic, id, ordinal, SHA-256 of those 32 bytes. */
export const BLOCK_HEADER_BYTES = 64;
/**
 * Commit record: magic, id, blocks, length, header bytes at the end, SHA-256,
 * manifest blob, SHA-256 of the 327 bytes before.
 */
export const COMMIT_RECORD_BYTES = 359;
/** The old record (COMMIT_MAGIC_V1): as above without the header-bytes field. */
export const COMMIT_RECORD_V1_BYTES = 355;
/** Audit block header: magic, serial, 16 reserved zero bytes, SHA-256 of those 32 bytes. */
export const AUDIT_HEADER_BYTES = 64;
/** An audit entry page: the entry, then its SHA-256. */
export const AUDIT_PAGE_BYTES = AUDIT_ENTRY_BYTES + 32;
/** Where an audit entry keeps its index (u64, little-endian). */
export const AUDIT_INDEX_AT = 32;

// Offsets (FORMAT.md's tables).
const H_ID = 8, H_ORDINAL = 28, H_HASH = 32;
const C_ID = 8, C_BLOCKS = 28, C_LENGTH = 32, C_HEADER = 40, C_SHA = 44, C_BLOB = 76, C_HASH = 327;
// The old record's.
const V1_SHA = 40, V1_BLOB = 72, V1_HASH = 323;
const A_SERIAL = 8, A_RESERVED = 16, A_HASH = 32;

/** A committed segment in flash. */
export interface StoredSegment {
  /** Object id, 40 lowercase hex (recording id ‖ sequence, little-endian). */
  id: string;
  /** `<recording hex>-<sequence, 6 digits>`: the base name of its files when exported. */
  name: string;
  manifest: Manifest;
  /** Manifest hash: SHA-256 of the signed message. */
  manifestHash: Uint8Array;
  /** Length of the `.age` file (and of the stored object). */
  ageBytes: number;
  /**
   * How many bytes at the end of the stored object are the start of the
   * `.age` file: a pre-event segment's age header, written after its payload
   * (0 for an ordinary segment). Reading presents the file in `.age` order.
   */
  headerBytes: number;
  /** SHA-256 of the `.age` file, 64 lowercase hex. */
  ageSha256: string;
  /** The blocks it occupies, in ordinal order (the last holds the commit record). */
  blocks: number[];
}

/** The 20-byte object id of segment `sequence` of `recording` (16 bytes or 32 hex), as 40 lowercase hex. */
export function objectId(recording: Uint8Array | string, sequence: number): string {
  const rec = typeof recording === "string" ? recording : Buffer.from(recording).toString("hex");
  if (!/^[0-9a-f]{32}$/.test(rec)) throw new SealcamError("flash: recording id must be 16 bytes", EXIT.INTERNAL);
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) throw new SealcamError(`flash: bad sequence number ${sequence}`, EXIT.INTERNAL);
  const seq = Buffer.alloc(4);
  seq.writeUInt32LE(sequence);
  return rec + seq.toString("hex");
}

/** The segment name (`<recording hex>-<sequence>`) of a 40-hex object id. */
export function nameOfId(id: string): string {
  return segmentName(id.slice(0, 32), Buffer.from(id.slice(32), "hex").readUInt32LE(0));
}

const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();

/** The header page of block `ordinal` of object `id` (64 bytes; the device pads the page with 0xFF). */
export function encodeHeader(id: Uint8Array, ordinal: number): Uint8Array {
  const h = Buffer.alloc(BLOCK_HEADER_BYTES);
  h.write(BLOCK_MAGIC, 0, "latin1");
  h.set(id, H_ID);
  h.writeUInt32LE(ordinal, H_ORDINAL);
  sha256(h.subarray(0, H_HASH)).copy(h, H_HASH);
  return h;
}

/** decodeHeader's answer for a header page that is all 0xFF. */
export const ERASED = "erased" as const;
/** decodeHeader's answer for a header page that does not check out. */
export const INVALID = "invalid" as const;

/** Reads a header page: the object and ordinal it names, or whether it is erased or does not check out. */
export function decodeHeader(page: Uint8Array): { id: string; ordinal: number } | typeof ERASED | typeof INVALID {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  if (allErased(p)) return ERASED;
  if (p.toString("latin1", 0, 8) !== BLOCK_MAGIC) return INVALID;
  if (!sha256(p.subarray(0, H_HASH)).equals(p.subarray(H_HASH, BLOCK_HEADER_BYTES))) return INVALID;
  return { id: p.toString("hex", H_ID, H_ORDINAL), ordinal: p.readUInt32LE(H_ORDINAL) };
}

/** A commit record as decoded: object id and SHA-256 as lowercase hex, the blob copied out. */
export interface CommitRecord {
  id: string;
  blocks: number;
  /** Length of the stored object, which is the `.age` file's. */
  length: number;
  /** Bytes at the end of the stored object that start the `.age` file (0: stored in `.age` order). */
  headerBytes: number;
  /** SHA-256 of the `.age` file. */
  sha256: string;
  blob: Uint8Array;
}

/**
 * The commit record page of object `id` (359 bytes; the device pads the page
 * with 0xFF). `headerBytes` (at most `length`) is how many bytes at the end
 * of the stored object begin the `.age` file; `digest` is the `.age` file's.
 */
export function encodeCommit(id: Uint8Array, blocks: number, length: number, headerBytes: number, digest: Uint8Array, blob: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(headerBytes) || headerBytes < 0 || headerBytes > length || headerBytes > 0xffffffff) {
    throw new SealcamError(`flash: ${headerBytes} header bytes do not fit an object of ${length}`, EXIT.INTERNAL);
  }
  const c = Buffer.alloc(COMMIT_RECORD_BYTES);
  c.write(COMMIT_MAGIC, 0, "latin1");
  c.set(id, C_ID);
  c.writeUInt32LE(blocks, C_BLOCKS);
  c.writeBigUInt64LE(BigInt(length), C_LENGTH);
  c.writeUInt32LE(headerBytes, C_HEADER);
  c.set(digest, C_SHA);
  c.set(blob, C_BLOB);
  sha256(c.subarray(0, C_HASH)).copy(c, C_HASH);
  return c;
}

/**
 * A commit record if `page` starts with one that checks out (magic and
 * SHA-256; header bytes not above the length), else undefined. Reads the old
 * record (COMMIT_MAGIC_V1) too, with header bytes 0.
 */
export function decodeCommit(page: Uint8Array): CommitRecord | undefined {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  const magic = p.toString("latin1", 0, 8);
  const v1 = magic === COMMIT_MAGIC_V1;
  if (magic !== COMMIT_MAGIC && !v1) return undefined;
  const [at, blob, end] = v1 ? [V1_SHA, V1_BLOB, V1_HASH] : [C_SHA, C_BLOB, C_HASH];
  if (!sha256(p.subarray(0, end)).equals(p.subarray(end, end + 32))) return undefined;
  const length = p.readBigUInt64LE(C_LENGTH);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const headerBytes = v1 ? 0 : p.readUInt32LE(C_HEADER);
  if (headerBytes > length) return undefined;
  return {
    id: p.toString("hex", C_ID, C_BLOCKS),
    blocks: p.readUInt32LE(C_BLOCKS),
    length: Number(length),
    headerBytes,
    sha256: p.toString("hex", at, blob),
    blob: new Uint8Array(p.subarray(blob, end)),
  };
}

/** The header page of an audit block (64 bytes; the device pads the page with 0xFF). */
export function encodeAuditHeader(serial: number): Uint8Array {
  const h = Buffer.alloc(AUDIT_HEADER_BYTES);
  h.write(AUDIT_MAGIC, 0, "latin1");
  h.writeBigUInt64LE(BigInt(serial), A_SERIAL);
  sha256(h.subarray(0, A_HASH)).copy(h, A_HASH);
  return h;
}

/**
 * The serial of an audit block if `page` is an audit block header that checks
 * out (magic, reserved bytes zero, SHA-256, serial below 2^53), else undefined.
 */
export function decodeAuditHeader(page: Uint8Array): number | undefined {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  if (p.toString("latin1", 0, 8) !== AUDIT_MAGIC) return undefined;
  if (!sha256(p.subarray(0, A_HASH)).equals(p.subarray(A_HASH, AUDIT_HEADER_BYTES))) return undefined;
  if (!p.subarray(A_RESERVED, A_HASH).every((x) => x === 0)) return undefined;
  const serial = p.readBigUInt64LE(A_SERIAL);
  return serial > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(serial);
}

/** An audit entry page: the 200-byte entry, then its SHA-256 (232 bytes; the device pads the page with 0xFF). */
export function encodeAuditPage(entry: Uint8Array): Uint8Array {
  if (entry.length !== AUDIT_ENTRY_BYTES) throw new SealcamError(`audit: an entry is ${AUDIT_ENTRY_BYTES} bytes, not ${entry.length}`, EXIT.INTERNAL);
  const p = Buffer.alloc(AUDIT_PAGE_BYTES);
  p.set(entry, 0);
  sha256(entry).copy(p, AUDIT_ENTRY_BYTES);
  return p;
}

/**
 * The entry on an audit page and its index, if the page holds a whole one
 * (its SHA-256 checks out and the index is below 2^53), else undefined: an
 * erased page, or one a power cut tore.
 */
export function decodeAuditPage(page: Uint8Array): { entry: Uint8Array; index: number } | undefined {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  if (!sha256(p.subarray(0, AUDIT_ENTRY_BYTES)).equals(p.subarray(AUDIT_ENTRY_BYTES, AUDIT_PAGE_BYTES))) return undefined;
  const index = p.readBigUInt64LE(AUDIT_INDEX_AT);
  if (index > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { entry: new Uint8Array(p.subarray(0, AUDIT_ENTRY_BYTES)), index: Number(index) };
}

/** The index of a 200-byte audit entry (u64 at byte 32), or undefined when it is 2^53 or more. */
export function auditIndex(entry: Uint8Array): number | undefined {
  const index = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).readBigUInt64LE(AUDIT_INDEX_AT);
  return index > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(index);
}

/**
 * `n` bytes of a stored object from byte `at` of its data (pages 1… of its
 * blocks, in ordinal order), read from the device. One read per block the
 * range touches.
 */
export function readStored(device: FlashDevice, blocks: readonly number[], at: number, n: number): Uint8Array {
  const { pageBytes, pagesPerBlock } = device.geometry;
  const perBlock = pageBytes * (pagesPerBlock - 1);
  let out: Uint8Array | undefined;
  let done = 0;
  while (done < n) {
    const pos = at + done;
    const ordinal = Math.floor(pos / perBlock);
    const within = pos - ordinal * perBlock;
    const take = Math.min(n - done, perBlock - within);
    const piece = device.read(blocks[ordinal] * device.blockBytes + pageBytes + within, take);
    if (take === n) return piece;
    (out ??= new Uint8Array(n)).set(piece, done);
    done += take;
  }
  return out ?? new Uint8Array(0);
}

/** 0xFF bytes to compare against (memcmp), grown to the largest length asked: one block. */
let erasedBytes = Buffer.alloc(0);

/** Whether every byte of `b` is 0xFF (an erased page or block). */
export function allErased(b: Uint8Array): boolean {
  if (erasedBytes.length < b.length) erasedBytes = Buffer.alloc(b.length, 0xff);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(erasedBytes.subarray(0, b.length));
}

/**
 * `n` bytes of a segment's `.age` file from byte `at`, for an object of
 * `length` stored bytes whose last `headerBytes` are the start of the file
 * (FORMAT.md: a pre-event segment's age header is stored after its payload).
 */
export function readAgeBytes(device: FlashDevice, blocks: readonly number[], length: number, headerBytes: number, at: number, n: number): Uint8Array {
  const payload = length - headerBytes;
  if (at + n <= headerBytes) return readStored(device, blocks, payload + at, n);
  if (at >= headerBytes) return readStored(device, blocks, at - headerBytes, n);
  const out = new Uint8Array(n);
  const first = headerBytes - at;
  out.set(readStored(device, blocks, payload + at, first), 0);
  out.set(readStored(device, blocks, 0, n - first), first);
  return out;
}
