// Ed25519 signatures (RFC 8032 section 5.1), with strict verification.
//
// Keys: the 32-byte seed is the secret; the 64-byte secret key is
// seed || public key, as ed25519_keypair writes it. Signing is deterministic
// (RFC 8032 5.1.6) and constant time in the seed. Verification applies
// ed25519-dalek's verify_strict rules plus RFC 8032's y < p check (dalek's
// point decompression accepts some encodings with y >= p; sealcam rejects
// every y >= p, as RFC 8032 section 5.1.3 step 1 says), in this order:
//   1. S (sig[32..64]) must be below L                      else ERR_NONCANONICAL_S
//   2. A (pk) and R (sig[0..32]) must decode canonically:
//      y < p, not "-0" (x = 0 with the sign bit), on the curve   else ERR_BAD_POINT
//   3. neither A nor R may have small order ([8]P = 0)     else ERR_SMALL_ORDER
//   4. with k = SHA-512(R || A || M) mod L, [S]B - [k]A must encode to R
//      (cofactorless)                                      else ERR_SIGNATURE
// Step 4 compares points, not bytes: R decoded canonically (step 2), so
// encode(R') == R exactly when R' == R, tested as X' == x_R Z' and
// Y' == y_R Z', which saves an inversion.

import { OK, ERR_NONCANONICAL_S, ERR_BAD_POINT, ERR_SMALL_ORDER, ERR_SIGNATURE } from "../errors";
import { SHA512_CTX_BYTES, sha512_init, sha512_update, sha512_final } from "./sha512";
import { FE_BYTES, fe_mul, fe_sub, fe_iszero } from "./field25519";
import { GE_BYTES, ge_tobytes, ge_frombytes_strict, ge_has_small_order, ge_neg } from "./edwards25519";
import { ge_scalarmult_base, ge_double_scalarmult_vartime, ge_wipe_scratch } from "./ed25519_mult";
import { sc_reduce64, sc_muladd, sc_is_canonical } from "./scalar25519";

/** Bytes of a seed (the secret from which the key pair is derived). */
export const ED25519_SEED_BYTES: i32 = 32;
/** Bytes of a public key. */
export const ED25519_PUBLIC_BYTES: i32 = 32;
/** Bytes of a secret key: seed || public key. */
export const ED25519_SECRET_BYTES: i32 = 64;
/** Bytes of a signature: R || S. */
export const ED25519_SIGN_BYTES: i32 = 64;

const CTX = memory.data(SHA512_CTX_BYTES, 8);
const H = memory.data(64, 8);          // SHA-512(seed): clamped scalar a || prefix (secret)
const NONCE = memory.data(64, 8);      // SHA-512(prefix || M), then r = that mod L (secret)
const HK = memory.data(64, 8);         // SHA-512(R || A || M), then k
const RS = memory.data(64, 8);         // the signature being built: R || S
const PA = memory.data(<i32>GE_BYTES, 8);   // points
const PR = memory.data(<i32>GE_BYTES, 8);
const PQ = memory.data(<i32>GE_BYTES, 8);
const PT = memory.data(<i32>GE_BYTES, 8);
const FT = memory.data(<i32>FE_BYTES, 8);

/** H = SHA-512(seed) with H[0..32] clamped (RFC 8032 5.1.5 steps 1-2). */
function expandSeed(seed: usize): void {
  sha512_init(CTX);
  sha512_update(CTX, seed, 32);
  sha512_final(CTX, H);
  store<u8>(H, load<u8>(H) & 248);
  store<u8>(H + 31, (load<u8>(H + 31) & 127) | 64);
}

/**
 * Derives a key pair from the 32-byte `seed` (RFC 8032 5.1.5): writes the
 * 32-byte public key to `pk` and the 64-byte secret key seed || pk to `sk`.
 * Constant time. Wipes the expanded seed and all scratch. `sk` may alias
 * `seed` (the seed is its first half); `pk` must not overlap `sk`.
 */
export function ed25519_keypair(pk: usize, sk: usize, seed: usize): void {
  expandSeed(seed);
  ge_scalarmult_base(PA, H);
  ge_tobytes(RS, PA);
  memory.copy(sk, seed, 32);
  memory.copy(sk + 32, RS, 32);
  memory.copy(pk, RS, 32);
  memory.fill(H, 0, 64);
  memory.fill(RS, 0, 64);
  memory.fill(PA, 0, GE_BYTES);
  ge_wipe_scratch();
}

