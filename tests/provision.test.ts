// The signed camera configuration: `sealcam provision keygen / sign / show`
// end to end, the .sealcfg bytes decoded by hand from docs/FORMAT.md's
// table (not with host/camera/config.ts), the provisioning signature checked
// with node:crypto's Ed25519 (independent of the module), the provisioning
// key files against FORMAT.md "Key files", and every bad input refused with
// one line, exit 2 and nothing written.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, randomBytes, type KeyObject } from "node:crypto";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SealcamError, EXIT } from "../host/errors.ts";
import { encode as bech32, decode as unbech32 } from "../host/keys/bech32.ts";
import {
  parseProvisioningKeyFile, provisioningKeyFileText, loadProvisioningKey, formatProvisioningPublicKey, parseDockPublicKey,
  formatDockPublicKey, parseProvisioningKey,
} from "../host/keys/index.ts";
import {
  configBody, signConfig, parseConfig, verifyConfig, readConfigFile, describeConfig, isCanonicalRecipient, CONFIG_DOMAIN,
  type CameraSettings,
} from "../host/camera/config.ts";
type Crypto = ModuleCrypto;
import { loadCrypto } from "./helpers/module.ts";
import { instantiateV8 } from "../host/engine/index.ts";
import { Crypto as ModuleCrypto } from "../host/engine/crypto.ts";
import { assertCleanError, type Run } from "./helpers/cli.ts";
import { sealcamAsync } from "./helpers/tamper.ts";

// ---- independent Ed25519 and X25519 (node:crypto, OpenSSL) -----------------

const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

function edPrivate(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: "der", type: "pkcs8" });
}

function edPublicRaw(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(SPKI_ED25519.length));
}

function edPublic(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: "der", type: "spki" });
}

/** A fresh Ed25519 public key (32 bytes), e.g. a dock's. */
function newEd25519Public(): Uint8Array {
  return edPublicRaw(generateKeyPairSync("ed25519").privateKey);
}

/** A fresh X25519 recipient as `age1…`, encoded with the Bech32 module by hand. */
function newRecipient(): string {
  const raw = generateKeyPairSync("x25519").publicKey.export({ format: "der", type: "spki" }).subarray(12);
  return bech32("age", new Uint8Array(raw));
}

// ---- helpers ----------------------------------------------------------------

const HEX = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function lines(text: string): string[] {
  assert.ok(text.endsWith("\n"), "the file ends with a newline");
  return text.slice(0, -1).split("\n");
}

/** The first line of `file` that is not a comment. */
function keyLine(file: string): string {
  return readFileSync(file, "utf8").split("\n").find((l) => l !== "" && !l.startsWith("#"))!;
}

/** Runs many sealcam commands, a few at a time. */
async function runAll(jobs: string[][], width = 6): Promise<Run[]> {
  const results: Run[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await sealcamAsync(...jobs[i]);
    }
  }));
  return results;
}

/** `fn` must throw a one-line SealcamError with EXIT.USAGE matching `pattern`. */
function assertUsageError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SealcamError, `a SealcamError, got ${e}`);
    assert.equal(e.exitCode, EXIT.USAGE, `exit code of: ${e.message}`);
    assert.doesNotMatch(e.message, /\n/, "one line");
    assert.match(e.message, pattern);
    return true;
  });
}

// FORMAT.md, "Camera configuration", as offsets.
const F = { magic: 0, device: 8, serial: 40, duration: 48, size: 56, count: 64, reservedA: 68, dock: 72, preEvent: 104, reservedB: 112, recipients: 128 };

let work: string;
let crypto: Crypto;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "sealcam-provision-"));
  crypto = await loadCrypto("release");
});

after(() => rmSync(work, { recursive: true, force: true }));

// ---- provision keygen -------------------------------------------------------

