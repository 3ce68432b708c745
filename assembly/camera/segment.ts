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
// exist), the ephemeral secrets (wiped per stanza by the header writer) and
// the payload key (held and wiped by the stream at close or abort).

import { OK, ERR_STATE, ERR_ENTROPY, ERR_STORAGE } from "../errors";
import { wipe } from "../crypto/ct";
import { SHA512_CTX_BYTES } from "../crypto/sha512";
import { entropy, clock_us, storage_open, storage_digest, storage_commit, storage_abort, event } from "./imports";
import { ageHeaderBytes, ageHeaderWrite, AGE_HEADER_FIXED_BYTES, AGE_STANZA_BYTES } from "../age/header";
import { streamStart, emit, streamWrite, streamFinish, streamWipe, streamSealedBytes } from "../age/stream";
import { frameRecordWipe } from "../evidence/record";
import { segmentHeader, trailerType, trailerSeal, trailerWipe, SEGMENT_HEADER_BYTES, TRAILER_TAIL_BYTES } from "../evidence/segment";
import { manifestSeal, manifestWipe, MANIFEST_BLOB_BYTES } from "../evidence/manifest";
import { RECIPIENT_SLOTS, SK, PK, RECIPIENTS, RECORDING, CHAIN, FRAME_CTX } from "./state";

// Event kinds (docs/ABI.md "Events").
const EV_OPENED: i32 = 2;
const EV_COMMITTED: i32 = 3;
const EV_ABORTED: i32 = 4;

/** The last sequence number: a segment is never opened with it, so nextSequence cannot wrap. */
const LAST_SEQUENCE: u32 = 0xffffffff;

const PREV_MANIFEST: usize = memory.data(32, 16); // manifest hash of the last committed segment
const NEXT_MANIFEST: usize = memory.data(32, 16); // manifest hash of the segment being committed
const HEADER_HASH: usize = memory.data(32, 16); // SHA-256 of the open segment's header
const DIGEST: usize = memory.data(32, 16); // SHA-256 of the .age file, from storage_digest
const FILE_KEY: usize = memory.data(16, 16); // (secret)
const EPHEMERALS: usize = memory.data(32 * RECIPIENT_SLOTS, 16); // (secret)
const PAYLOAD_NONCE: usize = memory.data(16, 16);
// age header ‖ payload nonce, for the most recipients
const AGE_HEADER: usize = memory.data(<i32>(AGE_HEADER_FIXED_BYTES + AGE_STANZA_BYTES * RECIPIENT_SLOTS) + 16, 16);

let segOpen = false;
let nextSequence: u32 = 0; // number the next segment gets

let seq: u32 = 0; // open segment: sequence number,
let segFirst: u64 = 0; // first frame number,
let segCount: u64 = 0; // frames accepted,
let segFirstTime: u64 = 0; // capture time of its first frame

/** Starts the segments of a new recording: none open, numbered from 0, manifest chain reset. */
export function segmentsReset(): void {
  memory.fill(PREV_MANIFEST, 0, 32);
  nextSequence = 0;
  segOpen = false;
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
 */
export function openSegment(n: usize, firstFrame: u64): i32 {
  if (nextSequence == LAST_SEQUENCE) return ERR_STATE;
  let ok = entropy(FILE_KEY, 16) == 0;
  for (let i: usize = 0; ok && i < n; i++) ok = entropy(EPHEMERALS + (i << 5), 32) == 0;
  if (ok) ok = entropy(PAYLOAD_NONCE, 16) == 0;
  if (!ok) {
    wipe(FILE_KEY, 16);
    wipe(EPHEMERALS, n << 5);
    return ERR_ENTROPY;
  }
  const rc = ageHeaderWrite(AGE_HEADER, FILE_KEY, RECIPIENTS, n, EPHEMERALS); // wipes EPHEMERALS
  if (rc != OK) {
    wipe(FILE_KEY, 16); // unreachable: camera_configure rejects low-order recipients
    return rc;
  }
  const headerLen = ageHeaderBytes(n);
  memory.copy(AGE_HEADER + headerLen, PAYLOAD_NONCE, 16);
  streamStart(FILE_KEY, PAYLOAD_NONCE);
  wipe(FILE_KEY, 16);
  seq = nextSequence++;
  segOpen = true;
  segFirst = firstFrame;
  segCount = 0;
  if (storage_open(RECORDING, seq) != 0) return abortSegment(ERR_STORAGE);
  if (emit(AGE_HEADER, headerLen + 16) != OK) return abortSegment(ERR_STORAGE);
  const header = segmentHeader(PK, RECORDING, seq, firstFrame, clock_us(), CHAIN, HEADER_HASH);
  if (streamWrite(header, SEGMENT_HEADER_BYTES) != OK) return abortSegment(ERR_STORAGE);
  event(EV_OPENED, <u64>seq, firstFrame);
  return OK;
}

/**
 * Closes the open segment and commits it; `lastTime` is the capture time of
 * its last frame. A segment with no frame is never signed: it is aborted
 * with ERR_STATE instead (unreachable: a segment opens in frame_begin, and
 * that frame either ends, or aborts the segment, before any export can close
 * it).
 */
export function closeSegment(isFinal: bool, lastTime: u64): i32 {
  if (segCount == 0) return abortSegment(ERR_STATE);
  const tail = trailerSeal(
    PK, RECORDING, seq, isFinal, segFirst, segCount, segFirstTime, lastTime, clock_us(), HEADER_HASH, CHAIN, SK,
  );
  if (streamWrite(trailerType(), 1) != OK) return abortSegment(ERR_STORAGE);
  if (streamWrite(tail, TRAILER_TAIL_BYTES) != OK) return abortSegment(ERR_STORAGE);
  if (streamFinish() != OK) return abortSegment(ERR_STORAGE);
  if (storage_digest(DIGEST) != 0) return abortSegment(ERR_STORAGE);
  const blob = manifestSeal(
    PK, RECORDING, seq, isFinal, segFirst, segCount, segFirstTime, lastTime,
    streamSealedBytes(), DIGEST, PREV_MANIFEST, SK, NEXT_MANIFEST,
  );
  if (storage_commit(blob, MANIFEST_BLOB_BYTES) != 0) return abortSegment(ERR_STORAGE);
  memory.copy(PREV_MANIFEST, NEXT_MANIFEST, 32);
  segOpen = false;
  event(EV_COMMITTED, <u64>seq, segCount);
  return OK;
}

/**
 * Aborts the open segment after a failure: storage_abort; wiped: the payload
 * key, chunk nonce and chunk buffer (streamWipe), the frame hash context,
 * and the record, trailer and manifest scratch (whatever was signed but not
 * written or committed); event 4 (sequence, code). Returns `code`. The
 * frame in progress, if any, is index.ts's to drop (abortFrame); openSegment
 * and closeSegment only run with none.
 */
export function abortSegment(code: i32): i32 {
  storage_abort();
  streamWipe();
  wipe(FRAME_CTX, SHA512_CTX_BYTES);
  frameRecordWipe();
  trailerWipe();
  manifestWipe();
  segOpen = false;
  event(EV_ABORTED, <u64>seq, <u64>code);
  return code;
}
