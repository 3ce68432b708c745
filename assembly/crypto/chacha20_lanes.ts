// Vector helpers shared by the SIMD ChaCha20 paths (chacha20_simd.ts, eight
// blocks; aead_simd.ts, four blocks with Poly1305 woven in). Internal, and
// only reached under `if (ASC_FEATURE_SIMD)`: the scalar build drops it.
// Every helper is @inline, so sharing them costs nothing at run time.

// Rotations by 16 and 8 move whole bytes, so one byte shuffle does each.
// Lane bytes are little-endian: rotl 16 maps bytes (0,1,2,3) to (2,3,0,1),
// rotl 8 to (3,0,1,2). Written as i8x16.swizzle with a constant mask, not as
// i8x16.shuffle: V8 11 rebuilds a shuffle's mask from immediates at every
// use (four instructions), while a constant swizzle mask is built once per
// loop iteration and, being in range, needs no fix-up (measured: +10 % over
// i8x16.shuffle and over shift-shift-or; a mask loaded from memory costs an
// extra saturating add per use).

// @ts-ignore: decorator
@inline
export function add(a: v128, b: v128): v128 {
  return i32x4.add(a, b);
}

// @ts-ignore: decorator
@inline
export function xor(a: v128, b: v128): v128 {
  return v128.xor(a, b);
}

// @ts-ignore: decorator
@inline
export function rotl16(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));
}

// @ts-ignore: decorator
@inline
export function rotl12(v: v128): v128 {
  return v128.or(i32x4.shl(v, 12), i32x4.shr_u(v, 20));
}

// @ts-ignore: decorator
@inline
export function rotl8(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14));
}

// @ts-ignore: decorator
@inline
export function rotl7(v: v128): v128 {
  return v128.or(i32x4.shl(v, 7), i32x4.shr_u(v, 25));
}

/**
 * Word `off` of the input state, in all four lanes. A load-splat, not
 * i32x4.splat of a scalar load: V8 emits one broadcast load instead of a
 * scalar load, a move to a vector register and a shuffle (measured: +2 %).
 */
// @ts-ignore: decorator
@inline
export function splat(st: usize, off: usize): v128 {
  return v128.load32_splat(st + off);
}

/**
 * Transposes four v128 (words w..w+3 of four blocks, w = off / 4) and XORs
 * them into the four 64-byte blocks at `out`/`inp`, at byte offset `off` of
 * each. Every 16 bytes are loaded just before they are stored, so `out` may
 * equal `inp`.
 */
// @ts-ignore: decorator
@inline
export function xorWords4(out: usize, inp: usize, off: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = i32x4.shuffle(a, b, 2, 6, 3, 7); // a2 b2 a3 b3
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5); // c0 d0 c1 d1
  const t3 = i32x4.shuffle(c, d, 2, 6, 3, 7); // c2 d2 c3 d3
  const p = inp + off;
  const q = out + off;
  v128.store(q, xor(v128.load(p, 0), i64x2.shuffle(t0, t2, 0, 2)), 0);
  v128.store(q, xor(v128.load(p, 64), i64x2.shuffle(t0, t2, 1, 3)), 64);
  v128.store(q, xor(v128.load(p, 128), i64x2.shuffle(t1, t3, 0, 2)), 128);
  v128.store(q, xor(v128.load(p, 192), i64x2.shuffle(t1, t3, 1, 3)), 192);
}
