// Constant-time helpers: the only place secrets are compared, selected or wiped.
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

/** Returns 0xffffffff when `bit` is 1 and 0 when it is 0 (`bit` must be 0 or 1). */
// @ts-ignore: decorator
@inline
export function mask32(bit: u32): u32 {
  return 0 - bit;
}

/** Returns all ones when `bit` is 1 and 0 when it is 0 (`bit` must be 0 or 1). */
// @ts-ignore: decorator
@inline
export function mask64(bit: u64): u64 {
  return 0 - bit;
}

/**
 * Copies `len` bytes from `src` to `dst` when `bit` is 1, leaves `dst` when 0,
 * touching every byte either way.
 */
export function ctCopyIf(dst: usize, src: usize, len: usize, bit: u32): void {
  const m = mask64(<u64>bit);
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) {
    const d = load<u64>(dst + i);
    store<u64>(dst + i, d ^ ((d ^ load<u64>(src + i)) & m));
  }
  const m8 = <u8>m;
  for (; i < len; i++) {
    const d = load<u8>(dst + i);
    store<u8>(dst + i, d ^ ((d ^ load<u8>(src + i)) & m8));
  }
}
