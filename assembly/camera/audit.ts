// The camera's audit log (docs/ABI.md "The audit log", bytes in
// docs/FORMAT.md "The audit log"): a chain of 200-byte entries, each signed
// by the device key and naming the hash of the entry before it, written
// through the audit_write import. The module writes every entry itself; the
// host can only ask for the host-observed kinds (audit_note).
//
// The chain's state (the index the next entry gets, the hash of the last
// entry written, whether the log has started) lives here. It advances only
// when audit_write says the entry is stored: a failed write leaves it as it
// was, so the next entry reuses the index and names the same predecessor,
// and the chain the host keeps has no hole. A failure is reported as event 9
// (entry kind, the import's return).
//
// index.ts holds the exports (audit_start, audit_note, audit_head) and their
// gating (busy, camera_init first); this file holds the work, so nothing
// here becomes a wasm export. Callers elsewhere in the module log through
// auditAppend.
//
// Nothing here is secret but the device key, which only ed25519_sign reads.

import { OK, ERR_STATE, ERR_STORAGE, ERR_CONFIG, ERR_UNSIGNED } from "../errors";
import { wipe } from "../crypto/ct";
import { sha256 } from "../crypto/sha256";
import { ed25519_sign, ed25519_verify } from "../crypto/ed25519";
import { clock_us, audit_write, event } from "./imports";
import { SK, PK, RECORDING } from "./state";

/** Size of an audit entry: body (136) ‖ signature (64). */
export const AUDIT_ENTRY_SIZE: usize = 200;
/** Size of an entry's body, the part that is signed after the domain. */
export const AUDIT_BODY_SIZE: usize = 136;
/** Size of the domain "sealcam/v1/audit-entry". */
export const AUDIT_DOMAIN_SIZE: usize = 22;
/** Domain ‖ body: the signed message, whose SHA-256 is the entry hash. */
export const AUDIT_MESSAGE_SIZE: usize = AUDIT_DOMAIN_SIZE + AUDIT_BODY_SIZE;

// Entry kinds (docs/ABI.md "The audit log", "Kinds").
export const AUDIT_BOOT: u32 = 1;
export const AUDIT_CONFIG_ACCEPTED: u32 = 2;
export const AUDIT_CONFIG_REFUSED: u32 = 3;
export const AUDIT_RECORDING_STARTED: u32 = 4;
export const AUDIT_RECORDING_STOPPED: u32 = 5;
export const AUDIT_TRIGGER: u32 = 6;
export const AUDIT_STORAGE_FULL: u32 = 7;
export const AUDIT_POWER_LOSS: u32 = 8;
export const AUDIT_DOCK: u32 = 9;
export const AUDIT_UPLOAD: u32 = 10;
export const AUDIT_RECEIPT: u32 = 11;
export const AUDIT_DELETION: u32 = 12;
export const AUDIT_CLOCK: u32 = 13;
export const AUDIT_SEGMENT_COMMITTED: u32 = 14;
export const AUDIT_SEGMENT_ABORTED: u32 = 15;
export const AUDIT_SEGMENT_EXPIRED: u32 = 16;

/** Event 9: an audit entry was not written (a = its kind, b = audit_write's return). */
const EV_AUDIT_FAILED: i32 = 9;

// "sealcam/v1/audit-entry"
const DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x61, 0x75, 0x64, 0x69, 0x74,
  0x2d, 0x65, 0x6e, 0x74, 0x72, 0x79,
]);

// The entry being written, laid out as domain ‖ body ‖ signature so the
// signed message and the entry (body ‖ signature) are each one run.
const MSG: usize = memory.data(<i32>(AUDIT_DOMAIN_SIZE + AUDIT_ENTRY_SIZE), 16);
const ENTRY: usize = MSG + AUDIT_DOMAIN_SIZE;
// The same layout for the last stored entry audit_start is given (a copy,
// checked and read from here only).
const TAIL_MSG: usize = memory.data(<i32>(AUDIT_DOMAIN_SIZE + AUDIT_ENTRY_SIZE), 16);
const TAIL: usize = TAIL_MSG + AUDIT_DOMAIN_SIZE;
const PREVIOUS: usize = memory.data(32, 16); // entry hash of the last entry written (zeros: none)
const NEXT_HASH: usize = memory.data(32, 16); // entry hash of the entry being written
const REF: usize = memory.data(32, 16); // a ref built here (the recording's, or zeros)

let started = false; // audit_start succeeded
let nextIndex: u64 = 0; // index the next entry gets

/** True once audit_start has succeeded: the camera may then do what it logs. */
export function auditStarted(): bool {
  return started;
}

/** The index the next entry will get. */
export function auditNextIndex(): u64 {
  return nextIndex;
}

/** Address of the 32-byte hash of the last entry written (zeros: none yet). */
export function auditPrevious(): usize {
  return PREVIOUS;
}

/** Domain "sealcam/v1/audit-entry" (AUDIT_DOMAIN_SIZE bytes), for checking an entry elsewhere. */
export function auditDomain(): usize {
  return DOMAIN;
}

/**
 * The ref of the kinds about a recording: the 16-byte current recording id
 * followed by 16 zero bytes; returns its address (32 bytes, valid until the
 * next call of auditRecordingRef or auditZeroRef).
 */
export function auditRecordingRef(): usize {
  memory.copy(REF, RECORDING, 16);
  memory.fill(REF + 16, 0, 16);
  return REF;
}

