// The segment manifest's signed message and signature (docs/FORMAT.md "The
// segment manifest"). The module produces the binary blob the host turns
// into `.manifest.json`:
//
//   signed message (187) ‖ Ed25519 signature (64)  =  MANIFEST_BLOB_BYTES
//
// The signed message is "sealcam/v1/segment-manifest" followed by the fixed
// fields; the manifest hash, SHA-256 of the signed message, chains segments.

import { wipe } from "../crypto/ct";
import { sha256 } from "../crypto/sha256";
import { ed25519_sign } from "../crypto/ed25519";

/** Signed message ‖ signature, in bytes. */
export const MANIFEST_BLOB_BYTES: usize = 251;

const DOMAIN_BYTES: usize = 27;
const MSG_BYTES: usize = 187;

// "sealcam/v1/segment-manifest"
const DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x73, 0x65, 0x67, 0x6d, 0x65,
  0x6e, 0x74, 0x2d, 0x6d, 0x61, 0x6e, 0x69, 0x66, 0x65, 0x73, 0x74,
]);

const BLOB: usize = memory.data(<i32>MANIFEST_BLOB_BYTES, 16);

/**
 * Builds and signs a segment's manifest; returns the address of the
 * MANIFEST_BLOB_BYTES blob and writes the manifest hash to `hashOut` (32).
 * `pk` (32), `recording` (16), `ageDigest` (32: SHA-256 of the .age file)
 * and `previous` (32: the previous manifest hash, zeros until the recording's
 * first committed segment and on a pre-event start) are read; `sk` is the
 * 64-byte Ed25519 secret key. Flags: bit 0 `isFinal`, bit 1 `preEventStart`
 * (the recording's evidence begins here: earlier segments expired in the
 * pre-event buffer, docs/ABI.md "Pre-event buffer").
 */
export function manifestSeal(
  pk: usize, recording: usize, sequence: u32, isFinal: bool, preEventStart: bool, firstFrame: u64, count: u64,
  firstTime: u64, lastTime: u64, ageBytes: u64, ageDigest: usize, previous: usize, sk: usize, hashOut: usize,
): usize {
  memory.copy(BLOB, DOMAIN, DOMAIN_BYTES);
  memory.copy(BLOB + 27, pk, 32);
  memory.copy(BLOB + 59, recording, 16);
  store<u32>(BLOB, sequence, 75);
  store<u32>(BLOB, (isFinal ? 1 : 0) | (preEventStart ? 2 : 0), 79);
  store<u64>(BLOB, firstFrame, 83);
  store<u64>(BLOB, count, 91);
  store<u64>(BLOB, firstTime, 99);
  store<u64>(BLOB, lastTime, 107);
  store<u64>(BLOB, ageBytes, 115);
  memory.copy(BLOB + 123, ageDigest, 32);
  memory.copy(BLOB + 155, previous, 32);
  ed25519_sign(BLOB + MSG_BYTES, BLOB, MSG_BYTES, sk);
  sha256(hashOut, BLOB, MSG_BYTES);
  return BLOB;
}

/**
 * Wipes the manifest blob (the last manifest built and its signature), for a
 * segment whose commit failed: no signed manifest of a segment that was
 * never committed stays in memory.
 */
export function manifestWipe(): void {
  wipe(BLOB, MANIFEST_BLOB_BYTES);
}
