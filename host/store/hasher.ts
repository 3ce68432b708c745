// The SHA-256 of a segment's `.age` file, computed on a second thread: what
// a camera SoC's hash engine does beside the CPU (DESIGN.md, "Why the host
// computes the .age file's SHA-256"). The store copies each appended piece
// into a ring in shared memory and goes on; a worker thread hashes the ring
// with node:crypto. Only `digest()` (once per segment, at commit) waits for
// the worker to catch up.
//
// The ring and the requests (digest, reset) are coordinated with Atomics on
// a small control array; every blocking wait is a loop of short waits that
// checks whether the worker failed, so a dead worker becomes an error on the
// next call, never a hang.
import { Worker } from "node:worker_threads";
import { createHash, type Hash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";

const MIB = 1024 * 1024;
/** Default size of the ring between the appending thread and the hash thread. */
export const RING_BYTES = 4 * MIB;
/** SHA-256 digest size. */
export const SHA256_BYTES = 32;
// Bytes staged at a time when a piece must be realigned (see `update`).
const STAGE_BYTES = 64 * 1024;
/** A worker that makes no progress for this long while the store waits on it is declared dead. */
export const STALL_MS = 10_000;

/** A running SHA-256 over a segment's bytes: what the stores need of a hash engine. */
export interface RunningSha256 {
  /** Adds bytes to the hash. The caller may reuse `bytes` as soon as it returns. */
  update(bytes: Uint8Array): void;
  /** SHA-256 of every byte since the last reset (32 bytes, a fresh array). The hash goes on. */
  digest(): Uint8Array;
  /** Starts over, as for a new segment. */
  reset(): void;
  /** Releases the engine; any later call throws. */
  close(): void;
  /** True once the engine can no longer hash (its thread died or it was closed). */
  readonly failed: boolean;
}

// Control array (Int32Array over its own SharedArrayBuffer), by index.
// Positions are byte counts modulo 2^32 kept as int32; the ring size is a
// power of two, so `position & (size - 1)` is the offset in the ring.
const WRITE = 0; // bytes the store has put in the ring (store writes)
const READ = 1; // bytes the worker has hashed (worker writes)
const WAKE = 2; // bumped by the store after each write or request; the worker sleeps on it
const REQ = 3; // request number (store writes, after OP and AT)
const ACK = 4; // last request the worker carried out
const OP = 5; // what the request is: DIGEST or RESET
const AT = 6; // the request applies after the worker has hashed up to this position
const STATE = 7; // RUNNING, then FAILED if the worker caught an exception
const IDLE = 8; // 1 while the worker sleeps (the store notifies only then)
const ERROR_LENGTH = 9; // bytes of the worker's error message
const CONTROL_WORDS = 16;
const DIGEST = 1;
const RESET = 2;
const FAILED = 2;
const ERROR_BYTES = 240;

// The worker: plain JavaScript run with `eval`, using only node:worker_threads
// and node:crypto. It hashes the ring in pieces of at most 256 KiB (so the
// store gets room back early), carries out a request once it has hashed up
// to the request's position, and sleeps on WAKE when there is nothing to do.
// An exception is written into shared memory (the store may be blocked, and
// could not see an 'error' event before it returns to its event loop).
const WORKER = `"use strict";
const { workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const c = new Int32Array(workerData.control);
const ring = new Uint8Array(workerData.ring);
const out = new Uint8Array(workerData.digest);
const err = new Uint8Array(workerData.error);
const mask = ring.length - 1;
const PIECE = 256 * 1024;
let hash = createHash("sha256");
let read = 0;
let ack = 0;
try {
  for (;;) {
    const wake = Atomics.load(c, ${WAKE});
    // WRITE before REQ: a request seen as pending has AT >= the WRITE read
    // here, and one not yet seen cannot have AT below it.
    const written = Atomics.load(c, ${WRITE});
    const req = Atomics.load(c, ${REQ});
    const limit = req !== ack ? Atomics.load(c, ${AT}) : written;
    if (limit !== read) {
      const at = read & mask;
      const n = Math.min((limit - read) >>> 0, ring.length - at, PIECE);
      hash.update(ring.subarray(at, at + n));
      read = (read + n) | 0;
      Atomics.store(c, ${READ}, read);
      Atomics.notify(c, ${READ});
      continue;
    }
    if (req !== ack) {
      const op = Atomics.load(c, ${OP});
      if (op === ${DIGEST}) out.set(hash.copy().digest());
      else if (op === ${RESET}) hash = createHash("sha256");
      else throw new Error("unknown request " + op);
      ack = req;
      Atomics.store(c, ${ACK}, ack);
      Atomics.notify(c, ${ACK});
      continue;
    }
    Atomics.store(c, ${IDLE}, 1);
    Atomics.wait(c, ${WAKE}, wake);
    Atomics.store(c, ${IDLE}, 0);
  }
} catch (e) {
  const text = new TextEncoder().encode(String((e && e.message) || e)).subarray(0, err.length);
  err.set(text);
  Atomics.store(c, ${ERROR_LENGTH}, text.length);
  Atomics.store(c, ${STATE}, ${FAILED});
  Atomics.notify(c, ${READ});
  Atomics.notify(c, ${ACK});
  throw e;
}
`;

export interface ParallelSha256Options {
  /** Ring size in bytes: a power of two, 64 KiB to 1 GiB (default 4 MiB). */
  ringBytes?: number;
  /** How long the store waits on a worker that makes no progress before it gives up (default 10 s). */
  stallMs?: number;
}

/**
 * SHA-256 on a worker thread. `update` copies into the shared ring and
 * blocks only while the ring is full; `digest` blocks until the worker has
 * hashed everything so far. All calls are synchronous, for the module's
 * storage imports. The worker is unref'd: it never keeps the process alive.
 *
 * Errors (SealcamError, "storage: hash thread …"): the worker threw, exited,
 * or made no progress for `stallMs` while the caller waited; or the hasher
 * was closed. The hasher is then `failed` for good: make a new one.
 */
export class ParallelSha256 implements RunningSha256 {
  private readonly control: Int32Array;
  private readonly ring: Uint8Array;
  private readonly out: Uint8Array;
  private readonly error: Uint8Array;
  private readonly mask: number;
  private readonly stage = new Uint8Array(STAGE_BYTES + 8);
  private readonly stallMs: number;
  private readonly wakeBytes: number;
  private readonly worker: Worker;
  private written = 0;
  private request = 0;
  private failure: string | undefined;

  /** Starts the worker. Throws if a worker thread cannot be created. */
  constructor(options: ParallelSha256Options = {}) {
    const size = options.ringBytes ?? RING_BYTES;
    if (!(Number.isInteger(size) && size >= 64 * 1024 && size <= 1024 * MIB && (size & (size - 1)) === 0)) {
      throw new SealcamError(`hash ring must be a power of two from 64 KiB to 1 GiB, not ${size}`, EXIT.INTERNAL);
    }
    const shared = {
      control: new SharedArrayBuffer(CONTROL_WORDS * 4),
      ring: new SharedArrayBuffer(size),
      digest: new SharedArrayBuffer(SHA256_BYTES),
      error: new SharedArrayBuffer(ERROR_BYTES),
    };
    this.control = new Int32Array(shared.control);
    this.ring = new Uint8Array(shared.ring);
    this.out = new Uint8Array(shared.digest);
    this.error = new Uint8Array(shared.error);
    this.mask = size - 1;
    this.wakeBytes = size / 4;
    this.stallMs = options.stallMs ?? STALL_MS;
    // execArgv: [] keeps the parent's loader flags (tsx) out of the worker:
    // its code is plain JavaScript and starts faster without them.
    this.worker = new Worker(WORKER, { eval: true, workerData: shared, execArgv: [] });
    this.worker.unref();
    // Seen only when the caller's thread returns to its event loop; the
    // shared STATE word and the stall limit cover the time it is blocked.
    this.worker.on("error", (e) => (this.failure ??= `storage: hash thread failed: ${e.message}`));
    this.worker.on("exit", (code) => (this.failure ??= `storage: hash thread exited (code ${code})`));
  }

  get failed(): boolean {
    return this.failure !== undefined || Atomics.load(this.control, STATE) === FAILED;
  }

  update(bytes: Uint8Array): void {
    this.check();
    const size = this.ring.length;
    for (let done = 0; done < bytes.length; ) {
      const used = (this.written - Atomics.load(this.control, READ)) | 0;
      if (used === size) {
        this.wait(READ, () => ((this.written - Atomics.load(this.control, READ)) | 0) < size);
        continue;
      }
      const at = this.written & this.mask;
      let n = Math.min(bytes.length - done, size - used, size - at);
      // V8 copies into shared memory word by word only when source and
      // destination are equally aligned mod 8, else byte by byte (about 6×
      // slower, measured: 2.6 against 15 GB/s). A misaligned piece goes
      // through a plain buffer at the ring's alignment: one fast extra copy.
      if (((bytes.byteOffset + done - at) & 7) === 0) {
        this.ring.set(bytes.subarray(done, done + n), at);
      } else {
        n = Math.min(n, STAGE_BYTES);
        const a = at & 7;
        this.stage.set(bytes.subarray(done, done + n), a);
        this.ring.set(this.stage.subarray(a, a + n), at);
      }
      this.written = (this.written + n) | 0;
      Atomics.store(this.control, WRITE, this.written);
      this.wake(false);
      done += n;
    }
  }

  digest(): Uint8Array {
    this.ask(DIGEST);
    this.settle();
    return this.out.slice();
  }

  reset(): void {
    // Asynchronous: the worker resets once it has hashed what came before;
    // the next request waits for it.
    this.ask(RESET);
  }

  close(): void {
    if (this.failure === undefined) this.failure = "storage: hash thread closed";
    void this.worker.terminate();
  }

  /** Posts a request applying at the current write position, after the previous one is done. */
  private ask(op: number): void {
    this.check();
    this.settle();
    Atomics.store(this.control, OP, op);
    Atomics.store(this.control, AT, this.written);
    this.request = (this.request + 1) | 0;
    Atomics.store(this.control, REQ, this.request);
    this.wake(true);
  }

  /** Waits until the worker has carried out the last request. */
  private settle(): void {
    this.wait(ACK, () => Atomics.load(this.control, ACK) === this.request);
  }

  /**
   * Tells the worker there is work. A sleeping worker is woken only for a
   * request or once a quarter of the ring waits: waking a thread costs the
   * caller a system call (and on a VM often an inter-processor interrupt),
   * about as much as hashing the 64 KiB it would be woken for.
   */
  private wake(request: boolean): void {
    Atomics.add(this.control, WAKE, 1);
    if (Atomics.load(this.control, IDLE) !== 1) return;
    if (request || ((this.written - Atomics.load(this.control, READ)) | 0) >= this.wakeBytes) Atomics.notify(this.control, WAKE);
  }

  /**
   * Blocks until `done()`, in waits of at most 50 ms on the word the worker
   * notifies; throws if the worker failed, or if it made no progress
   * (neither READ nor ACK moved) for `stallMs`: a worker terminated while
   * this thread is blocked can tell nobody. Each wait counts for at most
   * 100 ms, so a process suspended and resumed mid-wait is not taken for a
   * stall.
   */
  private wait(index: number, done: () => boolean): void {
    let read = Atomics.load(this.control, READ);
    let ack = Atomics.load(this.control, ACK);
    let stalled = 0;
    for (;;) {
      if (done()) return;
      this.check();
      const seen = Atomics.load(this.control, index);
      if (done()) return;
      const before = performance.now();
      Atomics.wait(this.control, index, seen, 50);
      const r = Atomics.load(this.control, READ);
      const a = Atomics.load(this.control, ACK);
      if (r !== read || a !== ack) {
        [read, ack, stalled] = [r, a, 0];
      } else {
        stalled += Math.min(performance.now() - before, 100);
        if (stalled > this.stallMs) this.failure ??= `storage: hash thread stopped responding (no progress for ${this.stallMs} ms)`;
      }
    }
  }

  private check(): void {
    if (this.failure === undefined && Atomics.load(this.control, STATE) === FAILED) {
      const text = Buffer.from(this.error.subarray(0, Atomics.load(this.control, ERROR_LENGTH))).toString("utf8");
      this.failure = `storage: hash thread failed: ${text}`;
    }
    if (this.failure !== undefined) throw new SealcamError(this.failure, EXIT.INTERNAL);
  }
}

/** SHA-256 on the calling thread: the fallback where no worker thread can be created. */
export class InThreadSha256 implements RunningSha256 {
  private hash: Hash = createHash("sha256");
  private closed = false;

  get failed(): boolean {
    return this.closed;
  }

  update(bytes: Uint8Array): void {
    this.check();
    this.hash.update(bytes);
  }

  digest(): Uint8Array {
    this.check();
    return new Uint8Array(this.hash.copy().digest());
  }

  reset(): void {
    this.check();
    this.hash = createHash("sha256");
  }

  close(): void {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new SealcamError("storage: hash closed", EXIT.INTERNAL);
  }
}

/**
 * The hash engine for a store: a ParallelSha256, or, if a worker thread
 * cannot be created here (no worker support, thread limits), the same hash
 * on the calling thread. Slower, but the bytes are hashed either way.
 */
export function segmentHasher(): RunningSha256 {
  try {
    return new ParallelSha256();
  } catch {
    return new InThreadSha256();
  }
}
