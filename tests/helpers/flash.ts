// Shared set-up for the flash tests (tests/flash-*.test.ts): a small chip
// image in a temporary folder, deterministic bytes, manifest blobs the store
// accepts, audit entries the store accepts, and the checks every test ends
// with (every block either held by what the store lists or erased).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlashDevice, FlashStore, type FaultPlan, type FlashGeometry, type FlashPolicy, type FlashSink } from "../../host/flash/index.ts";
import { manifestBlob, type Manifest } from "../../host/evidence/index.ts";
import type { CommittedSegment } from "../../host/store/index.ts";

/** Small: 3584 data bytes a block (7 audit entries), 64 blocks. */
export const SMALL: FlashGeometry = { pageBytes: 512, pagesPerBlock: 8, blocks: 64 };
export const DATA_PER_BLOCK = 512 * 7;

export const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Deterministic bytes (SHA-256 in counter mode over a label). */
export function bytesOf(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, at = 0; at < n; i++, at += 32) out.set(sha256(Buffer.from(`${label}/${i}`)).subarray(0, Math.min(32, n - at)), at);
  return out;
}

export const recordingOf = (tag: string): Uint8Array => new Uint8Array(sha256(Buffer.from(`recording ${tag}`)).subarray(0, 16));

/** The 251-byte blob the module would commit for a `.age` file `age`; the signature is filler (the store does not check it). */
export function blobFor(recording: Uint8Array, sequence: number, age: Uint8Array, over: Partial<Manifest> = {}): Uint8Array {
  return manifestBlob({
    format: "sealcam-manifest/1",
    device: hex(sha256(Buffer.from("device"))),
    recording: hex(recording),
    sequence,
    final: false,
    first_frame: 30 * sequence,
    frame_count: 30,
    first_time_us: 1_700_000_000_000_000 + sequence,
    last_time_us: 1_700_000_001_000_000 + sequence,
    age_bytes: age.length,
    age_sha256: hex(sha256(age)),
    pre_event_start: false,
    previous_manifest: "00".repeat(32),
    signature: hex(bytesOf(`signature ${sequence}`, 64)),
    ...over,
  });
}

/** Appends `data` in uneven pieces (page-crossing and page-sized). */
export function appendInPieces(sink: { append(b: Uint8Array): void }, data: Uint8Array): void {
  const cuts = [1, 511, 700, 4096, 3];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(cuts[i % cuts.length], data.length - at);
    sink.append(data.subarray(at, at + n));
    at += n;
  }
}

/** Writes one ordinary segment through the sink and commits it. */
export function put(sink: FlashSink, recording: Uint8Array, sequence: number, data: Uint8Array): CommittedSegment {
  sink.open(recording, sequence);
  appendInPieces(sink, data);
  assert.deepEqual(Buffer.from(sink.digest()), sha256(data));
  return sink.commit(blobFor(recording, sequence, data));
}

/** A pre-event segment's payload parked (open, append, park). */
export function park(sink: FlashSink, recording: Uint8Array, sequence: number, payload: Uint8Array): void {
  sink.open(recording, sequence);
  appendInPieces(sink, payload);
  sink.park();
}

/** Unparks with `header` (checking the digest) and commits. */
export function commitParked(sink: FlashSink, recording: Uint8Array, sequence: number, header: Uint8Array, payload: Uint8Array): CommittedSegment {
  const age = Buffer.concat([header, payload]);
  assert.deepEqual(Buffer.from(sink.unpark(recording, sequence, header)), sha256(age), "unpark answers SHA-256(header ‖ payload)");
  return sink.commitParked(recording, sequence, blobFor(recording, sequence, age));
}

/** A 200-byte audit entry with index `index` (FORMAT.md "The audit log" layout; the signature is filler). */
export function auditEntry(index: number, tag = "camera"): Uint8Array {
  const e = Buffer.from(bytesOf(`audit ${tag} ${index}`, 200));
  sha256(Buffer.from(`device ${tag}`)).copy(e, 0);
  e.writeBigUInt64LE(BigInt(index), 32);
  e.writeUInt32LE(1 + (index % 16), 40);
  e.writeUInt32LE(0, 44);
  return new Uint8Array(e);
}

export interface Image {
  dir: string;
  path: string;
  geometry: FlashGeometry;
  open(plan?: FaultPlan): FlashDevice;
  done(): void;
}

export function image(geometry: FlashGeometry = SMALL): Image {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-flash-"));
  const path = join(dir, "flash.img");
  const open = (plan: FaultPlan = {}) => FlashDevice.open(path, geometry, plan);
  return { dir, path, geometry, open, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reboots: a new device on the image, booted. */
export function reboot(img: Image, plan: FaultPlan = {}, log?: (line: string) => void, policy?: FlashPolicy): FlashStore {
  return FlashStore.boot(img.open(plan), log, policy);
}

/** Every block that neither a listed segment nor the audit log holds is erased, on the chip; the counts agree. */
export function assertRestErased(store: FlashStore, label = ""): void {
  const held = new Set([...store.list().flatMap((s) => s.blocks), ...store.audit.blocks]);
  const { blocks } = store.device.geometry;
  for (let b = 0; b < blocks; b++) {
    if (held.has(b)) continue;
    const data = store.device.read(b * store.device.blockBytes, store.device.blockBytes);
    assert.ok(data.every((x) => x === 0xff), `${label}block ${b} is erased`);
  }
  assert.equal(store.freeBlocks + store.usedBlocks, blocks);
  assert.equal(store.usedBlocks, held.size, `${label}used blocks are exactly the listed segments' and the audit log's`);
}

/** The audit log's entries, each checked against auditEntry(index, tag), as indexes; asserts they rise by one. */
export function auditIndexes(store: FlashStore, tag = "camera", label = ""): number[] {
  const out: number[] = [];
  for (const e of store.audit.entries()) {
    const index = Number(Buffer.from(e).readBigUInt64LE(32));
    assert.deepEqual(Buffer.from(e), Buffer.from(auditEntry(index, tag)), `${label}audit entry ${index} byte-exact`);
    if (out.length) assert.equal(index, out[out.length - 1] + 1, `${label}no gap in the audit log after ${out[out.length - 1]}`);
    out.push(index);
  }
  return out;
}
