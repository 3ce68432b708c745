// The bytes the dock and the camera exchange (docs/FORMAT.md, "Docking" and
// "The audit log"): the dock's hello, the device's answer, the dock's receipt
// and the camera's audit entries. Encoders, decoders and the signatures over
// them, with the module's strict Ed25519 (DESIGN.md, "Ed25519 verification
// rules"), so the dock accepts exactly what a camera's module would.
//
// Every signed message starts with its own domain string, so a signature made
// for one kind can never verify as another. Hashes are node:crypto's SHA-256
// (as the manifest hash is, host/evidence/manifest.ts).
import { createHash } from "node:crypto";
import { Crypto } from "../engine/crypto.ts";
import { instantiateV8, DETACHED_IMPORTS } from "../engine/index.ts";
import { SealcamError, EXIT, MODULE_ERRORS, moduleMessage } from "../errors.ts";
import {
  AUDIT_ENTRY_BYTES, AUDIT_BODY_BYTES, auditEntryMessage, decodeAuditEntry as decodeEntry, type AuditEntry,
} from "../evidence/audit.ts";

export { AUDIT_ENTRY_BYTES, AUDIT_DOMAIN, auditEntryHash, auditEntryMessage, type AuditEntry } from "../evidence/audit.ts";

export const HELLO_DOMAIN = "sealcam/v1/dock-hello";
export const ANSWER_DOMAIN = "sealcam/v1/dock-auth";
export const RECEIPT_DOMAIN = "sealcam/v1/dock-receipt";

export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const CHALLENGE_BYTES = 32;
export const HASH_BYTES = 32;
export const DOCK_HELLO_BYTES = 136;
export const DOCK_ANSWER_BYTES = 64;
export const RECEIPT_BYTES = 216;
const HELLO_BODY = 72;
const RECEIPT_BODY = 152;

/** Receipt kinds (FORMAT.md "Dock receipt", offset 64). */
export const RECEIPT_SEGMENT = 1;
export const RECEIPT_AUDIT = 2;

const OK = 0;
const ERR_SIGNATURE = MODULE_ERRORS.ERR_SIGNATURE.code;
const ZERO32 = new Uint8Array(HASH_BYTES);

