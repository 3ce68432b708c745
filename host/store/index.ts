// The camera's segment store: sealed segments and their manifests in a
// directory, committed atomically, tidied after a crash.
export { SegmentStore, segmentName, type SegmentSink, type StoreOptions, type StoreStep, type CommittedSegment } from "./segments.ts";
export { MemorySink, type MemorySegment } from "./memory.ts";
export { ParallelSha256, InThreadSha256, segmentHasher, RING_BYTES, SHA256_BYTES, STALL_MS, type RunningSha256, type ParallelSha256Options } from "./hasher.ts";
