// The segment manifest (docs/FORMAT.md, "The segment manifest"): the module
// hands the host 251 bytes, the signed message (187) ‖ the Ed25519 signature
// (64); the store writes them as `.manifest.json`. This file converts between
// the two forms and validates both, so the camera's store, the dock and the
// custody tools read and write manifests one way.
//
// The signature is over the binary message rebuilt from the members, never
// over JSON text, so no JSON canonicalisation is involved. Nothing here checks
// the signature itself: verification (with the strict rules of DESIGN.md)
// belongs to whoever holds the device's enrolled public key.
import { createHash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";

export const MANIFEST_FORMAT = "sealcam-manifest/1";
/** Domain-separation string that starts the signed message (27 ASCII bytes). */
export const MANIFEST_DOMAIN = "sealcam/v1/segment-manifest";
export const MANIFEST_MESSAGE_BYTES = 187;
export const MANIFEST_SIGNATURE_BYTES = 64;
/** What `storage_commit` receives: message ‖ signature. */
export const MANIFEST_BLOB_BYTES = MANIFEST_MESSAGE_BYTES + MANIFEST_SIGNATURE_BYTES;

/** A segment manifest: the JSON object's members, in FORMAT.md's order. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** Device Ed25519 public key, 64 lowercase hex. */
  device: string;
  /** Recording id, 32 lowercase hex. */
  recording: string;
  sequence: number;
  final: boolean;
  first_frame: number;
  frame_count: number;
  first_time_us: number;
  last_time_us: number;
  age_bytes: number;
  /** SHA-256 of the `.age` file, 64 lowercase hex. */
  age_sha256: string;
  /**
   * The recording's evidence begins here: earlier segments were pre-event
   * buffer that expired on the camera, never evidence (flag bit 1).
   */
  pre_event_start: boolean;
  /**
   * Manifest hash of the previous committed segment (64 zeros until the
   * recording's first committed segment, and on a `pre_event_start` one).
   */
  previous_manifest: string;
  /** Ed25519 signature of the signed message, 128 lowercase hex. */
  signature: string;
}

// Offsets in the signed message (FORMAT.md's table).
const DEVICE = 27, RECORDING = 59, SEQUENCE = 75, FLAGS = 79, FIRST_FRAME = 83, FRAME_COUNT = 91;
const FIRST_TIME = 99, LAST_TIME = 107, AGE_BYTES = 115, AGE_SHA256 = 123, PREVIOUS = 155;
const FLAG_FINAL = 1, FLAG_PRE_EVENT_START = 2;

/** Member name → JSON kind and, for hex strings, the number of bytes. */
const MEMBERS: ReadonlyArray<[keyof Manifest, "format" | "hex" | "u32" | "u53" | "boolean", number?]> = [
  ["format", "format"],
  ["device", "hex", 32],
  ["recording", "hex", 16],
  ["sequence", "u32"],
  ["final", "boolean"],
  ["first_frame", "u53"],
  ["frame_count", "u53"],
  ["first_time_us", "u53"],
  ["last_time_us", "u53"],
  ["age_bytes", "u53"],
  ["age_sha256", "hex", 32],
  ["pre_event_start", "boolean"],
  ["previous_manifest", "hex", 32],
  ["signature", "hex", 64],
];

