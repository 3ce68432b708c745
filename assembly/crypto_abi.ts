// The crypto core as the host sees it: every export of crypto/index.ts under
// the same name and signature, confined to the I/O window (docs/ABI.md).
//
// The crypto functions take any address, as the camera needs: it hashes,
// signs and seals in its own static areas (the device secret key, the
// recipients, the dock key, scratch), which lie outside the window. A host
// holding those same functions could aim them there, e.g. sign with the
// device key or write a public key over the recipients. So each export here
// first checks every pointer of the call against the window with the length
// the function reads or writes there (checkWindow: a trap, before anything
// changes), then calls the unchecked function. The camera, age and evidence
// code import the unchecked functions from crypto/*.ts directly.
//
// A context in the window is the host's to write, and two of its fields
// position an access: ChaCha20's count of buffered keystream bytes (a read)
// and Poly1305's count of buffered message bytes (a write). The calls that
// use them also trap unless they are in range, so no context can aim outside
// itself. The other fields feed arithmetic, or (SHA-2's byte counts) are
// masked to the context's block buffer before they position anything.
//
// Every check is O(1); none depends on secret data.

import { checkWindow } from "./abi";
import { OFF_LEFT } from "./crypto/chacha20_core";
import { OFF_FILL } from "./crypto/poly1305_core";
import {
  SHA256_BYTES, SHA256_CTX_BYTES,
  sha256_init as sha256_init_raw, sha256_update as sha256_update_raw,
  sha256_final as sha256_final_raw, sha256 as sha256_raw,
  SHA512_BYTES, SHA512_CTX_BYTES,
  sha512_init as sha512_init_raw, sha512_update as sha512_update_raw,
  sha512_final as sha512_final_raw, sha512 as sha512_raw,
  HMAC_SHA256_BYTES, HMAC_SHA256_CTX_BYTES,
  hmac_sha256_init as hmac_sha256_init_raw, hmac_sha256_update as hmac_sha256_update_raw,
  hmac_sha256_final as hmac_sha256_final_raw, hmac_sha256 as hmac_sha256_raw,
  hkdf_sha256_extract as hkdf_sha256_extract_raw, hkdf_sha256_expand as hkdf_sha256_expand_raw,
  hkdf_sha256 as hkdf_sha256_raw,
  CHACHA20_KEY_BYTES, CHACHA20_NONCE_BYTES, CHACHA20_CTX_BYTES,
  chacha20_init as chacha20_init_raw, chacha20_update as chacha20_update_raw,
  chacha20_final as chacha20_final_raw, chacha20 as chacha20_raw,
  POLY1305_KEY_BYTES, POLY1305_TAG_BYTES, POLY1305_CTX_BYTES,
  poly1305_init as poly1305_init_raw, poly1305_update as poly1305_update_raw,
  poly1305_final as poly1305_final_raw, poly1305 as poly1305_raw,
  AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, AEAD_CTX_BYTES,
  aead_init as aead_init_raw, aead_update_ad as aead_update_ad_raw,
  aead_encrypt_update as aead_encrypt_update_raw, aead_encrypt_final as aead_encrypt_final_raw,
  aead_encrypt as aead_encrypt_raw, aead_decrypt as aead_decrypt_raw,
  X25519_BYTES,
  x25519 as x25519_raw, x25519_public as x25519_public_raw,
  ED25519_SEED_BYTES, ED25519_PUBLIC_BYTES, ED25519_SECRET_BYTES, ED25519_SIGN_BYTES,
  ed25519_keypair as ed25519_keypair_raw, ed25519_sign as ed25519_sign_raw,
  ed25519_check_public as ed25519_check_public_raw, ed25519_verify as ed25519_verify_raw,
} from "./crypto/index";

/** aead.ts's context layout: the Poly1305 context follows the ChaCha20 one. */
const AEAD_POLY: usize = <usize>CHACHA20_CTX_BYTES;

/** Traps unless the ChaCha20 context's buffered keystream count is 0..63 (chacha20_core.ts). */
// @ts-ignore: decorator
@inline
function checkChachaState(ctx: usize): void {
  if (load<u32>(ctx, OFF_LEFT) > 63) unreachable();
}

/** Traps unless the Poly1305 context's buffered byte count is 0..15 (poly1305_core.ts). */
// @ts-ignore: decorator
@inline
function checkPolyState(ctx: usize): void {
  if (load<u32>(ctx, OFF_FILL) > 15) unreachable();
}

