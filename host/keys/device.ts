// Key files on disk (docs/FORMAT.md, "Key files"): the camera's device key
// (an Ed25519 seed, sealcam's own format) and the force's identity (age's own
// identity file format), plus the text forms of the device public key and its
// fingerprint. The Ed25519 key file format is written once here, for every
// kind (Ed25519KeyKind): provisioning.ts uses it for the provisioning key.
//
//   # sealcam device key (Ed25519): it signs this camera's evidence; keep it secret
//   # created: 2025-01-02T03:04:05Z
//   # public key: sealcamdev1…
//   SEALCAM-DEVICE-KEY-1…
//
// Key files are written whole or not at all: the text goes to a temporary file
// in the target's directory (mode 0600 for secrets, whatever the umask), is
// fsynced, then appears under its name with link(2), which refuses an existing
// name, so a key is never overwritten and never left half written.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";
import { encode, decode } from "./bech32.ts";
import { atLine, formatIdentity, readKeyFile } from "./age.ts";

export const DEVICE_KEY_HRP = "SEALCAM-DEVICE-KEY-";
export const DEVICE_PUBLIC_HRP = "sealcamdev";
/** Bytes in an Ed25519 seed (the device secret) and in its public key. */
export const SEED_BYTES = 32;
export const DEVICE_PUBLIC_BYTES = 32;
/** The first line of every device key file. */
export const DEVICE_KEY_BANNER = "# sealcam device key (Ed25519): it signs this camera's evidence; keep it secret";
export const DEVICE_KEY_KIND: Ed25519KeyKind = { label: "device", banner: DEVICE_KEY_BANNER, secretHrp: DEVICE_KEY_HRP, publicHrp: DEVICE_PUBLIC_HRP };
/** Mode of secret key files; public key files are 0644. */
export const SECRET_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

/**
 * What tells one kind of Ed25519 secret key file from another: the device
 * key here, the force's provisioning key in provisioning.ts. Both kinds are
 * laid out, read and written the same way (FORMAT.md, "Key files").
 */
export interface Ed25519KeyKind {
  /** The kind in messages: "device", "provisioning". */
  readonly label: string;
  /** The file's first line. */
  readonly banner: string;
  /** Bech32 HRPs of the secret seed (uppercase) and of the public key (lowercase). */
  readonly secretHrp: string;
  readonly publicHrp: string;
}

/** A device or provisioning key file, parsed: the seed and what its comments declare. */
export interface DeviceKeyFile {
  readonly seed: Uint8Array;
  /** The `# public key:` comment's key, and its line, when the file has one. */
  readonly declaredPublicKey?: { key: Uint8Array; line: number };
  /** The `# created:` comment's text, when the file has one. */
  readonly created?: string;
}

/** One file for writeKeyFiles. */
export interface KeyFileSpec {
  readonly path: string;
  readonly text: string;
  readonly mode: number;
}

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

function exactly(bytes: Uint8Array, size: number, what: string): Uint8Array {
  if (bytes.length !== size) throw usage(`${what} must hold ${size} bytes, not ${bytes.length}`);
  return bytes;
}

// ---- text forms -------------------------------------------------------------

/** A fresh 32-byte Ed25519 seed from node:crypto's CSPRNG. */
export function generateDeviceSeed(): Uint8Array {
  return new Uint8Array(randomBytes(SEED_BYTES));
}

/** `<SECRET-HRP>1…` for a 32-byte seed of `kind`. */
export function formatSecretKey(kind: Ed25519KeyKind, seed: Uint8Array): string {
  return encode(kind.secretHrp, exactly(seed, SEED_BYTES, `a ${kind.label} key seed`));
}

/** The 32-byte seed of a `<SECRET-HRP>1…` string of `kind`. */
export function parseSecretKey(kind: Ed25519KeyKind, text: string): Uint8Array {
  return exactly(decode(text, kind.secretHrp), SEED_BYTES, `a ${kind.label} key`);
}

/** `<hrp>1…` for a 32-byte Ed25519 public key of `kind`. */
export function formatPublicKey(kind: Ed25519KeyKind, publicKey: Uint8Array): string {
  return encode(kind.publicHrp, exactly(publicKey, DEVICE_PUBLIC_BYTES, `a ${kind.label} public key`));
}

/** The 32-byte Ed25519 public key of a `<hrp>1…` string of `kind`. */
export function parsePublicKey(kind: Ed25519KeyKind, text: string): Uint8Array {
  return exactly(decode(text, kind.publicHrp), DEVICE_PUBLIC_BYTES, `a ${kind.label} public key`);
}

/** The public key of a `kind` seed, computed by the module (RFC 8032 §5.1.5); the secret key copy is wiped. */
export function publicKeyOf(kind: Ed25519KeyKind, crypto: Crypto, seed: Uint8Array): Uint8Array {
  const { publicKey, secretKey } = crypto.ed25519Keypair(exactly(seed, SEED_BYTES, `a ${kind.label} key seed`));
  secretKey.fill(0);
  return publicKey;
}

