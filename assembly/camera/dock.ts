// Docking (docs/ABI.md "Dock and receipts", bytes in docs/FORMAT.md
// "Docking"): the camera answers a hello signed by the dock key its signed
// configuration pins, and accepts a dock's receipt for a segment or for its
// audit log only when the dock signed it and it names exactly that subject.
// Only after an accepted receipt may the host delete what it covers.
//
// Every input is copied into module memory first and every check and every
// field read is made on that copy, so nothing the host writes into the I/O
// window during an import can change a value between its check and its use.
// Each decision is logged (kinds 9 and 11) before it takes effect: if the
// audit entry cannot be written, nothing is signed and no receipt accepted.
//
// index.ts holds the exports (dock_auth, receipt_check) and their gating
// (audit started, configured, busy); this file holds the work, so nothing
// here becomes a wasm export. Nothing here is secret but the device key,
// which only ed25519_sign reads.

import { OK, ERR_CONFIG, ERR_UNSIGNED, ERR_RECEIPT } from "../errors";
import { ctIsZero } from "../crypto/ct";
import { sha256 } from "../crypto/sha256";
import { ed25519_sign, ed25519_verify } from "../crypto/ed25519";
import { MANIFEST_BLOB_BYTES } from "../evidence/manifest";
import { SK, PK, DOCK } from "./state";
import {
  auditAppend, auditDomain, AUDIT_DOCK, AUDIT_RECEIPT, AUDIT_ENTRY_SIZE, AUDIT_BODY_SIZE, AUDIT_DOMAIN_SIZE, AUDIT_MESSAGE_SIZE,
} from "./audit";

/** Size of a dock hello: dock key, challenge, dock time, signature. */
export const DOCK_HELLO_SIZE: usize = 136;
/** Size of a dock receipt: body (152) ‖ signature (64). */
export const RECEIPT_SIZE: usize = 216;

/** Receipt kinds (FORMAT.md "Dock receipt"). */
const RECEIPT_SEGMENT: u32 = 1;
const RECEIPT_AUDIT: u32 = 2;

const HELLO_DOMAIN_BYTES: usize = 21;
const HELLO_SIGNED_BYTES: usize = 72; // bytes 0–71 of the hello
const ANSWER_DOMAIN_BYTES: usize = 20;
const ANSWER_BYTES: usize = ANSWER_DOMAIN_BYTES + 96; // domain ‖ device key ‖ dock key ‖ challenge
const RECEIPT_DOMAIN_BYTES: usize = 23;
const RECEIPT_BODY_BYTES: usize = 152;
const MANIFEST_DOMAIN_BYTES: usize = 27;
const MANIFEST_MESSAGE_BYTES: usize = 187;

// "sealcam/v1/dock-hello"
const HELLO_DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x64, 0x6f, 0x63, 0x6b, 0x2d,
  0x68, 0x65, 0x6c, 0x6c, 0x6f,
]);
// "sealcam/v1/dock-auth"
const ANSWER_DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x64, 0x6f, 0x63, 0x6b, 0x2d,
  0x61, 0x75, 0x74, 0x68,
]);
// "sealcam/v1/dock-receipt"
const RECEIPT_DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x64, 0x6f, 0x63, 0x6b, 0x2d,
  0x72, 0x65, 0x63, 0x65, 0x69, 0x70, 0x74,
]);
// "sealcam/v1/segment-manifest": a manifest blob's first bytes (its signed
// message carries its own domain).
const MANIFEST_DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x73, 0x65, 0x67, 0x6d, 0x65,
  0x6e, 0x74, 0x2d, 0x6d, 0x61, 0x6e, 0x69, 0x66, 0x65, 0x73, 0x74,
]);

