// Scalar multiplication on edwards25519. Internal: not re-exported.
//
// ge_scalarmult_base: [a]B for a secret a, constant time. The scalar is
// written in 64 signed radix-16 digits e[i] in [-8, 8], a = sum e[i] 16^i;
// the table ED_BASE_TABLE holds j * 256^k * B for j = 1..8, k = 0..31. Then
//   [a]B = sum over odd i of e[i] 16^(i-1) B, times 16, plus sum over even i
//        of e[i] 16^i B,
// so 64 mixed additions and 4 doublings. Each table read scans all 8 entries
// of its row and keeps one by mask, and a negative digit negates the entry by
// mask: the memory addresses and the instruction stream depend only on the
// digit position, never on the digit.
//
// ge_double_scalarmult_vartime: [k]P + [s]B for public k, s (verification),
// by interleaved width-w NAF: width 5 for P (8 odd multiples computed per call)
// and width 8 for B (64 odd multiples in ED_BASE_ODD). Variable time.

import {
  GE_BYTES, GE_PRECOMP_BYTES, ge_p3_0, ge_p1p1_to_p3, ge_p1p1_to_p2, ge_dbl, ge_madd,
  ge_msub, ge_add, ge_sub, ge_to_cached, ge_precomp_0, ge_precomp_cneg, ge_wipe_temps,
} from "./edwards25519";
import { ED_BASE_TABLE, ED_BASE_ODD } from "./ed25519_table";
import { fe_wipe_scratch } from "./field25519";

/** Bytes of a P3 point (X, Y, Z, T). */
export const GE_P3_BYTES: usize = GE_BYTES;

const DIGITS = memory.data(64, 8);                    // signed radix-16 digits (secret)
const SEL = memory.data(<i32>GE_PRECOMP_BYTES, 16);   // selected table entry (secret)
const PP = memory.data(<i32>GE_BYTES, 8);             // P1P1 temporary (secret in signing)
const NAF_K = memory.data(256, 8);                    // verification: NAF digits of k
const NAF_S = memory.data(256, 8);                    // verification: NAF digits of S
const SC = memory.data(40, 8);                        // scalar with 8 zero bytes after it
const AI = memory.data(<i32>GE_BYTES * 8, 8);         // P, 3P, ..., 15P (CACHED)
const P2 = memory.data(<i32>GE_BYTES, 8);             // 2P (P3)

/** All ones when a == b, else 0 (a, b in [0, 15]), without a branch. */
// @ts-ignore: decorator
@inline
function eqMask64(a: i32, b: i32): u64 {
  return <u64>(<i64>(((a ^ b) - 1) >> 31));
}

/**
 * SEL = e * 256^pos * B as PRECOMP, for a digit e in [-8, 8], in constant time.
 */
