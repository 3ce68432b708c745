// The signed camera configuration (docs/FORMAT.md, "Camera configuration";
// docs/ABI.md, "Signed configuration"): what a camera records to and how,
// signed by the force's provisioning key. The `.sealcfg` file holds exactly
// the bytes `camera_configure` takes:
//
//   offset  size  field
//        0     8  magic "SCAMCFG2"
//        8    32  device public key (Ed25519) of the camera it is for
//       40     8  serial, u64 LE, at least 1
//       48     8  segment duration limit, µs, u64 LE, at least 1 000 000
//       56     8  segment size limit, plaintext bytes, u64 LE, at least 65 536
//       64     4  recipient count n, u32 LE, 1 to 8
//       68     4  reserved, zero
//       72    32  dock public key (Ed25519; zeros: no dock)
//      104     8  pre-event duration, µs, u64 LE: 0 (none) or 1 000 000 to 600 000 000
//      112    16  reserved, zero
//      128  32·n  X25519 recipients, in stanza order
// 128+32·n    64  Ed25519 signature over "sealcam/v1/camera-config" ‖ body
//
// Building and parsing are strict and pure; what needs the module's
// arithmetic (low-order recipients, Ed25519 points) is checkConfigKeys,
// which signConfig runs, so the force never signs what a camera refuses.
// Every refusal is a one-line SealcamError with EXIT.USAGE.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { SealcamError, EXIT, MODULE_ERRORS } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";
import { formatRecipient, formatDevicePublicKey, formatDockPublicKey, deviceFingerprint } from "../keys/index.ts";

/** Domain-separation string of the provisioning key's signature (24 ASCII bytes). */
export const CONFIG_DOMAIN = "sealcam/v1/camera-config";
export const CONFIG_MAGIC = "SCAMCFG2";
/** The body before the recipients; the body is this + 32 per recipient. */
export const CONFIG_HEADER_BYTES = 128;
export const CONFIG_RECIPIENT_BYTES = 32;
export const CONFIG_SIGNATURE_BYTES = 64;
export const CONFIG_MAX_RECIPIENTS = 8;
/** Smallest and largest configuration file: 192 + 32·n bytes, n from 1 to 8. */
export const CONFIG_BYTES_MIN = CONFIG_HEADER_BYTES + CONFIG_RECIPIENT_BYTES + CONFIG_SIGNATURE_BYTES;
export const CONFIG_BYTES_MAX = CONFIG_HEADER_BYTES + CONFIG_MAX_RECIPIENTS * CONFIG_RECIPIENT_BYTES + CONFIG_SIGNATURE_BYTES;
/** The limits' minimums (the module refuses anything below). */
export const MIN_SEGMENT_DURATION_US = 1_000_000n;
export const MIN_SEGMENT_SIZE_BYTES = 65_536n;
/** The pre-event buffer's range when set (0 = none; ABI.md "Pre-event buffer"). */
export const MIN_PRE_EVENT_US = 1_000_000n;
export const MAX_PRE_EVENT_US = 600_000_000n;
/** Width of the labels in describeConfig's lines (the CLI aligns its own to it). */
export const LABEL_WIDTH = 14;

const U64_MAX = (1n << 64n) - 1n;
const KEY_BYTES = 32;

// Offsets in the body (the table above).
const MAGIC = 0, DEVICE = 8, SERIAL = 40, DURATION = 48, SIZE = 56, COUNT = 64, RESERVED_A = 68, DOCK = 72, PRE_EVENT = 104, RESERVED_B = 112;

/** What a configuration sets. Integers may be numbers (safe integers) or bigints. */
export interface CameraSettings {
  /** The camera's device public key (Ed25519), 32 bytes. */
  device: Uint8Array;
  /** At least 1; a camera takes only a serial above the one in force. */
  serial: bigint | number;
  /** Cut a segment at the first keyframe this many µs after its first frame (at least 1 000 000). */
  segmentDurationUs: bigint | number;
  /** …or once it holds this many plaintext bytes (at least 65 536). */
  segmentSizeBytes: bigint | number;
  /** The force's X25519 recipients (decoded `age1…`), 32 bytes each, 1 to 8, in stanza order. */
  recipients: Uint8Array[];
  /** The dock's Ed25519 public key, 32 bytes; null (written as zeros) for none. */
  dock: Uint8Array | null;
  /**
   * Pre-event buffer, µs: how much footage before a trigger becomes evidence
   * (0 or absent: none; else 1 000 000 to 600 000 000).
   */
  preEventUs?: bigint | number;
}

