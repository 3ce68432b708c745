// `sealcam verify` on a camera's audit log and on recordings that begin with a
// pre-event start. A real recording of the 12 s fixture (1 s segments: 12 of
// 30 frames) is placed in a tree laid out as the dock's store
// (`STORE/devices/<device>/<recording>/…` and `STORE/devices/<device>/audit.log`)
// beside an audit log built here from FORMAT.md and signed with the recording
// device's key (tests/helpers/auditlog.ts). The intact log verifies, whether
// the device folder or the recording folder is given; each tamper is named by
// the index of the entry it touched (an edited, removed, reordered entry, a
// forged signature, another device's entry, a fork, a truncated file) and a
// segment the log says was committed but the store lacks is named by segment.
// Pre-event starts (manifests re-signed with the device key, flag bit 1) are
// accepted as where the evidence begins, and refused anywhere else.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { REQUIRE_ALL } from "./helpers/module.ts";
import type { AuditLogResult, Problem, ProblemKind, VerifyReport } from "../host/custody/model.ts";
import {
  keygen, recordFixture, sealcamAsync, removeSegment, resignManifest, parseReport, allProblems, recordingIn, show,
  FRAMES_PER_SEGMENT, SEGMENTS, type Keys, type Recording, type Manifest,
} from "./helpers/tamper.ts";
import {
  AuditLog, KIND, ENTRY_BYTES, BODY_BYTES, entryBody, signEntry, logRecording, manifestHash, placeLog, placeRecording,
  deviceFolder, readSeed, recordingRef,
} from "./helpers/auditlog.ts";

const missing = ["age", "age-keygen"].filter((t) => spawnSync(t, ["--version"]).error);
const skip = missing.length > 0 && !REQUIRE_ALL ? `needs ${missing.join(", ")}` : false;
if (missing.length > 0 && REQUIRE_ALL) it("has the tools it needs (SEALCAM_REQUIRE_ALL=1)", () => assert.fail(`missing: ${missing.join(", ")}`));

interface Verified {
  code: number | null;
  report: VerifyReport;
  err: string;
}

/** `sealcam verify ARGS… --json`: exit 0 or 1 and the report. */
async function verify(...args: string[]): Promise<Verified> {
  const r = await sealcamAsync("verify", ...args, "--json");
  assert.ok(r.code === 0 || r.code === 1, `verify exits 0 or 1 (got ${r.code}; stderr: ${r.err})`);
  const report = parseReport(r.out);
  assert.equal(report.intact, r.code === 0, "intact exactly when the exit code is 0");
  assert.ok(Array.isArray(report.audit_logs), "the report has audit_logs");
  return { code: r.code, report, err: r.err };
}

const sha = (text: string): Uint8Array => new Uint8Array(createHash("sha256").update(text).digest());

/** The one audit log of a report. */
function theLog(v: Verified): AuditLogResult {
  assert.equal(v.report.audit_logs.length, 1, `one audit log in the report: ${v.report.audit_logs.map((a) => a.file)}`);
  return v.report.audit_logs[0];
}

/** Problems of an audit log of kind `kind`, naming entry `entry` when given. */
const auditProblems = (v: Verified, kind: ProblemKind, entry?: number): Problem[] =>
  v.report.audit_logs.flatMap((a) => a.problems).filter((p) => p.kind === kind && (entry === undefined || p.entry === entry));

/** Asserts exit 1 and a problem of `kind` naming `entry`. */
function expectEntry(v: Verified, kind: ProblemKind, entry: number, what: string): void {
  assert.equal(v.code, 1, `${what}: exit 1\n${show(v.report)}`);
  assert.ok(auditProblems(v, kind, entry).length > 0, `${what}: a ${kind} problem naming entry ${entry}; found:\n${show(v.report)}\n${JSON.stringify(v.report.audit_logs.flatMap((a) => a.problems), null, 1)}`);
}

/** Every audit problem names only the entries in `entries` (a tamper is named where it is, not in a cascade). */
function onlyEntries(v: Verified, entries: number[], what: string): void {
  const named = v.report.audit_logs.flatMap((a) => a.problems).map((p) => p.entry);
  assert.ok(named.every((e) => e !== undefined && entries.includes(e)), `${what}: problems name only entries ${entries}: ${JSON.stringify(v.report.audit_logs.flatMap((a) => a.problems), null, 1)}`);
}

