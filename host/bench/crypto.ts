// The crypto-core benchmark: sealcam's module under V8 beside node:crypto
// (OpenSSL), libsodium-wrappers (WASM), @noble/* (JS) and
// @chainsafe/as-chacha20poly1305 (AssemblyScript), in one process and one run.
//
// sealcam's rows call the module's exports directly on data already in its
// memory ("in place"), which is how the firmware uses them; where a row copies
// data in and out of the module, its name says so. The references use their
// ordinary APIs.
import * as nc from "node:crypto";
import sodium from "libsodium-wrappers";
import sodiumSumo from "libsodium-wrappers-sumo";
import { sha256 as nobleSha256, sha512 as nobleSha512 } from "@noble/hashes/sha2.js";
import { chacha20poly1305 as nobleAead } from "@noble/ciphers/chacha.js";
import { ed25519 as nobleEd25519, x25519 as nobleX25519 } from "@noble/curves/ed25519.js";
import { ChaCha20Poly1305 as ChainsafeAead, newInstance as chainsafeInstance } from "@chainsafe/as-chacha20poly1305";
import type { Crypto } from "../engine/crypto.ts";
import type { Contender } from "./stats.ts";

export interface Operation {
  title: string;
  /** Bytes processed per operation (throughput rows), or undefined (ops/s rows). */
  bytes?: number;
  contenders: Contender[];
  /** The target: sealcam's speed / the reference's speed >= min. */
  target?: { against: string; min: number; ours?: string };
}

const ED_PUB_DER = Buffer.from("302a300506032b6570032100", "hex");
const ED_PRIV_DER = Buffer.from("302e020100300506032b657004220420", "hex");
const X_PUB_DER = Buffer.from("302a300506032b656e032100", "hex");
const X_PRIV_DER = Buffer.from("302e020100300506032b656e04220420", "hex");