/** An AEAD context in the window, with both counts in range. */
// @ts-ignore: decorator
@inline
function checkAeadCtx(ctx: usize): void {
  checkWindow(ctx, <usize>AEAD_CTX_BYTES);
  checkChachaState(ctx);
  checkPolyState(ctx + AEAD_POLY);
}

// ---- SHA-256 (crypto/sha256.ts) ---------------------------------------------

export { SHA256_BYTES, SHA256_BLOCK_BYTES, SHA256_CTX_BYTES } from "./crypto/index";

/** sha256_init; traps unless `ctx` (SHA256_CTX_BYTES) is inside the I/O window. */
export function sha256_init(ctx: usize): void {
  checkWindow(ctx, <usize>SHA256_CTX_BYTES);
  sha256_init_raw(ctx);
}

/** sha256_update; traps unless `ctx` (SHA256_CTX_BYTES) and `input` (`len`) are inside the I/O window. */
export function sha256_update(ctx: usize, input: usize, len: usize): void {
  checkWindow(ctx, <usize>SHA256_CTX_BYTES);
  checkWindow(input, len);
  sha256_update_raw(ctx, input, len);
}

/** sha256_final; traps unless `ctx` (SHA256_CTX_BYTES) and `out` (32) are inside the I/O window. */
export function sha256_final(ctx: usize, out: usize): void {
  checkWindow(ctx, <usize>SHA256_CTX_BYTES);
  checkWindow(out, <usize>SHA256_BYTES);
  sha256_final_raw(ctx, out);
}

/** sha256; traps unless `out` (32) and `input` (`len`) are inside the I/O window. */
export function sha256(out: usize, input: usize, len: usize): void {
  checkWindow(out, <usize>SHA256_BYTES);
  checkWindow(input, len);
  sha256_raw(out, input, len);
}

// ---- SHA-512 (crypto/sha512.ts) ---------------------------------------------

export { SHA512_BYTES, SHA512_BLOCK_BYTES, SHA512_CTX_BYTES } from "./crypto/index";

/** sha512_init; traps unless `ctx` (SHA512_CTX_BYTES) is inside the I/O window. */
export function sha512_init(ctx: usize): void {
  checkWindow(ctx, <usize>SHA512_CTX_BYTES);
  sha512_init_raw(ctx);
}

/** sha512_update; traps unless `ctx` (SHA512_CTX_BYTES) and `input` (`len`) are inside the I/O window. */
export function sha512_update(ctx: usize, input: usize, len: usize): void {
  checkWindow(ctx, <usize>SHA512_CTX_BYTES);
  checkWindow(input, len);
  sha512_update_raw(ctx, input, len);
}

/** sha512_final; traps unless `ctx` (SHA512_CTX_BYTES) and `out` (64) are inside the I/O window. */
export function sha512_final(ctx: usize, out: usize): void {
  checkWindow(ctx, <usize>SHA512_CTX_BYTES);
  checkWindow(out, <usize>SHA512_BYTES);
  sha512_final_raw(ctx, out);
}

/** sha512; traps unless `out` (64) and `input` (`len`) are inside the I/O window. */
export function sha512(out: usize, input: usize, len: usize): void {
  checkWindow(out, <usize>SHA512_BYTES);
  checkWindow(input, len);
  sha512_raw(out, input, len);
}

// ---- HMAC-SHA-256 (crypto/hmac.ts) ------------------------------------------

export { HMAC_SHA256_BYTES, HMAC_SHA256_CTX_BYTES } from "./crypto/index";

/** hmac_sha256_init; traps unless `ctx` (HMAC_SHA256_CTX_BYTES) and `key` (`keyLen`) are inside the I/O window. */
export function hmac_sha256_init(ctx: usize, key: usize, keyLen: usize): void {
  checkWindow(ctx, <usize>HMAC_SHA256_CTX_BYTES);
  checkWindow(key, keyLen);
  hmac_sha256_init_raw(ctx, key, keyLen);
}

/** hmac_sha256_update; traps unless `ctx` (HMAC_SHA256_CTX_BYTES) and `input` (`len`) are inside the I/O window. */
export function hmac_sha256_update(ctx: usize, input: usize, len: usize): void {
  checkWindow(ctx, <usize>HMAC_SHA256_CTX_BYTES);
  checkWindow(input, len);
  hmac_sha256_update_raw(ctx, input, len);
}

