// SHA-512 (FIPS 180-4 §6.4), streaming over a caller-provided context.
//
// Context layout (SHA512_CTX_BYTES = 208, any alignment):
//   0..64    H0..H7, the chaining state, as native (little-endian) u64
//   64..72   total message length so far in bytes (u64)
//   72..80   unused (zero)
//   80..208  the partial block (count % 128 bytes of it are live)
//
// The length is counted in bytes as a u64, so a message may be up to
// 2^64 - 1 bytes; the 128-bit bit length of §5.1.2 is formed from it in final.
// Whole blocks are compressed straight from the caller's input; only a partial
// block is copied into the context. The message schedule lives in locals, so
// there is no static scratch to wipe.

import { wipe } from "./ct";

/** Digest size in bytes. */
export const SHA512_BYTES: i32 = 64;
/** Block size in bytes. */
export const SHA512_BLOCK_BYTES: i32 = 128;
/** Size in bytes of the context that sha512_init/update/final work on. */
export const SHA512_CTX_BYTES: i32 = 208;

const LEN: usize = 64;
const BUF: usize = 80;

// Round constants K0..K79 (FIPS 180-4 §4.2.3): the first 64 bits of the
// fractional parts of the cube roots of the first 80 primes.
const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);

// One-context scratch for the one-shot sha512(); wiped by sha512_final.
const ONESHOT: usize = memory.data(SHA512_CTX_BYTES, 16);

// The e-dependent half of T1 (§6.4.2 step 3): Σ1(e) + Ch(e,f,g). Each round
// sums h + K[t] + W[t] separately and adds it in last, which keeps those
// additions off the e -> e dependency chain (measured ~8% faster in V8).
// @ts-ignore: decorator
@inline
function t1(e: u64, f: u64, g: u64): u64 {
  return (rotr<u64>(e, 14) ^ rotr<u64>(e, 18) ^ rotr<u64>(e, 41)) + (g ^ (e & (f ^ g)));
}

// T2 of §6.4.2 step 3: Σ0(a) + Maj(a,b,c).
// @ts-ignore: decorator
@inline
function t2(a: u64, b: u64, c: u64): u64 {
  return (rotr<u64>(a, 28) ^ rotr<u64>(a, 34) ^ rotr<u64>(a, 39)) + ((a & b) | (c & (a | b)));
}

// σ0 and σ1 of §4.1.3 (message schedule).
// @ts-ignore: decorator
@inline
function s0(x: u64): u64 {
  return rotr<u64>(x, 1) ^ rotr<u64>(x, 8) ^ (x >> 7);
}
// @ts-ignore: decorator
@inline
function s1(x: u64): u64 {
  return rotr<u64>(x, 19) ^ rotr<u64>(x, 61) ^ (x >> 6);
}

// Big-endian 64-bit load (wasm memory is little-endian).
// @ts-ignore: decorator
@inline
function be64(p: usize, off: usize): u64 {
  return bswap<u64>(load<u64>(p + off));
}

// Runs the compression function over `n` whole 128-byte blocks at `p`,
// updating the state at `st`. The 16-word schedule window is kept in locals
// w0..w15 and rewritten in place every 16 rounds (§6.4.2 step 1); the eight
// working variables rotate names instead of being shifted (step 3). A round
// is: t = h + K[t] + W[t]; u = Σ1(e) + Ch(e,f,g); d += t + u (the new e);
// h = t + u + Σ0(a) + Maj(a,b,c) (the new a).
function compress(st: usize, p: usize, n: usize): void {
  let a = load<u64>(st, 0), b = load<u64>(st, 8), c = load<u64>(st, 16), d = load<u64>(st, 24);
  let e = load<u64>(st, 32), f = load<u64>(st, 40), g = load<u64>(st, 48), h = load<u64>(st, 56);
  const end = p + (n << 7);
  while (p < end) {
    const a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
    let w0 = be64(p, 0), w1 = be64(p, 8), w2 = be64(p, 16), w3 = be64(p, 24);
    let w4 = be64(p, 32), w5 = be64(p, 40), w6 = be64(p, 48), w7 = be64(p, 56);
    let w8 = be64(p, 64), w9 = be64(p, 72), w10 = be64(p, 80), w11 = be64(p, 88);
    let w12 = be64(p, 96), w13 = be64(p, 104), w14 = be64(p, 112), w15 = be64(p, 120);
    let k = K;
    while (true) {
      let t: u64, u: u64;
      t = h + load<u64>(k, 0) + w0; u = t1(e, f, g); d = d + t + u; h = t + u + t2(a, b, c);
      t = g + load<u64>(k, 8) + w1; u = t1(d, e, f); c = c + t + u; g = t + u + t2(h, a, b);
      t = f + load<u64>(k, 16) + w2; u = t1(c, d, e); b = b + t + u; f = t + u + t2(g, h, a);
      t = e + load<u64>(k, 24) + w3; u = t1(b, c, d); a = a + t + u; e = t + u + t2(f, g, h);
      t = d + load<u64>(k, 32) + w4; u = t1(a, b, c); h = h + t + u; d = t + u + t2(e, f, g);
      t = c + load<u64>(k, 40) + w5; u = t1(h, a, b); g = g + t + u; c = t + u + t2(d, e, f);
      t = b + load<u64>(k, 48) + w6; u = t1(g, h, a); f = f + t + u; b = t + u + t2(c, d, e);
      t = a + load<u64>(k, 56) + w7; u = t1(f, g, h); e = e + t + u; a = t + u + t2(b, c, d);
      t = h + load<u64>(k, 64) + w8; u = t1(e, f, g); d = d + t + u; h = t + u + t2(a, b, c);
      t = g + load<u64>(k, 72) + w9; u = t1(d, e, f); c = c + t + u; g = t + u + t2(h, a, b);
      t = f + load<u64>(k, 80) + w10; u = t1(c, d, e); b = b + t + u; f = t + u + t2(g, h, a);
      t = e + load<u64>(k, 88) + w11; u = t1(b, c, d); a = a + t + u; e = t + u + t2(f, g, h);
      t = d + load<u64>(k, 96) + w12; u = t1(a, b, c); h = h + t + u; d = t + u + t2(e, f, g);
      t = c + load<u64>(k, 104) + w13; u = t1(h, a, b); g = g + t + u; c = t + u + t2(d, e, f);
      t = b + load<u64>(k, 112) + w14; u = t1(g, h, a); f = f + t + u; b = t + u + t2(c, d, e);
      t = a + load<u64>(k, 120) + w15; u = t1(f, g, h); e = e + t + u; a = t + u + t2(b, c, d);
      k += 128;
      if (k == K + 640) break;
      // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], with W[t] in w(t mod 16).
      w0 += s1(w14) + w9 + s0(w1);
      w1 += s1(w15) + w10 + s0(w2);
      w2 += s1(w0) + w11 + s0(w3);
      w3 += s1(w1) + w12 + s0(w4);
      w4 += s1(w2) + w13 + s0(w5);
      w5 += s1(w3) + w14 + s0(w6);
      w6 += s1(w4) + w15 + s0(w7);
      w7 += s1(w5) + w0 + s0(w8);
      w8 += s1(w6) + w1 + s0(w9);
      w9 += s1(w7) + w2 + s0(w10);
      w10 += s1(w8) + w3 + s0(w11);
      w11 += s1(w9) + w4 + s0(w12);
      w12 += s1(w10) + w5 + s0(w13);
      w13 += s1(w11) + w6 + s0(w14);
      w14 += s1(w12) + w7 + s0(w15);
      w15 += s1(w13) + w8 + s0(w0);
    }
    a += a0; b += b0; c += c0; d += d0; e += e0; f += f0; g += g0; h += h0;
    p += 128;
  }
  store<u64>(st, a, 0); store<u64>(st, b, 8); store<u64>(st, c, 16); store<u64>(st, d, 24);
  store<u64>(st, e, 32); store<u64>(st, f, 40); store<u64>(st, g, 48); store<u64>(st, h, 56);
}

