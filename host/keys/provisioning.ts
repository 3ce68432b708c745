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
// other Ed25519 public key a configuration names; dock.ts (the dock's own key
// files) re-exports it.
import { randomBytes } from "node:crypto";
import type { Crypto } from "../engine/crypto.ts";
import { readKeyFile } from "./age.ts";
import {
  writeKeyFile, SECRET_FILE_MODE, formatSecretKey, parseSecretKey, formatPublicKey, parsePublicKey, publicKeyOf,
  secretKeyFileText, parseSecretKeyFile, loadSecretKeyFile, type Ed25519KeyKind, type DeviceKeyFile,
} from "./device.ts";

export const PROVISIONING_KEY_HRP = "SEALCAM-PROVISIONING-KEY-";
export const PROVISIONING_PUBLIC_HRP = "sealcamprov";
export const DOCK_PUBLIC_HRP = "sealcamdock";
/** Bytes in the provisioning seed, and in every Ed25519 public key here. */
export const PROVISIONING_SEED_BYTES = 32;
export const ED25519_PUBLIC_BYTES = 32;
/** The first line of every provisioning key file. */
export const PROVISIONING_KEY_BANNER = "# sealcam provisioning key (Ed25519): it signs camera configurations; keep it offline";

/** The provisioning key's kind of key file: laid out, read and written as the device key's. */
export const PROVISIONING_KEY_KIND: Ed25519KeyKind = {
  label: "provisioning", banner: PROVISIONING_KEY_BANNER, secretHrp: PROVISIONING_KEY_HRP, publicHrp: PROVISIONING_PUBLIC_HRP,
};
/** Dock public keys' text form (dock.ts has the dock's key files). */
const DOCK_KIND: Ed25519KeyKind = { label: "dock", banner: "", secretHrp: "", publicHrp: DOCK_PUBLIC_HRP };

/** A provisioning key file, parsed: the seed and what its comments declare. */
export type ProvisioningKeyFile = DeviceKeyFile;

// ---- text forms -------------------------------------------------------------

/** A fresh 32-byte Ed25519 seed from node:crypto's CSPRNG. */
export function generateProvisioningSeed(): Uint8Array {
  return new Uint8Array(randomBytes(PROVISIONING_SEED_BYTES));
}

/** `SEALCAM-PROVISIONING-KEY-1…` (84 characters) for a 32-byte seed. */
export const formatProvisioningKey = (seed: Uint8Array): string => formatSecretKey(PROVISIONING_KEY_KIND, seed);
/** The 32-byte seed of a `SEALCAM-PROVISIONING-KEY-1…` string. */
export const parseProvisioningKey = (text: string): Uint8Array => parseSecretKey(PROVISIONING_KEY_KIND, text);
/** `sealcamprov1…` (70 characters) for a 32-byte Ed25519 public key. */
export const formatProvisioningPublicKey = (publicKey: Uint8Array): string => formatPublicKey(PROVISIONING_KEY_KIND, publicKey);
/** The 32-byte Ed25519 public key of a `sealcamprov1…` string. */
export const parseProvisioningPublicKey = (text: string): Uint8Array => parsePublicKey(PROVISIONING_KEY_KIND, text);
/** `sealcamdock1…` (70 characters) for a dock's 32-byte Ed25519 public key. */
export const formatDockPublicKey = (publicKey: Uint8Array): string => formatPublicKey(DOCK_KIND, publicKey);
/** The 32-byte Ed25519 public key of a `sealcamdock1…` string. */
export const parseDockPublicKey = (text: string): Uint8Array => parsePublicKey(DOCK_KIND, text);
/** The provisioning public key of a seed, computed by the module (RFC 8032 §5.1.5). */
export const provisioningPublicKey = (crypto: Crypto, seed: Uint8Array): Uint8Array => publicKeyOf(PROVISIONING_KEY_KIND, crypto, seed);

/** The text of a provisioning key file (see the top of this file), newline-terminated. */
export const provisioningKeyFileText = (seed: Uint8Array, publicKey: Uint8Array, created: Date = new Date()): string =>
  secretKeyFileText(PROVISIONING_KEY_KIND, seed, publicKey, created);

// ---- reading ----------------------------------------------------------------

/** Parses a provisioning key file's text (device.ts, parseSecretKeyFile). */
export const parseProvisioningKeyFile = (text: string, name: string): ProvisioningKeyFile => parseSecretKeyFile(PROVISIONING_KEY_KIND, text, name);
/** Reads and parses a provisioning key file. */
export const readProvisioningKey = (path: string): ProvisioningKeyFile => parseProvisioningKeyFile(readKeyFile(path), path);
/** Reads a provisioning key file and derives its public key (device.ts, loadSecretKeyFile); the caller wipes the seed. */
export const loadProvisioningKey = (crypto: Crypto, path: string): { seed: Uint8Array; publicKey: Uint8Array } =>
  loadSecretKeyFile(PROVISIONING_KEY_KIND, crypto, path);

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
