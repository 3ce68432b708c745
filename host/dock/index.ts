// The dock (docs/FORMAT.md "Docking"; DESIGN.md "The dock"): the service
// cameras upload to, its evidence store, the protocol's bytes, and the
// camera's side of docking.
export { createDock, DEFAULT_LIMITS, CHALLENGE_MS, type DockApp, type DockOptions, type DockLimits } from "./server.ts";
export { DockStore, segmentStem, DEVICES_DIR, INCOMING_DIR, AUDIT_LOG, DOCK_LOG, type StoredSegment, type UploadState, type DockStoreOptions } from "./store.ts";
export {
  dockCamera, DockRefusal, AUDIT_UPLOAD, AUDIT_DELETION, type DockingCamera, type DockingOptions, type DockingSummary,
} from "./client.ts";
export {
  DockSigner, dockCrypto, decodeHello, verifyHello, answerMessage, verifyAnswer, answerHello, decodeReceipt, verifyReceipt,
  decodeAuditEntry, auditEntryHash, verifyAuditEntry, DOCK_HELLO_BYTES, DOCK_ANSWER_BYTES, RECEIPT_BYTES, AUDIT_ENTRY_BYTES,
  RECEIPT_SEGMENT, RECEIPT_AUDIT, type DockHello, type Receipt, type AuditEntry,
} from "./protocol.ts";
export { DockError } from "./errors.ts";