/**
 * Starts a SHA-512 computation in the SHA512_CTX_BYTES bytes at `ctx`
 * (initial hash value of FIPS 180-4 §5.3.5).
 */
export function sha512_init(ctx: usize): void {
  store<u64>(ctx, 0x6a09e667f3bcc908, 0);
  store<u64>(ctx, 0xbb67ae8584caa73b, 8);
  store<u64>(ctx, 0x3c6ef372fe94f82b, 16);
  store<u64>(ctx, 0xa54ff53a5f1d36f1, 24);
  store<u64>(ctx, 0x510e527fade682d1, 32);
  store<u64>(ctx, 0x9b05688c2b3e6c1f, 40);
  store<u64>(ctx, 0x1f83d9abfb41bd6b, 48);
  store<u64>(ctx, 0x5be0cd19137e2179, 56);
  store<u64>(ctx, 0, LEN);
  store<u64>(ctx, 0, LEN + 8);
}

/**
 * Absorbs `len` bytes at `input` (any length, including 0) into the context
 * at `ctx`. May be called any number of times between init and final; the
 * result depends only on the concatenation of the inputs.
 */
export function sha512_update(ctx: usize, input: usize, len: usize): void {
  const count = load<u64>(ctx, LEN);
  const fill = <usize>(count & 127);
  store<u64>(ctx, count + <u64>len, LEN);
  if (fill != 0) {
    const need: usize = 128 - fill;
    if (len < need) {
      memory.copy(ctx + BUF + fill, input, len);
      return;
    }
    memory.copy(ctx + BUF + fill, input, need);
    compress(ctx, ctx + BUF, 1);
    input += need;
    len -= need;
  }
  const whole = len >> 7;
  if (whole != 0) {
    compress(ctx, input, whole);
    input += whole << 7;
    len &= 127;
  }
  if (len != 0) memory.copy(ctx + BUF, input, len);
}

/**
 * Pads (FIPS 180-4 §5.1.2), writes the 64-byte digest to `out` and wipes all
 * SHA512_CTX_BYTES of the context. `out` must not overlap the context.
 */
export function sha512_final(ctx: usize, out: usize): void {
  const count = load<u64>(ctx, LEN);
  let fill = <usize>(count & 127);
  const buf = ctx + BUF;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 112) {
    memory.fill(buf + fill, 0, 128 - fill);
    compress(ctx, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 112 - fill);
  // 128-bit big-endian bit length: bytes * 8 split across two words.
  store<u64>(buf, bswap<u64>(count >> 61), 112);
  store<u64>(buf, bswap<u64>(count << 3), 120);
  compress(ctx, buf, 1);
  for (let i: usize = 0; i < 64; i += 8) {
    store<u64>(out + i, bswap<u64>(load<u64>(ctx + i)));
  }
  wipe(ctx, <usize>SHA512_CTX_BYTES);
}

/**
 * One-shot SHA-512: writes the 64-byte digest of the `len` bytes at `input`
 * to `out`. Uses a static context, wiped before returning.
 */
export function sha512(out: usize, input: usize, len: usize): void {
  sha512_init(ONESHOT);
  sha512_update(ONESHOT, input, len);
  sha512_final(ONESHOT, out);
}
