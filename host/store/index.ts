// The camera's segment store: sealed segments and their manifests in a
// directory, committed atomically, tidied after a crash.
export { SegmentStore, segmentName, type StoreOptions, type StoreStep, type CommittedSegment } from "./segments.ts";
