// Point arithmetic on edwards25519, -x^2 + y^2 = 1 + d x^2 y^2 (RFC 8032 5.1).
// Internal: not re-exported, so nothing here is a wasm export.
//
// Formulas: Hisil, Wong, Carter, Dawson, "Twisted Edwards curves revisited"
// (2008), extended coordinates with a = -1 (add-2008-hwcd-3, dbl-2008-hwcd).
// Point forms in memory, each field element FE_BYTES = 40 bytes:
//   P3 (extended)   X, Y, Z, T at 0, 40, 80, 120; x = X/Z, y = Y/Z, T = XY/Z.
//   P2 (projective) the X, Y, Z of a P3 (T not kept up to date).
//   P1P1 (completed) E, F, G, H at 0, 40, 80, 120 with
//                   X = E*F, Y = G*H, Z = F*G, T = E*H: the four products every
//                   formula ends with, left undone so a caller that only needs
//                   P2 (a doubling next) skips the fourth.
//   CACHED          Y+X, Y-X, Z, 2dT at 0, 40, 80, 120 (for additions).
//   PRECOMP         y+x, y-x, 2dxy of an affine point at 0, 40, 80 (128 bytes).
// Ranges, per limb in units of M as in field25519.ts ("Bounds"): products are
// carried, in [0, M); a sum of two carried values lies in [0, 2M), a
// difference in (-M, M) (up to the < 2^12 strays of limbs 1 and 5). So P3 and
// P2 outputs are carried, CACHED holds Y+X in [0, 2M) and Y-X in (-M, M),
// ge_neg leaves X and T in (-M, 0], and the table's PRECOMP entries are in
// [0, M) (2dxy in (-M, 0] once negated). The comments in the formulas give
// each intermediate's range; the largest product any of them forms is
// 3M x 2M = 6M^2, inside the multiply's ceiling of 16M^2 (4M x 4M).
// Destinations must not alias sources unless a comment says they may.

import {
  FE_BYTES, fe_add, fe_sub, fe_mul, fe_sq, fe_frombytes, fe_tobytes, fe_invert,
  fe_pow22523, fe_iszero, fe_isneg, fe_neg, fe_set, fe_copy,
} from "./field25519";
import { ED_D, ED_D2, ED_SQRTM1 } from "./ed25519_table";

/** Bytes of a P3, P1P1 or CACHED point (4 field elements). */
export const GE_BYTES: usize = 160;
/** Bytes of a PRECOMP point (3 field elements, padded). */
export const GE_PRECOMP_BYTES: usize = 128;

const X: usize = 0;
const Y: usize = 40;
const Z: usize = 80;
const T: usize = 120;

