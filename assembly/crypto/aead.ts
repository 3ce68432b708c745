// ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8).
//
// Poly1305 key = first 32 bytes of ChaCha20 block 0 (section 2.6); the data is
// encrypted from block 1; the tag is Poly1305 over
//   AD | pad16 | ciphertext | pad16 | le64(AD length) | le64(ciphertext length).
// Encryption streams (init, AD, data, final); decryption is one-shot and
// checks the tag before it writes any plaintext.
//
// Hot path: with SIMD, whole 256-byte groups are encrypted four ChaCha20
// blocks at a time, and Poly1305 absorbs each group's ciphertext one group
// later inside the next group's rounds (aead_simd.ts), where it is nearly free.
//
// Context layout (AEAD_CTX_BYTES = 272):
//   0    ChaCha20 context (chacha20_core.ts, 144 bytes)
//   144  Poly1305 context (poly1305_core.ts, 96 bytes)
//   240  u64 AD length, 248 u64 ciphertext length: together exactly the
//        final 16-byte length block of the MAC input
//   256  u32 phase: 0 = AD, 1 = data started
//   260  (padding)

import { OK, ERR_AUTH, ERR_COUNTER, ERR_STATE } from "../errors";
import { ctEqual, wipe } from "./ct";
import { stateInit, keystreamAvailable, xorStream, block1Xor, OFF_REMAINING, OFF_LEFT, OFF_BUF } from "./chacha20_core";
import { chacha4XorMac } from "./aead_simd";
import { polyInit, polyUpdate, polyFinish, polyBlocks, OFF_FILL } from "./poly1305_core";

/** Key size in bytes. */
export const AEAD_KEY_BYTES: i32 = 32;
/** Nonce size in bytes. */
export const AEAD_NONCE_BYTES: i32 = 12;
/** Tag size in bytes. */
export const AEAD_TAG_BYTES: i32 = 16;
/** Size in bytes of the context a caller provides for streaming encryption. */
export const AEAD_CTX_BYTES: i32 = 272;

// @ts-ignore: decorator
@inline const POLY: usize = 144;
// @ts-ignore: decorator
@inline const OFF_ADLEN: usize = 240;
// @ts-ignore: decorator
@inline const OFF_CTLEN: usize = 248;
// @ts-ignore: decorator
@inline const OFF_PHASE: usize = 256;

/** Context of the one-shot calls; wiped before they return. */
const ONESHOT: usize = memory.data(AEAD_CTX_BYTES, 16);
/** The tag computed by aead_decrypt; wiped before it returns. */
const TAG: usize = memory.data(16, 16);
/** Zero bytes for the pad16 fields. */
const ZEROS: usize = memory.data(16, 16);

/**
 * Starts an encryption with the 32-byte `key` and 12-byte `nonce` in the
 * AEAD_CTX_BYTES context at `ctx`: derives the Poly1305 key from ChaCha20
 * block 0 (the block is wiped) and sets the counter to 1. The context holds
 * key material until `aead_encrypt_final` wipes it.
 */
export function aead_init(ctx: usize, key: usize, nonce: usize): void {
  stateInit(ctx, key, nonce, 0);
  const blk = ctx + OFF_BUF;
  memory.fill(blk, 0, 64);
  store<u64>(ctx, load<u64>(ctx, OFF_REMAINING) - 1, OFF_REMAINING);
  block1Xor(ctx, blk, blk); // keystream block 0; the counter is now 1
  polyInit(ctx + POLY, blk);
  wipe(blk, 64);
  store<u64>(ctx, 0, OFF_ADLEN);
  store<u64>(ctx, 0, OFF_CTLEN);
  store<u32>(ctx, 0, OFF_PHASE);
}

/**
 * Absorbs `len` bytes of associated data; any number of calls, any lengths.
 * Returns OK, or ERR_STATE (nothing absorbed) once aead_encrypt_update has
 * been called on this context.
 */
export function aead_update_ad(ctx: usize, ad: usize, len: usize): i32 {
  if (load<u32>(ctx, OFF_PHASE) != 0) return ERR_STATE;
  polyUpdate(ctx + POLY, ad, len);
  store<u64>(ctx, load<u64>(ctx, OFF_ADLEN) + <u64>len, OFF_ADLEN);
  return OK;
}

/** Ends the AD phase once: absorbs pad16(AD). */
function startData(ctx: usize): void {
  if (load<u32>(ctx, OFF_PHASE) != 0) return;
  const pad = <usize>(0 - load<u64>(ctx, OFF_ADLEN)) & 15;
  polyUpdate(ctx + POLY, ZEROS, pad);
  store<u32>(ctx, 1, OFF_PHASE);
}

/**
 * `groups` whole 256-byte groups, with the keystream position and the
 * Poly1305 buffer both empty: each group's ChaCha20 rounds also absorb the
 * ciphertext of the group before (aead_simd.ts); the last group's after.
 */
