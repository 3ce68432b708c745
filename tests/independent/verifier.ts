// An independent verifier of sealcam recordings, written from docs/FORMAT.md
// and the "Ed25519 verification rules" of docs/DESIGN.md alone. It imports
// nothing of sealcam's own code: only @noble/curves (Ed25519 point
// arithmetic), @noble/hashes (SHA-256, SHA-512), age-encryption (typage, for
// age decryption) and Node built-ins. Its purpose is to show that the
// specification is enough for a court expert to check a recording.
//
// verifyRecording(dir, identity?) checks every `<recording>-<seq>.manifest.json`
// + `<recording>-<seq>.age` pair in `dir`:
//   - without an identity: the manifests (members, types, signature over the
//     rebuilt binary message, age_bytes, age_sha256, sequence numbers and the
//     previous_manifest chain per recording, the final flag, a pre-event
//     start: the recording's first segment present with pre_event_start and a
//     zero previous_manifest is where its evidence begins, so the segments
//     before it are not missing; the flag anywhere else is a problem) and the
//     shape of each age header;
//   - with the force's age identity, in addition: each evidence stream
//     (header, every frame entry and record, the record-hash chain within and
//     across segments, every signature, the trailer, nothing after it) and its
//     agreement with the manifest.
// Problems name the segment (its sequence number; -1 when no segment applies)
// and, where one applies, the frame number.
//
// verifyClip(path, devicePublicKey?) checks a clip evidence file (`.sealclip`)
// on its own: the clip header, every frame entry as for a segment (hash,
// record fields, numbering, the record-hash chain from the header's chain
// value, keyframe flag, capture times, signature), the counts, the end entry's
// SHA-256, nothing after it, a keyframe first and the asked range within the
// clip. Its problems name the frame and the segment its record names.
//
// verifyAuditLog(path, options) checks a camera's audit log (`audit.log`,
// FORMAT.md "The audit log"): the file is whole 200-byte entries; each names
// the device and verifies under its key (strict rules), its reserved bytes
// are zero, its kind is one of ABI.md's 16; indexes rise by one and each entry
// names its predecessor's hash (zeros for index 0; a log may begin above 0).
// Given the recordings' folders, every "segment committed" entry (kind 14:
// sequence, frame count, manifest hash) of a recording found there names a
// manifest present, and every segment present has one where the log covers
// it (the recording's start or an earlier segment's entry before it, its end
// or a later segment's entry after it). Problems name the entry by index.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { Decrypter } from "age-encryption";

export interface Problem {
  /** segment sequence number; -1 for a problem of the directory or recording as a whole */
  segment: number;
  /** frame number, when the problem is one frame's */
  frame?: number;
  what: string;
}

export interface Report {
  /** frames that passed every check (hash, record fields, numbering, chain, signature) */
  frames: number;
  /** segments found (sequence numbers with a manifest, an .age file or both) */
  segments: number;
  problems: Problem[];
  /** every frame parsed from the evidence streams, in recording and frame order (verified or not) */
  frameBytes: Uint8Array[];
  /** device public keys (hex) the recordings claim; compare with the enrolled key */
  devices: string[];
  /** information that is not a problem (where a pre-event recording's evidence begins) */
  notes: string[];
}

export interface VerifyOptions {
  /** the enrolled device public key (64 lowercase hex); every signature must be by it */
  device?: string;
  /** check frames are H.264 Annex B and the keyframe flag matches the IDR slices (default true) */
  h264?: boolean;
}

// ---------------------------------------------------------------- constants

const enc = new TextEncoder();
const DOMAIN_RECORD = enc.encode("sealcam/v1/frame-record"); // 23
const DOMAIN_TRAILER = enc.encode("sealcam/v1/segment-trailer"); // 26
const DOMAIN_MANIFEST = enc.encode("sealcam/v1/segment-manifest"); // 27
const MAGIC = enc.encode("SCAMSEG1");

const HEADER_BYTES = 128;
const RECORD_BYTES = 176; // FORMAT.md's frame entry table says 160; the record table adds up to 176
const TRAILER_BYTES = 160;
const SIG_BYTES = 64;
const MANIFEST_MSG_BYTES = 187;
const ENTRY_FRAME = 0x46; // 'F'
const ENTRY_TRAILER = 0x54; // 'T'
const ZERO32 = new Uint8Array(32);
const U32_LIMIT = 2 ** 32;

const MANIFEST_MEMBERS: Record<string, "string" | "integer" | "boolean"> = {
  format: "string",
  device: "string",
  recording: "string",
  sequence: "integer",
  final: "boolean",
  first_frame: "integer",
  frame_count: "integer",
  first_time_us: "integer",
  last_time_us: "integer",
  age_bytes: "integer",
  age_sha256: "string",
  pre_event_start: "boolean",
  previous_manifest: "string",
  signature: "string",
};
const HEX_LENGTH: Record<string, number> = { device: 64, recording: 32, age_sha256: 64, previous_manifest: 64, signature: 128 };

const SEGMENT_FILE = /^([0-9a-f]{32})-([0-9]{6,})\.(age|manifest\.json)$/;

// ---------------------------------------------------------------- small helpers

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function allZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

const u32 = (b: Uint8Array, o: number) => view(b).getUint32(o, true);
const u64 = (b: Uint8Array, o: number) => view(b).getBigUint64(o, true);

function putU32(b: Uint8Array, o: number, v: number) {
  view(b).setUint32(o, v, true);
}
function putU64(b: Uint8Array, o: number, v: number) {
  view(b).setBigUint64(o, BigInt(v), true);
}

function leToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

const seqName = (s: number) => String(s).padStart(6, "0");
const num = (v: bigint) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.NaN);

// ---------------------------------------------------------------- Ed25519, strict (DESIGN.md)

const L = ed25519.Point.Fn.ORDER;
const Point = ed25519.Point;

/**
 * Strict Ed25519 verification as DESIGN.md's "Ed25519 verification rules",
 * in their order. Returns null when the signature is valid, else the rule
 * that failed.
 */
