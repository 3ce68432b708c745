// The AEAD encryption core with WASM SIMD: four ChaCha20 blocks (RFC 8439
// section 2.3) with Poly1305 blocks woven into the rounds. Internal: used by
// aead.ts (encryption) and chacha20_core.ts (4..7 leftover blocks) only under
// `if (ASC_FEATURE_SIMD)`, so the scalar build drops it.
//
// Why woven: four blocks in the "vertical" layout (v128 xi = state word i of
// blocks c..c+3) are bound by the latency of the quarter-round chain, which
// leaves the CPU's scalar units idle. Two Poly1305 blocks (poly1305_core.ts,
// radix 2^32: 20 multiplies, few registers) per double round use them, and
// the MAC of the previous 256 bytes costs almost nothing. Measured (V8 11.3,
// x64): this loop runs at the speed of four-block ChaCha20 alone, 1.6x the
// speed of the two one after the other, and 1.2x eight-block ChaCha20
// (chacha20_simd.ts) followed by Poly1305.
// Eight blocks (two sets of four, as chacha20_simd.ts) with 32 MAC blocks
// woven in measured 10-15 % slower than this loop, whichever way the MAC
// blocks were spread: with both, the loop runs out of instruction throughput
// (and registers: 32 live v128 on x64's 16) rather than latency.
// Eight double rounds carry MAC work (16 blocks = 256 bytes), two do not; the
// two kinds are separate loops because a branch inside the loop was slower.

import { polyBlock } from "./poly1305_core";
import { add, xor, rotl16, rotl12, rotl8, rotl7, splat, xorWords4 } from "./chacha20_lanes";

/**
 * Four ChaCha20 blocks with counters c..c+3 (c = state word 12 at `st`):
 * writes `inp XOR keystream` (256 bytes) to `out` (may equal `inp`), sets
 * word 12 to c+4. When `mac` is not 0, also absorbs the 256 bytes at `mac`
 * (16 full blocks, which must not overlap out) into the Poly1305 context at
 * `poly`. The caller has checked the counter budget.
 */
