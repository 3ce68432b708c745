// host/custody/age.ts, the custody tools' age reader, against files made by
// other people's tools (stock `age -r`, typage, and `sealcam record` segments
// decrypted by `age -d` for comparison) and against each way such a file can
// be damaged: every failure reason is produced from a real file, and every
// result's size and SHA-256 must describe the whole file on disk (node:crypto
// over its bytes). A 256 MiB file checks that decryption runs in constant
// memory. Tests that need the age CLI skip without it, unless
// SEALCAM_REQUIRE_ALL=1, where they fail.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { readAgeFile, AgeError, decodeBase64, type AgeFailure, type AgeReadResult } from "../host/custody/age.ts";
import { parseIdentity } from "../host/keys/age.ts";
import { SealcamError, EXIT } from "../host/errors.ts";
import type { Crypto } from "../host/engine/crypto.ts";
import { loadCrypto, REQUIRE_ALL } from "./helpers/module.ts";
import { sealcam } from "./helpers/cli.ts";
import { x25519 } from "@noble/curves/ed25519.js";
import {
  craftAge, x25519Stanza, chunksOf, type CraftChunk,
  AGE_TOOLS, ageKeygen, ageEncrypt, ageEncryptZeros, ageDecrypt, ageDecryptTimed, headerLength, editHeader, flipBit, put, type AgeKey,
} from "./helpers/agefiles.ts";

const CHUNK = 64 * 1024;
const SEALED = CHUNK + 16;
const MIB = 1024 * 1024;
const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64").replace(/=+$/, "");

const skip = !AGE_TOOLS && !REQUIRE_ALL ? "needs the age CLI and age-keygen (apt-get install age)" : false;
if (skip) console.log(`# custody-age tests that need the age CLI skipped: ${skip}`);
if (!AGE_TOOLS && REQUIRE_ALL) {
  it("has the age CLI (SEALCAM_REQUIRE_ALL=1)", () => assert.fail("age and age-keygen are required: apt-get install age"));
}

