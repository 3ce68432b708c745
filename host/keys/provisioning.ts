// The force's provisioning key (docs/FORMAT.md, "Camera configuration" and
// "Key files"): an Ed25519 seed that signs camera configurations, kept
// offline; every camera pins its public half at enrolment. Its files follow
// the device key's discipline exactly (device.ts): the same reading rules,
// the same all-or-nothing writing that never replaces a file.
//
//   # sealcam provisioning key (Ed25519): it signs camera configurations; keep it offline
//   # created: 2025-01-02T03:04:05Z
//   # public key: sealcamprov1…
//   SEALCAM-PROVISIONING-KEY-1…
//
// Also here: the text form of a dock's public key (`sealcamdock1…`), the one
// other Ed25519 public key a configuration names. Docks have no key files of
// their own yet; when they do, these two functions move beside them.
import { randomBytes } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";
import { encode, decode } from "./bech32.ts";
import { atLine, readKeyFile } from "./age.ts";
import { createdStamp, writeKeyFile, SECRET_FILE_MODE } from "./device.ts";

export const PROVISIONING_KEY_HRP = "SEALCAM-PROVISIONING-KEY-";
export const PROVISIONING_PUBLIC_HRP = "sealcamprov";
export const DOCK_PUBLIC_HRP = "sealcamdock";
/** Bytes in the provisioning seed, and in every Ed25519 public key here. */
export const PROVISIONING_SEED_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
/** The first line of every provisioning key file. */
export const PROVISIONING_KEY_BANNER = "# sealcam provisioning key (Ed25519): it signs camera configurations; keep it offline";

/** A provisioning key file, parsed: the seed and what its comments declare. */
export interface ProvisioningKeyFile {
  readonly seed: Uint8Array;
  /** The `# public key:` comment's key, and its line, when the file has one. */
  readonly declaredPublicKey?: { key: Uint8Array; line: number };
  /** The `# created:` comment's text, when the file has one. */
  readonly created?: string;
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
export function generateProvisioningSeed(): Uint8Array {
  return new Uint8Array(randomBytes(PROVISIONING_SEED_BYTES));
}

/** `SEALCAM-PROVISIONING-KEY-1…` (84 characters) for a 32-byte seed. */
export function formatProvisioningKey(seed: Uint8Array): string {
  return encode(PROVISIONING_KEY_HRP, exactly(seed, PROVISIONING_SEED_BYTES, "a provisioning key seed"));
}

/** The 32-byte seed of a `SEALCAM-PROVISIONING-KEY-1…` string. */
export function parseProvisioningKey(text: string): Uint8Array {
  return exactly(decode(text, PROVISIONING_KEY_HRP), PROVISIONING_SEED_BYTES, "a provisioning key");
}

/** `sealcamprov1…` (70 characters) for a 32-byte Ed25519 public key. */
export function formatProvisioningPublicKey(publicKey: Uint8Array): string {
  return encode(PROVISIONING_PUBLIC_HRP, exactly(publicKey, ED25519_PUBLIC_BYTES, "a provisioning public key"));
}

/** The 32-byte Ed25519 public key of a `sealcamprov1…` string. */
export function parseProvisioningPublicKey(text: string): Uint8Array {
  return exactly(decode(text, PROVISIONING_PUBLIC_HRP), ED25519_PUBLIC_BYTES, "a provisioning public key");
}

/** `sealcamdock1…` (70 characters) for a dock's 32-byte Ed25519 public key. */
export function formatDockPublicKey(publicKey: Uint8Array): string {
  return encode(DOCK_PUBLIC_HRP, exactly(publicKey, ED25519_PUBLIC_BYTES, "a dock public key"));
}

/** The 32-byte Ed25519 public key of a `sealcamdock1…` string. */
export function parseDockPublicKey(text: string): Uint8Array {
  return exactly(decode(text, DOCK_PUBLIC_HRP), ED25519_PUBLIC_BYTES, "a dock public key");
}

/** The provisioning public key of a seed, computed by the module (RFC 8032 §5.1.5). */
export function provisioningPublicKey(crypto: Crypto, seed: Uint8Array): Uint8Array {
  const { publicKey, secretKey } = crypto.ed25519Keypair(exactly(seed, PROVISIONING_SEED_BYTES, "a provisioning key seed"));
  secretKey.fill(0);
  return publicKey;
}

/** The text of a provisioning key file (see the top of this file), newline-terminated. */
export function provisioningKeyFileText(seed: Uint8Array, publicKey: Uint8Array, created: Date = new Date()): string {
  return [
    PROVISIONING_KEY_BANNER, `# created: ${createdStamp(created)}`, `# public key: ${formatProvisioningPublicKey(publicKey)}`,
    formatProvisioningKey(seed), "",
  ].join("\n");
}

// ---- reading ----------------------------------------------------------------

/**
 * Parses a provisioning key file's text: exactly one
 * `SEALCAM-PROVISIONING-KEY-1…` line; `#` comment lines and empty lines
 * besides; a trailing `\r` is ignored. A `# public key:` comment must hold a
 * well-formed `sealcamprov1…` key. Errors start with `name:line: ` and never
 * repeat a secret.
 */
export function parseProvisioningKeyFile(text: string, name: string): ProvisioningKeyFile {
  let seed: Uint8Array | undefined;
  let seedLine = 0;
  let declaredPublicKey: ProvisioningKeyFile["declaredPublicKey"];
  let created: string | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    const n = i + 1;
    if (line === "") continue;
    try {
      if (line.startsWith("#")) {
        const pk = /^#\s*public key:\s*(.*?)\s*$/.exec(line);
        if (pk) declaredPublicKey = { key: parseProvisioningPublicKey(pk[1]), line: n };
        const at = /^#\s*created:\s*(.*?)\s*$/.exec(line);
        if (at) created = at[1];
        continue;
      }
      if (seed) throw usage(`a second provisioning key (the first is on line ${seedLine}); a provisioning key file holds one`);
      seed = parseProvisioningKey(line);
      seedLine = n;
    } catch (e) {
      seed?.fill(0);
      throw atLine(e, name, n);
    }
  }
  if (!seed) throw usage(`${name}: no provisioning key found (expected a SEALCAM-PROVISIONING-KEY-1… line)`);
  return { seed, declaredPublicKey, created };
}

