// A fake camera for the dock tests: a device seed, segments whose manifests
// are signed with @noble/curves (the bytes written from FORMAT.md here, read
// back with the repo's manifest helpers), an audit log signed the same way,
// and checks of the dock's hello and receipts that mirror the module's
// (`dock_auth`, `receipt_check`): strict Ed25519 under the pinned dock key,
// this device, exactly this subject. It implements the client's
// DockingCamera, so the real client docks it. Signing goes through
// node:crypto's Ed25519 (OpenSSL: deterministic, the same signatures as any
// RFC 8032 signer, and fast enough for 50 cameras in one process); every
// check of what the dock sends is noble's, with its strict options.
import { createHash, createPrivateKey, randomBytes, sign as nodeSign, type KeyObject } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { manifestFromBlob, type Manifest } from "../../host/evidence/index.ts";
import type { DockingCamera } from "../../host/dock/client.ts";

export const DOMAIN = {
  manifest: Buffer.from("sealcam/v1/segment-manifest", "latin1"),
  hello: Buffer.from("sealcam/v1/dock-hello", "latin1"),
  answer: Buffer.from("sealcam/v1/dock-auth", "latin1"),
  receipt: Buffer.from("sealcam/v1/dock-receipt", "latin1"),
  audit: Buffer.from("sealcam/v1/audit-entry", "latin1"),
};

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const strict = { zip215: false } as const;

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const keys = new Map<string, KeyObject>();
const publics = new Map<string, Uint8Array>();
/** The Ed25519 public key of a seed (noble), remembered. */
export function publicKeyOf(seed: Uint8Array): Uint8Array {
  const id = hex(seed);
  let pk = publics.get(id);
  if (!pk) publics.set(id, (pk = ed25519.getPublicKey(seed)));
  return pk;
}