export function strictVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): string | null {
  if (sig.length !== 64 || pk.length !== 32) return "wrong signature or key length";
  const rBytes = sig.subarray(0, 32);
  const S = leToBigInt(sig.subarray(32, 64));
  // 1. canonical S
  if (S >= L) return "S is not canonical (S >= L)";
  // 2. canonical point encodings of A and R: y < p, no "-0", on the curve
  let A: InstanceType<typeof Point>, R: InstanceType<typeof Point>;
  try {
    A = Point.fromBytes(pk, false);
    if (!equal(A.toBytes(), pk)) return "public key A is not a canonical point encoding";
  } catch {
    return "public key A is not a canonical point encoding";
  }
  try {
    R = Point.fromBytes(rBytes, false);
    if (!equal(R.toBytes(), rBytes)) return "R is not a canonical point encoding";
  } catch {
    return "R is not a canonical point encoding";
  }
  // 3. neither of small order ([8]P is the identity)
  if (A.isSmallOrder()) return "public key A has small order";
  if (R.isSmallOrder()) return "R has small order";
  // 4. cofactorless equation: encode([S]B - [k]A) == R bytes
  const k = leToBigInt(sha512(concat(rBytes, pk, msg))) % L;
  const check = Point.BASE.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k));
  if (!equal(check.toBytes(), rBytes)) return "the cofactorless equation [S]B - [k]A = R does not hold";
  // The cofactorless equation implies noble's cofactored one; a disagreement
  // would mean one of the two checks is wrong.
  if (!ed25519.verify(sig, msg, pk, { zip215: false })) return "@noble/curves rejects a signature the strict rules accept";
  return null;
}

// ---------------------------------------------------------------- H.264 Annex B

/** null if the access unit is Annex B; else why not. `idr` = it holds a NAL unit of type 5. */
function annexB(frame: Uint8Array): { error: string | null; idr: boolean } {
  let i = 0;
  while (i < frame.length && frame[i] === 0) i++;
  if (i < 2 || i >= frame.length || frame[i] !== 1) return { error: "the frame does not begin with an Annex B start code", idr: false };
  let idr = false;
  let nals = 0;
  for (let p = 0; p + 3 < frame.length; p++) {
    if (frame[p] === 0 && frame[p + 1] === 0 && frame[p + 2] === 1) {
      const type = frame[p + 3] & 0x1f;
      nals++;
      if (type === 5) idr = true;
      p += 2;
    }
  }
  return { error: nals === 0 ? "no NAL unit in the frame" : null, idr };
}

// ---------------------------------------------------------------- manifest

interface Manifest {
  format: string;
  device: string;
  recording: string;
  sequence: number;
  final: boolean;
  first_frame: number;
  frame_count: number;
  first_time_us: number;
  last_time_us: number;
  age_bytes: number;
  age_sha256: string;
  pre_event_start: boolean;
  previous_manifest: string;
  signature: string;
}

/** Keys of the top-level object in the order written, duplicates kept (JSON.parse hides them). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const token = text.slice(i, j + 1);
      if (depth === 1 && expectKey) keys.push(JSON.parse(token) as string);
      expectKey = false;
      i = j;
    } else if (c === "{" || c === "[") {
      depth++;
      expectKey = c === "{" && depth === 1;
    } else if (c === "}" || c === "]") {
      depth--;
    } else if (c === "," && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/** Parse and type-check a manifest; problems go to `out`. Returns null if it cannot be rebuilt. */
function parseManifest(text: string, out: string[]): Manifest | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    out.push(`manifest is not valid JSON (${(e as Error).message})`);
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    out.push("manifest is not a JSON object");
    return null;
  }
  const obj = value as Record<string, unknown>;
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) out.push(`manifest member '${k}' appears more than once`);
    seen.add(k);
  }
  let usable = true;
  for (const k of Object.keys(obj)) if (!(k in MANIFEST_MEMBERS)) out.push(`manifest has an unknown member '${k}'`);
  for (const [k, type] of Object.entries(MANIFEST_MEMBERS)) {
    if (!(k in obj)) {
      out.push(`manifest lacks the member '${k}'`);
      usable = false;
      continue;
    }
    const v = obj[k];
    if (type === "string") {
      if (typeof v !== "string") {
        out.push(`manifest member '${k}' is not a string`);
        usable = false;
      } else if (k in HEX_LENGTH && !new RegExp(`^[0-9a-f]{${HEX_LENGTH[k]}}$`).test(v)) {
        out.push(`manifest member '${k}' is not ${HEX_LENGTH[k]} lowercase hex digits`);
        usable = false;
      }
    } else if (type === "integer") {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
        out.push(`manifest member '${k}' is not a non-negative integer below 2^53`);
        usable = false;
      } else if (k === "sequence" && v >= U32_LIMIT) {
        out.push(`manifest member 'sequence' does not fit its 4-byte field`);
        usable = false;
      }
    } else if (typeof v !== "boolean") {
      out.push(`manifest member '${k}' is not a boolean`);
      usable = false;
    }
  }
  if (typeof obj.format === "string" && obj.format !== "sealcam-manifest/1") out.push(`manifest format is '${obj.format}', not 'sealcam-manifest/1'`);
  return usable ? (obj as unknown as Manifest) : null;
}

/** The 187-byte signed message rebuilt from the members (FORMAT.md). */
function manifestMessage(m: Manifest): Uint8Array {
  const b = new Uint8Array(MANIFEST_MSG_BYTES);
  b.set(DOMAIN_MANIFEST, 0);
  b.set(unhex(m.device), 27);
  b.set(unhex(m.recording), 59);
  putU32(b, 75, m.sequence);
  putU32(b, 79, (m.final ? 1 : 0) | (m.pre_event_start ? 2 : 0)); // bit 0 final, bit 1 pre-event start
  putU64(b, 83, m.first_frame);
  putU64(b, 91, m.frame_count);
  putU64(b, 99, m.first_time_us);
  putU64(b, 107, m.last_time_us);
  putU64(b, 115, m.age_bytes);
  b.set(unhex(m.age_sha256), 123);
  b.set(unhex(m.previous_manifest), 155);
  return b;
}

// ---------------------------------------------------------------- age header shape

const B64_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]$/; // 32 bytes, canonical, no padding

