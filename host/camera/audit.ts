// The camera's audit log as the host keeps it (docs/ABI.md "The audit log",
// bytes in docs/FORMAT.md "The audit log"). The module builds and signs
// every entry and hands it to the `audit_write` import; the host only
// stores entries, in order, and gives the last one back to `audit_start`
// after a reboot so the chain continues. An AuditSink is that storage; the
// in-memory one serves tests and a development camera (a real camera keeps
// the log in flash).
import { createHash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";

/** Size of an audit entry: body (136) ‖ signature (64). */
export const AUDIT_ENTRY_BYTES = 200;
const BODY_BYTES = 136;
const DOMAIN = Buffer.from("sealcam/v1/audit-entry", "latin1");

/** Where the recorder stores the module's audit entries. */
export interface AuditSink {
  /** Durably append one 200-byte entry (a copy: the bytes are the module's). Throw if it cannot be stored. */
  append(entry: Uint8Array): void;
  /** The last entry stored, if any: what audit_start continues after. */
  tail(): Uint8Array | undefined;
}

/** An audit log in memory: every entry, in the order written. */
export class MemoryAudit implements AuditSink {
  readonly entries: Uint8Array[] = [];
  append(entry: Uint8Array): void {
    if (entry.length !== AUDIT_ENTRY_BYTES) throw new SealcamError(`audit entry must be ${AUDIT_ENTRY_BYTES} bytes, not ${entry.length}`, EXIT.INTERNAL);
    this.entries.push(entry.slice());
  }
  tail(): Uint8Array | undefined {
    return this.entries.at(-1);
  }
}

/** Audit entry kinds (docs/ABI.md "The audit log", "Kinds"). */
export const AUDIT_KINDS: Record<number, string> = {
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

/** An audit entry's fields (FORMAT.md "The audit log"); integers as the module wrote them. */
export interface AuditEntry {
  device: Uint8Array;
  index: bigint;
  kind: number;
  /** Kind's name, or `kind N` for one the table does not know. */
  name: string;
  timeUs: bigint;
  a: bigint;
  b: bigint;
  ref: Uint8Array;
  previous: Uint8Array;
  signature: Uint8Array;
}

/** Splits a 200-byte entry into its fields (no signature check: see auditEntryMessage). */
export function decodeAuditEntry(entry: Uint8Array): AuditEntry {
  if (entry.length !== AUDIT_ENTRY_BYTES) throw new SealcamError(`audit entry must be ${AUDIT_ENTRY_BYTES} bytes, not ${entry.length}`, EXIT.EVIDENCE);
  const b = Buffer.from(entry.buffer, entry.byteOffset, entry.length);
  const kind = b.readUInt32LE(40);
  return {
    device: entry.slice(0, 32),
    index: b.readBigUInt64LE(32),
    kind,
    name: AUDIT_KINDS[kind] ?? `kind ${kind}`,
    timeUs: b.readBigUInt64LE(48),
    a: b.readBigUInt64LE(56),
    b: b.readBigUInt64LE(64),
    ref: entry.slice(72, 104),
    previous: entry.slice(104, 136),
    signature: entry.slice(BODY_BYTES, AUDIT_ENTRY_BYTES),
  };
}

/** The message the device key signs: "sealcam/v1/audit-entry" ‖ body (158 bytes). */
export function auditEntryMessage(entry: Uint8Array): Uint8Array {
  if (entry.length !== AUDIT_ENTRY_BYTES) throw new SealcamError(`audit entry must be ${AUDIT_ENTRY_BYTES} bytes, not ${entry.length}`, EXIT.EVIDENCE);
  return new Uint8Array(Buffer.concat([DOMAIN, entry.subarray(0, BODY_BYTES)]));
}

/** Entry hash: SHA-256 of the signed message (what the next entry names as previous). */
export function auditEntryHash(entry: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(auditEntryMessage(entry)).digest());
}