/** A configuration read back: its settings (integers as bigints), signature and signed body. */
export type ParsedConfig = CameraSettings & {
  serial: bigint;
  segmentDurationUs: bigint;
  segmentSizeBytes: bigint;
  preEventUs: bigint;
  signature: Uint8Array;
  body: Uint8Array;
};

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

function malformed(message: string): SealcamError {
  return usage(`camera configuration: ${message}`);
}

function u64(value: bigint | number, name: string, min: bigint): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw usage(`${name} must be a whole number, not ${value}`);
  const v = BigInt(value);
  if (v < min || v > U64_MAX) throw usage(`${name} must be from ${min} to ${U64_MAX}, not ${v}`);
  return v;
}

function key32(bytes: Uint8Array, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_BYTES) throw usage(`${what} must hold ${KEY_BYTES} bytes, not ${bytes?.length}`);
  return bytes;
}

const isZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

/**
 * True when `u` is a canonical X25519 u-coordinate: bit 255 clear and
 * u < 2^255 − 19 (ABI.md, "Signed configuration"). age salts its wrap key
 * with the recipient's bytes as written, and the identity derives the
 * canonical ones, so a non-canonical recipient could never decrypt.
 */
export function isCanonicalRecipient(u: Uint8Array): boolean {
  if (u.length !== KEY_BYTES) return false;
  const top = u[31];
  if (top & 0x80) return false;
  if (top !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (u[i] !== 0xff) return true;
  return u[0] < 0xed;
}

/**
 * The configuration body (128 + 32·n bytes) for `s`. Refuses (EXIT.USAGE,
 * one line): keys that are not 32 bytes, serial 0, limits below the
 * minimums or above 2^64 − 1, a recipient count outside 1 to 8, and
 * non-canonical recipient encodings. An all-zero dock key means none.
 */
export function configBody(s: CameraSettings): Uint8Array {
  const device = key32(s.device, "the device public key");
  const serial = u64(s.serial, "the serial", 1n);
  const duration = u64(s.segmentDurationUs, "the segment duration limit (µs)", MIN_SEGMENT_DURATION_US);
  const size = u64(s.segmentSizeBytes, "the segment size limit (bytes)", MIN_SEGMENT_SIZE_BYTES);
  const recipients = s.recipients ?? [];
  if (recipients.length < 1 || recipients.length > CONFIG_MAX_RECIPIENTS) {
    throw usage(`a configuration names 1 to ${CONFIG_MAX_RECIPIENTS} recipients, not ${recipients.length}`);
  }
  recipients.forEach((r, i) => {
    key32(r, `recipient ${i + 1}`);
    if (!isCanonicalRecipient(r)) throw usage(`recipient ${i + 1} is not a canonical X25519 key (bit 255 set or u ≥ 2^255 − 19); a camera refuses it`);
  });
  const dock = s.dock === null || s.dock === undefined ? null : key32(s.dock, "the dock public key");
  const preEvent = u64(s.preEventUs ?? 0, "the pre-event duration (µs)", 0n);
  if (preEvent !== 0n && (preEvent < MIN_PRE_EVENT_US || preEvent > MAX_PRE_EVENT_US)) {
    throw usage(`the pre-event duration must be 0 (none) or from ${MIN_PRE_EVENT_US} to ${MAX_PRE_EVENT_US} µs, not ${preEvent}`);
  }

  const body = new Uint8Array(CONFIG_HEADER_BYTES + recipients.length * CONFIG_RECIPIENT_BYTES);
  const view = new DataView(body.buffer);
  body.set(Buffer.from(CONFIG_MAGIC, "latin1"), MAGIC);
  body.set(device, DEVICE);
  view.setBigUint64(SERIAL, serial, true);
  view.setBigUint64(DURATION, duration, true);
  view.setBigUint64(SIZE, size, true);
  view.setUint32(COUNT, recipients.length, true);
  if (dock) body.set(dock, DOCK);
  view.setBigUint64(PRE_EVENT, preEvent, true);
  recipients.forEach((r, i) => body.set(r, CONFIG_HEADER_BYTES + i * CONFIG_RECIPIENT_BYTES));
  return body;
}

/** The signed message: the domain string ‖ `body`. */
export function configMessage(body: Uint8Array): Uint8Array {
  const msg = new Uint8Array(CONFIG_DOMAIN.length + body.length);
  msg.set(Buffer.from(CONFIG_DOMAIN, "latin1"), 0);
  msg.set(body, CONFIG_DOMAIN.length);
  return msg;
}

// X25519 scalar 0 clamps to 2^254, a multiple of 8: any point of order 1, 2,
// 4 or 8 (on the curve or its twist) maps to zero, as in the module's probe.
const PROBE_SCALAR = new Uint8Array(32);

/**
 * Why `key` is not an Ed25519 public key the strict rules accept (a
 * canonical point of large order), or undefined when it is. Uses the
 * module's strict verifier with R = the base point and S = 0: both pass
 * their own checks, so a point refusal can only be about `key`.
 */
export function ed25519PublicKeyProblem(crypto: Crypto, key: Uint8Array): string | undefined {
  const code = crypto.ed25519CheckPublic(key32(key, "an Ed25519 public key"));
  if (code === MODULE_ERRORS.ERR_BAD_POINT.code) return "not a canonical Ed25519 point encoding";
  if (code === MODULE_ERRORS.ERR_SMALL_ORDER.code) return "an Ed25519 point of small order";
  return undefined;
}

/**
 * Checks what takes the module's arithmetic, as a camera does: no recipient
 * is a low-order point; the device key and the dock key (when set) are
 * canonical Ed25519 points of large order. Throws EXIT.USAGE (one line).
 */
export function checkConfigKeys(crypto: Crypto, s: CameraSettings): void {
  s.recipients.forEach((r, i) => {
    if (crypto.x25519(PROBE_SCALAR, key32(r, `recipient ${i + 1}`)).code !== 0) {
      throw usage(`recipient ${i + 1} (${formatRecipient(r)}) is a low-order point: nothing could decrypt for it, and a camera refuses it`);
    }
  });
  const device = ed25519PublicKeyProblem(crypto, s.device);
  if (device) throw usage(`the device public key is ${device}; no camera has it`);
  if (s.dock && !isZero(s.dock)) {
    const dock = ed25519PublicKeyProblem(crypto, s.dock);
    if (dock) throw usage(`the dock public key is ${dock}; a camera refuses it`);
  }
}

/**
 * The configuration file's bytes: body ‖ Ed25519 signature by the
 * provisioning key (seed `provisioningSeed`, 32 bytes) over
 * CONFIG_DOMAIN ‖ body. Validates as configBody and checkConfigKeys do, and
 * checks the new signature before returning it. The 64-byte secret key it
 * derives is wiped; the seed is the caller's to wipe.
 */
export function signConfig(crypto: Crypto, provisioningSeed: Uint8Array, s: CameraSettings): Uint8Array {
  const body = configBody(s);
  checkConfigKeys(crypto, s);
  if (provisioningSeed.length !== 32) throw usage(`a provisioning key seed must hold 32 bytes, not ${provisioningSeed.length}`);
  const msg = configMessage(body);
  const { publicKey, secretKey } = crypto.ed25519Keypair(provisioningSeed);
  let signature: Uint8Array;
  try {
    signature = crypto.ed25519Sign(secretKey, msg);
  } finally {
    secretKey.fill(0);
  }
  const code = crypto.ed25519Verify(publicKey, msg, signature);
  if (code !== 0) throw new SealcamError(`the new configuration's signature does not verify (module code ${code})`, EXIT.INTERNAL);
  const blob = new Uint8Array(body.length + CONFIG_SIGNATURE_BYTES);
  blob.set(body, 0);
  blob.set(signature, body.length);
  return blob;
}

/**
 * Decodes a configuration file's bytes, strictly: length 192 + 32·n with
 * n from 1 to 8 and equal to the count field, the magic, reserved bytes
 * zero, serial at least 1, limits at least their minimums, canonical
 * recipient encodings. Does not check the signature (verifyConfig does).
 * Errors are one line starting `camera configuration: `.
 */
export function parseConfig(blob: Uint8Array): ParsedConfig {
  const len = blob.length;
  if (len < CONFIG_BYTES_MIN || len > CONFIG_BYTES_MAX || (len - CONFIG_BYTES_MIN) % CONFIG_RECIPIENT_BYTES !== 0) {
    throw malformed(`${len} bytes; a configuration is 192 + 32·n bytes for 1 to 8 recipients (${CONFIG_BYTES_MIN} to ${CONFIG_BYTES_MAX}, a multiple of 32)`);
  }
  const magic = Buffer.from(blob.subarray(MAGIC, MAGIC + 8)).toString("latin1");
  if (magic !== CONFIG_MAGIC) {
    if (magic === "SCAMCFG1") throw malformed("an unsigned configuration block of an earlier sealcam (SCAMCFG1), not a signed configuration");
    throw malformed(`bad magic (expected ${CONFIG_MAGIC}); not a sealcam camera configuration`);
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const count = view.getUint32(COUNT, true);
  const room = (len - CONFIG_HEADER_BYTES - CONFIG_SIGNATURE_BYTES) / CONFIG_RECIPIENT_BYTES;
  if (count < 1 || count > CONFIG_MAX_RECIPIENTS) throw malformed(`recipient count ${count} is not from 1 to ${CONFIG_MAX_RECIPIENTS}`);
  if (count !== room) throw malformed(`says ${count} recipient${count === 1 ? "" : "s"} but its length holds ${room} (truncated, extended or damaged)`);
  for (const [from, to] of [[RESERVED_A, DOCK], [RESERVED_B, CONFIG_HEADER_BYTES]]) {
    for (let i = from; i < to; i++) if (blob[i] !== 0) throw malformed(`reserved byte at offset ${i} is not zero`);
  }
  const serial = view.getBigUint64(SERIAL, true);
  if (serial < 1n) throw malformed("serial 0 (serials start at 1)");
  const duration = view.getBigUint64(DURATION, true);
  if (duration < MIN_SEGMENT_DURATION_US) throw malformed(`segment duration limit ${duration} µs is below ${MIN_SEGMENT_DURATION_US}`);
  const size = view.getBigUint64(SIZE, true);
  if (size < MIN_SEGMENT_SIZE_BYTES) throw malformed(`segment size limit ${size} bytes is below ${MIN_SEGMENT_SIZE_BYTES}`);
  const preEventUs = view.getBigUint64(PRE_EVENT, true);
  if (preEventUs !== 0n && (preEventUs < MIN_PRE_EVENT_US || preEventUs > MAX_PRE_EVENT_US)) {
    throw malformed(`pre-event duration ${preEventUs} µs is neither 0 nor from ${MIN_PRE_EVENT_US} to ${MAX_PRE_EVENT_US}`);
  }
  const recipients: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = CONFIG_HEADER_BYTES + i * CONFIG_RECIPIENT_BYTES;
    const r = blob.slice(at, at + CONFIG_RECIPIENT_BYTES);
    if (!isCanonicalRecipient(r)) throw malformed(`recipient ${i + 1} is not a canonical X25519 key (bit 255 set or u ≥ 2^255 − 19)`);
    recipients.push(r);
  }
  const dock = blob.slice(DOCK, DOCK + KEY_BYTES);
  const bodyBytes = len - CONFIG_SIGNATURE_BYTES;
  return {
    device: blob.slice(DEVICE, DEVICE + KEY_BYTES),
    serial,
    segmentDurationUs: duration,
    segmentSizeBytes: size,
    preEventUs,
    recipients,
    dock: isZero(dock) ? null : dock,
    signature: blob.slice(bodyBytes),
    body: blob.slice(0, bodyBytes),
  };
}

/**
 * True when `blob` (a well-formed configuration: parseConfig, which throws
 * otherwise) carries a valid signature under the provisioning public key
 * `provisioningPublic` by the module's strict rules, as a camera checks it.
 */
export function verifyConfig(crypto: Crypto, blob: Uint8Array, provisioningPublic: Uint8Array): boolean {
  const c = parseConfig(blob);
  key32(provisioningPublic, "the provisioning public key");
  return crypto.ed25519Verify(provisioningPublic, configMessage(c.body), c.signature) === 0;
}

const FS_REASONS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "a parent is not a directory",
};

