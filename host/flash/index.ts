// The camera's flash, one public surface: a simulated NAND chip with fault
// injection (device.ts) and the durable segment store on it (docs/FORMAT.md,
// "The camera's flash"): the on-chip layout (layout.ts), the store with its
// boot recovery (store.ts) and the sink that writes segments (sink.ts).
export { FlashDevice, FlashError, PowerCut, checkGeometry, type FlashGeometry, type FaultPlan } from "./device.ts";
export {
  objectId, BLOCK_MAGIC, COMMIT_MAGIC, OBJECT_ID_BYTES, BLOCK_HEADER_BYTES, COMMIT_RECORD_BYTES, type StoredSegment,
} from "./layout.ts";
export { FlashStore, READ_CHUNK_BYTES, type DiscardedObject, type BootReport } from "./store.ts";
export { FlashSink } from "./sink.ts";