/** Checks the age v1 header is as FORMAT.md says the module writes it, and the payload's length is possible. */
function checkAgeShape(file: Uint8Array, out: string[]) {
  const text = Buffer.from(file.buffer, file.byteOffset, Math.min(file.length, 64 * 1024)).toString("latin1");
  const end = text.indexOf("\n--- ");
  if (!text.startsWith("age-encryption.org/v1\n") || end < 0) {
    out.push("the .age file does not begin with an age v1 header");
    return;
  }
  const macEnd = text.indexOf("\n", end + 5);
  if (macEnd < 0) {
    out.push("the age header's MAC line is not terminated");
    return;
  }
  if (!B64_32.test(text.slice(end + 5, macEnd))) out.push("the age header MAC is not 43 characters of unpadded base64");
  const lines = text.slice("age-encryption.org/v1\n".length, end).split("\n");
  let stanzas = 0;
  for (let i = 0; i < lines.length; i += 2) {
    const args = lines[i].split(" ");
    if (args[0] !== "->" || args[1] !== "X25519" || args.length !== 3 || !B64_32.test(args[2])) {
      out.push(`age header stanza ${stanzas} is not '-> X25519 <43 base64 characters>'`);
      return;
    }
    if (i + 1 >= lines.length || !B64_32.test(lines[i + 1])) {
      out.push(`age header stanza ${stanzas}'s body is not one line of 43 base64 characters`);
      return;
    }
    stanzas++;
  }
  if (stanzas === 0) out.push("the age header has no recipient stanza");
  const payload = file.length - (macEnd + 1);
  const chunks = payload - 16;
  const FULL = 64 * 1024 + 16;
  const last = chunks % FULL === 0 ? FULL : chunks % FULL;
  if (chunks < 17 || last < 17) out.push(`the age payload's length (${payload} bytes) is not a nonce followed by STREAM chunks with a non-empty last chunk`);
}

// ---------------------------------------------------------------- evidence stream

interface Continuity {
  sequence: number;
  nextFrame: bigint; // first frame + count of the previous segment seen
  lastRecordHash: Uint8Array;
  lastTime: bigint | null;
}

interface StreamResult {
  verified: number;
  frames: Uint8Array[];
  final: boolean | null;
  next: Continuity | null;
}

interface Ctx {
  problems: Problem[];
  h264: boolean;
  /** sequence of the recording's pre-event start, when its first segment present is one (else -1) */
  preEventStart: number;
}

