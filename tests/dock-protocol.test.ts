// The dock's protocol codecs (host/dock/protocol.ts) against FORMAT.md
// ("Docking", "The audit log"), checked with @noble/curves as an independent
// Ed25519, and the dock's key files (host/keys/dock.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  DockSigner, dockCrypto, decodeHello, verifyHello, answerMessage, verifyAnswer, answerHello, decodeReceipt, verifyReceipt,
  decodeAuditEntry, auditEntryHash, verifyAuditEntry, DOCK_HELLO_BYTES, RECEIPT_BYTES, RECEIPT_SEGMENT, RECEIPT_AUDIT,
} from "../host/dock/protocol.ts";
import {
  DOCK_KEY_HRP, formatDockKey, parseDockKey, dockKeyFileText, parseDockKeyFile, loadDockKey, writeDockKey, generateDockSeed,
  formatDockPublicKey, parseDockPublicKey, DOCK_KEY_BANNER,
} from "../host/keys/dock.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { DOMAIN, auditEntry, entryHash, seedOf, sha256 } from "./helpers/dock-camera.ts";

const crypto = await dockCrypto();
const DOCK_SEED = seedOf("dock protocol test: dock");
const DOCK_PK = ed25519.getPublicKey(DOCK_SEED);
const DEVICE_SEED = seedOf("dock protocol test: device");
const DEVICE_PK = ed25519.getPublicKey(DEVICE_SEED);
const strict = { zip215: false } as const;
const flip = (b: Uint8Array, at: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[at] ^= 1;
  return c;
};

test("hello: 136 bytes laid out as FORMAT.md says, signed by the dock over its domain", () => {
  const signer = new DockSigner(crypto, DOCK_SEED);
  assert.deepEqual(signer.publicKey, DOCK_PK, "the module derives the RFC 8032 key");
  const challenge = new Uint8Array(32).map((_, i) => i + 1);
  const hello = signer.hello(challenge, 1_700_000_000_123_456n);
  assert.equal(hello.length, DOCK_HELLO_BYTES);
  const b = Buffer.from(hello);
  assert.ok(b.subarray(0, 32).equals(Buffer.from(DOCK_PK)));
  assert.ok(b.subarray(32, 64).equals(Buffer.from(challenge)));
  assert.equal(b.readBigUInt64LE(64), 1_700_000_000_123_456n);
  assert.ok(ed25519.verify(b.subarray(72), Buffer.concat([DOMAIN.hello, b.subarray(0, 72)]), DOCK_PK, strict), "noble verifies the hello");
  assert.ok(!ed25519.verify(b.subarray(72), b.subarray(0, 72), DOCK_PK), "the domain string is part of the signed message");
  const h = decodeHello(hello);
  assert.deepEqual([h.challenge, h.timeUs], [challenge, 1_700_000_000_123_456n]);
  assert.equal(verifyHello(crypto, hello, DOCK_PK), 0);
  for (const at of [0, 40, 64, 100, 135]) assert.notEqual(verifyHello(crypto, flip(hello, at), DOCK_PK), 0, `a flipped bit at ${at} is refused`);
  assert.equal(verifyHello(crypto, hello, DEVICE_PK), MODULE_ERRORS.ERR_SIGNATURE.code, "another dock's key");
  assert.throws(() => decodeHello(hello.subarray(0, 135)), /136 bytes/);
});