export function chacha4XorMac(st: usize, out: usize, inp: usize, mac: usize, poly: usize): void {
  const ctr = load<u32>(st, 48);
  const c12 = i32x4.add(i32x4.splat(ctr), i32x4(0, 1, 2, 3));
  let x0 = splat(st, 0), x1 = splat(st, 4), x2 = splat(st, 8), x3 = splat(st, 12);
  let x4 = splat(st, 16), x5 = splat(st, 20), x6 = splat(st, 24), x7 = splat(st, 28);
  let x8 = splat(st, 32), x9 = splat(st, 36), x10 = splat(st, 40), x11 = splat(st, 44);
  let x12 = c12, x13 = splat(st, 52), x14 = splat(st, 56), x15 = splat(st, 60);
  let i = 0;
  const macRounds = mac != 0 ? 8 : 0;
  for (; i < macRounds; i++) {
    // Column round: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15).
    x0 = add(x0, x4); x12 = rotl16(xor(x12, x0)); x1 = add(x1, x5); x13 = rotl16(xor(x13, x1));
    x2 = add(x2, x6); x14 = rotl16(xor(x14, x2)); x3 = add(x3, x7); x15 = rotl16(xor(x15, x3));
    x8 = add(x8, x12); x4 = rotl12(xor(x4, x8)); x9 = add(x9, x13); x5 = rotl12(xor(x5, x9));
    x10 = add(x10, x14); x6 = rotl12(xor(x6, x10)); x11 = add(x11, x15); x7 = rotl12(xor(x7, x11));
    x0 = add(x0, x4); x12 = rotl8(xor(x12, x0)); x1 = add(x1, x5); x13 = rotl8(xor(x13, x1));
    x2 = add(x2, x6); x14 = rotl8(xor(x14, x2)); x3 = add(x3, x7); x15 = rotl8(xor(x15, x3));
    x8 = add(x8, x12); x4 = rotl7(xor(x4, x8)); x9 = add(x9, x13); x5 = rotl7(xor(x5, x9));
    x10 = add(x10, x14); x6 = rotl7(xor(x6, x10)); x11 = add(x11, x15); x7 = rotl7(xor(x7, x11));
    polyBlock(poly, mac, 1);
    // Diagonal round: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
    x0 = add(x0, x5); x15 = rotl16(xor(x15, x0)); x1 = add(x1, x6); x12 = rotl16(xor(x12, x1));
    x2 = add(x2, x7); x13 = rotl16(xor(x13, x2)); x3 = add(x3, x4); x14 = rotl16(xor(x14, x3));
    x10 = add(x10, x15); x5 = rotl12(xor(x5, x10)); x11 = add(x11, x12); x6 = rotl12(xor(x6, x11));
    x8 = add(x8, x13); x7 = rotl12(xor(x7, x8)); x9 = add(x9, x14); x4 = rotl12(xor(x4, x9));
    x0 = add(x0, x5); x15 = rotl8(xor(x15, x0)); x1 = add(x1, x6); x12 = rotl8(xor(x12, x1));
    x2 = add(x2, x7); x13 = rotl8(xor(x13, x2)); x3 = add(x3, x4); x14 = rotl8(xor(x14, x3));
    x10 = add(x10, x15); x5 = rotl7(xor(x5, x10)); x11 = add(x11, x12); x6 = rotl7(xor(x6, x11));
    x8 = add(x8, x13); x7 = rotl7(xor(x7, x8)); x9 = add(x9, x14); x4 = rotl7(xor(x4, x9));
    polyBlock(poly, mac + 16, 1);
    mac += 32;
  }
  for (; i < 10; i++) {
    // The same double round without MAC work.
    x0 = add(x0, x4); x12 = rotl16(xor(x12, x0)); x1 = add(x1, x5); x13 = rotl16(xor(x13, x1));
    x2 = add(x2, x6); x14 = rotl16(xor(x14, x2)); x3 = add(x3, x7); x15 = rotl16(xor(x15, x3));
    x8 = add(x8, x12); x4 = rotl12(xor(x4, x8)); x9 = add(x9, x13); x5 = rotl12(xor(x5, x9));
    x10 = add(x10, x14); x6 = rotl12(xor(x6, x10)); x11 = add(x11, x15); x7 = rotl12(xor(x7, x11));
    x0 = add(x0, x4); x12 = rotl8(xor(x12, x0)); x1 = add(x1, x5); x13 = rotl8(xor(x13, x1));
    x2 = add(x2, x6); x14 = rotl8(xor(x14, x2)); x3 = add(x3, x7); x15 = rotl8(xor(x15, x3));
    x8 = add(x8, x12); x4 = rotl7(xor(x4, x8)); x9 = add(x9, x13); x5 = rotl7(xor(x5, x9));
    x10 = add(x10, x14); x6 = rotl7(xor(x6, x10)); x11 = add(x11, x15); x7 = rotl7(xor(x7, x11));
    x0 = add(x0, x5); x15 = rotl16(xor(x15, x0)); x1 = add(x1, x6); x12 = rotl16(xor(x12, x1));
    x2 = add(x2, x7); x13 = rotl16(xor(x13, x2)); x3 = add(x3, x4); x14 = rotl16(xor(x14, x3));
    x10 = add(x10, x15); x5 = rotl12(xor(x5, x10)); x11 = add(x11, x12); x6 = rotl12(xor(x6, x11));
    x8 = add(x8, x13); x7 = rotl12(xor(x7, x8)); x9 = add(x9, x14); x4 = rotl12(xor(x4, x9));
    x0 = add(x0, x5); x15 = rotl8(xor(x15, x0)); x1 = add(x1, x6); x12 = rotl8(xor(x12, x1));
    x2 = add(x2, x7); x13 = rotl8(xor(x13, x2)); x3 = add(x3, x4); x14 = rotl8(xor(x14, x3));
    x10 = add(x10, x15); x5 = rotl7(xor(x5, x10)); x11 = add(x11, x12); x6 = rotl7(xor(x6, x11));
    x8 = add(x8, x13); x7 = rotl7(xor(x7, x8)); x9 = add(x9, x14); x4 = rotl7(xor(x4, x9));
  }
  // Add the input state, transpose and XOR, four words at a time.
  xorWords4(out, inp, 0, add(x0, splat(st, 0)), add(x1, splat(st, 4)), add(x2, splat(st, 8)), add(x3, splat(st, 12)));
  xorWords4(out, inp, 16, add(x4, splat(st, 16)), add(x5, splat(st, 20)), add(x6, splat(st, 24)), add(x7, splat(st, 28)));
  xorWords4(out, inp, 32, add(x8, splat(st, 32)), add(x9, splat(st, 36)), add(x10, splat(st, 40)), add(x11, splat(st, 44)));
  xorWords4(out, inp, 48, add(x12, c12), add(x13, splat(st, 52)), add(x14, splat(st, 56)), add(x15, splat(st, 60)));
  store<u32>(st, ctr + 4, 48);
}