function bad(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

function exact(bytes: Uint8Array, size: number, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) throw bad(`${what} must be ${size} bytes, not ${bytes?.length}`);
  return bytes;
}

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "latin1"));
const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** `domain ‖ parts…`, the message a signature covers. */
export function signedMessage(domain: string, ...parts: Uint8Array[]): Uint8Array {
  const d = ascii(domain);
  const out = new Uint8Array(d.length + parts.reduce((n, p) => n + p.length, 0));
  out.set(d, 0);
  let at = d.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** A crypto-only module instance (no camera imports wired), for the dock and its tools. */
export async function dockCrypto(): Promise<Crypto> {
  return new Crypto(await instantiateV8("release", DETACHED_IMPORTS));
}

/** Why a signature check failed, in words (the module's reason). */
export function signatureReason(code: number): string {
  return moduleMessage(code);
}

/**
 * A dock's signing key in memory: the module's 64-byte secret (seed ‖ public
 * key). It signs hellos and receipts; wipe() clears the secret.
 */
export class DockSigner {
  readonly publicKey: Uint8Array;
  private readonly secret: Uint8Array;

  constructor(readonly crypto: Crypto, seed: Uint8Array) {
    const { publicKey, secretKey } = crypto.ed25519Keypair(exact(seed, KEY_BYTES, "a dock seed"));
    this.publicKey = publicKey;
    this.secret = secretKey;
  }

  /** The 136-byte hello for a fresh 32-byte challenge at dock time `timeUs`. */
  hello(challenge: Uint8Array, timeUs: bigint): Uint8Array {
    const out = new Uint8Array(DOCK_HELLO_BYTES);
    out.set(this.publicKey, 0);
    out.set(exact(challenge, CHALLENGE_BYTES, "a challenge"), 32);
    view(out).setBigUint64(64, timeUs, true);
    out.set(this.crypto.ed25519Sign(this.secret, signedMessage(HELLO_DOMAIN, out.subarray(0, HELLO_BODY))), HELLO_BODY);
    return out;
  }

  /** The 216-byte receipt for a segment: its manifest hash, the `.age` file's SHA-256 and size. */
  segmentReceipt(device: Uint8Array, timeUs: bigint, manifestHash: Uint8Array, ageSha256: Uint8Array, ageBytes: bigint): Uint8Array {
    return this.receipt({ dock: this.publicKey, device, kind: RECEIPT_SEGMENT, timeUs, subject: manifestHash, ageSha256, value: ageBytes });
  }

  /** The 216-byte receipt for an audit log: the entry hash and index of the last entry the dock holds. */
  auditReceipt(device: Uint8Array, timeUs: bigint, entryHash: Uint8Array, index: bigint): Uint8Array {
    return this.receipt({ dock: this.publicKey, device, kind: RECEIPT_AUDIT, timeUs, subject: entryHash, ageSha256: ZERO32, value: index });
  }

  private receipt(r: Omit<Receipt, "signature">): Uint8Array {
    const out = encodeReceiptBody(r);
    out.set(this.crypto.ed25519Sign(this.secret, signedMessage(RECEIPT_DOMAIN, out.subarray(0, RECEIPT_BODY))), RECEIPT_BODY);
    return out;
  }

  wipe(): void {
    this.secret.fill(0);
  }
}

// ---- hello ------------------------------------------------------------------

export interface DockHello {
  dock: Uint8Array;
  challenge: Uint8Array;
  timeUs: bigint;
  signature: Uint8Array;
}

/** Splits a 136-byte hello into its fields (no signature check). */
export function decodeHello(bytes: Uint8Array): DockHello {
  exact(bytes, DOCK_HELLO_BYTES, "a dock hello");
  return {
    dock: bytes.slice(0, 32),
    challenge: bytes.slice(32, 64),
    timeUs: view(bytes).getBigUint64(64, true),
    signature: bytes.slice(HELLO_BODY),
  };
}

/** 0 when `hello` is signed by `dock` (and names it), else the module's reason code (ERR_SIGNATURE when it names another dock). */
export function verifyHello(crypto: Crypto, hello: Uint8Array, dock: Uint8Array): number {
  const h = decodeHello(hello);
  if (!equal(h.dock, dock)) return ERR_SIGNATURE;
  return crypto.ed25519Verify(dock, signedMessage(HELLO_DOMAIN, hello.subarray(0, HELLO_BODY)), h.signature);
}

// ---- device answer ----------------------------------------------------------

/** The message a device signs to answer a hello: domain ‖ device ‖ dock ‖ challenge (116 bytes). */
export function answerMessage(device: Uint8Array, dock: Uint8Array, challenge: Uint8Array): Uint8Array {
  return signedMessage(ANSWER_DOMAIN, exact(device, KEY_BYTES, "a device key"), exact(dock, KEY_BYTES, "a dock key"), exact(challenge, CHALLENGE_BYTES, "a challenge"));
}

/** 0 when `answer` is the device's signature over the challenge, else the module's reason code. */
export function verifyAnswer(crypto: Crypto, device: Uint8Array, dock: Uint8Array, challenge: Uint8Array, answer: Uint8Array): number {
  return crypto.ed25519Verify(device, answerMessage(device, dock, challenge), answer);
}

/**
 * A device's answer made on the host from a device seed: for development
 * cameras and tests only (a real camera's module signs it, `dock_auth`, after
 * checking the hello under its pinned dock key, which this does too).
 */
export function answerHello(crypto: Crypto, deviceSeed: Uint8Array, hello: Uint8Array, pinnedDock: Uint8Array): Uint8Array {
  const code = verifyHello(crypto, hello, pinnedDock);
  if (code !== OK) throw new SealcamError(`dock hello: ${moduleMessage(code)} under the pinned dock key`, EXIT.EVIDENCE, code);
  const { publicKey, secretKey } = crypto.ed25519Keypair(deviceSeed);
  try {
    return crypto.ed25519Sign(secretKey, answerMessage(publicKey, pinnedDock, decodeHello(hello).challenge));
  } finally {
    secretKey.fill(0);
  }
}

// ---- receipt ----------------------------------------------------------------

export interface Receipt {
  dock: Uint8Array;
  device: Uint8Array;
  kind: number;
  timeUs: bigint;
  /** Kind 1: manifest hash; kind 2: entry hash of the last audit entry the dock holds. */
  subject: Uint8Array;
  /** Kind 1: SHA-256 of the `.age` file; kind 2: zero. */
  ageSha256: Uint8Array;
  /** Kind 1: size of the `.age` file; kind 2: index of the last entry. */
  value: bigint;
  signature: Uint8Array;
}

function encodeReceiptBody(r: Omit<Receipt, "signature">): Uint8Array {
  const out = new Uint8Array(RECEIPT_BYTES);
  const v = view(out);
  out.set(exact(r.dock, KEY_BYTES, "a dock key"), 0);
  out.set(exact(r.device, KEY_BYTES, "a device key"), 32);
  v.setUint32(64, r.kind, true);
  v.setBigUint64(72, r.timeUs, true);
  out.set(exact(r.subject, HASH_BYTES, "a receipt subject"), 80);
  out.set(exact(r.ageSha256, HASH_BYTES, "an age SHA-256"), 112);
  v.setBigUint64(144, r.value, true);
  return out;
}

/** Splits a 216-byte receipt into its fields; refuses an unknown kind, non-zero reserved bytes, and a kind 2 receipt whose SHA-256 field is not zero. */
export function decodeReceipt(bytes: Uint8Array): Receipt {
  exact(bytes, RECEIPT_BYTES, "a dock receipt");
  const v = view(bytes);
  const kind = v.getUint32(64, true);
  if (kind !== RECEIPT_SEGMENT && kind !== RECEIPT_AUDIT) throw bad(`dock receipt: unknown kind ${kind}`);
  if (v.getUint32(68, true) !== 0) throw bad("dock receipt: reserved bytes are not zero");
  if (kind === RECEIPT_AUDIT && !equal(bytes.subarray(112, 144), ZERO32)) throw bad("dock receipt: an audit receipt's SHA-256 field is not zero");
  return {
    dock: bytes.slice(0, 32),
    device: bytes.slice(32, 64),
    kind,
    timeUs: v.getBigUint64(72, true),
    subject: bytes.slice(80, 112),
    ageSha256: bytes.slice(112, 144),
    value: v.getBigUint64(144, true),
    signature: bytes.slice(RECEIPT_BODY),
  };
}

/** 0 when the receipt is signed by `dock` and names it, else the module's reason code (ERR_SIGNATURE when it names another dock). */
export function verifyReceipt(crypto: Crypto, receipt: Uint8Array, dock: Uint8Array): number {
  const r = decodeReceipt(receipt);
  if (!equal(r.dock, dock)) return ERR_SIGNATURE;
  return crypto.ed25519Verify(dock, signedMessage(RECEIPT_DOMAIN, receipt.subarray(0, RECEIPT_BODY)), r.signature);
}

// ---- audit entries ----------------------------------------------------------

/**
 * Splits a 200-byte audit entry (host/evidence/audit.ts; no signature check)
 * and, as the dock takes only what a camera writes, refuses non-zero
 * reserved bytes.
 */
export function decodeAuditEntry(bytes: Uint8Array): AuditEntry {
  exact(bytes, AUDIT_ENTRY_BYTES, "an audit entry");
  const e = decodeEntry(bytes);
  if (e.reserved !== 0) throw bad("audit entry: reserved bytes are not zero");
  return e;
}

/** 0 when the entry's signature verifies under `device`, else the module's reason code. */
export function verifyAuditEntry(crypto: Crypto, entry: Uint8Array, device: Uint8Array): number {
  return crypto.ed25519Verify(device, auditEntryMessage(exact(entry, AUDIT_ENTRY_BYTES, "an audit entry")), entry.subarray(AUDIT_BODY_BYTES));
}

// ---- helpers ----------------------------------------------------------------

/** Byte equality of public values (not for secrets). */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/** Lowercase hex of exactly `bytes` bytes, or undefined. */
export function fromHex(text: unknown, bytes: number): Uint8Array | undefined {
  if (typeof text !== "string" || text.length !== 2 * bytes || !/^[0-9a-f]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, "hex"));
}
