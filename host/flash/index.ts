// The camera's flash, one public surface: a simulated NAND chip with fault
// injection (device.ts) and the durable segment store on it (docs/FORMAT.md,
// "The camera's flash"): the on-chip layout (layout.ts), the store with its
// boot recovery and storage policy (store.ts), the sink that writes segments,
// parked pre-event ones included (sink.ts), and the audit log in its own
// blocks (audit.ts).
export { FlashDevice, FlashError, PowerCut, checkGeometry, type FlashGeometry, type FaultPlan } from "./device.ts";
export {
  objectId, BLOCK_MAGIC, COMMIT_MAGIC, AUDIT_MAGIC, OBJECT_ID_BYTES, BLOCK_HEADER_BYTES, COMMIT_RECORD_BYTES,
  AUDIT_HEADER_BYTES, AUDIT_PAGE_BYTES, type StoredSegment,
} from "./layout.ts";
export { FlashStore, READ_CHUNK_BYTES, type FlashPolicy, type DiscardedObject, type BootReport } from "./store.ts";
export { FlashSink } from "./sink.ts";
export { FlashAudit, type AuditTrim } from "./audit.ts";