function parseStream(plain: Uint8Array, seq: number, recording: Uint8Array, device: Uint8Array | null, manifest: Manifest | null, prev: Continuity | null, ctx: Ctx): StreamResult {
  const result: StreamResult = { verified: 0, frames: [], final: null, next: null };
  const problem = (what: string, frame?: number) => ctx.problems.push(frame === undefined ? { segment: seq, what } : { segment: seq, frame, what });

  if (plain.length < HEADER_BYTES) {
    problem(`the evidence stream (${plain.length} bytes) is shorter than its 128-byte header`);
    return result;
  }
  // -------- segment header
  const header = plain.subarray(0, HEADER_BYTES);
  if (!equal(header.subarray(0, 8), MAGIC)) problem("segment header magic is not SCAMSEG1");
  const hDevice = header.subarray(8, 40);
  if (device && !equal(hDevice, device)) problem("segment header's device key differs from the manifest's (or the enrolled key)");
  const key = device ?? hDevice;
  if (!equal(header.subarray(40, 56), recording)) problem("segment header's recording id differs from the file name's");
  if (u32(header, 56) !== seq) problem(`segment header's sequence number is ${u32(header, 56)}, not ${seq}`);
  if (!allZero(header.subarray(60, 64))) problem("segment header's reserved bytes 60–63 are not zero");
  if (!allZero(header.subarray(112, 128))) problem("segment header's reserved bytes 112–127 are not zero");
  const hFirst = u64(header, 64);
  const hChain = header.subarray(80, 112);
  if (manifest && hFirst !== BigInt(manifest.first_frame)) problem(`segment header's first frame ${hFirst} differs from the manifest's ${manifest.first_frame}`);
  if (seq === 0) {
    if (hFirst !== 0n) problem(`the recording's first segment starts at frame ${hFirst}, not 0`);
    if (!allZero(hChain)) problem("the recording's first segment has a non-zero chain value");
  } else if (prev) {
    if (hFirst !== prev.nextFrame) {
      if (hFirst > prev.nextFrame)
        problem(`frames ${prev.nextFrame}–${hFirst - 1n} are missing between segment ${seqName(prev.sequence)} and this one`, num(prev.nextFrame));
      else problem(`segment starts at frame ${hFirst}, but segment ${seqName(prev.sequence)} already ended at frame ${prev.nextFrame - 1n}`, num(hFirst));
    }
    if (!equal(hChain, prev.lastRecordHash)) problem(`segment header's chain value is not the record hash of segment ${seqName(prev.sequence)}'s last frame`);
  } else if (seq === ctx.preEventStart) {
    // The evidence begins here: the chain value names an expired frame, with nothing to check it against.
  } else if (hFirst > 0n) {
    problem(`frames 0–${hFirst - 1n} are missing before this segment (no earlier segment of the recording could be read)`, 0);
  }
  const headerHash = sha256(header);

  // -------- entries
  let pos = HEADER_BYTES;
  let expectedFrame = hFirst;
  let prevHash: Uint8Array = hChain;
  let lastTime: bigint | null = prev ? prev.lastTime : null;
  let count = 0n;
  let firstTime: bigint | null = null;
  let segLastTime: bigint | null = null;
  let sawTrailer = false;

  while (pos < plain.length) {
    const type = plain[pos];
    if (type === ENTRY_FRAME) {
      if (pos + 9 > plain.length) {
        problem(`the stream ends inside a frame entry at byte ${pos}`, num(expectedFrame));
        break;
      }
      const n = u64(plain, pos + 1);
      const need = BigInt(pos + 9) + n + BigInt(RECORD_BYTES + SIG_BYTES);
      if (need > BigInt(plain.length)) {
        problem(`the frame entry at byte ${pos} (frame length ${n}) runs past the end of the stream`, num(expectedFrame));
        break;
      }
      const fStart = pos + 9;
      const fEnd = fStart + Number(n);
      const frame = plain.subarray(fStart, fEnd);
      const record = plain.subarray(fEnd, fEnd + RECORD_BYTES);
      const sig = plain.subarray(fEnd + RECORD_BYTES, fEnd + RECORD_BYTES + SIG_BYTES);
      pos = fEnd + RECORD_BYTES + SIG_BYTES;

      const fnum = u64(record, 48);
      const fnumN = num(fnum);
      const before = ctx.problems.length;
      const bad = (what: string) => problem(what, fnumN);
      if (!equal(record.subarray(0, 32), key)) bad("record's device key is not the segment's");
      if (!equal(record.subarray(32, 48), recording)) bad("record's recording id is not the segment's");
      if (fnum > expectedFrame)
        problem(`frame${fnum - expectedFrame > 1n ? `s ${expectedFrame}–${fnum - 1n} are` : ` ${expectedFrame} is`} missing: the next record is frame ${fnum}`, num(expectedFrame));
      if (fnum !== expectedFrame) bad(`frame number ${fnum} where ${expectedFrame} was expected`);
      const time = u64(record, 56);
      if (lastTime !== null && time < lastTime) bad(`capture time ${time} is earlier than the previous frame's ${lastTime}`);
      const flags = u32(record, 64);
      if ((flags & ~1) !== 0) bad(`record flags 0x${flags.toString(16)} have bits other than bit 0 set`);
      if (u32(record, 68) !== seq) bad(`record names segment ${u32(record, 68)}, but it is in segment ${seq}`);
      if (u64(record, 72) !== n) bad(`record's frame length ${u64(record, 72)} differs from the entry's ${n}`);
      if (n === 0n) bad("the frame is empty");
      if (!equal(sha512(frame), record.subarray(80, 144))) bad("the frame's SHA-512 does not match its record (frame bytes altered)");
      if (!equal(record.subarray(144, 176), prevHash)) bad(fnum === hFirst ? "record's previous record hash is not the segment header's chain value" : "record's previous record hash is not the record hash of the frame before it (chain broken)");
      if (ctx.h264 && n > 0n) {
        const h = annexB(frame);
        if (h.error) bad(h.error);
        else if (h.idr !== ((flags & 1) === 1)) bad(h.idr ? "the frame holds an IDR slice but is not flagged as a keyframe" : "the frame is flagged as a keyframe but holds no IDR slice");
      }
      const signed = concat(DOMAIN_RECORD, record);
      const why = strictVerify(sig, signed, key);
      if (why) bad(`record signature does not verify: ${why}`);
      if (ctx.problems.length === before) result.verified++;

      result.frames.push(frame);
      prevHash = sha256(signed);
      expectedFrame = fnum + 1n;
      lastTime = time;
      if (firstTime === null) firstTime = time;
      segLastTime = time;
      count++;
    } else if (type === ENTRY_TRAILER) {
      if (pos + 1 + TRAILER_BYTES + SIG_BYTES > plain.length) {
        problem(`the trailer entry at byte ${pos} is truncated`);
        pos = plain.length;
        sawTrailer = true;
        break;
      }
      const t = plain.subarray(pos + 1, pos + 1 + TRAILER_BYTES);
      const sig = plain.subarray(pos + 1 + TRAILER_BYTES, pos + 1 + TRAILER_BYTES + SIG_BYTES);
      pos += 1 + TRAILER_BYTES + SIG_BYTES;
      sawTrailer = true;
      if (!equal(t.subarray(0, 32), key)) problem("trailer's device key is not the segment's");
      if (!equal(t.subarray(32, 48), recording)) problem("trailer's recording id is not the segment's");
      if (u32(t, 48) !== seq) problem(`trailer's sequence number is ${u32(t, 48)}, not ${seq}`);
      const tflags = u32(t, 52);
      if ((tflags & ~1) !== 0) problem(`trailer flags 0x${tflags.toString(16)} have bits other than bit 0 set`);
      result.final = (tflags & 1) === 1;
      if (u64(t, 56) !== hFirst) problem(`trailer's first frame ${u64(t, 56)} is not the header's ${hFirst}`);
      const tCount = u64(t, 64);
      if (tCount !== count) problem(`trailer's frame count ${tCount} differs from the ${count} frames in the segment`);
      if (tCount === 0n) problem("trailer's frame count is 0 (at least 1 is required)");
      if (firstTime !== null && u64(t, 72) !== firstTime) problem(`trailer's first capture time ${u64(t, 72)} is not the first frame's ${firstTime}`);
      if (segLastTime !== null && u64(t, 80) !== segLastTime) problem(`trailer's last capture time ${u64(t, 80)} is not the last frame's ${segLastTime}`);
      if (!equal(t.subarray(96, 128), headerHash)) problem("trailer's header hash is not the SHA-256 of the segment header");
      if (!equal(t.subarray(128, 160), prevHash)) problem("trailer's last record hash is not the record hash of the segment's last frame");
      const why = strictVerify(sig, concat(DOMAIN_TRAILER, t), key);
      if (why) problem(`trailer signature does not verify: ${why}`);
      if (manifest) {
        if (manifest.final !== result.final) problem(`manifest says final=${manifest.final}, trailer says final=${result.final}`);
        if (BigInt(manifest.frame_count) !== tCount) problem(`manifest's frame_count ${manifest.frame_count} differs from the trailer's ${tCount}`);
        if (BigInt(manifest.first_time_us) !== u64(t, 72)) problem(`manifest's first_time_us ${manifest.first_time_us} differs from the trailer's ${u64(t, 72)}`);
        if (BigInt(manifest.last_time_us) !== u64(t, 80)) problem(`manifest's last_time_us ${manifest.last_time_us} differs from the trailer's ${u64(t, 80)}`);
      }
      if (pos !== plain.length) problem(`${plain.length - pos} bytes follow the trailer`);
      break;
    } else {
      problem(`unknown entry type 0x${type.toString(16).padStart(2, "0")} at byte ${pos}`, num(expectedFrame));
      break;
    }
  }
  if (!sawTrailer) problem("the evidence stream has no trailer (truncated segment)");
  if (count === 0n && sawTrailer) problem("the segment holds no frame");
  result.next = { sequence: seq, nextFrame: expectedFrame, lastRecordHash: prevHash, lastTime };
  return result;
}

// ---------------------------------------------------------------- the directory

interface SegmentFiles {
  seq: number;
  manifestPath?: string;
  agePath?: string;
}

async function loadIdentity(identity: string): Promise<string> {
  if (identity.startsWith("AGE-SECRET-KEY-")) return identity.trim();
  // a path to an identity file: the first AGE-SECRET-KEY line
  const text = await readFile(identity, "utf8");
  const line = text.split(/\r?\n/).find((l) => l.startsWith("AGE-SECRET-KEY-"));
  if (!line) throw new Error(`no AGE-SECRET-KEY line in ${identity}`);
  return line.trim();
}

/**
 * Verify every segment of every recording in `dir`. `identity` is the force's
 * age identity (`AGE-SECRET-KEY-1…`, or the path of a file holding one);
 * without it only what a dock can check is checked.
 */
