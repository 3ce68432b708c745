// Verifying a camera's audit log (docs/FORMAT.md, "The audit log"; the kinds
// are ABI.md's table): the 200-byte entries of `audit.log`, each signed by the
// device key and naming the hash of the entry before it, and what they say
// about the segments beside them.
//
// The entries are read 64 KiB at a time, so a log of any length costs the
// same memory: what is kept is the chain's head, a count per kind, and per
// recording the log names where its entries begin and end. The segments the
// log is cross-checked against are known beforehand (recording.ts has checked
// them): their manifest hashes are what "segment committed" entries name.
//
// Numbering resynchronises the way frame numbering does (DESIGN.md, "Naming
// problems"): an index ahead of the expected one means entries missing there;
// one behind is a moved or repeated entry, which leaves the chain where it
// was, unless the entries after it continue from it (a second history: a
// fork). An entry whose device or signature fails takes its place in the
// chain without being believed, so one edited entry is named once, by index.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { SealcamError, EXIT, moduleMessage, MODULE_ERRORS } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";
import { deviceFingerprint, formatDevicePublicKey } from "../keys/index.ts";
import type { AuditKindCount, AuditLogResult, Problem, RecordingResult, SegmentResult } from "./model.ts";
import { ProblemList } from "./problems.ts";
import { equal, toHex } from "./stream.ts";
import { AUDIT_ENTRY_BYTES, AUDIT_KINDS, auditEntryMessage, decodeAuditEntry, type AuditEntry } from "../evidence/audit.ts";

const BOOT = 1, STARTED = 4, STOPPED = 5, TRIGGER = 6, FULL = 7, COMMITTED = 14, ABORTED = 15, EXPIRED = 16;

/** Chain breaks named in `breaks` (the rest are problems all the same). */
const BREAKS_LISTED = 1000;
/** Entries read at a time (64 000 bytes). */
const ENTRIES_PER_READ = 320;
const ERR_SIGNATURE = MODULE_ERRORS.ERR_SIGNATURE.code;
const ZERO32 = new Uint8Array(32);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Calls `each(entry bytes, byte offset)` for every whole entry of the open file; returns the file's size. */
function readEntries(fd: number, each: (entry: Uint8Array, offset: number) => void): number {
  const size = fstatSync(fd).size;
  const buf = new Uint8Array(AUDIT_ENTRY_BYTES * ENTRIES_PER_READ);
  const whole = size - (size % AUDIT_ENTRY_BYTES);
  let at = 0;
  while (at < whole) {
    const want = Math.min(buf.length, whole - at);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buf, got, want - got, at + got);
      if (n === 0) break;
      got += n;
    }
    for (let i = 0; i + AUDIT_ENTRY_BYTES <= got; i += AUDIT_ENTRY_BYTES) each(buf.subarray(i, i + AUDIT_ENTRY_BYTES), at + i);
    if (got < want) return at + got; // the file shrank while being read
    at += got;
  }
  return size;
}

function openLog(file: string): number {
  try {
    return openSync(file, "r");
  } catch (e) {
    throw new SealcamError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT.USAGE);
  }
}

/**
 * The device key most of a log's entries name (at most 64 different keys are
 * counted), for a log verified without --device and without recordings of its
 * own beside it. null for a log without a whole entry.
 */
export function auditLogDevice(file: string): Uint8Array | null {
  const fd = openLog(file);
  const votes = new Map<string, number>();
  try {
    readEntries(fd, (e) => {
      const key = toHex(e.subarray(0, 32));
      if (votes.has(key) || votes.size < 64) votes.set(key, (votes.get(key) ?? 0) + 1);
    });
  } finally {
    closeSync(fd);
  }
  let best: string | null = null;
  for (const [key, n] of votes) if (best === null || n > votes.get(best)!) best = key;
  return best === null ? null : new Uint8Array(Buffer.from(best, "hex"));
}

export interface AuditLogOptions {
  crypto: Crypto;
  file: string;
  /** The key every entry must name and be signed by. */
  device: Uint8Array;
  deviceFrom: AuditLogResult["device_from"];
  pinned: boolean;
  /** Recordings of this device verified with the log: their segments are cross-checked with it. */
  recordings: RecordingResult[];
  /** Every recording of the device is among them: a committed segment of any recording must be present. */
  wholeDevice: boolean;
}

