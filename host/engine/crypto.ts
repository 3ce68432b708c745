// The module's crypto core, seen from the host: each call copies its inputs
// into the module's I/O window, calls the export, and copies the result out.
// Used by the tests, the benchmark and the demo; the capture pipeline talks to
// the module through its own ABI instead.
//
// Layout of the I/O window (assembly/abi.ts):
//   [0, 64 KiB)            DATA: message / plaintext / ciphertext
//   [64 KiB, 128 KiB)      DATA2: second message area (associated data)
//   [128 KiB, +1 KiB)      CTX: one streaming context
//   [+1 KiB, +4 KiB)       small values: keys, nonces, tags, digests, points
import { SealcamError, EXIT, MODULE_ERRORS, moduleMessage } from "../errors.ts";
import type { Instance } from "./index.ts";

const KIB = 1024;
export const WINDOW = 64 * KIB;

/** A module error surfaced to the host: the code and its message. */
export class ModuleError extends SealcamError {
  constructor(op: string, code: number) {
    super(`${op}: ${moduleMessage(code)}`, EXIT.INTERNAL, code);
  }
}

export class Crypto {
  readonly instance: Instance;
  private readonly x: Record<string, any>;
  private readonly io: number;
  readonly data: number;
  readonly data2: number;
  readonly ctx: number;
  private readonly small: number;

  constructor(instance: Instance) {
    this.instance = instance;
    this.x = instance.exports;
    this.io = this.x.io_ptr() >>> 0;
    this.data = this.io;
    this.data2 = this.io + WINDOW;
    this.ctx = this.io + 2 * WINDOW;
    this.small = this.ctx + KIB;
    const ioBytes = this.x.IO_BYTES.value;
    if (ioBytes < 2 * WINDOW + 4 * KIB) throw new SealcamError(`module I/O window too small: ${ioBytes}`, EXIT.SETUP);
    for (const [name, size] of [
      ["SHA256_CTX_BYTES", KIB], ["SHA512_CTX_BYTES", KIB], ["HMAC_SHA256_CTX_BYTES", KIB],
      ["CHACHA20_CTX_BYTES", KIB], ["POLY1305_CTX_BYTES", KIB], ["AEAD_CTX_BYTES", KIB],
    ] as const) {
      if (this.x[name].value > size) throw new SealcamError(`${name} exceeds the host's context slot`, EXIT.SETUP);
    }
  }

