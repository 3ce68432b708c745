// The camera: capture, sign, seal (docs/ABI.md, bytes in docs/FORMAT.md).
//
// The host initialises the module with the camera's secure block (camera_init:
// device seed, pinned provisioning key), applies a configuration signed by
// that key (camera_configure: recipients, dock key, segment limits), then per
// recording calls recording_start, feeds every encoded frame through frame_begin / frame_data /
// frame_end, and ends with recording_stop. Each frame's bytes are hashed
// (SHA-512, for its record) and copied once into the STREAM chunk buffer,
// which seals them in place and hands them to storage. frame_end signs the
// frame's record, which chains to the previous record across segments.
//
// This file holds the exported ABI functions, the configuration and the
// recording and frame state; segment.ts opens, closes and aborts segments
// (split to keep files short), and state.ts holds the static areas both use.
//
// State machine (all in statics; nothing allocates):
//
//   new --camera_init--> initialised --camera_configure--> idle
//   idle --recording_start--> recording (camera_configure again between
//   recordings: only a signed configuration with a higher serial is taken)
//   recording: segment open or not; a frame in progress or not (only with a
//   segment open). A segment opens at the first frame_begin that finds none
//   open, and is cut before a keyframe once it has reached a limit.
//   idle --recording_buffer--> recording, buffering (pre-event, park.ts):
//   segments are parked without an age header and expire out of the window;
//   buffering --recording_trigger--> recording (the parked ones committed),
//   or --recording_stop--> idle with nothing of the buffer kept.
//
// Failure rules: a storage failure anywhere, or a frame that ends short,
// aborts the open segment (storage_abort; payload key, chunk buffer, frame
// hash and the signed-but-unwritten record, trailer and manifest wiped;
// event 4) and leaves "recording, no segment open"; the unfinished frame's
// number is not consumed, the aborted segment's sequence number is. State,
// order, time and size errors change nothing; an entropy failure leaves no
// segment open (a cut it follows was committed). Full storage (storage_open
// or storage_append returning 2) aborts the segment the same way and then
// ends the recording (stopIfFull: ERR_FULL, event 8, audit kind 7).
//
// The audit log (audit.ts) starts with audit_start, after camera_init;
// until then nothing that logs runs. Docking (dock.ts) answers the pinned
// dock and checks its receipts. Their exports and gating are here, their
// work in those files.
//
// Host misuse: every pointer argument must lie inside the I/O window, or the
// call traps before changing anything (checkWindow). Every export that calls
// an import marks the module busy for the whole call; an export called from
// inside an import (re-entrancy) returns ERR_STATE, so no callback can act on
// a half-done state. The read-only exports (camera_public_key, recording_id,
// frames_recorded, camera_config_serial, camera_dock_key, audit_head) change
// nothing and call no import; they stay callable.
//
// Secrets: the device secret key (SK) for the life of the instance (there is
// no export to forget or replace it: camera_init is accepted once per instance); per segment the
// file key, the ephemeral secrets and the payload key (segment.ts says when
// each is wiped); a pre-event buffer's parked file keys and the trigger's
// ephemeral pool (park.ts). No code here, in segment.ts or in park.ts
// branches on or indexes by secret bytes: secrets only pass through
// memory.copy, wipes and the crypto core.

import {
  OK, ERR_STATE, ERR_ENTROPY, ERR_STORAGE, ERR_CONFIG, ERR_FRAME_ORDER, ERR_FRAME_SIZE, ERR_TIME, ERR_UNSIGNED, ERR_ROLLBACK,
  ERR_FULL,
} from "../errors";
import { checkWindow } from "../abi";
import { wipe } from "../crypto/ct";
import { sha512_init, sha512_update } from "../crypto/sha512";
import { x25519 } from "../crypto/x25519";
import { ed25519_keypair, ed25519_verify, ed25519_check_public } from "../crypto/ed25519";
import { entropy, event } from "./imports";
import { streamWrite, streamPlainBytes } from "../age/stream";
import { frameHead, frameRecordSeal, FRAME_HEAD_BYTES, FRAME_TAIL_BYTES } from "../evidence/record";
import { MANIFEST_BLOB_BYTES } from "../evidence/manifest";
import { RECIPIENT_SLOTS, SK, PK, RECIPIENTS, RECORDING, CHAIN, FRAME_CTX, DOCK } from "./state";
import {
  segmentsCommitted, segmentsReset, segmentOpen, segmentSequence, segmentFirstTime, segmentAddFrame, openSegment, closeSegment, abortSegment,
} from "./segment";
// The pre-event buffer (docs/ABI.md "Pre-event buffer"): park slots in park.ts.
import { segmentAwaitsHeader, segmentSealAtTrigger, segmentFirstFrame, segmentDiscard } from "./segment";
import {
  SLOTS, parkCount, parkExpire, parkDropAll, parkDraw, parkDrawWipe, parkCommitOldest, parkKept, parkKeptFirst,
} from "./park";
import { auditAppend, auditRecordingRef, AUDIT_TRIGGER } from "./audit";
// The audit log (audit.ts) and docking (dock.ts): their exports and gating are here, their work there.
import {
  auditStarted, auditStart, auditNote, auditPrevious, auditNextIndex, AUDIT_ENTRY_SIZE,
  AUDIT_CONFIG_ACCEPTED, AUDIT_CONFIG_REFUSED, AUDIT_RECORDING_STARTED, AUDIT_RECORDING_STOPPED, AUDIT_STORAGE_FULL,
} from "./audit";
import { dockAuth, receiptCheck, DOCK_HELLO_SIZE, RECEIPT_SIZE } from "./dock";
import { sha256 } from "../crypto/sha256";