function bad(message: string): SealcamError {
  return new SealcamError(`manifest: ${message}`, EXIT.USAGE);
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

function unhex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

function u64(view: DataView, at: number, name: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${name} ${v} is not below 2^53`);
  return Number(v);
}

/**
 * Decodes the module's 251-byte blob (signed message ‖ signature) into a
 * manifest. Checks the length, the domain string and the flag bits (only
 * bits 0, final, and 1, pre-event start, may be set) and that every 64-bit
 * field is below 2^53.
 */
export function manifestFromBlob(blob: Uint8Array): Manifest {
  if (blob.length !== MANIFEST_BLOB_BYTES) throw bad(`blob is ${blob.length} bytes, not ${MANIFEST_BLOB_BYTES}`);
  const domain = Buffer.from(blob.subarray(0, DEVICE)).toString("latin1");
  if (domain !== MANIFEST_DOMAIN) throw bad("signed message does not start with the manifest domain string");
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const flags = view.getUint32(FLAGS, true);
  if (flags & ~(FLAG_FINAL | FLAG_PRE_EVENT_START)) throw bad(`unknown flag bits ${flags.toString(16)}`);
  return {
    format: MANIFEST_FORMAT,
    device: hex(blob.subarray(DEVICE, RECORDING)),
    recording: hex(blob.subarray(RECORDING, SEQUENCE)),
    sequence: view.getUint32(SEQUENCE, true),
    final: (flags & FLAG_FINAL) !== 0,
    first_frame: u64(view, FIRST_FRAME, "first_frame"),
    frame_count: u64(view, FRAME_COUNT, "frame_count"),
    first_time_us: u64(view, FIRST_TIME, "first_time_us"),
    last_time_us: u64(view, LAST_TIME, "last_time_us"),
    age_bytes: u64(view, AGE_BYTES, "age_bytes"),
    age_sha256: hex(blob.subarray(AGE_SHA256, PREVIOUS)),
    pre_event_start: (flags & FLAG_PRE_EVENT_START) !== 0,
    previous_manifest: hex(blob.subarray(PREVIOUS, MANIFEST_MESSAGE_BYTES)),
    signature: hex(blob.subarray(MANIFEST_MESSAGE_BYTES)),
  };
}

/** The 187-byte signed message rebuilt from a (valid) manifest's members. */
export function manifestMessage(m: Manifest): Uint8Array {
  const msg = new Uint8Array(MANIFEST_MESSAGE_BYTES);
  const view = new DataView(msg.buffer);
  msg.set(Buffer.from(MANIFEST_DOMAIN, "latin1"), 0);
  msg.set(unhex(m.device), DEVICE);
  msg.set(unhex(m.recording), RECORDING);
  view.setUint32(SEQUENCE, m.sequence, true);
  view.setUint32(FLAGS, (m.final ? FLAG_FINAL : 0) | (m.pre_event_start ? FLAG_PRE_EVENT_START : 0), true);
  view.setBigUint64(FIRST_FRAME, BigInt(m.first_frame), true);
  view.setBigUint64(FRAME_COUNT, BigInt(m.frame_count), true);
  view.setBigUint64(FIRST_TIME, BigInt(m.first_time_us), true);
  view.setBigUint64(LAST_TIME, BigInt(m.last_time_us), true);
  view.setBigUint64(AGE_BYTES, BigInt(m.age_bytes), true);
  msg.set(unhex(m.age_sha256), AGE_SHA256);
  msg.set(unhex(m.previous_manifest), PREVIOUS);
  return msg;
}

/** The 64-byte signature of a (valid) manifest. */
export function manifestSignature(m: Manifest): Uint8Array {
  return unhex(m.signature);
}

/** The 251-byte blob (message ‖ signature), as the module produced it. */
export function manifestBlob(m: Manifest): Uint8Array {
  const blob = new Uint8Array(MANIFEST_BLOB_BYTES);
  blob.set(manifestMessage(m), 0);
  blob.set(manifestSignature(m), MANIFEST_MESSAGE_BYTES);
  return blob;
}

/** Manifest hash = SHA-256 of the signed message: what the next segment's `previous_manifest` names. */
export function manifestHash(m: Manifest): Uint8Array {
  return new Uint8Array(createHash("sha256").update(manifestMessage(m)).digest());
}

/** The `.manifest.json` text: members in FORMAT.md's order, two-space indent, final newline. */
export function manifestJson(m: Manifest): string {
  const ordered: Record<string, unknown> = {};
  for (const [name] of MEMBERS) ordered[name] = m[name];
  return JSON.stringify(ordered, null, 2) + "\n";
}

/**
 * Validates a parsed JSON value as a manifest: an object with exactly
 * FORMAT.md's members (none missing, none extra), each of its JSON type;
 * hex strings lowercase and of their exact length; integers whole, not
 * negative and below 2^53 (`sequence` below 2^32). Throws a one-line
 * SealcamError naming the first member that is wrong.
 */
export function validateManifest(value: unknown): Manifest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("not a JSON object");
  const obj = value as Record<string, unknown>;
  const known = new Set(MEMBERS.map(([name]) => name as string));
  for (const name of Object.keys(obj)) if (!known.has(name)) throw bad(`unknown member '${name}'`);
  for (const [name, kind, bytes] of MEMBERS) {
    if (!(name in obj)) throw bad(`member '${name}' is missing`);
    const v = obj[name];
    switch (kind) {
      case "format":
        if (v !== MANIFEST_FORMAT) throw bad(`format must be '${MANIFEST_FORMAT}'`);
        break;
      case "hex":
        if (typeof v !== "string" || v.length !== 2 * bytes! || !/^[0-9a-f]*$/.test(v)) {
          throw bad(`${name} must be ${2 * bytes!} lowercase hex digits`);
        }
        break;
      case "boolean":
        if (typeof v !== "boolean") throw bad(`${name} must be true or false`);
        break;
      case "u32":
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw bad(`${name} must be a whole number below 2^32`);
        break;
      case "u53":
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(`${name} must be a whole number below 2^53`);
        break;
    }
  }
  return obj as unknown as Manifest;
}

/**
 * Parses `.manifest.json` text strictly and validates it (validateManifest).
 * Beyond JSON.parse, FORMAT.md requires: each member once (a duplicate is an
 * error, where JSON.parse would keep the last silently), and integers written
 * as plain decimal numbers (no sign, fraction or exponent). The manifest is a
 * flat object, so a small tokenizer for one object of strings, numbers and
 * booleans is all that is needed.
 */
export function parseManifest(text: string): Manifest {
  const members = new Map<string, unknown>();
  let at = 0;
  const ws = () => {
    while (at < text.length && " \t\n\r".includes(text[at])) at++;
  };
  const expect = (c: string, what: string) => {
    ws();
    if (text[at] !== c) throw bad(`not JSON: expected ${what} at character ${at}`);
    at++;
  };
  const token = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    at += m[0].length;
    return m[0];
  };
  const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
  const LITERAL = /true|false|null/y;

  ws();
  if (text[at] !== "{") throw bad("not a JSON object");
  at++;
  ws();
  if (text[at] === "}") at++;
  else {
    for (;;) {
      ws();
      const keyToken = token(STRING);
      if (keyToken === undefined) throw bad(`not JSON: expected a member name at character ${at}`);
      const key = JSON.parse(keyToken) as string;
      if (members.has(key)) throw bad(`member '${key}' appears twice`);
      expect(":", "':'");
      ws();
      let value: unknown;
      let t: string | undefined;
      if ((t = token(STRING)) !== undefined) value = JSON.parse(t);
      else if ((t = token(NUMBER)) !== undefined) {
        if (/[-.eE]/.test(t)) throw bad(`${key} must be a plain decimal whole number (no sign, fraction or exponent), not ${t}`);
        value = Number(t);
      } else if ((t = token(LITERAL)) !== undefined) value = JSON.parse(t);
      else if (text[at] === "{" || text[at] === "[") throw bad(`${key} must not be an object or array`);
      else throw bad(`not JSON: expected a value at character ${at}`);
      members.set(key, value);
      ws();
      if (text[at] === ",") {
        at++;
        continue;
      }
      expect("}", "',' or '}'");
      break;
    }
  }
  ws();
  if (at !== text.length) throw bad(`not JSON: text after the object at character ${at}`);
  // defineProperty, so a member named __proto__ is an (unknown) member, not a prototype.
  const obj: Record<string, unknown> = {};
  for (const [key, value] of members) Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return validateManifest(obj);
}