/** What the log says about one recording (the recording id it names in `ref`). */
interface LoggedRecording {
  /** Its "recording started" entry is in the log. */
  started: boolean;
  /** The log goes on past its end (stopped, storage full, a reboot or the next recording). */
  ended: boolean;
  /** Lowest and highest segment sequence its entries name (committed, aborted, expired). */
  min: number;
  max: number;
  expired: number;
  /** The camera rebooted while it was recording (a boot, not a stop, ended it in the log): a power loss. */
  cutByBoot: boolean;
}

/** The chain position the next entry should take. */
interface Head {
  /** Index expected next (null: unknown, after an untrusted first entry). */
  index: bigint | null;
  /** Hash the next entry should name (null: unknown, after an entry that is not believed). */
  hash: Uint8Array | null;
  /** Index of the entry before (for messages). */
  last: bigint | null;
}

const n53 = (v: bigint): number | null => (v <= MAX_SAFE ? Number(v) : null);
const entries = (a: bigint, b: bigint): string => (a === b ? `entry ${a} is` : `entries ${a}–${b} are`);
const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** Checks one audit log; read the outcome from the returned result. */
export function verifyAuditLog(o: AuditLogOptions): AuditLogResult {
  const problems = new ProblemList();
  const device = toHex(o.device);
  const breaks: number[] = [];
  const notes: string[] = [];
  const kinds = new Map<number, number>();
  const file = o.file;
  let count = 0, verified = 0, deviceMismatch = false;
  let firstIndex: bigint | null = null, lastIndex: bigint | null = null;
  let firstTime: bigint | null = null, lastTime: bigint | null = null;

  // The segments the log is held against, by manifest hash and by (recording, sequence).
  const checkedIds = new Set(o.recordings.map((r) => r.recording));
  const byHash = new Map<string, { recording: string; seg: SegmentResult }>();
  const bySequence = new Map<string, SegmentResult>();
  for (const r of o.recordings) {
    for (const seg of r.segments) {
      bySequence.set(`${r.recording}:${seg.sequence}`, seg);
      if (seg.manifest_hash && (!byHash.has(seg.manifest_hash) || seg.manifest_ok)) byHash.set(seg.manifest_hash, { recording: r.recording, seg });
    }
  }
  const matched = new Set<string>();
  let committed = 0;
  const logged = new Map<string, LoggedRecording>();
  const elsewhere = new Map<string, number>(); // committed entries of recordings not verified here
  let context: string | null = null; // the recording the camera was recording, by the entries so far

  const problem = (p: Omit<Problem, "file">) => problems.add({ ...p, file });
  const chainBreak = (at: bigint, message: string) => {
    const entry = n53(at) ?? undefined;
    if (entry !== undefined && breaks.length < BREAKS_LISTED) breaks.push(entry);
    problem({ kind: "audit-chain", entry, message });
  };
  const recordingOf = (ref: Uint8Array) => toHex(ref.subarray(0, 16));
  const log = (rec: string): LoggedRecording => {
    let l = logged.get(rec);
    if (!l) logged.set(rec, (l = { started: false, ended: false, min: Infinity, max: -Infinity, expired: 0, cutByBoot: false }));
    return l;
  };
  const saw = (rec: string, sequence: bigint) => {
    const s = n53(sequence);
    if (s === null) return;
    const l = log(rec);
    l.min = Math.min(l.min, s);
    l.max = Math.max(l.max, s);
  };
  const end = (boot = false) => {
    if (context !== null) {
      const l = log(context);
      l.ended = true;
      if (boot) l.cutByBoot = true;
    }
    context = null;
  };

  /** What a believed entry says about recordings and segments. */
  const account = (e: AuditEntry, at: bigint) => {
    const entry = n53(at) ?? undefined;
    switch (e.kind) {
      case BOOT:
        end(true);
        break;
      case STARTED:
        end();
        context = recordingOf(e.ref);
        log(context).started = true;
        break;
      case STOPPED:
      case FULL:
        context = recordingOf(e.ref);
        end();
        break;
      case TRIGGER:
        context = recordingOf(e.ref);
        break;
      case ABORTED:
      case EXPIRED:
        context = recordingOf(e.ref);
        saw(context, e.a);
        if (e.kind === EXPIRED) log(context).expired++;
        break;
      case COMMITTED: {
        committed++;
        const hash = toHex(e.ref);
        const hit = byHash.get(hash);
        if (hit) {
          matched.add(hash);
          saw(hit.recording, BigInt(hit.seg.sequence));
          if (e.a !== BigInt(hit.seg.sequence) || e.b !== BigInt(hit.seg.frame_count ?? -1)) {
            problem({ kind: "audit-segment-mismatch", recording: hit.recording, segment: hit.seg.sequence, entry, message: `audit entry ${at} logs segment ${e.a} with ${e.b} frames for the manifest of segment ${hit.seg.sequence}, which has ${hit.seg.frame_count} frames` });
          }
          break;
        }
        const rec = context;
        if (rec !== null) saw(rec, e.a);
        const sequence = n53(e.a) ?? undefined;
        if (rec !== null && !checkedIds.has(rec) && !o.wholeDevice) {
          elsewhere.set(rec, (elsewhere.get(rec) ?? 0) + 1);
          break;
        }
        if (rec === null && !o.wholeDevice) {
          elsewhere.set("", (elsewhere.get("") ?? 0) + 1);
          break;
        }
        // A segment present whose manifest failed its own checks is named there already.
        const present = rec !== null && sequence !== undefined ? bySequence.get(`${rec}:${sequence}`) : undefined;
        if (present && !present.manifest_ok) break;
        const whose = rec === null ? "" : checkedIds.has(rec) ? ` of recording ${rec}` : ` of recording ${rec}, which is not in the store at all,`;
        problem({
          kind: "audit-missing-segment", recording: rec ?? undefined, segment: sequence, entry,
          message: `segment ${e.a}${whose} was committed on the camera (audit entry ${at}: ${e.b} frames, manifest hash ${hash.slice(0, 16)}…) but is missing from the store`,
        });
        break;
      }
    }
  };

  const head: Head = { index: null, hash: null, last: null };
  let started = false;
  /** An entry behind the head: moved or repeated, or the first of a second history (decided by the entry after it). */
  let behind: { e: AuditEntry; offset: number } | null = null;
  /** A run of entries naming another device. */
  let foreign: { from: bigint | null; to: bigint | null; offset: number; key: Uint8Array; n: number } | null = null;

  const flushForeign = () => {
    if (!foreign) return;
    const f = foreign;
    foreign = null;
    deviceMismatch = true;
    const where = f.from !== null ? (f.n === 1 ? `audit entry ${f.from}` : `audit entries ${f.from}–${f.to}`) : `${plural(f.n, "entry", "entries")} from byte ${f.offset}`;
    problem({ kind: "audit-device", entry: f.from !== null ? n53(f.from) ?? undefined : undefined, message: `${where} name${f.n === 1 ? "s" : ""} another device (${deviceFingerprint(f.key)}), not the log's (${deviceFingerprint(o.device)}): not this camera's log` });
  };
  const flushBehind = () => {
    if (!behind) return;
    const { e, offset } = behind;
    behind = null;
    chainBreak(e.index, `audit entry ${e.index} (at byte ${offset}) is out of place: it comes after entry ${head.last}, so it was moved or repeated`);
  };

  /** Places a believed entry in the chain. */
  const link = (e: AuditEntry, offset: number) => {
    if (behind) {
      if (e.index === behind.e.index + 1n && equal(e.previous, behind.e.hash)) {
        // The entries after it continue from it: a second history of indexes already seen.
        chainBreak(behind.e.index, `a second history starts at audit entry ${behind.e.index} (byte ${behind.offset}), after entry ${head.last}: the log forks there (entries replaced, or a chain of the same device spliced in)`);
        behind = null;
        head.index = e.index + 1n;
        head.hash = e.hash;
        head.last = e.index;
        return;
      }
      flushBehind();
    }
    if (!started) {
      started = true;
      if (e.index === 0n) {
        if (!equal(e.previous, ZERO32)) chainBreak(0n, "audit entry 0 names a previous entry, but the first entry of a log has none");
      } else {
        notes.push(`the log starts at entry ${e.index}: entries 0–${e.index - 1n} are not in this file (removed on the camera after the dock's receipt for them, or held elsewhere), so entry ${e.index}'s previous hash cannot be checked`);
      }
    } else if (head.index === null) {
      // After entries that are not believed: nothing to hold this one to.
    } else if (e.index === head.index) {
      if (head.hash !== null && !equal(e.previous, head.hash)) {
        chainBreak(e.index, `audit entry ${e.index} does not name entry ${head.last}'s hash as its predecessor: the chain breaks here (an entry replaced, or a different history continues from here)`);
      }
    } else if (e.index > head.index) {
      chainBreak(head.index, `${entries(head.index, e.index - 1n)} missing: the log passes from entry ${head.last} to entry ${e.index} (removed, or held by another dock)`);
    } else if (e.index === 0n && equal(e.previous, ZERO32)) {
      chainBreak(0n, `a new chain starts at index 0 (byte ${offset}) after entry ${head.last}: the camera's log storage was wiped, or another log of this device was added (a fork)`);
    } else {
      behind = { e, offset };
      return;
    }
    head.index = e.index + 1n;
    head.hash = e.hash;
    head.last = e.index;
  };

  const fd = openLog(file);
  let size: number;
  try {
    size = readEntries(fd, (bytes, offset) => {
      count++;
      const e = decodeAuditEntry(bytes);
      // Where this entry stands if every entry so far took one place: how an entry that is not believed is named.
      const place = head.index !== null ? head.index : e.index;
      if (!equal(e.device, o.device)) {
        if (foreign && equal(foreign.key, e.device)) {
          foreign.to = place;
          foreign.n++;
        } else {
          flushForeign();
          foreign = { from: place, to: place, offset, key: e.device.slice(), n: 1 };
        }
        if (head.index !== null) head.index++;
        head.hash = null;
        head.last = place;
        started = true;
        return;
      }
      flushForeign();
      const msg = auditEntryMessage(bytes);
      const code = o.crypto.ed25519Verify(o.device, msg, e.signature);
      const wrong: string[] = [];
      if (e.index > MAX_SAFE) wrong.push("its index is not below 2^53");
      if (code !== 0) {
        const why = code === ERR_SIGNATURE ? "" : ` (${moduleMessage(code)})`;
        problem({ kind: "audit-signature", entry: n53(place) ?? undefined, message: `audit entry ${place} (byte ${offset}) does not verify under the device key${why}: it was edited or forged${wrong.length ? `; ${wrong.join("; ")}` : ""}` });
        if (head.index !== null) head.index++;
        head.hash = null;
        head.last = place;
        started = true;
        return;
      }
      if (e.reserved !== 0) wrong.push(`reserved bytes 44–47 are not zero (0x${e.reserved.toString(16)})`);
      if (AUDIT_KINDS[e.kind] === undefined) wrong.push(`unknown kind ${e.kind}`);
      if (wrong.length) problem({ kind: "audit-entry", entry: n53(e.index) ?? undefined, message: `audit entry ${e.index}: ${wrong.join("; ")}` });
      if (e.index > MAX_SAFE) {
        head.index = null;
        head.hash = null;
        return;
      }
      verified++;
      const known = AUDIT_KINDS[e.kind] !== undefined ? e.kind : 0;
      kinds.set(known, (kinds.get(known) ?? 0) + 1);
      firstIndex ??= e.index;
      lastIndex = e.index;
      firstTime ??= e.timeUs;
      lastTime = e.timeUs;
      link(e, offset);
      account(e, e.index);
    });
  } catch (err) {
    if (err instanceof SealcamError) throw err;
    throw new SealcamError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.USAGE);
  } finally {
    closeSync(fd);
  }
  flushForeign();
  flushBehind();
  const partial = size % AUDIT_ENTRY_BYTES;
  if (size === 0) problem({ kind: "audit-file", message: `${file} is empty: a camera's log holds at least its boot entry` });
  else if (partial !== 0) {
    const next = head.index ?? (lastIndex !== null ? lastIndex + 1n : null);
    problem({ kind: "audit-file", entry: next !== null ? n53(next) ?? undefined : undefined, message: `the log ends with ${partial} bytes of a partial entry${next !== null ? ` (entry ${next})` : ""}: ${size} bytes is not a whole number of ${AUDIT_ENTRY_BYTES}-byte entries, so the file was cut short or added to` });
  }

  // Segments present with no "segment committed" entry: a problem where the log covers them.
  for (const r of o.recordings) {
    const l = logged.get(r.recording);
    const uncovered: number[] = [];
    // A recording the camera was in when it rebooted may end with one segment
    // whose commit record landed whole as the power died: committed, but the
    // module never heard so and could not log it (FORMAT.md "The camera's flash").
    let powerCutCommit = l !== undefined && l.cutByBoot;
    for (const seg of [...r.segments].sort((a, b) => a.sequence - b.sequence)) {
      if (!seg.manifest_hash || !seg.manifest_ok || matched.has(seg.manifest_hash)) continue;
      const s = seg.sequence;
      const covered = l !== undefined && (l.started || l.min < s) && (l.ended || l.max > s);
      if (covered && powerCutCommit && s > l!.max) {
        powerCutCommit = false;
        notes.push(`recording ${r.recording}: segment ${s} has no "segment committed" entry; the camera rebooted during this recording without stopping it, and this is the segment after the last one it logged: its commit landed as the power failed, before the camera could log it`);
      } else if (covered) {
        problem({ kind: "audit-unlogged-segment", recording: r.recording, segment: s, message: `segment ${s} of recording ${r.recording} is in the store, but the audit log, which covers it, has no "segment committed" entry for its manifest: the entry was removed, or the camera could not write it` });
      } else uncovered.push(s);
    }
    if (uncovered.length) {
      const list = uncovered.length > 10 ? `${uncovered.slice(0, 10).join(", ")} and ${uncovered.length - 10} more` : uncovered.join(", ");
      const why = l === undefined ? "the log names no entry of this recording" : "its entries do not reach that far";
      notes.push(`recording ${r.recording}: ${plural(uncovered.length, "segment", "segments")} (${list}) ${uncovered.length === 1 ? "has" : "have"} no "segment committed" entry, but the log does not cover ${uncovered.length === 1 ? "it" : "them"} (${why}): not checked against the log`);
    }
    if (l && l.expired > 0) notes.push(`recording ${r.recording}: the log records ${plural(l.expired, "pre-event segment", "pre-event segments")} expired on the camera (never evidence)`);
  }
  const away = [...elsewhere].reduce((n, [, c]) => n + c, 0);
  if (away > 0) {
    const ids = [...elsewhere.keys()].filter((k) => k !== "");
    const named = ids.length ? ` (recording${ids.length === 1 ? "" : "s"} ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ` and ${ids.length - 5} more` : ""})` : "";
    notes.push(`${plural(away, `"segment committed" entry names a segment`, `"segment committed" entries name segments`)} of recordings not verified here${named}${elsewhere.has("") ? "; some of them could not be placed in a recording (the log starts inside one)" : ""}`);
  }

  const kindList: AuditKindCount[] = [...kinds].sort(([a], [b]) => (a || 99) - (b || 99)).map(([kind, n]) => ({ kind, name: AUDIT_KINDS[kind] ?? "unknown", count: n }));
  const listed = problems.listed.sort((a, b) => (a.entry ?? Infinity) - (b.entry ?? Infinity));
  return {
    file,
    device,
    device_key: formatDevicePublicKey(o.device),
    fingerprint: deviceFingerprint(o.device),
    device_pinned: o.pinned && !deviceMismatch,
    device_from: o.deviceFrom,
    bytes: size,
    entries: count,
    entries_verified: verified,
    first_index: firstIndex === null ? null : n53(firstIndex),
    last_index: lastIndex === null ? null : n53(lastIndex),
    first_time_us: firstTime === null ? null : n53(firstTime),
    last_time_us: lastTime === null ? null : n53(lastTime),
    kinds: kindList,
    breaks: breaks.sort((a, b) => a - b),
    recordings_checked: [...checkedIds].sort(),
    whole_device: o.wholeDevice,
    segments_committed: committed,
    segments_matched: matched.size,
    notes,
    problems: listed,
    problems_more: problems.more,
    intact: problems.count === 0,
  };
}
