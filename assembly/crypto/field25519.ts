// Arithmetic in GF(p), p = 2^255 - 19: the field under X25519 and Ed25519.
// Internal: not re-exported from index.ts, so nothing here is a wasm export.
//
// Representation. An element is 10 signed limbs of alternately 26 and 25 bits
// ("radix 2^25.5", Bernstein et al., "High-speed high-security signatures",
// section 5): value = sum f[i] * 2^ceil(25.5 i), i.e. limbs sit at bits
// 0, 26, 51, 77, 102, 128, 153, 179, 204, 230. WebAssembly has no 64x64->128
// multiply, so 26-bit limbs are what lets every partial product and every
// column sum live in an i64. Limbs are stored as i32 (40 bytes per element,
// FE_BYTES) and widened to i64 in locals for products.
//
// Bounds. M = 2^26 for even limbs and 2^25 for odd limbs (the limb widths);
// "kM" below means |limb i| <= k * M_i, and "(-M, 2M)" a one-sided range.
//  - "carried": fe_mul, fe_sq, fe_sqn and fe_mul_small end with floor
//    carries, which leave limbs one-sided, in [0, M): every limb is masked to
//    [0, 2^w) except limb 5 (it takes the last carry out of limb 4) and limb 1
//    (it takes the carry out of limb 0, which just took 19 times the top
//    carry). Those two may stray past either end of [0, 2^25) by less than
//    2^12 for products within the ceiling below (about 3000 for limb 1 and
//    1900 for limb 5 at 4M x 4M), so limb 1 or 5 can be slightly negative.
//    fe_frombytes and the constants of ed25519_table.ts are exactly in [0, M).
//  - fe_add of two carried elements gives [0, 2M); fe_sub gives (-M, M), no
//    wider than its inputs, because both sides are non-negative. The formulas
//    of x25519.ts and edwards25519.ts note their ranges in these terms (up to
//    the < 2^12 strays, which the margin below covers).
//  - Ceiling of fe_mul / fe_sq / fe_sqn: for inputs within aM and bM, the
//    largest column is h0 = f0 g0 (2^52 ab) + five odd*odd products, doubled
//    and times 19 (5 * 38 * 2^50 ab) + four even*even products times 19
//    (4 * 19 * 2^52 ab), in all 498 * 2^50 * ab (498.1 with the strays). Other
//    columns are smaller (h2: 390, h1: 308, h4: 282 * 2^50 ab, ...). An i64
//    holds it while 498.1 * ab < 2^13, i.e. ab <= 16.4: 4M x 4M is allowed
//    (|h0| < 0.98 * 2^63, with room for the carries added to it, each below
//    2^38), 5M x 5M overflows. Callers use at most 3M x 2M (edwards25519.ts);
//    field25519.spec.ts checks 4M inputs of both signs against BigInt results.
// Carries use arithmetic (floor) shifts, so signed limbs carry correctly.
//
// Constant time: no branch and no memory index depends on limb values.

import { ctIsZero } from "./ct";

/** Bytes of one field element (10 x i32). */
export const FE_BYTES: usize = 40;

const MASK26: i64 = 0x3ffffff;
const MASK25: i64 = 0x1ffffff;

// Scratch: T0..T3 for fe_invert / fe_pow22523, TB for fe_iszero / fe_isneg.
// Secret-derived when their inputs are; these functions leave it, callers wipe
// it with fe_wipe_scratch.
const T0 = memory.data(40, 8);
const T1 = memory.data(40, 8);
const T2 = memory.data(40, 8);
const T3 = memory.data(40, 8);
const TB = memory.data(32, 8);

/**
 * Carries 10 wide column sums into carried limbs and stores them at `h`.
 * Two interleaved chains (0..4 and 4..9) shorten the dependency path; the
 * top carry re-enters limb 0 times 19 (2^255 = 19 mod p). Limbs end in
 * [0, 2^w) except limbs 1 and 5, which stray by less than 2^12 either way
 * for the column sums of in-ceiling products (see "Bounds" above).
 * Method after ref10 (SUPERCOP, public domain): the same carry order, with
 * floor carries in place of ref10's rounded ones.
 */
