// A strict, streaming reader of age v1 files (C2SP age; docs/FORMAT.md, "The
// age file") for the custody tools. One pass over the file, in constant memory:
// every byte is hashed (the manifest names the file by its SHA-256), the header
// is parsed strictly, and with the force's X25519 identities the payload is
// decrypted one 64 KiB chunk at a time and handed out only once authenticated.
//
// Crypto split: X25519 runs in the firmware module (its all-zero check is the
// one age requires of an identity); HKDF, HMAC, SHA-256 and ChaCha20-Poly1305
// run in node:crypto, so a verifier does not share the camera's implementation
// (nor its bugs) for the checks that decide whether evidence is intact.
//
// Bad content never throws: it ends in an AgeError in the result, so the
// verifier can report it for the one segment and go on. Only I/O throws.
import { open, type FileHandle } from "node:fs/promises";
import { readSync } from "node:fs";
import { createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual, type Hash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";

/** The first line of every age v1 file, with its line feed. */
export const AGE_VERSION_LINE = "age-encryption.org/v1\n";
/** Plaintext bytes in every payload chunk but the last. */
export const AGE_CHUNK_BYTES = 64 * 1024;
/** Poly1305 tag after each chunk's ciphertext. */
export const AGE_TAG_BYTES = 16;
/** A full chunk as stored: ciphertext and tag. */
export const AGE_SEALED_CHUNK_BYTES = AGE_CHUNK_BYTES + AGE_TAG_BYTES;
/** The payload nonce in front of the first chunk. */
export const AGE_NONCE_BYTES = 16;
/** The file key a stanza wraps. */
export const AGE_FILE_KEY_BYTES = 16;
/**
 * Longest header accepted (MAC line included). sealcam writes at most 8
 * stanzas (under 1 KiB); the bound is what keeps a large file with no header
 * (or a header that never ends) from being buffered.
 */
export const AGE_HEADER_MAX_BYTES = 64 * 1024;

// The read buffer: room for the longest header, and for a sealed chunk plus
// the one byte of look-ahead that tells a final chunk from a full middle one.
// Larger than both so that most reads fill many chunks at once.
const READ_BUFFER_BYTES = 4 * AGE_SEALED_CHUNK_BYTES;
const X25519_INFO = Buffer.from("age-encryption.org/v1/X25519", "latin1");
const HEADER_INFO = Buffer.from("header", "latin1");
const PAYLOAD_INFO = Buffer.from("payload", "latin1");
const ZERO_NONCE = Buffer.alloc(12);

export type AgeFailure = "not-age" | "header" | "no-identity" | "mac" | "chunk" | "truncated" | "trailing";

/** Why an age file does not read: the reason, and for payload failures where. */
export class AgeError extends Error {
  readonly reason: AgeFailure;
  /** Index of the failing (or missing) payload chunk, from 0. */
  readonly chunk?: number;
  /** Plaintext offset of that chunk (chunk × 64 KiB). */
  readonly offset?: number;
  constructor(reason: AgeFailure, message: string, chunk?: number) {
    super(message);
    this.name = "AgeError";
    this.reason = reason;
    if (chunk !== undefined) {
      this.chunk = chunk;
      this.offset = chunk * AGE_CHUNK_BYTES;
    }
  }
}

/** One recipient stanza: its type (first argument), the other arguments, the decoded body. */
export interface AgeStanza {
  type: string;
  args: string[];
  body: Uint8Array;
}

/** A parsed header. */
export interface AgeHeader {
  stanzas: AgeStanza[];
  /** Offset of the `---` that ends what the MAC covers (the MAC covers [0, macAt + 3)). */
  macAt: number;
  /** The 32-byte header MAC. */
  mac: Uint8Array;
  /** Header length, MAC line included: where the payload starts. */
  length: number;
}

export interface AgeReadResult {
  /** Bytes of the whole file. */
  size: number;
  /** SHA-256 of the whole file (always: the reader reads to the end even after a failure). */
  sha256: Uint8Array;
  /** Header length including the MAC line (0 when the header did not parse). */
  headerBytes: number;
  /** How many recipient stanzas the header holds (0 when it did not parse). */
  stanzas: number;
  /** Plaintext bytes delivered to onChunk. */
  plaintextBytes: number;
  /** The first failure; every chunk before it was delivered, none after. */
  error: AgeError | null;
}

export type ChunkSink = (plain: Uint8Array, last: boolean) => void | Promise<void>;

// ---- base64 and the header ------------------------------------------------

const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;
const VCHARS = /^[\x21-\x7e]+$/;

/**
 * Decodes canonical unpadded base64 (RFC 4648 §3.5, as age requires), or
 * returns null: padding, other characters, an impossible length or non-zero
 * unused bits in the last character are all refused.
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (!BASE64_CHARS.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64");
  // Node's decoder ignores stray low bits; encoding back tells a canonical text.
  if (bytes.toString("base64").replace(/=+$/, "") !== text) return null;
  return new Uint8Array(bytes);
}

const headerError = (message: string): AgeError => new AgeError("header", message);

/**
 * Parses a complete age v1 header (from the version line to the MAC line's
 * line feed) with the grammar of the age specification, strictly. Returns
 * the header, or an AgeError ("not-age" when the version line is not age v1's,
 * "header" otherwise) naming the first bad line. `bytes` may stop early (a
 * file cut inside its header): that is a "header" failure too.
 */
export function parseAgeHeader(bytes: Uint8Array): AgeHeader | AgeError {
  const parsed = parseLines(bytes);
  return typeof parsed === "number" ? cutHeader(parsed) : parsed;
}

const cutHeader = (line: number): AgeError => headerError(`the header ends inside line ${line}, before its MAC line`);

/**
 * parseAgeHeader's work; a number when the bytes end before the MAC line
 * with nothing wrong so far: the line they end in.
 */
function parseLines(bytes: Uint8Array): AgeHeader | AgeError | number {
  const version = versionLineCheck(bytes);
  if (version) return version;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const stanzas: AgeStanza[] = [];
  let at = AGE_VERSION_LINE.length;
  let lineNo = 2;
  // The next line as latin1 text (every header byte must be ASCII, so a byte
  // above 0x7E fails the checks below), or null when the bytes end first.
  const nextLine = (): string | null => {
    const lf = buf.indexOf(0x0a, at);
    if (lf < 0) return null;
    const text = buf.toString("latin1", at, lf);
    at = lf + 1;
    return text;
  };
  for (;;) {
    const start = at;
    const line = nextLine();
    if (line === null) return lineNo;
    if (line.startsWith("---")) {
      if (stanzas.length === 0) return headerError("the header has no recipient stanza");
      const mac = line.startsWith("--- ") && line.length === 4 + 43 ? decodeBase64(line.slice(4)) : null;
      if (!mac) return headerError(`line ${lineNo}: the MAC line is not "--- " and 43 base64 characters`);
      return { stanzas, macAt: start, mac, length: at };
    }
    if (!line.startsWith("-> ")) return headerError(`line ${lineNo}: expected a stanza ("-> ") or the MAC line ("--- ")`);
    const args = line.slice(3).split(" ");
    if (!args.every((a) => VCHARS.test(a))) return headerError(`line ${lineNo}: stanza arguments must be non-empty printable ASCII separated by single spaces`);
    const stanzaLine = lineNo;
    lineNo++;
    // Body: full 64-column lines, then one shorter line (possibly empty).
    let body = "";
    for (;;) {
      const piece = nextLine();
      if (piece === null) return lineNo;
      if (piece.length > 64 || !BASE64_CHARS.test(piece)) return headerError(`line ${lineNo}: a stanza body line must be at most 64 base64 characters`);
      body += piece;
      lineNo++;
      if (piece.length < 64) break;
    }
    const decoded = decodeBase64(body);
    if (!decoded) return headerError(`line ${lineNo - 1}: the body of the stanza on line ${stanzaLine} is not canonical unpadded base64`);
    const stanza: AgeStanza = { type: args[0], args: args.slice(1), body: decoded };
    const bad = x25519StanzaProblem(stanza);
    if (bad) return headerError(`line ${stanzaLine}: ${bad}`);
    stanzas.push(stanza);
  }
}

/** Why an X25519 stanza breaks its type's rules (other types are not ours to judge). */
function x25519StanzaProblem(s: AgeStanza): string | undefined {
  if (s.type !== "X25519") return undefined;
  if (s.args.length !== 1) return `an X25519 stanza takes one argument (the ephemeral share), not ${s.args.length}`;
  if (decodeBase64(s.args[0])?.length !== 32) return "an X25519 stanza's share must be canonical base64 of 32 bytes";
  if (s.body.length !== 32) return `an X25519 stanza's body must be 32 bytes, not ${s.body.length}`;
  return undefined;
}

/**
 * "not-age" when the bytes so far cannot begin age v1's version line (or are
 * empty); "header" when they stop inside it; undefined when it is whole.
 */
function versionLineCheck(bytes: Uint8Array): AgeError | undefined {
  if (bytes.length === 0) return new AgeError("not-age", "empty file: not an age file");
  const n = Math.min(bytes.length, AGE_VERSION_LINE.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== AGE_VERSION_LINE.charCodeAt(i)) return new AgeError("not-age", "not an age v1 file: the first line is not \"age-encryption.org/v1\"");
  }
  if (bytes.length < AGE_VERSION_LINE.length) return headerError("the file ends inside the age version line");
  return undefined;
}

