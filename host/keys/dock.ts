// A dock's key (docs/FORMAT.md, "Docking" and "Key files"): an Ed25519 seed
// that signs the dock's hellos and receipts. Every camera pins the public half
// in its signed configuration, so only this dock's receipt lets it delete
// evidence. The file follows the device key's discipline exactly (device.ts):
// the same reading rules, the same all-or-nothing writing that never replaces
// a file.
//
//   # sealcam dock key (Ed25519): it signs this dock's receipts; keep it on the dock
//   # created: 2025-01-02T03:04:05Z
//   # public key: sealcamdock1…
//   SEALCAM-DOCK-KEY-1…
//
// The public key's text form (`sealcamdock1…`) is provisioning.ts's, where
// camera configurations name it; it is re-exported here.
import { randomBytes } from "node:crypto";
import type { Crypto } from "../engine/crypto.ts";
import { readKeyFile } from "./age.ts";
import {
  writeKeyFile, SECRET_FILE_MODE, formatSecretKey, parseSecretKey, publicKeyOf, secretKeyFileText,
  parseSecretKeyFile, loadSecretKeyFile, type Ed25519KeyKind, type DeviceKeyFile,
} from "./device.ts";
import { DOCK_PUBLIC_HRP, formatDockPublicKey, parseDockPublicKey } from "./provisioning.ts";

export { DOCK_PUBLIC_HRP, formatDockPublicKey, parseDockPublicKey };
export const DOCK_KEY_HRP = "SEALCAM-DOCK-KEY-";
export const DOCK_SEED_BYTES = 32;
/** The first line of every dock key file. */
export const DOCK_KEY_BANNER = "# sealcam dock key (Ed25519): it signs this dock's receipts; keep it on the dock";

/** The dock key's kind of key file: laid out, read and written as the device key's. */
export const DOCK_KEY_KIND: Ed25519KeyKind = { label: "dock", banner: DOCK_KEY_BANNER, secretHrp: DOCK_KEY_HRP, publicHrp: DOCK_PUBLIC_HRP };

/** A dock key file, parsed: the seed and what its comments declare. */
export type DockKeyFile = DeviceKeyFile;

/** A fresh 32-byte Ed25519 seed from node:crypto's CSPRNG. */
export function generateDockSeed(): Uint8Array {
  return new Uint8Array(randomBytes(DOCK_SEED_BYTES));
}

/** `SEALCAM-DOCK-KEY-1…` (76 characters) for a 32-byte seed. */
export const formatDockKey = (seed: Uint8Array): string => formatSecretKey(DOCK_KEY_KIND, seed);
/** The 32-byte seed of a `SEALCAM-DOCK-KEY-1…` string. */
export const parseDockKey = (text: string): Uint8Array => parseSecretKey(DOCK_KEY_KIND, text);
/** The dock public key of a seed, computed by the module (RFC 8032 §5.1.5). */
export const dockPublicKey = (crypto: Crypto, seed: Uint8Array): Uint8Array => publicKeyOf(DOCK_KEY_KIND, crypto, seed);
/** The text of a dock key file (see the top of this file), newline-terminated. */
export const dockKeyFileText = (seed: Uint8Array, publicKey: Uint8Array, created: Date = new Date()): string =>
  secretKeyFileText(DOCK_KEY_KIND, seed, publicKey, created);

/** Parses a dock key file's text (device.ts, parseSecretKeyFile). */
export const parseDockKeyFile = (text: string, name: string): DockKeyFile => parseSecretKeyFile(DOCK_KEY_KIND, text, name);
/** Reads and parses a dock key file. */
export const readDockKey = (path: string): DockKeyFile => parseDockKeyFile(readKeyFile(path), path);
/** Reads a dock key file and derives its public key (device.ts, loadSecretKeyFile); the caller wipes the seed. */
export const loadDockKey = (crypto: Crypto, path: string): { seed: Uint8Array; publicKey: Uint8Array } =>
  loadSecretKeyFile(DOCK_KEY_KIND, crypto, path);

/** Writes a new dock key file for `seed` (mode 0600, all or nothing, never over a file); returns the public key. */
export function writeDockKey(crypto: Crypto, path: string, seed: Uint8Array, created: Date = new Date()): Uint8Array {
  const publicKey = dockPublicKey(crypto, seed);
  writeKeyFile(path, dockKeyFileText(seed, publicKey, created), SECRET_FILE_MODE);
  return publicKey;
}
