// SHA-256 (FIPS 180-4 §6.2), streaming over a caller-provided context.
//
// Context layout (SHA256_CTX_BYTES = 104, any alignment):
//   0..32    H0..H7, the chaining state, as native (little-endian) u32
//   32..40   total message length so far in bytes (u64)
//   40..104  the partial block (count % 64 bytes of it are live)
//
// The length is counted in bytes as a u64 and the 64-bit bit length of §5.1.1
// is that times 8, so a message may be up to 2^61 - 1 bytes (2^64 - 8 bits).
// Whole blocks are compressed straight from the caller's input; only a partial
// block is copied into the context. The message schedule lives in locals, so
// there is no static scratch to wipe.

import { wipe } from "./ct";

/** Digest size in bytes. */
export const SHA256_BYTES: i32 = 32;
/** Block size in bytes. */
export const SHA256_BLOCK_BYTES: i32 = 64;
/** Size in bytes of the context that sha256_init/update/final work on. */
export const SHA256_CTX_BYTES: i32 = 104;

const LEN: usize = 32;
const BUF: usize = 40;

// Round constants K0..K63 (FIPS 180-4 §4.2.2): the first 32 bits of the
// fractional parts of the cube roots of the first 64 primes.
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// One context for the one-shot sha256(); wiped by sha256_final.
const ONESHOT: usize = memory.data(SHA256_CTX_BYTES, 16);

// The e-dependent half of T1 (§6.2.2 step 3): Σ1(e) + Ch(e,f,g). Each round
// sums h + K[t] + W[t] separately and adds it in last, which keeps those
// additions off the e -> e dependency chain (measured ~8% faster in V8).
// @ts-ignore: decorator
@inline
function t1(e: u32, f: u32, g: u32): u32 {
  return (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + (g ^ (e & (f ^ g)));
}

// T2 of §6.2.2 step 3: Σ0(a) + Maj(a,b,c).
// @ts-ignore: decorator
@inline
function t2(a: u32, b: u32, c: u32): u32 {
  return (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) | (c & (a | b)));
}

// σ0 and σ1 of §4.1.2 (message schedule).
// @ts-ignore: decorator
@inline
function s0(x: u32): u32 {
  return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >> 3);
}
// @ts-ignore: decorator
@inline
function s1(x: u32): u32 {
  return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >> 10);
}

// Big-endian 32-bit load (wasm memory is little-endian).
// @ts-ignore: decorator
@inline
function be32(p: usize, off: usize): u32 {
  return bswap<u32>(load<u32>(p + off));
}