// ---- the file, read once ----------------------------------------------------

/** Sequential reads into one fixed buffer; every byte is hashed as it arrives. */
class Source {
  readonly buf = Buffer.alloc(READ_BUFFER_BYTES);
  /** Unconsumed bytes are buf[start, end). */
  start = 0;
  end = 0;
  eof = false;
  /** Bytes read from the file so far. */
  size = 0;
  private readonly hash: Hash = createHash("sha256");

  constructor(private readonly fh: FileHandle, private readonly path: string) {}

  get available(): number {
    return this.end - this.start;
  }

  /** File offset of buf[start]. */
  get position(): number {
    return this.size - this.available;
  }

  /** Reads until `want` (at most the buffer's size) bytes are unconsumed, or the file ends. */
  async fill(want: number): Promise<void> {
    if (this.available >= want || this.eof) return;
    if (this.start + want > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    while (this.available < want && !this.eof) await this.readMore();
  }

  consume(n: number): void {
    this.start += n;
  }

  /** Reads and hashes the rest of the file, keeping none of it. */
  async drain(): Promise<void> {
    this.start = this.end = 0;
    while (!this.eof) {
      await this.readMore();
      this.start = this.end = 0;
    }
  }

  digest(): Uint8Array {
    return new Uint8Array(this.hash.digest());
  }

  private async readMore(): Promise<void> {
    let n: number;
    try {
      // A blocking read: the verifier has nothing else to do meanwhile, and a
      // read through the thread pool costs more in hand-offs than the copy
      // from the page cache (a third of the verify time, measured).
      n = readSync(this.fh.fd, this.buf, this.end, this.buf.length - this.end, null);
    } catch (e) {
      throw ioError(this.path, e);
    }
    if (n === 0) {
      this.eof = true;
      return;
    }
    this.hash.update(this.buf.subarray(this.end, this.end + n));
    this.end += n;
    this.size += n;
  }
}

function ioError(path: string, e: unknown): SealcamError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : (e as Error).message;
  return new SealcamError(`${path}: ${why}`, EXIT.USAGE);
}