test("device answer: the device's signature over domain ‖ device ‖ dock ‖ challenge", () => {
  const challenge = new Uint8Array(32).fill(0xab);
  const msg = answerMessage(DEVICE_PK, DOCK_PK, challenge);
  assert.equal(msg.length, 20 + 96);
  assert.ok(Buffer.from(msg).equals(Buffer.concat([DOMAIN.answer, DEVICE_PK, DOCK_PK, challenge])));
  const answer = ed25519.sign(msg, DEVICE_SEED);
  assert.equal(verifyAnswer(crypto, DEVICE_PK, DOCK_PK, challenge, answer), 0);
  assert.notEqual(verifyAnswer(crypto, DEVICE_PK, DOCK_PK, flip(challenge, 0), answer), 0, "another challenge");
  assert.notEqual(verifyAnswer(crypto, DEVICE_PK, DEVICE_PK, challenge, answer), 0, "another dock");
  assert.notEqual(verifyAnswer(crypto, DOCK_PK, DOCK_PK, challenge, answer), 0, "another device");
  // The host-side answer for development cameras: checks the hello first, then signs what noble accepts.
  const hello = new DockSigner(crypto, DOCK_SEED).hello(challenge, 5n);
  const made = answerHello(crypto, DEVICE_SEED, hello, DOCK_PK);
  assert.ok(ed25519.verify(made, msg, DEVICE_PK, strict));
  assert.throws(() => answerHello(crypto, DEVICE_SEED, hello, DEVICE_PK), /pinned dock key/);
  assert.throws(() => answerHello(crypto, DEVICE_SEED, flip(hello, 70), DOCK_PK), /pinned dock key/);
});

test("strict Ed25519: a small-order device key is refused where a permissive verifier accepts", () => {
  // A = identity (small order), R = identity, S = 0: [S]B − [k]A = R for every message.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const sig = new Uint8Array(64);
  sig[0] = 1;
  const msg = answerMessage(identity, DOCK_PK, new Uint8Array(32));
  assert.ok(ed25519.verify(sig, msg, identity, { zip215: true }), "ZIP 215 accepts it");
  assert.equal(verifyAnswer(crypto, identity, DOCK_PK, new Uint8Array(32), sig), MODULE_ERRORS.ERR_SMALL_ORDER.code);
});

