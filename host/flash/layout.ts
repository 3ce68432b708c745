// What the flash store puts on the chip, byte for byte (docs/FORMAT.md, "The
// camera's flash"): object ids, block headers and commit records, how to
// write them and how to tell whether a page read back checks out.
//
// There is no table on the chip. Each used block starts with a header page
// naming its object and its place in it; an object's bytes fill pages 1… of
// its blocks in order; one commit record page after the last data page makes
// it a segment. What a boot does with what it reads is store.ts's business;
// this file only encodes and decodes.
//
// Memory: one block of 0xFF, kept to recognise erased blocks with a memcmp.
import { createHash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import type { Manifest } from "../evidence/manifest.ts";
import { segmentName } from "../store/segments.ts";

/** Magic of a block header (8 ASCII bytes). */
export const BLOCK_MAGIC = "SCAMFLB1";
/** Magic of a commit record (8 ASCII bytes). */
export const COMMIT_MAGIC = "SCAMCMT1";
/** Object id: recording id (16) ‖ sequence number (4, little-endian). */
export const OBJECT_ID_BYTES = 20;
/** Block header: magic, id, ordinal, SHA-256 of those 32 bytes. */
export const BLOCK_HEADER_BYTES = 64;
/** Commit record: magic, id, blocks, length, SHA-256, manifest blob, SHA-256 of the 323 bytes before. */
export const COMMIT_RECORD_BYTES = 355;

// Offsets (FORMAT.md's tables).
const H_ID = 8, H_ORDINAL = 28, H_HASH = 32;
const C_ID = 8, C_BLOCKS = 28, C_LENGTH = 32, C_SHA = 40, C_BLOB = 72, C_HASH = 323;

/** A committed segment in flash. */
export interface StoredSegment {
  /** Object id, 40 lowercase hex (recording id ‖ sequence, little-endian). */
  id: string;
  /** `<recording hex>-<sequence, 6 digits>`: the base name of its files when exported. */
  name: string;
  manifest: Manifest;
  /** Manifest hash: SHA-256 of the signed message. */
  manifestHash: Uint8Array;
  /** Length of the `.age` file. */
  ageBytes: number;
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
  length: number;
  sha256: string;
  blob: Uint8Array;
}

/** The commit record page of object `id` (355 bytes; the device pads the page with 0xFF). */
export function encodeCommit(id: Uint8Array, blocks: number, length: number, digest: Uint8Array, blob: Uint8Array): Uint8Array {
  const c = Buffer.alloc(COMMIT_RECORD_BYTES);
  c.write(COMMIT_MAGIC, 0, "latin1");
  c.set(id, C_ID);
  c.writeUInt32LE(blocks, C_BLOCKS);
  c.writeBigUInt64LE(BigInt(length), C_LENGTH);
  c.set(digest, C_SHA);
  c.set(blob, C_BLOB);
  sha256(c.subarray(0, C_HASH)).copy(c, C_HASH);
  return c;
}

/** A commit record if `page` starts with one that checks out (magic and SHA-256), else undefined. */
export function decodeCommit(page: Uint8Array): CommitRecord | undefined {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  if (p.toString("latin1", 0, 8) !== COMMIT_MAGIC) return undefined;
  if (!sha256(p.subarray(0, C_HASH)).equals(p.subarray(C_HASH, COMMIT_RECORD_BYTES))) return undefined;
  const length = p.readBigUInt64LE(C_LENGTH);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return {
    id: p.toString("hex", C_ID, C_BLOCKS),
    blocks: p.readUInt32LE(C_BLOCKS),
    length: Number(length),
    sha256: p.toString("hex", C_SHA, C_BLOB),
    blob: new Uint8Array(p.subarray(C_BLOB, C_HASH)),
  };
}

/** 0xFF bytes to compare against (memcmp), grown to the largest length asked: one block. */
let erasedBytes = Buffer.alloc(0);

/** Whether every byte of `b` is 0xFF (an erased page or block). */
export function allErased(b: Uint8Array): boolean {
  if (erasedBytes.length < b.length) erasedBytes = Buffer.alloc(b.length, 0xff);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(erasedBytes.subarray(0, b.length));
}