/**
 * Reads the header: buffers bytes until the line starting with `---` (a line
 * no stanza line can start with) and parses them. Never buffers more than
 * AGE_HEADER_MAX_BYTES; the header stays at buf[0, length) for the MAC check.
 */
async function readHeader(src: Source): Promise<AgeHeader | AgeError> {
  await src.fill(AGE_VERSION_LINE.length);
  const early = versionLineCheck(src.buf.subarray(0, Math.min(src.end, AGE_VERSION_LINE.length)));
  if (early) return early;
  let from = AGE_VERSION_LINE.length - 1;
  for (;;) {
    const limit = Math.min(src.end, AGE_HEADER_MAX_BYTES);
    const seen = src.buf.subarray(0, limit);
    const mark = seen.indexOf("\n---", from, "latin1");
    const lf = mark < 0 ? -1 : seen.indexOf(0x0a, mark + 1);
    if (lf >= 0) return parseAgeHeader(src.buf.subarray(0, lf + 1));
    if (src.eof || limit === AGE_HEADER_MAX_BYTES) {
      // Name the first bad line when there is one; else say where it stops.
      const partial = parseLines(seen);
      if (typeof partial !== "number") return partial;
      return src.eof ? cutHeader(partial) : headerError(`no MAC line within the first ${AGE_HEADER_MAX_BYTES} bytes`);
    }
    // Search again from the mark, or from where a mark could straddle the old end.
    from = mark >= 0 ? mark : Math.max(AGE_VERSION_LINE.length - 1, limit - 3);
    await src.fill(src.end + 1);
  }
}

