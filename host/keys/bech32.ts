// Bech32 (BIP 173): the text form of every sealcam and age key. Written from
// BIP 173's description: the checksum is the original Bech32 one (constant 1,
// not bech32m's), and, as age does, the 90-character limit is lifted. Data is
// 8-bit bytes regrouped into 5-bit words, the last word padded with zero bits.
//
//   <hrp> "1" <data words, one character each> <6 checksum characters>
//
// Decoding rejects mixed case, characters outside the alphabet, a bad
// checksum, an unexpected human-readable part (HRP) and non-zero or excess
// padding. Every failure is a SealcamError with EXIT.USAGE and a short
// lowercase message; callers add the file and line.
import { SealcamError, EXIT } from "../errors.ts";

/** The 32 data characters; a character's index is its 5-bit value. */
export const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/** Characters in the checksum. */
export const CHECKSUM_LENGTH = 6;

const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

const VALUES = new Map([...CHARSET].map((c, i) => [c, i]));

function fail(message: string): never {
  throw new SealcamError(message, EXIT.USAGE);
}

/** BIP 173's checksum polynomial over 5-bit values, modulo its generator. */
function polymod(values: Iterable<number>): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ GENERATOR[i]) >>> 0;
  }
  return chk;
}

/** The HRP as the checksum sees it: high bits of each character, 0, low bits. */
function expandHrp(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function checkHrp(hrp: string): void {
  if (hrp.length === 0) fail("bech32: empty human-readable part");
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) fail(`bech32: character ${describe(hrp[i])} not allowed in the human-readable part`);
  }
}

function describe(c: string): string {
  const code = c.codePointAt(0)!;
  return code >= 33 && code <= 126 ? `'${c}'` : `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Bech32 string of 5-bit `words` under `hrp`, in the case of `hrp` (the
 * checksum is computed over the lowercase form, as BIP 173 requires).
 */
export function encodeWords(hrp: string, words: ArrayLike<number>): string {
  checkHrp(hrp);
  const lower = hrp.toLowerCase();
  if (hrp !== lower && hrp !== hrp.toUpperCase()) fail("bech32: mixed-case human-readable part");
  for (let i = 0; i < words.length; i++) if (words[i] >>> 5 !== 0 || !Number.isInteger(words[i])) fail("bech32: word out of range");
  const values = [...expandHrp(lower), ...Array.from(words), 0, 0, 0, 0, 0, 0];
  const mod = polymod(values) ^ 1;
  let text = lower + "1";
  for (let i = 0; i < words.length; i++) text += CHARSET[words[i]];
  for (let i = 0; i < CHECKSUM_LENGTH; i++) text += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return hrp === lower ? text : text.toUpperCase();
}

/**
 * Splits a Bech32 string into its HRP (in the case it was written) and its
 * 5-bit data words, after checking case, characters and checksum. No length
 * limit.
 */
export function decodeWords(text: string): { hrp: string; words: Uint8Array } {
  // Printable ASCII only, so that the case tests below are ASCII case tests.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126) fail(`bech32: invalid character ${describe(text[i])} at position ${i + 1}`);
  }
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) fail("bech32: mixed case");
  const sep = text.lastIndexOf("1");
  if (sep < 0) fail("bech32: no separator '1'");
  const hrp = text.slice(0, sep);
  checkHrp(hrp);
  const data = lower.slice(sep + 1);
  if (data.length < CHECKSUM_LENGTH) fail("bech32: checksum too short");
  const words = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = VALUES.get(data[i]);
    if (v === undefined) fail(`bech32: invalid character ${describe(text[sep + 1 + i])} at position ${sep + 2 + i}`);
    words[i] = v;
  }
  if (polymod([...expandHrp(hrp.toLowerCase()), ...words]) !== 1) fail("bech32: checksum does not match (mistyped or damaged)");
  return { hrp, words: words.subarray(0, words.length - CHECKSUM_LENGTH) };
}

/** Regroups 8-bit bytes into 5-bit words, zero-padding the last word. */
export function toWords(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out[n++] = (acc >>> bits) & 31;
    }
  }
  if (bits > 0) out[n++] = (acc << (5 - bits)) & 31;
  return out;
}

/**
 * Regroups 5-bit words into 8-bit bytes. The padding left over must be fewer
 * than 5 bits and all zero (BIP 173's rule for 8-bit payloads).
 */
export function fromWords(words: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((words.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (const w of words) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >>> bits) & 0xff;
    }
  }
  if (bits >= 5) fail("bech32: excess padding");
  if ((acc << (8 - bits)) & 0xff) fail("bech32: non-zero padding");
  return out;
}

/**
 * Bech32 string of `bytes` under `hrp`. The result is uppercase when `hrp`
 * is (age identities, sealcam device keys), lowercase otherwise.
 */
export function encode(hrp: string, bytes: Uint8Array): string {
  return encodeWords(hrp, toWords(bytes));
}

/**
 * The bytes of a Bech32 string whose HRP must be exactly `hrp`, case included
 * (a secret key written in lowercase, or a public key in uppercase, is
 * refused, as age refuses it).
 */
export function decode(text: string, hrp: string): Uint8Array {
  const got = decodeWords(text);
  if (got.hrp !== hrp) {
    if (got.hrp.toLowerCase() === hrp.toLowerCase()) {
      fail(`'${hrp}1…' must be written in ${hrp === hrp.toUpperCase() ? "uppercase" : "lowercase"}`);
    }
    fail(`expected '${hrp}1…', found '${got.hrp}1…'`);
  }
  return fromWords(got.words);
}