/** An Ed25519 signature under a 32-byte seed (RFC 8032), by node:crypto. */
export function sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  const id = hex(seed);
  let key = keys.get(id);
  if (!key) keys.set(id, (key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" })));
  return new Uint8Array(nodeSign(null, msg, key));
}

/** A seed from a label, so runs are reproducible. */
export const seedOf = (label: string): Uint8Array => new Uint8Array(sha256(Buffer.from(label)));

export interface SegmentSpec {
  recording: Uint8Array;
  sequence: number;
  final?: boolean;
  firstFrame?: number;
  frameCount?: number;
  firstTimeUs?: number;
  lastTimeUs?: number;
  previous?: Uint8Array;
  /** Override what the manifest says of the file. */
  ageBytes?: number;
  ageSha256?: Uint8Array;
  /** Override the device the manifest names. */
  device?: Uint8Array;
}

/** FORMAT.md's 187-byte manifest message ‖ a noble signature under `seed`: the module's 251-byte blob. */
export function manifestBlobFor(seed: Uint8Array, age: Uint8Array, s: SegmentSpec): Uint8Array {
  const msg = Buffer.alloc(187);
  DOMAIN.manifest.copy(msg, 0);
  Buffer.from(s.device ?? publicKeyOf(seed)).copy(msg, 27);
  Buffer.from(s.recording).copy(msg, 59);
  msg.writeUInt32LE(s.sequence, 75);
  msg.writeUInt32LE(s.final ? 1 : 0, 79);
  msg.writeBigUInt64LE(BigInt(s.firstFrame ?? s.sequence * 30), 83);
  msg.writeBigUInt64LE(BigInt(s.frameCount ?? 30), 91);
  msg.writeBigUInt64LE(BigInt(s.firstTimeUs ?? 1_700_000_000_000_000 + s.sequence * 1_000_000), 99);
  msg.writeBigUInt64LE(BigInt(s.lastTimeUs ?? 1_700_000_000_000_000 + s.sequence * 1_000_000 + 966_666), 107);
  msg.writeBigUInt64LE(BigInt(s.ageBytes ?? age.length), 115);
  Buffer.from(s.ageSha256 ?? sha256(age)).copy(msg, 123);
  Buffer.from(s.previous ?? new Uint8Array(32)).copy(msg, 155);
  return new Uint8Array(Buffer.concat([msg, sign(seed, msg)]));
}

/** Random bytes that start like an age file (the dock never decrypts). */
export function fakeAge(bytes: number): Uint8Array {
  const out = new Uint8Array(randomBytes(bytes));
  out.set(Buffer.from("age-encryption.org/v1\n").subarray(0, bytes));
  return out;
}

export interface FakeSegment {
  id: string;
  blob: Uint8Array;
  manifest: Manifest;
  age: Uint8Array;
}

/** Builds one audit entry (FORMAT.md "The audit log") signed under `seed`. */
export function auditEntry(seed: Uint8Array, index: bigint, kind: number, a: bigint, b: bigint, ref: Uint8Array, previous: Uint8Array, timeUs = 1_700_000_000_000_000n): Uint8Array {
  const body = Buffer.alloc(136);
  Buffer.from(publicKeyOf(seed)).copy(body, 0);
  body.writeBigUInt64LE(index, 32);
  body.writeUInt32LE(kind, 40);
  body.writeBigUInt64LE(timeUs, 48);
  body.writeBigUInt64LE(BigInt.asUintN(64, a), 56);
  body.writeBigUInt64LE(BigInt.asUintN(64, b), 64);
  Buffer.from(ref).copy(body, 72);
  Buffer.from(previous).copy(body, 104);
  return new Uint8Array(Buffer.concat([body, sign(seed, Buffer.concat([DOMAIN.audit, body]))]));
}

export const entryHash = (entry: Uint8Array): Buffer => sha256(DOMAIN.audit, entry.subarray(0, 136));

/**
 * A camera as the client sees it. `segments` are committed, `audit` holds the
 * log entries not yet trimmed. What the dock's receipts make it do is kept in
 * `accepted`, `refused`, `deleted`.
 */
export class FakeCamera implements DockingCamera {
  readonly device: Uint8Array;
  readonly segments = new Map<string, FakeSegment>();
  readonly audit: Uint8Array[] = [];
  readonly accepted: Uint8Array[] = [];
  readonly refused: string[] = [];
  readonly deleted: string[] = [];
  nextIndex = 0n;
  lastHash: Uint8Array = new Uint8Array(32);
  /** Piece size readAge yields. */
  readPiece = 16 * 1024;

  constructor(readonly seed: Uint8Array, readonly dock: Uint8Array) {
    this.device = publicKeyOf(seed);
  }

  /** Records a chain of `sizes.length` segments of one new recording; returns them. */
  record(sizes: number[], recording: Uint8Array = new Uint8Array(randomBytes(16))): FakeSegment[] {
    const out: FakeSegment[] = [];
    let previous: Uint8Array = new Uint8Array(32);
    sizes.forEach((size, sequence) => {
      const age = fakeAge(size);
      const blob = manifestBlobFor(this.seed, age, { recording, sequence, previous, final: sequence === sizes.length - 1 });
      const seg = this.add(blob, age);
      previous = sha256(blob.subarray(0, 187));
      out.push(seg);
    });
    return out;
  }

  /** Adds a committed segment from its blob and file (logs kind 14 as the module would). */
  add(blob: Uint8Array, age: Uint8Array): FakeSegment {
    const manifest = manifestFromBlob(blob);
    const id = `${manifest.recording}-${String(manifest.sequence).padStart(6, "0")}`;
    const seg = { id, blob, manifest, age };
    this.segments.set(id, seg);
    this.log(14, BigInt(manifest.sequence), BigInt(manifest.frame_count), sha256(blob.subarray(0, 187)));
    return seg;
  }

  log(kind: number, a: bigint, b: bigint, ref: Uint8Array): Uint8Array {
    const e = auditEntry(this.seed, this.nextIndex, kind, a, b, ref, this.lastHash);
    this.audit.push(e);
    this.lastHash = entryHash(e);
    this.nextIndex++;
    return e;
  }

  // ---- DockingCamera ----------------------------------------------------------

  dockAuth(hello: Uint8Array): Uint8Array {
    if (hello.length !== 136) throw new Error("hello: wrong length");
    const dock = hello.subarray(0, 32);
    if (!Buffer.from(dock).equals(Buffer.from(this.dock))) throw new Error("hello: another dock's key");
    if (!ed25519.verify(hello.subarray(72), Buffer.concat([DOMAIN.hello, hello.subarray(0, 72)]), this.dock, strict)) throw new Error("hello: signature does not verify");
    this.log(9, Buffer.from(hello).readBigUInt64LE(64), 0n, this.dock);
    return sign(this.seed, Buffer.concat([DOMAIN.answer, this.device, this.dock, hello.subarray(32, 64)]));
  }

  checkReceipt(receipt: Uint8Array, subject: Uint8Array): void {
    const r = Buffer.from(receipt);
    const fail = (why: string): never => {
      this.refused.push(why);
      throw new Error(`receipt refused: ${why}`);
    };
    if (r.length !== 216) fail("wrong length");
    if (!ed25519.verify(r.subarray(152), Buffer.concat([DOMAIN.receipt, r.subarray(0, 152)]), this.dock, strict)) fail("signature does not verify under the pinned dock key");
    if (!r.subarray(0, 32).equals(Buffer.from(this.dock))) fail("names another dock");
    if (!r.subarray(32, 64).equals(Buffer.from(this.device))) fail("names another device");
    if (r.readUInt32LE(68) !== 0) fail("reserved bytes");
    const kind = r.readUInt32LE(64);
    const s = Buffer.from(subject);
    if (kind === 1) {
      if (s.length !== 251) fail("subject is not a manifest blob");
      if (!ed25519.verify(s.subarray(187), s.subarray(0, 187), this.device, strict)) fail("manifest not signed by this device");
      if (!r.subarray(80, 112).equals(sha256(s.subarray(0, 187)))) fail("names another manifest");
      if (!r.subarray(112, 144).equals(s.subarray(123, 155))) fail("names another file hash");
      if (r.readBigUInt64LE(144) !== s.readBigUInt64LE(115)) fail("names another file size");
      this.accepted.push(receipt);
      this.log(11, 1n, BigInt(s.readUInt32LE(75)), r.subarray(80, 112));
    } else if (kind === 2) {
      if (s.length !== 200) fail("subject is not an audit entry");
      if (!ed25519.verify(s.subarray(136), Buffer.concat([DOMAIN.audit, s.subarray(0, 136)]), this.device, strict)) fail("entry not signed by this device");
      if (!r.subarray(80, 112).equals(entryHash(s))) fail("names another entry");
      if (r.readBigUInt64LE(144) !== s.readBigUInt64LE(32)) fail("names another index");
      this.accepted.push(receipt);
      this.log(11, 2n, s.readBigUInt64LE(32), r.subarray(80, 112));
    } else {
      fail(`unknown kind ${kind}`);
    }
  }

  auditNote(kind: number, a: bigint, b: bigint, ref: Uint8Array): void {
    if (![8, 10, 12, 13].includes(kind)) throw new Error(`audit_note: kind ${kind} is the module's`);
    this.log(kind, a, b, ref);
  }

  queue(): { id: string; blob: Uint8Array; manifest: Manifest }[] {
    return [...this.segments.values()].map(({ id, blob, manifest }) => ({ id, blob, manifest }));
  }

  *readAge(id: string, offset: number): Iterable<Uint8Array> {
    const age = this.segments.get(id)!.age;
    for (let at = offset; at < age.length; at += this.readPiece) yield age.subarray(at, Math.min(age.length, at + this.readPiece));
  }

  deleteSegment(id: string): void {
    if (!this.segments.delete(id)) throw new Error(`no segment ${id}`);
    this.deleted.push(id);
  }

  *auditEntries(fromIndex: number): Iterable<Uint8Array> {
    for (const e of this.audit) if (Buffer.from(e).readBigUInt64LE(32) >= BigInt(fromIndex)) yield e;
  }

  trimAudit(index: number): void {
    while (this.audit.length > 0 && Buffer.from(this.audit[0]).readBigUInt64LE(32) <= BigInt(index)) this.audit.shift();
  }
}