// ---- keys ---------------------------------------------------------------------

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));
}

/**
 * ChaCha20-Poly1305 open of ciphertext ‖ tag, or null when the tag does not
 * match (the unauthenticated output is wiped, never returned).
 */
function open12(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < AGE_TAG_BYTES) return null;
  const cut = sealed.length - AGE_TAG_BYTES;
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: AGE_TAG_BYTES });
  d.setAuthTag(sealed.subarray(cut));
  const out = d.update(sealed.subarray(0, cut));
  try {
    d.final();
    return out;
  } catch {
    out.fill(0);
    return null;
  }
}

/**
 * The file key from the first X25519 stanza one of `identities` opens, or
 * null. A low-order share (all-zero shared secret) is no match. Shared
 * secrets and wrap keys are wiped.
 */
function unwrapFileKey(crypto: Crypto, stanzas: AgeStanza[], identities: Uint8Array[]): Buffer | null {
  const recipients = identities.map((id) => crypto.x25519Public(id));
  try {
    for (const s of stanzas) {
      if (s.type !== "X25519") continue;
      const share = decodeBase64(s.args[0])!;
      for (const [i, id] of identities.entries()) {
        const { shared, code } = crypto.x25519(id, share);
        // ERR_LOW_ORDER (all-zero shared secret) is the only failure x25519 reports.
        if (code !== 0) {
          shared.fill(0);
          continue;
        }
        const wrapKey = hkdf(shared, Buffer.concat([share, recipients[i]]), X25519_INFO);
        shared.fill(0);
        const fileKey = open12(wrapKey, ZERO_NONCE, s.body);
        wrapKey.fill(0);
        if (fileKey && fileKey.length === AGE_FILE_KEY_BYTES) return fileKey;
        fileKey?.fill(0);
      }
    }
    return null;
  } finally {
    // The facade leaves the last scalar and shared secret in the module's I/O
    // slots; an all-zero X25519 overwrites them (and yields zero, low order).
    crypto.x25519(new Uint8Array(32), new Uint8Array(32));
  }
}

function headerMacMatches(fileKey: Uint8Array, header: Uint8Array, h: AgeHeader): boolean {
  const key = hkdf(fileKey, new Uint8Array(0), HEADER_INFO);
  const mac = createHmac("sha256", key).update(header.subarray(0, h.macAt + 3)).digest();
  key.fill(0);
  return timingSafeEqual(mac, h.mac);
}

// ---- the payload ----------------------------------------------------------------

/**
 * Decrypts the STREAM payload at the source's position, chunk by chunk, each
 * delivered to `sink` once its tag checks. Returns the first failure, or null
 * when a chunk flagged last ended the file.
 *
 * Which chunk is last is known from one byte of look-ahead: a sealed chunk
 * shorter than 64 KiB + 16 must be the last; a full one may be either (age
 * allows a full-size last chunk), and the flag it authenticates under decides.
 */