export async function verifyRecording(dir: string, identity?: string, options: VerifyOptions = {}): Promise<Report> {
  const problems: Problem[] = [];
  const report: Report = { frames: 0, segments: 0, problems, frameBytes: [], devices: [], notes: [] };
  const ctx: Ctx = { problems, h264: options.h264 ?? true, preEventStart: -1 };
  const enrolled = options.device !== undefined ? unhex(options.device) : null;
  if (options.device !== undefined && !/^[0-9a-f]{64}$/.test(options.device)) throw new Error("options.device must be 64 lowercase hex digits");

  let decrypter: Decrypter | null = null;
  if (identity !== undefined) {
    decrypter = new Decrypter();
    decrypter.addIdentity(await loadIdentity(identity));
  }

  const recordings = new Map<string, Map<number, SegmentFiles>>();
  for (const name of (await readdir(dir)).sort()) {
    const m = SEGMENT_FILE.exec(name);
    if (!m) {
      if (name.endsWith(".age") || name.endsWith(".manifest.json")) problems.push({ segment: -1, what: `file name '${name}' is not <recording>-<seq> (32 lowercase hex, six or more digits)` });
      continue;
    }
    const [, rec, seqText, kind] = m;
    const seq = Number(seqText);
    if (seqText !== seqName(seq) || seq >= U32_LIMIT) {
      problems.push({ segment: -1, what: `file name '${name}' has a badly written sequence number` });
      continue;
    }
    let segs = recordings.get(rec);
    if (!segs) recordings.set(rec, (segs = new Map()));
    let s = segs.get(seq);
    if (!s) segs.set(seq, (s = { seq }));
    if (kind === "age") s.agePath = join(dir, name);
    else s.manifestPath = join(dir, name);
  }
  if (recordings.size === 0) problems.push({ segment: -1, what: `no segment (<recording>-<seq>.manifest.json / .age) in ${dir}` });

  for (const [rec, segs] of [...recordings].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const recordingId = unhex(rec);
    const seqs = [...segs.keys()].sort((a, b) => a - b);
    report.segments += seqs.length;
    const maxSeq = seqs[seqs.length - 1];
    let device: Uint8Array | null = enrolled;
    const manifestHash = new Map<number, Uint8Array>();
    let prev: Continuity | null = null;
    let finalSeen: number | null = null;

    // A pre-event start: the first segment present carries the flag, names no
    // previous manifest, and its manifest verifies; its evidence begins there.
    ctx.preEventStart = -1;
    const firstSeq = seqs[0];
    const firstPath = segs.get(firstSeq)!.manifestPath;
    if (firstSeq > 0 && firstPath) {
      const m = parseManifest(await readFile(firstPath, "utf8"), []);
      if (m && m.pre_event_start && m.previous_manifest === hex(ZERO32) && m.sequence === firstSeq && m.recording === rec
        && strictVerify(unhex(m.signature), manifestMessage(m), enrolled ?? unhex(m.device)) === null) {
        ctx.preEventStart = firstSeq;
        report.notes.push(`recording ${rec}: evidence begins at frame ${m.first_frame} (segment ${seqName(firstSeq)}): earlier pre-event segments expired on the camera, never evidence`);
      }
    }
    for (let seq = ctx.preEventStart >= 0 ? ctx.preEventStart : 0; seq <= maxSeq; seq++) {
      const s = segs.get(seq);
      const problem = (what: string, frame?: number) => problems.push(frame === undefined ? { segment: seq, what } : { segment: seq, frame, what });
      if (!s) {
        problem(`segment ${seqName(seq)} of recording ${rec} is missing (neither manifest nor .age file): a gap in the sequence`);
        continue;
      }
      // -------- manifest (what a dock checks)
      let manifest: Manifest | null = null;
      let ageFile: Uint8Array | null = null;
      if (s.agePath) ageFile = new Uint8Array(await readFile(s.agePath));
      else problem(`segment ${seqName(seq)}'s .age file is missing`);
      if (!s.manifestPath) problem(`segment ${seqName(seq)}'s manifest is missing`);
      else {
        const msgs: string[] = [];
        manifest = parseManifest(await readFile(s.manifestPath, "utf8"), msgs);
        for (const w of msgs) problem(w);
      }
      if (manifest) {
        if (manifest.recording !== rec) problem(`manifest's recording ${manifest.recording} is not the file name's ${rec}`);
        if (manifest.sequence !== seq) problem(`manifest's sequence ${manifest.sequence} is not the file name's ${seq}`);
        const mDevice = unhex(manifest.device);
        if (!report.devices.includes(manifest.device)) report.devices.push(manifest.device);
        if (device === null) device = mDevice;
        else if (!equal(device, mDevice)) problem(enrolled ? "manifest's device key is not the enrolled device key" : "manifest's device key differs from the recording's other segments");
        const message = manifestMessage(manifest);
        const why = strictVerify(unhex(manifest.signature), message, enrolled ?? mDevice);
        if (why) problem(`manifest signature does not verify: ${why}`);
        manifestHash.set(seq, sha256(message));
        if (manifest.pre_event_start) {
          if (seq !== firstSeq) problem("pre_event_start is set, but earlier segments of the recording are present: only its first segment can be a pre-event start");
          else if (seq === 0) problem("pre_event_start is set on sequence 0: no earlier segment could have expired");
          else if (manifest.previous_manifest !== hex(ZERO32)) problem("pre_event_start is set, but previous_manifest is not 64 zeros");
        }
        if (seq === 0) {
          if (manifest.previous_manifest !== hex(ZERO32)) problem("previous_manifest of sequence 0 is not 64 zeros");
        } else {
          const before = manifestHash.get(seq - 1);
          if (before && manifest.previous_manifest !== hex(before)) problem(`previous_manifest is not the manifest hash of segment ${seqName(seq - 1)} (manifest chain broken)`);
        }
        if (ageFile) {
          if (manifest.age_bytes !== ageFile.length) problem(`manifest's age_bytes ${manifest.age_bytes} differs from the .age file's size ${ageFile.length}`);
          if (manifest.age_sha256 !== hex(sha256(ageFile))) problem("manifest's age_sha256 is not the SHA-256 of the .age file");
        }
        if (manifest.frame_count < 1) problem("manifest's frame_count is 0 (a segment holds at least one frame)");
        if (manifest.last_time_us < manifest.first_time_us) problem("manifest's last_time_us is earlier than its first_time_us");
        if (manifest.final) {
          if (finalSeen !== null) problem(`a second final segment (segment ${seqName(finalSeen)} was already final)`);
          else if (seq !== maxSeq) problem(`segment is final, but segments up to ${seqName(maxSeq)} follow it`);
          finalSeen ??= seq;
        } else if (seq === maxSeq) {
          problem(`the recording's last segment ${seqName(seq)} is not final: the recording is incomplete (later segments missing?)`);
        }
      }
      if (ageFile) {
        const msgs: string[] = [];
        checkAgeShape(ageFile, msgs);
        for (const w of msgs) problem(w);
      }

      // -------- evidence stream (what the force checks)
      // A segment that cannot be opened leaves `prev` as it was, so the next
      // one is compared with the last segment that could and the gap is named.
      if (!decrypter || !ageFile) continue;
      let plain: Uint8Array;
      try {
        plain = await decrypter.decrypt(ageFile);
      } catch (e) {
        problem(`the .age file does not decrypt with the identity: ${(e as Error).message}`);
        continue;
      }
      const r = parseStream(plain, seq, recordingId, device, manifest, prev, ctx);
      report.frames += r.verified;
      report.frameBytes.push(...r.frames);
      if (seq === maxSeq && r.final === false) problem("the last segment's trailer is not final: the recording is incomplete");
      if (seq !== maxSeq && r.final === true) problem("trailer says final, but later segments follow");
      prev = r.next;
    }
  }
  return report;
}

