// The camera's segment lifecycle: opening a segment (fresh keys, age header,
// segment header), closing it (trailer, last chunk, digest, manifest, commit)
// and aborting it after a failure, with the state only they need: the
// per-segment secrets, the header and manifest hashes, the sequence numbers
// and the open segment's counters. index.ts decides when a segment opens,
// closes or aborts (docs/ABI.md); this file holds how. Split from index.ts to
// keep each file a few hundred lines; not re-exported, so nothing here
// becomes a wasm export.
//
// Secrets: per segment the file key (wiped once the header and payload key
// exist; a pre-event buffer's until it moves to a park slot, or the trigger
// writes its header, or the segment is aborted or discarded), the ephemeral
// secrets (wiped per stanza by the header writer) and the payload key (held
// and wiped by the stream at close or abort).

import { OK, ERR_STATE, ERR_ENTROPY, ERR_STORAGE, ERR_FULL } from "../errors";
import { wipe } from "../crypto/ct";
import { SHA512_CTX_BYTES } from "../crypto/sha512";
import { entropy, clock_us, storage_open, storage_digest, storage_commit, storage_abort, storage_park, event } from "./imports";
import { ageHeaderBytes, ageHeaderWrite, AGE_HEADER_FIXED_BYTES, AGE_STANZA_BYTES } from "../age/header";
import { streamStart, emit, streamWrite, streamFinish, streamWipe, streamSealedBytes } from "../age/stream";
import { frameRecordWipe } from "../evidence/record";
import { segmentHeader, trailerType, trailerSeal, trailerWipe, SEGMENT_HEADER_BYTES, TRAILER_TAIL_BYTES } from "../evidence/segment";
import { manifestSeal, manifestWipe, MANIFEST_BLOB_BYTES } from "../evidence/manifest";
import { RECIPIENT_SLOTS, SK, PK, RECIPIENTS, RECORDING, CHAIN, FRAME_CTX } from "./state";
import {
  PREV_MANIFEST, parkReset, parkFull, parkPush, parkExpireOldest, parkEphemerals, commitParked, preEventStart, manifestCommitted, NEXT_MANIFEST, DIGEST,
} from "./park";
import { auditAppend, auditRecordingRef, AUDIT_SEGMENT_ABORTED } from "./audit";

// Event kinds (docs/ABI.md "Events").
const EV_OPENED: i32 = 2;
const EV_ABORTED: i32 = 4;
const EV_PARKED: i32 = 11;

/** The last sequence number: a segment is never opened with it, so nextSequence cannot wrap. */
const LAST_SEQUENCE: u32 = 0xffffffff;

const HEADER_HASH: usize = memory.data(32, 16); // SHA-256 of the open segment's header
const FILE_KEY: usize = memory.data(16, 16); // (secret)
const EPHEMERALS: usize = memory.data(32 * RECIPIENT_SLOTS, 16); // (secret)
const PAYLOAD_NONCE: usize = memory.data(16, 16);
// age header ‖ payload nonce, for the most recipients
const AGE_HEADER: usize = memory.data(<i32>(AGE_HEADER_FIXED_BYTES + AGE_STANZA_BYTES * RECIPIENT_SLOTS) + 16, 16);

let segOpen = false;
let nextSequence: u32 = 0; // number the next segment gets
let committed: u64 = 0; // segments of the recording committed at close (segmentsCommitted)

let seq: u32 = 0; // open segment: sequence number,
let segFirst: u64 = 0; // first frame number,
let segCount: u64 = 0; // frames accepted,
let segFirstTime: u64 = 0; // capture time of its first frame
// Pre-event buffer (park.ts): the open segment was opened without an age
// header, its file key kept in FILE_KEY; once the trigger has written its
// header into AGE_HEADER (and wiped the key), segHeaderLen is that length.
let segBuffered = false;
let segHeaderLen: usize = 0;

/** Starts the segments of a new recording: none open, numbered from 0, manifest chain reset, no segment parked. */
export function segmentsReset(): void {
  parkReset(); // also zeroes PREV_MANIFEST
  nextSequence = 0;
  committed = 0;
  segOpen = false;
  segBuffered = false;
  segHeaderLen = 0;
}

/**
 * Segments of the recording committed as they closed (closeSegment, and a
 * segment open at the trigger committed when it closed); the parked ones the
 * trigger committed are park.ts's parkKept().
 */
export function segmentsCommitted(): u64 {
  return committed;
}

/** True while a segment is open. */
export function segmentOpen(): bool {
  return segOpen;
}

