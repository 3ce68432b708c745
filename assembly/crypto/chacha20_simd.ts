// ChaCha20, eight blocks at once with WASM SIMD (RFC 8439 section 2.3).
// Internal: used by chacha20_core.ts (bulk keystream) only under
// `if (ASC_FEATURE_SIMD)`, so the scalar build drops it. The AEAD encryption
// uses the four-block form in aead_simd.ts instead.
//
// "Vertical" layout: v128 xi holds state word i of blocks c..c+3 (lane b =
// counter c + b) and yi the same word of blocks c+4..c+7. The rounds are the
// scalar rounds with every u32 operation replaced by its i32x4 form, done for
// x and y side by side: one set of four blocks alone is bound by the latency
// of the quarter-round chain, two independent sets keep the vector units busy
// (measured: +27 % over four blocks). 4x4 transposes at the end turn lanes
// back into consecutive 64-byte blocks.

import { add, xor, rotl16, rotl12, rotl8, rotl7, splat, xorWords4 } from "./chacha20_lanes";

/**
 * Eight ChaCha20 blocks with counters c..c+7 (c = state word 12 at `st`):
 * writes `inp XOR keystream` (512 bytes) to `out`, then sets word 12 to c+8.
 * `out` may equal `inp`. The caller has checked the counter budget.
 */