// ---------------------------------------------------------------- clips (.sealclip)

const CLIP_MAGIC = enc.encode("SCAMCLP1");
const CLIP_HEADER_BYTES = 128;
const END_ENTRY_BYTES = 41; // 'E' ‖ u64 count ‖ SHA-256
const ENTRY_END = 0x45; // 'E'
const FRAME_ENTRY_FIXED = 1 + 8 + RECORD_BYTES + SIG_BYTES; // everything of a frame entry but the frame
const MAX_FRAME_BYTES = 64n * 1024n * 1024n; // "Frame entry": 1 ≤ n ≤ 64 MiB
const TIME_LIMIT = 2n ** 53n; // "Frame record": capture times are below 2^53

export interface ClipProblem {
  /** frame number, when the problem is one frame's (a missing frame is named by its own number) */
  frame?: number;
  /** the segment of the recording that frame's record names, when its record was read */
  segment?: number;
  what: string;
}

export interface ClipReport {
  /** frames that passed every check (hash, record fields, numbering, chain, keyframe flag, time, signature) */
  frames: number;
  /** frame entries present in the file */
  count: number;
  /** the header's claims: first frame number, frame count, the range asked for at export */
  firstFrame: number;
  headerCount: number;
  requested: [number, number];
  /** frame number of the last frame entry's record; null when the clip holds none */
  lastFrame: number | null;
  /** recording id (hex) the header names */
  recording: string;
  /** device public key (hex) the header names: only the clip's own claim unless a key was given */
  device: string;
  /** segment sequence numbers the records name, in order, each once */
  segments: number[];
  problems: ClipProblem[];
  /** every frame parsed from the clip, in file order (verified or not) */
  frameBytes: Uint8Array[];
}

function deviceKeyBytes(key: string | Uint8Array): Uint8Array {
  if (typeof key === "string") {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error("devicePublicKey must be 64 lowercase hex digits");
    return unhex(key);
  }
  if (key.length !== 32) throw new Error("devicePublicKey must be 32 bytes");
  return key;
}

/**
 * Verify a clip evidence file (FORMAT.md, "The clip evidence file") on its
 * own. `devicePublicKey` (64 lowercase hex, or 32 bytes) is the device's key
 * as known from elsewhere (device.pub, the recording's manifests); every
 * record must be signed by it. Without it the signatures are checked under
 * the key the clip header names, which proves only that the clip is
 * consistent with itself. Throws if the file cannot be read.
 */
