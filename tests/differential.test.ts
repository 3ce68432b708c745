// Random differential tests: the module against node:crypto (OpenSSL) and the
// @noble libraries, on seeded random inputs whose lengths cross block, chunk
// and window boundaries, and through the streaming forms cut at random split
// points. SEALCAM_REQUIRE_ALL=1 (CI) runs 10,000 cases per primitive and
// build; otherwise 1,000. SEALCAM_SEED replays a run.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as nc from "node:crypto";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { chacha20 as nobleChacha20, chacha20poly1305 as nobleAead } from "@noble/ciphers/chacha.js";
import { poly1305 as noblePoly1305 } from "@noble/ciphers/_poly1305.js";
import { ed25519 as nobleEd25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { loadCrypto, TEST_BUILDS, REQUIRE_ALL, hex } from "./helpers/module.ts";
import { Rng, SEED } from "./helpers/random.ts";
import type { Crypto } from "../host/engine/crypto.ts";

const CASES = Number(process.env.SEALCAM_DIFF_CASES ?? (REQUIRE_ALL ? 10_000 : 1_000));

// DER prefixes turning raw 32-byte Ed25519 keys into node:crypto KeyObjects (RFC 8410).
const ED_PUB_DER = Buffer.from("302a300506032b6570032100", "hex");
const ED_PRIV_DER = Buffer.from("302e020100300506032b657004220420", "hex");

function nodeEdSign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  const key = nc.createPrivateKey({ key: Buffer.concat([ED_PRIV_DER, seed]), format: "der", type: "pkcs8" });
  return new Uint8Array(nc.sign(null, msg, key));
}

function nodeEdVerify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const key = nc.createPublicKey({ key: Buffer.concat([ED_PUB_DER, pk]), format: "der", type: "spki" });
  return nc.verify(null, msg, key, sig);
}

function nodeChacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array {
  // OpenSSL's chacha20 IV is the 32-bit little-endian block counter followed by the 96-bit nonce.
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  iv.set(nonce, 4);
  const c = nc.createCipheriv("chacha20", key, iv);
  return new Uint8Array(Buffer.concat([c.update(input), c.final()]));
}

