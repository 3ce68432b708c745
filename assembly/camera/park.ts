// The pre-event buffer's park slots (docs/ABI.md "Pre-event buffer", why in
// docs/DESIGN.md "The pre-event buffer").
//
// While a recording buffers, every segment is written without an age header:
// storage holds its payload (payload nonce ‖ STREAM chunks), and its 16-byte
// file key, the one secret that could ever decrypt it, lives only in module
// memory. When such a segment closes it is parked: storage keeps its payload
// uncommitted (storage_park) and its key and counters move into a slot here.
// A slot then ends in one of two ways:
//
//   - it expires (its last frame is older than the pre-event window, the
//     slots are full, or the recording stops untriggered): the key is wiped
//     and storage erases the payload (storage_drop). No stanza for it was ever
//     written, so nothing anywhere can decrypt those bytes again;
//   - the trigger commits it: fresh ephemeral secrets wrap the key to the
//     recipients, the age header goes in front of the payload
//     (storage_unpark, which reports the whole file's SHA-256), the manifest
//     is signed and the segment committed (storage_commit_parked).
//
// Slots form a ring in park order, which is sequence order and (frames only
// move forward in time) last-capture-time order too: the oldest slot is
// always the next to expire or to be committed, so nothing searches.
//
// Secrets: the file key in each used slot (wiped when the slot is freed, on
// every path), the trigger's ephemeral secrets (wiped by the header writer
// as each group is used, or here when a draw fails). Nothing here branches
// on or indexes by a key: slots are chosen by counters, and keys only pass
// through memory.copy, wipes and the crypto core. Not re-exported: index.ts
// exports PARK_SLOTS itself. The ring's index arithmetic needs SLOTS to be
// a power of two.

import { OK, ERR_ENTROPY, ERR_STORAGE } from "../errors";
import { wipe } from "../crypto/ct";
import { entropy, event, storage_unpark, storage_commit_parked, storage_drop } from "./imports";
import { auditAppend, auditRecordingRef, AUDIT_SEGMENT_COMMITTED, AUDIT_SEGMENT_ABORTED, AUDIT_SEGMENT_EXPIRED } from "./audit";
import { ageHeaderBytes, ageHeaderWrite, AGE_HEADER_FIXED_BYTES, AGE_STANZA_BYTES } from "../age/header";
import { manifestSeal, manifestWipe, MANIFEST_BLOB_BYTES } from "../evidence/manifest";
import { RECIPIENT_SLOTS, SK, PK, RECIPIENTS, RECORDING } from "./state";

/** Most segments parked at once (docs/ABI.md `PARK_SLOTS`). */
export const SLOTS: i32 = 64;

// Event kinds (docs/ABI.md "Events").
const EV_COMMITTED: i32 = 3;
const EV_ABORTED: i32 = 4;
const EV_EXPIRED: i32 = 12;

// One slot, 64 bytes:
const SLOT_BYTES: usize = 64;
const KEY: usize = 0; //          16  file key (secret)
const SEQUENCE: usize = 16; //     4  sequence number (then 4 bytes unused)
const FIRST: usize = 24; //        8  first frame number
const COUNT: usize = 32; //        8  frame count
const FIRST_TIME: usize = 40; //   8  capture time of the first frame
const LAST_TIME: usize = 48; //    8  capture time of the last frame
const PAYLOAD: usize = 56; //      8  bytes in storage: payload nonce ‖ chunks

const RING: usize = memory.data(<i32>SLOT_BYTES * SLOTS, 16);

/** The manifest hash of the last committed segment of the recording (zeros: none, or a pre-event start). */
export const PREV_MANIFEST: usize = memory.data(32, 16);
/** Manifest hash of the segment being committed (this file's and segment.ts's commits). */
export const NEXT_MANIFEST: usize = memory.data(32, 16);
/** SHA-256 of the .age file being committed, from storage_digest or storage_unpark. */
export const DIGEST: usize = memory.data(32, 16);
/**
 * The trigger's ephemeral secrets, drawn before anything is committed: one
 * group of 32 bytes per recipient for each parked segment, oldest first, and
 * one for the open segment (secret; each group wiped by the header writer as
 * it is used, the whole pool on every other path).
 */
const POOL_BYTES: usize = <usize>(SLOTS + 1) * 32 * <usize>RECIPIENT_SLOTS;
const POOL: usize = memory.data(<i32>POOL_BYTES, 16);
/** The age header of a parked segment being committed, for the most recipients. */
const HEADER: usize = memory.data(<i32>(AGE_HEADER_FIXED_BYTES + AGE_STANZA_BYTES * RECIPIENT_SLOTS), 16);

let head: i32 = 0; // ring index of the oldest slot
let used: i32 = 0; // slots in use
/** A segment of the recording expired and no manifest has been committed since. */
let startPending = false;
/**
 * The sequence right after the last expired one: only a segment with this
 * number can start the evidence. If it is lost (it failed to commit), the
 * next manifest carries no flag, and a verifier sees the loss as a gap.
 */
