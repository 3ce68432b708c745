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
import type { SegmentSink, CommittedSegment } from "../store/segments.ts";
import { systemEntropy } from "./entropy.ts";
import { randomBytes } from "node:crypto";
import { Crypto } from "../engine/crypto.ts";
import { signConfig } from "./config.ts";

const KIB = 1024;
/** Frames go into the I/O window at most this much at a time (the window's first data area). */
export const FRAME_PIECE_BYTES = 64 * KIB;
// Small outputs (public key, recording id) go after the two data areas.
const SMALL = 2 * 64 * KIB;

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
    default: return `event ${e.kind} (${e.a}, ${e.b})`;
  }
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
      storage_open: (rec, seq) => self!.guard(() => options.store.open(self!.view(rec, 16).slice(), seq >>> 0)),
      storage_append: (ptr, len) => self!.guard(() => options.store.append(self!.view(ptr, len))),
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
    };
    const instance = await instantiateV8(options.build ?? "release", imports);
    return new Recorder(instance, options, { bind: (r) => (self = r) });
  }

  /** Runs an import's work; any exception becomes a non-zero return, its cause kept. */
  private guard(work: () => unknown): number {
    try {
      work();
      return 0;
    } catch (e) {
      this.cause = e;
      return 1;
    }
  }

  private committedSegment(segment: CommittedSegment): void {
    this.committed.push(segment);
    this.onCommit(segment);
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
    if ((code === MODULE_ERRORS.ERR_STORAGE?.code || code === MODULE_ERRORS.ERR_ENTROPY?.code) && cause !== undefined) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const exit = cause instanceof SealcamError ? cause.exitCode : EXIT.SETUP;
      throw new SealcamError(`${op}: ${why}`, exit, code);
    }
    const usage = [
      MODULE_ERRORS.ERR_FRAME_ORDER?.code, MODULE_ERRORS.ERR_FRAME_SIZE?.code, MODULE_ERRORS.ERR_TIME?.code, MODULE_ERRORS.ERR_CONFIG?.code,
      MODULE_ERRORS.ERR_UNSIGNED?.code, MODULE_ERRORS.ERR_ROLLBACK?.code,
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

  /** Starts a recording; returns its 16-byte id. */
  start(): Uint8Array {
    if (this.state === "new") throw new SealcamError("start: the camera is not configured", EXIT.INTERNAL);
    this.check("start", this.x.recording_start());
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