/** The open segment's sequence number. */
export function segmentSequence(): u32 {
  return seq;
}

/** Capture time of the open segment's first frame (valid once it has a frame). */
export function segmentFirstTime(): u64 {
  return segFirstTime;
}

/** Counts a frame accepted into the open segment, captured at `time`. */
export function segmentAddFrame(time: u64): void {
  if (segCount == 0) segFirstTime = time;
  segCount++;
}

/**
 * Opens a segment whose first frame will be number `firstFrame`, for the
 * first `n` configured recipients: draws the file key, one ephemeral secret
 * per recipient and the payload nonce (in that order), writes the age header
 * and the segment header, then reports event 2. ERR_ENTROPY, and ERR_STATE
 * once the sequence numbers are used up, leave nothing open or consumed.
 * ERR_STORAGE, or ERR_FULL when storage_open or storage_append returned 2
 * (storage full): the segment was aborted (abortSegment), its number used.
 *
 * `buffered` (a pre-event buffer, park.ts): draws the file key and the
 * payload nonce only, writes no age header (storage gets the payload nonce
 * first) and keeps the file key in FILE_KEY until the segment is parked,
 * aborted or given its header by the trigger (segmentSealAtTrigger).
 */
export function openSegment(n: usize, firstFrame: u64, buffered: bool): i32 {
  if (nextSequence == LAST_SEQUENCE) return ERR_STATE;
  const stanzas: usize = buffered ? 0 : n;
  let ok = entropy(FILE_KEY, 16) == 0;
  for (let i: usize = 0; ok && i < stanzas; i++) ok = entropy(EPHEMERALS + (i << 5), 32) == 0;
  if (ok) ok = entropy(PAYLOAD_NONCE, 16) == 0;
  if (!ok) {
    wipe(FILE_KEY, 16);
    wipe(EPHEMERALS, stanzas << 5);
    return ERR_ENTROPY;
  }
  let headerLen: usize = 0;
  if (!buffered) {
    const rc = ageHeaderWrite(AGE_HEADER, FILE_KEY, RECIPIENTS, n, EPHEMERALS); // wipes EPHEMERALS
    if (rc != OK) {
      wipe(FILE_KEY, 16); // unreachable: camera_configure rejects low-order recipients
      return rc;
    }
    headerLen = ageHeaderBytes(n);
  }
  memory.copy(AGE_HEADER + headerLen, PAYLOAD_NONCE, 16);
  streamStart(FILE_KEY, PAYLOAD_NONCE);
  if (!buffered) wipe(FILE_KEY, 16);
  segBuffered = buffered;
  segHeaderLen = 0;
  seq = nextSequence++;
  segOpen = true;
  segFirst = firstFrame;
  segCount = 0;
  const opened = storage_open(RECORDING, seq);
  if (opened != 0) return abortSegment(opened == 2 ? ERR_FULL : ERR_STORAGE); // 2: storage full
  let wrote = emit(AGE_HEADER, headerLen + 16); // OK, ERR_STORAGE or ERR_FULL
  if (wrote != OK) return abortSegment(wrote);
  const header = segmentHeader(PK, RECORDING, seq, firstFrame, clock_us(), CHAIN, HEADER_HASH);
  wrote = streamWrite(header, SEGMENT_HEADER_BYTES);
  if (wrote != OK) return abortSegment(wrote);
  event(EV_OPENED, <u64>seq, firstFrame);
  return OK;
}

/**
 * Closes the open segment and commits it; `lastTime` is the capture time of
 * its last frame. A segment with no frame is never signed: it is aborted
 * with ERR_STATE instead (unreachable: a segment opens in frame_begin, and
 * that frame either ends, or aborts the segment, before any export can close
 * it). On commit: event 3 and audit kind 14 (sequence, frame count,
 * manifest hash). ERR_STORAGE, or ERR_FULL (storage_append returned 2): the
 * segment was aborted.
 */
export function closeSegment(isFinal: bool, lastTime: u64): i32 {
  if (segCount == 0) return abortSegment(ERR_STATE);
  const tail = trailerSeal(
    PK, RECORDING, seq, isFinal, segFirst, segCount, segFirstTime, lastTime, clock_us(), HEADER_HASH, CHAIN, SK,
  );
  let wrote = streamWrite(trailerType(), 1); // OK, ERR_STORAGE or ERR_FULL
  if (wrote == OK) wrote = streamWrite(tail, TRAILER_TAIL_BYTES);
  if (wrote == OK) wrote = streamFinish();
  if (wrote != OK) return abortSegment(wrote);
  if (segBuffered) return parkSegment(isFinal, lastTime);
  if (storage_digest(DIGEST) != 0) return abortSegment(ERR_STORAGE);
  const blob = manifestSeal(
    PK, RECORDING, seq, isFinal, preEventStart(seq), segFirst, segCount, segFirstTime, lastTime,
    streamSealedBytes(), DIGEST, PREV_MANIFEST, SK, NEXT_MANIFEST,
  );
  if (storage_commit(blob, MANIFEST_BLOB_BYTES) != 0) return abortSegment(ERR_STORAGE);
  segOpen = false;
  committed++;
  manifestCommitted(seq, segCount);
  return OK;
}

