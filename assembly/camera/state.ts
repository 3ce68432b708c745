// The camera's static areas that both halves of the pipeline use: index.ts
// (configuration, recordings, frames) fills them, segment.ts (opening,
// closing and aborting segments) reads them, and an abort wipes the frame
// hash context. Only memory areas live here, so each mutable value keeps one
// owning file. Not re-exported: nothing here becomes a wasm export.

import { SHA512_CTX_BYTES } from "../crypto/sha512";

/**
 * Recipient slots in the static areas: the most X25519 recipients a
 * configuration may name. index.ts exports it as MAX_RECIPIENTS (defined
 * there, not re-exported, so the wasm exports keep their order).
 */
export const RECIPIENT_SLOTS: i32 = 8;

export const SK: usize = memory.data(64, 16); // device Ed25519 secret key, seed ‖ pk (secret)
export const PK: usize = memory.data(32, 16); // device public key
export const RECIPIENTS: usize = memory.data(32 * RECIPIENT_SLOTS, 16);
export const RECORDING: usize = memory.data(16, 16); // current (or last) recording id
export const CHAIN: usize = memory.data(32, 16); // record hash of the last accepted frame
export const FRAME_CTX: usize = memory.data(SHA512_CTX_BYTES, 16); // SHA-512 of the frame in progress
export const DOCK: usize = memory.data(32, 16); // the configured dock public key (zeros: none); index.ts sets it, dock.ts checks against it
