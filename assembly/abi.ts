// The module's I/O window: the one area of linear memory the host writes
// inputs into and reads outputs from. It is fixed at build time (no allocation
// after instantiation); its address and size are exported so the host never
// guesses them. Everything else in memory (the device key, the pinned
// provisioning key, recipients, dock key, scratch) is the module's own: every
// export confines the host's pointers to this window with checkWindow.

/** Size of the I/O window in bytes: two 64 KiB chunks plus 4 KiB for small values. */
export const IO_BYTES: i32 = 2 * 65536 + 4096;

const IO: usize = memory.data(IO_BYTES, 64);

/** Address of the I/O window in linear memory. */
export function io_ptr(): usize {
  return IO;
}

/**
 * Traps (as an out-of-memory access would) unless [ptr, ptr + len) lies
 * inside the I/O window; called first, so nothing has changed. Written so no
 * sum can wrap: ptr − io and IO_BYTES − len are computed only once known
 * not to. Not a wasm export (index.ts names what abi.ts exports).
 */
// @ts-ignore: decorator
@inline
export function checkWindow(ptr: usize, len: usize): void {
  if (ptr < IO || len > <usize>IO_BYTES || ptr - IO > <usize>IO_BYTES - len) unreachable();
}
