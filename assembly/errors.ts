// The one table of error codes returned by the firmware module.
//
// Every export that can fail returns an i32: 0 for success, one of these codes
// otherwise. The host maps codes to messages in host/errors.ts; the two tables
// are checked against each other by tests/errors.test.ts. Codes are stable:
// never renumber, only append.

/** Success. */
export const OK: i32 = 0;
/** AEAD: the authentication tag does not match; nothing was decrypted. */
export const ERR_AUTH: i32 = 1;
/** Ed25519: the verification equation does not hold. */
export const ERR_SIGNATURE: i32 = 2;
/** Ed25519: the scalar S of the signature is not below the group order L. */
export const ERR_NONCANONICAL_S: i32 = 3;
/** Ed25519: a point (A or R) is not a valid canonical encoding of a curve point. */
export const ERR_BAD_POINT: i32 = 4;
/** Ed25519: a point (A or R) has small order (1, 2, 4 or 8). */
export const ERR_SMALL_ORDER: i32 = 5;
/** X25519: the shared secret is all zero (the peer's point has low order). */
export const ERR_LOW_ORDER: i32 = 6;
/** A length is outside what the operation allows (for example HKDF output > 255 * 32). */
export const ERR_LENGTH: i32 = 7;
/** ChaCha20: the 32-bit block counter would wrap. */
export const ERR_COUNTER: i32 = 8;
/** A streaming call came in the wrong order (for example AAD after data). */
export const ERR_STATE: i32 = 9;
/** Camera: the host's entropy import failed; nothing was opened or committed. */
export const ERR_ENTROPY: i32 = 10;
/** Camera: a storage import failed; the open segment was aborted and its keys wiped. */
export const ERR_STORAGE: i32 = 11;
/** Camera: a malformed secure block (camera_init) or signed configuration (camera_configure). */
export const ERR_CONFIG: i32 = 12;
/** Camera: a frame's capture time is earlier than the previous frame's. */
export const ERR_FRAME_ORDER: i32 = 13;
/** Camera: a frame's length is 0, above MAX_FRAME_BYTES, or not what was announced. */
export const ERR_FRAME_SIZE: i32 = 14;
/** Camera: a frame's capture time is negative or not below 2^53 µs (a manifest integer must be). */
export const ERR_TIME: i32 = 15;
/**
 * Camera: not signed by the key the camera pins for it: a configuration not
 * signed by the provisioning key, or made for another camera; a dock hello
 * or receipt not signed by the configured dock key (or no dock configured);
 * a receipt's subject not signed by the device key; an audit entry
 * (audit_start) not signed by the device key.
 */
export const ERR_UNSIGNED: i32 = 16;
/** Camera: a configuration whose serial is not above the one in force. */
export const ERR_ROLLBACK: i32 = 17;
/** Camera: a receipt validly signed by the dock that names another device, dock, segment or audit entry. */
export const ERR_RECEIPT: i32 = 18;
/** Camera: the storage is full (storage_open or storage_append returned 2); the recording stopped. */
export const ERR_FULL: i32 = 19;
