// The segment header and the trailer entry of the evidence stream
// (docs/FORMAT.md "Segment header", "Trailer entry", "Trailer").
//
// The header (128 bytes) opens every segment's plaintext and is not signed by
// itself: its SHA-256 goes into the trailer, which is signed. The trailer
// entry closes the plaintext:
//
//   0x54 ‖ trailer (160) ‖ signature (64)
//
// The trailer is built in a static area laid out as
// "sealcam/v1/segment-trailer" ‖ trailer ‖ signature, so the signed message
// (186 bytes) and trailer ‖ signature (224 bytes) are each contiguous; the
// type byte is written separately.

import { wipe } from "../crypto/ct";
import { sha256 } from "../crypto/sha256";
import { ed25519_sign } from "../crypto/ed25519";

/** Segment header size in bytes. */
export const SEGMENT_HEADER_BYTES: usize = 128;
/** Trailer ‖ signature: what follows the entry type byte. */
export const TRAILER_TAIL_BYTES: usize = 224;

const TRAILER_BYTES: usize = 160;
const DOMAIN_BYTES: usize = 26;
const MSG_BYTES: usize = DOMAIN_BYTES + TRAILER_BYTES;

/** "SCAMSEG1" as a little-endian u64. */
const MAGIC: u64 = 0x314745534d414353;

// "sealcam/v1/segment-trailer"
const DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x73, 0x65, 0x67, 0x6d, 0x65,
  0x6e, 0x74, 0x2d, 0x74, 0x72, 0x61, 0x69, 0x6c, 0x65, 0x72,
]);

const HEADER: usize = memory.data(<i32>SEGMENT_HEADER_BYTES, 16);
/** Domain ‖ trailer ‖ signature. */
const MSG: usize = memory.data(<i32>(MSG_BYTES + 64), 16);
const TRAILER: usize = MSG + DOMAIN_BYTES;
/** The trailer entry's type byte, "T". */
const TYPE_T: usize = memory.data<u8>([0x54]);

/**
 * Builds the segment header and returns its address (SEGMENT_HEADER_BYTES);
 * its SHA-256 goes to `hashOut` (32). `pk` (32), `recording` (16) and
 * `chain` (32: the record hash of the recording's previous frame, zeros
 * before frame 0) are read. Reserved fields are zero.
 */
export function segmentHeader(
  pk: usize, recording: usize, sequence: u32, firstFrame: u64, openTime: u64, chain: usize, hashOut: usize,
): usize {
  memory.fill(HEADER, 0, SEGMENT_HEADER_BYTES);
  store<u64>(HEADER, MAGIC, 0);
  memory.copy(HEADER + 8, pk, 32);
  memory.copy(HEADER + 40, recording, 16);
  store<u32>(HEADER, sequence, 56);
  store<u64>(HEADER, firstFrame, 64);
  store<u64>(HEADER, openTime, 72);
  memory.copy(HEADER + 80, chain, 32);
  sha256(hashOut, HEADER, SEGMENT_HEADER_BYTES);
  return HEADER;
}

/** Address of the trailer entry's one-byte type ("T"). */
export function trailerType(): usize {
  return TYPE_T;
}

/**
 * Builds and signs the trailer; returns the address of trailer ‖ signature
 * (TRAILER_TAIL_BYTES). `pk` (32), `recording` (16), `headerHash` (32: the
 * SHA-256 of the segment header) and `lastRecord` (32: the record hash of
 * the segment's last frame) are read; `sk` is the 64-byte Ed25519 secret key.
 */
export function trailerSeal(
  pk: usize, recording: usize, sequence: u32, isFinal: bool, firstFrame: u64, count: u64,
  firstTime: u64, lastTime: u64, closeTime: u64, headerHash: usize, lastRecord: usize, sk: usize,
): usize {
  memory.copy(MSG, DOMAIN, DOMAIN_BYTES);
  memory.copy(TRAILER, pk, 32);
  memory.copy(TRAILER + 32, recording, 16);
  store<u32>(TRAILER, sequence, 48);
  store<u32>(TRAILER, isFinal ? 1 : 0, 52);
  store<u64>(TRAILER, firstFrame, 56);
  store<u64>(TRAILER, count, 64);
  store<u64>(TRAILER, firstTime, 72);
  store<u64>(TRAILER, lastTime, 80);
  store<u64>(TRAILER, closeTime, 88);
  memory.copy(TRAILER + 96, headerHash, 32);
  memory.copy(TRAILER + 128, lastRecord, 32);
  ed25519_sign(TRAILER + TRAILER_BYTES, MSG, MSG_BYTES, sk);
  return TRAILER;
}

/**
 * Wipes the trailer scratch (the last trailer built and its signature), for a
 * segment aborted after its trailer was signed: no signed trailer of a
 * segment that was never committed stays in memory.
 */
export function trailerWipe(): void {
  wipe(MSG, <usize>(MSG_BYTES + 64));
}