function encryptGroups(ctx: usize, out: usize, inp: usize, groups: usize): void {
  const p = ctx + POLY;
  store<u64>(ctx, load<u64>(ctx, OFF_REMAINING) - (<u64>groups << 2), OFF_REMAINING);
  chacha4XorMac(ctx, out, inp, 0, p);
  for (let g: usize = 1; g < groups; g++) {
    const off = g << 8;
    chacha4XorMac(ctx, out + off, inp + off, out + off - 256, p);
  }
  polyBlocks(p, out + ((groups - 1) << 8), 16);
}

/**
 * Encrypts `len` bytes from `input` to `out` and absorbs the ciphertext; any
 * lengths, split calls give the same bytes and tag as one call. `out` may
 * equal `input` but must not otherwise overlap it. The first call (even with
 * len 0) ends the AD phase.
 * Returns OK, or ERR_COUNTER (nothing written or absorbed) when the data
 * would pass ChaCha20 block 2^32 - 1.
 */
export function aead_encrypt_update(ctx: usize, out: usize, input: usize, len: usize): i32 {
  if (!keystreamAvailable(ctx, len)) return ERR_COUNTER;
  startData(ctx);
  store<u64>(ctx, load<u64>(ctx, OFF_CTLEN) + <u64>len, OFF_CTLEN);
  const p = ctx + POLY;
  if (ASC_FEATURE_SIMD) {
    // Up to a 64-byte keystream boundary (also a 16-byte MAC boundary: the
    // ciphertext starts right after pad16(AD)), then whole groups.
    const left = <usize>load<u32>(ctx, OFF_LEFT);
    if (left > 0) {
      const n = len < left ? len : left;
      xorStream(ctx, out, input, n);
      polyUpdate(p, out, n);
      out += n;
      input += n;
      len -= n;
    }
    const groups = len >> 8;
    if (groups > 0 && load<u32>(p, OFF_FILL) == 0) {
      encryptGroups(ctx, out, input, groups);
      out += groups << 8;
      input += groups << 8;
      len &= 255;
    }
  }
  if (len > 0) {
    xorStream(ctx, out, input, len);
    polyUpdate(p, out, len);
  }
  return OK;
}

/** Absorbs pad16(AD) if still due, pad16(ciphertext) and the lengths; writes the tag. */
function macFinish(ctx: usize, tag: usize): void {
  startData(ctx);
  const p = ctx + POLY;
  polyUpdate(p, ZEROS, <usize>(0 - load<u64>(ctx, OFF_CTLEN)) & 15);
  polyUpdate(p, ctx + OFF_ADLEN, 16); // le64(AD length) | le64(ciphertext length)
  polyFinish(p, tag);
}

/** Writes the 16-byte tag to `tag`, then wipes all AEAD_CTX_BYTES of the context. */
export function aead_encrypt_final(ctx: usize, tag: usize): void {
  macFinish(ctx, tag);
  wipe(ctx, AEAD_CTX_BYTES);
}

/**
 * One-shot encryption: `len` bytes from `input` to `out` (may be equal), the
 * 16-byte tag to `tag`, over `adLen` bytes of AD. Uses a static context that
 * it wipes. Returns OK (ERR_COUNTER cannot occur for a 32-bit length).
 */
export function aead_encrypt(out: usize, tag: usize, input: usize, len: usize, ad: usize, adLen: usize, key: usize, nonce: usize): i32 {
  aead_init(ONESHOT, key, nonce);
  aead_update_ad(ONESHOT, ad, adLen);
  const rc = aead_encrypt_update(ONESHOT, out, input, len);
  if (rc != OK) {
    wipe(ONESHOT, AEAD_CTX_BYTES);
    return rc;
  }
  aead_encrypt_final(ONESHOT, tag);
  return OK;
}

/**
 * One-shot decryption: checks the 16-byte `tag` over `adLen` bytes of AD and
 * `len` bytes of ciphertext at `input` (constant-time comparison), and only
 * then writes the plaintext to `out` (may equal `input`).
 * Returns OK, or ERR_AUTH with `out` untouched when the tag does not match
 * (ERR_COUNTER cannot occur for a 32-bit length). The static context and the
 * computed tag are wiped either way.
 */
export function aead_decrypt(out: usize, input: usize, len: usize, tag: usize, ad: usize, adLen: usize, key: usize, nonce: usize): i32 {
  const ctx = ONESHOT;
  aead_init(ctx, key, nonce);
  aead_update_ad(ctx, ad, adLen);
  if (!keystreamAvailable(ctx, len)) {
    wipe(ctx, AEAD_CTX_BYTES);
    return ERR_COUNTER; // unreachable with a 32-bit length; kept as a guard
  }
  startData(ctx);
  polyUpdate(ctx + POLY, input, len);
  store<u64>(ctx, <u64>len, OFF_CTLEN);
  macFinish(ctx, TAG);
  const good = ctEqual(TAG, tag, 16);
  wipe(TAG, 16);
  if (good) xorStream(ctx, out, input, len);
  wipe(ctx, AEAD_CTX_BYTES);
  return good ? OK : ERR_AUTH;
}