function select(pos: usize, e: i32): void {
  const neg = e >> 31;                   // all ones when e < 0
  const abs = (e ^ neg) - neg;
  const row = ED_BASE_TABLE + pos * 8 * GE_PRECOMP_BYTES;
  ge_precomp_0(SEL);
  if (ASC_FEATURE_SIMD) {
    // The 128-byte entry as eight v128 words kept in locals; bitselect takes
    // the entry's word where the mask is all ones.
    let a0 = v128.load(SEL, 0), a1 = v128.load(SEL, 16), a2 = v128.load(SEL, 32), a3 = v128.load(SEL, 48);
    let a4 = v128.load(SEL, 64), a5 = v128.load(SEL, 80), a6 = v128.load(SEL, 96), a7 = v128.load(SEL, 112);
    for (let j = 1; j <= 8; j++) {
      const m = i32x4.splat(((abs ^ j) - 1) >> 31);  // all ones when abs == j
      const q = row + <usize>(j - 1) * GE_PRECOMP_BYTES;
      a0 = v128.bitselect(v128.load(q, 0), a0, m);
      a1 = v128.bitselect(v128.load(q, 16), a1, m);
      a2 = v128.bitselect(v128.load(q, 32), a2, m);
      a3 = v128.bitselect(v128.load(q, 48), a3, m);
      a4 = v128.bitselect(v128.load(q, 64), a4, m);
      a5 = v128.bitselect(v128.load(q, 80), a5, m);
      a6 = v128.bitselect(v128.load(q, 96), a6, m);
      a7 = v128.bitselect(v128.load(q, 112), a7, m);
    }
    v128.store(SEL, a0, 0); v128.store(SEL, a1, 16); v128.store(SEL, a2, 32); v128.store(SEL, a3, 48);
    v128.store(SEL, a4, 64); v128.store(SEL, a5, 80); v128.store(SEL, a6, 96); v128.store(SEL, a7, 112);
  } else {
    // One mask per entry, then word by word through all 8 entries with the
    // word in a local (the masks are all ones for the one entry abs names).
    const m1 = eqMask64(abs, 1), m2 = eqMask64(abs, 2), m3 = eqMask64(abs, 3), m4 = eqMask64(abs, 4);
    const m5 = eqMask64(abs, 5), m6 = eqMask64(abs, 6), m7 = eqMask64(abs, 7), m8 = eqMask64(abs, 8);
    for (let k: usize = 0; k < GE_PRECOMP_BYTES; k += 8) {
      let a = load<u64>(SEL + k);
      const q = row + k;
      a ^= (a ^ load<u64>(q, 0)) & m1;
      a ^= (a ^ load<u64>(q, 128)) & m2;
      a ^= (a ^ load<u64>(q, 256)) & m3;
      a ^= (a ^ load<u64>(q, 384)) & m4;
      a ^= (a ^ load<u64>(q, 512)) & m5;
      a ^= (a ^ load<u64>(q, 640)) & m6;
      a ^= (a ^ load<u64>(q, 768)) & m7;
      a ^= (a ^ load<u64>(q, 896)) & m8;
      store<u64>(SEL + k, a);
    }
  }
  ge_precomp_cneg(SEL, neg);
}

/**
 * r (P3) = [a]B for the 32-byte little-endian scalar a with a[31] <= 127
 * (clamped scalars and scalars reduced mod L both qualify). Constant time.
 * Leaves secret digits in this file's scratch: call ge_wipe_scratch after.
 */
export function ge_scalarmult_base(r: usize, a: usize): void {
  // Method after ref10 (SUPERCOP, public domain): signed radix-16 digits, a
  // 32x8 table, odd digits first, then four doublings, then even digits.
  // Radix-16 digits in [0, 15], then recentred to [-8, 7] with a carry; the
  // top digit absorbs the last carry and stays <= 8 because a[31] <= 127.
  let carry: i32 = 0;
  for (let i: usize = 0; i < 63; i++) {
    let e = <i32>((load<u8>(a + (i >> 1)) >> <u8>((i & 1) << 2)) & 15) + carry;
    carry = (e + 8) >> 4;
    e -= carry << 4;
    store<i8>(DIGITS + i, <i8>e);
  }
  store<i8>(DIGITS + 63, <i8>((load<u8>(a + 31) >> 4) + carry));
  ge_p3_0(r);
  for (let i: usize = 1; i < 64; i += 2) {
    select(i >> 1, <i32>load<i8>(DIGITS + i));
    ge_madd(PP, r, SEL);
    ge_p1p1_to_p3(r, PP);
  }
  ge_dbl(PP, r);
  ge_p1p1_to_p2(r, PP);
  ge_dbl(PP, r);
  ge_p1p1_to_p2(r, PP);
  ge_dbl(PP, r);
  ge_p1p1_to_p2(r, PP);
  ge_dbl(PP, r);
  ge_p1p1_to_p3(r, PP);
  for (let i: usize = 0; i < 64; i += 2) {
    select(i >> 1, <i32>load<i8>(DIGITS + i));
    ge_madd(PP, r, SEL);
    ge_p1p1_to_p3(r, PP);
  }
}