describe("sealcam verify: audit logs and pre-event starts", { skip, concurrency: 2 }, () => {
  let work: string;
  let force: Keys;
  let stranger: Keys;
  let seed: Uint8Array; // the recording device's seed
  let device: Uint8Array;
  let otherSeed: Uint8Array;
  let pristine: Recording;
  let n = 0;

  /** The camera's log around the fixture: boot, configuration, the recording (12 commits), docking, 12 uploads, a clock change. */
  const cameraLog = (manifests: Manifest[] = pristine.manifests, id = pristine.id, log = new AuditLog(seed)): AuditLog => {
    log.add({ kind: KIND.boot });
    log.add({ kind: KIND.configAccepted, a: 1, b: 1, ref: sha("configuration") });
    logRecording(log, id, manifests);
    log.add({ kind: KIND.dockAuthenticated, a: 1_764_000_100_000_000n, ref: sha("dock") });
    for (const m of manifests) log.add({ kind: KIND.upload, a: m.sequence, b: m.age_bytes, ref: manifestHash(m) });
    log.add({ kind: KIND.clockChange, a: 1_764_000_100_000_000n, b: 1_764_000_100_500_000n });
    return log;
  };
  /** Index of segment `s`'s "segment committed" entry in cameraLog(): boot, configuration, started, then the commits. */
  const committedAt = (s: number) => 3 + s;

  /** A store of its own for a case: the recording (or `rec`) and `log` as its device's audit.log. */
  const store = (log: Uint8Array | null, rec: Recording = pristine) => {
    const root = join(work, `store-${String(++n).padStart(2, "0")}`);
    const recDir = placeRecording(root, device, rec.id, rec.dir);
    const logFile = log ? placeLog(root, device, log) : null;
    return { root, dev: deviceFolder(root, device), recDir, logFile, rec: { ...rec, dir: recDir } as Recording };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sealcam-auditlog-"));
    force = await keygen(join(work, "keys"));
    stranger = await keygen(join(work, "stranger"), "--device-only");
    seed = readSeed(force.deviceKey);
    device = ed25519.getPublicKey(seed);
    otherSeed = readSeed(stranger.deviceKey);
    pristine = await recordFixture(join(work, "pristine"), force);
    assert.equal(pristine.manifests[0].device, Buffer.from(device).toString("hex"), "the log helper derives the recording's device key");
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  // ---- intact ----------------------------------------------------------------

  it("an intact log beside its recording: exit 0, the device folder and the recording folder alike", async () => {
    const log = cameraLog();
    const s = store(log.bytes());
    const whole = await verify(s.dev);
    assert.equal(whole.code, 0, show(whole.report));
    const a = theLog(whole);
    assert.equal(a.entries, log.entries.length);
    assert.equal(a.entries_verified, log.entries.length);
    assert.equal(a.bytes, log.entries.length * ENTRY_BYTES);
    assert.equal(a.first_index, 0);
    assert.equal(a.last_index, log.entries.length - 1);
    assert.equal(a.first_time_us, Number(log.entries[0].bytes.readBigUInt64LE(48)));
    assert.deepEqual(a.breaks, []);
    assert.equal(a.segments_committed, SEGMENTS);
    assert.equal(a.segments_matched, SEGMENTS);
    assert.equal(a.whole_device, true);
    assert.equal(a.device_from, "recordings");
    assert.deepEqual(a.recordings_checked, [pristine.id]);
    assert.deepEqual(a.kinds.find((k) => k.kind === KIND.segmentCommitted), { kind: 14, name: "segment committed", count: SEGMENTS });
    assert.deepEqual(a.kinds.find((k) => k.kind === KIND.upload), { kind: 10, name: "upload", count: SEGMENTS });
    assert.equal(whole.report.recordings.length, 1, "the device folder brings its recording folder");
    assert.equal(recordingIn(whole.report, pristine.id).segments.length, SEGMENTS);

    const one = await verify(s.recDir, "--device", join(work, "keys", "device.pub"));
    assert.equal(one.code, 0, show(one.report));
    const b = theLog(one);
    assert.equal(b.whole_device, false, "a recording folder is not the device's whole store");
    assert.equal(b.device_from, "--device");
    assert.equal(b.device_pinned, true);
    assert.equal(b.segments_matched, SEGMENTS);

    // The text summary.
    const text = await sealcamAsync("verify", s.dev);
    assert.equal(text.code, 0, text.out + text.err);
    assert.match(text.out, /^audit log .*audit\.log$/m);
    assert.match(text.out, new RegExp(`entries   ${log.entries.length} \\(${log.entries.length * ENTRY_BYTES} bytes\\), indexes 0–${log.entries.length - 1}, ${log.entries.length} signed by the device; chain unbroken`));
    assert.match(text.out, /segments  12 committed by the log, 12 of them present; recordings checked against it: 1 \(the device's whole store\)/);
    assert.match(text.out, /segment committed 12/);
    assert.match(text.out, /^verdict: INTACT$/m);
  });

  it("the log alone, and with the force identity: intact; what it cannot place is information", async () => {
    const log = cameraLog();
    const s = store(log.bytes());
    const alone = await verify(s.logFile!);
    assert.equal(alone.code, 0, show(alone.report));
    const a = theLog(alone);
    assert.equal(a.device_from, "log");
    assert.equal(a.segments_matched, 0);
    assert.ok(a.notes.some((t) => t.includes(`12 "segment committed" entries name segments of recordings not verified here (recording ${pristine.id})`)), a.notes.join("\n"));
    const full = await verify(s.dev, "--identity", force.identity);
    assert.equal(full.code, 0, show(full.report));
    assert.equal(full.report.mode, "full");
    assert.equal(theLog(full).segments_matched, SEGMENTS);
  });

  it("a log trimmed at the front: the starting index is information, the segments before it are not checked", async () => {
    const log = new AuditLog(seed, 40n, sha("entry 39"));
    for (const m of pristine.manifests.slice(6)) log.add({ kind: KIND.segmentCommitted, a: m.sequence, b: m.frame_count, ref: manifestHash(m) });
    log.add({ kind: KIND.recordingStopped, a: 360, b: 12, ref: recordingRef(pristine.id) });
    const v = await verify(store(log.bytes()).dev);
    assert.equal(v.code, 0, show(v.report));
    const a = theLog(v);
    assert.equal(a.first_index, 40);
    assert.ok(a.notes.some((t) => t.startsWith("the log starts at entry 40: entries 0–39 are not in this file")), a.notes.join("\n"));
    assert.ok(a.notes.some((t) => t.includes(`recording ${pristine.id}: 6 segments (0, 1, 2, 3, 4, 5) have no "segment committed" entry, but the log does not cover them`)), a.notes.join("\n"));
    assert.equal(a.segments_matched, 6);
  });

  // ---- tampered logs: each named by index ---------------------------------------

  it("an edited entry: its signature fails, named by its index, and only there", async () => {
    const log = cameraLog();
    const bytes = log.bytes();
    const k = 16; // dock authenticated
    bytes[k * ENTRY_BYTES + 50] ^= 0x01; // its time
    const v = await verify(store(bytes).dev);
    expectEntry(v, "audit-signature", k, "edited entry");
    onlyEntries(v, [k], "edited entry");
    assert.equal(theLog(v).entries_verified, log.entries.length - 1);
  });

  it("a removed entry: the gap is named by the missing index", async () => {
    const log = cameraLog();
    const k = 20;
    const v = await verify(store(log.bytes(log.entries.filter((e) => e.index !== BigInt(k)))).dev);
    expectEntry(v, "audit-chain", k, "removed entry");
    onlyEntries(v, [k], "removed entry");
    assert.deepEqual(theLog(v).breaks, [k]);
  });

  it("two entries swapped: named by the displaced index", async () => {
    const log = cameraLog();
    const k = 18;
    const order = [...log.entries];
    [order[k], order[k + 1]] = [order[k + 1], order[k]];
    const v = await verify(store(log.bytes(order)).dev);
    expectEntry(v, "audit-chain", k, "reordered entries");
    onlyEntries(v, [k], "reordered entries");
    assert.ok(auditProblems(v, "audit-chain", k).some((p) => /out of place/.test(p.message)), show(v.report));
  });

  it("a forged signature (another key's, or random bytes): named by index", async () => {
    const log = cameraLog();
    const k = 1; // configuration accepted
    for (const forge of ["other key", "random"]) {
      const bytes = log.bytes();
      const body = bytes.subarray(k * ENTRY_BYTES, k * ENTRY_BYTES + BODY_BYTES);
      const sig = forge === "random" ? Buffer.from(sha("x").slice(0, 32)).toString("hex").repeat(2) : null;
      const forged = sig ? Buffer.concat([body, Buffer.from(sig, "hex")]) : signEntry(otherSeed, body);
      forged.copy(bytes, k * ENTRY_BYTES);
      const v = await verify(store(bytes).dev);
      expectEntry(v, "audit-signature", k, forge);
      onlyEntries(v, [k], forge);
    }
    // A "segment committed" entry that is not believed leaves its segment unlogged where the log covers it.
    const bytes = log.bytes();
    const at = committedAt(2) * ENTRY_BYTES;
    signEntry(otherSeed, bytes.subarray(at, at + BODY_BYTES)).copy(bytes, at);
    const v = await verify(store(bytes).dev);
    expectEntry(v, "audit-signature", committedAt(2), "a forged commit");
    assert.deepEqual(auditProblems(v, "audit-unlogged-segment").map((p) => p.segment), [2], show(v.report));
  });

  it("an entry of another device, and a log that is wholly another device's: named by index, once per run", async () => {
    const log = cameraLog();
    const k = 17; // an upload
    const bytes = log.bytes();
    const e = log.entries[k];
    const other = ed25519.getPublicKey(otherSeed);
    const body = entryBody(other, e.index, { kind: KIND.upload, a: 0, b: 1, time: 5 }, log.entries[k - 1].hash);
    signEntry(otherSeed, body).copy(bytes, k * ENTRY_BYTES);
    const v = await verify(store(bytes).dev);
    expectEntry(v, "audit-device", k, "another device's entry");
    onlyEntries(v, [k], "another device's entry");

    const theirs = cameraLog(pristine.manifests, pristine.id, new AuditLog(otherSeed));
    const w = await verify(store(theirs.bytes()).dev);
    expectEntry(w, "audit-device", 0, "another device's log");
    const device = auditProblems(w, "audit-device");
    assert.equal(device.length, 1, `one problem for the run: ${show(w.report)}`);
    assert.match(device[0].message, new RegExp(`audit entries 0–${theirs.entries.length - 1} name another device`));
  });

  it("a fork: a wiped log starting again at 0, a history from another branch, a second history appended", async () => {
    // The camera's log storage was wiped: a new chain at index 0 after the old one.
    const old = cameraLog();
    const fresh = new AuditLog(seed, 0n, undefined, 1_764_100_000_000_000n);
    fresh.add({ kind: KIND.boot });
    fresh.add({ kind: KIND.configAccepted, a: 2, b: 1, ref: sha("configuration 2") });
    const wiped = await verify(store(Buffer.concat([old.bytes(), fresh.bytes()])).dev);
    expectEntry(wiped, "audit-chain", 0, "wiped log");
    onlyEntries(wiped, [0], "wiped log");
    assert.ok(auditProblems(wiped, "audit-chain", 0).some((p) => /new chain starts at index 0/.test(p.message)), show(wiped.report));

    // From entry 22 on, the entries of a history that parted from this one at entry 21.
    const b = new AuditLog(seed, 21n, old.entries[20].hash, 1_764_000_050_000_000n);
    for (let i = 21; i < old.entries.length; i++) b.add({ kind: KIND.clockChange, a: i, b: i + 1 });
    const spliced = [...old.entries.slice(0, 22), ...b.entries.slice(1)];
    const fork = await verify(store(old.bytes(spliced)).dev);
    expectEntry(fork, "audit-chain", 22, "spliced history");
    onlyEntries(fork, [22], "spliced history");

    // The whole second history appended after the first.
    const both = await verify(store(Buffer.concat([old.bytes(), old.bytes(b.entries)])).dev);
    expectEntry(both, "audit-chain", 21, "a second history appended");
    onlyEntries(both, [21], "a second history appended");
    assert.ok(auditProblems(both, "audit-chain", 21).some((p) => /second history/.test(p.message)), show(both.report));
  });

  it("a truncated file: the partial entry is named by its index", async () => {
    const log = cameraLog();
    const bytes = log.bytes();
    const cut = bytes.subarray(0, bytes.length - 50);
    const v = await verify(store(cut).dev);
    const last = log.entries.length - 1;
    expectEntry(v, "audit-file", last, "truncated log");
    assert.match(auditProblems(v, "audit-file")[0].message, /150 bytes of a partial entry \(entry \d+\)/);
    assert.equal(theLog(v).entries, last);

    const empty = await verify(store(new Uint8Array(0)).dev);
    assert.equal(empty.code, 1);
    assert.ok(auditProblems(empty, "audit-file").some((p) => /is empty/.test(p.message)), show(empty.report));
  });

  it("reserved bytes set and an unknown kind, validly signed: named by index", async () => {
    const log = cameraLog();
    const tail = new AuditLog(seed, BigInt(log.entries.length), log.entries[log.entries.length - 1].hash);
    tail.add({ kind: KIND.clockChange, reserved: 7 });
    tail.add({ kind: 17 });
    const v = await verify(store(Buffer.concat([log.bytes(), tail.bytes()])).dev);
    expectEntry(v, "audit-entry", log.entries.length, "reserved bytes");
    expectEntry(v, "audit-entry", log.entries.length + 1, "unknown kind");
    assert.ok(theLog(v).kinds.some((k) => k.name === "unknown" && k.count === 1));
  });

  // ---- the log against the segments -----------------------------------------------

  it("a committed segment missing from the store: named by segment and entry; its whole recording missing too", async () => {
    const log = cameraLog();
    const s = store(log.bytes());
    removeSegment(s.rec, 5);
    const v = await verify(s.dev);
    assert.equal(v.code, 1);
    const p = auditProblems(v, "audit-missing-segment").filter((q) => q.segment === 5);
    assert.equal(p.length, 1, show(v.report));
    assert.equal(p[0].entry, committedAt(5));
    assert.equal(p[0].recording, pristine.id);
    assert.match(p[0].message, /committed on the camera .* but is missing from the store/);

    // A recording the log committed segments of, absent from the device's store.
    const ghost = "ab".repeat(16);
    const two = cameraLog();
    two.add({ kind: KIND.recordingStarted, ref: recordingRef(ghost) });
    two.add({ kind: KIND.segmentCommitted, a: 0, b: 30, ref: sha("ghost 0") });
    two.add({ kind: KIND.recordingStopped, a: 30, b: 1, ref: recordingRef(ghost) });
    const t = store(two.bytes());
    const gone = await verify(t.dev);
    assert.equal(gone.code, 1);
    const g = auditProblems(gone, "audit-missing-segment");
    assert.equal(g.length, 1, show(gone.report));
    assert.equal(g[0].recording, ghost);
    assert.match(g[0].message, /not in the store at all/);
    // Given only the other recording's folder, the absent recording is not among those verified: information.
    const only = await verify(t.recDir);
    assert.equal(only.code, 0, show(only.report));
    assert.ok(theLog(only).notes.some((x) => x.includes(`recording ${ghost}`)), theLog(only).notes.join("\n"));
  });

  it("a segment present with no \"segment committed\" entry where the log covers it: named; where it does not: information", async () => {
    const log = new AuditLog(seed);
    log.add({ kind: KIND.boot });
    logRecording(log, pristine.id, pristine.manifests.filter((m) => m.sequence !== 4));
    const v = await verify(store(log.bytes()).dev);
    assert.equal(v.code, 1);
    const p = auditProblems(v, "audit-unlogged-segment");
    assert.deepEqual(p.map((q) => q.segment), [4], show(v.report));

    // The log ends before the recording does (no stop, no later entry): segments after its last commit are not covered.
    const early = new AuditLog(seed);
    early.add({ kind: KIND.boot });
    early.add({ kind: KIND.recordingStarted, ref: recordingRef(pristine.id) });
    for (const m of pristine.manifests.slice(0, 9)) early.add({ kind: KIND.segmentCommitted, a: m.sequence, b: m.frame_count, ref: manifestHash(m) });
    const w = await verify(store(early.bytes()).dev);
    assert.equal(w.code, 0, show(w.report));
    assert.ok(theLog(w).notes.some((x) => x.includes("3 segments (9, 10, 11) have no \"segment committed\" entry, but the log does not cover them")), theLog(w).notes.join("\n"));
  });

  it("a \"segment committed\" entry whose sequence disagrees with the manifest it names: named", async () => {
    const log = new AuditLog(seed);
    log.add({ kind: KIND.recordingStarted, ref: recordingRef(pristine.id) });
    for (const m of pristine.manifests) log.add({ kind: KIND.segmentCommitted, a: m.sequence === 7 ? 8 : m.sequence, b: m.frame_count, ref: manifestHash(m) });
    log.add({ kind: KIND.recordingStopped, ref: recordingRef(pristine.id) });
    const v = await verify(store(log.bytes()).dev);
    expectEntry(v, "audit-segment-mismatch", 8, "sequence disagrees");
    assert.equal(auditProblems(v, "audit-segment-mismatch")[0].segment, 7);
  });

  // ---- pre-event starts -----------------------------------------------------------

  /**
   * A copy of the recording with segment `at` re-signed by `edit` and every
   * segment after it re-signed to name its new predecessor, as the camera
   * would have chained them. The manifests of the segments present.
   */
  const resigned = (what: string, at: number, edit: (m: Manifest) => void, drop: number[] = []): Recording => {
    const dir = join(work, `${what}-${++n}`);
    cpSync(pristine.dir, dir, { recursive: true });
    const rec: Recording = { ...pristine, dir, manifests: [...pristine.manifests] };
    for (const s of drop) removeSegment(rec, s);
    let previous = resignManifest(rec, at, seed, edit);
    rec.manifests[at] = previous;
    for (let s = at + 1; s < SEGMENTS; s++) {
      const hash = manifestHash(previous).toString("hex");
      previous = resignManifest(rec, s, seed, (m) => (m.previous_manifest = hash));
      rec.manifests[s] = previous;
    }
    rec.manifests = rec.manifests.filter((m) => !drop.includes(m.sequence));
    return rec;
  };
  const preEventStart = (m: Manifest) => {
    m.pre_event_start = true;
    m.previous_manifest = "00".repeat(32);
  };
  /** The recording as if it began at segment 3 as a pre-event start (0–2 expired on the camera). */
  const preEvent = (): Recording => resigned("pre", 3, preEventStart, [0, 1, 2]);

  it("a recording that begins with a pre-event start: accepted, with the information line; with its log", async () => {
    const rec = preEvent();
    const v = await verify(rec.dir, "--identity", force.identity);
    assert.equal(v.code, 0, show(v.report));
    const r = recordingIn(v.report, rec.id);
    assert.deepEqual(r.pre_event_start, { segment: 3, frame: 3 * FRAMES_PER_SEGMENT });
    assert.ok(r.notes.includes("evidence begins at frame 90 (segment 3): earlier pre-event footage expired on the camera, never evidence"), r.notes.join("\n"));
    assert.ok(r.notes.some((x) => /chain value cannot be checked against a predecessor/.test(x)), r.notes.join("\n"));
    assert.deepEqual(r.gaps, []);
    assert.equal(r.frames_verified, (SEGMENTS - 3) * FRAMES_PER_SEGMENT);
    assert.equal(r.segments.find((s) => s.sequence === 3)!.pre_event_start, true);

    const text = await sealcamAsync("verify", rec.dir);
    assert.equal(text.code, 0, text.out + text.err);
    assert.match(text.out, /^  note      evidence begins at frame 90 \(segment 3\): earlier pre-event footage expired on the camera, never evidence$/m);

    // With the camera's log: the expired segments are logged (kind 16), the rest committed.
    const log = new AuditLog(seed);
    log.add({ kind: KIND.boot });
    logRecording(log, rec.id, rec.manifests, { expired: [0, 1, 2] });
    const s = store(log.bytes(), rec);
    const w = await verify(s.dev, "--identity", force.identity);
    assert.equal(w.code, 0, show(w.report));
    assert.equal(theLog(w).segments_matched, SEGMENTS - 3);
    assert.ok(theLog(w).notes.some((x) => x.includes("the log records 3 pre-event segments expired on the camera")), theLog(w).notes.join("\n"));
  });

  it("the pre-event flag in the middle, with a previous manifest, or on segment 0: a problem", async () => {
    const rec = resigned("middle", 5, preEventStart);
    const v = await verify(rec.dir, "--identity", force.identity);
    assert.equal(v.code, 1);
    const pre = allProblems(v.report).filter((p) => p.kind === "pre-event");
    assert.deepEqual(pre.map((p) => p.segment), [5], show(v.report));
    assert.equal(allProblems(v.report).filter((p) => p.kind === "manifest-chain").length, 0, `the flag's zero previous_manifest is named once: ${show(v.report)}`);
    assert.equal(recordingIn(v.report, rec.id).pre_event_start, null);

    const named = resigned("named", 3, (m) => (m.pre_event_start = true), [0, 1, 2]);
    const w = await verify(named.dir);
    assert.equal(w.code, 1);
    assert.ok(allProblems(w.report).some((p) => p.kind === "pre-event" && p.segment === 3 && /names a previous manifest/.test(p.message)), show(w.report));
    assert.ok(allProblems(w.report).some((p) => p.kind === "segment-gap"), "not honoured: the segments before it are missing");

    const zero = resigned("zero", 0, (m) => (m.pre_event_start = true));
    const x = await verify(zero.dir);
    assert.equal(x.code, 1);
    assert.deepEqual(allProblems(x.report).map((p) => `${p.kind} ${p.segment}`), ["pre-event 0"], show(x.report));
  });

  // ---- the HTML report ---------------------------------------------------------------

  it("the HTML report shows the audit section: kinds, indexes, the chain; a break named by entry", async () => {
    const log = cameraLog();
    const s = store(log.bytes());
    const html = join(work, `report-${++n}.html`);
    const r = await sealcamAsync("report", s.dev, "--identity", force.identity, "--html", html);
    assert.equal(r.code, 0, r.out + r.err);
    const page = readFileSync(html, "utf8");
    assert.match(page, /<section id="audit">/);
    assert.match(page, /Audit log 1: <span class="good">intact<\/span>/);
    assert.match(page, new RegExp(`indexes 0–${log.entries.length - 1}`));
    assert.match(page, /<td class="num">14<\/td><td>segment committed<\/td><td class="num">12<\/td>/);
    assert.match(page, /<span class="good">unbroken<\/span>/);
    assert.match(page, /12 segments committed by the log, 12 of them present/);
    assert.match(page, /1 recording and 1 audit log: every check passed/);

    const k = 9;
    const t = store(log.bytes(log.entries.filter((e) => e.index !== BigInt(k))));
    const bad = join(work, `report-${++n}.html`);
    const q = await sealcamAsync("report", t.dev, "--html", bad);
    assert.equal(q.code, 1, q.out + q.err);
    const broken = readFileSync(bad, "utf8");
    assert.match(broken, /PROBLEMS FOUND/);
    assert.match(broken, new RegExp(`broken at entry ${k}`));
    assert.match(broken, new RegExp(`<code>audit-chain</code></td><td>audit log 1</td><td>—</td><td>—</td><td>entry ${k}</td>`));
    assert.match(broken, /audit log 1/);
  });

  it("the pre-event start in the HTML report: where the evidence begins, no gap", async () => {
    const rec = preEvent();
    const html = join(work, `report-${++n}.html`);
    const r = await sealcamAsync("report", rec.dir, "--html", html);
    assert.equal(r.code, 0, r.out + r.err);
    const page = readFileSync(html, "utf8");
    assert.match(page, /evidence begins at frame 90 \(segment 3\): earlier pre-event footage expired on the camera/);
    assert.doesNotMatch(page, /class="gap-row"/);
    assert.doesNotMatch(page, /class="gap"/);
  });

  it("unusable input stays exit 2: a device folder with neither recordings nor an audit log", async () => {
    const s = store(null);
    rmSync(s.recDir, { recursive: true });
    const r = await sealcamAsync("verify", s.dev);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /no segments \(\.age\), manifests \(\.manifest\.json\), clips \(\.sealclip\) or audit log \(audit\.log\) in this folder/);
  });
});