describe("sealcam provision keygen", () => {
  it("writes provisioning.key (0600) and provisioning.pub (0644) as FORMAT.md's key files say", async () => {
    const dir = join(work, "kg");
    const r = await sealcamAsync("provision", "keygen", "--out", dir);
    assert.equal(r.code, 0, `keygen: ${r.err}`);
    const keyPath = join(dir, "provisioning.key");
    const pubPath = join(dir, "provisioning.pub");
    assert.equal(statSync(keyPath).mode & 0o777, 0o600, "provisioning.key mode");
    assert.equal(statSync(pubPath).mode & 0o777, 0o644, "provisioning.pub mode");

    const pub = lines(readFileSync(pubPath, "utf8"));
    assert.equal(pub.length, 1, "provisioning.pub is one line");
    assert.match(pub[0], /^sealcamprov1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
    const key = lines(readFileSync(keyPath, "utf8"));
    assert.equal(key.length, 4, "four lines");
    assert.equal(key[0], "# sealcam provisioning key (Ed25519): it signs camera configurations; keep it offline");
    assert.match(key[1], /^# created: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.equal(key[2], `# public key: ${pub[0]}`);
    assert.match(key[3], /^SEALCAM-PROVISIONING-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}$/);
    assert.ok(r.out.includes(pub[0]), "keygen prints the public key");
    assert.doesNotMatch(r.out + r.err, /SEALCAM-PROVISIONING-KEY-1/, "the secret is never printed");

    // The public key is the seed's (RFC 8032 §5.1.5), derived by OpenSSL.
    const seed = unbech32(key[3], "SEALCAM-PROVISIONING-KEY-");
    const publicKey = unbech32(pub[0], "sealcamprov");
    assert.equal(seed.length, 32);
    assert.equal(HEX(edPublicRaw(edPrivate(seed))), HEX(publicKey));
  });

  it("never overwrites: a second keygen, or one with either file present, writes nothing", async () => {
    const dir = join(work, "kg-twice");
    assert.equal((await sealcamAsync("provision", "keygen", "--out", dir)).code, 0);
    const before = readFileSync(join(dir, "provisioning.key"), "utf8");
    const again = await sealcamAsync("provision", "keygen", "--out", dir);
    assertCleanError(again, /already exist.*refusing to overwrite/);
    assert.equal(readFileSync(join(dir, "provisioning.key"), "utf8"), before, "the key is unchanged");

    const half = join(work, "kg-half");
    mkdirSync(half);
    writeFileSync(join(half, "provisioning.pub"), "mine\n");
    assertCleanError(await sealcamAsync("provision", "keygen", "--out", half), /provisioning\.pub already exists/);
    assert.deepEqual(readdirSync(half), ["provisioning.pub"], "no key written beside the existing file, no temp file left");
    assert.equal(readFileSync(join(half, "provisioning.pub"), "utf8"), "mine\n");
  });
});

// ---- the key file reader ----------------------------------------------------

describe("provisioning key files", () => {
  const seed = new Uint8Array(32).fill(7);
  const publicKey = (): Uint8Array => edPublicRaw(edPrivate(seed));

  it("reads what it writes, with CRLF line ends and extra comments", () => {
    const text = provisioningKeyFileText(seed, publicKey(), new Date(0)).replaceAll("\n", "\r\n") + "# another comment\r\n\r\n";
    const file = parseProvisioningKeyFile(text, "p.key");
    assert.equal(HEX(file.seed), HEX(seed));
    assert.equal(HEX(file.declaredPublicKey!.key), HEX(publicKey()));
    assert.equal(file.created, "1970-01-01T00:00:00Z");
  });

  it("refuses a second key, a lowercase secret, a device key, a bad public-key comment, no key", () => {
    const good = provisioningKeyFileText(seed, publicKey());
    const secret = lines(good)[3];
    assertUsageError(() => parseProvisioningKeyFile(`${good}${secret}\n`, "p.key"), /^p\.key:5: a second provisioning key/);
    assertUsageError(() => parseProvisioningKeyFile(secret.toLowerCase(), "p.key"), /^p\.key:1: .*uppercase/);
    assertUsageError(() => parseProvisioningKeyFile(bech32("SEALCAM-DEVICE-KEY-", seed), "p.key"), /expected 'SEALCAM-PROVISIONING-KEY-1…'/);
    assertUsageError(() => parseProvisioningKeyFile(`# public key: sealcamprov1qqqq\n${secret}\n`, "p.key"), /^p\.key:1: /);
    assertUsageError(() => parseProvisioningKeyFile("# nothing here\n", "p.key"), /no provisioning key found/);
  });

  it("loadProvisioningKey refuses a public-key comment that is not the seed's", () => {
    const other = new Uint8Array(32).fill(9);
    const path = join(work, "mismatch.key");
    writeFileSync(path, provisioningKeyFileText(seed, edPublicRaw(edPrivate(other))), { mode: 0o600 });
    assertUsageError(() => loadProvisioningKey(crypto, path), /mismatch\.key:3: the public key comment does not match/);
    const ok = join(work, "match.key");
    writeFileSync(ok, provisioningKeyFileText(seed, publicKey()), { mode: 0o600 });
    assert.equal(HEX(loadProvisioningKey(crypto, ok).publicKey), HEX(publicKey()));
  });

  it("dock keys have their own text form, sealcamdock1…", () => {
    const dock = newEd25519Public();
    const text = formatDockPublicKey(dock);
    assert.match(text, /^sealcamdock1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/);
    assert.equal(text, bech32("sealcamdock", dock));
    assert.equal(HEX(parseDockPublicKey(text)), HEX(dock));
    assertUsageError(() => parseDockPublicKey(bech32("sealcamdev", dock)), /expected 'sealcamdock1…', found 'sealcamdev1…'/);
    assertUsageError(() => parseDockPublicKey(formatProvisioningPublicKey(dock)), /expected 'sealcamdock1…'/);
    assertUsageError(() => parseProvisioningKey(text), /expected 'SEALCAM-PROVISIONING-KEY-1…'/);
  });
});

// ---- sign and show ------------------------------------------------------------

describe("sealcam provision sign and show", () => {
  let keys: string; // sealcam keygen: force.pub, device.pub, device.key
  let prov: string; // provision keygen: provisioning.key, provisioning.pub
  let other: string; // another provisioning key
  let recipients: string[];
  let dock: Uint8Array;
  let dockFile: string;
  let config: string; // the good configuration
  let signOut: Run;

  /** sign's arguments for a good configuration, written to `out`. */
  const good = (out: string): string[] => [
    "provision", "sign", "--key", join(prov, "provisioning.key"), "--device", join(keys, "device.pub"),
    "--recipient", recipients[0], "--recipient", recipients[1], "--serial", "7", "--out", out,
  ];

  before(async () => {
    keys = join(work, "keys");
    prov = join(work, "prov");
    other = join(work, "other");
    const made = await runAll([["keygen", "--out", keys], ["provision", "keygen", "--out", prov], ["provision", "keygen", "--out", other]]);
    for (const r of made) assert.equal(r.code, 0, r.err);
    recipients = [keyLine(join(keys, "force.pub")), newRecipient()];
    dock = newEd25519Public();
    dockFile = join(work, "dock.pub");
    // A file whose first non-comment line holds the dock key.
    writeFileSync(dockFile, `# the station's dock\n\n${bech32("sealcamdock", dock)}\n`);
    config = join(work, "camera.sealcfg");
    signOut = await sealcamAsync(...good(config), "--dock", dockFile, "--segment-seconds", "2.5", "--segment-bytes", "1048576");
    assert.equal(signOut.code, 0, `sign: ${signOut.err}`);
  });

  it("writes bytes that match FORMAT.md's table, decoded by hand", () => {
    const blob = new Uint8Array(readFileSync(config));
    const n = 2;
    assert.equal(blob.length, 192 + 32 * n, "192 + 32·n bytes");
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    assert.equal(Buffer.from(blob.subarray(F.magic, 8)).toString("latin1"), "SCAMCFG2");
    assert.equal(HEX(blob.subarray(F.device, F.device + 32)), HEX(unbech32(keyLine(join(keys, "device.pub")), "sealcamdev")));
    assert.equal(view.getBigUint64(F.serial, true), 7n);
    assert.equal(view.getBigUint64(F.duration, true), 2_500_000n, "2.5 s in µs");
    assert.equal(view.getBigUint64(F.size, true), 1_048_576n);
    assert.equal(view.getUint32(F.count, true), n);
    assert.equal(view.getUint32(F.reservedA, true), 0);
    assert.equal(HEX(blob.subarray(F.dock, F.dock + 32)), HEX(dock));
    assert.ok(blob.subarray(F.reservedB, 128).every((b) => b === 0), "reserved 112..127 zero");
    assert.equal(view.getBigUint64(F.preEvent, true), 0n, "no pre-event buffer unless asked");
    for (let i = 0; i < n; i++) {
      assert.equal(HEX(blob.subarray(128 + 32 * i, 160 + 32 * i)), HEX(unbech32(recipients[i], "age")), `recipient ${i + 1} in order`);
    }
    assert.equal(blob.length - (128 + 32 * n), 64, "then the 64-byte signature");
  });

  it("signs with Ed25519 over 'sealcam/v1/camera-config' ‖ body (checked with node:crypto)", () => {
    const blob = readFileSync(config);
    const body = blob.subarray(0, blob.length - 64);
    const signature = blob.subarray(blob.length - 64);
    const provisioning = edPublic(unbech32(keyLine(join(prov, "provisioning.pub")), "sealcamprov"));
    const domain = Buffer.from("sealcam/v1/camera-config", "ascii");
    assert.equal(domain.length, 24);
    assert.ok(nodeVerify(null, Buffer.concat([domain, body]), provisioning, signature), "verifies over domain ‖ body");
    assert.ok(!nodeVerify(null, body, provisioning, signature), "not over the body alone");
    // Ed25519 is deterministic: OpenSSL, given the seed, makes the same signature.
    const seed = unbech32(keyLine(join(prov, "provisioning.key")), "SEALCAM-PROVISIONING-KEY-");
    assert.equal(HEX(nodeSign(null, Buffer.concat([domain, body]), edPrivate(seed))), HEX(signature));
  });

  it("sign prints the settings; show prints them back and verifies under the right key (exit 0)", async () => {
    const r = await sealcamAsync("provision", "show", config, "--provisioning", join(prov, "provisioning.pub"));
    assert.equal(r.code, 0, r.err);
    for (const out of [signOut.out, r.out]) {
      assert.match(out, /^serial +7$/m);
      assert.match(out, new RegExp(`^device +${keyLine(join(keys, "device.pub"))} \\(fingerprint [0-9a-f]{4}(-[0-9a-f]{4}){3}\\)$`, "m"));
      assert.match(out, /^segments +cut at the first keyframe after 2\.5 s, or once 1048576 bytes \(1 MiB\) of plaintext$/m);
      assert.match(out, /^recipients +2$/m);
      assert.match(out, new RegExp(`^recipient 1 +${recipients[0]}$`, "m"));
      assert.match(out, new RegExp(`^recipient 2 +${recipients[1]}$`, "m"));
      assert.match(out, new RegExp(`^dock +${bech32("sealcamdock", dock)} \\(fingerprint `, "m"));
    }
    assert.match(r.out, /^signature +verifies under the provisioning key sealcamprov1/m);
    // By key text too, and without --provisioning (not checked, exit 0).
    const byText = await sealcamAsync("provision", "show", config, "--provisioning", keyLine(join(prov, "provisioning.pub")));
    assert.equal(byText.code, 0, byText.err);
    const unchecked = await sealcamAsync("provision", "show", config);
    assert.equal(unchecked.code, 0, unchecked.err);
    assert.match(unchecked.out, /^signature +not checked/m);
  });

  it("--pre-event-seconds sets the pre-event buffer (offset 104, µs); 0 means none; above 600 s is refused", async () => {
    const out = join(work, "pre-event.sealcfg");
    const r = await sealcamAsync(...good(out), "--pre-event-seconds", "30");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^pre-event +keep the last 30 s before a trigger$/m);
    assert.equal(readFileSync(out).readBigUInt64LE(F.preEvent), 30_000_000n);
    const none = join(work, "pre-event-none.sealcfg");
    const z = await sealcamAsync(...good(none), "--pre-event-seconds", "0");
    assert.equal(z.code, 0, z.err);
    assert.equal(readFileSync(none).readBigUInt64LE(F.preEvent), 0n);
    const tooLong = join(work, "pre-event-long.sealcfg");
    const bad = await sealcamAsync(...good(tooLong), "--pre-event-seconds", "601");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--pre-event-seconds must be at most 600/);
    assert.ok(!existsSync(tooLong), "nothing written");
  });

  it("defaults: 4 s, 256 MiB, no dock (32 zero bytes)", async () => {
    const out = join(work, "defaults.sealcfg");
    const r = await sealcamAsync(...good(out));
    assert.equal(r.code, 0, r.err);
    const blob = readFileSync(out);
    assert.equal(blob.readBigUInt64LE(F.duration), 4_000_000n);
    assert.equal(blob.readBigUInt64LE(F.size), 256n << 20n);
    assert.ok(blob.subarray(F.dock, F.dock + 32).every((b) => b === 0));
    assert.match(r.out, /^dock +none$/m);
  });

  it("show --provisioning with another key, or a changed file, says it does not verify (exit 1)", async () => {
    const blob = readFileSync(config);
    const flippedSig = join(work, "flipped-sig.sealcfg");
    writeFileSync(flippedSig, Buffer.from(blob).fill(blob[blob.length - 1] ^ 1, blob.length - 1));
    const higherSerial = join(work, "serial-8.sealcfg");
    const edited = Buffer.from(blob);
    edited.writeBigUInt64LE(8n, F.serial); // still well formed: only the signature can tell
    writeFileSync(higherSerial, edited);
    const [wrongKey, sig, serial] = await runAll([
      ["provision", "show", config, "--provisioning", join(other, "provisioning.pub")],
      ["provision", "show", flippedSig, "--provisioning", join(prov, "provisioning.pub")],
      ["provision", "show", higherSerial, "--provisioning", join(prov, "provisioning.pub")],
    ]);
    for (const r of [wrongKey, sig, serial]) {
      assert.equal(r.code, 1, `exit 1: ${r.out}${r.err}`);
      assert.match(r.out, /^signature +DOES NOT VERIFY/m);
    }
    assert.match(serial.out, /^serial +8$/m, "the settings are shown anyway");
  });

  it("refuses bad sign input with one line, exit 2 and no file", async () => {
    const secretRecipient = keyLine(join(keys, "force.key"));
    const deviceSecret = keyLine(join(keys, "device.key"));
    const nine = Array.from({ length: 9 }, newRecipient).flatMap((r) => ["--recipient", r]);
    const lowOrder = bech32("age", new Uint8Array(32)); // u = 0
    const p = new Uint8Array(32).fill(0xff);
    p[0] = 0xed;
    p[31] = 0x7f; // u = 2^255 − 19, non-canonical
    const badComment = join(work, "bad-comment.key");
    const provText = readFileSync(join(prov, "provisioning.key"), "utf8");
    writeFileSync(badComment, provText.replace(/^# public key: .*$/m, `# public key: ${keyLine(join(other, "provisioning.pub"))}`), { mode: 0o600 });
    const existing = join(work, "existing.sealcfg");
    writeFileSync(existing, "keep me");
    const dir = join(work, "refused");
    mkdirSync(dir);
    const out = join(dir, "camera.sealcfg");
    const base = good(out);
    const withArg = (name: string, value: string): string[] => {
      const args = [...base];
      args[args.indexOf(`--${name}`) + 1] = value;
      return args;
    };
    const cases: [string, string[], RegExp][] = [
      ["missing key file", withArg("key", join(work, "nope.key")), /--key .*nope\.key: no such file/],
      ["device key as the provisioning key", withArg("key", join(keys, "device.key")), /expected 'sealcamprov1…', found 'sealcamdev1…'/],
      ["public-key comment of another key", withArg("key", badComment), /the public key comment does not match/],
      ["bad recipient", withArg("recipient", recipients[0].slice(0, -1) + (recipients[0].endsWith("q") ? "p" : "q")), /--recipient '.*': bech32: checksum does not match/],
      ["secret key as recipient", withArg("recipient", secretRecipient), /--recipient: that is a secret key/],
      ["device key as recipient", withArg("recipient", keyLine(join(keys, "device.pub"))), /expected 'age1…', found 'sealcamdev1…'/],
      ["low-order recipient", withArg("recipient", lowOrder), /recipient 1 .*low-order point/],
      ["non-canonical recipient", withArg("recipient", bech32("age", p)), /not a canonical X25519 key/],
      ["9 recipients", [...base, ...nine.slice(4)], /at most 8 recipients, not 9/],
      ["repeated recipient", [...base, "--recipient", recipients[0]], /repeats recipient 1/],
      ["no recipient", base.filter((a, i) => a !== "--recipient" && base[i - 1] !== "--recipient"), /at least one --recipient/],
      ["serial 0", withArg("serial", "0"), /--serial must be a whole number from 1 to \d+, not '0'/],
      ["negative serial", withArg("serial", "-1"), /--serial/],
      ["negative serial (=)", [...base.filter((a) => a !== "--serial" && a !== "7"), "--serial=-1"], /--serial must be a whole number .* not '-1'/],
      ["non-numeric serial", withArg("serial", "seven"), /--serial must be a whole number .* not 'seven'/],
      ["fractional serial", withArg("serial", "1.5"), /--serial must be a whole number/],
      ["serial above 2^53 − 1", withArg("serial", "9007199254740992"), /--serial must be a whole number/],
      ["no serial", base.filter((a) => a !== "--serial" && a !== "7"), /--serial N is required/],
      ["segment-seconds 0.5", [...base, "--segment-seconds", "0.5"], /--segment-seconds must be a number of seconds from 1 .* not '0\.5'/],
      ["segment-seconds 1e3", [...base, "--segment-seconds", "1e3"], /--segment-seconds/],
      ["segment-bytes below 64 KiB", [...base, "--segment-bytes", "65535"], /--segment-bytes must be a whole number from 65536/],
      ["secret key file as device", withArg("device", join(keys, "device.key")), /--device .*device\.key: the file holds a secret key/],
      ["secret key text as device", withArg("device", deviceSecret), /--device: that is a secret key/],
      ["missing device file", withArg("device", join(work, "nope.pub")), /--device .*nope\.pub: no such file/],
      ["device key as dock", [...base, "--dock", keyLine(join(keys, "device.pub"))], /--dock '.*': expected 'sealcamdock1…', found 'sealcamdev1…'/],
      ["dock not a point", [...base, "--dock", bech32("sealcamdock", p)], /dock public key is not a canonical Ed25519 point/],
      ["existing --out", withArg("out", existing), /existing\.sealcfg already exists; refusing to overwrite/],
      ["--out in a missing folder", withArg("out", join(work, "no-such-dir", "c.sealcfg")), /does not exist/],
      ["unknown option", [...base, "--recipients", recipients[0]], /Unknown option '--recipients'/],
    ];
    const runs = await runAll(cases.map(([, args]) => args));
    cases.forEach(([name, , pattern], i) => {
      const r = runs[i];
      assert.doesNotThrow(() => assertCleanError(r, pattern), `${name}: exit ${r.code}, stderr: ${r.err}`);
      assert.ok(!r.err.includes(secretRecipient) && !r.err.includes(deviceSecret), `${name}: no secret key echoed`);
      assert.ok(!r.err.includes("SEALCAM-PROVISIONING-KEY-1"), `${name}: no provisioning secret echoed`);
    });
    assert.deepEqual(readdirSync(dir), [], "nothing written, no temp file left");
    assert.equal(readFileSync(existing, "utf8"), "keep me", "the existing file is untouched");
  });

  it("refuses malformed configuration files in show with one line and exit 2", async () => {
    const blob = readFileSync(config);
    const variant = (name: string, bytes: Uint8Array): string => {
      const path = join(work, `bad-${name}.sealcfg`);
      writeFileSync(path, bytes);
      return path;
    };
    const set = (at: number, value: number): Buffer => {
      const b = Buffer.from(blob);
      b[at] = value;
      return b;
    };
    const count = Buffer.from(blob);
    count.writeUInt32LE(3, F.count);
    const serial0 = Buffer.from(blob);
    serial0.writeBigUInt64LE(0n, F.serial);
    const shortSegments = Buffer.from(blob);
    shortSegments.writeBigUInt64LE(999_999n, F.duration);
    const cases: [string, string[], RegExp][] = [
      ["truncated", [variant("truncated", blob.subarray(0, blob.length - 1))], /\d+ bytes, not a camera configuration/],
      ["extended by a byte", [variant("extended", Buffer.concat([blob, Buffer.from([0])]))], /\d+ bytes, not a camera configuration/],
      ["extended by 32 bytes", [variant("extended32", Buffer.concat([blob, Buffer.alloc(32)]))], /says 2 recipients but its length holds 3/],
      ["count changed", [variant("count", count)], /says 3 recipients but its length holds 2/],
      ["flipped magic", [variant("magic", set(F.magic, blob[F.magic] ^ 0x01))], /bad magic/],
      ["reserved byte 68", [variant("reserved68", set(F.reservedA, 1))], /reserved byte at offset 68 is not zero/],
      ["reserved byte 127", [variant("reserved127", set(127, 0x80))], /reserved byte at offset 127 is not zero/],
      ["serial 0", [variant("serial0", serial0)], /serial 0/],
      ["duration below 1 s", [variant("duration", shortSegments)], /segment duration limit 999999 µs is below 1000000/],
      ["missing file", [join(work, "nope.sealcfg")], /nope\.sealcfg: no such file/],
      ["a directory", [work], /is a directory/],
      ["no file", [], /give one configuration file/],
      ["device.pub as the provisioning key", [config, "--provisioning", join(keys, "device.pub")], /expected 'sealcamprov1…', found 'sealcamdev1…'/],
      ["secret as the provisioning key", [config, "--provisioning", join(prov, "provisioning.key")], /holds a secret key/],
    ];
    const listed = readdirSync(work).sort();
    const runs = await runAll(cases.map(([, args]) => ["provision", "show", ...args]));
    cases.forEach(([name, , pattern], i) => {
      assert.doesNotThrow(() => assertCleanError(runs[i], pattern), `${name}: exit ${runs[i].code}, stderr: ${runs[i].err}`);
      assert.equal(runs[i].out, "", `${name}: nothing printed on stdout`);
    });
    assert.deepEqual(readdirSync(work).sort(), listed, "show writes nothing");
  });
});

// ---- the library --------------------------------------------------------------

describe("host/camera/config.ts", () => {
  const seed = new Uint8Array(32).fill(3);
  const settings = (): CameraSettings => ({
    device: edPublicRaw(edPrivate(new Uint8Array(32).fill(1))),
    serial: 1,
    segmentDurationUs: 1_000_000,
    segmentSizeBytes: 65_536,
    recipients: [unbech32(newRecipient(), "age")],
    dock: null,
  });

  it("signConfig → parseConfig round trip, verifyConfig under the right key only", () => {
    const s = { ...settings(), serial: (1n << 64n) - 1n, recipients: Array.from({ length: 8 }, () => unbech32(newRecipient(), "age")), dock: newEd25519Public() };
    const blob = signConfig(crypto, seed, s);
    assert.equal(blob.length, 192 + 32 * 8);
    const c = parseConfig(blob);
    assert.equal(c.serial, (1n << 64n) - 1n);
    assert.equal(c.segmentDurationUs, 1_000_000n);
    assert.equal(c.segmentSizeBytes, 65_536n);
    assert.deepEqual(c.recipients.map(HEX), s.recipients.map(HEX));
    assert.equal(HEX(c.dock!), HEX(s.dock));
    assert.equal(HEX(c.body), HEX(configBody(s)));
    const publicKey = edPublicRaw(edPrivate(seed));
    assert.ok(verifyConfig(crypto, blob, publicKey));
    assert.ok(!verifyConfig(crypto, blob, newEd25519Public()));
    assert.ok(nodeVerify(null, Buffer.concat([Buffer.from(CONFIG_DOMAIN), c.body]), edPublic(publicKey), c.signature));
    assert.equal(c.preEventUs, 0n);
    assert.equal(describeConfig(c).length, 6 + 8, "serial, device, segments, pre-event, recipients, 8 recipient lines, dock");
    assert.ok(describeConfig(c).some((l) => /^pre-event +none$/.test(l)));
  });

  it("the pre-event duration: written at offset 104, read back, refused outside 0 or 1 s to 600 s", () => {
    const blob = signConfig(crypto, seed, { ...settings(), preEventUs: 30_000_000 });
    const view = new DataView(blob.buffer, blob.byteOffset);
    assert.equal(view.getBigUint64(F.preEvent, true), 30_000_000n);
    const c = parseConfig(blob);
    assert.equal(c.preEventUs, 30_000_000n);
    assert.ok(describeConfig(c).some((l) => /^pre-event +keep the last 30 s before a trigger$/.test(l)));
    for (const bad of [1, 999_999, 600_000_001, 1n << 63n]) {
      assertUsageError(() => configBody({ ...settings(), preEventUs: bad }), /pre-event duration must be 0 \(none\) or from 1000000 to 600000000/);
      const forged = blob.slice();
      new DataView(forged.buffer).setBigUint64(F.preEvent, BigInt(bad), true);
      assertUsageError(() => parseConfig(forged), /pre-event duration \d+ µs is neither 0 nor from 1000000 to 600000000/);
    }
  });

  it("configBody refuses what FORMAT.md rules out", () => {
    assertUsageError(() => configBody({ ...settings(), serial: 0 }), /serial must be from 1/);
    assertUsageError(() => configBody({ ...settings(), serial: 1n << 64n }), /serial must be from 1 to 18446744073709551615/);
    assertUsageError(() => configBody({ ...settings(), serial: 1.5 }), /serial must be a whole number/);
    assertUsageError(() => configBody({ ...settings(), segmentDurationUs: 999_999 }), /duration limit .* from 1000000/);
    assertUsageError(() => configBody({ ...settings(), segmentSizeBytes: 65_535 }), /size limit .* from 65536/);
    assertUsageError(() => configBody({ ...settings(), recipients: [] }), /1 to 8 recipients, not 0/);
    assertUsageError(() => configBody({ ...settings(), device: new Uint8Array(31) }), /device public key must hold 32 bytes/);
    assertUsageError(() => configBody({ ...settings(), dock: new Uint8Array(33) }), /dock public key must hold 32 bytes/);
    const high = new Uint8Array(32);
    high[31] = 0x80;
    assert.ok(!isCanonicalRecipient(high));
    assertUsageError(() => configBody({ ...settings(), recipients: [high] }), /recipient 1 is not a canonical X25519 key/);
  });

  it("parseConfig refuses every length but 192 + 32·n, n from 1 to 8", () => {
    const blob = signConfig(crypto, seed, settings());
    for (const len of [0, 191, 223, 225, 255, 449, 480]) {
      const b = new Uint8Array(len);
      b.set(blob.subarray(0, Math.min(len, blob.length)));
      assertUsageError(() => parseConfig(b), /^camera configuration: \d+ bytes; a configuration is 192 \+ 32·n bytes/);
    }
    const old = Buffer.from(blob);
    old.write("SCAMCFG1", 0, "latin1");
    assertUsageError(() => parseConfig(old), /unsigned configuration block of an earlier sealcam/);
  });

  it("signConfig refuses low-order recipients and bad device keys; leaves the caller's seed to the caller", () => {
    const small = new Uint8Array(32);
    small[0] = 1; // u = 1, order 4 on the curve
    assertUsageError(() => signConfig(crypto, seed, { ...settings(), recipients: [small] }), /recipient 1 .*low-order point/);
    const identity = new Uint8Array(32);
    identity[0] = 1; // the Ed25519 identity point: small order
    assertUsageError(() => signConfig(crypto, seed, { ...settings(), device: identity }), /device public key is an Ed25519 point of small order/);
    assertUsageError(() => signConfig(crypto, seed, { ...settings(), dock: identity }), /dock public key is an Ed25519 point of small order/);
    const s = settings();
    signConfig(crypto, seed, s);
    assert.ok(seed.every((b) => b === 3), "the caller's seed is the caller's to wipe");
  });

  it("readConfigFile reads only configuration-sized regular files", () => {
    const path = join(work, "lib.sealcfg");
    const blob = signConfig(crypto, seed, settings());
    writeFileSync(path, blob);
    assert.equal(HEX(readConfigFile(path)), HEX(blob));
    const big = join(work, "big.bin");
    writeFileSync(big, randomBytes(1 << 20));
    assertUsageError(() => readConfigFile(big), /big\.bin: 1048576 bytes, not a camera configuration/);
    assertUsageError(() => readConfigFile(join(work, "absent")), /absent: no such file/);
    assertUsageError(() => readConfigFile(work), /is a directory/);
    assert.ok(!existsSync(join(work, "absent")));
  });

  it("a camera (the module's camera_configure) takes what signConfig writes, under its pinned key only", async () => {
    // The ABI directly (docs/ABI.md "Secure block", "Signed configuration"), no recorder.
    const events: [number, bigint, bigint][] = [];
    const logged: Uint8Array[] = [];
    const instance = await instantiateV8("release", {
      event: (kind, a, b) => void events.push([kind, BigInt(a), BigInt(b)]),
      audit_write: (ptr, len) => (logged.push(new Uint8Array(instance.memory.buffer, ptr, len).slice()), 0),
      clock_us: () => 0n,
    });
    const camera = new ModuleCrypto(instance);
    const x = instance.exports as Record<string, any>;
    const io = x.io_ptr() >>> 0;
    const put = (bytes: Uint8Array): number => {
      new Uint8Array(instance.memory.buffer, io, bytes.length).set(bytes);
      return bytes.length;
    };
    const deviceSeed = new Uint8Array(32).fill(5);
    const device = edPublicRaw(edPrivate(deviceSeed));
    const secure = new Uint8Array(72);
    secure.set(Buffer.from("SCAMSEC1", "latin1"), 0);
    secure.set(deviceSeed, 8);
    secure.set(edPublicRaw(edPrivate(seed)), 40);
    assert.equal(x.camera_init(io, put(secure)), 0, "camera_init");
    assert.equal(x.audit_start(io, 0), 0, "audit_start: a new log");
    const dock = newEd25519Public();
    const configure = (serial: number, by: Uint8Array, forDevice = device): number => {
      const blob = signConfig(crypto, by, { ...settings(), device: forDevice, serial, dock });
      return x.camera_configure(io, put(blob));
    };
    assert.equal(configure(3, seed), 0, "accepted");
    assert.equal(x.camera_config_serial(), 3n);
    x.camera_dock_key(io);
    assert.equal(HEX(new Uint8Array(instance.memory.buffer, io, 32)), HEX(dock), "the dock key in force");
    assert.equal(configure(4, new Uint8Array(32).fill(9)), 16, "another provisioning key: ERR_UNSIGNED");
    assert.equal(configure(4, seed, newEd25519Public()), 16, "another camera: ERR_UNSIGNED");
    assert.equal(configure(3, seed), 17, "the same serial: ERR_ROLLBACK");
    assert.equal(configure(4, seed), 0, "a higher serial: accepted");
    assert.deepEqual(events.map(([kind, a]) => [kind, a]), [[6, 3n], [7, 16n], [7, 16n], [7, 17n], [6, 4n]]);
    // Each acceptance and refusal is in the signed audit log too: boot, then kinds 2 and 3 with the serial or code.
    assert.deepEqual(logged.map((e) => Buffer.from(e).readUInt32LE(40)), [1, 2, 3, 3, 3, 2]);
  });
});
