// age X25519 keys in their text forms (C2SP age specification):
//
//   identity   AGE-SECRET-KEY-1…  uppercase Bech32, HRP "AGE-SECRET-KEY-", the 32-byte scalar
//   recipient  age1…              lowercase Bech32, HRP "age", the 32-byte X25519 public key
//
// and identity files: one identity per line, lines starting with '#' and empty
// lines ignored (what age-keygen writes and `age -d -i` reads). sealcam reads
// only X25519 identities; plugin, post-quantum, SSH and passphrase-encrypted
// (scrypt) identity files are refused as "unsupported identity type".
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { SealcamError, EXIT } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";
import { encode, decode } from "./bech32.ts";

export const IDENTITY_HRP = "AGE-SECRET-KEY-";
export const RECIPIENT_HRP = "age";
/** Bytes in an X25519 scalar (identity) and public key (recipient). */
export const X25519_KEY_BYTES = 32;

/** One identity read from a file: its scalar and the line it was on (1-based). */
export interface IdentityLine {
  readonly scalar: Uint8Array;
  readonly line: number;
}

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

function exactly32(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length !== X25519_KEY_BYTES) throw usage(`${what} must hold ${X25519_KEY_BYTES} bytes, not ${bytes.length}`);
  return bytes;
}

/** A fresh 32-byte X25519 identity scalar from node:crypto's CSPRNG (clamped on use). */
export function generateIdentity(): Uint8Array {
  return new Uint8Array(randomBytes(X25519_KEY_BYTES));
}

/** `AGE-SECRET-KEY-1…` for a 32-byte scalar. */
export function formatIdentity(scalar: Uint8Array): string {
  return encode(IDENTITY_HRP, exactly32(scalar, "an X25519 identity"));
}

/** `age1…` for a 32-byte X25519 public key. */
export function formatRecipient(publicKey: Uint8Array): string {
  return encode(RECIPIENT_HRP, exactly32(publicKey, "an X25519 recipient"));
}

/**
 * Why `text` is not an identity sealcam can use, when it is recognisably
 * another kind of age identity (or an SSH key); undefined otherwise.
 */
function unsupportedKind(text: string): string | undefined {
  const upper = text.toUpperCase();
  if (upper.startsWith("AGE-PLUGIN-")) return "age plugin identity (AGE-PLUGIN-…)";
  if (upper.startsWith("AGE-SECRET-KEY-PQ-1")) return "post-quantum hybrid identity (AGE-SECRET-KEY-PQ-1…)";
  if (text.startsWith("age-encryption.org/") || text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    return "passphrase-encrypted (scrypt) identity file";
  }
  if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || text.startsWith("ssh-")) return "SSH key";
  return undefined;
}

function unsupported(kind: string): SealcamError {
  return usage(`unsupported identity type: ${kind}; sealcam reads X25519 identities (AGE-SECRET-KEY-1…)`);
}

/** The 32-byte scalar of an `AGE-SECRET-KEY-1…` string. */
export function parseIdentity(text: string): Uint8Array {
  const kind = unsupportedKind(text);
  if (kind) throw unsupported(kind);
  return exactly32(decode(text, IDENTITY_HRP), "an X25519 identity");
}

/** The 32-byte public key of an `age1…` string. */
export function parseRecipient(text: string): Uint8Array {
  return exactly32(decode(text, RECIPIENT_HRP), "an X25519 recipient");
}

/**
 * The identities in the text of an identity file; `name` (the file's path)
 * starts every error message, with the line number when there is one.
 */
export function parseIdentityFile(text: string, name: string): IdentityLine[] {
  const kind = unsupportedKind(text);
  if (kind) throw atLine(unsupported(kind), name, 1);
  const identities: IdentityLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line === "" || line.startsWith("#")) continue;
    try {
      identities.push({ scalar: parseIdentity(line), line: i + 1 });
    } catch (e) {
      throw atLine(e, name, i + 1);
    }
  }
  if (identities.length === 0) throw usage(`${name}: no identity found (expected an AGE-SECRET-KEY-1… line)`);
  return identities;
}

/** Reads an identity file (age's format); see parseIdentityFile. */
export function readIdentityFile(path: string): IdentityLine[] {
  return parseIdentityFile(readKeyFile(path), path);
}

/** The recipient (`age1…`) of an identity's scalar, computed by the module. */
export function recipientOf(crypto: Crypto, scalar: Uint8Array): string {
  return formatRecipient(crypto.x25519Public(exactly32(scalar, "an X25519 identity")));
}

/**
 * A key file's text. A missing or unreadable file is EXIT.USAGE with the
 * path in the message; so is a file that is not UTF-8 text.
 */
export function readKeyFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (e as Error).message;
    throw usage(`${path}: ${why}`);
  }
  const text = bytes.toString("utf8");
  // A binary file (age's unarmored passphrase-encrypted identity) is still
  // recognised by its first line, so keep going whenever that line is text.
  if (text.includes("\uFFFD") && !text.startsWith("age-encryption.org/")) throw usage(`${path}: not a text file`);
  return text;
}

/** `e` with "name:line: " (or "name: " for line 0) in front of its message, as a SealcamError (EXIT.USAGE unless it had a code). */
export function atLine(e: unknown, name: string, line: number): SealcamError {
  const where = line > 0 ? `${name}:${line}` : name;
  if (e instanceof SealcamError) return new SealcamError(`${where}: ${e.message}`, e.exitCode, e.moduleCode);
  return usage(`${where}: ${e instanceof Error ? e.message : String(e)}`);
}