/** 32 zero bytes, the ref of kinds that have none; returns its address. */
export function auditZeroRef(): usize {
  memory.fill(REF, 0, 32);
  return REF;
}

/**
 * Appends an entry of `kind` with `a`, `b` and the 32 bytes at `ref`
 * (module memory, or the I/O window: copied before any import is called) to
 * the log: builds the body (FORMAT.md "The audit log": this device, the next
 * index, the clock, the previous entry's hash), signs it with the device key
 * and hands the 200-byte entry to audit_write. Returns OK (the chain
 * advanced) or ERR_STORAGE (audit_write failed: event 9 with the kind and
 * its return; the chain is unchanged and the unwritten entry wiped);
 * ERR_STATE before audit_start (nothing written). Calls the imports
 * clock_us, audit_write and, on failure, event: only from inside an export
 * that has marked the module busy.
 */
export function auditAppend(kind: u32, a: u64, b: u64, ref: usize): i32 {
  if (!started) return ERR_STATE;
  return appendEntry(kind, a, b, ref);
}

function appendEntry(kind: u32, a: u64, b: u64, ref: usize): i32 {
  memory.copy(MSG, DOMAIN, AUDIT_DOMAIN_SIZE);
  memory.copy(ENTRY + 72, ref, 32); // first: ref may be the host's, and imports follow
  memory.copy(ENTRY, PK, 32);
  store<u64>(ENTRY, nextIndex, 32);
  store<u32>(ENTRY, kind, 40);
  store<u32>(ENTRY, 0, 44);
  store<u64>(ENTRY, a, 56);
  store<u64>(ENTRY, b, 64);
  memory.copy(ENTRY + 104, PREVIOUS, 32);
  store<u64>(ENTRY, clock_us(), 48);
  ed25519_sign(ENTRY + AUDIT_BODY_SIZE, MSG, AUDIT_MESSAGE_SIZE, SK);
  sha256(NEXT_HASH, MSG, AUDIT_MESSAGE_SIZE);
  const rc = audit_write(ENTRY, AUDIT_ENTRY_SIZE);
  if (rc != 0) {
    // Not stored: the next entry takes this index, so no signed entry of it
    // may stay behind to be confused with that one.
    wipe(MSG, AUDIT_DOMAIN_SIZE + AUDIT_ENTRY_SIZE);
    event(EV_AUDIT_FAILED, <u64>kind, <u64><u32>rc);
    return ERR_STORAGE;
  }
  memory.copy(PREVIOUS, NEXT_HASH, 32);
  nextIndex++;
  return OK;
}

/**
 * audit_start's work (index.ts gates it: camera_init done, not started, not
 * busy). `len` = 0 starts a new log (index 0, previous hash zero); `len` =
 * AUDIT_ENTRY_SIZE continues after the entry at `ptr`, which is copied into
 * module memory and read only from there: reserved bytes zero, this
 * device's key, a signature that verifies under it (strict rules). Then
 * writes the boot entry (kind 1, a = 1 when continued). Returns OK;
 * ERR_CONFIG (length, reserved bytes, another device, or an index that
 * cannot be followed); ERR_UNSIGNED; ERR_STORAGE (the boot entry was not
 * written: the log is not started, the chain state back to none).
 */
export function auditStart(ptr: usize, len: usize): i32 {
  let continued: u64 = 0;
  if (len == AUDIT_ENTRY_SIZE) {
    memory.copy(TAIL_MSG, DOMAIN, AUDIT_DOMAIN_SIZE);
    memory.copy(TAIL, ptr, AUDIT_ENTRY_SIZE);
    if (load<u32>(TAIL, 44) != 0) return ERR_CONFIG;
    if (memory.compare(TAIL, PK, 32) != 0) return ERR_CONFIG; // public bytes: compare freely
    if (ed25519_verify(TAIL + AUDIT_BODY_SIZE, TAIL_MSG, AUDIT_MESSAGE_SIZE, PK) != OK) return ERR_UNSIGNED;
    const index = load<u64>(TAIL, 32);
    if (index == u64.MAX_VALUE) return ERR_CONFIG; // unreachable in practice: the next index would wrap
    nextIndex = index + 1;
    sha256(PREVIOUS, TAIL_MSG, AUDIT_MESSAGE_SIZE);
    continued = 1;
  } else if (len != 0) {
    return ERR_CONFIG;
  } else {
    nextIndex = 0;
    memory.fill(PREVIOUS, 0, 32);
  }
  const rc = appendEntry(AUDIT_BOOT, continued, 0, auditZeroRef());
  if (rc != OK) {
    nextIndex = 0;
    memory.fill(PREVIOUS, 0, 32);
    return rc;
  }
  started = true;
  return OK;
}

/**
 * audit_note's work (index.ts gates it: started, not busy): logs a
 * host-observed `kind` (8 power loss, 10 upload, 12 deletion, 13 clock
 * change) with `a`, `b` and the 32 bytes at `ref`. ERR_CONFIG for any other
 * kind (the module's own kinds are only the module's to write); ERR_STORAGE.
 */
export function auditNote(kind: u32, a: u64, b: u64, ref: usize): i32 {
  if (kind != AUDIT_POWER_LOSS && kind != AUDIT_UPLOAD && kind != AUDIT_DELETION && kind != AUDIT_CLOCK) return ERR_CONFIG;
  return auditAppend(kind, a, b, ref);
}