/** hmac_sha256_final; traps unless `ctx` (HMAC_SHA256_CTX_BYTES) and `out` (32) are inside the I/O window. */
export function hmac_sha256_final(ctx: usize, out: usize): void {
  checkWindow(ctx, <usize>HMAC_SHA256_CTX_BYTES);
  checkWindow(out, <usize>HMAC_SHA256_BYTES);
  hmac_sha256_final_raw(ctx, out);
}

/** hmac_sha256; traps unless `out` (32), `key` (`keyLen`) and `input` (`len`) are inside the I/O window. */
export function hmac_sha256(out: usize, key: usize, keyLen: usize, input: usize, len: usize): void {
  checkWindow(out, <usize>HMAC_SHA256_BYTES);
  checkWindow(key, keyLen);
  checkWindow(input, len);
  hmac_sha256_raw(out, key, keyLen, input, len);
}

// ---- HKDF-SHA-256 (crypto/hkdf.ts) ------------------------------------------

export { HKDF_SHA256_MAX_BYTES } from "./crypto/index";

/** hkdf_sha256_extract; traps unless `prk` (32), `salt` (`saltLen`) and `ikm` (`ikmLen`) are inside the I/O window. */
export function hkdf_sha256_extract(prk: usize, salt: usize, saltLen: usize, ikm: usize, ikmLen: usize): void {
  checkWindow(prk, <usize>HMAC_SHA256_BYTES);
  checkWindow(salt, saltLen);
  checkWindow(ikm, ikmLen);
  hkdf_sha256_extract_raw(prk, salt, saltLen, ikm, ikmLen);
}

/**
 * hkdf_sha256_expand; traps unless `out` (`outLen`), `prk` (32) and `info`
 * (`infoLen`) are inside the I/O window. The check comes first, so an
 * `outLen` above HKDF_SHA256_MAX_BYTES returns ERR_LENGTH only when it fits
 * the window; a longer one traps.
 */
export function hkdf_sha256_expand(out: usize, outLen: usize, prk: usize, info: usize, infoLen: usize): i32 {
  checkWindow(out, outLen);
  checkWindow(prk, <usize>HMAC_SHA256_BYTES);
  checkWindow(info, infoLen);
  return hkdf_sha256_expand_raw(out, outLen, prk, info, infoLen);
}

/**
 * hkdf_sha256; traps unless `out` (`outLen`), `salt` (`saltLen`), `ikm`
 * (`ikmLen`) and `info` (`infoLen`) are inside the I/O window (ERR_LENGTH
 * as for hkdf_sha256_expand).
 */
export function hkdf_sha256(
  out: usize, outLen: usize,
  salt: usize, saltLen: usize,
  ikm: usize, ikmLen: usize,
  info: usize, infoLen: usize,
): i32 {
  checkWindow(out, outLen);
  checkWindow(salt, saltLen);
  checkWindow(ikm, ikmLen);
  checkWindow(info, infoLen);
  return hkdf_sha256_raw(out, outLen, salt, saltLen, ikm, ikmLen, info, infoLen);
}

// ---- ChaCha20 (crypto/chacha20.ts) ------------------------------------------

export { CHACHA20_KEY_BYTES, CHACHA20_NONCE_BYTES, CHACHA20_CTX_BYTES } from "./crypto/index";

/** chacha20_init; traps unless `ctx` (CHACHA20_CTX_BYTES), `key` (32) and `nonce` (12) are inside the I/O window. */
export function chacha20_init(ctx: usize, key: usize, nonce: usize, counter: u32): void {
  checkWindow(ctx, <usize>CHACHA20_CTX_BYTES);
  checkWindow(key, <usize>CHACHA20_KEY_BYTES);
  checkWindow(nonce, <usize>CHACHA20_NONCE_BYTES);
  chacha20_init_raw(ctx, key, nonce, counter);
}

/**
 * chacha20_update; traps unless `ctx` (CHACHA20_CTX_BYTES), `out` and
 * `input` (`len` each) are inside the I/O window and the context's buffered
 * keystream count is in range.
 */
export function chacha20_update(ctx: usize, out: usize, input: usize, len: usize): i32 {
  checkWindow(ctx, <usize>CHACHA20_CTX_BYTES);
  checkWindow(out, len);
  checkWindow(input, len);
  checkChachaState(ctx);
  return chacha20_update_raw(ctx, out, input, len);
}

/** chacha20_final; traps unless `ctx` (CHACHA20_CTX_BYTES) is inside the I/O window. */
export function chacha20_final(ctx: usize): void {
  checkWindow(ctx, <usize>CHACHA20_CTX_BYTES);
  chacha20_final_raw(ctx);
}

