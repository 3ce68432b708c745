// Tooling to tamper with sealcam recordings the way someone holding only the
// files and the force's public key could: flip bits in an .age file, cut it
// short, decrypt a segment with stock `age -d -i`, edit its evidence stream
// (drop, swap, repeat or alter frame entries), seal it again with stock
// `age -r` (anyone with the recipient can), rename or remove segment files,
// edit manifests. And what only the camera could do, with its device key:
// sign a changed manifest again (a pre-event start). The custody tests run
// `sealcam verify` on the result.
//
// Commands run asynchronously (spawn, not spawnSync) so node:test can run
// tamper cases side by side without one blocking the others' event loop.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync, truncateSync, statSync } from "node:fs";
import { join } from "node:path";
import { BIN, ROOT, type Run } from "./cli.ts";
import { parseEvidence, sha256 } from "./evidence.ts";
import { manifestText, signManifest } from "./auditlog.ts";
import type { Manifest } from "../../host/evidence/index.ts";
import type { VerifyReport, Problem, ProblemKind, RecordingResult, SegmentResult } from "../../host/custody/model.ts";

// ---- running commands ------------------------------------------------------

/** Runs `command ARGS…` without blocking the event loop; stdout as bytes and as text. */
export function runAsync(command: string, args: string[], input?: Buffer): Promise<Run & { bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const bytes = Buffer.concat(out);
      resolve({ code, out: bytes.toString("utf8"), err: Buffer.concat(err).toString("utf8"), bytes });
    });
    // A command that refuses early closes stdin under us; that is its answer, not ours to report.
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** Runs `sealcam ARGS…` (bin/sealcam.js under this Node) asynchronously. */
export function sealcamAsync(...args: string[]): Promise<Run> {
  return runAsync(process.execPath, [BIN, ...args]);
}

// ---- keys and recordings ---------------------------------------------------

export interface Keys {
  /** force.key (AGE-SECRET-KEY-1…) and its recipient (age1…). */
  identity: string;
  recipient: string;
  /** device.key (SEALCAM-DEVICE-KEY-1…) and its public key in hex (as manifests carry it). */
  deviceKey: string;
}

const firstLine = (file: string, prefix: string): string => {
  const line = readFileSync(file, "utf8").split(/\r?\n/).find((l) => l.startsWith(prefix));
  assert.ok(line, `${file} holds a ${prefix}… line`);
  return line;
};

/** Another force's identity from stock `age-keygen` (no device key): what a wrong identity looks like. */
export async function ageKeygen(file: string): Promise<Keys> {
  const r = await runAsync("age-keygen", ["-o", file]);
  assert.equal(r.code, 0, `age-keygen: ${r.err}`);
  return { identity: file, recipient: firstLine(file, "# public key: age1").slice("# public key: ".length), deviceKey: "" };
}

/** `sealcam keygen --out DIR` (optionally --force-only / --device-only); the paths it wrote. */
export async function keygen(dir: string, only?: "--force-only" | "--device-only"): Promise<Keys> {
  const r = await sealcamAsync("keygen", "--out", dir, ...(only ? [only] : []));
  assert.equal(r.code, 0, `keygen: ${r.err}`);
  return {
    identity: join(dir, "force.key"),
    recipient: only === "--device-only" ? "" : firstLine(join(dir, "force.pub"), "age1"),
    deviceKey: join(dir, "device.key"),
  };
}

/** A recording on disk: its folder and 32-hex recording id. */
export interface Recording {
  dir: string;
  id: string;
  /** Each segment's manifest as recorded (before any tampering), by sequence number. */
  manifests: Manifest[];
}

/** The JSON members of a segment manifest (FORMAT.md, "The segment manifest"), as the host types them. */
export type { Manifest } from "../../host/evidence/index.ts";

/** Frames of the 12 s fixture, and its frames per segment with `--segment-seconds 1` (30 fps, a keyframe each 30). */
export const FIXTURE_FRAMES = 360;
export const FRAMES_PER_SEGMENT = 30;
export const SEGMENTS = FIXTURE_FRAMES / FRAMES_PER_SEGMENT;

