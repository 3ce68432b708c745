// One interface over the engines that run the firmware module. Issue 2 has the
// V8 engine (Node's WebAssembly through @assemblyscript/loader); wasmtime and
// wasm2c join it behind the same interface later.
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { SealcamError, EXIT } from "../errors.ts";

/** The three builds of the module, made by `npm run build` from asconfig.json. */
export type Build = "release" | "scalar" | "debug";
export const BUILDS: readonly Build[] = ["release", "scalar", "debug"];

/**
 * The host functions the module imports (module `env`, docs/ABI.md "Imports").
 * Pointers and lengths arrive as i32 (read them with `>>> 0`); `clock_us`
 * returns an i64, which JavaScript passes as a BigInt. An import must never
 * throw into the module: a failure is a non-zero return.
 */
export interface HostImports {
  /** Fill `len` bytes at `ptr` with random bytes; non-zero = failure. */
  entropy(ptr: number, len: number): number;
  /** Wall-clock time, microseconds since the Unix epoch. */
  clock_us(): bigint;
  /** A segment begins: 16-byte recording id at `recording`, its sequence number. */
  storage_open(recording: number, sequence: number): number;
  /** Append `len` sealed bytes at `ptr` to the open segment. */
  storage_append(ptr: number, len: number): number;
  /** Write the SHA-256 of every byte appended so far (32 bytes) at `out`. */
  storage_digest(out: number): number;
  /** Commit the open segment with its manifest (`len` = 251 bytes at `manifest`). */
  storage_commit(manifest: number, len: number): number;
  /** Discard the open segment. */
  storage_abort(): void;
  /** A device event (docs/ABI.md "Events"). */
  event(kind: number, a: number | bigint, b: number | bigint): void;
  /** Durably append the 200-byte audit entry at `ptr` (docs/ABI.md "The audit log"); non-zero = not stored. */
  audit_write(ptr: number, len: number): number;
  /** Keep the open segment's payload as a parked (uncommitted, invisible) segment and close it (docs/ABI.md "Pre-event buffer"). */
  storage_park(): number;
  /** Put the `len`-byte age header at `header` before the parked segment's payload; write SHA-256(header ‖ payload) at `digest`. */
  storage_unpark(recording: number, sequence: number, header: number, len: number, digest: number): number;
  /** Commit the parked segment with its 251-byte manifest blob at `manifest`. */
  storage_commit_parked(recording: number, sequence: number, manifest: number, len: number): number;
  /** Erase the parked segment. */
  storage_drop(recording: number, sequence: number): number;
}

/**
 * Imports for an instance that is not wired to a camera (the crypto tests,
 * the benchmark, the demo): no entropy, a zero clock, no storage, no audit
 * log. Any camera export called on such an instance fails cleanly
 * (ERR_ENTROPY, ERR_STORAGE) instead of touching the host.
 */
export const DETACHED_IMPORTS: HostImports = {
  entropy: () => 1,
  clock_us: () => 0n,
  storage_open: () => 1,
  storage_append: () => 1,
  storage_digest: () => 1,
  storage_commit: () => 1,
  storage_abort: () => {},
  event: () => {},
  audit_write: () => 1,
  storage_park: () => 1,
  storage_unpark: () => 1,
  storage_commit_parked: () => 1,
  storage_drop: () => 1,
};

/** An instantiated module: its exports and its (fixed) linear memory. */
export interface Instance {
  readonly engine: string;
  readonly build: Build;
  readonly exports: Record<string, any>;
  readonly memory: WebAssembly.Memory;
}

const FILES: Record<Build, string> = {
  release: "sealcam.wasm",
  scalar: "sealcam-scalar.wasm",
  debug: "sealcam-debug.wasm",
};

/** Path of a build's .wasm file; a clear error if it was never built. */
export function wasmPath(build: Build): string {
  const path = fileURLToPath(new URL(`../../build/${FILES[build]}`, import.meta.url));
  if (!existsSync(path)) {
    throw new SealcamError(`module not built: ${path} is missing (run: npm run build)`, EXIT.SETUP);
  }
  return path;
}

export { instantiateV8 } from "./v8.ts";