test("receipts: 216 bytes, kind 1 names the manifest hash, file SHA-256 and size; kind 2 the entry hash and index", () => {
  const signer = new DockSigner(crypto, DOCK_SEED);
  const mh = sha256(Buffer.from("manifest"));
  const sha = sha256(Buffer.from("file"));
  const r1 = signer.segmentReceipt(DEVICE_PK, 42n, mh, sha, 123_456_789n);
  assert.equal(r1.length, RECEIPT_BYTES);
  const b = Buffer.from(r1);
  assert.ok(b.subarray(0, 32).equals(Buffer.from(DOCK_PK)) && b.subarray(32, 64).equals(Buffer.from(DEVICE_PK)));
  assert.equal(b.readUInt32LE(64), 1);
  assert.equal(b.readUInt32LE(68), 0);
  assert.equal(b.readBigUInt64LE(72), 42n);
  assert.ok(b.subarray(80, 112).equals(mh) && b.subarray(112, 144).equals(sha));
  assert.equal(b.readBigUInt64LE(144), 123_456_789n);
  assert.ok(ed25519.verify(b.subarray(152), Buffer.concat([DOMAIN.receipt, b.subarray(0, 152)]), DOCK_PK, strict));
  const d = decodeReceipt(r1);
  assert.equal(d.kind, RECEIPT_SEGMENT);
  assert.equal(d.value, 123_456_789n);
  assert.equal(verifyReceipt(crypto, r1, DOCK_PK), 0);
  assert.notEqual(verifyReceipt(crypto, flip(r1, 90), DOCK_PK), 0, "an edited receipt");
  assert.equal(verifyReceipt(crypto, r1, DEVICE_PK), MODULE_ERRORS.ERR_SIGNATURE.code, "under another dock key");

  const eh = sha256(Buffer.from("entry"));
  const r2 = Buffer.from(signer.auditReceipt(DEVICE_PK, 43n, eh, 77n));
  assert.equal(r2.readUInt32LE(64), RECEIPT_AUDIT);
  assert.ok(r2.subarray(80, 112).equals(eh) && r2.subarray(112, 144).equals(Buffer.alloc(32)));
  assert.equal(r2.readBigUInt64LE(144), 77n);
  assert.ok(ed25519.verify(r2.subarray(152), Buffer.concat([DOMAIN.receipt, r2.subarray(0, 152)]), DOCK_PK, strict));

  const reserved = Buffer.from(r1);
  reserved[70] = 1;
  assert.throws(() => decodeReceipt(reserved), /reserved/);
  const kind = Buffer.from(r1);
  kind.writeUInt32LE(3, 64);
  assert.throws(() => decodeReceipt(kind), /unknown kind 3/);
  assert.throws(() => decodeReceipt(r1.subarray(1)), /216 bytes/);
  const sha2 = Buffer.from(r2);
  sha2[120] = 1;
  assert.throws(() => decodeReceipt(sha2), /audit receipt's SHA-256 field is not zero/);
});

test("audit entries: decoded field by field, hashed and verified as FORMAT.md says", () => {
  const prev = sha256(Buffer.from("previous"));
  const ref = sha256(Buffer.from("ref"));
  const e = auditEntry(DEVICE_SEED, 5n, 10, 3n, 4096n, ref, prev, 99n);
  const d = decodeAuditEntry(e);
  assert.deepEqual([d.index, d.kind, d.timeUs, d.a, d.b], [5n, 10, 99n, 3n, 4096n]);
  assert.deepEqual([Buffer.from(d.device), Buffer.from(d.ref), Buffer.from(d.previous)], [Buffer.from(DEVICE_PK), ref, prev]);
  assert.ok(Buffer.from(d.hash).equals(entryHash(e)) && Buffer.from(auditEntryHash(e)).equals(entryHash(e)));
  assert.equal(verifyAuditEntry(crypto, e, DEVICE_PK), 0);
  assert.notEqual(verifyAuditEntry(crypto, flip(e, 60), DEVICE_PK), 0, "an edited entry");
  assert.notEqual(verifyAuditEntry(crypto, e, DOCK_PK), 0, "another device's key");
  const reserved = Uint8Array.from(e);
  reserved[45] = 1;
  assert.throws(() => decodeAuditEntry(reserved), /reserved/);
  assert.throws(() => decodeAuditEntry(e.subarray(0, 199)), /200 bytes/);
});

test("dock key files: SEALCAM-DOCK-KEY-1…, read and written as the device key's, never over a file", () => {
  const seed = generateDockSeed();
  const text = formatDockKey(seed);
  assert.equal(text.length, 76);
  assert.ok(text.startsWith(`${DOCK_KEY_HRP}1`));
  assert.deepEqual(parseDockKey(text), seed);
  assert.equal(formatDockPublicKey(DOCK_PK).length, 70);
  assert.deepEqual(parseDockPublicKey(formatDockPublicKey(DOCK_PK)), DOCK_PK);

  const dir = mkdtempSync(join(tmpdir(), "sealcam-dockkey-"));
  try {
    const path = join(dir, "dock.key");
    const pk = writeDockKey(crypto, path, DOCK_SEED);
    assert.deepEqual(pk, DOCK_PK);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const body = readFileSync(path, "utf8");
    assert.equal(body.split("\n")[0], DOCK_KEY_BANNER);
    assert.match(body, new RegExp(`# public key: ${formatDockPublicKey(DOCK_PK)}\n`));
    assert.deepEqual(loadDockKey(crypto, path), { seed: DOCK_SEED, publicKey: DOCK_PK });
    assert.throws(() => writeDockKey(crypto, path, seed), /already exists/);
    assert.deepEqual(parseDockKeyFile(dockKeyFileText(DOCK_SEED, DOCK_PK), "x").seed, DOCK_SEED);

    const edited = join(dir, "edited.key");
    writeFileSync(edited, dockKeyFileText(seed, DOCK_PK));
    assert.throws(() => loadDockKey(crypto, edited), /does not match the dock key/);
    const device = join(dir, "device.key");
    writeFileSync(device, `SEALCAM-DEVICE-KEY-1${"q".repeat(58)}\n`);
    assert.throws(() => loadDockKey(crypto, device), /device\.key:1:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