/** Most X25519 recipients a configuration may name (the static areas' slots, state.ts). */
export const MAX_RECIPIENTS: i32 = RECIPIENT_SLOTS;
/** Size of the secure block camera_init takes (docs/ABI.md "Secure block"). */
export const SECURE_BYTES: i32 = 72;
/** Largest signed configuration: 128-byte body + 32 per recipient + 64-byte signature. */
export const CONFIG_BYTES_MAX: i32 = 192 + 32 * MAX_RECIPIENTS;
/** Largest frame (one access unit) in bytes: 64 MiB. */
export const MAX_FRAME_BYTES: i32 = 64 << 20;
/** Size of the blob storage_commit receives: manifest signed message (187) ‖ signature (64). */
export const MANIFEST_BYTES: i32 = <i32>MANIFEST_BLOB_BYTES;
/** Size of an audit entry (FORMAT.md "The audit log"): body (136) ‖ device signature (64). */
export const AUDIT_ENTRY_BYTES: i32 = <i32>AUDIT_ENTRY_SIZE;
/** Size of a dock hello (FORMAT.md "Docking"): dock key, challenge, dock time, dock signature. */
export const DOCK_HELLO_BYTES: i32 = <i32>DOCK_HELLO_SIZE;
/** Size of a dock receipt (FORMAT.md "Docking"): body (152) ‖ dock signature (64). */
export const RECEIPT_BYTES: i32 = <i32>RECEIPT_SIZE;
/** Most segments a pre-event buffer holds parked at once (park.ts); parking expires the oldest when all are used. */
export const PARK_SLOTS: i32 = SLOTS;

// Event kinds (docs/ABI.md "Events").
const EV_STARTED: i32 = 1;
const EV_STOPPED: i32 = 5;
const EV_CONFIG_ACCEPTED: i32 = 6;
const EV_CONFIG_REFUSED: i32 = 7;
const EV_FULL: i32 = 8;
const EV_TRIGGER: i32 = 10;

/** "SCAMSEC1" and "SCAMCFG2" as little-endian u64s. */
const SEC_MAGIC: u64 = 0x314345534d414353;
const CFG_MAGIC: u64 = 0x324746434d414353;
const CFG_BODY_BYTES: usize = 128; // before the recipients
const CFG_DOMAIN_BYTES: usize = 24;
// "sealcam/v1/camera-config": the domain of the provisioning key's signature.
const CFG_DOMAIN: usize = memory.data<u8>([
  0x73, 0x65, 0x61, 0x6c, 0x63, 0x61, 0x6d, 0x2f, 0x76, 0x31, 0x2f, 0x63, 0x61, 0x6d, 0x65, 0x72, 0x61, 0x2d, 0x63, 0x6f, 0x6e, 0x66, 0x69, 0x67,
]);
// Domain ‖ body, gathered for the signature check (the body is at most 384 bytes).
const CFG_MESSAGE: usize = memory.data(<i32>CFG_DOMAIN_BYTES + 128 + 32 * RECIPIENT_SLOTS, 16);
const PROVISIONING: usize = memory.data(32, 16); // the pinned provisioning public key
const MIN_DURATION_US: u64 = 1000000;
const MIN_SEGMENT_BYTES: u64 = 65536;
/** Pre-event duration, µs, when set (FORMAT.md "Camera configuration", offset 104): 1 s to 10 min. */
const MIN_PRE_EVENT_US: u64 = 1000000;
const MAX_PRE_EVENT_US: u64 = 600000000;
/** Capture times must be below 2^53 µs: FORMAT.md's manifest integers are. */
const TIME_LIMIT_US: u64 = 0x20000000000000; // 2^53

const NEW_ID: usize = memory.data(16, 16); // recording id being drawn
const NEXT_CHAIN: usize = memory.data(32, 16); // record hash of the frame being appended
const PROBE: usize = memory.data(32, 16); // output of the low-order check
// Scalar of the low-order check: zero clamps to 2^254, a multiple of 8, so
// any point of order 1, 2, 4 or 8 (on the curve or its twist) maps to zero.
const PROBE_SCALAR: usize = memory.data(32, 16);
const CFG_HASH: usize = memory.data(32, 16); // SHA-256 of the configuration given, the audit entry's ref

