// The audit log entry (docs/FORMAT.md "The audit log"; kinds in docs/ABI.md):
// 200 bytes, body (136) ‖ the device's Ed25519 signature (64) over
// "sealcam/v1/audit-entry" ‖ body. The one decoder the camera's host, the
// flash store, the dock and the custody tools share; each applies its own
// policy (the dock refuses non-zero reserved bytes, verify names them).
import { createHash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";

export const AUDIT_ENTRY_BYTES = 200;
export const AUDIT_BODY_BYTES = 136;
/** Domain-separation string of an entry's signed message (22 ASCII bytes). */
export const AUDIT_DOMAIN = "sealcam/v1/audit-entry";
const DOMAIN = Buffer.from(AUDIT_DOMAIN, "latin1");

/** ABI.md's kinds, by number. */
export const AUDIT_KINDS: Readonly<Record<number, string>> = {
  1: "boot",
  2: "configuration accepted",
  3: "configuration refused",
  4: "recording started",
  5: "recording stopped",
  6: "trigger",
  7: "storage full",
  8: "power loss detected",
  9: "dock authenticated",
  10: "upload",
  11: "receipt accepted",
  12: "deletion",
  13: "clock change",
  14: "segment committed",
  15: "segment aborted",
  16: "segment expired",
};

/** The kinds the host may log through audit_note; every other kind is the module's own. */
export const HOST_AUDIT_KINDS: readonly number[] = [8, 10, 12, 13];

/** An entry's fields; views into the bytes given, which the caller must not change. */
export interface AuditEntry {
  device: Uint8Array;
  index: bigint;
  kind: number;
  /** The kind's name, or `kind N` for one the table does not know. */
  name: string;
  /** Bytes 44–47, zero in every entry a camera writes. */
  reserved: number;
  timeUs: bigint;
  a: bigint;
  b: bigint;
  ref: Uint8Array;
  previous: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
  /** The 200 bytes as given. */
  bytes: Uint8Array;
  /** Entry hash: SHA-256 of the signed message (what the next entry names as previous). */
  hash: Uint8Array;
}

function exact(entry: Uint8Array): Uint8Array {
  if (!(entry instanceof Uint8Array) || entry.length !== AUDIT_ENTRY_BYTES) {
    throw new SealcamError(`an audit entry must be ${AUDIT_ENTRY_BYTES} bytes, not ${entry?.length}`, EXIT.EVIDENCE);
  }
  return entry;
}

/** The message the device key signs: the domain ‖ body (158 bytes). */
export function auditEntryMessage(entry: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([DOMAIN, exact(entry).subarray(0, AUDIT_BODY_BYTES)]));
}

/** Entry hash: SHA-256 of the signed message. */
export function auditEntryHash(entry: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(DOMAIN).update(exact(entry).subarray(0, AUDIT_BODY_BYTES)).digest());
}

/** Splits a 200-byte entry into its fields and computes its hash (no signature check). */
export function decodeAuditEntry(entry: Uint8Array): AuditEntry {
  const v = new DataView(exact(entry).buffer, entry.byteOffset, entry.byteLength);
  const kind = v.getUint32(40, true);
  return {
    device: entry.subarray(0, 32),
    index: v.getBigUint64(32, true),
    kind,
    name: AUDIT_KINDS[kind] ?? `kind ${kind}`,
    reserved: v.getUint32(44, true),
    timeUs: v.getBigUint64(48, true),
    a: v.getBigUint64(56, true),
    b: v.getBigUint64(64, true),
    ref: entry.subarray(72, 104),
    previous: entry.subarray(104, 136),
    body: entry.subarray(0, AUDIT_BODY_BYTES),
    signature: entry.subarray(AUDIT_BODY_BYTES),
    bytes: entry,
    hash: auditEntryHash(entry),
  };
}
