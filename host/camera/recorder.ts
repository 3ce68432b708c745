// The recorder: one firmware module instance wired to a segment store, an
// entropy source, a clock and an event log, driven through the camera ABI
// (docs/ABI.md, "The camera: capture, sign, seal").
//
// The host is untrusted glue. It copies each access unit into the module's
// I/O window (in 64 KiB pieces), and answers the module's imports: random
// bytes, the time, and the storage calls, which go to the SegmentStore. An
// import never throws into the module (that would unwind an export halfway,
// past the module's key wiping): a failure is a non-zero return, which the
// module turns into ERR_ENTROPY or ERR_STORAGE after aborting the segment;
// the recorder keeps the cause and reports it in the one-line error.
import { instantiateV8, type Build, type HostImports, type Instance } from "../engine/index.ts";
import { SealcamError, EXIT, MODULE_ERRORS, moduleMessage } from "../errors.ts";
import { StorageFullError, type SegmentSink, type CommittedSegment } from "../store/segments.ts";
import { systemEntropy } from "./entropy.ts";
import { randomBytes } from "node:crypto";
import { Crypto } from "../engine/crypto.ts";
import { signConfig } from "./config.ts";
import { MemoryAudit, AUDIT_ENTRY_BYTES, AUDIT_KINDS as AUDIT_KIND_NAMES, type AuditSink } from "./audit.ts";

const KIB = 1024;
/** Frames go into the I/O window at most this much at a time (the window's first data area). */
export const FRAME_PIECE_BYTES = 64 * KIB;
// Small outputs (public key, recording id) go after the two data areas.
const SMALL = 2 * 64 * KIB;
// The audit head's hash and audit_note's ref (32 bytes) go here, in the small area.
const AUDIT_AT = SMALL + 128;
// Dock hellos, receipts and their subjects go at the start of the window (no frame is in progress then).
const DOCK_AT = 0;
const DOCK_OUT_AT = 1 * KIB;

const SECURE_MAGIC = "SCAMSEC1";
const SECURE_BYTES = 72;
// The signed configuration goes this far into the I/O window (after the secure block).
const CONFIG_AT = 4 * KIB;
/** Segment limits the module accepts (docs/FORMAT.md, "Camera configuration"). */
export const MIN_SEGMENT_SECONDS = 1;
export const MIN_SEGMENT_BYTES = 64 * KIB;
export const DEFAULT_SEGMENT_BYTES = 256 * 1024 * KIB;

/** What the camera is configured with (docs/ABI.md, "Signed configuration"; bytes in docs/FORMAT.md "Camera configuration"). */
export interface CameraConfig {
  /** Device Ed25519 seed, 32 bytes; the module derives the key pair and wipes its copy. */
  deviceSeed: Uint8Array;
  /** X25519 recipients (decoded `age1…` keys), 32 bytes each, 1 to 8, in stanza order. */
  recipients: Uint8Array[];
  /** Cut a segment at the first keyframe this long after its first frame. */
  segmentSeconds: number;
  /** …or once it holds this many plaintext bytes (default 256 MiB). */
  segmentBytes?: number;
  /**
   * The force's provisioning: the public key the camera pins and a
   * configuration it signed (FORMAT.md "Camera configuration"); then
   * `recipients` and the segment limits come from that configuration and the
   * fields above are ignored. Without it the recorder provisions the camera
   * itself with a one-off key (a development camera: whoever runs the host
   * chooses the recipients, which is exactly what a signed configuration
   * prevents on a real one).
   */
  provisioning?: { publicKey: Uint8Array; config: Uint8Array };
}

/** An access unit to record: its bytes, keyframe flag and capture time (µs since the Unix epoch). */
export interface Frame {
  bytes: Uint8Array;
  keyframe: boolean;
  timeUs: number;
}

