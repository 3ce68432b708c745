// Keys: Bech32 against BIP 173's vectors; age identities and recipients
// against the age and age-keygen CLIs (Debian's `age` package) and typage;
// sealcam's device key files; `sealcam keygen` end to end, its refusal to
// overwrite, and clean one-line errors (EXIT.USAGE) for malformed key files.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ed25519 as nobleEd25519 } from "@noble/curves/ed25519.js";
import * as typage from "age-encryption";
import { SealcamError, EXIT } from "../host/errors.ts";
import { CHARSET, decodeWords, encodeWords, fromWords, toWords, encode, decode } from "../host/keys/bech32.ts";
import {
  formatIdentity, parseIdentity, formatRecipient, parseRecipient, parseIdentityFile, readIdentityFile, recipientOf,
  formatDeviceKey, parseDeviceKey, formatDevicePublicKey, parseDevicePublicKey, devicePublicKey, deviceFingerprint,
  deviceKeyFileText, readDeviceKey, loadDeviceKey, writeDeviceKey, writeForceIdentity, writeKeyFile,
} from "../host/keys/index.ts";
import type { Crypto } from "../host/engine/crypto.ts";
import { loadCrypto, REQUIRE_ALL, hex } from "./helpers/module.ts";
import { sealcam, assertCleanError } from "./helpers/cli.ts";

/** `fn` must throw a one-line SealcamError with EXIT.USAGE matching `pattern`. */
function assertUsageError(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SealcamError, `a SealcamError, got ${e}`);
    assert.equal(e.exitCode, EXIT.USAGE, `exit code of: ${e.message}`);
    assert.doesNotMatch(e.message, /\n/, "one line");
    assert.match(e.message, pattern);
    return true;
  });
}

// ---- the age CLI ------------------------------------------------------------

function hasTool(name: string): boolean {
  const r = spawnSync(name, ["--version"], { encoding: "utf8" });
  return !r.error;
}

const AGE = hasTool("age") && hasTool("age-keygen");

/** True when age and age-keygen are installed; else skips (or fails under SEALCAM_REQUIRE_ALL=1). */
function needAge(t: { skip(message?: string): void }): boolean {
  if (AGE) return true;
  if (REQUIRE_ALL) assert.fail("age and age-keygen are required (SEALCAM_REQUIRE_ALL=1): apt-get install age");
  t.skip("age and age-keygen not installed (apt-get install age); skipped");
  return false;
}