/**
 * Writes the width-w NAF of the 32-byte scalar at SC (bits above 255 zero)
 * to naf[0..256): odd digits in (-2^(w-1), 2^(w-1)) with at least w-1 zeros
 * after each. Returns the highest non-zero position + 1 (0 if none).
 * Variable time: for public scalars only.
 */
function wnaf(naf: usize, w: u32): i32 {
  // Width-w NAF recoding (the w-NAF of Muir and Stinson, Math. Comp. 75, 2006),
  // read in bit windows with a carry as curve25519-dalek's non_adjacent_form does (BSD-3).
  memory.fill(naf, 0, 256);
  const full: i32 = 1 << w;
  const half: i32 = 1 << (w - 1);
  let carry: i32 = 0;
  let top: i32 = 0;
  let pos: u32 = 0;
  while (pos < 256) {
    // bits [pos, pos + w) of the scalar; SC has 8 zero bytes past the end.
    const bits = <i32>((load<u32>(SC + (pos >> 3)) >> (pos & 7)) & <u32>(full - 1));
    if (((bits & 1) ^ carry) == 0) { pos++; continue; }  // even: digit 0, carry kept
    let digit = bits + carry;
    if (digit >= half) { digit -= full; carry = 1; } else { carry = 0; }
    store<i8>(naf + pos, <i8>digit);
    top = <i32>pos + 1;
    pos += w;
  }
  return top;
}

/**
 * r (P2: X, Y, Z) = [k]P + [s]B for 32-byte scalars k, s below 2^253 and P a
 * P3 point. Variable time: for verification, where everything is public.
 */
export function ge_double_scalarmult_vartime(r: usize, k: usize, p: usize, s: usize): void {
  memory.copy(SC, k, 32);
  memory.fill(SC + 32, 0, 8);
  let top = wnaf(NAF_K, 5);
  memory.copy(SC, s, 32);
  const topS = wnaf(NAF_S, 8);
  if (topS > top) top = topS;
  // AI[j] = (2j + 1) P as CACHED.
  ge_to_cached(AI, p);
  ge_dbl(PP, p);
  ge_p1p1_to_p3(P2, PP);
  for (let j: usize = 1; j < 8; j++) {
    ge_add(PP, P2, AI + (j - 1) * GE_BYTES);
    ge_p1p1_to_p3(r, PP);
    ge_to_cached(AI + j * GE_BYTES, r);
  }
  ge_p3_0(r);
  for (let i = top - 1; i >= 0; i--) {
    ge_dbl(PP, r);
    const dk = <i32>load<i8>(NAF_K + i);
    const ds = <i32>load<i8>(NAF_S + i);
    if (dk != 0) {
      ge_p1p1_to_p3(r, PP);
      if (dk > 0) ge_add(PP, r, AI + <usize>(dk >> 1) * GE_BYTES);
      else ge_sub(PP, r, AI + <usize>((-dk) >> 1) * GE_BYTES);
    }
    if (ds != 0) {
      ge_p1p1_to_p3(r, PP);
      if (ds > 0) ge_madd(PP, r, ED_BASE_ODD + <usize>(ds >> 1) * GE_PRECOMP_BYTES);
      else ge_msub(PP, r, ED_BASE_ODD + <usize>((-ds) >> 1) * GE_PRECOMP_BYTES);
    }
    ge_p1p1_to_p2(r, PP);
  }
}

/** Zeroes the secret scratch of this file, edwards25519.ts and field25519.ts. */
export function ge_wipe_scratch(): void {
  memory.fill(DIGITS, 0, 64);
  memory.fill(SEL, 0, GE_PRECOMP_BYTES);
  memory.fill(PP, 0, GE_BYTES);
  ge_wipe_temps();
  fe_wipe_scratch();
}
