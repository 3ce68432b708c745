// The age v1 header writer (C2SP age "Header" and "X25519 recipient type",
// docs/FORMAT.md "The age file"):
//
//   age-encryption.org/v1\n
//   -> X25519 <base64 ephemeral share>\n      one stanza per recipient
//   <base64 wrapped file key>\n
//   --- <base64 header MAC>\n
//
// Base64 is the standard alphabet without padding; every value encoded here
// is 32 bytes (43 characters). Its output is public (shares, wrapped keys, the
// MAC), so the encoder may branch on the bytes.
//
// Secrets: the file key (read, not wiped: the caller still derives the
// payload key from it), the ephemeral secrets (each wiped as soon as its
// stanza is written), and the shared secret, wrap key and MAC key (static
// scratch, wiped before returning).

import { OK } from "../errors";
import { wipe } from "../crypto/ct";
import { x25519, x25519_public } from "../crypto/x25519";
import { hkdf_sha256 } from "../crypto/hkdf";
import { hmac_sha256 } from "../crypto/hmac";
import { aead_encrypt } from "../crypto/aead";

/** Length of the version line "age-encryption.org/v1\n". */
const VERSION_BYTES: usize = 22;
/** Bytes of one X25519 stanza: "-> X25519 " + 43 + "\n" + 43 + "\n". */
export const AGE_STANZA_BYTES: usize = 98;
/** "--- " + 43 + "\n". */
const MAC_LINE_BYTES: usize = 48;
/** Bytes of the header besides its stanzas: the version line and the MAC line. */
export const AGE_HEADER_FIXED_BYTES: usize = VERSION_BYTES + MAC_LINE_BYTES;

// "age-encryption.org/v1\n"
const VERSION: usize = memory.data<u8>([
  0x61, 0x67, 0x65, 0x2d, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x69, 0x6f, 0x6e, 0x2e, 0x6f,
  0x72, 0x67, 0x2f, 0x76, 0x31, 0x0a,
]);
// "-> X25519 "
const STANZA_TAG: usize = memory.data<u8>([0x2d, 0x3e, 0x20, 0x58, 0x32, 0x35, 0x35, 0x31, 0x39, 0x20]);
// HKDF info of the wrap key: "age-encryption.org/v1/X25519"
const INFO_X25519: usize = memory.data<u8>([
  0x61, 0x67, 0x65, 0x2d, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x69, 0x6f, 0x6e, 0x2e, 0x6f,
  0x72, 0x67, 0x2f, 0x76, 0x31, 0x2f, 0x58, 0x32, 0x35, 0x35, 0x31, 0x39,
]);
// HKDF info of the header MAC key: "header"
const INFO_HEADER: usize = memory.data<u8>([0x68, 0x65, 0x61, 0x64, 0x65, 0x72]);

/** Ephemeral share ‖ recipient: the HKDF salt; the share is also the stanza argument. */
const SALT: usize = memory.data(64, 16);
/** X25519 shared secret (secret). */
const SHARED: usize = memory.data(32, 16);
/** Wrap key, then the header MAC key (secret). */
const KEY: usize = memory.data(32, 16);
/** Wrapped file key (16) ‖ tag (16), then the header MAC (32). */
const BODY: usize = memory.data(32, 16);
/** The all-zero ChaCha20-Poly1305 nonce of the stanza body. */
const ZERO_NONCE: usize = memory.data(12, 16);

/** Size in bytes of the header for `count` recipients. */
export function ageHeaderBytes(count: usize): usize {
  return AGE_HEADER_FIXED_BYTES + AGE_STANZA_BYTES * count;
}

/** One base64 digit (standard alphabet) for a 6-bit value. */
// @ts-ignore: decorator
@inline
function digit(v: u32): u8 {
  if (v < 26) return <u8>(0x41 + v); // A-Z
  if (v < 52) return <u8>(0x61 + v - 26); // a-z
  if (v < 62) return <u8>(0x30 + v - 52); // 0-9
  return v == 62 ? 0x2b : 0x2f; // + /
}