async function readPayload(src: Source, fileKey: Uint8Array, sink: (plain: Uint8Array, last: boolean) => Promise<void>): Promise<AgeError | null> {
  await src.fill(AGE_NONCE_BYTES);
  if (src.available < AGE_NONCE_BYTES) {
    return new AgeError("truncated", src.available === 0 ? "no payload after the header" : "the file ends inside the payload nonce", 0);
  }
  const payloadKey = hkdf(fileKey, src.buf.subarray(src.start, src.start + AGE_NONCE_BYTES), PAYLOAD_INFO);
  src.consume(AGE_NONCE_BYTES);
  // 11-byte big-endian counter ‖ last flag; 6 counter bytes reach 2^48 chunks (16 EiB).
  const nonce = Buffer.alloc(12);
  const openChunk = (index: number, sealed: Uint8Array, last: boolean): Buffer | null => {
    nonce.writeUIntBE(index, 5, 6);
    nonce[11] = last ? 1 : 0;
    return open12(payloadKey, nonce, sealed);
  };
  try {
    for (let index = 0; ; index++) {
      await src.fill(AGE_SEALED_CHUNK_BYTES + 1);
      const n = Math.min(src.available, AGE_SEALED_CHUNK_BYTES);
      const more = src.available > AGE_SEALED_CHUNK_BYTES;
      const sealed = src.buf.subarray(src.start, src.start + n);
      const unreadable = (): AgeError => new AgeError("chunk", `payload chunk ${index} does not authenticate (altered, or the file was cut inside it)`, index);
      if (n === 0) {
        // Nothing after the nonce, or after a full chunk that opened as a middle one.
        const why = index === 0 ? "the payload holds no chunk (even an empty file has one)" : `the payload ends after chunk ${index - 1}, which is not marked last`;
        return new AgeError("truncated", why, index);
      }
      if (n < AGE_TAG_BYTES) return new AgeError("truncated", `the payload ends ${n} bytes into chunk ${index}, before its tag`, index);
      if (n < AGE_SEALED_CHUNK_BYTES) {
        const plain = openChunk(index, sealed, true);
        if (!plain) return unreadable();
        if (plain.length === 0 && index > 0) return new AgeError("chunk", `payload chunk ${index} is an empty last chunk after non-empty ones`, index);
        src.consume(n);
        await sink(plain, true);
        return null;
      }
      // A full chunk: try the flag the look-ahead suggests first.
      let plain = openChunk(index, sealed, !more);
      let last = !more;
      if (!plain) {
        plain = openChunk(index, sealed, more);
        last = more;
      }
      if (!plain) return unreadable();
      src.consume(n);
      await sink(plain, last);
      if (last && more) return new AgeError("trailing", `bytes after the last payload chunk, from file offset ${src.position}`);
      if (last) return null;
    }
  } finally {
    payloadKey.fill(0);
  }
}

// ---- the reader -----------------------------------------------------------------

/**
 * Reads `path` once, in constant memory (one 64 KiB chunk + tag at a time,
 * plus the header up to AGE_HEADER_MAX_BYTES, through one fixed 256 KiB read
 * buffer), hashing every byte. With
 * identities (32-byte X25519 scalars) it unwraps the file key, checks the
 * header MAC, and decrypts the STREAM payload chunk by chunk, handing each
 * authenticated plaintext chunk to onChunk (awaited) with last=true on the
 * final one. Without identities (an empty array) it only parses the header
 * and hashes: error stays null if the header parses.
 *
 * Content failures are in the result's `error`; a missing or unreadable file
 * throws SealcamError (EXIT.USAGE) naming it; an exception from onChunk
 * propagates. The file key, payload key and shared secrets are wiped.
 */
export async function readAgeFile(path: string, crypto: Crypto, identities: Uint8Array[], onChunk?: ChunkSink): Promise<AgeReadResult> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw ioError(path, e);
  }
  try {
    const src = new Source(fh, path);
    let plaintextBytes = 0;
    const sink = async (plain: Uint8Array, last: boolean): Promise<void> => {
      plaintextBytes += plain.length;
      if (onChunk) await onChunk(plain, last);
    };
    const header = await readHeader(src);
    let error: AgeError | null = header instanceof AgeError ? header : null;
    if (!(header instanceof AgeError)) {
      error = await readBody(src, header, crypto, identities, sink);
    }
    await src.drain();
    return {
      size: src.size,
      sha256: src.digest(),
      headerBytes: header instanceof AgeError ? 0 : header.length,
      stanzas: header instanceof AgeError ? 0 : header.stanzas.length,
      plaintextBytes,
      error,
    };
  } finally {
    await fh.close();
  }
}

/** Everything after a header that parsed: the file key, the MAC, the payload. */
async function readBody(
  src: Source, header: AgeHeader, crypto: Crypto, identities: Uint8Array[], sink: (plain: Uint8Array, last: boolean) => Promise<void>,
): Promise<AgeError | null> {
  if (identities.length === 0) return null;
  const fileKey = unwrapFileKey(crypto, header.stanzas, identities);
  if (!fileKey) {
    const x = header.stanzas.filter((s) => s.type === "X25519").length;
    return new AgeError("no-identity", `none of the ${identities.length} identities opens any of the ${x} X25519 stanzas`);
  }
  try {
    if (!headerMacMatches(fileKey, src.buf.subarray(0, header.length), header)) {
      return new AgeError("mac", "the header MAC does not match (the header was altered)");
    }
    src.consume(header.length);
    return await readPayload(src, fileKey, sink);
  } finally {
    fileKey.fill(0);
  }
}
