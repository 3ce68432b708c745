// Arithmetic modulo L = 2^252 + 27742317777372353535851937790883648493, the
// order of the Ed25519 base point. Internal: not re-exported.
//
// Numbers are little-endian u32 words; products are u64. Reduction of a
// 512-bit x is Barrett's (Handbook of Applied Cryptography, algorithm 14.42,
// base b = 2^32, k = 8, mu = floor(b^16 / L) from ed25519_table.ts):
//   q = floor(floor(x / b^7) * mu / b^9),  r = (x - q L) mod b^9,
// then r < 3L and two subtractions of L finish. Every loop has a fixed trip
// count and the subtractions select by mask, so the time does not depend on
// the values (the nonce and the secret scalar pass through here).

import { SC_L, SC_MU } from "./ed25519_table";

const X = memory.data(64, 8);      // the 512-bit input (16 words)
const Q = memory.data(72, 8);      // q1 * mu (18 words)
const R = memory.data(40, 8);      // remainder (9 words + 1 spare)

// @ts-ignore: decorator
@inline
function w(p: usize, i: usize): u64 {
  return <u64>load<u32>(p + (i << 2));
}

// @ts-ignore: decorator
@inline
function setw(p: usize, i: usize, v: u64): void {
  store<u32>(p + (i << 2), <u32>v);
}

/** R = R - L when R >= L (R has 9 words, L 8), by mask. */
function condSubL(): void {
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 9; i++) {
    const t = w(R, i) - (i < 8 ? w(SC_L, i) : 0) - borrow;
    setw(Q, i, t);                          // Q is free here: keep R - L in it
    borrow = t >> 63;                       // 1 when the word went negative
  }
  const keep = borrow - 1;                  // all ones when no final borrow (R >= L)
  for (let i: usize = 0; i < 9; i++) {
    setw(R, i, w(R, i) ^ ((w(R, i) ^ w(Q, i)) & keep));
  }
}

/** out (32 bytes) = X mod L, then wipes the scratch. */
function reduceX(out: usize): void {
  // Q = floor(X / b^7) * mu: 9 x 9 words, schoolbook with word carries
  // (each step is at most (2^32-1)^2 + 2 (2^32-1) < 2^64).
  memory.fill(Q, 0, 72);
  for (let i: usize = 0; i < 9; i++) {
    const xi = w(X, i + 7);
    let carry: u64 = 0;
    for (let j: usize = 0; j < 9; j++) {
      const t = w(Q, i + j) + xi * w(SC_MU, j) + carry;
      setw(Q, i + j, t);
      carry = t >> 32;
    }
    setw(Q, i + 9, carry);
  }
  // R = q * L mod b^9 with q = Q[9..18).
  memory.fill(R, 0, 40);
  for (let i: usize = 0; i < 9; i++) {
    const qi = w(Q, i + 9);
    let carry: u64 = 0;
    for (let j: usize = 0; i + j < 9; j++) {
      const t = w(R, i + j) + qi * (j < 8 ? w(SC_L, j) : 0) + carry;
      setw(R, i + j, t);
      carry = t >> 32;
    }
  }
  // R = X - q L mod b^9.
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 9; i++) {
    const t = w(X, i) - w(R, i) - borrow;
    setw(R, i, t);
    borrow = t >> 63;
  }
  condSubL();
  condSubL();
  memory.copy(out, R, 32);
  memory.fill(X, 0, 64);
  memory.fill(Q, 0, 72);
  memory.fill(R, 0, 40);
}

/** out (32 bytes) = in (64 bytes, little-endian) mod L. Constant time; `out` may alias `in`. */
export function sc_reduce64(out: usize, input: usize): void {
  memory.copy(X, input, 64);
  reduceX(out);
}

/**
 * out (32 bytes) = (a * b + c) mod L for 32-byte little-endian a, b, c
 * (any values below 2^256). Constant time; `out` may alias the inputs.
 */
export function sc_muladd(out: usize, a: usize, b: usize, c: usize): void {
  memory.fill(X, 0, 64);
  for (let i: usize = 0; i < 8; i++) {
    const ai = w(a, i);
    let carry: u64 = 0;
    for (let j: usize = 0; j < 8; j++) {
      const t = w(X, i + j) + ai * w(b, j) + carry;
      setw(X, i + j, t);
      carry = t >> 32;
    }
    setw(X, i + 8, carry);
  }
  let carry: u64 = 0;
  for (let i: usize = 0; i < 16; i++) {
    const t = w(X, i) + (i < 8 ? w(c, i) : 0) + carry;
    setw(X, i, t);
    carry = t >> 32;
  }
  reduceX(out);
}

/** True when the 32-byte little-endian s is below L (a canonical scalar). */
export function sc_is_canonical(s: usize): bool {
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 8; i++) {
    borrow = (w(s, i) - w(SC_L, i) - borrow) >> 63;
  }
  return borrow == 1;
}
