// The camera's segment store: sealed segments and their manifests in a
// directory, committed atomically, tidied after a crash.
export { SegmentStore, segmentName, type SegmentSink, type StoreOptions, type StoreStep, type CommittedSegment } from "./segments.ts";
export { MemorySink, type MemorySegment } from "./memory.ts";