/** chacha20; traps unless `out`, `input` (`len` each), `key` (32) and `nonce` (12) are inside the I/O window. */
export function chacha20(out: usize, input: usize, len: usize, key: usize, nonce: usize, counter: u32): i32 {
  checkWindow(out, len);
  checkWindow(input, len);
  checkWindow(key, <usize>CHACHA20_KEY_BYTES);
  checkWindow(nonce, <usize>CHACHA20_NONCE_BYTES);
  return chacha20_raw(out, input, len, key, nonce, counter);
}

// ---- Poly1305 (crypto/poly1305.ts) ------------------------------------------

export { POLY1305_KEY_BYTES, POLY1305_TAG_BYTES, POLY1305_CTX_BYTES } from "./crypto/index";

/** poly1305_init; traps unless `ctx` (POLY1305_CTX_BYTES) and `key` (32) are inside the I/O window. */
export function poly1305_init(ctx: usize, key: usize): void {
  checkWindow(ctx, <usize>POLY1305_CTX_BYTES);
  checkWindow(key, <usize>POLY1305_KEY_BYTES);
  poly1305_init_raw(ctx, key);
}

/**
 * poly1305_update; traps unless `ctx` (POLY1305_CTX_BYTES) and `input`
 * (`len`) are inside the I/O window and the context's buffered byte count is
 * in range.
 */
export function poly1305_update(ctx: usize, input: usize, len: usize): void {
  checkWindow(ctx, <usize>POLY1305_CTX_BYTES);
  checkWindow(input, len);
  checkPolyState(ctx);
  poly1305_update_raw(ctx, input, len);
}

/**
 * poly1305_final; traps unless `ctx` (POLY1305_CTX_BYTES) and `tag` (16) are
 * inside the I/O window and the context's buffered byte count is in range.
 */
export function poly1305_final(ctx: usize, tag: usize): void {
  checkWindow(ctx, <usize>POLY1305_CTX_BYTES);
  checkWindow(tag, <usize>POLY1305_TAG_BYTES);
  checkPolyState(ctx);
  poly1305_final_raw(ctx, tag);
}

/** poly1305; traps unless `tag` (16), `input` (`len`) and `key` (32) are inside the I/O window. */
export function poly1305(tag: usize, input: usize, len: usize, key: usize): void {
  checkWindow(tag, <usize>POLY1305_TAG_BYTES);
  checkWindow(input, len);
  checkWindow(key, <usize>POLY1305_KEY_BYTES);
  poly1305_raw(tag, input, len, key);
}

// ---- ChaCha20-Poly1305 (crypto/aead.ts) -------------------------------------

export { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, AEAD_CTX_BYTES } from "./crypto/index";

/** aead_init; traps unless `ctx` (AEAD_CTX_BYTES), `key` (32) and `nonce` (12) are inside the I/O window. */
export function aead_init(ctx: usize, key: usize, nonce: usize): void {
  checkWindow(ctx, <usize>AEAD_CTX_BYTES);
  checkWindow(key, <usize>AEAD_KEY_BYTES);
  checkWindow(nonce, <usize>AEAD_NONCE_BYTES);
  aead_init_raw(ctx, key, nonce);
}

/**
 * aead_update_ad; traps unless `ctx` (AEAD_CTX_BYTES) and `ad` (`len`) are
 * inside the I/O window and the context's buffered counts are in range.
 */
export function aead_update_ad(ctx: usize, ad: usize, len: usize): i32 {
  checkAeadCtx(ctx);
  checkWindow(ad, len);
  return aead_update_ad_raw(ctx, ad, len);
}

/**
 * aead_encrypt_update; traps unless `ctx` (AEAD_CTX_BYTES), `out` and
 * `input` (`len` each) are inside the I/O window and the context's buffered
 * counts are in range.
 */
export function aead_encrypt_update(ctx: usize, out: usize, input: usize, len: usize): i32 {
  checkAeadCtx(ctx);
  checkWindow(out, len);
  checkWindow(input, len);
  return aead_encrypt_update_raw(ctx, out, input, len);
}

/**
 * aead_encrypt_final; traps unless `ctx` (AEAD_CTX_BYTES) and `tag` (16) are
 * inside the I/O window and the context's buffered counts are in range.
 */
export function aead_encrypt_final(ctx: usize, tag: usize): void {
  checkAeadCtx(ctx);
  checkWindow(tag, <usize>AEAD_TAG_BYTES);
  aead_encrypt_final_raw(ctx, tag);
}

