// What the custody commands (verify, decrypt, export, report) share: their
// common options and turning them into VerifyOptions, and writing output
// files whole or not at all.
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import { Crypto } from "../engine/crypto.ts";
import { instantiateV8 } from "../engine/index.ts";
import { readIdentityFile, recipientOf, parseDevicePublicKey, DEVICE_PUBLIC_HRP } from "../keys/index.ts";
import { publicKeyOption } from "./options.ts";
import type { Identity } from "../custody/verify.ts";

export const COMMON_OPTIONS = {
  identity: { type: "string", multiple: true },
  device: { type: "string" },
  recording: { type: "string" },
  help: { type: "boolean" },
} as const;

export function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

export async function moduleCrypto(): Promise<Crypto> {
  return new Crypto(await instantiateV8("release"));
}

/** Every identity in the files named by --identity (age's identity file format). */
export function loadIdentities(crypto: Crypto, files: readonly string[] | undefined): Identity[] {
  const out: Identity[] = [];
  for (const file of files ?? []) {
    for (const line of readIdentityFile(file)) out.push({ scalar: line.scalar, recipient: recipientOf(crypto, line.scalar) });
  }
  return out;
}

/** --device: a `sealcamdev1…` key, or a file holding one (device.pub). */
export function loadDevice(text: string | undefined): Uint8Array | null {
  return text === undefined ? null : publicKeyOption("device", text, DEVICE_PUBLIC_HRP, parseDevicePublicKey);
}

/** --recording: 32 lowercase hex. */
export function recordingOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9a-f]{32}$/.test(text)) throw usage(`--recording must be a recording id (32 lowercase hex), not '${text}'`);
  return text;
}

/**
 * An output file written whole or not at all: bytes go to a temporary file in
 * the same folder; commit() fsyncs it and links it into place (never over an
 * existing file), discard() removes it. The target is checked up front so a
 * long verification does not end in a refusal.
 */
export class OutputFile {
  readonly temp: string;
  private fd: number;
  private done = false;

  constructor(readonly path: string) {
    checkOutputPath(path);
    this.temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      this.fd = openSync(this.temp, "wx", 0o644);
    } catch (e) {
      throw usage(`${path}: cannot write here: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  write(bytes: Uint8Array, position?: number): void {
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at, position === undefined ? null : position + at);
  }

  commit(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.done = true;
    try {
      linkSync(this.temp, this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") {
        rmSync(this.temp, { force: true });
        throw usage(`${this.path} already exists; refusing to overwrite it (nothing written)`);
      }
      // File systems without hard links (vfat, exFAT): check again, then rename.
      if (existsSync(this.path)) {
        rmSync(this.temp, { force: true });
        throw usage(`${this.path} already exists; refusing to overwrite it (nothing written)`);
      }
      renameSync(this.temp, this.path);
      return;
    }
    rmSync(this.temp, { force: true });
  }

  discard(): void {
    if (!this.done) {
      closeSync(this.fd);
      this.done = true;
    }
    rmSync(this.temp, { force: true });
  }
}

/** Refuses an output path that exists or whose folder does not. */
export function checkOutputPath(path: string): void {
  if (existsSync(path)) throw usage(`${path} already exists; refusing to overwrite it (nothing written)`);
  const dir = dirname(path);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw usage(`${path}: the folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw usage(`${path}: ${dir} is not a folder`);
}