/**
 * A configuration file's bytes (not yet parsed). Refuses (EXIT.USAGE, one
 * line naming `path`) a missing or unreadable file, something not a regular
 * file, and any size but 192 + 32·n for n from 1 to 8 (a larger file is
 * never read into memory).
 */
export function readConfigFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw usage(`${path}: ${FS_REASONS[code] ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw usage(`${path}: ${st.isDirectory() ? "is a directory" : "not a regular file"}`);
    const size = st.size;
    if (size < CONFIG_BYTES_MIN || size > CONFIG_BYTES_MAX || (size - CONFIG_BYTES_MIN) % CONFIG_RECIPIENT_BYTES !== 0) {
      throw usage(`${path}: ${size} bytes, not a camera configuration (192 + 32·n bytes: ${CONFIG_BYTES_MIN} to ${CONFIG_BYTES_MAX}, a multiple of 32)`);
    }
    // One byte of room beyond the largest size notices a file that grew after fstat.
    const bytes = new Uint8Array(CONFIG_BYTES_MAX + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, bytes, got, bytes.length - got, null);
      if (n === 0) break;
      got += n;
      if (got === bytes.length) break;
    }
    if (got !== size) throw usage(`${path}: changed while being read (${size} bytes, then ${got})`);
    return bytes.slice(0, got);
  } catch (e) {
    if (e instanceof SealcamError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw usage(`${path}: ${FS_REASONS[code] ?? (e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Whole µs as seconds, without trailing zeros: 4000000 → "4", 1500000 → "1.5". */
function seconds(us: bigint): string {
  const whole = us / 1_000_000n;
  const frac = (us % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}

function bytesText(n: bigint): string {
  const mib = 1n << 20n;
  return n % mib === 0n ? `${n} bytes (${n / mib} MiB)` : `${n} bytes`;
}

/**
 * The settings as lines for people (`sealcam provision show`): serial,
 * device key and fingerprint, segment limits, every recipient as `age1…`,
 * the dock key and fingerprint (or none). Labels are padded to one width.
 */
export function describeConfig(s: CameraSettings): string[] {
  const rows: [string, string][] = [
    ["serial", String(BigInt(s.serial))],
    ["device", `${formatDevicePublicKey(s.device)} (fingerprint ${deviceFingerprint(s.device)})`],
    ["segments", `cut at the first keyframe after ${seconds(BigInt(s.segmentDurationUs))} s, or once ${bytesText(BigInt(s.segmentSizeBytes))} of plaintext`],
    ["pre-event", BigInt(s.preEventUs ?? 0) === 0n ? "none" : `keep the last ${seconds(BigInt(s.preEventUs ?? 0))} s before a trigger`],
    ["recipients", String(s.recipients.length)],
    ...s.recipients.map((r, i): [string, string] => [`recipient ${i + 1}`, formatRecipient(r)]),
    ["dock", s.dock && !isZero(s.dock) ? `${formatDockPublicKey(s.dock)} (fingerprint ${deviceFingerprint(s.dock)})` : "none"],
  ];
  return rows.map(([label, value]) => `${label.padEnd(LABEL_WIDTH)} ${value}`);
}