let initialised = false; // camera_init accepted a secure block
let configured = false; // camera_configure accepted a signed configuration
let configSerial: u64 = 0;
let busy = false; // an export that calls imports is running (docs/ABI.md "Re-entrancy")
let recording = false;
let buffering = false; // the recording started with recording_buffer and has not been triggered
let inFrame = false;

let durationLimit: u64 = 0; // µs
let sizeLimit: u64 = 0; // plaintext bytes
let preEventLimit: u64 = 0; // µs of pre-event buffer (0: none configured)
let recipientCount: usize = 0;

let nextFrame: u64 = 0; // number the next frame gets
let lastTime: u64 = 0; // capture time of the last accepted frame (valid when nextFrame > 0)

let frameLen: u64 = 0; // frame in progress: announced length,
let frameGot: u64 = 0; // bytes received,
let frameTime: u64 = 0; // capture time,
let frameFlags: u32 = 0; // record flags

/**
 * True when the 32 bytes at `u` are a canonical X25519 u-coordinate: bit 255
 * clear and u < p = 2^255 − 19 (u ≥ p means byte 31 = 0x7f, bytes 30..1 =
 * 0xff and byte 0 ≥ 0xed). age puts the recipient's bytes as given into the
 * wrap-key salt, and the force identity derives its own, canonical, public
 * key: a non-canonical recipient would make every segment undecryptable.
 * Recipients are public, so branching on them is fine.
 */
function canonicalU(u: usize): bool {
  const top = load<u8>(u, 31);
  if ((top & 0x80) != 0) return false;
  if (top != 0x7f) return true;
  for (let i: usize = 1; i < 31; i++) if (load<u8>(u + i) != 0xff) return true;
  return load<u8>(u) < 0xed;
}

/**
 * Initialises the camera from its secure block of `len` bytes at `sec`
 * (docs/ABI.md "Secure block": magic "SCAMSEC1", the 32-byte Ed25519 device
 * seed, the 32-byte provisioning public key; `len` must be SECURE_BYTES).
 * Derives the device key pair inside the module and pins the provisioning
 * key; the camera cannot record until camera_configure accepts a
 * configuration. Once per instance: a host that needs another secure block
 * discards the instance (a second call returns ERR_STATE and changes nothing). The block must lie inside the I/O window,
 * or the call traps before anything changes (nothing is wiped).
 *
 * The seed bytes in the block (offset 8, up to 32 bytes) are wiped on every
 * return, success or not. Returns OK; ERR_STATE when already initialised or
 * called from inside an import; ERR_CONFIG for a malformed block or a
 * provisioning key that is not a canonical point of large order (nothing
 * changes on either).
 */
export function camera_init(sec: usize, len: usize): i32 {
  checkWindow(sec, len);
  // Once per instance: a second secure block could re-pin the provisioning
  // key or reset the serial, undoing what camera_configure guards.
  const rc = initialised || recording || busy ? ERR_STATE : initialise(sec, len);
  if (len > 8) wipe(sec + 8, len - 8 < 32 ? len - 8 : 32);
  return rc;
}

function initialise(sec: usize, len: usize): i32 {
  if (len != <usize>SECURE_BYTES || load<u64>(sec) != SEC_MAGIC) return ERR_CONFIG;
  if (ed25519_check_public(sec + 40) != OK) return ERR_CONFIG;
  ed25519_keypair(PK, SK, sec + 8);
  memory.copy(PROVISIONING, sec + 40, 32);
  memory.fill(DOCK, 0, 32);
  memory.fill(RECIPIENTS, 0, 32 * RECIPIENT_SLOTS);
  recipientCount = 0;
  configSerial = 0;
  configured = false;
  initialised = true;
  return OK;
}

/**
 * Applies the signed configuration of `len` bytes at `cfg` (FORMAT.md
 * "Camera configuration": a 128-byte body, 32 bytes per recipient, then the
 * provisioning key's Ed25519 signature over "sealcam/v1/camera-config" ‖
 * body; `len` = 192 + 32 × count, at most CONFIG_BYTES_MAX). The block must
 * lie inside the I/O window, or the call traps before anything changes.
 *
 * Taken only when the signature verifies (strict rules) under the pinned
 * provisioning key, the body names this camera's device key, and its serial
 * is above the one in force. Returns OK (event 6, audit kind 2); ERR_STATE
 * before camera_init or audit_start, while recording or from inside an
 * import (no event, nothing logged); ERR_CONFIG for a
 * malformed block, limits below the minimums, a refused recipient
 * (non-canonical, bit 255 set or u ≥ 2^255 − 19, or low-order) or a dock key
 * that is not a canonical point of large order; ERR_UNSIGNED for a signature
 * that does not verify under the pinned key or a configuration for another
 * camera; ERR_ROLLBACK for a serial not above the current one. On every
 * refusal the configuration in force is unchanged and event 7 carries the
 * code and the serial read (0 when the block was too short to hold one);
 * audit kind 3 logs the same. Both entries' ref is the SHA-256 of the `len`
 * bytes given. An entry that cannot be written does not change the result
 * (event 9 says so).
 */
