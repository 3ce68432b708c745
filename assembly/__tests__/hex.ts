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

/**
 * The 375-byte text used by RFC 8439's test vectors (sections 2.4.2 / A.2 #2,
 * A.3 #2 and #3).
 */
export const SUBMISSION = "Any submission to the IETF intended by the Contributor for publication "
  + "as all or part of an IETF Internet-Draft or RFC and any statement made "
  + "within the context of an IETF activity is considered an \"IETF "
  + "Contribution\". Such statements include oral statements in IETF "
  + "sessions, as well as written and electronic communications made at any "
  + "time or place, which are addressed to";