/**
 * Signs `len` bytes at `msg` with the 64-byte secret key `sk` (RFC 8032
 * 5.1.6) and writes the 64-byte signature R || S to `sig`. Deterministic and
 * constant time in the secret. The expanded seed, the nonce, the hashes and
 * all scratch are wiped. `sig` may overlap `msg` (it is written last).
 *
 * The caller supplies `sk` = seed || pk, and the public half is used as given,
 * not derived again from the seed (that would double the cost of a
 * signature). It must be the seed's own public key, as ed25519_keypair
 * writes it: with a mismatched public half the nonce stays the same while
 * the challenge k changes, so two signatures of one message under one seed
 * with two different public halves reveal the secret scalar
 * (a = (S1 - S2) / (k1 - k2) mod L). Inside the firmware the pair is derived
 * in the module (the capture ABI), so no caller can pair the device seed with
 * another public half; through this raw export the caller already holds the
 * seed, so it learns nothing it did not have.
 */
export function ed25519_sign(sig: usize, msg: usize, len: usize, sk: usize): void {
  expandSeed(sk);
  // r = SHA-512(prefix || M) mod L
  sha512_init(CTX);
  sha512_update(CTX, H + 32, 32);
  sha512_update(CTX, msg, len);
  sha512_final(CTX, NONCE);
  sc_reduce64(NONCE, NONCE);
  // R = [r]B
  ge_scalarmult_base(PR, NONCE);
  ge_tobytes(RS, PR);
  // k = SHA-512(R || A || M) mod L
  sha512_init(CTX);
  sha512_update(CTX, RS, 32);
  sha512_update(CTX, sk + 32, 32);
  sha512_update(CTX, msg, len);
  sha512_final(CTX, HK);
  sc_reduce64(HK, HK);
  // S = (r + k a) mod L
  sc_muladd(RS + 32, HK, H, NONCE);
  memory.copy(sig, RS, 64);
  memory.fill(H, 0, 64);
  memory.fill(NONCE, 0, 64);
  memory.fill(HK, 0, 64);
  memory.fill(RS, 0, 64);
  memory.fill(PR, 0, GE_BYTES);
  ge_wipe_scratch();
}

/**
 * Checks that the 32 bytes at `pk` are a public key the strict rules accept:
 * a canonical point encoding (y < p, no "-0", on the curve) of large order.
 * Returns OK, ERR_BAD_POINT or ERR_SMALL_ORDER. For keys a camera pins or is
 * configured with, so a key that could never verify is refused when it is
 * given, not at its first use. Variable time: public input.
 */
export function ed25519_check_public(pk: usize): i32 {
  if (!ge_frombytes_strict(PA, pk)) return ERR_BAD_POINT;
  if (ge_has_small_order(PA, PT, PQ)) return ERR_SMALL_ORDER;
  return OK;
}

/**
 * Verifies the 64-byte signature `sig` of `len` bytes at `msg` under the
 * 32-byte public key `pk`, with the strict rules at the top of this file.
 * Returns OK, ERR_NONCANONICAL_S, ERR_BAD_POINT, ERR_SMALL_ORDER or
 * ERR_SIGNATURE (the first rule that fails). Variable time: every input is
 * public.
 */
export function ed25519_verify(sig: usize, msg: usize, len: usize, pk: usize): i32 {
  // This check must stay ahead of ge_double_scalarmult_vartime: its wnaf
  // recoding assumes scalars below 2^253 (S < L guarantees it; k is reduced).
  if (!sc_is_canonical(sig + 32)) return ERR_NONCANONICAL_S;
  if (!ge_frombytes_strict(PA, pk)) return ERR_BAD_POINT;
  if (!ge_frombytes_strict(PR, sig)) return ERR_BAD_POINT;
  if (ge_has_small_order(PA, PT, PQ)) return ERR_SMALL_ORDER;
  if (ge_has_small_order(PR, PT, PQ)) return ERR_SMALL_ORDER;
  sha512_init(CTX);
  sha512_update(CTX, sig, 32);
  sha512_update(CTX, pk, 32);
  sha512_update(CTX, msg, len);
  sha512_final(CTX, HK);
  sc_reduce64(HK, HK);
  // R' = [k](-A) + [S]B, in P2 form.
  ge_neg(PA);
  ge_double_scalarmult_vartime(PQ, HK, PA, sig + 32);
  // R' == R  <=>  X' = x_R Z' and Y' = y_R Z' (PR has Z = 1).
  fe_mul(FT, PR + 0, PQ + 80);
  fe_sub(FT, FT, PQ + 0);
  if (!fe_iszero(FT)) return ERR_SIGNATURE;
  fe_mul(FT, PR + 40, PQ + 80);
  fe_sub(FT, FT, PQ + 40);
  if (!fe_iszero(FT)) return ERR_SIGNATURE;
  return OK;
}
