// Audit logs built from docs/FORMAT.md ("The audit log") for the custody
// tests: 200-byte entries (body 136 ‖ Ed25519 signature 64), laid out here by
// hand and signed with @noble/curves under a device seed, chained by entry
// hash. Also: the manifest's signed message laid out by hand, so a test can
// re-sign a manifest it changed (a pre-event start) with the device's key, as
// only the camera could; and the dock store's layout
// `STORE/devices/<device hex>/<recording hex>/…` with
// `STORE/devices/<device hex>/audit.log`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { parseDeviceKey } from "../../host/keys/index.ts";
import type { Manifest } from "../../host/evidence/index.ts";

export const ENTRY_BYTES = 200;
export const BODY_BYTES = 136;
const DOMAIN = Buffer.from("sealcam/v1/audit-entry", "latin1"); // 22 bytes
const MANIFEST_DOMAIN = Buffer.from("sealcam/v1/segment-manifest", "latin1"); // 27 bytes

/** ABI.md's kinds, by the numbers the tests use. */
export const KIND = {
  boot: 1, configAccepted: 2, configRefused: 3, recordingStarted: 4, recordingStopped: 5, trigger: 6, storageFull: 7,
  powerLoss: 8, dockAuthenticated: 9, upload: 10, receiptAccepted: 11, deletion: 12, clockChange: 13,
  segmentCommitted: 14, segmentAborted: 15, segmentExpired: 16,
} as const;

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The device seed in a `device.key` file (its one SEALCAM-DEVICE-KEY-1… line). */
export function readSeed(deviceKeyFile: string): Uint8Array {
  const line = readFileSync(deviceKeyFile, "utf8").split(/\r?\n/).find((l) => l.startsWith("SEALCAM-DEVICE-KEY-1"));
  assert.ok(line, `${deviceKeyFile} holds a SEALCAM-DEVICE-KEY-1… line`);
  return parseDeviceKey(line);
}

/** What one entry says; the chain fields (index, previous hash) come from the log it joins. */
export interface EntrySpec {
  kind: number;
  a?: bigint | number;
  b?: bigint | number;
  /** 32 bytes; a recording id (16) is padded with 16 zero bytes. */
  ref?: Uint8Array;
  time?: bigint | number;
  reserved?: number;
}

/** An entry as written: its bytes and the fields the tests look at. */
export interface Entry {
  index: bigint;
  kind: number;
  bytes: Buffer;
  /** SHA-256(domain ‖ body). */
  hash: Buffer;
}

/** The 136-byte body, laid out from FORMAT.md's table. */
export function entryBody(device: Uint8Array, index: bigint, spec: EntrySpec, previous: Uint8Array): Buffer {
  const body = Buffer.alloc(BODY_BYTES);
  Buffer.from(device).copy(body, 0);
  body.writeBigUInt64LE(index, 32);
  body.writeUInt32LE(spec.kind, 40);
  body.writeUInt32LE(spec.reserved ?? 0, 44);
  body.writeBigUInt64LE(BigInt(spec.time ?? 0), 48);
  body.writeBigUInt64LE(BigInt(spec.a ?? 0), 56);
  body.writeBigUInt64LE(BigInt(spec.b ?? 0), 64);
  const ref = spec.ref ?? new Uint8Array(32);
  assert.ok(ref.length === 32 || ref.length === 16, "ref is 32 bytes, or a 16-byte recording id");
  Buffer.from(ref).copy(body, 72);
  Buffer.from(previous).copy(body, 104);
  return body;
}

/** An entry's hash: SHA-256 of `sealcam/v1/audit-entry` ‖ its body. */
export const entryHash = (entry: Uint8Array): Buffer => sha256(DOMAIN, entry.subarray(0, BODY_BYTES));

/** Signs a body with the device seed: body ‖ signature over domain ‖ body. */
export function signEntry(seed: Uint8Array, body: Uint8Array): Buffer {
  const signature = ed25519.sign(new Uint8Array(Buffer.concat([DOMAIN, body])), seed);
  return Buffer.concat([body, signature]);
}

/**
 * A camera's log as the module would write it: each entry signed with `seed`,
 * its index one above the last, naming the last one's hash. Times rise by
 * 1 ms from `time0`.
 */
export class AuditLog {
  readonly entries: Entry[] = [];
  readonly device: Uint8Array;
  private next: bigint;
  private previous: Uint8Array;
  private time: bigint;

  constructor(readonly seed: Uint8Array, start = 0n, previous: Uint8Array = new Uint8Array(32), time0 = 1_764_000_000_000_000n) {
    this.device = ed25519.getPublicKey(seed);
    this.next = start;
    this.previous = previous;
    this.time = time0;
  }

