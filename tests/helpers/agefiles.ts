// Age files for the custody tests, made by other people's tools: keys from
// age-keygen, files from stock `age -r` (from a buffer, or from a stream for
// the large ones), and the header surgery that damages a real file in one
// known way. The header is split from the payload by the age grammar alone
// (the line that starts with "---" ends it), not by the reader under test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createCipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { readIdentityFile } from "../../host/keys/age.ts";

const have = (tool: string): boolean => !spawnSync(tool, ["--version"], { stdio: "ignore" }).error;

/** True when the stock age CLI and age-keygen are installed. */
export const AGE_TOOLS = have("age") && have("age-keygen");

/** An identity made by age-keygen: its file, its recipient and its scalar. */
export interface AgeKey {
  file: string;
  recipient: string;
  scalar: Uint8Array;
}

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input, timeout: 60_000, maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.error ?? r.stderr?.toString()}`);
  return r.stdout;
}

/** A fresh identity file `dir/name.key` from age-keygen. */
export function ageKeygen(dir: string, name: string): AgeKey {
  const file = join(dir, `${name}.key`);
  run("age-keygen", ["-o", file]);
  const recipient = run("age-keygen", ["-y", file]).toString().trim();
  const [{ scalar }] = readIdentityFile(file);
  return { file, recipient, scalar };
}

/** `age -r R… -o out` with `plain` on stdin; returns the file's bytes. */
export function ageEncrypt(recipients: string[], plain: Uint8Array, out: string): Buffer {
  run("age", [...recipients.flatMap((r) => ["-r", r]), "-o", out], plain);
  return readFileSync(out);
}

/** `head -c bytes /dev/zero | age -r R -o out`: a large file that never sits in this process. */
export function ageEncryptZeros(recipient: string, bytes: number, out: string): void {
  run("sh", ["-c", `head -c ${bytes} /dev/zero | age -r "$1" -o "$2"`, "sh", recipient, out]);
}

/** `age -d -i key file`: the plaintext. */
export const ageDecrypt = (key: string, file: string): Buffer => run("age", ["-d", "-i", key, file]);

/** `age -d -i key file`, timed: the plaintext's length and the seconds it took. */
export function ageDecryptTimed(key: string, file: string): { bytes: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  const out = run("sh", ["-c", `age -d -i "$1" "$2" | wc -c`, "sh", key, file]);
  return { bytes: Number(out.toString().trim()), seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** A file's header lines (version line to MAC line, without line feeds) and its payload. */
export interface AgeParts {
  lines: string[];
  payload: Buffer;
}

/** Splits a well-formed age file at the end of its MAC line. */
export function splitAge(file: Buffer): AgeParts {
  const mark = file.indexOf("\n---");
  assert.ok(mark > 0, "the file has a MAC line");
  const end = file.indexOf(0x0a, mark + 1) + 1;
  assert.ok(end > 0);
  return { lines: file.subarray(0, end - 1).toString("latin1").split("\n"), payload: file.subarray(end) };
}

/** Header length of a well-formed age file (MAC line included). */
export const headerLength = (file: Buffer): number => file.length - splitAge(file).payload.length;

/** Joins header lines and a payload back into a file. */
export const joinAge = ({ lines, payload }: AgeParts): Buffer => Buffer.concat([Buffer.from(lines.join("\n") + "\n", "latin1"), payload]);

/** `file` with its header lines passed through `edit` (the payload unchanged). */
export function editHeader(file: Buffer, edit: (lines: string[]) => string[]): Buffer {
  const parts = splitAge(file);
  return joinAge({ lines: edit([...parts.lines]), payload: parts.payload });
}

/** `file` with bit `bit` of byte `at` flipped. */
export function flipBit(file: Buffer, at: number, bit = 0): Buffer {
  const out = Buffer.from(file);
  out[at] ^= 1 << bit;
  return out;
}

/** Writes `bytes` to `dir/name` and returns the path. */
export function put(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// ---- files stock tools never write ---------------------------------------------
//
// A small age writer, from the specification with node:crypto and noble's
// X25519, for the cases no well-behaved writer produces: a stanza sealed to a
// low-order share, an empty last chunk after full ones, a wrong chunk flag or
// counter, a huge but valid header.

const unpadded = (b: Uint8Array): string => Buffer.from(b).toString("base64").replace(/=+$/, "");
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string): Buffer => Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));

function seal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

/** A stanza body's lines: 64-column base64, ending with a shorter (maybe empty) line. */
export function bodyLines(body: Uint8Array): string[] {
  const text = unpadded(body);
  const lines: string[] = [];
  for (let at = 0; at <= text.length; at += 64) lines.push(text.slice(at, at + 64));
  return lines;
}

/**
 * The lines of an X25519 stanza wrapping `fileKey` for `recipient`. With
 * `share` (and then `shared`, the secret it gives), that share is used
 * instead of a fresh ephemeral one.
 */
export function x25519Stanza(fileKey: Uint8Array, recipient: Uint8Array, forced?: { share: Uint8Array; shared: Uint8Array }): string[] {
  const secret = randomBytes(32);
  const share = forced?.share ?? x25519.getPublicKey(secret);
  const shared = forced?.shared ?? x25519.getSharedSecret(secret, recipient);
  const wrap = hkdf(shared, Buffer.concat([share, recipient]), "age-encryption.org/v1/X25519");
  return [`-> X25519 ${unpadded(share)}`, ...bodyLines(seal(wrap, new Uint8Array(12), fileKey))];
}

/** One payload chunk as the writer seals it: plaintext, last flag, and (default: its index) the counter. */
export interface CraftChunk {
  plain: Uint8Array;
  last: boolean;
  counter?: number;
}

/** An age file: the header from `stanzaLines` with its MAC under `fileKey`, then the chunks. */
export function craftAge(fileKey: Uint8Array, stanzaLines: string[], chunks: CraftChunk[]): Buffer {
  const macked = ["age-encryption.org/v1", ...stanzaLines, "---"].join("\n");
  const mac = createHmac("sha256", hkdf(fileKey, new Uint8Array(0), "header")).update(macked, "latin1").digest();
  const nonce = randomBytes(16);
  const key = hkdf(fileKey, nonce, "payload");
  const sealed = chunks.map((c, i) => {
    const n = Buffer.alloc(12);
    n.writeUIntBE(c.counter ?? i, 5, 6);
    n[11] = c.last ? 1 : 0;
    return seal(key, n, c.plain);
  });
  return Buffer.concat([Buffer.from(`${macked} ${unpadded(mac)}\n`, "latin1"), nonce, ...sealed]);
}

/** `plain` cut into the chunks an age writer makes (the last one flagged). */
export function chunksOf(plain: Uint8Array): CraftChunk[] {
  const out: CraftChunk[] = [];
  for (let at = 0; at === 0 || at < plain.length; at += 64 * 1024) {
    out.push({ plain: plain.subarray(at, at + 64 * 1024), last: at + 64 * 1024 >= plain.length });
  }
  return out;
}