export async function verifyClip(path: string, devicePublicKey?: string | Uint8Array): Promise<ClipReport> {
  const given = devicePublicKey === undefined ? null : deviceKeyBytes(devicePublicKey);
  const file = new Uint8Array(await readFile(path));
  const problems: ClipProblem[] = [];
  const report: ClipReport = {
    frames: 0, count: 0, firstFrame: Number.NaN, headerCount: Number.NaN, requested: [Number.NaN, Number.NaN],
    lastFrame: null, recording: "", device: "", segments: [], problems, frameBytes: [],
  };
  const problem = (what: string, frame?: bigint, segment?: number) => {
    const p: ClipProblem = { what };
    if (frame !== undefined) p.frame = num(frame);
    if (segment !== undefined) p.segment = segment;
    problems.push(p);
  };

  if (file.length < CLIP_HEADER_BYTES) {
    problem(`the file (${file.length} bytes) is shorter than the 128-byte clip header`);
    return report;
  }
  // -------- clip header
  const header = file.subarray(0, CLIP_HEADER_BYTES);
  if (!equal(header.subarray(0, 8), CLIP_MAGIC)) problem("clip header magic is not SCAMCLP1");
  const hDevice = header.subarray(8, 40);
  const recording = header.subarray(40, 56);
  const hFirst = u64(header, 56);
  const hCount = u64(header, 64);
  const askedFirst = u64(header, 72);
  const askedLast = u64(header, 80);
  const hChain = header.subarray(88, 120);
  report.device = hex(hDevice);
  report.recording = hex(recording);
  report.firstFrame = num(hFirst);
  report.headerCount = num(hCount);
  report.requested = [num(askedFirst), num(askedLast)];
  if (!allZero(header.subarray(120, 128))) problem("clip header's reserved bytes 120–127 are not zero");
  if (hCount === 0n) problem("clip header's frame count is 0 (at least 1 is required)");
  if (given && !equal(hDevice, given)) problem("clip header names another device key than the one given");
  const key = given ?? hDevice;

  // -------- entries
  let pos = CLIP_HEADER_BYTES;
  let expectedFrame = hFirst;
  let prevHash: Uint8Array = hChain;
  let lastTime: bigint | null = null;
  let lastSegment: number | null = null;
  let lastNumber: bigint | null = null;
  let first: { number: bigint; keyframe: boolean } | null = null; // the first frame entry's record
  let count = 0n;
  let sawEnd = false;

  while (pos < file.length) {
    const type = file[pos];
    if (type === ENTRY_FRAME) {
      if (pos + 9 > file.length) {
        problem(`the file ends inside a frame entry at byte ${pos}`, expectedFrame);
        break;
      }
      const n = u64(file, pos + 1);
      if (BigInt(pos) + BigInt(FRAME_ENTRY_FIXED) + n > BigInt(file.length)) {
        problem(`the frame entry at byte ${pos} (frame length ${n}) runs past the end of the file`, expectedFrame);
        break;
      }
      const fStart = pos + 9;
      const fEnd = fStart + Number(n);
      const frame = file.subarray(fStart, fEnd);
      const record = file.subarray(fEnd, fEnd + RECORD_BYTES);
      const sig = file.subarray(fEnd + RECORD_BYTES, fEnd + RECORD_BYTES + SIG_BYTES);
      pos = fEnd + RECORD_BYTES + SIG_BYTES;

      const fnum = u64(record, 48);
      const seg = u32(record, 68);
      const before = problems.length;
      const bad = (what: string) => problem(what, fnum, seg);
      if (fnum > expectedFrame) {
        const gap = fnum - expectedFrame > 1n ? `frames ${expectedFrame}–${fnum - 1n} are` : `frame ${expectedFrame} is`;
        problem(`${gap} missing from the clip: the next record is frame ${fnum}`, expectedFrame);
      } else if (fnum < expectedFrame) {
        bad(`frame number ${fnum} where ${expectedFrame} was expected (repeated or out of order)`);
      }
      if (n === 0n || n > MAX_FRAME_BYTES) bad(`frame length ${n} is outside 1 byte … 64 MiB`);
      if (!equal(record.subarray(0, 32), hDevice)) bad("record's device key is not the clip header's");
      if (!equal(record.subarray(32, 48), recording)) bad("record's recording id is not the clip header's");
      const time = u64(record, 56);
      if (lastTime !== null && time < lastTime) bad(`capture time ${time} is earlier than the previous frame's ${lastTime}`);
      if (time >= TIME_LIMIT) bad(`capture time ${time} is not below 2^53`);
      const flags = u32(record, 64);
      if ((flags & ~1) !== 0) bad(`record flags 0x${flags.toString(16)} have bits other than bit 0 set`);
      if (lastSegment !== null && seg < lastSegment) bad(`record names segment ${seg}, before the previous frame's segment ${lastSegment}`);
      if (u64(record, 72) !== n) bad(`record's frame length ${u64(record, 72)} differs from the entry's ${n}`);
      if (!equal(sha512(frame), record.subarray(80, 144))) bad("the frame's SHA-512 does not match its record (frame bytes altered)");
      if (fnum === 0n && !allZero(record.subarray(144, 176))) bad("frame 0's record names a previous record hash that is not 32 zero bytes");
      if (!equal(record.subarray(144, 176), prevHash))
        bad(count === 0n ? "record's previous record hash is not the clip header's chain value" : "record's previous record hash is not the record hash of the frame before it in the clip (chain broken)");
      const h = annexB(frame);
      const keyframe = (flags & 1) === 1;
      if (n > 0n) {
        // an empty frame is already named by the length check
        if (h.error) bad(h.error);
        else if (h.idr !== keyframe) bad(h.idr ? "the frame holds an IDR slice but is not flagged as a keyframe" : "the frame is flagged as a keyframe but holds no IDR slice");
      }
      const signed = concat(DOMAIN_RECORD, record);
      const why = strictVerify(sig, signed, key);
      if (why) bad(`record signature does not verify${given ? " under the device key given" : ""}: ${why}`);
      if (problems.length === before) report.frames++;

      if (count === 0n) first = { number: fnum, keyframe: keyframe && h.idr };
      if (!report.segments.includes(seg)) report.segments.push(seg);
      report.frameBytes.push(frame);
      prevHash = sha256(signed);
      expectedFrame = fnum + 1n;
      lastNumber = fnum;
      lastTime = time;
      lastSegment = seg;
      count++;
    } else if (type === ENTRY_END) {
      sawEnd = true;
      if (pos + END_ENTRY_BYTES > file.length) {
        problem(`the end entry at byte ${pos} is truncated (${file.length - pos} of 41 bytes)`);
        break;
      }
      const endCount = u64(file, pos + 1);
      if (!equal(file.subarray(pos + 9, pos + END_ENTRY_BYTES), sha256(file.subarray(0, pos))))
        problem("the end entry's SHA-256 is not that of the bytes before it (the file was damaged or edited after export)");
      if (endCount !== count) problem(`the end entry's frame count ${endCount} differs from the ${count} frames present`);
      if (pos + END_ENTRY_BYTES !== file.length) problem(`${file.length - pos - END_ENTRY_BYTES} bytes follow the end entry`);
      break;
    } else {
      problem(`unknown entry type 0x${type.toString(16).padStart(2, "0")} at byte ${pos}`, expectedFrame);
      break;
    }
  }
  if (!sawEnd) problem("the clip has no end entry (truncated)");
  if (hCount !== count) problem(`the clip header's frame count ${hCount} differs from the ${count} frames present`);
  if (count === 0n) problem("the clip holds no frame");
  if (first && !first.keyframe) problem(`the clip's first frame (${first.number}) is not a keyframe`, first.number);
  report.count = num(count);
  report.lastFrame = lastNumber === null ? null : num(lastNumber);
  if (askedFirst > askedLast) problem(`the asked range (frames ${askedFirst}–${askedLast}) ends before it starts`);
  else if (askedFirst < hFirst || lastNumber === null || askedLast > lastNumber)
    problem(`the asked range (frames ${askedFirst}–${askedLast}) does not lie within the clip's frames ${hFirst}–${lastNumber ?? "(none)"}`);
  return report;
}

// ---------------------------------------------------------------- the audit log

const DOMAIN_AUDIT = enc.encode("sealcam/v1/audit-entry"); // 22
const AUDIT_ENTRY = 200; // body 136 ‖ signature 64
const AUDIT_BODY = 136;
const KIND_STARTED = 4;
const KIND_COMMITTED = 14;
const KINDS_ENDING = new Set([1, 5, 7]); // boot, recording stopped, storage full: the recording in progress is over

export interface AuditProblem {
  /** the entry's index (as written, or where the entry stands when its own index cannot be believed) */
  entry?: number;
  /** for a segment cross-check: the recording and the segment's sequence number */
  recording?: string;
  segment?: number;
  what: string;
}

export interface AuditReport {
  /** whole entries in the file */
  entries: number;
  /** entries that name the device and whose signature verifies */
  verified: number;
  firstIndex: number | null;
  lastIndex: number | null;
  /** kind 14 entries, and those whose manifest hash is a manifest present in the folders given */
  committed: number;
  matched: number;
  problems: AuditProblem[];
  notes: string[];
}

export interface AuditOptions {
  /** the enrolled device public key (64 lowercase hex); else the key of the log's first entry */
  device?: string;
  /** folders holding `<recording>-<seq>.manifest.json` files: the segments to hold the log against */
  recordings?: string[];
}

/**
 * Verify a camera's audit log (FORMAT.md, "The audit log"; ABI.md's kinds)
 * and, given the recordings' folders, its "segment committed" entries against
 * the manifests there. Throws if a file cannot be read.
 */