// @ts-ignore: decorator
@inline
function carryStore(h: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64,
                    h5: i64, h6: i64, h7: i64, h8: i64, h9: i64): void {
  let c: i64;
  c = h0 >> 26; h1 += c; h0 &= MASK26;
  c = h4 >> 26; h5 += c; h4 &= MASK26;
  c = h1 >> 25; h2 += c; h1 &= MASK25;
  c = h5 >> 25; h6 += c; h5 &= MASK25;
  c = h2 >> 26; h3 += c; h2 &= MASK26;
  c = h6 >> 26; h7 += c; h6 &= MASK26;
  c = h3 >> 25; h4 += c; h3 &= MASK25;
  c = h7 >> 25; h8 += c; h7 &= MASK25;
  c = h4 >> 26; h5 += c; h4 &= MASK26;
  c = h8 >> 26; h9 += c; h8 &= MASK26;
  c = h9 >> 25; h0 += c * 19; h9 &= MASK25;
  c = h0 >> 26; h1 += c; h0 &= MASK26;
  store<i32>(h, <i32>h0, 0);
  store<i32>(h, <i32>h1, 4);
  store<i32>(h, <i32>h2, 8);
  store<i32>(h, <i32>h3, 12);
  store<i32>(h, <i32>h4, 16);
  store<i32>(h, <i32>h5, 20);
  store<i32>(h, <i32>h6, 24);
  store<i32>(h, <i32>h7, 28);
  store<i32>(h, <i32>h8, 32);
  store<i32>(h, <i32>h9, 36);
}

/**
 * h = f * g, carried. Inputs within aM and bM with ab <= 16 (4M x 4M; see
 * "Bounds"). `h` may alias `f` or `g` (all limbs are loaded first).
 */