/** Deterministic filler so every run hashes and encrypts the same bytes. */
function filler(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const NAMES = {
  ours: "sealcam (V8)",
  node: "node:crypto (OpenSSL)",
  sodium: "libsodium-wrappers (WASM)",
  noble: "@noble (JS)",
  chainsafe: "@chainsafe/as-chacha20poly1305",
};

export async function cryptoOperations(c: Crypto): Promise<Operation[]> {
  await sodium.ready;
  await sodiumSumo.ready;
  const x = c.instance.exports;
  const KB64 = 65536;
  const MB1 = 1 << 20;

  const key = filler(32, 1);
  const nonce = filler(12, 2);
  const chunk = filler(KB64, 3);
  const big = filler(MB1, 4);
  const bigOut = new Uint8Array(MB1 + 16);

  // Fixed places in the module's I/O window for the in-place rows.
  const data = c.data;
  const k = c.ctx + 512;
  const n = k + 32;
  const tag = n + 16;
  const out = tag + 16;
  const ctx = c.ctx;
  c.view(k, 32).set(key);
  c.view(n, 12).set(nonce);
  c.view(data, KB64).set(chunk);
  const chainsafe = new ChainsafeAead(chainsafeInstance());
  const nodeSeal = (m: Uint8Array) => {
    const cipher = nc.createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
    const body = cipher.update(m);
    cipher.final();
    return [body, cipher.getAuthTag()];
  };

  const aead64: Operation = {
    title: "ChaCha20-Poly1305 seal, 64 KiB",
    bytes: KB64,
    target: { against: NAMES.sodium, min: 2.5, ours: `${NAMES.ours}, in place` },
    contenders: [
      { name: `${NAMES.ours}, in place`, ours: true, run: () => x.aead_encrypt(data, tag, data, KB64, data, 0, k, n) },
      {
        name: `${NAMES.ours}, copy in + out`,
        ours: true,
        run: () => {
          c.view(data, KB64).set(chunk);
          x.aead_encrypt(data, tag, data, KB64, data, 0, k, n);
          bigOut.set(c.view(data, KB64 + 0));
          return bigOut;
        },
      },
      { name: NAMES.node, run: () => nodeSeal(chunk) },
      { name: NAMES.sodium, run: () => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(chunk, null, null, nonce, key) },
      { name: NAMES.noble, run: () => nobleAead(key, nonce).encrypt(chunk) },
      { name: NAMES.chainsafe, run: () => chainsafe.seal(key, nonce, chunk) },
    ],
  };

  const aead1m: Operation = {
    title: "ChaCha20-Poly1305 seal, 1 MiB",
    bytes: MB1,
    target: { against: NAMES.sodium, min: 2.5, ours: `${NAMES.ours}, in place, 16 x 64 KiB` },
    contenders: [
      {
        // One 1 MiB message through the streaming seal, the window already
        // holding each 64 KiB piece (the in-place figure the target is about).
        name: `${NAMES.ours}, in place, 16 x 64 KiB`,
        ours: true,
        run: () => {
          x.aead_init(ctx, k, n);
          for (let at = 0; at < MB1; at += KB64) x.aead_encrypt_update(ctx, data, data, KB64);
          x.aead_encrypt_final(ctx, tag);
          return tag;
        },
      },
      {
        // 1 MiB does not fit the module's 512 KiB memory: it goes through the
        // window 64 KiB at a time (one copy in, one copy out), as a segment would.
        name: `${NAMES.ours}, copied in + out, 16 x 64 KiB`,
        ours: true,
        run: () => {
          x.aead_init(ctx, k, n);
          const window = c.view(data, KB64);
          for (let at = 0; at < MB1; at += KB64) {
            window.set(big.subarray(at, at + KB64));
            x.aead_encrypt_update(ctx, data, data, KB64);
            bigOut.set(window, at);
          }
          x.aead_encrypt_final(ctx, tag);
          bigOut.set(c.view(tag, 16), MB1);
          return bigOut;
        },
      },
      { name: NAMES.node, run: () => nodeSeal(big) },
      { name: NAMES.sodium, run: () => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(big, null, null, nonce, key) },
      { name: NAMES.noble, run: () => nobleAead(key, nonce).encrypt(big) },
      { name: NAMES.chainsafe, run: () => chainsafe.seal(key, nonce, big) },
    ],
  };

  const sha512: Operation = {
    title: "SHA-512, 64 KiB",
    bytes: KB64,
    target: { against: NAMES.sodium, min: 1.0 },
    contenders: [
      { name: NAMES.ours, ours: true, run: () => x.sha512(out, data, KB64) },
      { name: NAMES.node, run: () => nc.createHash("sha512").update(chunk).digest() },
      { name: NAMES.sodium, run: () => sodium.crypto_hash(chunk) },
      { name: NAMES.noble, run: () => nobleSha512(chunk) },
    ],
  };

  const sha256: Operation = {
    title: "SHA-256, 64 KiB",
    bytes: KB64,
    contenders: [
      { name: NAMES.ours, ours: true, run: () => x.sha256(out, data, KB64) },
      { name: NAMES.node, run: () => nc.createHash("sha256").update(chunk).digest() },
      // crypto_hash_sha256 is only in the "sumo" build of the same library.
      { name: `${NAMES.sodium}, sumo`, run: () => sodiumSumo.crypto_hash_sha256(chunk) },
      { name: NAMES.noble, run: () => nobleSha256(chunk) },
    ],
  };

  // Ed25519: a 100-byte message, the size of a frame record.
  const seed = filler(32, 5);
  const msg = filler(100, 6);
  const keys = c.ed25519Keypair(seed);
  const sig = c.ed25519Sign(keys.secretKey, msg);
  const sk = out + 64;
  const pk = sk + 64;
  const sigp = pk + 32;
  const msgp = sigp + 64;
  c.view(sk, 64).set(keys.secretKey);
  c.view(pk, 32).set(keys.publicKey);
  c.view(sigp, 64).set(sig);
  c.view(msgp, 100).set(msg);
  const nodeEdPriv = nc.createPrivateKey({ key: Buffer.concat([ED_PRIV_DER, seed]), format: "der", type: "pkcs8" });
  const nodeEdPub = nc.createPublicKey({ key: Buffer.concat([ED_PUB_DER, keys.publicKey]), format: "der", type: "spki" });
  const sodiumKeys = sodium.crypto_sign_seed_keypair(seed);

  const edSign: Operation = {
    title: "Ed25519 sign, 100-byte message",
    target: { against: NAMES.sodium, min: 1.0 },
    contenders: [
      { name: NAMES.ours, ours: true, run: () => x.ed25519_sign(out, msgp, 100, sk) },
      { name: NAMES.node, run: () => nc.sign(null, msg, nodeEdPriv) },
      { name: NAMES.sodium, run: () => sodium.crypto_sign_detached(msg, sodiumKeys.privateKey) },
      { name: NAMES.noble, run: () => nobleEd25519.sign(msg, seed) },
    ],
  };

  const edVerify: Operation = {
    title: "Ed25519 verify, 100-byte message",
    contenders: [
      { name: NAMES.ours, ours: true, run: () => x.ed25519_verify(sigp, msgp, 100, pk) },
      { name: NAMES.node, run: () => nc.verify(null, msg, nodeEdPub, sig) },
      { name: NAMES.sodium, run: () => sodium.crypto_sign_verify_detached(sig, msg, keys.publicKey) },
      { name: NAMES.noble, run: () => nobleEd25519.verify(sig, msg, keys.publicKey) },
    ],
  };

  const scalar = filler(32, 7);
  const peerSecret = filler(32, 8);
  const peer = c.x25519Public(peerSecret);
  const sp = msgp + 128;
  const pp = sp + 32;
  c.view(sp, 32).set(scalar);
  c.view(pp, 32).set(peer);
  const nodeXPriv = nc.createPrivateKey({ key: Buffer.concat([X_PRIV_DER, scalar]), format: "der", type: "pkcs8" });
  const nodeXPub = nc.createPublicKey({ key: Buffer.concat([X_PUB_DER, peer]), format: "der", type: "spki" });

  const x25519: Operation = {
    title: "X25519 shared secret",
    target: { against: NAMES.sodium, min: 0.8 },
    contenders: [
      { name: NAMES.ours, ours: true, run: () => x.x25519(out, sp, pp) },
      { name: NAMES.node, run: () => nc.diffieHellman({ privateKey: nodeXPriv, publicKey: nodeXPub }) },
      { name: NAMES.sodium, run: () => sodium.crypto_scalarmult(scalar, peer) },
      { name: NAMES.noble, run: () => nobleX25519.scalarMult(scalar, peer) },
    ],
  };

  return [aead64, aead1m, sha512, sha256, edSign, edVerify, x25519];
}
