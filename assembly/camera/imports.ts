// The host functions the camera pipeline calls: module "env", docs/ABI.md
// "The camera: capture, sign, seal" / "Imports". They are the only way
// randomness, time and storage enter or leave the module, so a host that
// injects a seeded entropy stream and a fixed clock gets byte-identical output.
//
// Wasm types: pointers, lengths, sequence numbers, kinds and return codes are
// i32; times and event arguments are i64. A non-zero i32 return is a failure.
// An import must not call back into the module's exports.

/** Fills `len` bytes at `ptr` with random bytes; non-zero on failure. */
// @ts-ignore: decorator
@external("env", "entropy")
export declare function entropy(ptr: usize, len: usize): i32;

/** Wall-clock time, microseconds since the Unix epoch. */
// @ts-ignore: decorator
@external("env", "clock_us")
export declare function clock_us(): u64;

/**
 * A new segment begins: `recording` points at the 16-byte recording id,
 * `sequence` is the segment's number. The host prepares an invisible file.
 */
// @ts-ignore: decorator
@external("env", "storage_open")
export declare function storage_open(recording: usize, sequence: u32): i32;

/** Appends `len` sealed bytes at `ptr` to the open segment's `.age` file. */
// @ts-ignore: decorator
@external("env", "storage_append")
export declare function storage_append(ptr: usize, len: usize): i32;

/** Writes the SHA-256 of every byte appended to the open segment (32 bytes) at `out`. */
// @ts-ignore: decorator
@external("env", "storage_digest")
export declare function storage_digest(out: usize): i32;

/** Makes the segment visible atomically with its 251-byte manifest blob at `manifest`. */
// @ts-ignore: decorator
@external("env", "storage_commit")
export declare function storage_commit(manifest: usize, len: usize): i32;

/** Discards the open segment; nothing of it may remain visible. */
// @ts-ignore: decorator
@external("env", "storage_abort")
export declare function storage_abort(): void;

/** A device event for the host's log (kinds in docs/ABI.md "Events"). */
// @ts-ignore: decorator
@external("env", "event")
export declare function event(kind: i32, a: u64, b: u64): void;