/**
 * Records the fixture into `dir` for the force `force` with the device key of
 * `device` (null: a new camera, record makes DIR/device.key), in 1 s segments, and checks the layout every tamper case relies
 * on: 12 segments of 30 frames, sequences 0…11, frame 30·s the first of
 * segment s, only the last final.
 */
export async function recordFixture(dir: string, force: Keys, device: Keys | null = force): Promise<Recording> {
  const r = await sealcamAsync(
    "record", "--recipient", force.recipient, "--out", dir, "--segment-seconds", "1", ...(device ? ["--device-key", device.deviceKey] : []),
  );
  assert.equal(r.code, 0, `record: ${r.err}`);
  // The directory store keeps the camera's audit log beside the segments;
  // these recordings are the segments alone (the audit log is tested with
  // logs made to order, tests/custody-audit-log.test.ts).
  rmSync(join(dir, "audit.log"), { force: true });
  const names = readdirSync(dir).filter((f) => f.endsWith(".manifest.json")).sort();
  assert.equal(names.length, SEGMENTS, `the fixture in 1 s segments: ${names}`);
  const id = names[0].slice(0, 32);
  const manifests = names.map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as Manifest);
  manifests.forEach((m, s) => {
    assert.equal(m.recording, id);
    assert.equal(m.sequence, s);
    assert.equal(m.first_frame, s * FRAMES_PER_SEGMENT, `segment ${s} starts at frame ${s * FRAMES_PER_SEGMENT}`);
    assert.equal(m.frame_count, FRAMES_PER_SEGMENT);
    assert.equal(m.final, s === SEGMENTS - 1);
  });
  return { dir, id, manifests };
}

/** `<recording>-<seq>`, the name both of a segment's files start with. */
export const segmentName = (id: string, sequence: number): string => `${id}-${String(sequence).padStart(6, "0")}`;
export const agePath = (rec: Recording, sequence: number): string => join(rec.dir, `${segmentName(rec.id, sequence)}.age`);
export const manifestPath = (rec: Recording, sequence: number): string => join(rec.dir, `${segmentName(rec.id, sequence)}.manifest.json`);

// ---- age, with the stock tools ---------------------------------------------

/** Decrypts an .age file with stock `age -d -i IDENTITY`. */
export async function ageDecrypt(file: string, identity: string): Promise<Buffer> {
  const r = await runAsync("age", ["-d", "-i", identity, file]);
  assert.equal(r.code, 0, `age -d ${file}: ${r.err}`);
  return r.bytes;
}

/** Encrypts to a recipient with stock `age -r RECIPIENT`: what anyone holding the force's public key can do. */
export async function ageEncrypt(plain: Buffer, recipient: string): Promise<Buffer> {
  const r = await runAsync("age", ["-r", recipient], plain);
  assert.equal(r.code, 0, `age -r: ${r.err}`);
  return r.bytes;
}

/**
 * Offset of the age payload (its 16-byte nonce) in an age file: just after the
 * header's `--- <MAC>` line (FORMAT.md, "The age file").
 */
export function agePayloadOffset(age: Buffer): number {
  const mac = age.indexOf("\n--- ");
  assert.ok(mac > 0, "an age header with a MAC line");
  const end = age.indexOf("\n", mac + 1);
  assert.ok(end > 0, "the MAC line ends");
  return end + 1;
}

/** age's STREAM: 64 KiB of plaintext per chunk, each with a 16-byte tag. */
export const AGE_CHUNK = 64 * 1024;
export const AGE_TAG = 16;

/** Flips one bit of the first STREAM chunk's ciphertext, `at` bytes past the payload nonce. */
export function flipAgeCiphertext(file: string, at: number): void {
  const age = readFileSync(file);
  const pos = agePayloadOffset(age) + 16 + at;
  assert.ok(pos < age.length - AGE_TAG, "inside the ciphertext, before the last tag");
  age[pos] ^= 0x04;
  writeFileSync(file, age);
}

/** Cuts a file down to `bytes`. */
export function cutFile(file: string, bytes: number): void {
  assert.ok(bytes < statSync(file).size);
  truncateSync(file, bytes);
}