/** Device events (docs/ABI.md, "Events"). */
export const EVENT_NAMES: Record<number, string> = {
  1: "recording started",
  2: "segment opened",
  3: "segment committed",
  4: "segment aborted",
  5: "recording stopped",
  6: "configuration accepted",
  7: "configuration refused",
  8: "storage full",
  9: "audit entry not written",
  10: "trigger",
  11: "segment parked",
  12: "segment expired",
};

export interface CameraEvent {
  kind: number;
  name: string;
  a: number;
  b: number;
}

/** One line for an event, in the field's words. */
export function describeEvent(e: CameraEvent): string {
  switch (e.kind) {
    case 1: return "recording started";
    case 2: return `segment ${e.a} opened at frame ${e.b}`;
    case 3: return `segment ${e.a} committed: ${e.b} frames`;
    case 4: return `segment ${e.a} aborted: ${moduleMessage(e.b)}`;
    case 5: return `recording stopped after ${e.a} frames`;
    case 6: return `configuration ${e.a} accepted: ${e.b} recipient${e.b === 1 ? "" : "s"}`;
    case 7: return `configuration${e.b ? ` ${e.b}` : ""} refused: ${moduleMessage(e.a)}`;
    case 8: return `storage full at frame ${e.a}: segment ${e.b} aborted, recording stopped`;
    case 9: return `audit entry (${AUDIT_KIND_NAMES[e.a] ?? `kind ${e.a}`}) not written: audit log returned ${e.b}`;
    case 10: return `trigger: evidence from frame ${e.a}, ${e.b} buffered segment${e.b === 1 ? "" : "s"} kept`;
    case 11: return `segment ${e.a} parked: ${e.b} frames`;
    case 12: return `segment ${e.a} expired: ${e.b} frames`;
    default: return `event ${e.kind} (${e.a}, ${e.b})`;
  }
}

/** True for a store's "no room left" (the module is then told 2: storage full). */
function isStorageFull(e: unknown): boolean {
  return e instanceof StorageFullError || (typeof e === "object" && e !== null && (e as { code?: unknown }).code === "EFULL");
}

/** A store method the pre-event buffer needs; a store without it makes the import fail. */
function need<F extends (...args: any[]) => any>(method: F | undefined, name: string): F {
  if (!method) throw new SealcamError(`the segment store cannot ${name} a parked segment (no pre-event buffer support)`, EXIT.SETUP);
  return method;
}

export interface RecorderOptions {
  store: SegmentSink;
  /** Module build (default release). */
  build?: Build;
  /** Fills its argument with random bytes (default node:crypto). Inject a seeded one only for tests. */
  entropy?: (out: Uint8Array) => void;
  /** Wall clock in µs since the Unix epoch (default Date.now() × 1000). */
  clock?: () => bigint;
  onEvent?: (event: CameraEvent) => void;
  onCommit?: (segment: CommittedSegment) => void;
  /** Where the module's audit entries go (default: in memory, a new log). Its tail() is what the log continues after. */
  audit?: AuditSink;
}

export interface RecordingSummary {
  /** Recording id, lowercase hex. */
  recording: string;
  /** Device public key, lowercase hex. */
  device: string;
  frames: number;
  /** Bytes of access units recorded (the video itself). */
  frameBytes: number;
  segments: CommittedSegment[];
  /** Bytes of the committed `.age` files. */
  ageBytes: number;
  /** Segments the module aborted (a storage failure). */
  aborted: number;
  /** Wall time from start to stop. */
  seconds: number;
}

type State = "new" | "configured" | "recording" | "stopped";

export class Recorder {
  readonly instance: Instance;
  private readonly x: Record<string, any>;
  private readonly store: SegmentSink;
  private readonly io: number;
  private readonly onEvent: (e: CameraEvent) => void;
  private readonly onCommit: (s: CommittedSegment) => void;
  /** The camera's audit log (the module writes it through audit_write). */
  readonly audit: AuditSink;
  private state: State = "new";
  /** The error behind the last failed import, to explain ERR_STORAGE / ERR_ENTROPY. */
  private cause: unknown;
  private committed: CommittedSegment[] = [];
  private aborted = 0;
  private frameBytes = 0;
  private startedAt = 0;
  private device = "";

