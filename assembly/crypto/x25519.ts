// X25519 (RFC 7748 section 5): Diffie-Hellman on Curve25519's u-coordinate.
//
// x25519 runs the Montgomery ladder of RFC 7748 section 5 with constant-time
// conditional swaps. x25519_public (scalar times the base point u = 9) takes
// the faster road through the Edwards form: the clamped scalar is multiplied
// by the Ed25519 base point with the constant-time fixed-base table
// (ed25519_mult.ts) and u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y), the
// birational map of RFC 7748 section 4.1. Both give the same bytes (the
// specs check them against the RFC 7748 vectors).

import { OK, ERR_LOW_ORDER } from "../errors";
import {
  FE_BYTES, fe_add, fe_sub, fe_mul, fe_sq, fe_mul_small, fe_frombytes,
  fe_tobytes, fe_invert, fe_set, fe_copy, fe_cswap, fe_wipe_scratch,
} from "./field25519";
import { ge_scalarmult_base, ge_wipe_scratch, GE_P3_BYTES } from "./ed25519_mult";
import { ctIsZero } from "./ct";

/** Bytes of a scalar, a u-coordinate and a shared secret. */
export const X25519_BYTES: i32 = 32;

// Ladder state and temporaries (all secret-derived; wiped before returning).
const K = memory.data(32, 8);          // clamped scalar
const X1 = memory.data(<i32>FE_BYTES, 8);
const X2 = memory.data(<i32>FE_BYTES, 8);
const Z2 = memory.data(<i32>FE_BYTES, 8);
const X3 = memory.data(<i32>FE_BYTES, 8);
const Z3 = memory.data(<i32>FE_BYTES, 8);
const TA = memory.data(<i32>FE_BYTES, 8);
const TB = memory.data(<i32>FE_BYTES, 8);
const TC = memory.data(<i32>FE_BYTES, 8);
const TD = memory.data(<i32>FE_BYTES, 8);
const P = memory.data(<i32>GE_P3_BYTES, 8); // Edwards point for x25519_public

/** Copies the scalar to K and clamps it (RFC 7748 section 5, decodeScalar25519). */
function clamp(scalar: usize): void {
  memory.copy(K, scalar, 32);
  store<u8>(K, load<u8>(K) & 248);
  store<u8>(K + 31, (load<u8>(K + 31) & 127) | 64);
}

/** Wipes K, the ladder state and the field scratch. */
function wipeState(): void {
  memory.fill(K, 0, 32);
  memory.fill(X1, 0, FE_BYTES);
  memory.fill(X2, 0, FE_BYTES);
  memory.fill(Z2, 0, FE_BYTES);
  memory.fill(X3, 0, FE_BYTES);
  memory.fill(Z3, 0, FE_BYTES);
  memory.fill(TA, 0, FE_BYTES);
  memory.fill(TB, 0, FE_BYTES);
  memory.fill(TC, 0, FE_BYTES);
  memory.fill(TD, 0, FE_BYTES);
  fe_wipe_scratch();
}

/**
 * X25519: writes the 32-byte u-coordinate of clamp(`scalar`) * `point` to `out`.
 *
 * `scalar` and `point` are 32 bytes each. As RFC 7748 section 5 says, the
 * scalar is clamped, bit 255 of the u-coordinate is ignored and a
 * non-canonical u (>= p) is accepted and reduced. The result is always
 * written; the return is ERR_LOW_ORDER when it is all zero (the peer sent a
 * point of small order; checked in constant time), else OK. `out` may alias
 * either input. The ladder state and the clamped scalar copy are wiped.
 */
export function x25519(out: usize, scalar: usize, point: usize): i32 {
  clamp(scalar);
  fe_frombytes(X1, point);
  fe_set(X2, 1);
  fe_set(Z2, 0);
  fe_copy(X3, X1);
  fe_set(Z3, 1);
  let swap: i32 = 0;
  // Ladder over bits 254..0 (bit 255 is clamped to 0, bit 254 to 1). The bit
  // position t is public; only the loaded bit is secret, and it only feeds masks.
  for (let t: i32 = 254; t >= 0; t--) {
    const bit = (<i32>load<u8>(K + (<usize>t >> 3)) >> (t & 7)) & 1;
    swap ^= bit;
    fe_cswap(X2, X3, -swap);
    fe_cswap(Z2, Z3, -swap);
    swap = bit;
    // RFC 7748 section 5 step; ranges as in field25519.ts: sums of carried
    // values lie in [0, 2M), differences in (-M, M), so every product input
    // stays within 2M (the multiply allows 4M x 4M).
    fe_add(TA, X2, Z2);        // A = x2 + z2
    fe_sub(TB, X2, Z2);        // B = x2 - z2
    fe_add(TC, X3, Z3);        // C = x3 + z3
    fe_sub(TD, X3, Z3);        // D = x3 - z3
    fe_mul(TD, TD, TA);        // DA
    fe_mul(TC, TC, TB);        // CB
    fe_sq(TA, TA);             // AA
    fe_sq(TB, TB);             // BB
    fe_add(X3, TD, TC);
    fe_sq(X3, X3);             // x3 = (DA + CB)^2
    fe_sub(Z3, TD, TC);
    fe_sq(Z3, Z3);
    fe_mul(Z3, Z3, X1);        // z3 = x1 * (DA - CB)^2
    fe_mul(X2, TA, TB);        // x2 = AA * BB
    fe_sub(TB, TA, TB);        // E = AA - BB
    fe_mul_small(Z2, TB, 121665);
    fe_add(Z2, Z2, TA);        // AA + a24 * E
    fe_mul(Z2, Z2, TB);        // z2 = E * (AA + a24 * E)
  }
  fe_cswap(X2, X3, -swap);
  fe_cswap(Z2, Z3, -swap);
  fe_invert(Z2, Z2);
  fe_mul(X2, X2, Z2);
  fe_tobytes(out, X2);
  wipeState();
  // ERR_LOW_ORDER or OK (0) by mask, not by a branch on the secret bytes.
  return (ERR_LOW_ORDER & -(<i32>ctIsZero(out, 32))) | OK;
}

/**
 * Writes the 32-byte X25519 public key of the 32-byte `scalar` to `out`:
 * clamp(scalar) * 9, the same bytes as x25519(out, scalar, 9) (RFC 7748
 * section 6.1). Constant time; the clamped scalar, the point and all
 * temporaries are wiped. `out` may alias `scalar`.
 */
export function x25519_public(out: usize, scalar: usize): void {
  clamp(scalar);
  ge_scalarmult_base(P, K);
  // u = (Z + Y) / (Z - Y); P holds X, Y, Z, T at 0, 40, 80, 120.
  fe_add(TA, P + 80, P + 40);
  fe_sub(TB, P + 80, P + 40);
  fe_invert(TB, TB);
  fe_mul(TA, TA, TB);
  fe_tobytes(out, TA);
  memory.fill(P, 0, GE_P3_BYTES);
  ge_wipe_scratch();
  wipeState();
}
