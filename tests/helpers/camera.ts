// A test harness for the camera pipeline inside the module (docs/ABI.md "The
// camera"): instantiates a build with the `env` imports backed by
//   - a seeded, deterministic entropy stream (SHA-256 in counter mode),
//   - a settable fixed clock,
//   - in-memory storage (segments and their bytes, SHA-256 digest, commit
//     keeping the 251-byte manifest blob, abort dropping the segment; parked
//     segments of the pre-event buffer: park, unpark with the header
//     prepended, commit_parked, drop),
//   - an in-memory audit log (the 200-byte entries audit_write stored),
// with fault injection (fail the Nth call of an import, with any return
// code: 2 is "storage full") and a log of events. init() starts the audit
// log (audit_start, a new log) between camera_init and camera_configure
// unless autoAudit is turned off.
// Frames go through the I/O window in pieces of at most 64 KiB.
import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { readFileSync } from "node:fs";
import { wasmPath, type Build } from "../../host/engine/index.ts";

export const OK = 0;
export const KIB = 1024;

/** A segment as the storage saw it. */
export interface StoredSegment {
  recording: string; // hex
  sequence: number;
  age: Uint8Array; // the .age file
  manifest?: Uint8Array; // the 251-byte blob, once committed
}

export type ImportName =
  | "entropy" | "storage_open" | "storage_append" | "storage_digest" | "storage_commit"
  | "audit_write" | "storage_park" | "storage_unpark" | "storage_commit_parked" | "storage_drop";

/** A segment the pre-event buffer parked: its payload, and the age header once unparked. */
export interface ParkedSegment {
  recording: string; // hex
  sequence: number;
  payload: Uint8Array;
  header?: Uint8Array;
}

/** Size of an audit entry (docs/FORMAT.md "The audit log"). */
export const AUDIT_ENTRY_BYTES = 200;

/** An event the module reported: kind, a, b. */
export type Event = [number, bigint, bigint];

/** Entropy: SHA-256(seed ‖ le64 counter) blocks, read as one byte stream. */
export class SeededEntropy {
  private seed: Buffer;
  private counter = 0n;
  private pool = Buffer.alloc(0);
  constructor(seed: string | Uint8Array) {
    this.seed = Buffer.from(seed);
  }
  take(n: number): Buffer {
    while (this.pool.length < n) {
      const ctr = Buffer.alloc(8);
      ctr.writeBigUInt64LE(this.counter++);
      this.pool = Buffer.concat([this.pool, createHash("sha256").update(this.seed).update(ctr).digest()]);
    }
    const out = this.pool.subarray(0, n);
    this.pool = this.pool.subarray(n);
    return Buffer.from(out);
  }
}

/** What a test camera is set up with: its secure block and its signed configuration. */
export interface CameraConfig {
  seed: Uint8Array; // 32 bytes: the device seed
  durationUs: bigint;
  sizeBytes: bigint;
  recipients: Uint8Array[]; // 32 bytes each
  /** The force's provisioning seed (default: the test force's); its public key is pinned in the secure block. */
  provisioningSeed?: Uint8Array;
  /** Configuration serial (default 1). */
  serial?: bigint;
  /** Dock public key (default: none, zeros). */
  dock?: Uint8Array;
  /** Device key the configuration names (default: the seed's). */
  device?: Uint8Array;
  /** Pre-event duration, µs (default 0: no pre-event buffer). */
  preEventUs?: bigint;
}

/** The test force's provisioning key (a fixed seed, so runs are reproducible). */
export const PROVISIONING_SEED = new Uint8Array(createHash("sha256").update("sealcam test provisioning key").digest());
export const PROVISIONING_PK = ed25519.getPublicKey(PROVISIONING_SEED);
export const SECURE_BYTES = 72;

/** The secure block (docs/ABI.md): magic, device seed, pinned provisioning key. */
export function secureBlock(seed: Uint8Array, provisioningPk: Uint8Array = PROVISIONING_PK): Uint8Array {
  const b = Buffer.alloc(SECURE_BYTES);
  b.write("SCAMSEC1", 0, "latin1");
  Buffer.from(seed).copy(b, 8);
  Buffer.from(provisioningPk).copy(b, 40);
  return new Uint8Array(b);
}

/**
 * The signed configuration, laid out from FORMAT.md "Camera configuration"
 * (written here from the table, not with the host's encoder); `patch` edits
 * the body before it is signed, for negative tests.
 */