  private constructor(instance: Instance, options: RecorderOptions, hooks: { bind(r: Recorder): void }) {
    this.instance = instance;
    this.x = instance.exports;
    this.store = options.store;
    this.onEvent = options.onEvent ?? (() => {});
    this.onCommit = options.onCommit ?? (() => {});
    this.audit = options.audit ?? new MemoryAudit();
    hooks.bind(this);
    for (const name of ["camera_init", "recording_start", "frame_begin", "frame_data", "frame_end", "recording_stop", "frames_recorded"]) {
      if (typeof this.x[name] !== "function") throw new SealcamError(`module has no camera export ${name} (rebuild it: npm run build)`, EXIT.SETUP);
    }
    this.io = this.x.io_ptr() >>> 0;
    if (this.x.IO_BYTES.value < SMALL + KIB) throw new SealcamError(`module I/O window too small: ${this.x.IO_BYTES.value}`, EXIT.SETUP);
  }

  /** Instantiates the module with the recorder's imports wired to `options`. */
  static async create(options: RecorderOptions): Promise<Recorder> {
    const entropy = options.entropy ?? systemEntropy;
    const clock = options.clock ?? (() => BigInt(Date.now()) * 1000n);
    let self: Recorder | undefined;
    // The imports need the instance's memory, which exists only after
    // instantiation: they reach it through `self`, bound in the constructor.
    const imports: HostImports = {
      entropy: (ptr, len) => self!.guard(() => entropy(self!.view(ptr, len))),
      clock_us: () => {
        try {
          return BigInt.asIntN(64, clock());
        } catch {
          return 0n;
        }
      },
      storage_open: (rec, seq) => self!.guard(() => options.store.open(self!.view(rec, 16).slice(), seq >>> 0), true),
      storage_append: (ptr, len) => self!.guard(() => options.store.append(self!.view(ptr, len)), true),
      storage_digest: (out) => self!.guard(() => self!.view(out, 32).set(options.store.digest())),
      storage_commit: (ptr, len) => self!.guard(() => self!.committedSegment(options.store.commit(self!.view(ptr, len).slice()))),
      storage_abort: () => {
        self!.aborted++;
        self!.guard(() => options.store.abort());
      },
      event: (kind, a, b) => {
        const e = { kind, name: EVENT_NAMES[kind] ?? `event ${kind}`, a: Number(a), b: Number(b) };
        try {
          self!.onEvent(e);
        } catch {
          // A broken logger must not break the recording.
        }
      },
      audit_write: (ptr, len) => self!.guard(() => self!.audit.append(self!.view(ptr, len).slice())),
      // The pre-event buffer's parked segments: a store without these methods cannot buffer (failure returns).
      storage_park: () => self!.guard(() => need(options.store.park, "park").call(options.store)),
      storage_unpark: (rec, seq, header, len, digest) => self!.guard(() => {
        const sum = need(options.store.unpark, "unpark").call(options.store, self!.view(rec, 16).slice(), seq >>> 0, self!.view(header, len).slice());
        if (sum.length !== 32) throw new SealcamError(`store unpark returned ${sum.length} bytes, not a SHA-256`, EXIT.INTERNAL);
        self!.view(digest, 32).set(sum);
      }),
      storage_commit_parked: (rec, seq, ptr, len) => self!.guard(() => self!.committedSegment(
        need(options.store.commitParked, "commitParked").call(options.store, self!.view(rec, 16).slice(), seq >>> 0, self!.view(ptr, len).slice()),
      )),
      storage_drop: (rec, seq) => self!.guard(() => need(options.store.drop, "drop").call(options.store, self!.view(rec, 16).slice(), seq >>> 0)),
    };
    const instance = await instantiateV8(options.build ?? "release", imports);
    return new Recorder(instance, options, { bind: (r) => (self = r) });
  }