// Runs the compression function over `n` whole 64-byte blocks at `p`,
// updating the state at `st`. The 16-word schedule window is kept in locals
// w0..w15 and rewritten in place every 16 rounds (§6.2.2 step 1); the eight
// working variables rotate names instead of being shifted (step 3). A round
// is: t = h + K[t] + W[t]; u = Σ1(e) + Ch(e,f,g); d += t + u (the new e);
// h = t + u + Σ0(a) + Maj(a,b,c) (the new a).
function compress(st: usize, p: usize, n: usize): void {
  let a = load<u32>(st, 0), b = load<u32>(st, 4), c = load<u32>(st, 8), d = load<u32>(st, 12);
  let e = load<u32>(st, 16), f = load<u32>(st, 20), g = load<u32>(st, 24), h = load<u32>(st, 28);
  const end = p + (n << 6);
  while (p < end) {
    const a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
    let w0 = be32(p, 0), w1 = be32(p, 4), w2 = be32(p, 8), w3 = be32(p, 12);
    let w4 = be32(p, 16), w5 = be32(p, 20), w6 = be32(p, 24), w7 = be32(p, 28);
    let w8 = be32(p, 32), w9 = be32(p, 36), w10 = be32(p, 40), w11 = be32(p, 44);
    let w12 = be32(p, 48), w13 = be32(p, 52), w14 = be32(p, 56), w15 = be32(p, 60);
    let k = K;
    while (true) {
      let t: u32, u: u32;
      t = h + load<u32>(k, 0) + w0; u = t1(e, f, g); d = d + t + u; h = t + u + t2(a, b, c);
      t = g + load<u32>(k, 4) + w1; u = t1(d, e, f); c = c + t + u; g = t + u + t2(h, a, b);
      t = f + load<u32>(k, 8) + w2; u = t1(c, d, e); b = b + t + u; f = t + u + t2(g, h, a);
      t = e + load<u32>(k, 12) + w3; u = t1(b, c, d); a = a + t + u; e = t + u + t2(f, g, h);
      t = d + load<u32>(k, 16) + w4; u = t1(a, b, c); h = h + t + u; d = t + u + t2(e, f, g);
      t = c + load<u32>(k, 20) + w5; u = t1(h, a, b); g = g + t + u; c = t + u + t2(d, e, f);
      t = b + load<u32>(k, 24) + w6; u = t1(g, h, a); f = f + t + u; b = t + u + t2(c, d, e);
      t = a + load<u32>(k, 28) + w7; u = t1(f, g, h); e = e + t + u; a = t + u + t2(b, c, d);
      t = h + load<u32>(k, 32) + w8; u = t1(e, f, g); d = d + t + u; h = t + u + t2(a, b, c);
      t = g + load<u32>(k, 36) + w9; u = t1(d, e, f); c = c + t + u; g = t + u + t2(h, a, b);
      t = f + load<u32>(k, 40) + w10; u = t1(c, d, e); b = b + t + u; f = t + u + t2(g, h, a);
      t = e + load<u32>(k, 44) + w11; u = t1(b, c, d); a = a + t + u; e = t + u + t2(f, g, h);
      t = d + load<u32>(k, 48) + w12; u = t1(a, b, c); h = h + t + u; d = t + u + t2(e, f, g);
      t = c + load<u32>(k, 52) + w13; u = t1(h, a, b); g = g + t + u; c = t + u + t2(d, e, f);
      t = b + load<u32>(k, 56) + w14; u = t1(g, h, a); f = f + t + u; b = t + u + t2(c, d, e);
      t = a + load<u32>(k, 60) + w15; u = t1(f, g, h); e = e + t + u; a = t + u + t2(b, c, d);
      k += 64;
      if (k == K + 256) break;
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
    p += 64;
  }
  store<u32>(st, a, 0); store<u32>(st, b, 4); store<u32>(st, c, 8); store<u32>(st, d, 12);
  store<u32>(st, e, 16); store<u32>(st, f, 20); store<u32>(st, g, 24); store<u32>(st, h, 28);
}

/**
 * Starts a SHA-256 computation in the SHA256_CTX_BYTES bytes at `ctx`
 * (initial hash value of FIPS 180-4 §5.3.3).
 */
export function sha256_init(ctx: usize): void {
  store<u32>(ctx, 0x6a09e667, 0);
  store<u32>(ctx, 0xbb67ae85, 4);
  store<u32>(ctx, 0x3c6ef372, 8);
  store<u32>(ctx, 0xa54ff53a, 12);
  store<u32>(ctx, 0x510e527f, 16);
  store<u32>(ctx, 0x9b05688c, 20);
  store<u32>(ctx, 0x1f83d9ab, 24);
  store<u32>(ctx, 0x5be0cd19, 28);
  store<u64>(ctx, 0, LEN);
}

/**
 * Absorbs `len` bytes at `input` (any length, including 0) into the context
 * at `ctx`. May be called any number of times between init and final; the
 * result depends only on the concatenation of the inputs.
 */
export function sha256_update(ctx: usize, input: usize, len: usize): void {
  const count = load<u64>(ctx, LEN);
  const fill = <usize>(count & 63);
  store<u64>(ctx, count + <u64>len, LEN);
  if (fill != 0) {
    const need: usize = 64 - fill;
    if (len < need) {
      memory.copy(ctx + BUF + fill, input, len);
      return;
    }
    memory.copy(ctx + BUF + fill, input, need);
    compress(ctx, ctx + BUF, 1);
    input += need;
    len -= need;
  }
  const whole = len >> 6;
  if (whole != 0) {
    compress(ctx, input, whole);
    input += whole << 6;
    len &= 63;
  }
  if (len != 0) memory.copy(ctx + BUF, input, len);
}

/**
 * Pads (FIPS 180-4 §5.1.1), writes the 32-byte digest to `out` and wipes all
 * SHA256_CTX_BYTES of the context. `out` must not overlap the context.
 */
export function sha256_final(ctx: usize, out: usize): void {
  const count = load<u64>(ctx, LEN);
  let fill = <usize>(count & 63);
  const buf = ctx + BUF;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 56) {
    memory.fill(buf + fill, 0, 64 - fill);
    compress(ctx, buf, 1);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 56 - fill);
  // 64-bit big-endian bit length.
  store<u64>(buf, bswap<u64>(count << 3), 56);
  compress(ctx, buf, 1);
  for (let i: usize = 0; i < 32; i += 4) {
    store<u32>(out + i, bswap<u32>(load<u32>(ctx + i)));
  }
  wipe(ctx, <usize>SHA256_CTX_BYTES);
}

/**
 * One-shot SHA-256: writes the 32-byte digest of the `len` bytes at `input`
 * to `out`. Uses a static context, wiped before returning.
 */
export function sha256(out: usize, input: usize, len: usize): void {
  sha256_init(ONESHOT);
  sha256_update(ONESHOT, input, len);
  sha256_final(ONESHOT, out);
}
