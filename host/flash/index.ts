// The camera's flash: a simulated NAND chip with fault injection (device.ts)
// and the durable segment store on it (store.ts, docs/FORMAT.md "The
// camera's flash").
export { FlashDevice, FlashError, PowerCut, checkGeometry, type FlashGeometry, type FaultPlan } from "./device.ts";
export {
  FlashStore, FlashSink, objectId,
  BLOCK_MAGIC, COMMIT_MAGIC, OBJECT_ID_BYTES, BLOCK_HEADER_BYTES, COMMIT_RECORD_BYTES, READ_CHUNK_BYTES,
  type StoredSegment, type DiscardedObject, type BootReport,
} from "./store.ts";