export async function verifyAuditLog(path: string, options: AuditOptions = {}): Promise<AuditReport> {
  const file = new Uint8Array(await readFile(path));
  const problems: AuditProblem[] = [];
  const report: AuditReport = { entries: 0, verified: 0, firstIndex: null, lastIndex: null, committed: 0, matched: 0, problems, notes: [] };
  if (options.device !== undefined && !/^[0-9a-f]{64}$/.test(options.device)) throw new Error("options.device must be 64 lowercase hex digits");
  const key = options.device !== undefined ? unhex(options.device) : file.length >= 32 ? file.slice(0, 32) : null;

  // The manifests present: manifest hash → recording and sequence.
  const present = new Map<string, { recording: string; sequence: number; frames: number }>();
  const recordingsPresent = new Set<string>();
  for (const dir of options.recordings ?? []) {
    for (const name of (await readdir(dir)).sort()) {
      const m = /^([0-9a-f]{32})-([0-9]{6,})\.manifest\.json$/.exec(name);
      if (!m) continue;
      const manifest = parseManifest(await readFile(join(dir, name), "utf8"), []);
      if (!manifest) continue;
      recordingsPresent.add(manifest.recording);
      present.set(hex(sha256(manifestMessage(manifest))), { recording: manifest.recording, sequence: manifest.sequence, frames: manifest.frame_count });
    }
  }

  if (file.length === 0) problems.push({ what: "the log is empty" });
  const whole = file.length - (file.length % AUDIT_ENTRY);
  let prev: { index: bigint; hash: Uint8Array } | null = null;
  let current: string | null = null; // the recording in progress
  const seen = new Map<string, { started: boolean; ended: boolean; min: number; max: number }>();
  const seenOf = (rec: string) => {
    let s = seen.get(rec);
    if (!s) seen.set(rec, (s = { started: false, ended: false, min: Infinity, max: -Infinity }));
    return s;
  };
  const matched = new Set<string>();

  for (let at = 0; at < whole; at += AUDIT_ENTRY) {
    report.entries++;
    const body = file.subarray(at, at + AUDIT_BODY);
    const sig = file.subarray(at + AUDIT_BODY, at + AUDIT_ENTRY);
    const index = u64(body, 32);
    const kind = u32(body, 40);
    const where = num(index);
    const signed = concat(DOMAIN_AUDIT, body);
    const hash = sha256(signed);
    let believed = true;
    if (key && !equal(body.subarray(0, 32), key)) {
      problems.push({ entry: where, what: `entry ${index} (byte ${at}) names another device key` });
      believed = false;
    } else if (key) {
      const why = strictVerify(sig, signed, key);
      if (why) {
        problems.push({ entry: where, what: `entry ${index} (byte ${at}): signature does not verify: ${why}` });
        believed = false;
      }
    }
    if (u32(body, 44) !== 0) problems.push({ entry: where, what: `entry ${index}: reserved bytes 44–47 are not zero` });
    if (kind < 1 || kind > 16) problems.push({ entry: where, what: `entry ${index}: unknown kind ${kind}` });
    // The chain, against the entry before it in the file.
    if (prev === null) {
      if (index === 0n && !allZero(body.subarray(104, 136))) problems.push({ entry: 0, what: "entry 0's previous entry hash is not 32 zero bytes" });
      if (index > 0n) report.notes.push(`the log begins at entry ${index}: entries before it are not in the file`);
    } else if (index !== prev.index + 1n) {
      problems.push({ entry: where, what: `entry ${index} follows entry ${prev.index}: ${index > prev.index + 1n ? `entries ${prev.index + 1n}–${index - 1n} are missing` : "the chain goes back (an entry moved or repeated, or a second chain)"}` });
    } else if (!equal(body.subarray(104, 136), prev.hash)) {
      problems.push({ entry: where, what: `entry ${index} does not name entry ${prev.index}'s hash as its predecessor` });
    }
    prev = { index, hash };
    if (!believed) continue;
    report.verified++;
    report.firstIndex ??= where;
    report.lastIndex = where;
    // What it says about recordings and segments.
    const ref = body.subarray(72, 104);
    const refRecording = hex(ref.subarray(0, 16));
    if (kind === KIND_STARTED) {
      if (current) seenOf(current).ended = true;
      current = refRecording;
      seenOf(current).started = true;
    } else if (KINDS_ENDING.has(kind)) {
      const ended = kind === 1 ? current : refRecording;
      if (ended) seenOf(ended).ended = true;
      current = null;
    } else if (kind === 6 || kind === 15 || kind === 16) {
      current = refRecording;
      if (kind !== 6) {
        const s = seenOf(current);
        s.min = Math.min(s.min, num(u64(body, 56)));
        s.max = Math.max(s.max, num(u64(body, 56)));
      }
    } else if (kind === KIND_COMMITTED) {
      report.committed++;
      const h = hex(ref);
      const sequence = num(u64(body, 56));
      const hit = present.get(h);
      const rec = hit?.recording ?? current;
      if (rec) {
        const s = seenOf(rec);
        s.min = Math.min(s.min, sequence);
        s.max = Math.max(s.max, sequence);
      }
      if (hit) {
        matched.add(h);
        if (hit.sequence !== sequence || BigInt(hit.frames) !== u64(body, 64)) problems.push({ entry: where, recording: hit.recording, segment: hit.sequence, what: `entry ${index} logs sequence ${sequence}, ${u64(body, 64)} frames, for segment ${hit.sequence}'s manifest (${hit.frames} frames)` });
      } else if (rec && recordingsPresent.has(rec)) {
        problems.push({ entry: where, recording: rec, segment: sequence, what: `entry ${index}: segment ${sequence} of recording ${rec} was committed on the camera, but no manifest with its hash is present` });
      }
    }
  }
  if (file.length % AUDIT_ENTRY !== 0) {
    const next = prev ? num(prev.index + 1n) : 0;
    problems.push({ entry: next, what: `the file is ${file.length} bytes, not a whole number of 200-byte entries: a partial entry ${next} at its end` });
  }
  report.matched = matched.size;
  for (const [h, seg] of present) {
    if (matched.has(h)) continue;
    const s = seen.get(seg.recording);
    if (s && (s.started || s.min < seg.sequence) && (s.ended || s.max > seg.sequence)) {
      problems.push({ recording: seg.recording, segment: seg.sequence, what: `segment ${seg.sequence} of recording ${seg.recording} is present, but the log, which covers it, has no "segment committed" entry for it` });
    }
  }
  return report;
}