// The hello, copied: domain ‖ hello (bytes 0–71 then the signature), so the
// signed message is one run.
const HELLO_MSG: usize = memory.data(<i32>(HELLO_DOMAIN_BYTES + DOCK_HELLO_SIZE), 16);
const HELLO: usize = HELLO_MSG + HELLO_DOMAIN_BYTES;
// The device answer being signed, and its signature.
const ANSWER: usize = memory.data(<i32>ANSWER_BYTES, 16);
const ANSWER_SIG: usize = memory.data(64, 16);
// The receipt, copied: domain ‖ body ‖ signature.
const RECEIPT_MSG: usize = memory.data(<i32>(RECEIPT_DOMAIN_BYTES + RECEIPT_SIZE), 16);
const RECEIPT: usize = RECEIPT_MSG + RECEIPT_DOMAIN_BYTES;
// The receipt's subject, copied: a manifest blob as given, or the audit
// entry's domain ‖ entry (so its signed message is one run too).
const SUBJECT: usize = memory.data(<i32>(AUDIT_DOMAIN_SIZE + AUDIT_ENTRY_SIZE > MANIFEST_BLOB_BYTES ? AUDIT_DOMAIN_SIZE + AUDIT_ENTRY_SIZE : MANIFEST_BLOB_BYTES), 16);
const SUBJECT_HASH: usize = memory.data(32, 16);

/** True when a dock key is configured (the configuration's dock key is not all zero). */
function dockConfigured(): bool {
  return !ctIsZero(DOCK, 32);
}

/**
 * dock_auth's work (index.ts gates it: audit started, configured, not busy):
 * checks the hello of `len` bytes at `hello` (a copy of it) names the
 * configured dock key and is signed by it (strict rules), logs kind 9, then
 * signs "sealcam/v1/dock-auth" ‖ device key ‖ dock key ‖ challenge with
 * the device key and writes the 64-byte signature at `out`. Returns OK;
 * ERR_CONFIG (length); ERR_UNSIGNED (no dock configured, another dock's key,
 * a signature that does not verify); ERR_STORAGE (the entry was not
 * written). Nothing is written at `out` unless OK.
 */
export function dockAuth(hello: usize, len: usize, out: usize): i32 {
  if (len != DOCK_HELLO_SIZE) return ERR_CONFIG;
  if (!dockConfigured()) return ERR_UNSIGNED;
  memory.copy(HELLO_MSG, HELLO_DOMAIN, HELLO_DOMAIN_BYTES);
  memory.copy(HELLO, hello, DOCK_HELLO_SIZE);
  if (memory.compare(HELLO, DOCK, 32) != 0) return ERR_UNSIGNED; // public keys: compare freely
  if (ed25519_verify(HELLO + HELLO_SIGNED_BYTES, HELLO_MSG, HELLO_DOMAIN_BYTES + HELLO_SIGNED_BYTES, DOCK) != OK) return ERR_UNSIGNED;
  // Logged before anything is signed: no answer leaves the camera unlogged.
  const rc = auditAppend(AUDIT_DOCK, load<u64>(HELLO, 64), 0, DOCK);
  if (rc != OK) return rc;
  memory.copy(ANSWER, ANSWER_DOMAIN, ANSWER_DOMAIN_BYTES);
  memory.copy(ANSWER + ANSWER_DOMAIN_BYTES, PK, 32);
  memory.copy(ANSWER + ANSWER_DOMAIN_BYTES + 32, DOCK, 32);
  memory.copy(ANSWER + ANSWER_DOMAIN_BYTES + 64, HELLO + 32, 32);
  ed25519_sign(ANSWER_SIG, ANSWER, ANSWER_BYTES, SK);
  memory.copy(out, ANSWER_SIG, 64);
  return OK;
}

/**
 * receipt_check's work (index.ts gates it: audit started, configured, not
 * busy). Copies the `rlen`-byte receipt and the `slen`-byte subject into
 * module memory, then checks, in this order: the receipt's shape (length,
 * kind 1 or 2, reserved bytes, a kind 2 receipt's zero SHA-256 field) and
 * the subject's length for that kind (ERR_CONFIG); a dock is configured and
 * signed the receipt (ERR_UNSIGNED); the receipt names that dock and this
 * device (ERR_RECEIPT); the subject is this device's, its signature
 * verifying under the device key, with the manifest's domain for a
 * manifest blob (ERR_UNSIGNED); the receipt names exactly it: manifest
 * hash, .age SHA-256 and size, or entry hash and index (ERR_RECEIPT). Then
 * logs kind 11 (a = kind; b = sequence or entry index; ref = manifest or
 * entry hash): OK, or ERR_STORAGE when the entry was not written (the
 * receipt is then not accepted).
 */
