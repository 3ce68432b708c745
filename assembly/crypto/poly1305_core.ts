// Poly1305 internals (RFC 8439 section 2.5): context layout, key set-up, the
// block step and the final reduction. Not re-exported from crypto/index.ts:
// poly1305.ts and aead.ts are the public surface.
//
// Arithmetic modulo p = 2^130 - 5 in radix 2^32: h = h0 + h1 2^32 + h2 2^64
// + h3 2^96 + h4 2^128, products in u64. Clamping makes every 32-bit word of
// r below 2^28 and words 1..3 multiples of 4, so (section 2.5, and
// 2^130 = 5 mod p):
//   r_j 2^128 = (r_j / 4) 2^130 = (5 r_j / 4) = w_j   (mod p),  j = 1, 2, 3,
// and h * r needs 20 products:
//   d0 = h0 r0 + h1 w3 + h2 w2 + h3 w1
//   d1 = h0 r1 + h1 r0 + h2 w3 + h3 w2 + h4 w1
//   d2 = h0 r2 + h1 r1 + h2 r0 + h3 w3 + h4 w2
//   d3 = h0 r3 + h1 r2 + h2 r1 + h3 r0 + h4 w3
//   d4 = h4 r0                                   (weight 2^128)
// Few live values and few instructions per block: this is the form that hides
// inside the ChaCha20 rounds in the AEAD loop (aead_simd.ts).
//
// Lazy carries (measured: Poly1305 alone +33 %, the AEAD seal +3 %): a block
// step is latency-bound, so it skips the two carry chains that only keep the
// words at 32 bits. Between blocks the context holds h0..h3 < 2^32, h4 <= 3
// and a carry c <= 3 that still belongs to word 1: h = h0 + (h1 + c) 2^32 +
// h2 2^64 + h3 2^96 + h4 2^128. The message is added word by word with no
// carry, so in the products every h_i < 2^33 + 4 and h4 <= 4; each sum d_i
// then stays below 4.75 * 2^61 + 2^32 < 2^64 (w_j < 1.25 * 2^28). After
// d1 += d0 >> 32, ..., d4 += d3 >> 32 (d4 < 2^33), the fold
// t = (d0 mod 2^32) + 5 (d4 >> 2) < 2^34 gives the next h0 = t mod 2^32 and
// c = t >> 32 <= 3; h1..h3 are d1..d3 mod 2^32 and h4 = d4 & 3.
// polyFinish propagates c before its final reduction.
//
// Context layout (CTX_BYTES = 96, little-endian):
//   0   u32[5]  accumulator words h0..h4 (see above)
//   20  u32[4]  r, clamped
//   36  u32[3]  w1..w3 = r_j + (r_j >> 2) = 5 r_j / 4
//   48  u32[4]  s (key bytes 16..31)
//   64  u8[16]  partial block buffer
//   80  u32     bytes in the buffer (0..15)
//   84  u32     carry c into word 1 (0..3)
//   88  (padding)

/** Context size (see the layout above). */
// @ts-ignore: decorator
@inline export const CTX_BYTES: usize = 96;
/** Offset of the partial block buffer. */
// @ts-ignore: decorator
@inline export const OFF_BUF: usize = 64;
/** Offset of the u32 count of buffered bytes. */
// @ts-ignore: decorator
@inline export const OFF_FILL: usize = 80;
/** Offset of the u32 carry c into word 1 (lazy carries, see the header). */
// @ts-ignore: decorator
@inline const OFF_CARRY: usize = 84;
// @ts-ignore: decorator
@inline const M32: u64 = 0xffffffff;

/**
 * Sets up `ctx` from a 32-byte key: r = clamp(key[0..16]) (section 2.5:
 * r &= 0x0ffffffc0ffffffc0ffffffc0fffffff), w, s = key[16..32], h = 0
 * (with c, the buffer and its count).
 */
export function polyInit(ctx: usize, key: usize): void {
  const r0 = load<u32>(key, 0) & 0x0fffffff;
  const r1 = load<u32>(key, 4) & 0x0ffffffc;
  const r2 = load<u32>(key, 8) & 0x0ffffffc;
  const r3 = load<u32>(key, 12) & 0x0ffffffc;
  memory.fill(ctx, 0, 20);
  store<u32>(ctx, r0, 20);
  store<u32>(ctx, r1, 24);
  store<u32>(ctx, r2, 28);
  store<u32>(ctx, r3, 32);
  store<u32>(ctx, r1 + (r1 >> 2), 36);
  store<u32>(ctx, r2 + (r2 >> 2), 40);
  store<u32>(ctx, r3 + (r3 >> 2), 44);
  memory.copy(ctx + 48, key + 16, 16);
  memory.fill(ctx + OFF_BUF, 0, 24);
}

/**
 * h = (h + block + hibit 2^128) * r, partially reduced (lazy carries, see the
 * header): one 16-byte block at `m`; `hibit` is 1 for a full block, 0 for the
 * padded last one (its 0x01 byte is already in place). h stays in the context
 * between blocks.
 */