/**
 * Aborts the open segment after a failure: segmentDiscard (storage_abort,
 * and every secret and signed-but-unwritten scratch wiped); event 4 and
 * audit kind 15 (sequence, code; an
 * entry that cannot be written is reported by event 9). Returns `code`. The
 * frame in progress, if any, is index.ts's to drop (abortFrame); openSegment
 * and closeSegment only run with none.
 */
export function abortSegment(code: i32): i32 {
  segmentDiscard();
  event(EV_ABORTED, <u64>seq, <u64>code);
  auditAppend(AUDIT_SEGMENT_ABORTED, <u64>seq, <u64>code, auditRecordingRef());
  return code;
}

/**
 * A buffered segment's close, after its last chunk (closeSegment): storage
 * keeps its payload as a parked segment (storage_park). Before the trigger
 * it takes a park slot (the oldest parked segment expiring first when all
 * are in use), its file key moves there and FILE_KEY is wiped: event 11
 * (sequence, frame count). The segment that was open at the trigger already
 * has its header (segmentSealAtTrigger): it is committed at once
 * (commitParked: OK, or ERR_STORAGE with the segment dropped).
 * ERR_STORAGE if storage_park fails (the segment is aborted).
 */
function parkSegment(isFinal: bool, lastTime: u64): i32 {
  const headerLen = segHeaderLen;
  if (headerLen == 0 && parkFull()) parkExpireOldest();
  if (storage_park() != 0) return abortSegment(ERR_STORAGE);
  segOpen = false;
  segBuffered = false;
  segHeaderLen = 0;
  const payload = streamSealedBytes();
  if (headerLen != 0) {
    const rc = commitParked(seq, isFinal, segFirst, segCount, segFirstTime, lastTime, payload, AGE_HEADER, headerLen);
    if (rc != OK) trailerWipe(); // dropped: no signed trailer of it stays behind
    else committed++;
    return rc;
  }
  parkPush(FILE_KEY, seq, segFirst, segCount, segFirstTime, lastTime, payload);
  wipe(FILE_KEY, 16);
  event(EV_PARKED, <u64>seq, segCount);
  return OK;
}

/** True while the open segment is a buffered one still without its age header (the trigger owes it one). */
export function segmentAwaitsHeader(): bool {
  return segOpen && segBuffered && segHeaderLen == 0;
}

/**
 * At the trigger, the open buffered segment (segmentAwaitsHeader) gets its
 * age header for the first `n` recipients now, from the last group of
 * ephemeral secrets the trigger drew (park.ts parkDraw, parkEphemerals;
 * wiped by the header writer), written to AGE_HEADER; its file key is then
 * wiped. It is committed, header first, when it closes (parkSegment).
 */
export function segmentSealAtTrigger(n: usize): void {
  // Always OK: camera_configure refuses low-order recipients.
  ageHeaderWrite(AGE_HEADER, FILE_KEY, RECIPIENTS, n, parkEphemerals(n));
  wipe(FILE_KEY, 16);
  segHeaderLen = ageHeaderBytes(n);
}

/** First frame number of the open segment (valid while one is open). */
export function segmentFirstFrame(): u64 {
  return segFirst;
}

/**
 * Discards the open segment, with no event: storage_abort; wiped: the
 * payload key, chunk nonce and chunk buffer (streamWipe), the frame hash
 * context, the record, trailer and manifest scratch, and a buffered
 * segment's file key (park.ts). abortSegment reports it on top; at
 * recording_stop an untriggered pre-event buffer's open segment goes this
 * way alone: it never was evidence.
 */
export function segmentDiscard(): void {
  storage_abort();
  streamWipe();
  wipe(FRAME_CTX, SHA512_CTX_BYTES);
  frameRecordWipe();
  trailerWipe();
  manifestWipe();
  wipe(FILE_KEY, 16);
  segOpen = false;
  segBuffered = false;
  segHeaderLen = 0;
}