let startSequence: u32 = 0;
let kept: u64 = 0; // parked segments the trigger committed
let keptFirst: u64 = 0; // first frame of the first of them
let drawn: usize = 0; // groups of ephemerals drawn into POOL by parkDraw,
let taken: usize = 0; // and handed out by parkEphemerals

/** Address of the `i`th oldest used slot (0 = the oldest). */
// @ts-ignore: decorator
@inline
function slot(i: i32): usize {
  return RING + <usize>((head + i) & (SLOTS - 1)) * SLOT_BYTES;
}

/** Starts a recording's buffer: no slot used, nothing expired, nothing kept, manifest chain from zero. */
export function parkReset(): void {
  wipe(RING, <usize>SLOT_BYTES * SLOTS);
  memory.fill(PREV_MANIFEST, 0, 32);
  head = 0;
  used = 0;
  startPending = false;
  startSequence = 0;
  kept = 0;
  keptFirst = 0;
}

/** Segments parked now. */
export function parkCount(): i32 {
  return used;
}

/** True when every slot is in use (parking must expire the oldest first). */
export function parkFull(): bool {
  return used == SLOTS;
}

/**
 * Parks a closed segment: copies the 16-byte `fileKey` (the caller wipes its
 * own copy) and the segment's counters into the next slot. `payloadBytes`
 * is what storage holds of it (payload nonce ‖ chunks). The caller has made
 * room (parkFull is false).
 */
export function parkPush(
  fileKey: usize, sequence: u32, firstFrame: u64, count: u64, firstTime: u64, lastTime: u64, payloadBytes: u64,
): void {
  const s = slot(used);
  memory.copy(s + KEY, fileKey, 16);
  store<u32>(s, sequence, SEQUENCE);
  store<u64>(s, firstFrame, FIRST);
  store<u64>(s, count, COUNT);
  store<u64>(s, firstTime, FIRST_TIME);
  store<u64>(s, lastTime, LAST_TIME);
  store<u64>(s, payloadBytes, PAYLOAD);
  used++;
}

/** Frees the oldest slot, wiping all of it (the file key first of all). */
function pop(): void {
  wipe(slot(0), SLOT_BYTES);
  head = (head + 1) & (SLOTS - 1);
  used--;
}

/**
 * Expires the oldest parked segment: wipes its key, erases its payload
 * (storage_drop; its return is not acted on: with the key gone the bytes
 * decrypt under nothing), event 12 and audit kind 16 (sequence, frame
 * count). The next manifest committed starts the evidence: flag bit 1 and
 * a zero previous manifest hash.
 */
export function parkExpireOldest(): void {
  const s = slot(0);
  const sequence = load<u32>(s, SEQUENCE);
  const count = load<u64>(s, COUNT);
  pop();
  storage_drop(RECORDING, sequence);
  memory.fill(PREV_MANIFEST, 0, 32);
  startPending = true;
  startSequence = sequence + 1;
  event(EV_EXPIRED, <u64>sequence, count);
  auditAppend(AUDIT_SEGMENT_EXPIRED, <u64>sequence, count, auditRecordingRef());
}

/**
 * Expires, oldest first, every parked segment whose last frame was captured
 * more than `window` µs before `now` (the capture time of the frame being
 * announced, never earlier than any parked frame's).
 */
export function parkExpire(now: u64, window: u64): void {
  while (used > 0 && now - load<u64>(slot(0), LAST_TIME) > window) parkExpireOldest();
}

/**
 * Drops every parked segment without a trace in the chain (an untriggered
 * buffer at recording_stop, or when storage is full): keys wiped,
 * storage_drop for each, oldest first. No event: recording_stop and the
 * storage-full path report the whole.
 */
export function parkDropAll(): void {
  while (used > 0) {
    const sequence = load<u32>(slot(0), SEQUENCE);
    pop();
    storage_drop(RECORDING, sequence);
  }
}

/**
 * True when the manifest of segment `sequence`, about to be committed, must
 * carry flag bit 1 (pre-event start): a segment expired since the last
 * commit, and this is the segment right after the last expired one. A
 * segment lost in between (one that failed to commit) is a loss, not an
 * expiry: the manifest that follows it carries no flag.
 */
export function preEventStart(sequence: u32): bool {
  return startPending && sequence == startSequence;
}

/**
 * A segment's manifest (hash at NEXT_MANIFEST) was committed: the manifest
 * chain moves to it, a pending pre-event start is settled (recorded in it, or
 * lost with the segment it belonged to), event 3 and audit kind 14 (an entry
 * that cannot be written is reported by event 9; the segment stays committed).
 */
export function manifestCommitted(sequence: u32, count: u64): void {
  memory.copy(PREV_MANIFEST, NEXT_MANIFEST, 32);
  startPending = false;
  event(EV_COMMITTED, <u64>sequence, count);
  auditAppend(AUDIT_SEGMENT_COMMITTED, <u64>sequence, count, NEXT_MANIFEST);
}