function nodeAeadSeal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array {
  const c = nc.createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  c.setAAD(ad, { plaintextLength: pt.length });
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

for (const build of TEST_BUILDS) {
  describe(`differential, ${CASES} cases per primitive (${build} build, seed ${SEED})`, () => {
    let c: Crypto;
    before(async () => {
      c = await loadCrypto(build);
    });

    it("sha256 and sha512 vs node:crypto and @noble/hashes, one-shot and streamed", () => {
      const rng = new Rng(SEED ^ 0x5a256);
      for (let i = 0; i < CASES; i++) {
        const msg = rng.bytes(rng.length());
        const splits = rng.splits(msg.length);
        const id = `case ${i}, length ${msg.length}, splits ${splits}`;
        const want256 = nc.createHash("sha256").update(msg).digest("hex");
        const want512 = nc.createHash("sha512").update(msg).digest("hex");
        assert.equal(hex(c.sha256(msg, splits)), want256, id);
        assert.equal(hex(c.sha512(msg, splits)), want512, id);
        if (i % 10 === 0) {
          assert.equal(hex(c.sha256(msg)), hex(nobleSha256(msg)), id);
          assert.equal(hex(c.sha512(msg)), hex(nobleSha512(msg)), id);
        }
      }
    });

    it("hmac-sha256 vs node:crypto, hkdf-sha256 vs @noble/hashes", () => {
      const rng = new Rng(SEED ^ 0x4ac);
      for (let i = 0; i < CASES; i++) {
        const key = rng.bytes(rng.int(200));
        const msg = rng.bytes(rng.int(4) === 0 ? rng.length() : rng.int(400));
        const splits = rng.splits(msg.length);
        const id = `case ${i}, key ${key.length}, length ${msg.length}, splits ${splits}`;
        const want = nc.createHmac("sha256", key).update(msg).digest("hex");
        assert.equal(hex(c.hmacSha256(key, msg, splits)), want, id);
        assert.equal(hex(c.hmacSha256(key, msg)), want, id);
        const ikm = rng.bytes(rng.int(100));
        const salt = rng.bytes(rng.int(100));
        const info = rng.bytes(rng.int(100));
        const size = 1 + rng.int(rng.int(8) === 0 ? 8160 : 200);
        assert.equal(hex(c.hkdfSha256(ikm, salt, info, size)), hex(nobleHkdf(nobleSha256, ikm, salt, info, size)), id);
      }
    });

    it("chacha20 vs node:crypto and @noble/ciphers, any counter, streamed", () => {
      const rng = new Rng(SEED ^ 0xc20);
      for (let i = 0; i < CASES; i++) {
        const key = rng.bytes(32);
        const nonce = rng.bytes(12);
        const input = rng.bytes(rng.length());
        const blocks = Math.ceil(input.length / 64);
        // Counters near the top of the 32-bit range, but never wrapping.
        const counter = rng.int(2) ? rng.int(1000) : 0xffffffff - blocks - rng.int(1000);
        const splits = rng.splits(input.length);
        const id = `case ${i}, length ${input.length}, counter ${counter}, splits ${splits}`;
        const want = hex(nodeChacha20(key, nonce, counter, input));
        assert.equal(hex(c.chacha20(key, nonce, counter, input, splits)), want, id);
        if (i % 10 === 0) {
          assert.equal(hex(c.chacha20(key, nonce, counter, input)), want, id);
          assert.equal(hex(nobleChacha20(key, nonce, input, undefined, counter)), want, id);
        }
      }
    });

    it("poly1305 vs @noble/ciphers, one-shot and streamed", () => {
      const rng = new Rng(SEED ^ 0x1305);
      for (let i = 0; i < CASES; i++) {
        const key = rng.bytes(32);
        if (i % 7 === 0) key.fill(0xff, 0, 16); // r at its clamped maximum
        const msg = rng.bytes(rng.length());
        if (i % 5 === 0) msg.fill(0xff); // carries at every limb
        const splits = rng.splits(msg.length);
        const id = `case ${i}, length ${msg.length}, splits ${splits}`;
        const want = hex(noblePoly1305(msg, key));
        assert.equal(hex(c.poly1305(key, msg, splits)), want, id);
        assert.equal(hex(c.poly1305(key, msg)), want, id);
      }
    });

    it("chacha20-poly1305 vs node:crypto and @noble/ciphers: seal streamed, open, tamper", () => {
      const rng = new Rng(SEED ^ 0xae4d);
      for (let i = 0; i < CASES; i++) {
        const key = rng.bytes(32);
        const nonce = rng.bytes(12);
        const pt = rng.bytes(Math.min(rng.length(), 65536 * 3));
        const ad = rng.bytes(rng.int(4) === 0 ? rng.int(2000) : rng.int(40));
        const splits = rng.splits(pt.length);
        const adSplit = rng.int(ad.length + 1);
        const id = `case ${i}, length ${pt.length}, ad ${ad.length}, splits ${splits}, ad split ${adSplit}`;
        const want = nodeAeadSeal(key, nonce, pt, ad);
        assert.equal(hex(c.aeadEncrypt(key, nonce, pt, ad, splits, adSplit)), hex(want), id);
        if (i % 10 === 0) assert.equal(hex(nobleAead(key, nonce, ad).encrypt(pt)), hex(want), id);
        if (want.length <= 65536 + 16) {
          assert.equal(hex(c.aeadEncrypt(key, nonce, pt, ad)), hex(want), id);
          const opened = c.aeadDecrypt(key, nonce, want, ad);
          assert.ok(opened instanceof Uint8Array, id);
          assert.equal(hex(opened as Uint8Array), hex(pt), id);
          const bad = want.slice();
          bad[rng.int(bad.length)] ^= 1 << rng.int(8);
          assert.equal(c.aeadDecrypt(key, nonce, bad, ad), 1, `${id}: tampered ciphertext must fail`);
        }
      }
    });

    it("x25519 vs @noble/curves", () => {
      const rng = new Rng(SEED ^ 0x25519);
      for (let i = 0; i < CASES; i++) {
        const a = rng.bytes(32);
        const b = rng.bytes(32);
        const id = `case ${i}, a ${hex(a)}, b ${hex(b)}`;
        const pubB = c.x25519Public(b);
        assert.equal(hex(pubB), hex(nobleX25519.getPublicKey(b)), id);
        // Random u-coordinates too (not only honest public keys), top bit included.
        const u = i % 2 ? pubB : rng.bytes(32);
        const { shared, code } = c.x25519(a, u);
        assert.equal(code, 0, id);
        assert.equal(hex(shared), hex(nobleX25519.scalarMult(a, u)), id);
      }
    });

    it("ed25519 keypair, sign, verify vs node:crypto and @noble/curves; corrupted signatures fail", () => {
      const rng = new Rng(SEED ^ 0xed);
      for (let i = 0; i < CASES; i++) {
        const seed = rng.bytes(32);
        const msg = rng.bytes(rng.int(8) === 0 ? rng.int(5000) : rng.int(300));
        const id = `case ${i}, seed ${hex(seed)}, length ${msg.length}`;
        const { publicKey, secretKey } = c.ed25519Keypair(seed);
        if (i % 10 === 0) assert.equal(hex(publicKey), hex(nobleEd25519.getPublicKey(seed)), id);
        const sig = c.ed25519Sign(secretKey, msg);
        assert.equal(hex(sig), hex(nodeEdSign(seed, msg)), id);
        assert.equal(c.ed25519Verify(publicKey, msg, sig), 0, id);
        const bad = sig.slice();
        const which = rng.int(3);
        if (which === 0) bad[rng.int(64)] ^= 1 << rng.int(8);
        const badMsg = which === 1 && msg.length > 0 ? msg.slice() : msg;
        if (which === 1 && msg.length > 0) badMsg[rng.int(msg.length)] ^= 1 << rng.int(8);
        if (which === 2) bad.set(rng.bytes(32), rng.int(2) * 32);
        const changed = which === 1 ? msg.length > 0 : hex(bad) !== hex(sig);
        if (!changed) continue;
        assert.notEqual(c.ed25519Verify(publicKey, badMsg, bad), 0, `${id}: corrupted (${which}) must fail`);
        assert.equal(nodeEdVerify(publicKey, badMsg, bad), false, `${id}: reference agrees it fails`);
      }
    });
  });
}