export function camera_configure(cfg: usize, len: usize): i32 {
  checkWindow(cfg, len);
  if (!initialised || !auditStarted() || recording || busy) return ERR_STATE;
  busy = true;
  // The audit entry's ref: the bytes as given, hashed before any import can run.
  sha256(CFG_HASH, cfg, len);
  const rc = applyConfig(cfg, len);
  if (rc == OK) {
    event(EV_CONFIG_ACCEPTED, configSerial, recipientCount);
    auditAppend(AUDIT_CONFIG_ACCEPTED, configSerial, <u64>recipientCount, CFG_HASH);
  } else {
    const serial = len >= 48 ? load<u64>(cfg, 40) : 0; // read once: the event import could change the window
    event(EV_CONFIG_REFUSED, rc, serial);
    auditAppend(AUDIT_CONFIG_REFUSED, <u64>rc, serial, CFG_HASH);
  }
  busy = false;
  return rc;
}

function applyConfig(cfg: usize, len: usize): i32 {
  // The shape first: nothing else is read from a block of the wrong size.
  if (len < CFG_BODY_BYTES + 32 + 64 || len > <usize>CONFIG_BYTES_MAX) return ERR_CONFIG;
  const count = <usize>load<u32>(cfg, 64);
  if (count < 1 || count > <usize>MAX_RECIPIENTS || len != CFG_BODY_BYTES + (count << 5) + 64) return ERR_CONFIG;
  const body = CFG_BODY_BYTES + (count << 5);
  if (load<u64>(cfg) != CFG_MAGIC || load<u32>(cfg, 68) != 0) return ERR_CONFIG;
  if (load<u64>(cfg, 112) != 0 || load<u64>(cfg, 120) != 0) return ERR_CONFIG;
  // Then who signed it, and for whom: nothing unsigned is acted on.
  memory.copy(CFG_MESSAGE, CFG_DOMAIN, CFG_DOMAIN_BYTES);
  memory.copy(CFG_MESSAGE + CFG_DOMAIN_BYTES, cfg, body);
  if (ed25519_verify(cfg + body, CFG_MESSAGE, CFG_DOMAIN_BYTES + body, PROVISIONING) != OK) return ERR_UNSIGNED;
  // From here on every field is read from the copy the signature covers, not
  // from the host's window, so nothing can change between check and use.
  const c = CFG_MESSAGE + CFG_DOMAIN_BYTES;
  if (memory.compare(c + 8, PK, 32) != 0) return ERR_UNSIGNED; // public bytes: compare freely
  const serial = load<u64>(c, 40);
  if (serial == 0 || serial >= TIME_LIMIT_US) return ERR_CONFIG; // below 2^53, as FORMAT.md's integers
  if (serial <= configSerial) return ERR_ROLLBACK;
  // Then what it says.
  const duration = load<u64>(c, 48);
  const size = load<u64>(c, 56);
  if (duration < MIN_DURATION_US || size < MIN_SEGMENT_BYTES) return ERR_CONFIG;
  const preEvent = load<u64>(c, 104);
  if (preEvent != 0 && (preEvent < MIN_PRE_EVENT_US || preEvent > MAX_PRE_EVENT_US)) return ERR_CONFIG;
  let dockSet = false;
  for (let i: usize = 0; i < 32; i++) if (load<u8>(c + 72 + i) != 0) dockSet = true;
  if (dockSet && ed25519_check_public(c + 72) != OK) return ERR_CONFIG;
  // age refuses an all-zero shared secret; find such recipients now rather
  // than at every segment opening. A non-canonical encoding would pass the
  // probe (x25519 reduces it) but not decrypt (canonicalU).
  for (let i: usize = 0; i < count; i++) {
    const r = c + CFG_BODY_BYTES + (i << 5);
    if (!canonicalU(r)) return ERR_CONFIG;
    if (x25519(PROBE, PROBE_SCALAR, r) != OK) return ERR_CONFIG;
  }
  memory.copy(RECIPIENTS, c + CFG_BODY_BYTES, count << 5);
  memory.copy(DOCK, c + 72, 32);
  recipientCount = count;
  durationLimit = duration;
  sizeLimit = size;
  preEventLimit = preEvent;
  configSerial = serial;
  configured = true;
  return OK;
}

/** Serial of the configuration in force (0: none accepted since camera_init). */
export function camera_config_serial(): u64 {
  return configSerial;
}

/**
 * Writes the 32-byte dock public key of the configuration in force to `out`
 * (zeros: none); `out` must lie inside the I/O window, or the call traps.
 */
export function camera_dock_key(out: usize): void {
  checkWindow(out, 32);
  memory.copy(out, DOCK, 32);
}