/** Parked segments the trigger has committed so far in this recording. */
export function parkKept(): u64 {
  return kept;
}

/** First frame of the first parked segment the trigger committed (valid when parkKept() > 0). */
export function parkKeptFirst(): u64 {
  return keptFirst;
}

/**
 * Draws every ephemeral secret the trigger needs before it commits anything:
 * 32 bytes per recipient (`n`, in configuration order) for each parked
 * segment, oldest first, then, when `open`, for the open segment. Returns OK
 * or ERR_ENTROPY, after which everything drawn is wiped and nothing else has
 * changed: the trigger either has all it needs or does nothing.
 */
export function parkDraw(n: usize, open: bool): i32 {
  const groups = <usize>used + (open ? 1 : 0);
  const bytes = groups * (n << 5);
  let ok = true;
  for (let off: usize = 0; ok && off < bytes; off += 32) ok = entropy(POOL + off, 32) == 0;
  if (!ok) {
    wipe(POOL, bytes);
    return ERR_ENTROPY;
  }
  drawn = groups;
  taken = 0;
  return OK;
}

/**
 * The next group of `n` ephemeral secrets parkDraw drew (32 bytes each), in
 * the order it drew them; the header writer wipes them as it uses them.
 */
export function parkEphemerals(n: usize): usize {
  if (taken >= drawn) unreachable(); // the trigger draws exactly what it takes
  return POOL + (taken++) * (n << 5);
}

/** Wipes whatever is left of the trigger's pool (nothing, when every group was used). */
export function parkDrawWipe(): void {
  wipe(POOL, POOL_BYTES);
  drawn = 0;
  taken = 0;
}

/**
 * Commits the oldest parked segment for `n` recipients: its age header from
 * the next group of drawn ephemerals (parkEphemerals), key wiped and slot
 * freed, then commitParked. Returns OK (committed, counted as kept) or
 * ERR_STORAGE (the segment was dropped; see commitParked).
 */
export function parkCommitOldest(n: usize): i32 {
  const s = slot(0);
  // Always OK: camera_configure refuses low-order recipients. Wipes the group.
  ageHeaderWrite(HEADER, s + KEY, RECIPIENTS, n, parkEphemerals(n));
  const sequence = load<u32>(s, SEQUENCE);
  const first = load<u64>(s, FIRST);
  const count = load<u64>(s, COUNT);
  const firstTime = load<u64>(s, FIRST_TIME);
  const lastTime = load<u64>(s, LAST_TIME);
  const payload = load<u64>(s, PAYLOAD);
  pop(); // the key is in the stanzas now; the slot (and the key) go
  const done = commitParked(sequence, false, first, count, firstTime, lastTime, payload, HEADER, ageHeaderBytes(n));
  if (done == OK) {
    if (kept == 0) keptFirst = first;
    kept++;
  }
  return done;
}

/**
 * Commits a parked segment whose header is ready: the `headerLen` bytes at
 * `header` go before its `payloadBytes` in storage (storage_unpark, which
 * writes the file's SHA-256), the manifest is signed (age_bytes = headerLen +
 * payloadBytes; flag bit 1 and a zero previous hash if a segment expired
 * since the last commit) and committed (storage_commit_parked): event 3,
 * audit kind 14, the manifest chain advances. On a failure of either import
 * the segment is dropped (storage_drop), the manifest scratch wiped, event 4
 * and audit kind 15 (sequence, ERR_STORAGE); the chain stays where it was,
 * so the next manifest names the last committed one. Returns OK or
 * ERR_STORAGE.
 */
export function commitParked(
  sequence: u32, isFinal: bool, first: u64, count: u64, firstTime: u64, lastTime: u64, payloadBytes: u64,
  header: usize, headerLen: usize,
): i32 {
  if (storage_unpark(RECORDING, sequence, header, headerLen, DIGEST) != 0) return dropFailed(sequence);
  const blob = manifestSeal(
    PK, RECORDING, sequence, isFinal, preEventStart(sequence), first, count, firstTime, lastTime,
    <u64>headerLen + payloadBytes, DIGEST, PREV_MANIFEST, SK, NEXT_MANIFEST,
  );
  if (storage_commit_parked(RECORDING, sequence, blob, MANIFEST_BLOB_BYTES) != 0) {
    manifestWipe();
    return dropFailed(sequence);
  }
  manifestCommitted(sequence, count);
  return OK;
}

/** A parked segment that could not be committed: erased, reported (event 4, audit 15). Returns ERR_STORAGE. */
function dropFailed(sequence: u32): i32 {
  storage_drop(RECORDING, sequence);
  event(EV_ABORTED, <u64>sequence, <u64>ERR_STORAGE);
  auditAppend(AUDIT_SEGMENT_ABORTED, <u64>sequence, <u64>ERR_STORAGE, auditRecordingRef());
  return ERR_STORAGE;
}