// ---- the evidence stream, as entries to edit -------------------------------

/** One entry of an evidence stream or clip, whole (type byte to signature). */
export interface Entry {
  type: "F" | "T";
  /** The frame number its record carries (frame entries). */
  frame: number;
  bytes: Buffer;
}

/** A segment's plaintext as a header and its entries, in order, the trailer last. */
export interface Stream {
  header: Buffer;
  entries: Entry[];
}

const u64le = (n: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

/** Splits an evidence stream (parsed with the FORMAT.md reader of tests/helpers/evidence.ts) into entries. */
export function splitStream(plain: Buffer): Stream {
  const s = parseEvidence(plain);
  const entries: Entry[] = s.frames.map((f) => ({
    type: "F" as const,
    frame: Number(f.number),
    bytes: Buffer.concat([Buffer.from([0x46]), u64le(f.bytes.length), f.bytes, f.record, f.signature]),
  }));
  entries.push({ type: "T", frame: -1, bytes: Buffer.concat([Buffer.from([0x54]), s.trailer.bytes, s.trailer.signature]) });
  return { header: Buffer.from(s.header.bytes), entries };
}

export const joinStream = (s: Stream): Buffer => Buffer.concat([s.header, ...s.entries.map((e) => e.bytes)]);

/** The index of frame `frame`'s entry. */
export function entryOf(s: Stream, frame: number): number {
  const i = s.entries.findIndex((e) => e.type === "F" && e.frame === frame);
  assert.ok(i >= 0, `frame ${frame} is in this stream`);
  return i;
}

/**
 * Flips a byte in the middle of a frame entry's frame bytes (not its length,
 * record or signature), in place: the record then signs other bytes.
 */
export function alterFrameBytes(entry: Buffer): void {
  assert.equal(entry[0], 0x46, "a frame entry");
  const n = Number(entry.readBigUInt64LE(1));
  entry[9 + Math.floor(n / 2)] ^= 0x5a;
}

/**
 * Decrypts segment `sequence` with `age -d -i`, lets `edit` change its
 * stream, and seals the result again to the force's recipient with `age -r`,
 * in place of the old .age file. The manifest is left as it was.
 */
export async function editSegment(rec: Recording, sequence: number, force: Keys, edit: (s: Stream) => void): Promise<void> {
  const file = agePath(rec, sequence);
  const before = await ageDecrypt(file, force.identity);
  const stream = splitStream(before);
  edit(stream);
  const after = joinStream(stream);
  assert.ok(!after.equals(before), "the edit changed the stream");
  writeFileSync(file, await ageEncrypt(after, force.recipient));
}

// ---- files -------------------------------------------------------------------

/** Removes both files of a segment. */
export function removeSegment(rec: Recording, sequence: number): void {
  rmSync(agePath(rec, sequence));
  rmSync(manifestPath(rec, sequence));
}

/** Exchanges the names of two segments' files (both the .age and the manifest). */
export function swapSegments(rec: Recording, a: number, b: number): void {
  for (const path of [agePath, manifestPath]) {
    const pa = path(rec, a);
    const pb = path(rec, b);
    renameSync(pa, `${pa}.swap`);
    renameSync(pb, pa);
    renameSync(`${pa}.swap`, pb);
  }
}

/** Rewrites a segment's manifest with `edit` applied, as valid JSON (the signature left as it was). */
export function editManifest(rec: Recording, sequence: number, edit: (m: Manifest) => void): void {
  const file = manifestPath(rec, sequence);
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  edit(m);
  writeFileSync(file, JSON.stringify(m, null, 2) + "\n");
}

/**
 * Rewrites a segment's manifest with `edit` applied and signs it again with
 * the device seed (tests/helpers/auditlog.ts lays out the signed message from
 * FORMAT.md): a manifest the camera could have written. Returns it.
 */
export function resignManifest(rec: Recording, sequence: number, seed: Uint8Array, edit: (m: Manifest) => void): Manifest {
  const file = manifestPath(rec, sequence);
  const m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  edit(m);
  signManifest(m, seed);
  writeFileSync(file, manifestText(m));
  return m;
}

// ---- clips -------------------------------------------------------------------

/** A clip evidence file (FORMAT.md, "The clip evidence file"): where each frame entry lies. */
export interface Clip {
  firstFrame: number;
  count: number;
  requested: [number, number];
  /** Per frame entry: its frame number, the entry's offset, and where its frame bytes lie. */
  frames: { frame: number; at: number; start: number; length: number; keyframe: boolean }[];
  /** The end entry's offset. */
  end: number;
}

/** Parses a clip file's layout, checking what FORMAT.md fixes (magic, reserved, end entry, its SHA-256). */
export function parseClip(b: Buffer): Clip {
  assert.equal(b.subarray(0, 8).toString("latin1"), "SCAMCLP1", "clip magic");
  assert.ok(b.subarray(120, 128).equals(Buffer.alloc(8)), "reserved clip header bytes are zero");
  const firstFrame = Number(b.readBigUInt64LE(56));
  const count = Number(b.readBigUInt64LE(64));
  const requested: [number, number] = [Number(b.readBigUInt64LE(72)), Number(b.readBigUInt64LE(80))];
  const frames: Clip["frames"] = [];
  let at = 128;
  while (b[at] === 0x46) {
    const n = Number(b.readBigUInt64LE(at + 1));
    const record = b.subarray(at + 9 + n, at + 9 + n + 176);
    frames.push({ frame: Number(record.readBigUInt64LE(48)), at, start: at + 9, length: n, keyframe: (record.readUInt32LE(64) & 1) === 1 });
    at += 9 + n + 240;
  }
  assert.equal(b[at], 0x45, "an end entry after the frame entries");
  assert.equal(at + 41, b.length, "nothing after the end entry");
  assert.equal(Number(b.readBigUInt64LE(at + 1)), count, "the end entry's count");
  assert.ok(b.subarray(at + 9, at + 41).equals(sha256(b.subarray(0, at))), "the end entry's SHA-256");
  return { firstFrame, count, requested, frames, end: at };
}

// ---- reading a VerifyReport ------------------------------------------------

/** Parses `verify --json` output: the whole of stdout must be one VerifyReport. */
export function parseReport(out: string): VerifyReport {
  let report: VerifyReport;
  try {
    report = JSON.parse(out) as VerifyReport;
  } catch (e) {
    assert.fail(`stdout is not one JSON document (${(e as Error).message}):\n${out.slice(0, 2000)}`);
  }
  assert.equal(report.format, "sealcam-verify/1");
  assert.ok(Array.isArray(report.recordings) && Array.isArray(report.clips) && Array.isArray(report.problems), "recordings, clips, problems");
  return report;
}

/** Every problem in a report: its own, each recording's and each clip's. */
export function allProblems(report: VerifyReport): Problem[] {
  return [...report.problems, ...report.recordings.flatMap((r) => r.problems), ...report.clips.flatMap((c) => c.problems)];
}

/** Problems of one of `kinds` that name `segment` (and `frame`, when given). */
export function problemsAt(report: VerifyReport, kinds: ProblemKind[], segment?: number, frame?: number): Problem[] {
  return allProblems(report).filter(
    (p) => kinds.includes(p.kind) && (segment === undefined || p.segment === segment) && (frame === undefined || p.frame === frame),
  );
}

/** The one recording with id `id` in a report. */
export function recordingIn(report: VerifyReport, id: string): RecordingResult {
  const found = report.recordings.filter((r) => r.recording === id);
  assert.equal(found.length, 1, `recording ${id} appears once in the report (recordings: ${report.recordings.map((r) => r.recording)})`);
  return found[0];
}

/** Segment `sequence` of a recording's result. */
export function segmentIn(recording: RecordingResult, sequence: number): SegmentResult {
  const found = recording.segments.filter((s) => s.sequence === sequence);
  assert.equal(found.length, 1, `segment ${sequence} appears once in the report`);
  return found[0];
}

/** Problems, shortly, for assertion messages. */
export const show = (report: VerifyReport): string =>
  allProblems(report).map((p) => `${p.kind} seg=${p.segment ?? "-"} frame=${p.frame ?? "-"}: ${p.message}`).join("\n") || "(no problems)";