export function receiptCheck(receipt: usize, rlen: usize, subject: usize, slen: usize): i32 {
  if (rlen != RECEIPT_SIZE) return ERR_CONFIG;
  memory.copy(RECEIPT_MSG, RECEIPT_DOMAIN, RECEIPT_DOMAIN_BYTES);
  memory.copy(RECEIPT, receipt, RECEIPT_SIZE);
  const kind = load<u32>(RECEIPT, 64);
  if (kind != RECEIPT_SEGMENT && kind != RECEIPT_AUDIT) return ERR_CONFIG;
  if (load<u32>(RECEIPT, 68) != 0) return ERR_CONFIG;
  if (kind == RECEIPT_AUDIT && !ctIsZero(RECEIPT + 112, 32)) return ERR_CONFIG;
  if (slen != (kind == RECEIPT_SEGMENT ? MANIFEST_BLOB_BYTES : AUDIT_ENTRY_SIZE)) return ERR_CONFIG;
  if (!dockConfigured()) return ERR_UNSIGNED;
  if (ed25519_verify(RECEIPT + RECEIPT_BODY_BYTES, RECEIPT_MSG, RECEIPT_DOMAIN_BYTES + RECEIPT_BODY_BYTES, DOCK) != OK) return ERR_UNSIGNED;
  // Signed by our dock: from here on a mismatch is a receipt for something else.
  if (memory.compare(RECEIPT, DOCK, 32) != 0 || memory.compare(RECEIPT + 32, PK, 32) != 0) return ERR_RECEIPT;
  let b: u64;
  if (kind == RECEIPT_SEGMENT) {
    memory.copy(SUBJECT, subject, MANIFEST_BLOB_BYTES);
    if (memory.compare(SUBJECT, MANIFEST_DOMAIN, MANIFEST_DOMAIN_BYTES) != 0) return ERR_UNSIGNED;
    if (ed25519_verify(SUBJECT + MANIFEST_MESSAGE_BYTES, SUBJECT, MANIFEST_MESSAGE_BYTES, PK) != OK) return ERR_UNSIGNED;
    sha256(SUBJECT_HASH, SUBJECT, MANIFEST_MESSAGE_BYTES);
    if (memory.compare(RECEIPT + 80, SUBJECT_HASH, 32) != 0) return ERR_RECEIPT;
    if (memory.compare(RECEIPT + 112, SUBJECT + 123, 32) != 0) return ERR_RECEIPT; // .age SHA-256
    if (load<u64>(RECEIPT, 144) != load<u64>(SUBJECT, 115)) return ERR_RECEIPT; // .age size
    b = <u64>load<u32>(SUBJECT, 75); // sequence
  } else {
    memory.copy(SUBJECT, auditDomain(), AUDIT_DOMAIN_SIZE);
    memory.copy(SUBJECT + AUDIT_DOMAIN_SIZE, subject, AUDIT_ENTRY_SIZE);
    const entry = SUBJECT + AUDIT_DOMAIN_SIZE;
    if (ed25519_verify(entry + AUDIT_BODY_SIZE, SUBJECT, AUDIT_MESSAGE_SIZE, PK) != OK) return ERR_UNSIGNED;
    sha256(SUBJECT_HASH, SUBJECT, AUDIT_MESSAGE_SIZE);
    if (memory.compare(RECEIPT + 80, SUBJECT_HASH, 32) != 0) return ERR_RECEIPT;
    b = load<u64>(entry, 32); // index
    if (load<u64>(RECEIPT, 144) != b) return ERR_RECEIPT;
  }
  return auditAppend(AUDIT_RECEIPT, <u64>kind, b, SUBJECT_HASH);
}