export function chacha8Xor(st: usize, out: usize, inp: usize): void {
  const ctr = load<u32>(st, 48);
  const cx = i32x4.add(i32x4.splat(ctr), i32x4(0, 1, 2, 3));
  const cy = i32x4.add(i32x4.splat(ctr), i32x4(4, 5, 6, 7));
  let x0 = splat(st, 0), x1 = splat(st, 4), x2 = splat(st, 8), x3 = splat(st, 12);
  let x4 = splat(st, 16), x5 = splat(st, 20), x6 = splat(st, 24), x7 = splat(st, 28);
  let x8 = splat(st, 32), x9 = splat(st, 36), x10 = splat(st, 40), x11 = splat(st, 44);
  let x12 = cx, x13 = splat(st, 52), x14 = splat(st, 56), x15 = splat(st, 60);
  let y0 = x0, y1 = x1, y2 = x2, y3 = x3, y4 = x4, y5 = x5, y6 = x6, y7 = x7;
  let y8 = x8, y9 = x9, y10 = x10, y11 = x11, y12 = cy, y13 = x13, y14 = x14, y15 = x15;
  for (let i = 0; i < 10; i++) {
    // Column round: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15).
    x0 = add(x0, x4); x12 = rotl16(xor(x12, x0)); y0 = add(y0, y4); y12 = rotl16(xor(y12, y0));
    x1 = add(x1, x5); x13 = rotl16(xor(x13, x1)); y1 = add(y1, y5); y13 = rotl16(xor(y13, y1));
    x2 = add(x2, x6); x14 = rotl16(xor(x14, x2)); y2 = add(y2, y6); y14 = rotl16(xor(y14, y2));
    x3 = add(x3, x7); x15 = rotl16(xor(x15, x3)); y3 = add(y3, y7); y15 = rotl16(xor(y15, y3));
    x8 = add(x8, x12); x4 = rotl12(xor(x4, x8)); y8 = add(y8, y12); y4 = rotl12(xor(y4, y8));
    x9 = add(x9, x13); x5 = rotl12(xor(x5, x9)); y9 = add(y9, y13); y5 = rotl12(xor(y5, y9));
    x10 = add(x10, x14); x6 = rotl12(xor(x6, x10)); y10 = add(y10, y14); y6 = rotl12(xor(y6, y10));
    x11 = add(x11, x15); x7 = rotl12(xor(x7, x11)); y11 = add(y11, y15); y7 = rotl12(xor(y7, y11));
    x0 = add(x0, x4); x12 = rotl8(xor(x12, x0)); y0 = add(y0, y4); y12 = rotl8(xor(y12, y0));
    x1 = add(x1, x5); x13 = rotl8(xor(x13, x1)); y1 = add(y1, y5); y13 = rotl8(xor(y13, y1));
    x2 = add(x2, x6); x14 = rotl8(xor(x14, x2)); y2 = add(y2, y6); y14 = rotl8(xor(y14, y2));
    x3 = add(x3, x7); x15 = rotl8(xor(x15, x3)); y3 = add(y3, y7); y15 = rotl8(xor(y15, y3));
    x8 = add(x8, x12); x4 = rotl7(xor(x4, x8)); y8 = add(y8, y12); y4 = rotl7(xor(y4, y8));
    x9 = add(x9, x13); x5 = rotl7(xor(x5, x9)); y9 = add(y9, y13); y5 = rotl7(xor(y5, y9));
    x10 = add(x10, x14); x6 = rotl7(xor(x6, x10)); y10 = add(y10, y14); y6 = rotl7(xor(y6, y10));
    x11 = add(x11, x15); x7 = rotl7(xor(x7, x11)); y11 = add(y11, y15); y7 = rotl7(xor(y7, y11));
    // Diagonal round: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
    x0 = add(x0, x5); x15 = rotl16(xor(x15, x0)); y0 = add(y0, y5); y15 = rotl16(xor(y15, y0));
    x1 = add(x1, x6); x12 = rotl16(xor(x12, x1)); y1 = add(y1, y6); y12 = rotl16(xor(y12, y1));
    x2 = add(x2, x7); x13 = rotl16(xor(x13, x2)); y2 = add(y2, y7); y13 = rotl16(xor(y13, y2));
    x3 = add(x3, x4); x14 = rotl16(xor(x14, x3)); y3 = add(y3, y4); y14 = rotl16(xor(y14, y3));
    x10 = add(x10, x15); x5 = rotl12(xor(x5, x10)); y10 = add(y10, y15); y5 = rotl12(xor(y5, y10));
    x11 = add(x11, x12); x6 = rotl12(xor(x6, x11)); y11 = add(y11, y12); y6 = rotl12(xor(y6, y11));
    x8 = add(x8, x13); x7 = rotl12(xor(x7, x8)); y8 = add(y8, y13); y7 = rotl12(xor(y7, y8));
    x9 = add(x9, x14); x4 = rotl12(xor(x4, x9)); y9 = add(y9, y14); y4 = rotl12(xor(y4, y9));
    x0 = add(x0, x5); x15 = rotl8(xor(x15, x0)); y0 = add(y0, y5); y15 = rotl8(xor(y15, y0));
    x1 = add(x1, x6); x12 = rotl8(xor(x12, x1)); y1 = add(y1, y6); y12 = rotl8(xor(y12, y1));
    x2 = add(x2, x7); x13 = rotl8(xor(x13, x2)); y2 = add(y2, y7); y13 = rotl8(xor(y13, y2));
    x3 = add(x3, x4); x14 = rotl8(xor(x14, x3)); y3 = add(y3, y4); y14 = rotl8(xor(y14, y3));
    x10 = add(x10, x15); x5 = rotl7(xor(x5, x10)); y10 = add(y10, y15); y5 = rotl7(xor(y5, y10));
    x11 = add(x11, x12); x6 = rotl7(xor(x6, x11)); y11 = add(y11, y12); y6 = rotl7(xor(y6, y11));
    x8 = add(x8, x13); x7 = rotl7(xor(x7, x8)); y8 = add(y8, y13); y7 = rotl7(xor(y7, y8));
    x9 = add(x9, x14); x4 = rotl7(xor(x4, x9)); y9 = add(y9, y14); y4 = rotl7(xor(y4, y9));
  }
  // Add the input state (re-read from memory rather than kept live, which
  // would only add register spills), transpose and XOR, four words at a time.
  let s0 = splat(st, 0), s1 = splat(st, 4), s2 = splat(st, 8), s3 = splat(st, 12);
  xorWords4(out, inp, 0, add(x0, s0), add(x1, s1), add(x2, s2), add(x3, s3));
  xorWords4(out + 256, inp + 256, 0, add(y0, s0), add(y1, s1), add(y2, s2), add(y3, s3));
  s0 = splat(st, 16); s1 = splat(st, 20); s2 = splat(st, 24); s3 = splat(st, 28);
  xorWords4(out, inp, 16, add(x4, s0), add(x5, s1), add(x6, s2), add(x7, s3));
  xorWords4(out + 256, inp + 256, 16, add(y4, s0), add(y5, s1), add(y6, s2), add(y7, s3));
  s0 = splat(st, 32); s1 = splat(st, 36); s2 = splat(st, 40); s3 = splat(st, 44);
  xorWords4(out, inp, 32, add(x8, s0), add(x9, s1), add(x10, s2), add(x11, s3));
  xorWords4(out + 256, inp + 256, 32, add(y8, s0), add(y9, s1), add(y10, s2), add(y11, s3));
  s1 = splat(st, 52); s2 = splat(st, 56); s3 = splat(st, 60);
  xorWords4(out, inp, 48, add(x12, cx), add(x13, s1), add(x14, s2), add(x15, s3));
  xorWords4(out + 256, inp + 256, 48, add(y12, cy), add(y13, s1), add(y14, s2), add(y15, s3));
  store<u32>(st, ctr + 8, 48);
}