/**
 * aead_encrypt; traps unless `out`, `input` (`len` each), `tag` (16), `ad`
 * (`adLen`), `key` (32) and `nonce` (12) are inside the I/O window.
 */
export function aead_encrypt(out: usize, tag: usize, input: usize, len: usize, ad: usize, adLen: usize, key: usize, nonce: usize): i32 {
  checkWindow(out, len);
  checkWindow(tag, <usize>AEAD_TAG_BYTES);
  checkWindow(input, len);
  checkWindow(ad, adLen);
  checkWindow(key, <usize>AEAD_KEY_BYTES);
  checkWindow(nonce, <usize>AEAD_NONCE_BYTES);
  return aead_encrypt_raw(out, tag, input, len, ad, adLen, key, nonce);
}

/**
 * aead_decrypt; traps unless `out`, `input` (`len` each), `tag` (16), `ad`
 * (`adLen`), `key` (32) and `nonce` (12) are inside the I/O window.
 */
export function aead_decrypt(out: usize, input: usize, len: usize, tag: usize, ad: usize, adLen: usize, key: usize, nonce: usize): i32 {
  checkWindow(out, len);
  checkWindow(input, len);
  checkWindow(tag, <usize>AEAD_TAG_BYTES);
  checkWindow(ad, adLen);
  checkWindow(key, <usize>AEAD_KEY_BYTES);
  checkWindow(nonce, <usize>AEAD_NONCE_BYTES);
  return aead_decrypt_raw(out, input, len, tag, ad, adLen, key, nonce);
}

// ---- X25519 (crypto/x25519.ts) ----------------------------------------------

export { X25519_BYTES } from "./crypto/index";

/** x25519; traps unless `out`, `scalar` and `point` (32 each) are inside the I/O window. */
export function x25519(out: usize, scalar: usize, point: usize): i32 {
  checkWindow(out, <usize>X25519_BYTES);
  checkWindow(scalar, <usize>X25519_BYTES);
  checkWindow(point, <usize>X25519_BYTES);
  return x25519_raw(out, scalar, point);
}

/** x25519_public; traps unless `out` and `scalar` (32 each) are inside the I/O window. */
export function x25519_public(out: usize, scalar: usize): void {
  checkWindow(out, <usize>X25519_BYTES);
  checkWindow(scalar, <usize>X25519_BYTES);
  x25519_public_raw(out, scalar);
}

// ---- Ed25519 (crypto/ed25519.ts) --------------------------------------------

export { ED25519_SEED_BYTES, ED25519_PUBLIC_BYTES, ED25519_SECRET_BYTES, ED25519_SIGN_BYTES } from "./crypto/index";

/** ed25519_keypair; traps unless `pk` (32), `sk` (64) and `seed` (32) are inside the I/O window. */
export function ed25519_keypair(pk: usize, sk: usize, seed: usize): void {
  checkWindow(pk, <usize>ED25519_PUBLIC_BYTES);
  checkWindow(sk, <usize>ED25519_SECRET_BYTES);
  checkWindow(seed, <usize>ED25519_SEED_BYTES);
  ed25519_keypair_raw(pk, sk, seed);
}

/**
 * ed25519_sign; traps unless `sig` (64), `msg` (`len`) and `sk` (64) are
 * inside the I/O window: the host signs only with a key it put there itself,
 * never with the device key.
 */
export function ed25519_sign(sig: usize, msg: usize, len: usize, sk: usize): void {
  checkWindow(sig, <usize>ED25519_SIGN_BYTES);
  checkWindow(msg, len);
  checkWindow(sk, <usize>ED25519_SECRET_BYTES);
  ed25519_sign_raw(sig, msg, len, sk);
}

/** ed25519_check_public; traps unless `pk` (32) is inside the I/O window. */
export function ed25519_check_public(pk: usize): i32 {
  checkWindow(pk, <usize>ED25519_PUBLIC_BYTES);
  return ed25519_check_public_raw(pk);
}

/** ed25519_verify; traps unless `sig` (64), `msg` (`len`) and `pk` (32) are inside the I/O window. */
export function ed25519_verify(sig: usize, msg: usize, len: usize, pk: usize): i32 {
  checkWindow(sig, <usize>ED25519_SIGN_BYTES);
  checkWindow(msg, len);
  checkWindow(pk, <usize>ED25519_PUBLIC_BYTES);
  return ed25519_verify_raw(sig, msg, len, pk);
}