/** `SEALCAM-DEVICE-KEY-1…` for a 32-byte seed. */
export const formatDeviceKey = (seed: Uint8Array): string => formatSecretKey(DEVICE_KEY_KIND, seed);
/** The 32-byte seed of a `SEALCAM-DEVICE-KEY-1…` string. */
export const parseDeviceKey = (text: string): Uint8Array => parseSecretKey(DEVICE_KEY_KIND, text);
/** `sealcamdev1…` for a 32-byte Ed25519 public key. */
export const formatDevicePublicKey = (publicKey: Uint8Array): string => formatPublicKey(DEVICE_KEY_KIND, publicKey);
/** The 32-byte Ed25519 public key of a `sealcamdev1…` string. */
export const parseDevicePublicKey = (text: string): Uint8Array => parsePublicKey(DEVICE_KEY_KIND, text);
/** The device public key of a seed, computed by the module. */
export const devicePublicKey = (crypto: Crypto, seed: Uint8Array): Uint8Array => publicKeyOf(DEVICE_KEY_KIND, crypto, seed);

/**
 * The fingerprint people compare by eye or over the phone: the first 8 bytes
 * of SHA-256(public key) in lowercase hex, in four groups of four
 * (`xxxx-xxxx-xxxx-xxxx`).
 */
export function deviceFingerprint(publicKey: Uint8Array): string {
  const hex = createHash("sha256").update(exactly(publicKey, DEVICE_PUBLIC_BYTES, "a device public key")).digest("hex").slice(0, 16);
  return hex.match(/.{4}/g)!.join("-");
}

/** ISO 8601 UTC to the second: `2025-01-02T03:04:05Z`. */
export function createdStamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The text of a `kind` key file (see the top of this file), newline-terminated. */
export function secretKeyFileText(kind: Ed25519KeyKind, seed: Uint8Array, publicKey: Uint8Array, created: Date = new Date()): string {
  return [kind.banner, `# created: ${createdStamp(created)}`, `# public key: ${formatPublicKey(kind, publicKey)}`, formatSecretKey(kind, seed), ""].join("\n");
}

/** The text of a device key file, newline-terminated. */
export const deviceKeyFileText = (seed: Uint8Array, publicKey: Uint8Array, created: Date = new Date()): string =>
  secretKeyFileText(DEVICE_KEY_KIND, seed, publicKey, created);

/**
 * The text of a force identity file, as age-keygen writes it (but with the
 * time in UTC): `# created:`, `# public key: age1…`, `AGE-SECRET-KEY-1…`.
 */
export function forceIdentityFileText(scalar: Uint8Array, recipient: string, created: Date = new Date()): string {
  return [`# created: ${createdStamp(created)}`, `# public key: ${recipient}`, formatIdentity(scalar), ""].join("\n");
}

// ---- reading ----------------------------------------------------------------

/**
 * Parses the text of a `kind` key file: exactly one secret key line; `#`
 * comment lines and empty lines besides; a trailing `\r` is ignored. A
 * `# public key:` comment must hold a well-formed public key of the kind.
 * Errors start with `name:line: ` and never repeat a secret; a seed already
 * read is wiped before one is thrown.
 */
export function parseSecretKeyFile(kind: Ed25519KeyKind, text: string, name: string): DeviceKeyFile {
  let seed: Uint8Array | undefined;
  let seedLine = 0;
  let declaredPublicKey: DeviceKeyFile["declaredPublicKey"];
  let created: string | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    const n = i + 1;
    if (line === "") continue;
    try {
      if (line.startsWith("#")) {
        const pk = /^#\s*public key:\s*(.*?)\s*$/.exec(line);
        if (pk) declaredPublicKey = { key: parsePublicKey(kind, pk[1]), line: n };
        const at = /^#\s*created:\s*(.*?)\s*$/.exec(line);
        if (at) created = at[1];
        continue;
      }
      if (seed) throw usage(`a second ${kind.label} key (the first is on line ${seedLine}); a ${kind.label} key file holds one`);
      seed = parseSecretKey(kind, line);
      seedLine = n;
    } catch (e) {
      seed?.fill(0);
      throw atLine(e, name, n);
    }
  }
  if (!seed) throw usage(`${name}: no ${kind.label} key found (expected a ${kind.secretHrp}1… line)`);
  return { seed, declaredPublicKey, created };
}

/**
 * Reads a `kind` key file and derives its public key with the module; if the
 * file declares a public key, it must be the one derived (else the seed is
 * wiped and EXIT.USAGE is thrown). The caller wipes the seed after use.
 */
