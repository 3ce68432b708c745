// sealcam firmware module: the exports the host sees.
//
// Every export is documented in docs/ABI.md. Pointers are offsets into this
// module's linear memory and must lie inside the I/O window (abi.ts), or the
// call traps before anything changes: the crypto exports are crypto_abi.ts's
// checked wrappers, not crypto/index.ts itself. Lengths are in bytes;
// functions that can fail return an error code from errors.ts.
export { IO_BYTES, io_ptr } from "./abi";
export * from "./errors";
export * from "./crypto_abi";
export * from "./camera/index";