  add(spec: EntrySpec): Entry {
    const time = spec.time !== undefined ? BigInt(spec.time) : (this.time += 1000n);
    const bytes = signEntry(this.seed, entryBody(this.device, this.next, { ...spec, time }, this.previous));
    const e: Entry = { index: this.next, kind: spec.kind, bytes, hash: entryHash(bytes) };
    this.entries.push(e);
    this.next++;
    this.previous = e.hash;
    return e;
  }

  /** The log file: entries concatenated in index order. */
  bytes(entries: Entry[] = this.entries): Buffer {
    return Buffer.concat(entries.map((e) => e.bytes));
  }
}

/** A recording id (32 hex) as a `ref`: 16 bytes and 16 zero bytes. */
export const recordingRef = (id: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from(id, "hex"), Buffer.alloc(16)]));

// ---- manifests -------------------------------------------------------------

/** The manifest's 187-byte signed message, laid out from FORMAT.md's table. */
export function manifestMessage(m: Manifest): Buffer {
  const b = Buffer.alloc(187);
  MANIFEST_DOMAIN.copy(b, 0);
  Buffer.from(m.device, "hex").copy(b, 27);
  Buffer.from(m.recording, "hex").copy(b, 59);
  b.writeUInt32LE(m.sequence, 75);
  b.writeUInt32LE((m.final ? 1 : 0) | (m.pre_event_start ? 2 : 0), 79);
  [m.first_frame, m.frame_count, m.first_time_us, m.last_time_us, m.age_bytes].forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 83 + 8 * i));
  Buffer.from(m.age_sha256, "hex").copy(b, 123);
  Buffer.from(m.previous_manifest, "hex").copy(b, 155);
  return b;
}

/** Manifest hash: SHA-256 of the signed message (what kind 14's ref and the next manifest name). */
export const manifestHash = (m: Manifest): Buffer => sha256(manifestMessage(m));

/** Signs a manifest's message with the device seed, in place. */
export function signManifest(m: Manifest, seed: Uint8Array): Manifest {
  m.signature = Buffer.from(ed25519.sign(new Uint8Array(manifestMessage(m)), seed)).toString("hex");
  return m;
}

/** The JSON file text, members in FORMAT.md's order. */
export function manifestText(m: Manifest): string {
  const order = ["format", "device", "recording", "sequence", "final", "first_frame", "frame_count", "first_time_us", "last_time_us",
    "age_bytes", "age_sha256", "pre_event_start", "previous_manifest", "signature"] as const;
  const o: Record<string, unknown> = {};
  for (const k of order) o[k] = m[k];
  return JSON.stringify(o, null, 2) + "\n";
}

// ---- logs of recordings, and the dock's store ----------------------------------

/**
 * The entries a camera writes around one recording: recording started, a
 * "segment committed" (kind 14: sequence, frame count, manifest hash) for
 * each manifest, recording stopped. `expired` sequences get kind 16 first
 * (a pre-event buffer's segments that expired) and a trigger before the
 * commits.
 */
export function logRecording(log: AuditLog, id: string, manifests: Manifest[], o: { expired?: number[] } = {}): void {
  const ref = recordingRef(id);
  log.add({ kind: KIND.recordingStarted, a: o.expired ? 1 : 0, ref });
  for (const s of o.expired ?? []) log.add({ kind: KIND.segmentExpired, a: s, b: 30, ref });
  if (o.expired) log.add({ kind: KIND.trigger, a: manifests[0]?.first_frame ?? 0, b: manifests.length, ref });
  for (const m of manifests) log.add({ kind: KIND.segmentCommitted, a: m.sequence, b: m.frame_count, ref: manifestHash(m) });
  log.add({ kind: KIND.recordingStopped, a: manifests.reduce((n, m) => n + m.frame_count, 0), b: manifests.length, ref });
}

/** Where a device's files go in the dock's store. */
export const deviceFolder = (store: string, device: Uint8Array): string => join(store, "devices", Buffer.from(device).toString("hex"));

/** Copies a recording's folder into the store as `devices/<device>/<recording>/`; returns that folder. */
export function placeRecording(store: string, device: Uint8Array, id: string, from: string): string {
  const to = join(deviceFolder(store, device), id);
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (src) => !/device\.(key|pub)$/.test(src) });
  return to;
}

/** Writes the device's `audit.log` in the store; returns its path. */
export function placeLog(store: string, device: Uint8Array, bytes: Uint8Array): string {
  const dir = deviceFolder(store, device);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "audit.log");
  writeFileSync(file, bytes);
  return file;
}
