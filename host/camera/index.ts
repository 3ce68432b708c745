// The camera: the firmware module driven through its camera ABI, recording
// access units into sealed, signed segments in a segment store.
export {
  Recorder, describeEvent, EVENT_NAMES, FRAME_PIECE_BYTES, MIN_SEGMENT_SECONDS, MIN_SEGMENT_BYTES, DEFAULT_SEGMENT_BYTES,
  type CameraConfig, type CameraEvent, type Frame, type RecorderOptions, type RecordingSummary,
} from "./recorder.ts";
export { systemEntropy, seededEntropy } from "./entropy.ts";
export {
  MemoryAudit, decodeAuditEntry, auditEntryHash, auditEntryMessage, AUDIT_ENTRY_BYTES, AUDIT_KINDS, HOST_AUDIT_KINDS,
  type AuditSink, type AuditEntry,
} from "./audit.ts";