export function fe_mul(h: usize, f: usize, g: usize): void {
  const f0 = <i64>load<i32>(f, 0), f1 = <i64>load<i32>(f, 4);
  const f2 = <i64>load<i32>(f, 8), f3 = <i64>load<i32>(f, 12);
  const f4 = <i64>load<i32>(f, 16), f5 = <i64>load<i32>(f, 20);
  const f6 = <i64>load<i32>(f, 24), f7 = <i64>load<i32>(f, 28);
  const f8 = <i64>load<i32>(f, 32), f9 = <i64>load<i32>(f, 36);
  const g0 = <i64>load<i32>(g, 0), g1 = <i64>load<i32>(g, 4);
  const g2 = <i64>load<i32>(g, 8), g3 = <i64>load<i32>(g, 12);
  const g4 = <i64>load<i32>(g, 16), g5 = <i64>load<i32>(g, 20);
  const g6 = <i64>load<i32>(g, 24), g7 = <i64>load<i32>(g, 28);
  const g8 = <i64>load<i32>(g, 32), g9 = <i64>load<i32>(g, 36);
  // Products landing at 2^255 and above wrap around times 19; an odd limb
  // times an odd limb lands one bit above its slot, hence the doubled f_odd.
  // Method after ref10 (SUPERCOP, public domain): its fe_mul column formulas,
  // with the 19 g premultiples and the doubled odd limbs of f.
  const g1x = 19 * g1, g2x = 19 * g2, g3x = 19 * g3, g4x = 19 * g4, g5x = 19 * g5;
  const g6x = 19 * g6, g7x = 19 * g7, g8x = 19 * g8, g9x = 19 * g9;
  const f1d = f1 << 1, f3d = f3 << 1, f5d = f5 << 1, f7d = f7 << 1, f9d = f9 << 1;
  const h0 = f0 * g0 + f1d * g9x + f2 * g8x + f3d * g7x + f4 * g6x + f5d * g5x + f6 * g4x + f7d * g3x + f8 * g2x + f9d * g1x;
  const h1 = f0 * g1 + f1 * g0 + f2 * g9x + f3 * g8x + f4 * g7x + f5 * g6x + f6 * g5x + f7 * g4x + f8 * g3x + f9 * g2x;
  const h2 = f0 * g2 + f1d * g1 + f2 * g0 + f3d * g9x + f4 * g8x + f5d * g7x + f6 * g6x + f7d * g5x + f8 * g4x + f9d * g3x;
  const h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9x + f5 * g8x + f6 * g7x + f7 * g6x + f8 * g5x + f9 * g4x;
  const h4 = f0 * g4 + f1d * g3 + f2 * g2 + f3d * g1 + f4 * g0 + f5d * g9x + f6 * g8x + f7d * g7x + f8 * g6x + f9d * g5x;
  const h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9x + f7 * g8x + f8 * g7x + f9 * g6x;
  const h6 = f0 * g6 + f1d * g5 + f2 * g4 + f3d * g3 + f4 * g2 + f5d * g1 + f6 * g0 + f7d * g9x + f8 * g8x + f9d * g7x;
  const h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9x + f9 * g8x;
  const h8 = f0 * g8 + f1d * g7 + f2 * g6 + f3d * g5 + f4 * g4 + f5d * g3 + f6 * g2 + f7d * g1 + f8 * g0 + f9d * g9x;
  const h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;
  carryStore(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

/**
 * h = f^(2^n) (n >= 1 squarings), limbs kept in locals between rounds. The
 * square uses the symmetric products once, doubled: 55 multiplies, not 100.
 * `f` within 4M (see "Bounds"); the result is carried. `h` may alias `f`.
 */
export function fe_sqn(h: usize, f: usize, n: i32): void {
  let f0 = <i64>load<i32>(f, 0), f1 = <i64>load<i32>(f, 4);
  let f2 = <i64>load<i32>(f, 8), f3 = <i64>load<i32>(f, 12);
  let f4 = <i64>load<i32>(f, 16), f5 = <i64>load<i32>(f, 20);
  let f6 = <i64>load<i32>(f, 24), f7 = <i64>load<i32>(f, 28);
  let f8 = <i64>load<i32>(f, 32), f9 = <i64>load<i32>(f, 36);
  do {
    // Method after ref10 (SUPERCOP, public domain): its fe_sq formulas, with
    // the doubled limbs and the 19/38 premultiples.
    const d0 = f0 << 1, d1 = f1 << 1, d2 = f2 << 1, d3 = f3 << 1;
    const d4 = f4 << 1, d5 = f5 << 1, d6 = f6 << 1, d7 = f7 << 1;
    const x5 = 38 * f5, x6 = 19 * f6, x7 = 38 * f7, x8 = 19 * f8, x9 = 38 * f9;
    let h0 = f0 * f0 + d1 * x9 + d2 * x8 + d3 * x7 + d4 * x6 + f5 * x5;
    let h1 = d0 * f1 + f2 * x9 + d3 * x8 + f4 * x7 + d5 * x6;
    let h2 = d0 * f2 + d1 * f1 + d3 * x9 + d4 * x8 + d5 * x7 + f6 * x6;
    let h3 = d0 * f3 + d1 * f2 + f4 * x9 + d5 * x8 + f6 * x7;
    let h4 = d0 * f4 + d1 * d3 + f2 * f2 + d5 * x9 + d6 * x8 + f7 * x7;
    let h5 = d0 * f5 + d1 * f4 + d2 * f3 + f6 * x9 + d7 * x8;
    let h6 = d0 * f6 + d1 * d5 + d2 * f4 + d3 * f3 + d7 * x9 + f8 * x8;
    let h7 = d0 * f7 + d1 * f6 + d2 * f5 + d3 * f4 + f8 * x9;
    let h8 = d0 * f8 + d1 * d7 + d2 * f6 + d3 * d5 + f4 * f4 + f9 * x9;
    let h9 = d0 * f9 + d1 * f8 + d2 * f7 + d3 * f6 + d4 * f5;
    // Same carry chain as carryStore, kept in locals for the next round.
    let c: i64;
    c = h0 >> 26; h1 += c; h0 &= MASK26;
    c = h4 >> 26; h5 += c; h4 &= MASK26;
    c = h1 >> 25; h2 += c; h1 &= MASK25;
    c = h5 >> 25; h6 += c; h5 &= MASK25;
    c = h2 >> 26; h3 += c; h2 &= MASK26;
    c = h6 >> 26; h7 += c; h6 &= MASK26;
    c = h3 >> 25; h4 += c; h3 &= MASK25;
    c = h7 >> 25; h8 += c; h7 &= MASK25;
    c = h4 >> 26; h5 += c; h4 &= MASK26;
    c = h8 >> 26; h9 += c; h8 &= MASK26;
    c = h9 >> 25; h0 += c * 19; h9 &= MASK25;
    c = h0 >> 26; h1 += c; h0 &= MASK26;
    f0 = h0; f1 = h1; f2 = h2; f3 = h3; f4 = h4;
    f5 = h5; f6 = h6; f7 = h7; f8 = h8; f9 = h9;
  } while (--n > 0);
  store<i32>(h, <i32>f0, 0);
  store<i32>(h, <i32>f1, 4);
  store<i32>(h, <i32>f2, 8);
  store<i32>(h, <i32>f3, 12);
  store<i32>(h, <i32>f4, 16);
  store<i32>(h, <i32>f5, 20);
  store<i32>(h, <i32>f6, 24);
  store<i32>(h, <i32>f7, 28);
  store<i32>(h, <i32>f8, 32);
  store<i32>(h, <i32>f9, 36);
}

/** h = f^2 for `f` within 4M; carried. */
// @ts-ignore: decorator
@inline
export function fe_sq(h: usize, f: usize): void {
  fe_sqn(h, f, 1);
}

/**
 * h = f * n for a small constant 0 <= n < 2^20 (121665 in the ladder) and
 * `f` within 4M; the result is carried.
 */
export function fe_mul_small(h: usize, f: usize, n: i64): void {
  carryStore(h,
    <i64>load<i32>(f, 0) * n, <i64>load<i32>(f, 4) * n,
    <i64>load<i32>(f, 8) * n, <i64>load<i32>(f, 12) * n,
    <i64>load<i32>(f, 16) * n, <i64>load<i32>(f, 20) * n,
    <i64>load<i32>(f, 24) * n, <i64>load<i32>(f, 28) * n,
    <i64>load<i32>(f, 32) * n, <i64>load<i32>(f, 36) * n);
}

/** h = f + g, limb-wise (no carry: the bound doubles). */
// @ts-ignore: decorator
@inline
export function fe_add(h: usize, f: usize, g: usize): void {
  // Unrolled by hand: binaryen -O3 keeps the 10-step loop, and these run
  // several times per point operation.
  const a0 = load<i32>(f, 0) + load<i32>(g, 0), a1 = load<i32>(f, 4) + load<i32>(g, 4);
  const a2 = load<i32>(f, 8) + load<i32>(g, 8), a3 = load<i32>(f, 12) + load<i32>(g, 12);
  const a4 = load<i32>(f, 16) + load<i32>(g, 16), a5 = load<i32>(f, 20) + load<i32>(g, 20);
  const a6 = load<i32>(f, 24) + load<i32>(g, 24), a7 = load<i32>(f, 28) + load<i32>(g, 28);
  const a8 = load<i32>(f, 32) + load<i32>(g, 32), a9 = load<i32>(f, 36) + load<i32>(g, 36);
  store<i32>(h, a0, 0); store<i32>(h, a1, 4); store<i32>(h, a2, 8); store<i32>(h, a3, 12);
  store<i32>(h, a4, 16); store<i32>(h, a5, 20); store<i32>(h, a6, 24); store<i32>(h, a7, 28);
  store<i32>(h, a8, 32); store<i32>(h, a9, 36);
}

/** h = f - g, limb-wise (no carry). */
// @ts-ignore: decorator
@inline
export function fe_sub(h: usize, f: usize, g: usize): void {
  const a0 = load<i32>(f, 0) - load<i32>(g, 0), a1 = load<i32>(f, 4) - load<i32>(g, 4);
  const a2 = load<i32>(f, 8) - load<i32>(g, 8), a3 = load<i32>(f, 12) - load<i32>(g, 12);
  const a4 = load<i32>(f, 16) - load<i32>(g, 16), a5 = load<i32>(f, 20) - load<i32>(g, 20);
  const a6 = load<i32>(f, 24) - load<i32>(g, 24), a7 = load<i32>(f, 28) - load<i32>(g, 28);
  const a8 = load<i32>(f, 32) - load<i32>(g, 32), a9 = load<i32>(f, 36) - load<i32>(g, 36);
  store<i32>(h, a0, 0); store<i32>(h, a1, 4); store<i32>(h, a2, 8); store<i32>(h, a3, 12);
  store<i32>(h, a4, 16); store<i32>(h, a5, 20); store<i32>(h, a6, 24); store<i32>(h, a7, 28);
  store<i32>(h, a8, 32); store<i32>(h, a9, 36);
}

/** h = -f, limb-wise. */
export function fe_neg(h: usize, f: usize): void {
  for (let i: usize = 0; i < 40; i += 4) store<i32>(h + i, -load<i32>(f + i));
}

/** h = f. */
// @ts-ignore: decorator
@inline
export function fe_copy(h: usize, f: usize): void {
  memory.copy(h, f, 40);
}

/** h = 0 (n = 0) or 1 (n = 1). */
export function fe_set(h: usize, n: i32): void {
  memory.fill(h, 0, 40);
  store<i32>(h, n);
}

/** Swaps f and g when `mask` is all ones, not when 0; constant time. */
export function fe_cswap(f: usize, g: usize, mask: i32): void {
  for (let i: usize = 0; i < 40; i += 4) {
    const a = load<i32>(f + i), b = load<i32>(g + i);
    const t = (a ^ b) & mask;
    store<i32>(f + i, a ^ t);
    store<i32>(g + i, b ^ t);
  }
}

/**
 * Loads 32 little-endian bytes, ignoring bit 255 (RFC 7748 section 5 and RFC
 * 8032 5.1.3 both mask it). Values in [p, 2^255) are kept as they are: they
 * are congruent to their reduction and every operation accepts them.
 */
export function fe_frombytes(h: usize, s: usize): void {
  // Each limb is read with one u32 load: its bit offset within the loaded
  // byte plus its width never exceeds 32, and the last load ends at byte 31.
  store<i32>(h, load<u32>(s, 0) & 0x3ffffff, 0);
  store<i32>(h, (load<u32>(s, 3) >> 2) & 0x1ffffff, 4);
  store<i32>(h, (load<u32>(s, 6) >> 3) & 0x3ffffff, 8);
  store<i32>(h, (load<u32>(s, 9) >> 5) & 0x1ffffff, 12);
  store<i32>(h, (load<u32>(s, 12) >> 6) & 0x3ffffff, 16);
  store<i32>(h, load<u32>(s, 16) & 0x1ffffff, 20);
  store<i32>(h, (load<u32>(s, 19) >> 1) & 0x3ffffff, 24);
  store<i32>(h, (load<u32>(s, 22) >> 3) & 0x1ffffff, 28);
  store<i32>(h, (load<u32>(s, 25) >> 4) & 0x3ffffff, 32);
  store<i32>(h, (load<u32>(s, 28) >> 6) & 0x1ffffff, 36);
}

/**
 * Writes the canonical 32-byte encoding (value reduced into [0, p)) of `f`.
 * Accepts limbs below 2^30 and at least -2^26 + 2 (even limbs: -2^27 + 38),
 * so that adding 2p leaves every limb non-negative: carried values, their
 * sums and their differences all qualify. Uses no scratch.
 */
export function fe_tobytes(s: usize, f: usize): void {
  // Adding 2p limb-wise makes every limb non-negative without changing the
  // value mod p; two floor-carry passes then leave limbs in range and the
  // value below 2^255 + 2^26 < 2p.
  let h0 = <i64>load<i32>(f, 0) + 2 * (MASK26 - 18), h1 = <i64>load<i32>(f, 4) + 2 * MASK25;
  let h2 = <i64>load<i32>(f, 8) + 2 * MASK26, h3 = <i64>load<i32>(f, 12) + 2 * MASK25;
  let h4 = <i64>load<i32>(f, 16) + 2 * MASK26, h5 = <i64>load<i32>(f, 20) + 2 * MASK25;
  let h6 = <i64>load<i32>(f, 24) + 2 * MASK26, h7 = <i64>load<i32>(f, 28) + 2 * MASK25;
  let h8 = <i64>load<i32>(f, 32) + 2 * MASK26, h9 = <i64>load<i32>(f, 36) + 2 * MASK25;
  for (let pass = 0; pass < 2; pass++) {
    h1 += h0 >> 26; h0 &= MASK26;
    h2 += h1 >> 25; h1 &= MASK25;
    h3 += h2 >> 26; h2 &= MASK26;
    h4 += h3 >> 25; h3 &= MASK25;
    h5 += h4 >> 26; h4 &= MASK26;
    h6 += h5 >> 25; h5 &= MASK25;
    h7 += h6 >> 26; h6 &= MASK26;
    h8 += h7 >> 25; h7 &= MASK25;
    h9 += h8 >> 26; h8 &= MASK26;
    if (pass == 0) { h0 += 19 * (h9 >> 25); h9 &= MASK25; }
  }
  // q = 1 exactly when value + 19 >= 2^255, i.e. value >= p.
  let q = (h0 + 19) >> 26;
  q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25; q = (h4 + q) >> 26;
  q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25; q = (h8 + q) >> 26;
  q = (h9 + q) >> 25;
  // value - q*p = value + 19q - q*2^255: add 19q, carry, drop bit 255.
  h0 += 19 * q;
  h1 += h0 >> 26; h0 &= MASK26;
  h2 += h1 >> 25; h1 &= MASK25;
  h3 += h2 >> 26; h2 &= MASK26;
  h4 += h3 >> 25; h3 &= MASK25;
  h5 += h4 >> 26; h4 &= MASK26;
  h6 += h5 >> 25; h5 &= MASK25;
  h7 += h6 >> 26; h6 &= MASK26;
  h8 += h7 >> 25; h7 &= MASK25;
  h9 += h8 >> 26; h8 &= MASK26;
  h9 &= MASK25;
  // Pack: limb i starts at bit 0, 26, 51, 77, 102 | 128, 153, 179, 204, 230.
  store<u64>(s, <u64>h0 | (<u64>h1 << 26) | (<u64>h2 << 51), 0);
  store<u64>(s, (<u64>h2 >> 13) | (<u64>h3 << 13) | (<u64>h4 << 38), 8);
  store<u64>(s, <u64>h5 | (<u64>h6 << 25) | (<u64>h7 << 51), 16);
  store<u64>(s, (<u64>h7 >> 13) | (<u64>h8 << 12) | (<u64>h9 << 38), 24);
}

/**
 * Returns 1 when f = 0 (mod p), else 0; constant time. Leaves the canonical
 * encoding of `f` in this file's scratch TB: when `f` is secret-derived the
 * caller wipes it (fe_wipe_scratch). `f` must not be this file's scratch.
 */
export function fe_iszero(f: usize): i32 {
  fe_tobytes(TB, f);
  return <i32>ctIsZero(TB, 32);
}

/**
 * Returns the low bit of the canonical encoding ("negative" in RFC 8032).
 * Leaves that encoding in this file's scratch TB: when `f` is secret-derived
 * the caller wipes it (fe_wipe_scratch). `f` must not be this file's scratch.
 */
export function fe_isneg(f: usize): i32 {
  fe_tobytes(TB, f);
  return load<u8>(TB) & 1;
}

/** Computes z^(2^250 - 1) into T0 and z^11 into T1 (shared by invert and pow22523). */
function pow2250m1(z: usize): void {
  fe_sq(T0, z);            // z^2
  fe_sqn(T1, T0, 2);       // z^8
  fe_mul(T1, T1, z);       // z^9
  fe_mul(T0, T0, T1);      // z^11
  fe_sq(T2, T0);           // z^22
  fe_mul(T1, T1, T2);      // z^(2^5 - 1)   (9 + 22 = 31)
  fe_copy(T3, T0);         // keep z^11
  fe_sqn(T2, T1, 5);
  fe_mul(T1, T2, T1);      // z^(2^10 - 1)
  fe_sqn(T2, T1, 10);
  fe_mul(T2, T2, T1);      // z^(2^20 - 1)
  fe_sqn(T0, T2, 20);
  fe_mul(T2, T0, T2);      // z^(2^40 - 1)
  fe_sqn(T2, T2, 10);
  fe_mul(T1, T2, T1);      // z^(2^50 - 1)
  fe_sqn(T2, T1, 50);
  fe_mul(T2, T2, T1);      // z^(2^100 - 1)
  fe_sqn(T0, T2, 100);
  fe_mul(T2, T0, T2);      // z^(2^200 - 1)
  fe_sqn(T2, T2, 50);
  fe_mul(T0, T2, T1);      // z^(2^250 - 1)
  fe_copy(T1, T3);         // z^11
}

/**
 * h = z^(p-2) = 1/z (and 0 for z = 0), by Fermat; 254 squarings, 11
 * multiplies. Leaves powers of z in this file's scratch T0..T3: when z is
 * secret-derived the caller wipes them (fe_wipe_scratch). `h` may alias `z`;
 * neither may be this file's scratch.
 */
export function fe_invert(h: usize, z: usize): void {
  pow2250m1(z);
  fe_sqn(T0, T0, 5);       // z^(2^255 - 2^5)
  fe_mul(h, T0, T1);       // z^(2^255 - 21) = z^(p-2)
}

/**
 * h = z^((p-5)/8) = z^(2^252 - 3), the exponent of the RFC 8032 square root.
 * Leaves powers of z in this file's scratch T0..T3: when z is secret-derived
 * the caller wipes them (fe_wipe_scratch). `h` may alias `z`; neither may be
 * this file's scratch.
 */
export function fe_pow22523(h: usize, z: usize): void {
  pow2250m1(z);
  fe_sqn(T0, T0, 2);       // z^(2^252 - 4)
  fe_mul(h, T0, z);        // z^(2^252 - 3)
}

/** Zeroes this file's scratch (it holds values derived from secrets). */
export function fe_wipe_scratch(): void {
  memory.fill(T0, 0, 40);
  memory.fill(T1, 0, 40);
  memory.fill(T2, 0, 40);
  memory.fill(T3, 0, 40);
  memory.fill(TB, 0, 32);
}