function run(cmd: string, args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(cmd, args, { input, timeout: 60_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** `text` as a literal in a RegExp. */
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const ageKeygenY = (file: string): string[] => run("age-keygen", ["-y", file]).toString("utf8").trim().split("\n");

// ---- set-up -------------------------------------------------------------------

let crypto: Crypto;
let tmp: string;
let n = 0;
const fresh = (name = "d"): string => join(tmp, `${name}-${n++}`);

before(async () => {
  crypto = await loadCrypto("release");
  tmp = mkdtempSync(join(tmpdir(), "sealcam-keys-"));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

// ---- Bech32 ---------------------------------------------------------------------

// BIP 173, "Test vectors": valid Bech32 strings (checksum level).
const BIP173_VALID = [
  "A12UEL5L",
  "a12uel5l",
  "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
  "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
  "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
  "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
  "?1ezyfcl",
];

// BIP 173, "Test vectors": invalid Bech32 strings, with the BIP's reason. The
// 84-character HRP case (invalid only for length) is left out: age, and so
// sealcam, lifts the 90-character limit; it is checked on its own below.
const BIP173_INVALID: [string, string, RegExp][] = [
  ["\x201nwldj5", "HRP character out of range", /invalid character U\+0020/],
  ["\x7f1axkwrx", "HRP character out of range", /invalid character U\+007F/],
  ["\x801eym55h", "HRP character out of range", /invalid character U\+0080/],
  ["pzry9x0s0muk", "no separator character", /no separator/],
  ["1pzry9x0s0muk", "empty HRP", /empty human-readable part/],
  ["x1b4n0q5v", "invalid data character", /invalid character 'b'/],
  ["li1dgmt3", "too short checksum", /checksum too short/],
  ["de1lg7wt\xff", "invalid character in checksum", /invalid character U\+00FF/],
  ["A1G7SGD8", "checksum calculated with uppercase form of HRP", /checksum does not match/],
  ["10a06t8", "empty HRP", /empty human-readable part/],
  ["1qzzfhee", "empty HRP", /empty human-readable part/],
];

describe("bech32 (BIP 173)", () => {
  it("accepts every valid vector and re-encodes it exactly", () => {
    for (const v of BIP173_VALID) {
      const { hrp, words } = decodeWords(v);
      assert.equal(encodeWords(hrp, words), v, v);
    }
  });

  it("rejects every invalid vector, for the BIP's reason", () => {
    for (const [v, , pattern] of BIP173_INVALID) assertUsageError(() => decodeWords(v), pattern);
  });

  it("has no 90-character limit (BIP 173's an84… vector decodes; 1000 bytes round-trip)", () => {
    const long = "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx";
    assert.equal(decodeWords(long).hrp, "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio");
    const bytes = new Uint8Array(randomBytes(1000));
    assert.deepEqual(decode(encode("age", bytes), "age"), bytes);
  });

  it("regroups 8-bit data (abcdef vector: words 0..31 are these 20 bytes; 82 zero words are 51 zero bytes)", () => {
    assert.equal(hex(decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "abcdef")), "00443214c74254b635cf84653a56d7c675be77df");
    assert.deepEqual(decode(BIP173_VALID[4], "1"), new Uint8Array(51));
    for (let len = 0; len <= 70; len++) {
      const bytes = new Uint8Array(randomBytes(len));
      assert.deepEqual(fromWords(toWords(bytes)), bytes);
      assert.deepEqual(decode(encode("SEALCAM-DEVICE-KEY-", bytes), "SEALCAM-DEVICE-KEY-"), bytes);
    }
  });

  it("rejects non-zero and excess padding", () => {
    const words = toWords(new Uint8Array(32).fill(0xff)); // 52 words, 4 padding bits
    assert.equal(words[51] & 0xf, 0);
    const dirty = Uint8Array.from(words);
    dirty[51] |= 1;
    assertUsageError(() => decode(encodeWords("age", dirty), "age"), /^bech32: non-zero padding$/);
    // A whole spare word: 2 words for 1 byte leave 2 bits; a third leaves 7.
    assertUsageError(() => decode(encodeWords("age", [...toWords(new Uint8Array([0xab])), 0]), "age"), /^bech32: excess padding$/);
    assert.equal(decode(encodeWords("age", [...words, 0]), "age").length, 33, "4 + 5 spare bits: one more (zero) byte, 1 bit left");
  });

  it("rejects mixed case, the wrong HRP and the right HRP in the wrong case", () => {
    const id = encode("AGE-SECRET-KEY-", new Uint8Array(32));
    assertUsageError(() => decode(id.slice(0, 20) + id.slice(20).toLowerCase(), "AGE-SECRET-KEY-"), /^bech32: mixed case$/);
    assertUsageError(() => decode(id, "SEALCAM-DEVICE-KEY-"), /^expected 'SEALCAM-DEVICE-KEY-1…', found 'AGE-SECRET-KEY-1…'$/);
    assertUsageError(() => decode(id.toLowerCase(), "AGE-SECRET-KEY-"), /must be written in uppercase/);
    assertUsageError(() => decode(encode("age", new Uint8Array(32)).toUpperCase(), "age"), /must be written in lowercase/);
  });

  it("detects every single-character substitution in an identity", () => {
    const id = formatIdentity(new Uint8Array(randomBytes(32)));
    const sep = id.lastIndexOf("1");
    for (let i = sep + 1; i < id.length; i++) {
      for (const c of CHARSET.toUpperCase()) {
        if (c === id[i]) continue;
        assertUsageError(() => parseIdentity(id.slice(0, i) + c + id.slice(i + 1)), /checksum does not match/);
      }
    }
  });
});

// ---- age identities and recipients ---------------------------------------------

describe("age X25519 identities and recipients", () => {
  it("format and parse round-trip; identities uppercase, recipients lowercase", () => {
    const scalar = new Uint8Array(randomBytes(32));
    const id = formatIdentity(scalar);
    assert.match(id, /^AGE-SECRET-KEY-1[0-9AC-HJ-NP-Z]{58}$/);
    assert.deepEqual(parseIdentity(id), scalar);
    const r = recipientOf(crypto, scalar);
    assert.match(r, /^age1[02-9ac-hj-np-z]{58}$/);
    assert.deepEqual(formatRecipient(parseRecipient(r)), r);
  });

  it("agrees with typage on identities and recipients (20 random keys)", async () => {
    for (let i = 0; i < 20; i++) {
      const id = await typage.generateX25519Identity();
      assert.equal(formatIdentity(parseIdentity(id)), id);
      assert.equal(recipientOf(crypto, parseIdentity(id)), await typage.identityToRecipient(id));
    }
  });

  it("reads age-keygen's identity file; our recipient equals age-keygen -y", (t) => {
    if (!needAge(t)) return;
    const k = join(fresh(), "k");
    mkdirSync(join(k, ".."), { recursive: true });
    run("age-keygen", ["-o", k]);
    const ids = readIdentityFile(k);
    assert.equal(ids.length, 1);
    assert.equal(ids[0].line, 3);
    assert.deepEqual([recipientOf(crypto, ids[0].scalar)], ageKeygenY(k));
  });

  it("reads several identities, with comments, blank lines and CRLF", (t) => {
    if (!needAge(t)) return;
    const dir = fresh();
    mkdirSync(dir);
    const [a, b, both] = [join(dir, "a"), join(dir, "b"), join(dir, "both")];
    run("age-keygen", ["-o", a]);
    run("age-keygen", ["-o", b]);
    writeFileSync(both, (readFileSync(a, "utf8") + "\n# the second\n\n" + readFileSync(b, "utf8")).replace(/\n/g, "\r\n"));
    const ids = readIdentityFile(both);
    assert.deepEqual(ids.map((i) => i.line), [3, 9]);
    assert.deepEqual(ids.map((i) => recipientOf(crypto, i.scalar)), [...ageKeygenY(a), ...ageKeygenY(b)]);
  });

  it("refuses plugin, post-quantum, SSH and passphrase-encrypted (scrypt) identities", async () => {
    const cases: [string, string | Uint8Array][] = [
      ["plugin", "# a YubiKey\nAGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ8EXAMPLE\n"],
      ["post-quantum", `${await typage.generateHybridIdentity()}\n`],
      ["ssh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"],
    ];
    const e = new typage.Encrypter();
    e.setPassphrase("correct horse battery staple");
    e.setScryptWorkFactor(10);
    const sealed = await e.encrypt(`${await typage.generateX25519Identity()}\n`);
    cases.push(["scrypt", sealed], ["scrypt-armored", typage.armor.encode(sealed)]);
    for (const [name, body] of cases) {
      const file = join(tmp, `${name}-${n++}.key`);
      writeFileSync(file, body);
      assertUsageError(() => readIdentityFile(file), new RegExp(`^${esc(file)}:\\d+: unsupported identity type`));
    }
  });
});

// ---- device keys ------------------------------------------------------------------

describe("device keys", () => {
  it("text forms round-trip; the public key is the module's, and RFC 8032's (noble)", () => {
    const seed = new Uint8Array(randomBytes(32));
    const text = formatDeviceKey(seed);
    assert.match(text, /^SEALCAM-DEVICE-KEY-1[0-9AC-HJ-NP-Z]{58}$/);
    assert.deepEqual(parseDeviceKey(text), seed);
    const pk = devicePublicKey(crypto, seed);
    assert.deepEqual(pk, nobleEd25519.getPublicKey(seed));
    const pub = formatDevicePublicKey(pk);
    assert.match(pub, /^sealcamdev1[02-9ac-hj-np-z]{58}$/);
    assert.deepEqual(parseDevicePublicKey(pub), pk);
  });

  it("fingerprint: first 8 bytes of SHA-256(public key), xxxx-xxxx-xxxx-xxxx", () => {
    // SHA-256 of 32 zero bytes = 66687aadf862bd77 6c8fc18b8e9f8e20 …
    assert.equal(deviceFingerprint(new Uint8Array(32)), "6668-7aad-f862-bd77");
    assert.match(deviceFingerprint(new Uint8Array(randomBytes(32))), /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
  });

  it("written, then read back: same seed, the module's public key, mode 0600, exact format", () => {
    const dir = fresh();
    mkdirSync(dir);
    const path = join(dir, "device.key");
    const seed = new Uint8Array(randomBytes(32));
    const created = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678));
    const pk = writeDeviceKey(crypto, path, seed, created);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(
      readFileSync(path, "utf8"),
      "# sealcam device key (Ed25519): it signs this camera's evidence; keep it secret\n" +
        "# created: 2025-01-02T03:04:05Z\n" +
        `# public key: ${formatDevicePublicKey(crypto.ed25519Keypair(seed).publicKey)}\n` +
        `${formatDeviceKey(seed)}\n`,
    );
    const file = readDeviceKey(path);
    assert.deepEqual(file.seed, seed);
    assert.equal(file.created, "2025-01-02T03:04:05Z");
    assert.deepEqual(file.declaredPublicKey?.key, pk);
    assert.deepEqual(loadDeviceKey(crypto, path), { seed, publicKey: crypto.ed25519Keypair(seed).publicKey });
    assert.deepEqual(readdirSync(dir), ["device.key"], "no temporary file left");
  });

  it("a public key comment that does not match the key is refused, naming its line", () => {
    const path = join(tmp, `mismatch-${n++}.key`);
    const seed = new Uint8Array(randomBytes(32));
    writeFileSync(path, deviceKeyFileText(seed, devicePublicKey(crypto, new Uint8Array(32))));
    assertUsageError(() => loadDeviceKey(crypto, path), new RegExp(`:3: the public key comment does not match`));
  });

  it("force identity file: age's format, mode 0600, and age-keygen -y agrees", (t) => {
    const dir = fresh();
    mkdirSync(dir);
    const path = join(dir, "force.key");
    const scalar = new Uint8Array(randomBytes(32));
    const recipient = recipientOf(crypto, scalar);
    writeForceIdentity(path, scalar, recipient, new Date(Date.UTC(2025, 5, 6, 7, 8, 9)));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, "utf8"), `# created: 2025-06-06T07:08:09Z\n# public key: ${recipient}\n${formatIdentity(scalar)}\n`);
    assert.deepEqual(readIdentityFile(path), [{ scalar, line: 3 }]);
    if (!needAge(t)) return;
    assert.deepEqual(ageKeygenY(path), [recipient]);
  });

  it("writeKeyFile refuses an existing file and leaves it and the directory as they were", () => {
    const dir = fresh();
    mkdirSync(dir);
    const path = join(dir, "device.key");
    writeFileSync(path, "precious\n");
    assertUsageError(() => writeKeyFile(path, "new\n"), /already exists; refusing to overwrite/);
    assert.equal(readFileSync(path, "utf8"), "precious\n");
    assert.deepEqual(readdirSync(dir), ["device.key"]);
  });

  it("writeKeyFile sets 0600 whatever the umask", () => {
    const old = process.umask(0);
    try {
      const path = join(tmp, `umask-${n++}.key`);
      writeKeyFile(path, "x\n");
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      process.umask(old);
    }
  });
});

// ---- malformed key files ------------------------------------------------------------

describe("malformed key files: one line naming the file (and line), EXIT.USAGE", () => {
  const seed = new Uint8Array(32).fill(7);
  const scalar = new Uint8Array(32).fill(9);
  const deviceLine = formatDeviceKey(seed);
  const idLine = formatIdentity(scalar);
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === "Q" ? "P" : "Q") + s.slice(at + 1);
  const write = (body: string): string => {
    const p = join(tmp, `bad-${n++}.key`);
    writeFileSync(p, body);
    return p;
  };
  const at = (p: string, line: number) => `^${esc(p)}:${line}: `;

  const deviceCases: [string, string, (p: string) => RegExp][] = [
    ["bad checksum", `# c\n${flip(deviceLine, 30)}\n`, (p) => new RegExp(at(p, 2) + "bech32: checksum does not match")],
    ["wrong HRP", `${idLine}\n`, (p) => new RegExp(at(p, 1) + "expected 'SEALCAM-DEVICE-KEY-1…', found 'AGE-SECRET-KEY-1…'")],
    ["lowercase secret", `${deviceLine.toLowerCase()}\n`, (p) => new RegExp(at(p, 1) + ".*must be written in uppercase")],
    ["mixed case", `${deviceLine.slice(0, 30)}${deviceLine.slice(30).toLowerCase()}\n`, (p) => new RegExp(at(p, 1) + "bech32: mixed case")],
    ["empty file", "", (p) => new RegExp(`^${esc(p)}: no device key found`)],
    ["comments only", "# nothing here\n\n", (p) => new RegExp(`^${esc(p)}: no device key found`)],
    ["two keys", `${deviceLine}\n${deviceLine}\n`, (p) => new RegExp(at(p, 2) + "a second device key \\(the first is on line 1\\)")],
    ["short key", `${encode("SEALCAM-DEVICE-KEY-", new Uint8Array(31))}\n`, (p) => new RegExp(at(p, 1) + "a device key must hold 32 bytes, not 31")],
    ["bad public key comment", `# public key: sealcamdev1qqqq\n${deviceLine}\n`, (p) => new RegExp(at(p, 1) + "bech32: ")],
    ["trailing space", `${deviceLine} \n`, (p) => new RegExp(at(p, 1) + "bech32: invalid character U\\+0020")],
  ];
  for (const [name, body, pattern] of deviceCases) {
    it(`device key: ${name}`, () => {
      const p = write(body);
      assertUsageError(() => readDeviceKey(p), pattern(p));
    });
  }

  const identityCases: [string, string, (p: string) => RegExp][] = [
    ["bad checksum", `# created: x\n# public key: y\n${flip(idLine, 40)}\n`, (p) => new RegExp(at(p, 3) + "bech32: checksum does not match")],
    ["wrong HRP", `${deviceLine}\n`, (p) => new RegExp(at(p, 1) + "expected 'AGE-SECRET-KEY-1…', found 'SEALCAM-DEVICE-KEY-1…'")],
    ["lowercase secret", `${idLine.toLowerCase()}\n`, (p) => new RegExp(at(p, 1) + "'AGE-SECRET-KEY-1…' must be written in uppercase")],
    ["empty file", "", (p) => new RegExp(`^${esc(p)}: no identity found`)],
    ["plugin identity", `${idLine}\nAGE-PLUGIN-YUBIKEY-1QQQQQQQ\n`, (p) => new RegExp(at(p, 2) + "unsupported identity type: age plugin identity")],
    ["scrypt identity", "age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 18\nAAAA\n--- AAAA\n", (p) => new RegExp(at(p, 1) + "unsupported identity type: passphrase-encrypted \\(scrypt\\)")],
  ];
  for (const [name, body, pattern] of identityCases) {
    it(`identity file: ${name}`, () => {
      const p = write(body);
      assertUsageError(() => readIdentityFile(p), pattern(p));
    });
  }

  it("a missing file is named", () => {
    const p = join(tmp, "no-such.key");
    assertUsageError(() => readDeviceKey(p), new RegExp(`${p}: no such file`));
    assertUsageError(() => readIdentityFile(p), new RegExp(`${p}: no such file`));
  });

  it("parseIdentityFile names what it was given", () => {
    assertUsageError(() => parseIdentityFile("AGE-SECRET-KEY-1\n", "<stdin>"), /^<stdin>:1: bech32: checksum too short$/);
  });
});

