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

/**
 * Durably appends the audit entry of `len` bytes (body 136 ‖ signature 64)
 * at `ptr` to the camera's audit log (docs/ABI.md "The audit log"). Zero: it
 * is stored; non-zero: it is not (the module does not advance its chain).
 */
// @ts-ignore: decorator
@external("env", "audit_write")
export declare function audit_write(ptr: usize, len: usize): i32;

/**
 * Pre-event buffer (docs/ABI.md "Pre-event buffer"): the open segment's
 * payload is complete; keep it uncommitted and invisible as the parked
 * segment (recording, sequence) and close it as the open segment.
 */
// @ts-ignore: decorator
@external("env", "storage_park")
export declare function storage_park(): i32;

/**
 * Gives the parked segment (16-byte recording id at `recording`, `sequence`)
 * its age header: the `len` bytes at `header` go before its payload; writes
 * the SHA-256 of the whole `.age` file (header ‖ payload) at `digest` (32 bytes).
 */
// @ts-ignore: decorator
@external("env", "storage_unpark")
export declare function storage_unpark(recording: usize, sequence: u32, header: usize, len: usize, digest: usize): i32;

/** Commits the parked segment with its 251-byte manifest blob, atomically as storage_commit. */
// @ts-ignore: decorator
@external("env", "storage_commit_parked")
export declare function storage_commit_parked(recording: usize, sequence: u32, manifest: usize, len: usize): i32;

/** Erases the parked segment (16-byte recording id at `recording`, `sequence`): it expired or failed to commit. */
// @ts-ignore: decorator
@external("env", "storage_drop")
export declare function storage_drop(recording: usize, sequence: u32): i32;