// @ts-ignore: decorator
@inline
export function polyBlock(ctx: usize, m: usize, hibit: u64): void {
  // h += m word by word, no carries (c joins word 1): each h_i < 2^33 + 4.
  const h0 = <u64>load<u32>(ctx, 0) + <u64>load<u32>(m, 0);
  const h1 = <u64>load<u32>(ctx, 4) + <u64>load<u32>(m, 4) + <u64>load<u32>(ctx, OFF_CARRY);
  const h2 = <u64>load<u32>(ctx, 8) + <u64>load<u32>(m, 8);
  const h3 = <u64>load<u32>(ctx, 12) + <u64>load<u32>(m, 12);
  const h4 = <u64>load<u32>(ctx, 16) + hibit;
  const r0 = <u64>load<u32>(ctx, 20), r1 = <u64>load<u32>(ctx, 24);
  const r2 = <u64>load<u32>(ctx, 28), r3 = <u64>load<u32>(ctx, 32);
  const w1 = <u64>load<u32>(ctx, 36), w2 = <u64>load<u32>(ctx, 40), w3 = <u64>load<u32>(ctx, 44);
  // h * r, the top folded back with w (see the header).
  const d0 = h0 * r0 + h1 * w3 + h2 * w2 + h3 * w1;
  let d1 = h0 * r1 + h1 * r0 + h2 * w3 + h3 * w2 + h4 * w1;
  let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * w3 + h4 * w2;
  let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * w3;
  let d4 = h4 * r0;
  d1 += d0 >> 32;
  d2 += d1 >> 32;
  d3 += d2 >> 32;
  d4 += d3 >> 32;
  // d4 2^128 = (d4 >> 2) 2^130 + (d4 & 3) 2^128 = 5 (d4 >> 2) + (d4 & 3) 2^128.
  // Only the fold's carry out of word 0 is kept, as c; no further chain.
  const t = (d0 & M32) + (d4 >> 2) * 5;
  store<u32>(ctx, <u32>t, 0);
  store<u32>(ctx, <u32>(t >> 32), OFF_CARRY);
  store<u32>(ctx, <u32>d1, 4);
  store<u32>(ctx, <u32>d2, 8);
  store<u32>(ctx, <u32>d3, 12);
  store<u32>(ctx, <u32>(d4 & 3), 16);
}

/** Absorbs `n` full 16-byte blocks at `m`. */
export function polyBlocks(ctx: usize, m: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) polyBlock(ctx, m + (i << 4), 1);
}

/**
 * Absorbs `len` bytes at `m`, buffering a partial block across calls.
 * Split calls give the same h as one call.
 */
export function polyUpdate(ctx: usize, m: usize, len: usize): void {
  let fill = <usize>load<u32>(ctx, OFF_FILL);
  const buf = ctx + OFF_BUF;
  if (fill > 0) {
    const want: usize = 16 - fill;
    const n = len < want ? len : want;
    memory.copy(buf + fill, m, n);
    fill += n;
    m += n;
    len -= n;
    if (fill < 16) {
      store<u32>(ctx, <u32>fill, OFF_FILL);
      return;
    }
    polyBlock(ctx, buf, 1);
    fill = 0;
  }
  const nb = len >> 4;
  if (nb > 0) {
    polyBlocks(ctx, m, nb);
    m += nb << 4;
    len &= 15;
  }
  if (len > 0) {
    memory.copy(buf, m, len);
    fill = len;
  }
  store<u32>(ctx, <u32>fill, OFF_FILL);
}

/**
 * Pads and absorbs a buffered partial block, reduces h fully modulo p, adds s
 * and writes the 16-byte tag. Does not wipe the context.
 */
export function polyFinish(ctx: usize, tag: usize): void {
  const fill = <usize>load<u32>(ctx, OFF_FILL);
  if (fill > 0) {
    // Last short block: the message bytes, then 0x01, then zeros; no 2^128.
    const buf = ctx + OFF_BUF;
    store<u8>(buf + fill, 1);
    memory.fill(buf + fill + 1, 0, 15 - fill);
    polyBlock(ctx, buf, 0);
  }
  // Propagate c through words 1..4: then h0..h3 < 2^32 and h4 <= 4.
  const h0 = <u64>load<u32>(ctx, 0);
  let c = <u64>load<u32>(ctx, 4) + <u64>load<u32>(ctx, OFF_CARRY);
  const h1 = c & M32;
  c = <u64>load<u32>(ctx, 8) + (c >> 32);
  const h2 = c & M32;
  c = <u64>load<u32>(ctx, 12) + (c >> 32);
  const h3 = c & M32;
  const h4 = <u64>load<u32>(ctx, 16) + (c >> 32);
  // h < 5 * 2^128 < 2p, so h mod p is h or h - p. g = h + 5: h >= p exactly
  // when g >= 2^130, and then h - p = g - 2^130, whose low 128 bits are g's.
  let g = h0 + 5;
  const g0 = g & M32; g = h1 + (g >> 32);
  const g1 = g & M32; g = h2 + (g >> 32);
  const g2 = g & M32; g = h3 + (g >> 32);
  const g3 = g & M32; g = h4 + (g >> 32);
  const useG = 0 - (g >> 2); // all ones when g >= 2^130 (g >> 2 is 0 or 1 here)
  // tag = (h mod p) + s mod 2^128, selected without branching.
  let t = ((g0 & useG) | (h0 & ~useG)) + <u64>load<u32>(ctx, 48);
  store<u32>(tag, <u32>t, 0);
  t = (t >> 32) + ((g1 & useG) | (h1 & ~useG)) + <u64>load<u32>(ctx, 52);
  store<u32>(tag, <u32>t, 4);
  t = (t >> 32) + ((g2 & useG) | (h2 & ~useG)) + <u64>load<u32>(ctx, 56);
  store<u32>(tag, <u32>t, 8);
  t = (t >> 32) + ((g3 & useG) | (h3 & ~useG)) + <u64>load<u32>(ctx, 60);
  store<u32>(tag, <u32>t, 12);
}
