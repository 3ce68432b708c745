// ChaCha20 internals (RFC 8439 section 2.3): the context layout, the scalar
// one-block function and the bulk keystream XOR. Not re-exported from
// crypto/index.ts: chacha20.ts and aead.ts are the public surface.
//
// Context layout (CTX_BYTES = 144, little-endian):
//   0   u32[16] state: constants, key, block counter (word 12), nonce.
//               Word 12 always holds the counter of the NEXT block to generate.
//   64  u64     blocks still allowed before the 32-bit counter would wrap
//               (2^32 - initial counter, minus the blocks generated so far).
//   72  u32     unused keystream bytes left in the buffer (0..63).
//   76  u32     (padding)
//   80  u8[64]  keystream buffer: the last generated block of a partial use;
//               its unused bytes are the last `left` ones.

import { chacha8Xor } from "./chacha20_simd";
import { chacha4XorMac } from "./aead_simd";

/** Context size (see the layout above). */
// @ts-ignore: decorator
@inline export const CTX_BYTES: usize = 144;
/** Offset of the u64 count of blocks still allowed. */
// @ts-ignore: decorator
@inline export const OFF_REMAINING: usize = 64;
/** Offset of the u32 count of unused buffered keystream bytes. */
// @ts-ignore: decorator
@inline export const OFF_LEFT: usize = 72;
/** Offset of the 64-byte keystream buffer. */
// @ts-ignore: decorator
@inline export const OFF_BUF: usize = 80;

/** Sets up the state words from a 32-byte key, a 12-byte nonce and a counter. */
export function stateInit(ctx: usize, key: usize, nonce: usize, counter: u32): void {
  // "expand 32-byte k" as four little-endian words (RFC 8439 section 2.3).
  store<u32>(ctx, 0x61707865, 0);
  store<u32>(ctx, 0x3320646e, 4);
  store<u32>(ctx, 0x79622d32, 8);
  store<u32>(ctx, 0x6b206574, 12);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(ctx + 16 + i, load<u32>(key + i));
  store<u32>(ctx, counter, 48);
  store<u32>(ctx, load<u32>(nonce, 0), 52);
  store<u32>(ctx, load<u32>(nonce, 4), 56);
  store<u32>(ctx, load<u32>(nonce, 8), 60);
  store<u64>(ctx, (<u64>1 << 32) - <u64>counter, OFF_REMAINING);
  store<u32>(ctx, 0, OFF_LEFT);
  store<u32>(ctx, 0, OFF_LEFT + 4);
}

/**
 * Returns true when `len` more bytes of keystream can be produced without the
 * block counter wrapping (buffered bytes first, then whole new blocks).
 */
// @ts-ignore: decorator
@inline
export function keystreamAvailable(ctx: usize, len: usize): bool {
  const left = <u64>load<u32>(ctx, OFF_LEFT);
  return <u64>len <= left + (load<u64>(ctx, OFF_REMAINING) << 6);
}

/**
 * One ChaCha20 block with the counter in state word 12: writes
 * `inp XOR keystream` (64 bytes) to `out` and advances the counter.
 * `out` may equal `inp`. The caller has checked that a block is allowed.
 */