export function signedConfig(c: CameraConfig, patch?: (body: Buffer) => void): Uint8Array {
  const n = c.recipients.length;
  const body = Buffer.alloc(128 + 32 * n);
  body.write("SCAMCFG2", 0, "latin1");
  Buffer.from(c.device ?? ed25519.getPublicKey(c.seed)).copy(body, 8);
  body.writeBigUInt64LE(c.serial ?? 1n, 40);
  body.writeBigUInt64LE(c.durationUs, 48);
  body.writeBigUInt64LE(c.sizeBytes, 56);
  body.writeUInt32LE(n, 64);
  if (c.dock) Buffer.from(c.dock).copy(body, 72);
  body.writeBigUInt64LE(c.preEventUs ?? 0n, 104);
  c.recipients.forEach((r, i) => Buffer.from(r).copy(body, 128 + 32 * i));
  patch?.(body);
  const signature = ed25519.sign(Buffer.concat([Buffer.from("sealcam/v1/camera-config", "latin1"), body]), c.provisioningSeed ?? PROVISIONING_SEED);
  return new Uint8Array(Buffer.concat([body, signature]));
}

/**
 * What CameraHarness.init takes: the secure block ‖ the signed configuration
 * (a test-only pairing: the module takes them in two calls).
 */
export function configBlock(c: CameraConfig): Uint8Array {
  const provisioningPk = ed25519.getPublicKey(c.provisioningSeed ?? PROVISIONING_SEED);
  return new Uint8Array(Buffer.concat([secureBlock(c.seed, provisioningPk), signedConfig(c)]));
}

export class CameraHarness {
  readonly build: Build;
  readonly x: Record<string, any>;
  readonly memory: WebAssembly.Memory;
  readonly io: number;
  readonly memoryBytes: number;
  /** The clock the module reads (µs); set it freely. */
  clock = 1_700_000_000_000_000n;
  entropy: SeededEntropy;
  /** Fail the Nth call (1-based, counted from now on) of an import with a code: set with failAt(). */
  private failing = new Map<ImportName, { at: number; code: number }>();
  /** Calls per import since creation. */
  readonly calls: Record<ImportName, number> = {
    entropy: 0, storage_open: 0, storage_append: 0, storage_digest: 0, storage_commit: 0,
    audit_write: 0, storage_park: 0, storage_unpark: 0, storage_commit_parked: 0, storage_drop: 0,
  };
  /** While true, storage_open and storage_append return 2 (storage full). */
  full = false;
  /** Every audit entry audit_write stored, in order (200 bytes each). */
  readonly audit: Uint8Array[] = [];
  /** init() calls audit_start (a new log) before camera_configure; turn off to test the gating. */
  autoAudit = true;
  /** Parked segments of the pre-event buffer, by `recording-sequence`. */
  readonly parked = new Map<string, ParkedSegment>();
  /** Parked segments the module dropped (expired, failed to commit, or stopped untriggered). */
  readonly dropped: ParkedSegment[] = [];
  readonly events: Event[] = [];
  /**
   * Called at the start of every import call, before the import does its
   * work: `name` is the import, `args` its arguments. Tests use it to call
   * back into the module from inside an import (re-entrancy).
   */
  onImport?: (name: string, args: unknown[]) => void;
  /** Every successful entropy draw, in order (to find secrets in memory afterwards). */
  readonly draws: Buffer[] = [];
  readonly committed: StoredSegment[] = [];
  readonly aborted: StoredSegment[] = [];
  /**
   * Keep every appended byte (the default). Off, storage only hashes and
   * counts (committed segments then hold no bytes): for throughput runs,
   * where filling fresh RAM would cost more than the module.
   */
  keepBytes = true;
  /** Protocol violations seen by the fake storage (should stay empty). */
  readonly violations: string[] = [];
  /** The open segment: its bytes so far are buf[0, len) (grown by doubling, so appends rarely allocate). */
  private open?: { recording: string; sequence: number; buf: Uint8Array; len: number; hash: ReturnType<typeof createHash> };

  private constructor(build: Build, instance: WebAssembly.Instance, seed: string | Uint8Array, hooks: { bind(h: CameraHarness): void }) {
    this.build = build;
    this.x = instance.exports as Record<string, any>;
    this.memory = this.x.memory as WebAssembly.Memory;
    this.io = this.x.io_ptr() >>> 0;
    this.memoryBytes = this.memory.buffer.byteLength;
    this.entropy = new SeededEntropy(seed);
    hooks.bind(this);
  }

