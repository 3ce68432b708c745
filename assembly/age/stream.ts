// The age v1 payload writer (C2SP age "Payload", docs/FORMAT.md "The age
// file"): STREAM over 64 KiB chunks of ChaCha20-Poly1305, and the count of
// every byte handed to storage for the open segment's .age file.
//
// One chunk buffer of 64 KiB + 16 (room for the tag) holds the plaintext of
// the chunk being filled. A full chunk is sealed only when more data arrives,
// so whatever chunk is current when the writer finishes gets the last-chunk
// flag, even when the plaintext is an exact multiple of 64 KiB (age accepts a
// full last chunk, never an empty one). Input bytes are copied once into the
// buffer and sealed in place; the sealed chunk goes straight to storage.
//
// Secrets: the payload key (32 bytes) lives in KEY from streamStart until
// streamFinish or streamWipe wipes it. The buffer holds plaintext evidence
// between seals; streamWipe clears it when a segment is aborted.

import { OK, ERR_STORAGE, ERR_FULL } from "../errors";
import { wipe } from "../crypto/ct";
import { aead_encrypt } from "../crypto/aead";
import { hkdf_sha256 } from "../crypto/hkdf";
import { storage_append } from "../camera/imports";

/** Plaintext bytes per STREAM chunk (age: 64 KiB). */
export const CHUNK_BYTES: usize = 65536;
const TAG_BYTES: usize = 16;

/** The chunk being filled; the tag is written after its plaintext. */
const CHUNK: usize = memory.data(<i32>(CHUNK_BYTES + TAG_BYTES), 16);
/** The payload key (secret). */
const KEY: usize = memory.data(32, 16);
/** Chunk nonce: 11-byte big-endian counter ‖ last-chunk flag. */
const NONCE: usize = memory.data(12, 16);
/** HKDF info for the payload key: "payload". */
const INFO_PAYLOAD: usize = memory.data<u8>([0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64]);

/** Plaintext bytes in CHUNK. */
let fill: usize = 0;
/** Number of the chunk in CHUNK. */
let counter: u64 = 0;
/** Plaintext bytes written since streamStart. */
let plain: u64 = 0;
/** Bytes handed to storage_append since streamStart (the .age file size). */
let sealed: u64 = 0;

/**
 * Starts a payload: derives the payload key = HKDF-SHA-256(ikm = the 16-byte
 * `fileKey`, salt = the 16-byte `nonce`, info = "payload") and resets the
 * chunk counter and both byte counts. The caller still owns (and wipes)
 * `fileKey`; the payload nonce itself is written by the caller with emit().
 */
export function streamStart(fileKey: usize, nonce: usize): void {
  hkdf_sha256(KEY, 32, nonce, 16, fileKey, 16, INFO_PAYLOAD, 7);
  fill = 0;
  counter = 0;
  plain = 0;
  sealed = 0;
}

/**
 * Hands `len` bytes at `ptr` to storage_append and counts them into the file
 * size. Returns OK; ERR_FULL when the import returned 2 (storage full,
 * docs/ABI.md "Full storage"); ERR_STORAGE for any other non-zero return.
 */
export function emit(ptr: usize, len: usize): i32 {
  const rc = storage_append(ptr, len);
  if (rc != 0) return rc == 2 ? ERR_FULL : ERR_STORAGE;
  sealed += <u64>len;
  return OK;
}

/** Seals the `fill` bytes in CHUNK in place (tag after them) and emits them. */
function sealChunk(last: bool): i32 {
  // Nonce bytes 0..2 stay zero: a u64 counter fills the low 8 of the 11.
  store<u8>(NONCE, 0, 0);
  store<u16>(NONCE, 0, 1);
  store<u64>(NONCE + 3, bswap<u64>(counter));
  store<u8>(NONCE, last ? 1 : 0, 11);
  // Its one failure, ERR_COUNTER, needs more than 2^32 − 1 ChaCha20 blocks
  // (256 GiB); a chunk is at most 1024 blocks, so the code is always OK.
  aead_encrypt(CHUNK, CHUNK + fill, CHUNK, fill, 0, 0, KEY, NONCE);
  counter++;
  const n = fill;
  fill = 0;
  return emit(CHUNK, n + TAG_BYTES);
}

/**
 * Appends `len` plaintext bytes at `src` (anywhere in memory) to the payload.
 * A full chunk is sealed and emitted first when more bytes arrive for it.
 * Returns OK, or emit's ERR_STORAGE or ERR_FULL; after either the payload
 * is unusable (the caller aborts the segment and calls streamWipe).
 */
export function streamWrite(src: usize, len: usize): i32 {
  plain += <u64>len;
  while (len > 0) {
    if (fill == CHUNK_BYTES) {
      const rc = sealChunk(false);
      if (rc != OK) return rc;
    }
    const room = CHUNK_BYTES - fill;
    const n = len < room ? len : room;
    memory.copy(CHUNK + fill, src, n);
    fill += n;
    src += n;
    len -= n;
  }
  return OK;
}

/**
 * Seals the current chunk as the last one, emits it and wipes the payload
 * key and nonce. The payload must not be empty (a segment always holds a
 * header and a trailer). Returns OK, or emit's ERR_STORAGE or ERR_FULL (the
 * key is wiped either way).
 */
export function streamFinish(): i32 {
  const rc = sealChunk(true);
  wipe(KEY, 32);
  wipe(NONCE, 12);
  return rc;
}

/** Abandons the payload: wipes the key, the nonce and the chunk buffer. */
export function streamWipe(): void {
  wipe(KEY, 32);
  wipe(NONCE, 12);
  wipe(CHUNK, CHUNK_BYTES + TAG_BYTES);
  fill = 0;
}

/** Plaintext bytes written since streamStart (the segment's size for the cut). */
export function streamPlainBytes(): u64 {
  return plain;
}

/** Bytes emitted since streamStart: the size of the .age file so far. */
export function streamSealedBytes(): u64 {
  return sealed;
}