/**
 * Writes the 32-byte device public key to `out` (zeros before camera_init);
 * `out` must lie inside the I/O window, or the call traps.
 */
export function camera_public_key(out: usize): void {
  checkWindow(out, 32);
  memory.copy(out, PK, 32);
}

/**
 * Starts a recording: draws a new 16-byte recording id (entropy), numbers
 * frames from 0, segments from 0, and resets the record and manifest chains.
 * Returns OK; ERR_STATE if not configured (which needs audit_start first),
 * already recording or called from inside an import; ERR_ENTROPY (not
 * recording, the last id kept). Event 1 and audit kind 4 (a = 0, ref the
 * recording); an entry that cannot be written does not stop the recording
 * (event 9).
 */
export function recording_start(): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = startRecording(false);
  busy = false;
  return rc;
}

/**
 * Starts a recording in pre-event mode (docs/ABI.md "Pre-event buffer"): as
 * recording_start, but its segments are written without an age header and
 * parked, their file keys kept in module memory only, until
 * recording_trigger makes the ones still inside the pre-event window
 * evidence; older ones expire (keys wiped, storage_drop). Returns OK (event 1
 * with a = 1); ERR_STATE as recording_start; ERR_CONFIG if the configuration
 * in force sets no pre-event duration; ERR_ENTROPY.
 */
export function recording_buffer(): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = startRecording(true);
  busy = false;
  return rc;
}

function startRecording(buffer: bool): i32 {
  if (!configured || !auditStarted() || recording) return ERR_STATE;
  if (buffer && preEventLimit == 0) return ERR_CONFIG;
  if (entropy(NEW_ID, 16) != 0) return ERR_ENTROPY;
  memory.copy(RECORDING, NEW_ID, 16);
  memory.fill(CHAIN, 0, 32);
  nextFrame = 0;
  segmentsReset(); // manifest chain, sequence numbers, no segment open
  inFrame = false;
  recording = true;
  buffering = buffer;
  event(EV_STARTED, buffer ? 1 : 0, 0);
  auditAppend(AUDIT_RECORDING_STARTED, buffer ? 1 : 0, 0, auditRecordingRef()); // not written: event 9, recording anyway
  return OK;
}

/**
 * Writes the current (or last) 16-byte recording id to `out` (zeros before
 * the first); `out` must lie inside the I/O window, or the call traps.
 */
export function recording_id(out: usize): void {
  checkWindow(out, 16);
  memory.copy(out, RECORDING, 16);
}

/**
 * Announces a frame: capture time `time_us` (µs, i64, 0 ≤ time < 2^53),
 * `length` bytes (1..MAX_FRAME_BYTES), `flags` (bit 0: keyframe; other bits
 * are ignored). Before a keyframe, closes the open segment if it has lasted
 * the duration limit (this time − its first frame's) or holds the size
 * limit in plaintext; opens a segment when none is open; then writes the
 * entry head.
 *
 * Returns OK; ERR_STATE (not recording, a frame in progress, called from
 * inside an import, or the sequence numbers are used up: no segment can
 * open after 0xFFFFFFFE); ERR_FRAME_SIZE, ERR_TIME (time negative or
 * ≥ 2^53) or ERR_FRAME_ORDER (time earlier than the last accepted frame's),
 * nothing written; ERR_ENTROPY (no segment opened; a segment cut just
 * before was committed); ERR_STORAGE (the segment was aborted); ERR_FULL
 * (storage full: the segment was aborted and the recording stopped, event 8).
 * On any error no frame is in progress.
 */
export function frame_begin(time_us: u64, length: u32, flags: u32): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = stopIfFull(beginFrame(time_us, length, flags));
  busy = false;
  return rc;
}

function beginFrame(time_us: u64, length: u32, flags: u32): i32 {
  if (!recording || inFrame) return ERR_STATE;
  if (length == 0 || length > <u32>MAX_FRAME_BYTES) return ERR_FRAME_SIZE;
  // Unsigned: a negative i64 is ≥ 2^63, so one comparison refuses both.
  if (time_us >= TIME_LIMIT_US) return ERR_TIME;
  if (nextFrame > 0 && time_us < lastTime) return ERR_FRAME_ORDER;
  const key = flags & 1;
  // Pre-event buffer: parked segments now outside the window expire before
  // anything of this frame is written, and again after a cut parked one.
  if (buffering) parkExpire(time_us, preEventLimit);
  if (segmentOpen() && key != 0 && (time_us - segmentFirstTime() >= durationLimit || streamPlainBytes() >= sizeLimit)) {
    const rc = closeSegment(false, lastTime);
    if (rc != OK) return rc;
    if (buffering) parkExpire(time_us, preEventLimit);
  }
  if (!segmentOpen()) {
    const rc = openSegment(recipientCount, nextFrame, buffering);
    if (rc != OK) return rc;
  }
  const wrote = streamWrite(frameHead(<u64>length), FRAME_HEAD_BYTES); // OK, ERR_STORAGE or ERR_FULL
  if (wrote != OK) return abortSegment(wrote);
  sha512_init(FRAME_CTX);
  frameLen = <u64>length;
  frameGot = 0;
  frameTime = time_us;
  frameFlags = key;
  inFrame = true;
  return OK;
}

