// Constant-time helpers for byte buffers: the one place where byte strings
// that may be secret (tags, MACs, shared secrets, encodings of secret-derived
// field elements) are compared or tested, and the wipe used for buffers.
//
// Not every constant-time operation lives here: selections and swaps on limbs
// or points keep their masks beside the arithmetic they serve (fe_cswap in
// field25519.ts, ge_precomp_cneg in edwards25519.ts, select in
// ed25519_mult.ts, condSubL in scalar25519.ts, Poly1305's final
// reduction), and several files clear their static scratch with memory.fill
// directly.
//
// None of these functions branches or indexes memory on the *contents* of the
// buffers they are given; only on the lengths, which are public.

/**
 * Overwrites `len` bytes at `p` with zeros. Linear memory is exported, so the
 * stores are observable and the optimiser keeps them.
 */
// @ts-ignore: decorator
@inline
export function wipe(p: usize, len: usize): void {
  memory.fill(p, 0, len);
}

/**
 * Compares `len` bytes at `a` and `b` in time that depends on `len` only.
 * Returns true when they are equal. Use it for every tag, MAC and signature
 * comparison; never `memory.compare`.
 */
export function ctEqual(a: usize, b: usize, len: usize): bool {
  let diff: u32 = 0;
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    const d = load<u64>(a + i) ^ load<u64>(b + i);
    diff |= <u32>(d | (d >> 32));
  }
  for (; i < len; i++) {
    diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  }
  // (diff - 1) has its top bit set only when diff was 0 (diff fits in 32 bits).
  return <bool>((<u64>diff - 1) >> 63);
}

/**
 * Returns true when the `len` bytes at `p` are all zero, in time that depends
 * on `len` only (the all-zero X25519 output, fe_iszero's canonical encoding).
 */
export function ctIsZero(p: usize, len: usize): bool {
  let acc: u32 = 0;
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    const d = load<u64>(p + i);
    acc |= <u32>(d | (d >> 32));
  }
  for (; i < len; i++) {
    acc |= <u32>load<u8>(p + i);
  }
  // As in ctEqual: the top bit of (acc - 1) is set only when acc was 0.
  return <bool>((<u64>acc - 1) >> 63);
}
