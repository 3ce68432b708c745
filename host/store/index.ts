// The camera's segment store: sealed segments and their manifests in a
// directory, committed atomically (parked pre-event segments too), tidied
// after a crash, and the camera's audit log beside them.
export { SegmentStore, StorageFullError, segmentName, type SegmentSink, type StoreOptions, type StoreStep, type CommittedSegment } from "./segments.ts";
export { DirectoryAudit, AUDIT_LOG } from "./audit.ts";
export { MemorySink, type MemorySegment } from "./memory.ts";
export { ParallelSha256, InThreadSha256, segmentHasher, RING_BYTES, SHA256_BYTES, STALL_MS, type RunningSha256, type ParallelSha256Options } from "./hasher.ts";