// Scratch (secret-derived during signing; wiped by ge_wipe_temps).
const T0 = memory.data(<i32>FE_BYTES, 8);
const T1 = memory.data(<i32>FE_BYTES, 8);
const T2 = memory.data(<i32>FE_BYTES, 8);
const T3 = memory.data(<i32>FE_BYTES, 8);
const ONE = memory.data<i32>([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);

/** p = the neutral element (0, 1, 1, 0). */
export function ge_p3_0(p: usize): void {
  fe_set(p + X, 0);
  fe_set(p + Y, 1);
  fe_set(p + Z, 1);
  fe_set(p + T, 0);
}

/** r (P3) = p (P1P1): four multiplications. */
export function ge_p1p1_to_p3(r: usize, p: usize): void {
  fe_mul(r + X, p + 0, p + 40);
  fe_mul(r + Y, p + 80, p + 120);
  fe_mul(r + Z, p + 40, p + 80);
  fe_mul(r + T, p + 0, p + 120);
}

/** r (P2) = p (P1P1): three multiplications, T of r left stale. */
export function ge_p1p1_to_p2(r: usize, p: usize): void {
  fe_mul(r + X, p + 0, p + 40);
  fe_mul(r + Y, p + 80, p + 120);
  fe_mul(r + Z, p + 40, p + 80);
}

/**
 * r (P1P1) = 2p, reading only X, Y, Z of p (dbl-2008-hwcd with a = -1).
 * With A = X^2, B = Y^2, C = 2Z^2 the paper's E = (X+Y)^2 - A - B,
 * G = B - A, F = G - C, H = -A - B; storing (E, -F, G, -H) gives the same
 * point (all four products change sign together) without negations.
 */
export function ge_dbl(r: usize, p: usize): void {
  fe_sq(T0, p + X);              // A
  fe_sq(T1, p + Y);              // B
  fe_sq(T2, p + Z);
  fe_add(T2, T2, T2);            // C = 2 Z^2            [0, 2M)
  fe_add(T3, p + X, p + Y);      // X + Y                (-M, 2M): X may be negated
  fe_sq(T3, T3);                 // (X + Y)^2            [0, M)
  fe_add(r + 120, T0, T1);       // -H = A + B           [0, 2M)
  fe_sub(r + 0, T3, r + 120);    // E                    (-2M, M)
  fe_sub(r + 80, T1, T0);        // G = B - A            (-M, M)
  fe_sub(r + 40, T2, r + 80);    // -F = C - G           (-M, 3M)
  // The products (ge_p1p1_to_p3/p2): E(-F) 2M x 3M, G(-H) M x 2M,
  // (-F)G 3M x M, E(-H) 2M x 2M.
}

/**
 * Finishes an addition from A, B (in T1, T0), C (T2), all products in [0, M),
 * and D (T3) in [0, 2M) into r (P1P1). The largest of the four products that
 * follow is F G or G H: 3M x 2M.
 */
// @ts-ignore: decorator
@inline
function addTail(r: usize, negate: bool): void {
  fe_sub(r + 0, T0, T1);         // E = B - A            (-M, M)
  fe_add(r + 120, T0, T1);       // H = B + A            [0, 2M)
  if (negate) {                  // subtracting: C -> -C (a public, compile-time choice)
    fe_add(r + 40, T3, T2);      // F = D - (-C)         [0, 3M)
    fe_sub(r + 80, T3, T2);      // G = D + (-C)         (-M, 2M)
  } else {
    fe_sub(r + 40, T3, T2);      // F = D - C            (-M, 2M)
    fe_add(r + 80, T3, T2);      // G = D + C            [0, 3M)
  }
}

/** r (P1P1) = p (P3) + q (PRECOMP): 3 multiplications (add-2008-hwcd-3, Z2 = 1). */
export function ge_madd(r: usize, p: usize, q: usize): void {
  fe_add(T0, p + Y, p + X);
  fe_sub(T1, p + Y, p + X);
  fe_mul(T0, T0, q + 0);         // B = (Y1 + X1)(y2 + x2)
  fe_mul(T1, T1, q + 40);        // A = (Y1 - X1)(y2 - x2)
  fe_mul(T2, p + T, q + 80);     // C = T1 * 2d x2 y2
  fe_add(T3, p + Z, p + Z);      // D = 2 Z1             [0, 2M)
  addTail(r, false);
}

/** r (P1P1) = p (P3) - q (PRECOMP): q negated is (y - x, y + x, -2dxy). */
export function ge_msub(r: usize, p: usize, q: usize): void {
  fe_add(T0, p + Y, p + X);
  fe_sub(T1, p + Y, p + X);
  fe_mul(T0, T0, q + 40);
  fe_mul(T1, T1, q + 0);
  fe_mul(T2, p + T, q + 80);
  fe_add(T3, p + Z, p + Z);
  addTail(r, true);
}

/** r (P1P1) = p (P3) + q (CACHED): 4 multiplications. */
export function ge_add(r: usize, p: usize, q: usize): void {
  fe_add(T0, p + Y, p + X);
  fe_sub(T1, p + Y, p + X);
  fe_mul(T0, T0, q + 0);
  fe_mul(T1, T1, q + 40);
  fe_mul(T2, p + T, q + 120);
  fe_mul(T3, p + Z, q + 80);
  fe_add(T3, T3, T3);
  addTail(r, false);
}

/** r (P1P1) = p (P3) - q (CACHED). */
export function ge_sub(r: usize, p: usize, q: usize): void {
  fe_add(T0, p + Y, p + X);
  fe_sub(T1, p + Y, p + X);
  fe_mul(T0, T0, q + 40);
  fe_mul(T1, T1, q + 0);
  fe_mul(T2, p + T, q + 120);
  fe_mul(T3, p + Z, q + 80);
  fe_add(T3, T3, T3);
  addTail(r, true);
}

/** c (CACHED) = p (P3). */
export function ge_to_cached(c: usize, p: usize): void {
  fe_add(c + 0, p + Y, p + X);
  fe_sub(c + 40, p + Y, p + X);
  fe_copy(c + 80, p + Z);
  fe_mul(c + 120, p + T, ED_D2);
}

/** p = -p (P3), in place. */
export function ge_neg(p: usize): void {
  fe_neg(p + X, p + X);
  fe_neg(p + T, p + T);
}

/**
 * Writes the 32-byte encoding of p (P2 or P3): y, with the low bit of x in
 * bit 255. Leaves 1/Z, x and y of p in this file's scratch T0..T2 and powers
 * of Z in field25519.ts's scratch: when p is secret-derived the caller wipes
 * both (ge_wipe_temps and fe_wipe_scratch; ge_wipe_scratch in ed25519_mult.ts
 * does both). `s` and `p` must not be this file's scratch.
 */
export function ge_tobytes(s: usize, p: usize): void {
  fe_invert(T0, p + Z);
  fe_mul(T1, p + X, T0);
  fe_mul(T2, p + Y, T0);
  fe_tobytes(s, T2);
  store<u8>(s + 31, load<u8>(s + 31) ^ <u8>(fe_isneg(T1) << 7));
}

/**
 * Decodes 32 bytes into p (P3), strictly: returns false when y >= p (a
 * non-canonical encoding), when x would be 0 with the sign bit set ("-0"),
 * or when no x exists (not on the curve). RFC 8032 section 5.1.3 with the
 * canonical-y check made mandatory. Not constant time: for public points.
 */
export function ge_frombytes_strict(p: usize, s: usize): bool {
  // y >= p = 2^255 - 19 only if bytes 1..30 are 0xff, byte 31 is 0x7f
  // (after dropping the sign bit) and byte 0 is at least 0xed.
  let high: u32 = (load<u8>(s + 31) & 0x7f) ^ 0x7f;
  for (let i: usize = 1; i < 31; i++) high |= load<u8>(s + i) ^ 0xff;
  if (high == 0 && load<u8>(s) >= 0xed) return false;
  const sign = <i32>(load<u8>(s + 31) >> 7);
  fe_frombytes(p + Y, s);
  fe_set(p + Z, 1);
  fe_sq(T0, p + Y);
  fe_mul(T1, T0, ED_D);
  fe_sub(T0, T0, ONE);           // u = y^2 - 1
  fe_add(T1, T1, ONE);           // v = d y^2 + 1
  // x = u v^3 (u v^7)^((p-5)/8)
  fe_sq(T2, T1);
  fe_mul(T2, T2, T1);            // v^3
  fe_sq(T3, T2);
  fe_mul(T3, T3, T1);
  fe_mul(T3, T3, T0);            // u v^7
  fe_pow22523(T3, T3);
  fe_mul(T3, T3, T2);
  fe_mul(p + X, T3, T0);         // candidate x
  // v x^2 == u: x is a root; == -u: x * sqrt(-1) is; else no root.
  fe_sq(T2, p + X);
  fe_mul(T2, T2, T1);            // v x^2
  fe_sub(T3, T2, T0);
  if (!fe_iszero(T3)) {
    fe_add(T3, T2, T0);
    if (!fe_iszero(T3)) return false;
    fe_mul(p + X, p + X, ED_SQRTM1);
  }
  if (fe_isneg(p + X) != sign) {
    if (fe_iszero(p + X)) return false; // "-0"
    fe_neg(p + X, p + X);
  }
  fe_mul(p + T, p + X, p + Y);
  return true;
}

/**
 * True when [8]p is the neutral element (p has order 1, 2, 4 or 8).
 * Uses `tmp` (a GE_BYTES P1P1 area) and `q` (a GE_BYTES P2 area). Not
 * constant time: for public points.
 */
export function ge_has_small_order(p: usize, tmp: usize, q: usize): bool {
  ge_dbl(tmp, p);
  ge_p1p1_to_p2(q, tmp);
  ge_dbl(tmp, q);
  ge_p1p1_to_p2(q, tmp);
  ge_dbl(tmp, q);
  ge_p1p1_to_p2(q, tmp);
  fe_sub(T0, q + Y, q + Z);
  return fe_iszero(q + X) != 0 && fe_iszero(T0) != 0;
}

/** Precomp t = (1, 1, 0): the neutral element, for table selection. */
export function ge_precomp_0(t: usize): void {
  memory.fill(t, 0, GE_PRECOMP_BYTES);
  store<i32>(t, 1, 0);
  store<i32>(t, 1, 40);
}

/** Negates precomp t in place when `mask` is all ones (swap y+x, y-x; negate 2dxy); constant time. */
export function ge_precomp_cneg(t: usize, mask: i32): void {
  for (let i: usize = 0; i < 40; i += 4) {
    const a = load<i32>(t + i), b = load<i32>(t + 40 + i), c = load<i32>(t + 80 + i);
    const s = (a ^ b) & mask;
    store<i32>(t + i, a ^ s);
    store<i32>(t + 40 + i, b ^ s);
    store<i32>(t + 80 + i, c ^ ((c ^ -c) & mask));
  }
}

/** Zeroes this file's scratch. */
export function ge_wipe_temps(): void {
  memory.fill(T0, 0, FE_BYTES);
  memory.fill(T1, 0, FE_BYTES);
  memory.fill(T2, 0, FE_BYTES);
  memory.fill(T3, 0, FE_BYTES);
}