export function block1Xor(st: usize, out: usize, inp: usize): void {
  const j0 = load<u32>(st, 0), j1 = load<u32>(st, 4), j2 = load<u32>(st, 8), j3 = load<u32>(st, 12);
  const j4 = load<u32>(st, 16), j5 = load<u32>(st, 20), j6 = load<u32>(st, 24), j7 = load<u32>(st, 28);
  const j8 = load<u32>(st, 32), j9 = load<u32>(st, 36), j10 = load<u32>(st, 40), j11 = load<u32>(st, 44);
  const j12 = load<u32>(st, 48), j13 = load<u32>(st, 52), j14 = load<u32>(st, 56), j15 = load<u32>(st, 60);
  let x0 = j0, x1 = j1, x2 = j2, x3 = j3, x4 = j4, x5 = j5, x6 = j6, x7 = j7;
  let x8 = j8, x9 = j9, x10 = j10, x11 = j11, x12 = j12, x13 = j13, x14 = j14, x15 = j15;
  // The quarter round (section 2.1) is written out: an AssemblyScript function
  // cannot update four of its caller's locals.
  for (let i = 0; i < 10; i++) {
    // Column round: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15).
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 16); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 12);
    x0 += x4; x12 = rotl<u32>(x12 ^ x0, 8); x8 += x12; x4 = rotl<u32>(x4 ^ x8, 7);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 16); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 12);
    x1 += x5; x13 = rotl<u32>(x13 ^ x1, 8); x9 += x13; x5 = rotl<u32>(x5 ^ x9, 7);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 16); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 12);
    x2 += x6; x14 = rotl<u32>(x14 ^ x2, 8); x10 += x14; x6 = rotl<u32>(x6 ^ x10, 7);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 16); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 12);
    x3 += x7; x15 = rotl<u32>(x15 ^ x3, 8); x11 += x15; x7 = rotl<u32>(x7 ^ x11, 7);
    // Diagonal round: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 16); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 12);
    x0 += x5; x15 = rotl<u32>(x15 ^ x0, 8); x10 += x15; x5 = rotl<u32>(x5 ^ x10, 7);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 16); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 12);
    x1 += x6; x12 = rotl<u32>(x12 ^ x1, 8); x11 += x12; x6 = rotl<u32>(x6 ^ x11, 7);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 16); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 12);
    x2 += x7; x13 = rotl<u32>(x13 ^ x2, 8); x8 += x13; x7 = rotl<u32>(x7 ^ x8, 7);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 16); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 12);
    x3 += x4; x14 = rotl<u32>(x14 ^ x3, 8); x9 += x14; x4 = rotl<u32>(x4 ^ x9, 7);
  }
  store<u32>(out, load<u32>(inp, 0) ^ (x0 + j0), 0);
  store<u32>(out, load<u32>(inp, 4) ^ (x1 + j1), 4);
  store<u32>(out, load<u32>(inp, 8) ^ (x2 + j2), 8);
  store<u32>(out, load<u32>(inp, 12) ^ (x3 + j3), 12);
  store<u32>(out, load<u32>(inp, 16) ^ (x4 + j4), 16);
  store<u32>(out, load<u32>(inp, 20) ^ (x5 + j5), 20);
  store<u32>(out, load<u32>(inp, 24) ^ (x6 + j6), 24);
  store<u32>(out, load<u32>(inp, 28) ^ (x7 + j7), 28);
  store<u32>(out, load<u32>(inp, 32) ^ (x8 + j8), 32);
  store<u32>(out, load<u32>(inp, 36) ^ (x9 + j9), 36);
  store<u32>(out, load<u32>(inp, 40) ^ (x10 + j10), 40);
  store<u32>(out, load<u32>(inp, 44) ^ (x11 + j11), 44);
  store<u32>(out, load<u32>(inp, 48) ^ (x12 + j12), 48);
  store<u32>(out, load<u32>(inp, 52) ^ (x13 + j13), 52);
  store<u32>(out, load<u32>(inp, 56) ^ (x14 + j14), 56);
  store<u32>(out, load<u32>(inp, 60) ^ (x15 + j15), 60);
  store<u32>(st, j12 + 1, 48);
}

/**
 * XORs `nblocks` whole blocks of keystream into `out` from `inp`, starting at
 * the counter in state word 12, and accounts for them. With SIMD, eight blocks
 * at a time, then four; the rest (and everything in the scalar build) one at
 * a time.
 */
export function xorBlocks(ctx: usize, out: usize, inp: usize, nblocks: usize): void {
  store<u64>(ctx, load<u64>(ctx, OFF_REMAINING) - <u64>nblocks, OFF_REMAINING);
  if (ASC_FEATURE_SIMD) {
    while (nblocks >= 8) {
      chacha8Xor(ctx, out, inp);
      out += 512;
      inp += 512;
      nblocks -= 8;
    }
    if (nblocks >= 4) {
      chacha4XorMac(ctx, out, inp, 0, 0);
      out += 256;
      inp += 256;
      nblocks -= 4;
    }
  }
  while (nblocks > 0) {
    block1Xor(ctx, out, inp);
    out += 64;
    inp += 64;
    nblocks--;
  }
}

/**
 * XORs `len` bytes of keystream into `out` from `inp`, carrying the position
 * across calls: buffered bytes first, then whole blocks, then one block into
 * the buffer for a partial tail. The caller has checked keystreamAvailable.
 */
export function xorStream(ctx: usize, out: usize, inp: usize, len: usize): void {
  let left = <usize>load<u32>(ctx, OFF_LEFT);
  if (left > 0) {
    const n = len < left ? len : left;
    const ks = ctx + OFF_BUF + 64 - left;
    for (let i: usize = 0; i < n; i++) {
      store<u8>(out + i, load<u8>(inp + i) ^ load<u8>(ks + i));
    }
    left -= n;
    out += n;
    inp += n;
    len -= n;
  }
  const nblocks = len >> 6;
  if (nblocks > 0) {
    xorBlocks(ctx, out, inp, nblocks);
    out += nblocks << 6;
    inp += nblocks << 6;
    len &= 63;
  }
  if (len > 0) {
    // Keystream = 0 XOR keystream: one block into the buffer.
    const buf = ctx + OFF_BUF;
    memory.fill(buf, 0, 64);
    store<u64>(ctx, load<u64>(ctx, OFF_REMAINING) - 1, OFF_REMAINING);
    block1Xor(ctx, buf, buf);
    for (let i: usize = 0; i < len; i++) {
      store<u8>(out + i, load<u8>(inp + i) ^ load<u8>(buf + i));
    }
    left = 64 - len;
  }
  store<u32>(ctx, <u32>left, OFF_LEFT);
}
