// Test-side readers of what the camera writes, straight from docs/FORMAT.md
// (written from the document, not from the module's code): the evidence
// stream (segment header, frame entries, trailer), the manifest blob, record
// and manifest hashes, Ed25519 checks with node:crypto, and decryption of a
// segment with typage and with the Debian `age` CLI.
import { createHash, createPublicKey, verify } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decrypter } from "age-encryption";
import { encode } from "../../host/keys/bech32.ts";

export const DOMAIN = {
  record: Buffer.from("sealcam/v1/frame-record"),
  trailer: Buffer.from("sealcam/v1/segment-trailer"),
  manifest: Buffer.from("sealcam/v1/segment-manifest"),
};

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
export const sha512 = (b: Uint8Array): Buffer => createHash("sha512").update(b).digest();
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Ed25519 verification with node:crypto (OpenSSL). */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") }, format: "jwk" });
  return verify(null, message, key, signature);
}

/** `AGE-SECRET-KEY-1…` for a 32-byte X25519 scalar. */
export const ageIdentity = (scalar: Uint8Array): string => encode("AGE-SECRET-KEY-", scalar);

export interface SegmentHeader {
  device: Buffer; recording: Buffer; sequence: number; firstFrame: bigint; openTime: bigint; chain: Buffer; bytes: Buffer;
}
export interface FrameEntry {
  bytes: Buffer; record: Buffer; signature: Buffer;
  device: Buffer; recording: Buffer; number: bigint; time: bigint; flags: number; sequence: number; length: bigint;
  sha512: Buffer; previous: Buffer; hash: Buffer; // hash: the record hash
}
export interface Trailer {
  device: Buffer; recording: Buffer; sequence: number; flags: number; firstFrame: bigint; count: bigint;
  firstTime: bigint; lastTime: bigint; closeTime: bigint; headerHash: Buffer; lastRecord: Buffer;
  bytes: Buffer; signature: Buffer;
}
export interface EvidenceStream { header: SegmentHeader; frames: FrameEntry[]; trailer: Trailer }

/** Parses a segment's plaintext; throws on anything FORMAT.md does not allow. */
export function parseEvidence(plain: Uint8Array): EvidenceStream {
  const b = Buffer.from(plain);
  if (b.length < 128) throw new Error("stream shorter than a segment header");
  if (b.subarray(0, 8).toString("latin1") !== "SCAMSEG1") throw new Error("bad segment magic");
  if (b.readUInt32LE(60) !== 0 || !b.subarray(112, 128).equals(Buffer.alloc(16))) throw new Error("reserved header bytes not zero");
  const header: SegmentHeader = {
    device: b.subarray(8, 40), recording: b.subarray(40, 56), sequence: b.readUInt32LE(56),
    firstFrame: b.readBigUInt64LE(64), openTime: b.readBigUInt64LE(72), chain: b.subarray(80, 112), bytes: b.subarray(0, 128),
  };
  const frames: FrameEntry[] = [];
  let at = 128;
  for (;;) {
    if (at >= b.length) throw new Error("stream ends without a trailer");
    const type = b[at];
    if (type === 0x46) {
      const n = b.readBigUInt64LE(at + 1);
      const start = at + 9;
      const end = start + Number(n);
      if (end + 240 > b.length) throw new Error(`frame entry at ${at} runs past the end`);
      const record = b.subarray(end, end + 176);
      frames.push({
        bytes: b.subarray(start, end), record, signature: b.subarray(end + 176, end + 240),
        device: record.subarray(0, 32), recording: record.subarray(32, 48), number: record.readBigUInt64LE(48),
        time: record.readBigUInt64LE(56), flags: record.readUInt32LE(64), sequence: record.readUInt32LE(68),
        length: record.readBigUInt64LE(72), sha512: record.subarray(80, 144), previous: record.subarray(144, 176),
        hash: sha256(DOMAIN.record, record),
      });
      at = end + 240;
    } else if (type === 0x54) {
      if (at + 225 !== b.length) throw new Error("bytes after the trailer entry, or a short trailer");
      const t = b.subarray(at + 1, at + 161);
      const trailer: Trailer = {
        device: t.subarray(0, 32), recording: t.subarray(32, 48), sequence: t.readUInt32LE(48), flags: t.readUInt32LE(52),
        firstFrame: t.readBigUInt64LE(56), count: t.readBigUInt64LE(64), firstTime: t.readBigUInt64LE(72),
        lastTime: t.readBigUInt64LE(80), closeTime: t.readBigUInt64LE(88), headerHash: t.subarray(96, 128),
        lastRecord: t.subarray(128, 160), bytes: t, signature: b.subarray(at + 161, at + 225),
      };
      return { header, frames, trailer };
    } else {
      throw new Error(`unknown entry type 0x${type.toString(16)} at ${at}`);
    }
  }
}

export interface Manifest {
  device: Buffer; recording: Buffer; sequence: number; flags: number; firstFrame: bigint; count: bigint;
  firstTime: bigint; lastTime: bigint; ageBytes: bigint; ageSha256: Buffer; previous: Buffer;
  message: Buffer; signature: Buffer; hash: Buffer;
}

/** Parses the 251-byte manifest blob (signed message ‖ signature). */
export function parseManifest(blob: Uint8Array): Manifest {
  const b = Buffer.from(blob);
  if (b.length !== 251) throw new Error(`manifest blob of ${b.length} bytes`);
  if (!b.subarray(0, 27).equals(DOMAIN.manifest)) throw new Error("bad manifest domain string");
  const message = b.subarray(0, 187);
  return {
    device: b.subarray(27, 59), recording: b.subarray(59, 75), sequence: b.readUInt32LE(75), flags: b.readUInt32LE(79),
    firstFrame: b.readBigUInt64LE(83), count: b.readBigUInt64LE(91), firstTime: b.readBigUInt64LE(99),
    lastTime: b.readBigUInt64LE(107), ageBytes: b.readBigUInt64LE(115), ageSha256: b.subarray(123, 155),
    previous: b.subarray(155, 187), message, signature: b.subarray(187, 251), hash: sha256(message),
  };
}

/** Decrypts an age file with typage and one X25519 identity. */
export async function decryptTypage(age: Uint8Array, scalar: Uint8Array): Promise<Uint8Array> {
  const d = new Decrypter();
  d.addIdentity(ageIdentity(scalar));
  return d.decrypt(age, "uint8array");
}

/** True when the Debian `age` CLI is on PATH. */
export function haveAgeCli(): boolean {
  return spawnSync("age", ["--version"], { stdio: "ignore" }).status === 0;
}

/** Decrypts an age file with `age -d -i keyfile`. */
export function decryptAgeCli(age: Uint8Array, scalar: Uint8Array): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-age-"));
  try {
    const key = join(dir, "force.key");
    const file = join(dir, "segment.age");
    writeFileSync(key, ageIdentity(scalar) + "\n", { mode: 0o600 });
    writeFileSync(file, age);
    return execFileSync("age", ["-d", "-i", key, file], { maxBuffer: 1 << 30 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
