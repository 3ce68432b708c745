// The camera's audit log as the host keeps it (docs/ABI.md "The audit log",
// bytes in docs/FORMAT.md "The audit log"). The module builds and signs
// every entry and hands it to the `audit_write` import; the host only
// stores entries, in order, and gives the last one back to `audit_start`
// after a reboot so the chain continues. An AuditSink is that storage; the
// in-memory one serves tests and a development camera (a real camera keeps
// the log in flash).
import { SealcamError, EXIT } from "../errors.ts";
import { AUDIT_ENTRY_BYTES } from "../evidence/audit.ts";

// The entry format is shared with the flash store, the dock and the custody tools.
export {
  AUDIT_ENTRY_BYTES, AUDIT_KINDS, HOST_AUDIT_KINDS, decodeAuditEntry, auditEntryMessage, auditEntryHash, type AuditEntry,
} from "../evidence/audit.ts";

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