export function loadSecretKeyFile(kind: Ed25519KeyKind, crypto: Crypto, path: string): { seed: Uint8Array; publicKey: Uint8Array } {
  const file = parseSecretKeyFile(kind, readKeyFile(path), path);
  const publicKey = publicKeyOf(kind, crypto, file.seed);
  const declared = file.declaredPublicKey;
  if (declared && !Buffer.from(declared.key).equals(Buffer.from(publicKey))) {
    file.seed.fill(0);
    throw usage(`${path}:${declared.line}: the public key comment does not match the ${kind.label} key (file edited or damaged)`);
  }
  return { seed: file.seed, publicKey };
}

/** Parses a device key file's text (parseSecretKeyFile). */
export const parseDeviceKeyFile = (text: string, name: string): DeviceKeyFile => parseSecretKeyFile(DEVICE_KEY_KIND, text, name);
/** Reads and parses a device key file. */
export const readDeviceKey = (path: string): DeviceKeyFile => parseDeviceKeyFile(readKeyFile(path), path);
/** Reads a device key file and derives its key pair (loadSecretKeyFile). */
export const loadDeviceKey = (crypto: Crypto, path: string): { seed: Uint8Array; publicKey: Uint8Array } => loadSecretKeyFile(DEVICE_KEY_KIND, crypto, path);

// ---- writing ----------------------------------------------------------------

const FS_REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such directory",
  ENOTDIR: "a parent is not a directory",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EISDIR: "is a directory",
};

function fsError(e: unknown, path: string): SealcamError {
  if (e instanceof SealcamError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? "";
  if (code === "EEXIST") return refusal([path]);
  return usage(`${path}: ${FS_REASONS[code] ?? (e as Error).message}`);
}

function refusal(paths: string[]): SealcamError {
  const which = paths.length === 1 ? `${paths[0]} already exists` : `${paths.join(", ")} already exist`;
  return usage(`${which}; refusing to overwrite a key file (nothing written)`);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    throw fsError(e, path);
  }
}

/** link(2) is missing on some file systems (FAT, some network mounts). */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK"]);

/**
 * Writes one key file atomically and never over an existing file: temp file
 * (O_EXCL, `mode` set explicitly), fsync, link to the name (EEXIST = refusal),
 * unlink the temp file, fsync the directory. Where the file system has no hard
 * links it falls back to check-then-rename(2). On any failure the temp file is
 * removed and nothing is left under `path`.
 */
export function writeKeyFile(path: string, text: string, mode: number = SECRET_FILE_MODE): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    fchmodSync(fd, mode);
    writeFileSync(fd, text); // loops until every byte is written
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    try {
      linkSync(tmp, path);
    } catch (e) {
      if (!NO_HARD_LINKS.has((e as NodeJS.ErrnoException).code ?? "")) throw e;
      if (exists(path)) throw refusal([path]);
      renameSync(tmp, path);
    }
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw fsError(e, path);
  } finally {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* a stray temp file is harmless: it is never read */
    }
  }
  syncDirectory(dir);
}

function syncDirectory(dir: string): void {
  // Makes the new name durable; not every platform can open a directory.
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/**
 * Writes several key files all or nothing: first checks that none of the
 * paths exists (one refusal naming every one that does, before anything is
 * written), creates missing directories (0700), then writes each with
 * writeKeyFile; if one fails, those already written by this call are removed.
 */
export function writeKeyFiles(files: readonly KeyFileSpec[]): void {
  const taken = files.filter((f) => exists(f.path)).map((f) => f.path);
  if (taken.length > 0) throw refusal(taken);
  const written: string[] = [];
  try {
    for (const f of files) {
      try {
        mkdirSync(dirname(f.path), { recursive: true, mode: 0o700 });
      } catch (e) {
        throw fsError(e, dirname(f.path));
      }
      writeKeyFile(f.path, f.text, f.mode);
      written.push(f.path);
    }
  } catch (e) {
    for (const p of written) rmSync(p, { force: true });
    throw e;
  }
}

/** Writes a new device key file for `seed` (mode 0600); refuses an existing file. */
export function writeDeviceKey(crypto: Crypto, path: string, seed: Uint8Array, created: Date = new Date()): Uint8Array {
  const publicKey = devicePublicKey(crypto, seed);
  writeKeyFile(path, deviceKeyFileText(seed, publicKey, created), SECRET_FILE_MODE);
  return publicKey;
}

/**
 * Writes a new force identity file in age's format (mode 0600); refuses an
 * existing file. `recipient` is the identity's `age1…` (see recipientOf). Read
 * it back with readIdentityFile.
 */
export function writeForceIdentity(path: string, scalar: Uint8Array, recipient: string, created: Date = new Date()): void {
  writeKeyFile(path, forceIdentityFileText(scalar, recipient, created), SECRET_FILE_MODE);
}
