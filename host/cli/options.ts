// What several commands share when reading their options: parseArgs with
// its refusals as one line, and a public key given as its text or as a file
// holding it.
import { existsSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SealcamError, EXIT } from "../errors.ts";
import { readKeyFile } from "../keys/age.ts";

/** A secret key's text: never echoed back, never taken where a public key belongs. */
export const SECRET_KEY = /^(AGE-SECRET-KEY-|AGE-PLUGIN-|SEALCAM-[A-Z]+-KEY-)/i;

/** A refusal of bad input: one line, the usage exit code. */
export const usage = (message: string): SealcamError => new SealcamError(message, EXIT.USAGE);
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * parseArgs, with its refusals as one line: some of node's messages span
 * several lines (a value starting with '-'), and a refusal is one line.
 */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code.startsWith("ERR_PARSE_ARGS")) throw usage(messageOf(e).split("\n").map((l) => l.trim()).join(" "));
    throw e;
  }
}
/** Long input shortened for a message. */
export const shown = (text: string): string => (text.length > 80 ? `${text.slice(0, 77)}...` : text);

/**
 * A public key option: the key's text (`<hrp>1…`), or a file whose first
 * line that is neither empty nor a `#` comment holds it (device.pub). A
 * secret key, given as text or found in the file, is refused without being
 * repeated.
 */
export function publicKeyOption(name: string, value: string, hrp: string, parse: (text: string) => Uint8Array): Uint8Array {
  const text = value.trim();
  const secret = `--${name}: that is a secret key; give the public key (${hrp}1…) or its .pub file`;
  if (SECRET_KEY.test(text)) throw usage(secret);
  if (!existsSync(value)) {
    // Key-shaped (letters, '1', Bech32 characters) and not a path: parse it, for the precise reason.
    if (!/^[A-Za-z-]+1[0-9A-Za-z]+$/.test(text)) throw usage(`--${name} ${shown(value)}: no such file (give a ${hrp}1… key or a file holding one)`);
    try {
      return parse(text);
    } catch (e) {
      throw usage(`--${name} '${shown(text)}': ${messageOf(e)}`);
    }
  }
  const lines = readKeyFile(value).split("\n");
  const at = lines.findIndex((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  if (at < 0) throw usage(`--${name} ${value}: no ${hrp}1… key in the file`);
  const line = lines[at].trim();
  if (SECRET_KEY.test(line)) throw usage(`--${name} ${value}: the file holds a secret key; give the public key (${hrp}1…) or its .pub file`);
  try {
    return parse(line);
  } catch (e) {
    throw usage(`--${name} ${value}:${at + 1}: ${messageOf(e)}`);
  }
}