/**
 * Feeds the next `len` bytes of the frame in progress from `ptr` (any split
 * of the frame gives the same output). [ptr, ptr + len) must lie inside the
 * I/O window, or the call traps before anything changes. Returns OK;
 * ERR_STATE (no frame in progress, or called from inside an import);
 * ERR_FRAME_SIZE if more bytes than announced remain (nothing consumed, the
 * frame stays in progress); ERR_STORAGE (the segment was aborted, the frame
 * dropped); ERR_FULL (as ERR_STORAGE, and the recording stopped).
 */
export function frame_data(ptr: usize, len: usize): i32 {
  checkWindow(ptr, len);
  if (busy) return ERR_STATE;
  busy = true;
  const rc = stopIfFull(feedFrame(ptr, len));
  busy = false;
  return rc;
}

function feedFrame(ptr: usize, len: usize): i32 {
  if (!inFrame) return ERR_STATE;
  if (<u64>len > frameLen - frameGot) return ERR_FRAME_SIZE;
  sha512_update(FRAME_CTX, ptr, len);
  const wrote = streamWrite(ptr, len); // OK, ERR_STORAGE or ERR_FULL
  if (wrote != OK) return abortFrame(wrote);
  frameGot += <u64>len;
  return OK;
}

/**
 * Completes the frame in progress: builds its record (SHA-512 of the bytes,
 * previous record hash), signs it and appends record ‖ signature; the frame
 * takes the next frame number. Returns OK; ERR_STATE (no frame in progress,
 * or called from inside an import); ERR_FRAME_SIZE if fewer bytes came than
 * announced (the frame is dropped and, since its entry is already partly
 * sealed, the segment is aborted); ERR_STORAGE (the segment was aborted, the
 * frame dropped without a number, its signed record wiped); ERR_FULL (as
 * ERR_STORAGE, and the recording stopped).
 */
export function frame_end(): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = stopIfFull(endFrame());
  busy = false;
  return rc;
}

function endFrame(): i32 {
  if (!inFrame) return ERR_STATE;
  if (frameGot != frameLen) return abortFrame(ERR_FRAME_SIZE);
  inFrame = false;
  const tail = frameRecordSeal(
    PK, RECORDING, nextFrame, frameTime, frameFlags, segmentSequence(), frameLen, FRAME_CTX, CHAIN, SK, NEXT_CHAIN,
  );
  const wrote = streamWrite(tail, FRAME_TAIL_BYTES); // OK, ERR_STORAGE or ERR_FULL
  if (wrote != OK) return abortSegment(wrote);
  memory.copy(CHAIN, NEXT_CHAIN, 32);
  segmentAddFrame(frameTime);
  lastTime = frameTime;
  nextFrame++;
  return OK;
}

/**
 * Closes the open segment now, not final (trailer, last chunk, digest,
 * manifest, commit). Returns OK (also when none is open); ERR_STATE while a
 * frame is in progress or when called from inside an import; ERR_STORAGE
 * (the segment was aborted); ERR_FULL (as ERR_STORAGE, and the recording
 * stopped). Not to be called just before recording_stop:
 * the final flag goes only on a segment open at stop.
 */
export function segment_close(): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = inFrame ? ERR_STATE : segmentOpen() ? stopIfFull(closeSegment(false, lastTime)) : OK;
  busy = false;
  return rc;
}

/**
 * Ends the recording: closes the open segment as final (if one is open; with
 * none open, no segment of the recording is marked final). Returns OK;
 * ERR_STATE if not recording, a frame is in progress, or called from inside
 * an import; ERR_STORAGE or ERR_FULL (that segment was aborted; the
 * recording has ended anyway). Event 5.
 */
export function recording_stop(): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = stopRecording();
  busy = false;
  return rc;
}

function stopRecording(): i32 {
  if (!recording || inFrame) return ERR_STATE;
  if (buffering) dropBuffer(); // untriggered: nothing of it becomes evidence, no segment is left open
  const rc = segmentOpen() ? stopIfFull(closeSegment(true, lastTime)) : OK;
  recording = false;
  event(EV_STOPPED, nextFrame, 0);
  // b: every segment of the recording committed (at close, and by the trigger).
  auditAppend(AUDIT_RECORDING_STOPPED, nextFrame, segmentsCommitted() + parkKept(), auditRecordingRef());
  return rc;
}

/**
 * Full storage (docs/ABI.md "Full storage"): when `rc` is ERR_FULL, the open
 * segment has been aborted (event 4 with ERR_FULL); this ends the
 * recording: parked segments of an untriggered buffer are dropped (keys
 * wiped, storage_drop), event 8 and audit kind 7 (the frame number the next
 * frame would get, the aborted segment's sequence). Nothing committed is
 * touched. Returns `rc`; does nothing for any other code.
 */