// ---- sealcam keygen -----------------------------------------------------------------

describe("sealcam keygen", () => {
  it("writes force.key, force.pub, device.key, device.pub and says what they are", () => {
    const dir = join(fresh(), "nested", "keys");
    const r = sealcam("keygen", "--out", dir);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(dir).sort(), ["device.key", "device.pub", "force.key", "force.pub"]);
    for (const f of ["force.key", "device.key"]) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);

    const recipient = readFileSync(join(dir, "force.pub"), "utf8");
    assert.match(recipient, /^age1[02-9ac-hj-np-z]{58}\n$/);
    const force = readFileSync(join(dir, "force.key"), "utf8");
    assert.match(force, /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1\S+\nAGE-SECRET-KEY-1[0-9AC-HJ-NP-Z]{58}\n$/);
    assert.equal(force.split("\n")[1], `# public key: ${recipient.trim()}`);
    const ids = readIdentityFile(join(dir, "force.key"));
    assert.equal(recipientOf(crypto, ids[0].scalar), recipient.trim());

    const devicePub = readFileSync(join(dir, "device.pub"), "utf8");
    assert.match(devicePub, /^sealcamdev1[02-9ac-hj-np-z]{58}\n$/);
    assert.match(
      readFileSync(join(dir, "device.key"), "utf8"),
      /^# sealcam device key \(Ed25519\): it signs this camera's evidence; keep it secret\n# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: sealcamdev1\S+\nSEALCAM-DEVICE-KEY-1[0-9AC-HJ-NP-Z]{58}\n$/,
    );
    const device = loadDeviceKey(crypto, join(dir, "device.key"));
    assert.deepEqual(device.publicKey, parseDevicePublicKey(devicePub.trim()));
    assert.deepEqual(device.publicKey, crypto.ed25519Keypair(device.seed).publicKey);

    for (const f of ["force.key", "force.pub", "device.key", "device.pub"]) assert.match(r.out, new RegExp(`wrote .*${f}`));
    assert.match(r.out, new RegExp(`recipient\\s+${recipient.trim()}`));
    assert.match(r.out, new RegExp(`device public key\\s+${devicePub.trim()}`));
    assert.match(r.out, new RegExp(`device fingerprint\\s+${deviceFingerprint(device.publicKey)}`));
    assert.match(r.out, /force\.key belongs with the evidence custodian, never on a camera/);
  });

  it("age-keygen -y force.key = force.pub, and age round-trips a file through the pair", (t) => {
    if (!needAge(t)) return;
    const dir = fresh();
    assert.equal(sealcam("keygen", "--out", dir, "--force-only").code, 0);
    const recipient = readFileSync(join(dir, "force.pub"), "utf8").trim();
    assert.deepEqual(ageKeygenY(join(dir, "force.key")), [recipient]);
    const f = join(dir, "f");
    const x = join(dir, "x.age");
    const plain = randomBytes(200_000);
    writeFileSync(f, plain);
    run("age", ["-r", recipient, "-o", x, f]);
    assert.deepEqual(run("age", ["-d", "-i", join(dir, "force.key"), x]), plain);
  });

  it("--force-only and --device-only write two files each", () => {
    const a = fresh();
    assert.equal(sealcam("keygen", "--out", a, "--force-only").code, 0);
    assert.deepEqual(readdirSync(a).sort(), ["force.key", "force.pub"]);
    const b = fresh();
    const r = sealcam("keygen", "--out", b, "--device-only");
    assert.equal(r.code, 0);
    assert.deepEqual(readdirSync(b).sort(), ["device.key", "device.pub"]);
    assert.doesNotMatch(r.out, /recipient/);
  });

  it("refuses to overwrite: exit 2, one line, files unchanged", () => {
    const dir = fresh();
    assert.equal(sealcam("keygen", "--out", dir).code, 0);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, { text: readFileSync(join(dir, f), "utf8"), mtime: statSync(join(dir, f)).mtimeMs }]));
    assertCleanError(sealcam("keygen", "--out", dir), /^sealcam keygen: .*force\.key, .*device\.pub already exist; refusing to overwrite/);
    assertCleanError(sealcam("keygen", "--out", dir, "--device-only"), /device\.key, .*device\.pub already exist/);
    const now = Object.fromEntries(readdirSync(dir).map((f) => [f, { text: readFileSync(join(dir, f), "utf8"), mtime: statSync(join(dir, f)).mtimeMs }]));
    assert.deepEqual(now, before);
  });

  it("checks every target before writing any: one existing file means nothing written", () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, "device.pub"), "mine\n");
    assertCleanError(sealcam("keygen", "--out", dir), /^sealcam keygen: \S+device\.pub already exists; refusing to overwrite a key file \(nothing written\)\n?$/);
    assert.deepEqual(readdirSync(dir), ["device.pub"]);
    assert.equal(readFileSync(join(dir, "device.pub"), "utf8"), "mine\n");
  });

  it("bad usage: exit 2, one line", () => {
    assertCleanError(sealcam("keygen"), /^sealcam keygen: --out DIR is required/);
    assertCleanError(sealcam("keygen", "--out", fresh(), "--force-only", "--device-only"), /--force-only and --device-only exclude each other/);
    assertCleanError(sealcam("keygen", "--out"), /^sealcam keygen: Option '--out <value>' argument missing/);
    assertCleanError(sealcam("keygen", "--bogus"), /^sealcam keygen: Unknown option '--bogus'/);
    const file = join(tmp, `plain-${n++}`);
    writeFileSync(file, "");
    assertCleanError(sealcam("keygen", "--out", file), /is not a directory/);
  });

  it("--help", () => {
    const r = sealcam("keygen", "--help");
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: sealcam keygen --out DIR \[--force-only \| --device-only\]/);
    assert.match(sealcam("help").out, /keygen\s+make the force's age identity/);
  });
});