  /** A view of module memory (valid for the instance's life: memory never grows). */
  view(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.instance.memory.buffer, ptr, len);
  }

  private put(ptr: number, bytes: Uint8Array, max: number): number {
    if (bytes.length > max) throw new SealcamError(`input of ${bytes.length} bytes exceeds the ${max}-byte window`, EXIT.USAGE);
    this.view(ptr, bytes.length).set(bytes);
    return ptr;
  }

  private exact(ptr: number, bytes: Uint8Array, size: number, what: string): number {
    if (bytes.length !== size) throw new SealcamError(`${what} must be ${size} bytes, not ${bytes.length}`, EXIT.USAGE);
    return this.put(ptr, bytes, size);
  }

  private get(ptr: number, len: number): Uint8Array {
    return this.view(ptr, len).slice();
  }

  /** Small-value slots: slot i is 128 bytes at small + 128 i (up to 24 slots). */
  private slot(i: number): number {
    return this.small + 128 * i;
  }

  private check(op: string, code: number): void {
    if (code !== 0) throw new ModuleError(op, code);
  }

  // ---- hashes -------------------------------------------------------------

  private hash(name: "sha256" | "sha512", size: number, msg: Uint8Array, splits?: number[]): Uint8Array {
    const out = this.slot(0);
    if (!splits && msg.length <= WINDOW) {
      this.x[name](out, this.put(this.data, msg, WINDOW), msg.length);
      return this.get(out, size);
    }
    this.x[`${name}_init`](this.ctx);
    for (const piece of pieces(msg, splits)) this.x[`${name}_update`](this.ctx, this.put(this.data, piece, WINDOW), piece.length);
    this.x[`${name}_final`](this.ctx, out);
    return this.get(out, size);
  }

  /** SHA-256 of msg; with `splits`, through init/update/final cut at those offsets. */
  sha256(msg: Uint8Array, splits?: number[]): Uint8Array {
    return this.hash("sha256", 32, msg, splits);
  }

  /** SHA-512 of msg; with `splits`, through init/update/final cut at those offsets. */
  sha512(msg: Uint8Array, splits?: number[]): Uint8Array {
    return this.hash("sha512", 64, msg, splits);
  }

  /** HMAC-SHA-256(key, msg); with `splits`, streamed. */
  hmacSha256(key: Uint8Array, msg: Uint8Array, splits?: number[]): Uint8Array {
    const out = this.slot(0);
    const k = this.put(this.data2, key, WINDOW);
    if (!splits && msg.length <= WINDOW) {
      this.x.hmac_sha256(out, k, key.length, this.put(this.data, msg, WINDOW), msg.length);
      return this.get(out, 32);
    }
    this.x.hmac_sha256_init(this.ctx, k, key.length);
    for (const piece of pieces(msg, splits)) this.x.hmac_sha256_update(this.ctx, this.put(this.data, piece, WINDOW), piece.length);
    this.x.hmac_sha256_final(this.ctx, out);
    return this.get(out, 32);
  }

  /** HKDF-SHA-256 (RFC 5869): `length` bytes of output keying material. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    const third = 16 * KIB;
    const s = this.put(this.data2, salt, third);
    const i = this.put(this.data2 + third, info, third);
    const m = this.put(this.data2 + 2 * third, ikm, WINDOW - 2 * third);
    const code = this.x.hkdf_sha256(this.data, length, s, salt.length, m, ikm.length, i, info.length);
    this.check("hkdf", code);
    return this.get(this.data, length);
  }

  // ---- ChaCha20, Poly1305, AEAD -------------------------------------------

  /** ChaCha20 (RFC 8439) keystream XOR; with `splits`, through init/update/final. */
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array, splits?: number[]): Uint8Array {
    const k = this.exact(this.slot(0), key, 32, "key");
    const n = this.exact(this.slot(1), nonce, 12, "nonce");
    if (!splits && input.length <= WINDOW) {
      this.check("chacha20", this.x.chacha20(this.data, this.put(this.data, input, WINDOW), input.length, k, n, counter));
      return this.get(this.data, input.length);
    }
    const out = new Uint8Array(input.length);
    let at = 0;
    this.x.chacha20_init(this.ctx, k, n, counter);
    for (const piece of pieces(input, splits)) {
      this.check("chacha20", this.x.chacha20_update(this.ctx, this.data, this.put(this.data, piece, WINDOW), piece.length));
      out.set(this.view(this.data, piece.length), at);
      at += piece.length;
    }
    this.x.chacha20_final(this.ctx);
    return out;
  }

  /** Poly1305 one-time authenticator; with `splits`, streamed. */
  poly1305(key: Uint8Array, msg: Uint8Array, splits?: number[]): Uint8Array {
    const k = this.exact(this.slot(0), key, 32, "key");
    const tag = this.slot(1);
    if (!splits && msg.length <= WINDOW) {
      this.x.poly1305(tag, this.put(this.data, msg, WINDOW), msg.length, k);
      return this.get(tag, 16);
    }
    this.x.poly1305_init(this.ctx, k);
    for (const piece of pieces(msg, splits)) this.x.poly1305_update(this.ctx, this.put(this.data, piece, WINDOW), piece.length);
    this.x.poly1305_final(this.ctx, tag);
    return this.get(tag, 16);
  }

  /**
   * ChaCha20-Poly1305 seal: returns ciphertext || 16-byte tag. With `splits`
   * the plaintext goes through aead_encrypt_update in those pieces (and the AD
   * in two pieces at adSplit).
   */
  aeadEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, splits?: number[], adSplit?: number): Uint8Array {
    const k = this.exact(this.slot(0), key, 32, "key");
    const n = this.exact(this.slot(1), nonce, 12, "nonce");
    const tag = this.slot(2);
    const a = this.put(this.data2, ad, WINDOW);
    const out = new Uint8Array(plaintext.length + 16);
    if (!splits && plaintext.length <= WINDOW) {
      const p = this.put(this.data, plaintext, WINDOW);
      this.check("aead encrypt", this.x.aead_encrypt(p, tag, p, plaintext.length, a, ad.length, k, n));
      out.set(this.view(this.data, plaintext.length));
    } else {
      this.x.aead_init(this.ctx, k, n);
      const cut = adSplit ?? ad.length;
      this.check("aead ad", this.x.aead_update_ad(this.ctx, a, cut));
      this.check("aead ad", this.x.aead_update_ad(this.ctx, a + cut, ad.length - cut));
      let at = 0;
      for (const piece of pieces(plaintext, splits)) {
        const p = this.put(this.data, piece, WINDOW);
        this.check("aead encrypt", this.x.aead_encrypt_update(this.ctx, p, p, piece.length));
        out.set(this.view(p, piece.length), at);
        at += piece.length;
      }
      this.x.aead_encrypt_final(this.ctx, tag);
    }
    out.set(this.view(tag, 16), plaintext.length);
    return out;
  }

  /**
   * ChaCha20-Poly1305 open of ciphertext || tag. Returns the plaintext, or the
   * module's error code (a number) when the tag does not match.
   */
  aeadDecrypt(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | number {
    if (sealed.length < 16) return MODULE_ERRORS.ERR_AUTH.code;
    const len = sealed.length - 16;
    const k = this.exact(this.slot(0), key, 32, "key");
    const n = this.exact(this.slot(1), nonce, 12, "nonce");
    const tag = this.put(this.slot(2), sealed.subarray(len), 16);
    const a = this.put(this.data2, ad, WINDOW);
    const c = this.put(this.data, sealed.subarray(0, len), WINDOW);
    const code = this.x.aead_decrypt(c, c, len, tag, a, ad.length, k, n);
    return code === 0 ? this.get(c, len) : code;
  }

  // ---- X25519, Ed25519 ----------------------------------------------------

  /** X25519(scalar, point): the 32-byte result and the module's code (0, or ERR_LOW_ORDER). */
  x25519(scalar: Uint8Array, point: Uint8Array): { shared: Uint8Array; code: number } {
    const out = this.slot(2);
    const code = this.x.x25519(out, this.exact(this.slot(0), scalar, 32, "scalar"), this.exact(this.slot(1), point, 32, "point"));
    return { shared: this.get(out, 32), code };
  }

  /** X25519 public key of a 32-byte scalar. */
  x25519Public(scalar: Uint8Array): Uint8Array {
    const out = this.slot(1);
    this.x.x25519_public(out, this.exact(this.slot(0), scalar, 32, "scalar"));
    return this.get(out, 32);
  }

  /** Ed25519 key pair from a 32-byte seed: public key and the 64-byte secret (seed || public). */
  ed25519Keypair(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
    const pk = this.slot(1);
    const sk = this.slot(2);
    this.x.ed25519_keypair(pk, sk, this.exact(this.slot(0), seed, 32, "seed"));
    const keys = { publicKey: this.get(pk, 32), secretKey: this.get(sk, 64) };
    this.view(sk, 64).fill(0);
    this.view(this.slot(0), 32).fill(0);
    return keys;
  }

  /** Ed25519 signature of msg under secretKey (seed || public, from ed25519Keypair). */
  ed25519Sign(secretKey: Uint8Array, msg: Uint8Array): Uint8Array {
    const sig = this.slot(0);
    const sk = this.exact(this.slot(1), secretKey, 64, "secret key");
    this.x.ed25519_sign(sig, this.put(this.data, msg, WINDOW), msg.length, sk);
    this.view(sk, 64).fill(0);
    return this.get(sig, 64);
  }

  /** 0 when `publicKey` is a canonical Ed25519 point of large order, else ERR_BAD_POINT or ERR_SMALL_ORDER. */
  ed25519CheckPublic(publicKey: Uint8Array): number {
    if (publicKey.length !== 32) return MODULE_ERRORS.ERR_LENGTH.code;
    return this.x.ed25519_check_public(this.put(this.slot(1), publicKey, 32));
  }

  /** Ed25519 strict verification: 0 when valid, else the module's reason code. */
  ed25519Verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): number {
    if (sig.length !== 64 || publicKey.length !== 32) return MODULE_ERRORS.ERR_LENGTH.code;
    return this.x.ed25519_verify(this.put(this.slot(0), sig, 64), this.put(this.data, msg, WINDOW), msg.length, this.put(this.slot(1), publicKey, 32));
  }
}

/** msg cut at the given offsets (sorted, within [0, length]); whole when none. */
export function* pieces(msg: Uint8Array, splits?: number[]): Generator<Uint8Array> {
  const cuts = splits ? [...splits].sort((a, b) => a - b) : [];
  let at = 0;
  for (const cut of [...cuts, msg.length]) {
    let end = Math.min(Math.max(cut, at), msg.length);
    // Never hand the module more than one window at a time.
    while (end - at > WINDOW) {
      yield msg.subarray(at, at + WINDOW);
      at += WINDOW;
    }
    yield msg.subarray(at, end);
    at = end;
  }
}