/** Reads and parses a provisioning key file (see parseProvisioningKeyFile). */
export function readProvisioningKey(path: string): ProvisioningKeyFile {
  return parseProvisioningKeyFile(readKeyFile(path), path);
}

/**
 * Reads a provisioning key file and derives its public key with the module;
 * if the file declares a public key, it must be the one derived (else the
 * seed is wiped and EXIT.USAGE is thrown). The caller wipes the seed after use.
 */
export function loadProvisioningKey(crypto: Crypto, path: string): { seed: Uint8Array; publicKey: Uint8Array } {
  const file = readProvisioningKey(path);
  const publicKey = provisioningPublicKey(crypto, file.seed);
  const declared = file.declaredPublicKey;
  if (declared && !Buffer.from(declared.key).equals(Buffer.from(publicKey))) {
    file.seed.fill(0);
    throw usage(`${path}:${declared.line}: the public key comment does not match the provisioning key (file edited or damaged)`);
  }
  return { seed: file.seed, publicKey };
}

// ---- writing ----------------------------------------------------------------

/**
 * Writes a new provisioning key file for `seed` (mode 0600, all or nothing,
 * never over an existing file: writeKeyFile); returns the public key. For the
 * key file and its `.pub` together, build both texts and use writeKeyFiles.
 */
export function writeProvisioningKey(crypto: Crypto, path: string, seed: Uint8Array, created: Date = new Date()): Uint8Array {
  const publicKey = provisioningPublicKey(crypto, seed);
  writeKeyFile(path, provisioningKeyFileText(seed, publicKey, created), SECRET_FILE_MODE);
  return publicKey;
}
