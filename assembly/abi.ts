// The module's I/O window: the one area of linear memory the host writes
// inputs into and reads outputs from. It is fixed at build time (no allocation
// after instantiation); its address and size are exported so the host never
// guesses them.

/** Size of the I/O window in bytes: two 64 KiB chunks plus 4 KiB for small values. */
export const IO_BYTES: i32 = 2 * 65536 + 4096;

const IO: usize = memory.data(IO_BYTES, 64);

/** Address of the I/O window in linear memory. */
export function io_ptr(): usize {
  return IO;
}