function stopIfFull(rc: i32): i32 {
  if (rc != ERR_FULL) return rc;
  parkDropAll(); // none left after a trigger that completed
  buffering = false;
  inFrame = false;
  recording = false;
  const sequence = <u64>segmentSequence(); // the segment just aborted
  event(EV_FULL, nextFrame, sequence);
  auditAppend(AUDIT_STORAGE_FULL, nextFrame, sequence, auditRecordingRef());
  return rc;
}

/** The frame number the next frame will get (i64). */
export function frames_recorded(): u64 {
  return nextFrame;
}

/**
 * Starts the audit log (docs/ABI.md "The audit log"; the work is audit.ts's
 * auditStart): `len` = 0 begins a new log (index 0, previous hash zero);
 * `len` = AUDIT_ENTRY_BYTES (200) continues after the last stored entry at
 * `ptr`, which must name this device, have zero reserved bytes and carry a
 * signature that verifies under the device key (strict rules); it is copied
 * into module memory and read only from there. Then writes the boot entry
 * (kind 1: a = 1 when continued, 0 when new). [ptr, ptr + len) must lie
 * inside the I/O window (an empty range must start inside it), or the call
 * traps before anything changes.
 *
 * Once per instance, after camera_init and before anything that logs:
 * camera_configure, recording_start, recording_buffer, dock_auth,
 * receipt_check and audit_note return ERR_STATE until it has succeeded.
 * Returns OK; ERR_STATE before camera_init, when already started or called
 * from inside an import; ERR_CONFIG for a length other than 0 or 200,
 * reserved bytes not zero, another device's entry, or an index of 2^64 − 1;
 * ERR_UNSIGNED for a signature that does not verify; ERR_STORAGE when the
 * boot entry could not be written (event 9; the log is not started, the
 * call can be repeated).
 */
export function audit_start(ptr: usize, len: usize): i32 {
  checkWindow(ptr, len);
  if (!initialised || auditStarted() || busy) return ERR_STATE;
  busy = true;
  const rc = auditStart(ptr, len);
  busy = false;
  return rc;
}

/**
 * Logs a host-observed event in the audit log: `kind` 8 (power loss
 * detected), 10 (upload), 12 (deletion) or 13 (clock change), with `a` and
 * `b` (i64) and the 32 bytes at `ref` (docs/ABI.md "Kinds" says what each
 * carries). `ref` must lie inside the I/O window, or the call traps before
 * anything changes. Returns OK; ERR_STATE before audit_start or from inside
 * an import; ERR_CONFIG for any other kind (the rest are the module's own
 * to write); ERR_STORAGE when the entry could not be written (event 9).
 */
export function audit_note(kind: u32, a: u64, b: u64, ref: usize): i32 {
  checkWindow(ref, 32);
  if (!auditStarted() || busy) return ERR_STATE;
  busy = true;
  const rc = auditNote(kind, a, b, ref);
  busy = false;
  return rc;
}

/**
 * Writes the entry hash of the last audit entry written (32 zero bytes when
 * none has been, which includes before audit_start) at `out`, and returns
 * the index the next entry will get (i64). `out` must lie inside the I/O
 * window, or the call traps. Changes nothing and calls no import, so it
 * stays callable from inside an import.
 */
export function audit_head(out: usize): u64 {
  checkWindow(out, 32);
  memory.copy(out, auditPrevious(), 32);
  return auditNextIndex();
}

/**
 * Answers a dock's hello (FORMAT.md "Docking", "Dock hello") of `len` bytes
 * at `hello` (DOCK_HELLO_BYTES = 136): the hello must name the dock key of
 * the configuration in force and its signature over "sealcam/v1/dock-hello"
 * ‖ bytes 0–71 must verify under that key (strict rules). Then logs audit
 * kind 9 (a = the dock's time from the hello, ref = the dock key) and only
 * then signs the device answer, "sealcam/v1/dock-auth" ‖ device key ‖ dock
 * key ‖ challenge, writing the 64-byte signature at `out`. The hello is
 * copied into module memory and read only from there. Both ranges must lie
 * inside the I/O window, or the call traps before anything changes.
 *
 * Returns OK; ERR_STATE before audit_start, with no configuration accepted,
 * or called from inside an import; ERR_CONFIG for a length other than 136;
 * ERR_UNSIGNED when no dock key is configured, the hello names another dock
 * key or its signature does not verify; ERR_STORAGE when the audit entry
 * could not be written (event 9). Nothing is written at `out` unless OK.
 */
export function dock_auth(hello: usize, len: usize, out: usize): i32 {
  checkWindow(hello, len);
  checkWindow(out, 64);
  if (!auditStarted() || !configured || busy) return ERR_STATE;
  busy = true;
  const rc = dockAuth(hello, len, out);
  busy = false;
  return rc;
}

