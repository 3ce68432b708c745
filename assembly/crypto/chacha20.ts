// ChaCha20 stream cipher, IETF variant (RFC 8439 section 2.4): 256-bit key,
// 96-bit nonce, 32-bit block counter. Encryption and decryption are the same
// keystream XOR. Four blocks at a time with WASM SIMD (chacha20_simd.ts), one
// at a time in the scalar build; both give the same bytes.

import { OK, ERR_COUNTER } from "../errors";
import { wipe } from "./ct";
import { CTX_BYTES, stateInit, keystreamAvailable, xorStream } from "./chacha20_core";

/** Key size in bytes. */
export const CHACHA20_KEY_BYTES: i32 = 32;
/** Nonce size in bytes (IETF: 96 bits). */
export const CHACHA20_NONCE_BYTES: i32 = 12;
/** Size in bytes of the context a caller provides for the streaming calls. */
export const CHACHA20_CTX_BYTES: i32 = <i32>CTX_BYTES;

/** Context of the one-shot `chacha20`; wiped before it returns. */
const ONESHOT: usize = memory.data(<i32>CTX_BYTES, 16);

/**
 * Starts a keystream: copies the 32-byte `key` and 12-byte `nonce` into the
 * CHACHA20_CTX_BYTES context at `ctx`; the first block uses `counter`.
 * The context holds the key until `chacha20_final` wipes it.
 */
export function chacha20_init(ctx: usize, key: usize, nonce: usize, counter: u32): void {
  stateInit(ctx, key, nonce, counter);
}

/**
 * XORs the next `len` bytes of keystream with `input` into `out` (encrypts or
 * decrypts). Any lengths: the keystream position carries across calls, so
 * split calls give the same bytes as one call. `out` may equal `input` but
 * must not otherwise overlap it.
 * Returns OK, or ERR_COUNTER (and writes nothing) when `len` bytes would need
 * a block beyond counter 2^32 - 1.
 */
export function chacha20_update(ctx: usize, out: usize, input: usize, len: usize): i32 {
  if (!keystreamAvailable(ctx, len)) return ERR_COUNTER;
  xorStream(ctx, out, input, len);
  return OK;
}

/** Ends a keystream: wipes all CHACHA20_CTX_BYTES of the context (key, buffered keystream). */
export function chacha20_final(ctx: usize): void {
  wipe(ctx, CTX_BYTES);
}

/**
 * One-shot ChaCha20: `out = input XOR keystream(key, nonce, counter)` over
 * `len` bytes (`out` may equal `input`). Uses a static context that it wipes.
 * Returns OK, or ERR_COUNTER (nothing written) when the counter would wrap.
 */
export function chacha20(out: usize, input: usize, len: usize, key: usize, nonce: usize, counter: u32): i32 {
  chacha20_init(ONESHOT, key, nonce, counter);
  const rc = chacha20_update(ONESHOT, out, input, len);
  chacha20_final(ONESHOT);
  return rc;
}
