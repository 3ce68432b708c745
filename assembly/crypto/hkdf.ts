// HKDF with HMAC-SHA-256 (RFC 5869): extract-then-expand key derivation.
//
// Stateless: every call runs to completion. Static scratch (all wiped before
// each function returns): the HMAC context keyed with PRK (208 bytes), a
// working copy of it (208), the block T(i) plus its counter byte (48), and the
// PRK of the one-shot hkdf_sha256 (32).

import { OK, ERR_LENGTH } from "../errors";
import { wipe } from "./ct";
import {
  HMAC_SHA256_BYTES,
  HMAC_SHA256_CTX_BYTES,
  hmac_sha256,
  hmac_sha256_final,
  hmac_sha256_init,
  hmac_sha256_update,
} from "./hmac";

/**
 * Longest output hkdf_sha256_expand and hkdf_sha256 produce, in bytes:
 * 255 blocks of HashLen = 32 (RFC 5869 §2.3, L <= 255 * HashLen). A longer
 * request returns ERR_LENGTH.
 */
export const HKDF_SHA256_MAX_BYTES: i32 = 8160;

const HASH: usize = <usize>HMAC_SHA256_BYTES;

const KEYED: usize = memory.data(HMAC_SHA256_CTX_BYTES, 16);
const WORK: usize = memory.data(HMAC_SHA256_CTX_BYTES, 16);
const T: usize = memory.data(48, 16);
const CTR: usize = T + HASH;
const PRK: usize = memory.data(HMAC_SHA256_BYTES, 16);

/**
 * HKDF-Extract (RFC 5869 §2.2): writes PRK = HMAC-SHA-256(salt, ikm), 32
 * bytes, to `prk`. An empty salt (`saltLen` = 0) acts as 32 zero bytes, as
 * the RFC says (HMAC pads every key with zeros to 64 bytes). `prk` is written
 * last, so it may overlap `salt` or `ikm`.
 */
export function hkdf_sha256_extract(prk: usize, salt: usize, saltLen: usize, ikm: usize, ikmLen: usize): void {
  hmac_sha256(prk, salt, saltLen, ikm, ikmLen);
}

/**
 * HKDF-Expand (RFC 5869 §2.3): writes `outLen` bytes of output keying
 * material derived from the 32-byte `prk` and the `infoLen`-byte `info` to
 * `out`. Returns ERR_LENGTH, writing nothing, when `outLen` >
 * HKDF_SHA256_MAX_BYTES (255 * 32 = 8160); OK otherwise (`outLen` = 0 writes
 * nothing). `prk` is read before any output is written, so `out` may overlap
 * `prk`, but not `info`. Scratch (keyed HMAC state, T blocks) is wiped before
 * returning.
 */
export function hkdf_sha256_expand(out: usize, outLen: usize, prk: usize, info: usize, infoLen: usize): i32 {
  if (outLen > <usize>HKDF_SHA256_MAX_BYTES) return ERR_LENGTH;
  hmac_sha256_init(KEYED, prk, HASH);
  let done: usize = 0;
  let counter: u32 = 1;
  while (done < outLen) {
    // T(i) = HMAC(PRK, T(i-1) | info | i), with T(0) empty; the keyed
    // context is copied rather than re-keyed for every block.
    memory.copy(WORK, KEYED, <usize>HMAC_SHA256_CTX_BYTES);
    if (counter > 1) hmac_sha256_update(WORK, T, HASH);
    hmac_sha256_update(WORK, info, infoLen);
    store<u8>(CTR, <u8>counter);
    hmac_sha256_update(WORK, CTR, 1);
    hmac_sha256_final(WORK, T);
    const n = min(HASH, outLen - done);
    memory.copy(out + done, T, n);
    done += n;
    counter++;
  }
  wipe(KEYED, <usize>HMAC_SHA256_CTX_BYTES);
  wipe(T, 48);
  return OK;
}

/**
 * HKDF-SHA-256 in one call (RFC 5869 §2): extract with `salt` and `ikm`,
 * then expand with `info` into `outLen` bytes at `out`. Returns ERR_LENGTH,
 * computing and writing nothing, when `outLen` > HKDF_SHA256_MAX_BYTES
 * (8160); OK otherwise. `out` must not overlap `info`. The intermediate PRK
 * is wiped before returning.
 */
export function hkdf_sha256(
  out: usize, outLen: usize,
  salt: usize, saltLen: usize,
  ikm: usize, ikmLen: usize,
  info: usize, infoLen: usize,
): i32 {
  if (outLen > <usize>HKDF_SHA256_MAX_BYTES) return ERR_LENGTH;
  hkdf_sha256_extract(PRK, salt, saltLen, ikm, ikmLen);
  const rc = hkdf_sha256_expand(out, outLen, PRK, info, infoLen);
  wipe(PRK, HASH);
  return rc;
}