  /** Instantiates `build` with the harness's imports, entropy seeded with `seed`. */
  static async create(build: Build, seed: string | Uint8Array = "sealcam test seed"): Promise<CameraHarness> {
    let h: CameraHarness | undefined;
    const self = (): CameraHarness => h!;
    const hook = (name: string, args: unknown[]): CameraHarness => {
      self().onImport?.(name, args);
      return self();
    };
    const env = {
      entropy: (ptr: number, len: number) => hook("entropy", [ptr, len]).onEntropy(ptr >>> 0, len >>> 0),
      clock_us: () => hook("clock_us", []).clock,
      storage_open: (rec: number, seq: number) => hook("storage_open", [rec, seq]).onOpen(rec >>> 0, seq >>> 0),
      storage_append: (ptr: number, len: number) => hook("storage_append", [ptr, len]).onAppend(ptr >>> 0, len >>> 0),
      storage_digest: (out: number) => hook("storage_digest", [out]).onDigest(out >>> 0),
      storage_commit: (ptr: number, len: number) => hook("storage_commit", [ptr, len]).onCommit(ptr >>> 0, len >>> 0),
      storage_abort: () => hook("storage_abort", []).onAbort(),
      event: (kind: number, a: bigint, b: bigint) => void hook("event", [kind, a, b]).events.push([kind, a, b]),
      audit_write: (ptr: number, len: number) => hook("audit_write", [ptr, len]).onAuditWrite(ptr >>> 0, len >>> 0),
      storage_park: () => hook("storage_park", []).onPark(),
      storage_unpark: (rec: number, seq: number, header: number, len: number, digest: number) =>
        hook("storage_unpark", [rec, seq, header, len, digest]).onUnpark(rec >>> 0, seq >>> 0, header >>> 0, len >>> 0, digest >>> 0),
      storage_commit_parked: (rec: number, seq: number, ptr: number, len: number) =>
        hook("storage_commit_parked", [rec, seq, ptr, len]).onCommitParked(rec >>> 0, seq >>> 0, ptr >>> 0, len >>> 0),
      storage_drop: (rec: number, seq: number) => hook("storage_drop", [rec, seq]).onDrop(rec >>> 0, seq >>> 0),
    };
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath(build)), { env });
    return new CameraHarness(build, instance, seed, { bind: (x) => (h = x) });
  }

  /** Makes the `n`th call from now of import `name` fail with `code` (1 = the next call; code 2 = storage full). */
  failAt(name: ImportName, n: number, code = 1): void {
    this.failing.set(name, { at: this.calls[name] + n, code });
  }

  /** Clears every pending failure. */
  clearFaults(): void {
    this.failing.clear();
  }

  private fails(name: ImportName): boolean {
    return this.failCode(name) !== 0;
  }

  /** Counts a call of `name`; the code it must return (0: do the work). */
  private failCode(name: ImportName): number {
    this.calls[name]++;
    const f = this.failing.get(name);
    if (f && f.at === this.calls[name]) return f.code;
    if (this.full && (name === "storage_open" || name === "storage_append")) return 2;
    return 0;
  }

  view(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, len);
  }

  private onEntropy(ptr: number, len: number): number {
    if (this.fails("entropy")) return 1;
    const bytes = this.entropy.take(len);
    this.draws.push(bytes);
    this.view(ptr, len).set(bytes);
    return 0;
  }

  private onOpen(rec: number, seq: number): number {
    if (this.open) this.violations.push(`storage_open(${seq}) while segment ${this.open.sequence} is open`);
    const recording = Buffer.from(this.view(rec, 16)).toString("hex");
    this.open = { recording, sequence: seq, buf: new Uint8Array(1 << 20), len: 0, hash: createHash("sha256") };
    return this.failCode("storage_open");
  }

  private onAppend(ptr: number, len: number): number {
    if (!this.open) this.violations.push("storage_append without an open segment");
    const code = this.failCode("storage_append");
    if (code !== 0) return code;
    if (!this.open) return 1;
    const o = this.open;
    const bytes = this.view(ptr, len);
    o.hash.update(bytes);
    if (!this.keepBytes) return 0;
    if (o.len + len > o.buf.length) {
      const grown = new Uint8Array(Math.max(2 * o.buf.length, o.len + len));
      grown.set(o.buf.subarray(0, o.len));
      o.buf = grown;
    }
    o.buf.set(bytes, o.len);
    o.len += len;
    return 0;
  }

  private onDigest(out: number): number {
    if (!this.open) this.violations.push("storage_digest without an open segment");
    if (this.fails("storage_digest") || !this.open) return 1;
    this.view(out, 32).set(this.open.hash.copy().digest());
    return 0;
  }

  private onCommit(ptr: number, len: number): number {
    if (!this.open) this.violations.push("storage_commit without an open segment");
    if (len !== 251) this.violations.push(`storage_commit with ${len} bytes`);
    if (this.fails("storage_commit") || !this.open) return 1;
    const { recording, sequence, buf, len: size } = this.open;
    this.committed.push({ recording, sequence, age: buf.subarray(0, size), manifest: this.view(ptr, len).slice() });
    this.open = undefined;
    return 0;
  }

  private onAbort(): void {
    if (!this.open) this.violations.push("storage_abort without an open segment");
    else this.aborted.push({ recording: this.open.recording, sequence: this.open.sequence, age: this.open.buf.subarray(0, this.open.len) });
    this.open = undefined;
  }

  private onAuditWrite(ptr: number, len: number): number {
    if (len !== AUDIT_ENTRY_BYTES) this.violations.push(`audit_write with ${len} bytes`);
    const code = this.failCode("audit_write");
    if (code !== 0) return code;
    this.audit.push(this.view(ptr, len).slice());
    return 0;
  }

  private static parkKey(recording: string, sequence: number): string {
    return `${recording}-${sequence}`;
  }

  private findParked(rec: number, seq: number, what: string): ParkedSegment | undefined {
    const recording = Buffer.from(this.view(rec, 16)).toString("hex");
    const p = this.parked.get(CameraHarness.parkKey(recording, seq));
    if (!p) this.violations.push(`${what}(${recording}, ${seq}) of no parked segment`);
    return p;
  }

  private onPark(): number {
    if (!this.open) this.violations.push("storage_park without an open segment");
    if (!this.keepBytes) this.violations.push("storage_park with keepBytes off");
    if (this.fails("storage_park") || !this.open) return 1;
    const { recording, sequence, buf, len } = this.open;
    this.parked.set(CameraHarness.parkKey(recording, sequence), { recording, sequence, payload: buf.slice(0, len) });
    this.open = undefined;
    return 0;
  }

  private onUnpark(rec: number, seq: number, header: number, len: number, digest: number): number {
    const p = this.findParked(rec, seq, "storage_unpark");
    if (this.fails("storage_unpark") || !p) return 1;
    p.header = this.view(header, len).slice();
    this.view(digest, 32).set(createHash("sha256").update(p.header).update(p.payload).digest());
    return 0;
  }

  private onCommitParked(rec: number, seq: number, ptr: number, len: number): number {
    const p = this.findParked(rec, seq, "storage_commit_parked");
    if (len !== 251) this.violations.push(`storage_commit_parked with ${len} bytes`);
    if (p && !p.header) this.violations.push(`storage_commit_parked(${p.sequence}) before storage_unpark`);
    if (this.fails("storage_commit_parked") || !p || !p.header) return 1;
    const age = new Uint8Array(p.header.length + p.payload.length);
    age.set(p.header);
    age.set(p.payload, p.header.length);
    this.committed.push({ recording: p.recording, sequence: p.sequence, age, manifest: this.view(ptr, len).slice() });
    this.parked.delete(CameraHarness.parkKey(p.recording, p.sequence));
    return 0;
  }

  private onDrop(rec: number, seq: number): number {
    const p = this.findParked(rec, seq, "storage_drop");
    if (this.fails("storage_drop") || !p) return 1;
    this.dropped.push(p);
    this.parked.delete(CameraHarness.parkKey(p.recording, p.sequence));
    return 0;
  }

  /** True while the fake storage holds an uncommitted segment. */
  get segmentOpen(): boolean {
    return this.open !== undefined;
  }

  /** Bytes appended so far to the open (uncommitted) segment, 0 when none is open. */
  get openBytes(): number {
    return this.open?.len ?? 0;
  }

  /**
   * Sets the camera up from configBlock's pairing: the secure block goes to
   * the start of the I/O window and camera_init; the signed configuration
   * (if any follows) to 4 KiB further on and camera_configure. Returns the
   * first non-OK code. A block of other than 72 bytes before the
   * configuration is a secure block test: only camera_init runs, with all of it.
   */
  init(block: Uint8Array): number {
    const secure = block.length > SECURE_BYTES && Buffer.from(block.subarray(0, 8)).toString("latin1") === "SCAMSEC1" ? SECURE_BYTES : block.length;
    this.view(this.io, secure).set(block.subarray(0, secure));
    const rc = this.x.camera_init(this.io, secure);
    if (rc !== OK) return rc;
    if (this.autoAudit) {
      const started = this.auditStart();
      if (started !== OK) return started;
    }
    if (secure === block.length) return rc;
    return this.configure(block.subarray(secure));
  }

  /**
   * audit_start: continue the log after `last` (a 200-byte entry, written
   * 8 KiB into the I/O window) or start a new one (none given).
   */
  auditStart(last?: Uint8Array): number {
    if (!last) return this.x.audit_start(this.io + 8 * KIB, 0);
    this.view(this.io + 8 * KIB, last.length).set(last);
    return this.x.audit_start(this.io + 8 * KIB, last.length);
  }

  /** The index the next audit entry will get, and the hash of the last one written (audit_head). */
  auditHead(): { next: bigint; hash: Uint8Array } {
    const next = BigInt.asUintN(64, this.x.audit_head(this.io + 8 * KIB));
    return { next, hash: this.view(this.io + 8 * KIB, 32).slice() };
  }

  /** Writes a signed configuration 4 KiB into the I/O window and calls camera_configure. */
  configure(config: Uint8Array): number {
    this.view(this.io + 4 * KIB, config.length).set(config);
    return this.x.camera_configure(this.io + 4 * KIB, config.length);
  }

  /** The block as the module left it in the I/O window after init (to check the wipe). */
  configAfterInit(len: number): Uint8Array {
    return this.view(this.io, len).slice();
  }

  publicKey(): Uint8Array {
    this.x.camera_public_key(this.io);
    return this.view(this.io, 32).slice();
  }

  recordingId(): Uint8Array {
    this.x.recording_id(this.io);
    return this.view(this.io, 16).slice();
  }

  start(): number {
    return this.x.recording_start();
  }

  /** recording_buffer: start in pre-event mode. */
  buffer(): number {
    return this.x.recording_buffer();
  }

  /** recording_trigger: make the pre-event buffer evidence. */
  trigger(): number {
    return this.x.recording_trigger();
  }

  stop(): number {
    return this.x.recording_stop();
  }

  closeSegment(): number {
    return this.x.segment_close();
  }

  framesRecorded(): bigint {
    return this.x.frames_recorded();
  }

  begin(timeUs: bigint, length: number, flags: number): number {
    return this.x.frame_begin(timeUs, length, flags);
  }

  /** Feeds `bytes` in pieces of at most `piece` bytes; stops at the first error. */
  data(bytes: Uint8Array, piece = 64 * KIB): number {
    for (let off = 0; off < bytes.length; off += piece) {
      const part = bytes.subarray(off, Math.min(off + piece, bytes.length));
      this.view(this.io, part.length).set(part);
      const rc = this.x.frame_data(this.io, part.length);
      if (rc !== OK) return rc;
    }
    return OK;
  }

  end(): number {
    return this.x.frame_end();
  }

  /** One whole frame: begin, data, end. Returns the first non-OK code. */
  frame(timeUs: bigint, bytes: Uint8Array, keyframe: boolean, piece = 64 * KIB): number {
    let rc = this.begin(timeUs, bytes.length, keyframe ? 1 : 0);
    if (rc !== OK) return rc;
    rc = this.data(bytes, piece);
    if (rc !== OK) return rc;
    return this.end();
  }

  /** Offsets at which `needle` occurs anywhere in the module's memory. */
  find(needle: Uint8Array): number[] {
    const mem = Buffer.from(this.memory.buffer);
    const out: number[] = [];
    for (let at = mem.indexOf(needle); at !== -1; at = mem.indexOf(needle, at + 1)) out.push(at);
    return out;
  }

  /** True when the module's memory still has its instantiation size. */
  memoryUnchanged(): boolean {
    return this.memory.buffer.byteLength === this.memoryBytes;
  }
}
