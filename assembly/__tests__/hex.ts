// Test helpers shared by every spec: bytes in fixed scratch areas, as hex.
// (as-pect 8 cannot compare classes under assemblyscript 0.28, so specs
// compare bytes as hex strings.)

/** Writes the bytes of a hex string at `p`; returns the byte count. */
export function hexTo(p: usize, hex: string): usize {
  const n = hex.length >> 1;
  for (let i = 0; i < n; i++) {
    store<u8>(p + i, <u8>parseInt(hex.substr(i << 1, 2), 16));
  }
  return n;
}

/** Returns `len` bytes at `p` as lowercase hex. */
export function toHex(p: usize, len: usize): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i: usize = 0; i < len; i++) {
    const b = load<u8>(p + i);
    s += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return s;
}

/** Writes the UTF-8 bytes of an ASCII string at `p`; returns the byte count. */
export function asciiTo(p: usize, text: string): usize {
  for (let i = 0; i < text.length; i++) store<u8>(p + i, <u8>text.charCodeAt(i));
  return text.length;
}