/**
 * Writes the unpadded base64 of the 32 bytes at `src` (43 characters) to
 * `out` followed by `end`; returns the address after it.
 */
function base64Line(out: usize, src: usize, end: u8): usize {
  // Ten whole 3-byte groups, then the last 2 bytes as 3 digits (no "=").
  for (let i: usize = 0; i < 30; i += 3) {
    const v = (<u32>load<u8>(src + i) << 16) | (<u32>load<u8>(src + i + 1) << 8) | <u32>load<u8>(src + i + 2);
    store<u8>(out, digit(v >> 18), 0);
    store<u8>(out, digit((v >> 12) & 63), 1);
    store<u8>(out, digit((v >> 6) & 63), 2);
    store<u8>(out, digit(v & 63), 3);
    out += 4;
  }
  const v = (<u32>load<u8>(src + 30) << 8) | <u32>load<u8>(src + 31);
  store<u8>(out, digit(v >> 10), 0);
  store<u8>(out, digit((v >> 4) & 63), 1);
  store<u8>(out, digit((v << 2) & 63), 2);
  store<u8>(out, end, 3);
  return out + 4;
}

/**
 * Writes the age header for `count` X25519 recipients (32 bytes each,
 * consecutive at `recipients`) to `out`: ageHeaderBytes(count) bytes.
 * `fileKey` is the 16-byte file key; `ephemerals` holds one 32-byte random
 * ephemeral secret per recipient, in the same order, each wiped once its
 * stanza is written (all of them on every return).
 *
 * Returns OK, or ERR_LOW_ORDER if a recipient is a low-order point (the
 * shared secret is zero; age forbids using it). camera_init rejects such
 * recipients, so the camera never sees this code.
 */
export function ageHeaderWrite(out: usize, fileKey: usize, recipients: usize, count: usize, ephemerals: usize): i32 {
  memory.copy(out, VERSION, VERSION_BYTES);
  let p = out + VERSION_BYTES;
  for (let i: usize = 0; i < count; i++) {
    const eph = ephemerals + (i << 5);
    const recipient = recipients + (i << 5);
    x25519_public(SALT, eph);
    memory.copy(SALT + 32, recipient, 32);
    const rc = x25519(SHARED, eph, recipient);
    wipe(eph, 32);
    if (rc != OK) {
      wipe(SHARED, 32);
      wipe(ephemerals, count << 5);
      return rc;
    }
    // wrap key = HKDF-SHA-256(ikm = shared, salt = share ‖ recipient, info).
    // The codes of these two calls are always OK, so they are not read:
    // HKDF fails only for more than 8160 bytes out (here 32), the AEAD only
    // past 2^32 − 1 blocks (here one).
    hkdf_sha256(KEY, 32, SALT, 64, SHARED, 32, INFO_X25519, 28);
    wipe(SHARED, 32);
    aead_encrypt(BODY, BODY + 16, fileKey, 16, 0, 0, KEY, ZERO_NONCE);
    wipe(KEY, 32);
    memory.copy(p, STANZA_TAG, 10);
    p = base64Line(p + 10, SALT, 0x0a);
    p = base64Line(p, BODY, 0x0a);
  }
  // "---", then the MAC over everything up to and including it.
  store<u8>(p, 0x2d, 0);
  store<u8>(p, 0x2d, 1);
  store<u8>(p, 0x2d, 2);
  // Always OK (32 bytes out, far below HKDF's 8160), so the code is not read.
  hkdf_sha256(KEY, 32, 0, 0, fileKey, 16, INFO_HEADER, 6);
  hmac_sha256(BODY, KEY, 32, out, p + 3 - out);
  wipe(KEY, 32);
  store<u8>(p, 0x20, 3);
  base64Line(p + 4, BODY, 0x0a);
  return OK;
}
