// sealcam firmware module: the exports the host sees.
//
// Every export is documented in docs/ABI.md. Pointers are offsets into this
// module's linear memory (normally inside the I/O window, see abi.ts); lengths
// are in bytes; functions that can fail return an error code from errors.ts.
export * from "./abi";
export * from "./errors";
export * from "./crypto/index";
export * from "./camera/index";