let crypto: Crypto;
let dir: string;
let serial = 0;
before(async () => {
  crypto = await loadCrypto("release");
  dir = mkdtempSync(join(tmpdir(), "sealcam-custody-age-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Read {
  r: AgeReadResult;
  chunks: Buffer[];
  lasts: boolean[];
  plain: Buffer;
}

/**
 * readAgeFile on `file` (a path, or bytes written to a fresh file) with the
 * checks every read must pass: size and SHA-256 of the whole file, the
 * plaintext count, full chunks before the last, and the last flag only on the
 * final chunk of a clean read.
 */
async function read(file: string | Uint8Array, ids: Uint8Array[]): Promise<Read> {
  const path = typeof file === "string" ? file : put(dir, `case-${serial++}.age`, file);
  const bytes = readFileSync(path);
  const chunks: Buffer[] = [];
  const lasts: boolean[] = [];
  const r = await readAgeFile(path, crypto, ids, (plain, last) => {
    chunks.push(Buffer.from(plain));
    lasts.push(last);
  });
  assert.equal(r.size, bytes.length, "size is the whole file's");
  assert.equal(Buffer.from(r.sha256).toString("hex"), sha256(bytes).toString("hex"), "sha256 is the whole file's");
  const plain = Buffer.concat(chunks);
  assert.equal(r.plaintextBytes, plain.length, "plaintextBytes counts what onChunk got");
  chunks.slice(0, -1).forEach((c, i) => assert.equal(c.length, CHUNK, `chunk ${i} before the last is full`));
  assert.ok(!lasts.slice(0, -1).includes(true), "only the final chunk delivered may be marked last");
  if (ids.length === 0) assert.equal(chunks.length, 0, "no onChunk call without identities");
  if (r.error === null && ids.length > 0) assert.equal(lasts.at(-1), true, "a clean read ends on a chunk marked last");
  if (r.error !== null && r.error.reason !== "trailing") assert.ok(!lasts.includes(true), "no chunk marked last before a failure");
  if (r.error === null || !["not-age", "header"].includes(r.error.reason)) assert.ok(r.headerBytes > 0 && r.stanzas > 0);
  return { r, chunks, lasts, plain };
}

/** The read failed for `reason` (at `chunk`, when given), and onChunk got exactly `delivered`. */
function failed(x: Read, reason: AgeFailure, opts: { chunk?: number; delivered?: Uint8Array; message?: RegExp } = {}): void {
  assert.ok(x.r.error instanceof AgeError, `expected ${reason}, got no error`);
  assert.equal(x.r.error.reason, reason, `reason (message: ${x.r.error.message})`);
  assert.ok(x.r.error.message.length > 0 && !x.r.error.message.includes("\n"), "one-line message");
  if (opts.chunk !== undefined) {
    assert.equal(x.r.error.chunk, opts.chunk, "failing chunk");
    assert.equal(x.r.error.offset, opts.chunk * CHUNK, "its plaintext offset");
  }
  if (opts.message) assert.match(x.r.error.message, opts.message);
  if (opts.delivered) assert.ok(x.plain.equals(opts.delivered), `delivered ${x.plain.length} bytes, expected ${opts.delivered.length}`);
  if (reason === "not-age" || reason === "header") {
    assert.equal(x.r.headerBytes, 0);
    assert.equal(x.r.stanzas, 0);
  }
}

const ok = (x: Read, plain: Uint8Array): void => {
  assert.equal(x.r.error, null, x.r.error?.message);
  assert.ok(x.plain.equals(plain), `plaintext of ${x.plain.length} bytes, expected ${plain.length}`);
};

// ---- without the age CLI -----------------------------------------------------

describe("readAgeFile: other writers and non-age input", () => {
  it("reads files typage wrote, and finds no identity in its passphrase (scrypt) file", async () => {
    const identity = await generateX25519Identity();
    const scalar = parseIdentity(identity);
    for (const size of [0, 100, CHUNK, CHUNK + 1, 3 * CHUNK + 5]) {
      const e = new Encrypter();
      e.addRecipient(await identityToRecipient(identity));
      const plain = randomBytes(size);
      const file = await e.encrypt(plain);
      const x = await read(file, [scalar]);
      ok(x, plain);
      assert.equal(x.r.stanzas, 1);
      assert.equal(x.chunks.length, Math.max(1, Math.ceil(size / CHUNK)));
    }
    const p = new Encrypter();
    p.setPassphrase("custody");
    p.setScryptWorkFactor(4);
    const scrypt = await p.encrypt(randomBytes(10));
    failed(await read(scrypt, [scalar]), "no-identity");
    const parsed = await read(scrypt, []);
    assert.equal(parsed.r.error, null, "an scrypt stanza is a well-formed stanza");
  });

  it("calls random bytes, a text file and an empty file not age", async () => {
    const noise = randomBytes(5000);
    noise[0] = 0xff; // never the "a" age files start with
    failed(await read(noise, []), "not-age");
    failed(await read(noise, [randomBytes(32)]), "not-age");
    failed(await read(Buffer.from("custody log\nitem 1: body-worn camera\n"), [randomBytes(32)]), "not-age");
    failed(await read(new Uint8Array(0), [randomBytes(32)]), "not-age");
    failed(await read(Buffer.from("age-encryption.org/v2\n-> X25519 abc\n\n--- x\n"), []), "not-age");
    failed(await read(Buffer.from("age-encryption.org/v1\r\n"), []), "not-age");
    failed(await read(Buffer.from("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n"), []), "not-age");
    // A 1 MiB file with the version line and no header after it stops at the bound.
    const endless = Buffer.concat([Buffer.from("age-encryption.org/v1\n-> a\n"), Buffer.alloc(MIB, 0x41)]);
    failed(await read(endless, []), "header");
  });

  it("throws SealcamError (exit 2) naming a missing or unreadable file", async () => {
    const missing = join(dir, "nope", "segment.age");
    await assert.rejects(readAgeFile(missing, crypto, []), (e: unknown) => {
      assert.ok(e instanceof SealcamError);
      assert.equal(e.exitCode, EXIT.USAGE);
      assert.ok(e.message.includes(missing) && !e.message.includes("\n"), e.message);
      return true;
    });
    const folder = join(dir, "a-folder.age");
    mkdirSync(folder);
    await assert.rejects(readAgeFile(folder, crypto, []), (e: unknown) => e instanceof SealcamError && e.exitCode === EXIT.USAGE && e.message.includes(folder));
  });

  describe("files stock tools never write (written here from the spec)", () => {
    const scalar = new Uint8Array(randomBytes(32));
    const recipient = x25519.getPublicKey(scalar);
    const fileKey = randomBytes(16);
    const plain = randomBytes(CHUNK + 500);

    it("the writer's own file reads cleanly (the control)", async () => {
      ok(await read(craftAge(fileKey, x25519Stanza(fileKey, recipient), chunksOf(plain)), [scalar]), plain);
      ok(await read(craftAge(fileKey, x25519Stanza(fileKey, recipient), chunksOf(new Uint8Array(0))), [scalar]), new Uint8Array(0));
    });

    it("refuses a stanza sealed to a low-order share (all-zero shared secret)", async () => {
      for (const share of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
        const low = x25519Stanza(fileKey, recipient, { share, shared: new Uint8Array(32) });
        failed(await read(craftAge(fileKey, low, chunksOf(plain)), [scalar]), "no-identity");
        // Next to a good stanza, the good one opens the file.
        ok(await read(craftAge(fileKey, [...low, ...x25519Stanza(fileKey, recipient)], chunksOf(plain)), [scalar]), plain);
      }
    });

    it("checks each chunk's counter and last flag, and refuses an empty last chunk after data", async () => {
      const full = plain.subarray(0, CHUNK);
      const rest = plain.subarray(CHUNK);
      const file = (chunks: CraftChunk[]) => craftAge(fileKey, x25519Stanza(fileKey, recipient), chunks);
      failed(await read(file([{ plain: full, last: false }, { plain: new Uint8Array(0), last: true }]), [scalar]), "chunk", { chunk: 1, delivered: full });
      failed(await read(file([{ plain: full, last: false }, { plain: rest, last: false }]), [scalar]), "chunk", { chunk: 1, delivered: full });
      failed(await read(file([{ plain: full, last: false }, { plain: rest, last: true, counter: 2 }]), [scalar]), "chunk", { chunk: 1, delivered: full });
      failed(await read(file([{ plain: full, last: true, counter: 1 }]), [scalar]), "chunk", { chunk: 0, delivered: Buffer.alloc(0) });
      failed(await read(file([{ plain: full, last: false }]), [scalar]), "truncated", { chunk: 1, delivered: full });
      const x = await read(file([{ plain: full, last: true }, { plain: rest, last: true }]), [scalar]);
      failed(x, "trailing", { delivered: full });
    });

    it("reads a valid header of almost 64 KiB; one just over is refused before any key is tried", async () => {
      const grease = (lines: number) => ["-> grease.example/x !#$%&'()*+,-./:;<=>?@[]^_`{|}~", ...Array(lines).fill("A".repeat(64)), ""];
      const near = craftAge(fileKey, [...grease(1000), ...x25519Stanza(fileKey, recipient)], chunksOf(plain));
      const ok64 = await read(near, [scalar]);
      ok(ok64, plain);
      assert.ok(ok64.r.headerBytes > 63 * 1024 && ok64.r.headerBytes <= 64 * 1024, `header of ${ok64.r.headerBytes} bytes`);
      assert.equal(ok64.r.stanzas, 2);
      const over = craftAge(fileKey, [...grease(1010), ...x25519Stanza(fileKey, recipient)], chunksOf(plain));
      failed(await read(over, [scalar]), "header");
    });
  });

  it("decodes only canonical unpadded base64", () => {
    assert.deepEqual(decodeBase64(""), new Uint8Array(0));
    assert.deepEqual(decodeBase64("AAEC"), new Uint8Array([0, 1, 2]));
    assert.deepEqual(decodeBase64("AAE"), new Uint8Array([0, 1]));
    for (const bad of ["AAE=", "AAF", "A", "AA==", "AA A", "AA-_", "AAEC\n"]) assert.equal(decodeBase64(bad), null, bad);
  });
});

// ---- stock age ---------------------------------------------------------------------

describe("readAgeFile: files from stock age", { skip }, () => {
  let keys: AgeKey[];
  let stranger: AgeKey;
  before(() => {
    keys = [0, 1, 2].map((i) => ageKeygen(dir, `force-${i}`));
    stranger = ageKeygen(dir, "stranger");
  });

  it("returns exactly the plaintext, 1 and 3 recipients, sizes 0 to 200 KiB", async () => {
    for (const recipients of [[keys[0]], [keys[1], keys[2], keys[0]]]) {
      for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 200 * 1024]) {
        const plain = randomBytes(size);
        const file = ageEncrypt(recipients.map((k) => k.recipient), plain, join(dir, `interop-${recipients.length}-${size}.age`));
        for (const ids of [[keys[0].scalar], [stranger.scalar, keys[0].scalar], keys.map((k) => k.scalar)]) {
          const x = await read(file, ids);
          ok(x, plain);
          assert.equal(x.r.headerBytes, headerLength(file));
          assert.equal(x.r.stanzas, recipients.length);
          assert.equal(x.chunks.length, Math.max(1, Math.ceil(size / CHUNK)));
        }
        const bare = await read(file, []);
        assert.equal(bare.r.error, null);
        assert.equal(bare.r.headerBytes, headerLength(file));
        assert.equal(bare.r.stanzas, recipients.length);
      }
    }
  });

  it("reads `sealcam record` segments as `age -d` does, matching their manifests", async () => {
    const out = join(dir, "recording");
    const r = sealcam("record", "--recipient", keys[0].recipient, "--recipient", keys[1].recipient, "--out", out, "--seconds", "3", "--segment-seconds", "1");
    assert.equal(r.code, 0, r.err);
    const segments = readdirSync(out).filter((f) => f.endsWith(".age")).sort();
    assert.ok(segments.length >= 2, `segments: ${segments}`);
    let multiChunk = false;
    for (const name of segments) {
      const path = join(out, name);
      const x = await read(path, [keys[1].scalar]);
      const expected = ageDecrypt(keys[1].file, path);
      ok(x, expected);
      assert.equal(x.plain.subarray(0, 8).toString("latin1"), "SCAMSEG1");
      assert.equal(x.r.stanzas, 2);
      const manifest = JSON.parse(readFileSync(path.replace(/\.age$/, ".manifest.json"), "utf8"));
      assert.equal(manifest.age_bytes, x.r.size);
      assert.equal(manifest.age_sha256, Buffer.from(x.r.sha256).toString("hex"));
      multiChunk ||= x.chunks.length > 1;
    }
    assert.ok(multiChunk, "at least one segment spans more than one chunk");
  });

  describe("failures, each made from a real file", () => {
    // Four chunks, the last short; two stanzas (keys[0], keys[1]).
    let plain: Buffer;
    let base: Buffer;
    let H: number;
    let id: Uint8Array[];
    const chunkAt = (i: number): number => H + 16 + i * SEALED;
    before(() => {
      plain = randomBytes(3 * CHUNK + 1000);
      base = ageEncrypt([keys[0].recipient, keys[1].recipient], plain, join(dir, "base.age"));
      H = headerLength(base);
      id = [keys[0].scalar];
    });

    it("the base file reads cleanly (the control for every case below)", async () => {
      ok(await read(base, id), plain);
      ok(await read(base, [keys[1].scalar]), plain);
    });

    it("header: cut at several points", async () => {
      const lines = base.subarray(0, H).toString("latin1").split("\n");
      const lineStart = (n: number): number => lines.slice(0, n).join("\n").length + 1;
      const cuts = [10, 22, 30, lineStart(2) + 5, lineStart(3) + 20, lineStart(lines.length - 2), H - 10, H - 1];
      for (const cut of cuts) {
        failed(await read(base.subarray(0, cut), id), "header");
        failed(await read(base.subarray(0, cut), []), "header");
      }
    });

    it("header: base64 bodies that are bad, padded, non-canonical or wrapped wrong", async () => {
      const body = (edit: (line: string) => string) => editHeader(base, (l) => (l[2] = edit(l[2]), l));
      const cases: [string, Buffer][] = [
        ["a character outside base64", body((s) => s.slice(0, 5) + "*" + s.slice(6))],
        ["padded", body((s) => s + "=")],
        // 43 characters carry 32 bytes and 2 spare bits, which must be zero.
        ["unused bits set", body((s) => s.slice(0, -1) + ALPHABET[ALPHABET.indexOf(s.at(-1)!) | 1])],
        ["a CR before the LF", body((s) => s + "\r")],
        ["a final line of 64 characters", editHeader(base, (l) => (l.splice(1, 0, "-> grease x", "A".repeat(64)), l))],
        ["a body line of 65 characters", editHeader(base, (l) => (l.splice(1, 0, "-> grease x", "A".repeat(65), ""), l))],
        ["no final body line", editHeader(base, (l) => (l.splice(2, 1), l))],
      ];
      for (const [what, file] of cases) {
        const x = await read(file, id);
        assert.equal(x.r.error?.reason, "header", `${what}: ${x.r.error?.message}`);
        failed(x, "header");
      }
      // The control: the same grease stanza with its empty final line parses.
      const greased = editHeader(base, (l) => (l.splice(1, 0, "-> grease x", "A".repeat(64), ""), l));
      const g = await read(greased, []);
      assert.equal(g.r.error, null, g.r.error?.message);
      assert.equal(g.r.stanzas, 3);
    });

    it("header: bad stanza lines and arguments, a bad MAC line, no stanza, too long", async () => {
      const share = (): string => base.subarray(0, H).toString("latin1").split("\n")[1].split(" ")[2];
      const arg = (line: string) => editHeader(base, (l) => (l[1] = line, l));
      const cases: [string, Buffer][] = [
        ["two spaces", arg(`->  X25519 ${share()}`)],
        ["a trailing space", arg(`-> X25519 ${share()} `)],
        ["no argument", arg("-> ")],
        ["no space after ->", arg(`->X25519 ${share()}`)],
        ["a tab in an argument", arg(`-> X25519\t${share()}`)],
        ["X25519 with two arguments", arg(`-> X25519 ${share()} extra`)],
        ["X25519 without its share", arg("-> X25519")],
        ["an X25519 share of 31 bytes", arg(`-> X25519 ${b64(randomBytes(31))}`)],
        ["a non-canonical X25519 share", arg(`-> X25519 ${share()}=`)],
        ["an X25519 body of 33 bytes", editHeader(base, (l) => (l[2] = b64(randomBytes(33)), l))],
        ["a line that is neither stanza nor MAC", arg(`=> X25519 ${share()}`)],
        ["a non-ASCII byte", arg(`-> X25519 ${share()}\u00e9`)],
        ["MAC without its space", editHeader(base, (l) => (l[l.length - 1] = "---" + l.at(-1)!.slice(4), l))],
        ["MAC of 42 characters", editHeader(base, (l) => (l[l.length - 1] = l.at(-1)!.slice(0, -1), l))],
        ["MAC padded", editHeader(base, (l) => (l[l.length - 1] = l.at(-1)! + "=", l))],
        ["no stanza", editHeader(base, (l) => [l[0], l.at(-1)!])],
        ["a 70 KiB stanza", editHeader(base, (l) => (l.splice(1, 0, "-> grease", ...Array(1120).fill("A".repeat(64)), ""), l))],
      ];
      for (const [what, file] of cases) {
        const x = await read(file, id);
        assert.equal(x.r.error?.reason, "header", `${what}: ${x.r.error?.message}`);
        failed(x, "header");
        assert.equal((await read(file, [])).r.error?.reason, "header", `${what}, without identities`);
      }
      // Just under the bound still parses.
      const big = editHeader(base, (l) => (l.splice(1, 0, "-> grease", ...Array(950).fill("A".repeat(64)), ""), l));
      assert.ok(headerLength(big) < 64 * 1024);
      assert.equal((await read(big, [])).r.error, null);
    });

    it("no-identity: a stranger's identity, low-order shares, only other stanza types", async () => {
      failed(await read(base, [stranger.scalar]), "no-identity");
      failed(await read(base, [stranger.scalar, keys[2].scalar]), "no-identity");
      // u = 0 and u = 1 are low-order points: the shared secret is all zero.
      for (const u of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
        const low = editHeader(base, (l) => l.map((s) => (s.startsWith("-> X25519 ") ? `-> X25519 ${b64(u)}` : s)));
        failed(await read(low, [keys[0].scalar, keys[1].scalar]), "no-identity");
      }
      const other = editHeader(base, (l) => l.map((s) => (s.startsWith("-> X25519 ") ? s.replace("X25519", "example.org/other") : s)));
      failed(await read(other, [keys[0].scalar, keys[1].scalar]), "no-identity");
    });

    it("mac: a MAC character changed, another recipient's stanza altered, stanzas reordered", async () => {
      const mac = editHeader(base, (l) => {
        const m = l.at(-1)!;
        l[l.length - 1] = m.slice(0, 14) + (m[14] === "A" ? "B" : "A") + m.slice(15);
        return l;
      });
      failed(await read(mac, id), "mac", { delivered: Buffer.alloc(0) });
      // keys[1]'s stanza (lines 3-4) gets another share; keys[0]'s still opens.
      const other = editHeader(base, (l) => (l[3] = `-> X25519 ${b64(randomBytes(32))}`, l));
      failed(await read(other, id), "mac");
      const swapped = editHeader(base, (l) => [l[0], l[3], l[4], l[1], l[2], l[5]]);
      failed(await read(swapped, id), "mac");
      // An added stanza of another type is covered too.
      failed(await read(editHeader(base, (l) => (l.splice(1, 0, "-> grease", ""), l)), id), "mac");
    });

    it("chunk: a bit flipped in chunk 0, chunk 2, a tag, the last chunk, the nonce; chunks swapped", async () => {
      failed(await read(flipBit(base, chunkAt(0) + 100), id), "chunk", { chunk: 0, delivered: Buffer.alloc(0) });
      failed(await read(flipBit(base, chunkAt(2) + 100, 7), id), "chunk", { chunk: 2, delivered: plain.subarray(0, 2 * CHUNK) });
      failed(await read(flipBit(base, chunkAt(2) - 1), id), "chunk", { chunk: 1, delivered: plain.subarray(0, CHUNK) });
      failed(await read(flipBit(base, base.length - 1), id), "chunk", { chunk: 3, delivered: plain.subarray(0, 3 * CHUNK) });
      failed(await read(flipBit(base, H + 3), id), "chunk", { chunk: 0, delivered: Buffer.alloc(0) });
      const swapped = Buffer.concat([
        base.subarray(0, chunkAt(1)), base.subarray(chunkAt(2), chunkAt(3)), base.subarray(chunkAt(1), chunkAt(2)), base.subarray(chunkAt(3)),
      ]);
      failed(await read(swapped, id), "chunk", { chunk: 1, delivered: plain.subarray(0, CHUNK) });
      // Without identities the payload is not read: no failure.
      assert.equal((await read(flipBit(base, chunkAt(0) + 100), [])).r.error, null);
    });

    it("truncated: cut at a chunk boundary, inside a tag's length, after the nonce, inside it, after the header", async () => {
      failed(await read(base.subarray(0, chunkAt(2)), id), "truncated", { chunk: 2, delivered: plain.subarray(0, 2 * CHUNK), message: /after chunk 1, which is not marked last/ });
      failed(await read(base.subarray(0, chunkAt(1)), id), "truncated", { chunk: 1, delivered: plain.subarray(0, CHUNK) });
      failed(await read(base.subarray(0, chunkAt(2) + 10), id), "truncated", { chunk: 2, delivered: plain.subarray(0, 2 * CHUNK) });
      failed(await read(base.subarray(0, H + 16), id), "truncated", { chunk: 0, delivered: Buffer.alloc(0), message: /no chunk/ });
      failed(await read(base.subarray(0, H + 7), id), "truncated", { chunk: 0, message: /nonce/ });
      failed(await read(base.subarray(0, H), id), "truncated", { chunk: 0, message: /no payload/ });
      // Cut further into a chunk, the bytes left cannot be told from an altered
      // last chunk: the chunk's tag fails.
      failed(await read(base.subarray(0, chunkAt(2) + 1000), id), "chunk", { chunk: 2, delivered: plain.subarray(0, 2 * CHUNK) });
      // A file of full chunks cut after its second-to-last chunk.
      const full = randomBytes(3 * CHUNK);
      const f = ageEncrypt([keys[0].recipient], full, join(dir, "full.age"));
      failed(await read(f.subarray(0, headerLength(f) + 16 + 2 * SEALED), id), "truncated", { chunk: 2, delivered: full.subarray(0, 2 * CHUNK) });
    });

    it("trailing: bytes after a full-size last chunk; after a short one the last chunk fails", async () => {
      for (const size of [CHUNK, 3 * CHUNK]) {
        const p = randomBytes(size);
        const f = ageEncrypt([keys[0].recipient], p, join(dir, `trail-${size}.age`));
        for (const extra of [Buffer.of(0), randomBytes(100), randomBytes(SEALED + 5)]) {
          const x = await read(Buffer.concat([f, extra]), id);
          failed(x, "trailing", { delivered: p });
          assert.equal(x.lasts.at(-1), true, "the last chunk was delivered, marked last");
        }
      }
      failed(await read(Buffer.concat([base, Buffer.of(0)]), id), "chunk", { chunk: 3, delivered: plain.subarray(0, 3 * CHUNK) });
    });

    it("propagates an exception from onChunk, after the chunks before it", async () => {
      const path = put(dir, "throws.age", base);
      let calls = 0;
      const boom = new Error("sink failed");
      await assert.rejects(readAgeFile(path, crypto, id, () => {
        if (++calls === 2) throw boom;
      }), (e) => e === boom);
      assert.equal(calls, 2);
      await assert.rejects(readAgeFile(path, crypto, id, async () => Promise.reject(boom)), (e) => e === boom);
    });

    it("leaves no copy of the identity in the module's memory", async () => {
      await read(base, id);
      const memory = Buffer.from(crypto.instance.memory.buffer);
      assert.equal(memory.indexOf(Buffer.from(keys[0].scalar)), -1);
    });
  });

  it("decrypts 256 MiB in constant memory (and times it against `age -d`)", async (t) => {
    const size = 256 * MIB;
    const key = ageKeygen(dir, "big");
    const path = join(dir, "big.age");
    ageEncryptZeros(key.recipient, size, path);
    const zeros = Buffer.alloc(CHUNK);
    let nonZero = 0;
    let chunks = 0;
    let baseline = 0;
    let peak = 0;
    const t0 = process.hrtime.bigint();
    const r = await readAgeFile(path, crypto, [key.scalar], (plain) => {
      if (!Buffer.from(plain.buffer, plain.byteOffset, plain.length).equals(zeros)) nonZero++;
      chunks++;
      if (chunks % 64 === 0) {
        const rss = process.memoryUsage().rss;
        if (chunks === 64) baseline = rss;
        peak = Math.max(peak, rss);
      }
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(r.error, null, r.error?.message);
    assert.equal(r.plaintextBytes, size);
    assert.equal(chunks, size / CHUNK);
    assert.equal(nonZero, 0, "every chunk is 64 KiB of zeros");
    const growth = (peak - baseline) / MIB;
    assert.ok(growth < 64, `rss grew ${growth.toFixed(1)} MiB while decrypting 256 MiB`);
    const cli = ageDecryptTimed(key.file, path);
    assert.equal(cli.bytes, size);
    t.diagnostic(`readAgeFile ${(r.size / MIB / seconds).toFixed(0)} MiB/s (${seconds.toFixed(2)} s), age -d ${(r.size / MIB / cli.seconds).toFixed(0)} MiB/s (${cli.seconds.toFixed(2)} s), rss growth ${growth.toFixed(1)} MiB`);
    rmSync(path);
  });
});