/**
 * Checks a dock's receipt (FORMAT.md "Docking", "Dock receipt") of `rlen`
 * bytes at `receipt` (RECEIPT_BYTES = 216) for the `slen`-byte subject at
 * `subject`: for a kind 1 receipt, the segment's manifest blob as committed
 * (MANIFEST_BYTES = 251); for kind 2, the audit entry it names
 * (AUDIT_ENTRY_BYTES = 200). Accepted only when the subject is this
 * device's (its signature verifies under the device key, strict rules; a
 * blob must start with the manifest domain), the receipt verifies under the
 * configured dock key, names this device and that dock, and names exactly
 * the subject (manifest hash, .age SHA-256 and size; or entry hash and
 * index). Then logs audit kind 11 (a = receipt kind; b = the segment's
 * sequence or the entry's index; ref = manifest or entry hash). Only after
 * OK may the host delete the segment (or the audit entries up to that
 * index). Both inputs are copied into module memory and read only from
 * there. Both ranges must lie inside the I/O window, or the call traps
 * before anything changes.
 *
 * Returns OK; ERR_STATE before audit_start, with no configuration accepted,
 * or called from inside an import; ERR_CONFIG for a wrong length (receipt,
 * or subject for the kind), an unknown kind, reserved bytes not zero
 * (offset 68, and offsets 112–143 of a kind 2 receipt); ERR_UNSIGNED when
 * no dock key is configured or a signature does not verify (the receipt's,
 * or the subject's); ERR_RECEIPT for a receipt the dock signed that names
 * another device, dock, segment or entry; ERR_STORAGE when the audit entry
 * could not be written (event 9; the receipt is not accepted).
 */
export function receipt_check(receipt: usize, rlen: usize, subject: usize, slen: usize): i32 {
  checkWindow(receipt, rlen);
  checkWindow(subject, slen);
  if (!auditStarted() || !configured || busy) return ERR_STATE;
  busy = true;
  const rc = receiptCheck(receipt, rlen, subject, slen);
  busy = false;
  return rc;
}

/**
 * Makes a pre-event buffer evidence (docs/ABI.md "Pre-event buffer"). First
 * every ephemeral secret it needs is drawn (park.ts parkDraw: 32 bytes of
 * entropy per recipient for each parked segment, oldest first, then for the
 * open segment, if any); then every parked segment, oldest first, gets its
 * age header and is committed with its manifest (park.ts parkCommitOldest:
 * storage_unpark, storage_commit_parked, event 3, audit kind 14); then the
 * open segment gets its header, to be committed header first when it closes.
 * The recording is then an ordinary one: later segments are written with
 * their header first and nothing more is parked or expires. Event 10 and
 * audit kind 6: the first frame kept (the first frame of the first segment
 * committed here, else of the open segment, else the next frame's number)
 * and the parked segments committed.
 *
 * A parked segment whose storage_unpark or storage_commit_parked fails is
 * dropped (event 4, audit kind 15) and the next one is tried: the manifests
 * chain over it. Returns OK; ERR_STATE if not recording in pre-event mode,
 * already triggered, or called from inside an import; ERR_ENTROPY (whatever
 * was drawn is wiped and nothing else changed: the recording still buffers,
 * nothing is committed; call again). May be called while a frame is in
 * progress: nothing of the open segment's stream is touched.
 */
export function recording_trigger(): i32 {
  if (busy) return ERR_STATE;
  busy = true;
  const rc = triggerBuffer();
  busy = false;
  return rc;
}

function triggerBuffer(): i32 {
  if (!recording || !buffering) return ERR_STATE;
  // All the entropy first, so a failure leaves the buffer exactly as it was.
  const open = segmentAwaitsHeader();
  const rc = parkDraw(recipientCount, open);
  if (rc != OK) return rc;
  while (parkCount() > 0) parkCommitOldest(recipientCount); // ERR_STORAGE: that one was dropped; go on
  if (open) segmentSealAtTrigger(recipientCount);
  parkDrawWipe();
  buffering = false;
  const first = parkKept() > 0 ? parkKeptFirst() : segmentOpen() ? segmentFirstFrame() : nextFrame;
  event(EV_TRIGGER, first, parkKept());
  auditAppend(AUDIT_TRIGGER, first, parkKept(), auditRecordingRef());
  return OK;
}

/**
 * recording_stop of an untriggered pre-event buffer: the open segment is
 * discarded (storage_abort, its keys wiped) and every parked one dropped
 * (storage_drop, keys wiped). No event but recording_stop's own.
 */
function dropBuffer(): void {
  if (segmentOpen()) segmentDiscard();
  parkDropAll();
  buffering = false;
}

/**
 * Drops the frame in progress and aborts its segment (abortSegment: storage
 * aborted, secrets and scratch wiped, event 4). Returns `code`.
 */
function abortFrame(code: i32): i32 {
  inFrame = false;
  return abortSegment(code);
}
