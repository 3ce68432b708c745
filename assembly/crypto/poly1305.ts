// Poly1305 one-time authenticator (RFC 8439 section 2.5). A key must
// authenticate one message only; the AEAD (aead.ts) derives a fresh one per
// nonce. Arithmetic and layout are in poly1305_core.ts.

import { wipe } from "./ct";
import { CTX_BYTES, polyInit, polyUpdate, polyFinish } from "./poly1305_core";

/** One-time key size in bytes (r then s). */
export const POLY1305_KEY_BYTES: i32 = 32;
/** Tag size in bytes. */
export const POLY1305_TAG_BYTES: i32 = 16;
/** Size in bytes of the context a caller provides for the streaming calls. */
export const POLY1305_CTX_BYTES: i32 = <i32>CTX_BYTES;

/** Context of the one-shot `poly1305`; wiped before it returns. */
const ONESHOT: usize = memory.data(<i32>CTX_BYTES, 16);

/**
 * Starts a MAC with the 32-byte one-time `key` in the POLY1305_CTX_BYTES
 * context at `ctx`. The context holds the key until `poly1305_final` wipes it.
 */
export function poly1305_init(ctx: usize, key: usize): void {
  polyInit(ctx, key);
}

/** Absorbs `len` bytes at `input`; any lengths, split calls equal one call. */
export function poly1305_update(ctx: usize, input: usize, len: usize): void {
  polyUpdate(ctx, input, len);
}

/** Writes the 16-byte tag to `tag`, then wipes all POLY1305_CTX_BYTES of the context. */
export function poly1305_final(ctx: usize, tag: usize): void {
  polyFinish(ctx, tag);
  wipe(ctx, CTX_BYTES);
}

/**
 * One-shot Poly1305: writes the 16-byte tag of `len` bytes at `input` under
 * the 32-byte `key`. Uses a static context that it wipes.
 */
export function poly1305(tag: usize, input: usize, len: usize, key: usize): void {
  poly1305_init(ONESHOT, key);
  poly1305_update(ONESHOT, input, len);
  poly1305_final(ONESHOT, tag);
}
