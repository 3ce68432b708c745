// HMAC-SHA-256 (RFC 2104, with SHA-256 of FIPS 180-4), streaming over a
// caller-provided context.
//
// Context layout (HMAC_SHA256_CTX_BYTES = 208, any alignment):
//   0..104    SHA-256 context of the inner hash, started with K ^ ipad
//   104..208  SHA-256 context of the outer hash, started with K ^ opad
//
// The key block K ^ ipad / K ^ opad is built in a static 64-byte area and
// wiped before init returns; the inner digest is held in a static 32-byte
// area during final and wiped before final returns.

import { wipe } from "./ct";
import {
  SHA256_BYTES,
  SHA256_CTX_BYTES,
  sha256,
  sha256_final,
  sha256_init,
  sha256_update,
} from "./sha256";

/** Tag size in bytes. */
export const HMAC_SHA256_BYTES: i32 = 32;
/** Size in bytes of the context that hmac_sha256_init/update/final work on. */
export const HMAC_SHA256_CTX_BYTES: i32 = 2 * SHA256_CTX_BYTES;

const OUTER: usize = <usize>SHA256_CTX_BYTES;
// ipad and opad bytes (RFC 2104 §2), eight at a time.
const IPAD: u64 = 0x3636363636363636;
const IPAD_TO_OPAD: u64 = 0x3636363636363636 ^ 0x5c5c5c5c5c5c5c5c;

// Key block scratch (wiped by init), inner digest scratch (wiped by final),
// and the context of the one-shot hmac_sha256() (wiped by final).
const KEY_BLOCK: usize = memory.data(64, 16);
const INNER_DIGEST: usize = memory.data(SHA256_BYTES, 16);
const ONESHOT: usize = memory.data(HMAC_SHA256_CTX_BYTES, 16);

/**
 * Starts HMAC-SHA-256 with the `keyLen`-byte key at `key` (any length,
 * including 0) in the HMAC_SHA256_CTX_BYTES bytes at `ctx`. A key longer
 * than the 64-byte block is first replaced by its SHA-256 digest (RFC 2104
 * §2). The key block scratch is wiped before returning.
 */
export function hmac_sha256_init(ctx: usize, key: usize, keyLen: usize): void {
  if (keyLen > 64) {
    sha256(KEY_BLOCK, key, keyLen);
    memory.fill(KEY_BLOCK + 32, 0, 32);
  } else {
    memory.copy(KEY_BLOCK, key, keyLen);
    memory.fill(KEY_BLOCK + keyLen, 0, 64 - keyLen);
  }
  for (let i: usize = 0; i < 64; i += 8) {
    store<u64>(KEY_BLOCK + i, load<u64>(KEY_BLOCK + i) ^ IPAD);
  }
  sha256_init(ctx);
  sha256_update(ctx, KEY_BLOCK, 64);
  for (let i: usize = 0; i < 64; i += 8) {
    store<u64>(KEY_BLOCK + i, load<u64>(KEY_BLOCK + i) ^ IPAD_TO_OPAD);
  }
  sha256_init(ctx + OUTER);
  sha256_update(ctx + OUTER, KEY_BLOCK, 64);
  wipe(KEY_BLOCK, 64);
}

/**
 * Absorbs `len` bytes at `input` (any length, including 0) into the message
 * being authenticated, in the HMAC_SHA256_CTX_BYTES (208-byte) context at
 * `ctx` started by hmac_sha256_init. May be called any number of times.
 */
export function hmac_sha256_update(ctx: usize, input: usize, len: usize): void {
  sha256_update(ctx, input, len);
}

/**
 * Writes the 32-byte tag to `out` and wipes all HMAC_SHA256_CTX_BYTES of the
 * context (and the inner digest scratch). `out` must not overlap the context.
 */
export function hmac_sha256_final(ctx: usize, out: usize): void {
  sha256_final(ctx, INNER_DIGEST);
  sha256_update(ctx + OUTER, INNER_DIGEST, SHA256_BYTES);
  sha256_final(ctx + OUTER, out);
  wipe(INNER_DIGEST, SHA256_BYTES);
}

/**
 * One-shot HMAC-SHA-256: writes the 32-byte tag of the `len` bytes at `input`
 * under the `keyLen`-byte key at `key` to `out`. The tag is written last, so
 * `out` may overlap `key` or `input`. Uses a static context, wiped before
 * returning.
 */
export function hmac_sha256(out: usize, key: usize, keyLen: usize, input: usize, len: usize): void {
  hmac_sha256_init(ONESHOT, key, keyLen);
  hmac_sha256_update(ONESHOT, input, len);
  hmac_sha256_final(ONESHOT, out);
}