  /**
   * Runs an import's work; any exception becomes a non-zero return, its
   * cause kept: 2 (storage full, docs/ABI.md "Full storage") when `canBeFull`
   * and the store says it is full, else 1.
   */
  private guard(work: () => unknown, canBeFull = false): number {
    try {
      work();
      return 0;
    } catch (e) {
      this.cause = e;
      return canBeFull && isStorageFull(e) ? 2 : 1;
    }
  }

  private committedSegment(segment: CommittedSegment): void {
    this.committed.push(segment);
    // The store has committed it: a failing listener must not turn that into
    // a failed import (the module would log the segment as aborted and chain
    // over a segment that exists).
    try {
      this.onCommit(segment);
    } catch {
      // As for a broken event logger.
    }
  }

  private view(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.instance.memory.buffer, ptr >>> 0, len >>> 0);
  }

  /** Turns a module code into a one-line SealcamError (with the import's cause, if one failed). */
  private check(label: string | (() => string), code: number): void {
    if (code === 0) return;
    const op = typeof label === "string" ? label : label();
    const cause = this.cause;
    this.cause = undefined;
    // Full storage ends the recording inside the module (docs/ABI.md "Full storage").
    if (code === MODULE_ERRORS.ERR_FULL?.code && this.state === "recording") this.state = "stopped";
    const importCodes = [MODULE_ERRORS.ERR_STORAGE?.code, MODULE_ERRORS.ERR_ENTROPY?.code, MODULE_ERRORS.ERR_FULL?.code];
    if (importCodes.includes(code) && cause !== undefined) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const exit = cause instanceof SealcamError ? cause.exitCode : EXIT.SETUP;
      const full = code === MODULE_ERRORS.ERR_FULL?.code ? `${moduleMessage(code)} (${why})` : why;
      throw new SealcamError(`${op}: ${full}`, exit, code);
    }
    const usage = [
      MODULE_ERRORS.ERR_FRAME_ORDER?.code, MODULE_ERRORS.ERR_FRAME_SIZE?.code, MODULE_ERRORS.ERR_TIME?.code, MODULE_ERRORS.ERR_CONFIG?.code,
      MODULE_ERRORS.ERR_UNSIGNED?.code, MODULE_ERRORS.ERR_ROLLBACK?.code, MODULE_ERRORS.ERR_RECEIPT?.code,
    ];
    throw new SealcamError(`${op}: ${moduleMessage(code)}`, usage.includes(code) ? EXIT.USAGE : EXIT.INTERNAL, code);
  }

  /**
   * Sets the camera up: camera_init with the secure block (device seed, the
   * pinned provisioning key), then camera_configure with the signed
   * configuration: the force's (`config.provisioning`) or, for a
   * development camera, one the recorder signs with a one-off provisioning
   * key it then forgets. Returns the device public key (32 bytes). The seed
   * copy in the I/O window is wiped by the module, the rest here; the
   * caller's `deviceSeed` is left to the caller.
   */
  configure(config: CameraConfig): Uint8Array {
    if (this.state === "recording") throw new SealcamError("configure: the camera is recording", EXIT.INTERNAL);
    // The module takes one secure block per instance (docs/ABI.md camera_init).
    if (this.state !== "new") throw new SealcamError("configure: this camera is already set up; create a new recorder for another", EXIT.INTERNAL);
    const { deviceSeed } = config;
    if (deviceSeed.length !== 32) throw new SealcamError(`device seed must be 32 bytes, not ${deviceSeed.length}`, EXIT.USAGE);
    let provisioning = config.provisioning;
    if (!provisioning) provisioning = this.selfProvision(config);
    const secure = this.view(this.io, SECURE_BYTES);
    secure.fill(0);
    secure.set(Buffer.from(SECURE_MAGIC, "latin1"), 0);
    secure.set(deviceSeed, 8);
    secure.set(provisioning.publicKey, 40);
    let code: number;
    try {
      code = this.x.camera_init(this.io, SECURE_BYTES);
    } finally {
      secure.fill(0);
    }
    this.check("configure: secure block", code);
    // The audit log first: the module does nothing it logs before it has one.
    const tail = this.audit.tail();
    if (tail !== undefined && tail.length !== AUDIT_ENTRY_BYTES) throw new SealcamError(`configure: the audit log's last entry is ${tail.length} bytes, not ${AUDIT_ENTRY_BYTES}`, EXIT.SETUP);
    if (tail) this.view(this.io + CONFIG_AT, AUDIT_ENTRY_BYTES).set(tail);
    this.check("configure: audit log", this.x.audit_start(this.io + CONFIG_AT, tail ? AUDIT_ENTRY_BYTES : 0));
    const blob = this.view(this.io + CONFIG_AT, provisioning.config.length);
    blob.set(provisioning.config);
    this.check("configure: signed configuration", this.x.camera_configure(this.io + CONFIG_AT, provisioning.config.length));
    const pk = this.io + SMALL;
    this.x.camera_public_key(pk);
    const publicKey = this.view(pk, 32).slice();
    this.device = Buffer.from(publicKey).toString("hex");
    this.state = "configured";
    return publicKey;
  }

  /** A development camera's provisioning: a one-off key signs the given settings, and is wiped. */
  private selfProvision(config: CameraConfig): { publicKey: Uint8Array; config: Uint8Array } {
    const { deviceSeed, recipients, segmentSeconds } = config;
    const segmentBytes = config.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const max = this.x.MAX_RECIPIENTS?.value ?? 8;
    if (recipients.length < 1 || recipients.length > max) throw new SealcamError(`between 1 and ${max} recipients, not ${recipients.length}`, EXIT.USAGE);
    for (const r of recipients) if (r.length !== 32) throw new SealcamError(`a recipient must be 32 bytes, not ${r.length}`, EXIT.USAGE);
    if (!(Number.isFinite(segmentSeconds) && segmentSeconds >= MIN_SEGMENT_SECONDS)) {
      throw new SealcamError(`segment length must be at least ${MIN_SEGMENT_SECONDS} s, not ${segmentSeconds}`, EXIT.USAGE);
    }
    if (!(Number.isSafeInteger(segmentBytes) && segmentBytes >= MIN_SEGMENT_BYTES)) {
      throw new SealcamError(`segment size must be a whole number of at least ${MIN_SEGMENT_BYTES} bytes, not ${segmentBytes}`, EXIT.USAGE);
    }
    const crypto = new Crypto(this.instance);
    // System randomness, not the camera's entropy source: the key is used
    // once and forgotten, and drawing it from a seeded test source would
    // shift every draw the module makes after it.
    const provisioningSeed = new Uint8Array(randomBytes(32));
    try {
      const provisioningPair = crypto.ed25519Keypair(provisioningSeed);
      const devicePair = crypto.ed25519Keypair(deviceSeed);
      provisioningPair.secretKey.fill(0);
      devicePair.secretKey.fill(0);
      const publicKey = provisioningPair.publicKey;
      const device = devicePair.publicKey;
      const signed = signConfig(crypto, provisioningSeed, {
        device, serial: 1, segmentDurationUs: Math.round(segmentSeconds * 1e6), segmentSizeBytes: segmentBytes, recipients, dock: null,
      });
      return { publicKey, config: signed };
    } finally {
      provisioningSeed.fill(0);
    }
  }

  /**
   * Logs a host-observed event in the camera's audit log (audit_note):
   * `kind` 8 power loss detected, 10 upload, 12 deletion, 13 clock change
   * (docs/ABI.md "The audit log"); `ref` 32 bytes (default zeros). Throws a
   * SealcamError with the module's code on refusal.
   */
  auditNote(kind: number, a: number | bigint, b: number | bigint, ref: Uint8Array = new Uint8Array(32)): void {
    if (ref.length !== 32) throw new SealcamError(`audit note: ref must be 32 bytes, not ${ref.length}`, EXIT.USAGE);
    this.view(this.io + AUDIT_AT, 32).set(ref);
    const code = this.x.audit_note(kind, BigInt.asIntN(64, BigInt(a)), BigInt.asIntN(64, BigInt(b)), this.io + AUDIT_AT);
    this.check(`audit note (${AUDIT_KIND_NAMES[kind] ?? `kind ${kind}`})`, code);
  }

  /** The index the next audit entry will get, and the entry hash of the last one written (zeros: none). */
  auditHead(): { next: number; hash: Uint8Array } {
    const next = BigInt.asUintN(64, BigInt(this.x.audit_head(this.io + AUDIT_AT)));
    return { next: Number(next), hash: this.view(this.io + AUDIT_AT, 32).slice() };
  }

  /**
   * Answers a dock's hello (FORMAT.md "Dock hello", 136 bytes): the module
   * checks it is signed by the configured dock key and returns the device's
   * 64-byte signature (FORMAT.md "Device answer"). Throws a SealcamError
   * with the module's code when it refuses (nothing signed).
   */
  dockAuth(hello: Uint8Array): Uint8Array {
    const max = DOCK_OUT_AT - DOCK_AT;
    if (hello.length > max) throw new SealcamError(`dock hello too long: ${hello.length} bytes`, EXIT.USAGE);
    this.view(this.io + DOCK_AT, hello.length).set(hello);
    const code = this.x.dock_auth(this.io + DOCK_AT, hello.length, this.io + DOCK_OUT_AT);
    // ERR_UNSIGNED's table message speaks of configurations: say what it means here.
    if (code === MODULE_ERRORS.ERR_UNSIGNED?.code) {
      throw new SealcamError("dock authentication: hello not signed by the dock key the camera's configuration pins (or none is configured)", EXIT.USAGE, code);
    }
    this.check("dock authentication", code);
    return this.view(this.io + DOCK_OUT_AT, 64).slice();
  }

  /**
   * Checks a dock's receipt (FORMAT.md "Dock receipt", 216 bytes) for
   * `subject`: the segment's 251-byte manifest blob as committed (kind 1) or
   * the 200-byte audit entry it names (kind 2). Returns only when the module
   * accepted it (and logged it): only then may the segment, or the audit
   * entries up to that one, be deleted. Throws a SealcamError with the
   * module's code (ERR_RECEIPT, ERR_UNSIGNED, ERR_CONFIG, …) otherwise.
   */
  checkReceipt(receipt: Uint8Array, subject: Uint8Array): void {
    const max = DOCK_OUT_AT - DOCK_AT;
    if (receipt.length > max || subject.length > max) throw new SealcamError("receipt or its subject too long", EXIT.USAGE);
    this.view(this.io + DOCK_AT, receipt.length).set(receipt);
    this.view(this.io + DOCK_OUT_AT, subject.length).set(subject);
    const code = this.x.receipt_check(this.io + DOCK_AT, receipt.length, this.io + DOCK_OUT_AT, subject.length);
    if (code === MODULE_ERRORS.ERR_UNSIGNED?.code) {
      throw new SealcamError("receipt: not signed by the dock key the camera's configuration pins (or none is configured), or its subject not signed by this camera", EXIT.USAGE, code);
    }
    this.check("receipt", code);
  }

  /** The device public key (32 bytes; zeros before configure). */
  get devicePublicKey(): Uint8Array {
    const out = this.io + SMALL;
    this.x.camera_public_key(out);
    return this.view(out, 32).slice();
  }

  /** Starts a recording; returns its 16-byte id. */
  start(): Uint8Array {
    return this.begin("start", () => this.x.recording_start());
  }

  /**
   * Starts a recording in pre-event mode (docs/ABI.md "Pre-event buffer",
   * recording_buffer): its segments stay parked, their keys in the module
   * only, until trigger(); older ones expire. Needs a configuration with a
   * pre-event duration. Returns the 16-byte recording id.
   */
  buffer(): Uint8Array {
    return this.begin("buffer", () => this.x.recording_buffer());
  }

  /**
   * The officer's trigger (recording_trigger): the buffered segments still
   * inside the pre-event window become evidence, and the recording goes on
   * as an ordinary one. An entropy failure changes nothing (call again).
   */
  trigger(): void {
    if (this.state !== "recording") throw new SealcamError("trigger: not recording", EXIT.INTERNAL);
    this.check("trigger", this.x.recording_trigger());
  }

  /** start() and buffer(): the module call, then the recorder's own state. */
  private begin(label: string, call: () => number): Uint8Array {
    if (this.state === "new") throw new SealcamError(`${label}: the camera is not configured`, EXIT.INTERNAL);
    this.check(label, call());
    this.state = "recording";
    this.committed = [];
    this.aborted = 0;
    this.frameBytes = 0;
    this.startedAt = performance.now();
    return this.recordingId();
  }

  /** The current (or last) recording id, 16 bytes. */
  recordingId(): Uint8Array {
    const out = this.io + SMALL + 64;
    this.x.recording_id(out);
    return this.view(out, 16).slice();
  }

  /** Frame number the next frame will get. */
  framesRecorded(): number {
    return Number(this.x.frames_recorded());
  }

  /**
   * Records one access unit: frame_begin, frame_data per 64 KiB piece,
   * frame_end. A module error becomes a one-line SealcamError naming the
   * frame number (a failed frame takes no number; the label is only built
   * on failure, off the per-frame path).
   */
  frame(au: Frame): void {
    if (this.state !== "recording") throw new SealcamError("frame: not recording", EXIT.INTERNAL);
    const op = () => `frame ${this.framesRecorded()}`;
    if (!Number.isSafeInteger(au.timeUs) || au.timeUs < 0) throw new SealcamError(`${op()}: capture time ${au.timeUs} is not a whole number of µs`, EXIT.USAGE);
    const bytes = au.bytes;
    this.check(op, this.x.frame_begin(BigInt(au.timeUs), bytes.length, au.keyframe ? 1 : 0));
    const window = this.view(this.io, FRAME_PIECE_BYTES);
    for (let at = 0; at < bytes.length; at += FRAME_PIECE_BYTES) {
      const piece = bytes.subarray(at, Math.min(at + FRAME_PIECE_BYTES, bytes.length));
      window.set(piece);
      this.check(op, this.x.frame_data(this.io, piece.length));
    }
    this.check(op, this.x.frame_end());
    this.frameBytes += bytes.length;
  }

  /** Stops the recording: the open segment is closed as final and committed. */
  stop(): RecordingSummary {
    if (this.state !== "recording") throw new SealcamError("stop: not recording", EXIT.INTERNAL);
    this.state = "stopped";
    this.check("stop", this.x.recording_stop());
    return this.summary();
  }

  /** What has been recorded so far in the current (or last) recording. */
  summary(): RecordingSummary {
    return {
      recording: Buffer.from(this.recordingId()).toString("hex"),
      device: this.device,
      frames: this.framesRecorded(),
      frameBytes: this.frameBytes,
      segments: [...this.committed],
      ageBytes: this.committed.reduce((n, s) => n + s.manifest.age_bytes, 0),
      aborted: this.aborted,
      seconds: (performance.now() - this.startedAt) / 1000,
    };
  }

  /**
   * After a failure: ends the recording if one is running (closing the open
   * segment as final, so the frames recorded so far stay evidence), and if
   * the module could not close it, discards it in the store so no partial
   * file remains. Never throws.
   */
  close(): void {
    if (this.state === "recording") {
      this.state = "stopped";
      try {
        this.x.recording_stop();
      } catch {
        // A trap: the store is cleaned below.
      }
    }
    if (this.store.isOpen) this.store.abort();
  }
}
