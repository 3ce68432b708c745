// Test-side readers and makers for the module's audit log and dock messages,
// written from docs/FORMAT.md ("The audit log", "Docking") and checked with
// @noble/curves, independently of the module's code and of host/camera/audit.ts:
// decoding a 200-byte entry, checking a log's signatures and chain, and
// building dock hellos and receipts signed by a test dock key.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";

export const ENTRY_BYTES = 200;
export const BODY_BYTES = 136;
export const DOMAINS = {
  audit: Buffer.from("sealcam/v1/audit-entry", "latin1"),
  hello: Buffer.from("sealcam/v1/dock-hello", "latin1"),
  answer: Buffer.from("sealcam/v1/dock-auth", "latin1"),
  receipt: Buffer.from("sealcam/v1/dock-receipt", "latin1"),
  manifest: Buffer.from("sealcam/v1/segment-manifest", "latin1"),
};

/** ABI.md "Kinds". */
export const KIND = {
  boot: 1, configAccepted: 2, configRefused: 3, recordingStarted: 4, recordingStopped: 5, trigger: 6, storageFull: 7,
  powerLoss: 8, dock: 9, upload: 10, receipt: 11, deletion: 12, clock: 13,
  segmentCommitted: 14, segmentAborted: 15, segmentExpired: 16,
} as const;

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

export interface Entry {
  device: Buffer; index: bigint; kind: number; reserved: number; time: bigint; a: bigint; b: bigint;
  ref: Buffer; previous: Buffer; signature: Buffer; bytes: Buffer;
  /** SHA-256(domain ‖ body). */
  hash: Buffer;
}

/** Splits an entry by FORMAT.md's table. */
export function decodeEntry(entry: Uint8Array): Entry {
  assert.equal(entry.length, ENTRY_BYTES, "an audit entry is 200 bytes");
  const b = Buffer.from(entry);
  return {
    device: b.subarray(0, 32), index: b.readBigUInt64LE(32), kind: b.readUInt32LE(40), reserved: b.readUInt32LE(44),
    time: b.readBigUInt64LE(48), a: b.readBigUInt64LE(56), b: b.readBigUInt64LE(64), ref: b.subarray(72, 104),
    previous: b.subarray(104, 136), signature: b.subarray(136, 200), bytes: b, hash: sha256(DOMAINS.audit, b.subarray(0, BODY_BYTES)),
  };
}

/** True when the entry's signature verifies under `pk` with the audit domain. */
export function entrySigned(entry: Uint8Array, pk: Uint8Array): boolean {
  return ed25519.verify(entry.subarray(BODY_BYTES, ENTRY_BYTES), Buffer.concat([DOMAINS.audit, entry.subarray(0, BODY_BYTES)]), pk);
}

/**
 * Checks a run of entries: each signed by `pk` under the audit domain (and
 * not without it), naming `pk`, reserved zero, indexes rising by one from
 * `first`, each naming its predecessor's hash (`previous` for the first).
 * Returns them decoded.
 */
export function checkChain(entries: Uint8Array[], pk: Uint8Array, first = 0n, previous: Uint8Array = new Uint8Array(32)): Entry[] {
  let prev: Buffer = Buffer.from(previous);
  return entries.map((bytes, i) => {
    const e = decodeEntry(bytes);
    assert.ok(entrySigned(bytes, pk), `entry ${i} verifies under the device key`);
    assert.ok(!ed25519.verify(e.signature, bytes.subarray(0, BODY_BYTES), pk), `entry ${i}: the domain is part of the signed message`);
    assert.ok(e.device.equals(pk), `entry ${i} names the device`);
    assert.equal(e.reserved, 0);
    assert.equal(e.index, first + BigInt(i), `entry ${i}: contiguous index`);
    assert.ok(e.previous.equals(prev), `entry ${i} names its predecessor`);
    prev = e.hash;
    return e;
  });
}

/** What signEntry may set; the rest is zero (device: the seed's key, kind: boot). */
export interface EntryFields {
  device?: Uint8Array; index?: bigint; kind?: number; reserved?: number; time?: bigint; a?: bigint; b?: bigint;
  ref?: Uint8Array; previous?: Uint8Array;
}

/** A 200-byte entry signed with `seed` (the test knows the device seed: only for forging tests). */
export function signEntry(seed: Uint8Array, fields: EntryFields, domain: Uint8Array = DOMAINS.audit): Buffer {
  const body = Buffer.alloc(BODY_BYTES);
  Buffer.from(fields.device ?? ed25519.getPublicKey(seed)).copy(body, 0);
  body.writeBigUInt64LE(fields.index ?? 0n, 32);
  body.writeUInt32LE(fields.kind ?? KIND.boot, 40);
  body.writeUInt32LE(fields.reserved ?? 0, 44);
  body.writeBigUInt64LE(fields.time ?? 0n, 48);
  body.writeBigUInt64LE(fields.a ?? 0n, 56);
  body.writeBigUInt64LE(fields.b ?? 0n, 64);
  if (fields.ref) Buffer.from(fields.ref).copy(body, 72);
  if (fields.previous) Buffer.from(fields.previous).copy(body, 104);
  return Buffer.concat([body, ed25519.sign(Buffer.concat([domain, body]), seed)]);
}

/** A dock hello (FORMAT.md "Dock hello"): `key` is the key field, `seed` signs. */
export function dockHello(seed: Uint8Array, challenge: Uint8Array, timeUs: bigint, key: Uint8Array = ed25519.getPublicKey(seed)): Buffer {
  const body = Buffer.alloc(72);
  Buffer.from(key).copy(body, 0);
  Buffer.from(challenge).copy(body, 32);
  body.writeBigUInt64LE(timeUs, 64);
  return Buffer.concat([body, ed25519.sign(Buffer.concat([DOMAINS.hello, body]), seed)]);
}

/** The device answer's signed message: domain ‖ device key ‖ dock key ‖ challenge. */
export function answerMessage(device: Uint8Array, dock: Uint8Array, challenge: Uint8Array): Buffer {
  return Buffer.concat([DOMAINS.answer, device, dock, challenge]);
}

export interface ReceiptFields {
  dock: Uint8Array; device: Uint8Array; kind: number; reserved?: number; time?: bigint;
  hash: Uint8Array; sha?: Uint8Array; size: bigint;
}

/** A dock receipt (FORMAT.md "Dock receipt") signed with `seed`. */
export function dockReceipt(seed: Uint8Array, f: ReceiptFields): Buffer {
  const body = Buffer.alloc(152);
  Buffer.from(f.dock).copy(body, 0);
  Buffer.from(f.device).copy(body, 32);
  body.writeUInt32LE(f.kind, 64);
  body.writeUInt32LE(f.reserved ?? 0, 68);
  body.writeBigUInt64LE(f.time ?? 1_700_000_000_000_000n, 72);
  Buffer.from(f.hash).copy(body, 80);
  if (f.sha) Buffer.from(f.sha).copy(body, 112);
  body.writeBigUInt64LE(f.size, 144);
  return Buffer.concat([body, ed25519.sign(Buffer.concat([DOMAINS.receipt, body]), seed)]);
}

/** The receipt fields for a committed segment: its manifest hash, the .age file's SHA-256 and size. */
export function segmentReceiptFields(dock: Uint8Array, device: Uint8Array, blob: Uint8Array, age: Uint8Array): ReceiptFields {
  return { dock, device, kind: 1, hash: sha256(blob.subarray(0, 187)), sha: sha256(age), size: BigInt(age.length) };
}
