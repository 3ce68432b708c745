// The frame entry of the evidence stream (docs/FORMAT.md "Frame entry",
// "Frame record"):
//
//   0x46 ‖ le64 n ‖ the n frame bytes ‖ record (176) ‖ signature (64)
//
// The record is built and signed in one static area laid out as
// "sealcam/v1/frame-record" ‖ record ‖ signature, so the signed message
// (199 bytes) and the entry's tail (record ‖ signature, 240 bytes) are each
// one contiguous run.

import { wipe } from "../crypto/ct";
import { sha256 } from "../crypto/sha256";
import { sha512_final } from "../crypto/sha512";
import { ed25519_sign } from "../crypto/ed25519";

/** Frame record size in bytes. */
export const FRAME_RECORD_BYTES: usize = 176;
/** Record ‖ signature: what follows the frame bytes in the entry. */
export const FRAME_TAIL_BYTES: usize = 240;
/** Entry type ‖ le64 length: what precedes the frame bytes. */
export const FRAME_HEAD_BYTES: usize = 9;

const DOMAIN_BYTES: usize = 23;
const MSG_BYTES: usize = DOMAIN_BYTES + FRAME_RECORD_BYTES;

// "sealcam/v1/frame-record"
const DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x66, 0x72, 0x61, 0x6d, 0x65,
  0x2d, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64,
]);

/** Domain ‖ record ‖ signature. */
const MSG: usize = memory.data(<i32>(MSG_BYTES + 64), 16);
const REC: usize = MSG + DOMAIN_BYTES;
/** Entry type ‖ le64 frame length. */
const HEAD: usize = memory.data(16, 16);

/** Writes the entry head for an `n`-byte frame; returns its address (FRAME_HEAD_BYTES). */
export function frameHead(n: u64): usize {
  store<u8>(HEAD, 0x46); // "F"
  store<u64>(HEAD + 1, n);
  return HEAD;
}

/**
 * Builds and signs the record of a frame and returns the address of
 * record ‖ signature (FRAME_TAIL_BYTES).
 * - `pk` (32), `recording` (16), `prev` (32: the previous record hash) are read;
 * - `hashCtx` is the SHA-512 context that absorbed the frame's `n` bytes; it
 *   is finished into the record (and wiped by sha512_final);
 * - `sk` is the 64-byte Ed25519 secret key (seed ‖ pk);
 * - the record hash, SHA-256 of the signed message, goes to `hashOut` (32),
 *   which may equal `prev` only if the caller no longer needs it.
 */
export function frameRecordSeal(
  pk: usize, recording: usize, frame: u64, time: u64, flags: u32, sequence: u32, n: u64,
  hashCtx: usize, prev: usize, sk: usize, hashOut: usize,
): usize {
  memory.copy(MSG, DOMAIN, DOMAIN_BYTES);
  memory.copy(REC, pk, 32);
  memory.copy(REC + 32, recording, 16);
  store<u64>(REC, frame, 48);
  store<u64>(REC, time, 56);
  store<u32>(REC, flags, 64);
  store<u32>(REC, sequence, 68);
  store<u64>(REC, n, 72);
  sha512_final(hashCtx, REC + 80);
  memory.copy(REC + 144, prev, 32);
  ed25519_sign(REC + FRAME_RECORD_BYTES, MSG, MSG_BYTES, sk);
  sha256(hashOut, MSG, MSG_BYTES);
  return REC;
}

/**
 * Wipes the record scratch (the last record built and its signature), for a
 * frame whose record was signed but never appended: a segment abort calls it
 * so no signed record of a frame that took no number stays in memory.
 */
export function frameRecordWipe(): void {
  wipe(MSG, <usize>(MSG_BYTES + 64));
}
