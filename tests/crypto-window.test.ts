// The crypto exports confine every pointer to the I/O window (docs/ABI.md,
// assembly/crypto_abi.ts). The module's own keys live outside it: the device
// secret key, the pinned provisioning key, the recipients, the dock key. A
// host that could aim a crypto export there could sign as the device or
// write its own recipient over the force's. For every exported crypto
// function and every pointer it takes:
//   - one byte below the window, one byte past its end, address 0, and (for a
//     pointer with a length argument) a length longer than the window or one
//     that wraps, all trap before anything changes: memory, with a canary
//     around and inside the window, is byte for byte the same afterwards;
//   - the first and the last position inside the window are accepted.
// Then the audit's attacks on a configured camera, and the contexts: no field
// a host writes into a context in the window makes a call change memory
// outside the window.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { x25519 as nobleX25519, ed25519 as nobleEd25519 } from "@noble/curves/ed25519.js";
import { BUILDS, instantiateV8, type Build } from "../host/engine/index.ts";
import { CameraHarness, OK, configBlock } from "./helpers/camera.ts";
import { decryptTypage } from "./helpers/evidence.ts";

type Ctx = "sha256" | "sha512" | "hmac" | "chacha20" | "poly1305" | "aead";
type Arg =
  | { kind: "ptr"; size: number } // a pointer to `size` bytes
  | { kind: "sized"; lenArg: number } // a pointer whose length is argument `lenArg`
  | { kind: "ctx"; ctx: Ctx } // a pointer to a context of that kind
  | { kind: "len"; value: number } // a length
  | { kind: "val"; value: number }; // any other integer (a block counter)

const ptr = (size: number): Arg => ({ kind: "ptr", size });
const sized = (lenArg: number): Arg => ({ kind: "sized", lenArg });
const ctx = (c: Ctx): Arg => ({ kind: "ctx", ctx: c });
const len = (value = 100): Arg => ({ kind: "len", value });
const val = (value: number): Arg => ({ kind: "val", value });

/** Every crypto export with its arguments, in docs/ABI.md's order. */
const EXPORTS: Record<string, Arg[]> = {
  sha256_init: [ctx("sha256")],
  sha256_update: [ctx("sha256"), sized(2), len()],
  sha256_final: [ctx("sha256"), ptr(32)],
  sha256: [ptr(32), sized(2), len()],
  sha512_init: [ctx("sha512")],
  sha512_update: [ctx("sha512"), sized(2), len()],
  sha512_final: [ctx("sha512"), ptr(64)],
  sha512: [ptr(64), sized(2), len()],
  hmac_sha256_init: [ctx("hmac"), sized(2), len(40)],
  hmac_sha256_update: [ctx("hmac"), sized(2), len()],
  hmac_sha256_final: [ctx("hmac"), ptr(32)],
  hmac_sha256: [ptr(32), sized(2), len(40), sized(4), len()],
  hkdf_sha256_extract: [ptr(32), sized(2), len(16), sized(4), len(40)],
  hkdf_sha256_expand: [sized(1), len(42), ptr(32), sized(4), len(20)],
  hkdf_sha256: [sized(1), len(42), sized(3), len(16), sized(5), len(40), sized(7), len(20)],
  chacha20_init: [ctx("chacha20"), ptr(32), ptr(12), val(1)],
  chacha20_update: [ctx("chacha20"), sized(3), sized(3), len()],
  chacha20_final: [ctx("chacha20")],
  chacha20: [sized(2), sized(2), len(), ptr(32), ptr(12), val(1)],
  poly1305_init: [ctx("poly1305"), ptr(32)],
  poly1305_update: [ctx("poly1305"), sized(2), len()],
  poly1305_final: [ctx("poly1305"), ptr(16)],
  poly1305: [ptr(16), sized(2), len(), ptr(32)],
  aead_init: [ctx("aead"), ptr(32), ptr(12)],
  aead_update_ad: [ctx("aead"), sized(2), len()],
  aead_encrypt_update: [ctx("aead"), sized(3), sized(3), len()],
  aead_encrypt_final: [ctx("aead"), ptr(16)],
  aead_encrypt: [sized(3), ptr(16), sized(3), len(), sized(5), len(20), ptr(32), ptr(12)],
  aead_decrypt: [sized(2), sized(2), len(), ptr(16), sized(5), len(20), ptr(32), ptr(12)],
  x25519: [ptr(32), ptr(32), ptr(32)],
  x25519_public: [ptr(32), ptr(32)],
  ed25519_keypair: [ptr(32), ptr(64), ptr(32)],
  ed25519_sign: [ptr(64), sized(2), len(), ptr(64)],
  ed25519_check_public: [ptr(32)],
  ed25519_verify: [ptr(64), sized(2), len(), ptr(32)],
};

/** Exported functions that are not crypto: the window, the camera and its audit log and dock calls (their own tests), the runtime. */
const NOT_CRYPTO = /^(io_ptr|camera_\w+|recording_\w+|frame_\w+|frames_\w+|segment_\w+|audit_\w+|dock_\w+|receipt_\w+|__\w+)$/;

/** The streaming calls after init, with the arguments after the context (slots from `at`). */
const STREAMING: [Ctx, string, (at: (i: number) => number) => number[]][] = [
  ["sha256", "sha256_update", (at) => [at(1), 100]],
  ["sha256", "sha256_final", (at) => [at(1)]],
  ["sha512", "sha512_update", (at) => [at(1), 100]],
  ["sha512", "sha512_final", (at) => [at(1)]],
  ["hmac", "hmac_sha256_update", (at) => [at(1), 100]],
  ["hmac", "hmac_sha256_final", (at) => [at(1)]],
  ["chacha20", "chacha20_update", (at) => [at(1), at(1), 100]],
  ["chacha20", "chacha20_final", () => []],
  ["poly1305", "poly1305_update", (at) => [at(1), 100]],
  ["poly1305", "poly1305_final", (at) => [at(1)]],
  ["aead", "aead_update_ad", (at) => [at(1), 100]],
  ["aead", "aead_encrypt_update", (at) => [at(1), at(1), 100]],
  ["aead", "aead_encrypt_final", (at) => [at(1)]],
];

const u32 = (n: number): number => n >>> 0;

/** A module instance with a pristine copy of its memory and a valid context of each kind. */
class Rig {
  readonly x: Record<string, any>;
  readonly memory: WebAssembly.Memory;
  readonly io: number;
  readonly size: number;
  private readonly pristine: Buffer;
  /** The canary pattern for every address: ((address · 167 + 91) mod 251) + 1, never zero. */
  private readonly pattern: Uint8Array;
  /** A context of each kind after init and a 37-byte update (buffered counts not zero). */
  readonly templates = new Map<Ctx, Buffer>();

  private constructor(exports: Record<string, any>, memory: WebAssembly.Memory) {
    this.x = exports;
    this.memory = memory;
    this.io = u32(exports.io_ptr());
    this.size = exports.IO_BYTES.value;
    this.pristine = Buffer.from(this.mem()); // a copy
    this.pattern = this.pristine.map((_, i) => ((i * 167 + 91) % 251) + 1);
    const c = this.slot(0), key = this.slot(1), nonce = this.slot(2), data = this.slot(3);
    this.canary(this.io, this.size);
    const starts: Record<Ctx, () => void> = {
      sha256: () => { this.x.sha256_init(c); this.x.sha256_update(c, data, 37); },
      sha512: () => { this.x.sha512_init(c); this.x.sha512_update(c, data, 37); },
      hmac: () => { this.x.hmac_sha256_init(c, key, 40); this.x.hmac_sha256_update(c, data, 37); },
      chacha20: () => { this.x.chacha20_init(c, key, nonce, 1); assert.equal(this.x.chacha20_update(c, data, data, 37), OK); },
      poly1305: () => { this.x.poly1305_init(c, key); this.x.poly1305_update(c, data, 37); },
      aead: () => { this.x.aead_init(c, key, nonce); assert.equal(this.x.aead_encrypt_update(c, data, data, 37), OK); },
    };
    for (const [kind, start] of Object.entries(starts) as [Ctx, () => void][]) {
      start();
      this.templates.set(kind, Buffer.from(this.view(c, this.ctxBytes(kind))));
    }
    this.reset();
  }

  static async create(build: Build): Promise<Rig> {
    const { exports, memory } = await instantiateV8(build);
    return new Rig(exports, memory);
  }

  mem(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  view(p: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, p, n);
  }

  /** Slot i: 1 KiB at 4 KiB + i KiB into the window (every non-tested argument gets one). */
  slot(i: number): number {
    return this.io + 4096 + 1024 * i;
  }

  ctxBytes(kind: Ctx): number {
    const name = { sha256: "SHA256", sha512: "SHA512", hmac: "HMAC_SHA256", chacha20: "CHACHA20", poly1305: "POLY1305", aead: "AEAD" }[kind];
    return this.x[`${name}_CTX_BYTES`].value;
  }

  /** Memory as instantiated. */
  reset(): void {
    this.mem().set(this.pristine);
  }

  /** The canary pattern over [p, p + n). */
  canary(p: number, n: number): void {
    this.mem().set(this.pattern.subarray(p, p + n), p);
  }

  /** Every byte of memory, copied. */
  snapshot(): Buffer {
    return Buffer.from(this.mem());
  }

  /** The first offset at which memory differs from `before` (outside the window only, with `skipWindow`), or -1. */
  firstChange(before: Buffer, skipWindow = false): number {
    const now = Buffer.from(this.memory.buffer);
    const end = this.io + this.size;
    const same = skipWindow
      ? now.subarray(0, this.io).equals(before.subarray(0, this.io)) && now.subarray(end).equals(before.subarray(end))
      : now.equals(before);
    if (same) return -1;
    for (let i = 0; i < now.length; i++) {
      if (skipWindow && i >= this.io && i < this.io + this.size) continue;
      if (now[i] !== before[i]) return i;
    }
    return -1;
  }
}

/** The size pointer argument `i` covers with the lengths in `spec`. */
function extent(b: Rig, spec: Arg[], i: number): number {
  const a = spec[i];
  if (a.kind === "ptr") return a.size;
  if (a.kind === "ctx") return b.ctxBytes(a.ctx);
  if (a.kind === "sized") {
    const n = spec[a.lenArg];
    if (n.kind === "len") return n.value;
  }
  throw new Error(`argument ${i} is not a pointer with a length`);
}

/**
 * Lays out a call: every argument in its slot (contexts as valid templates),
 * then argument `tested` moved to `at` (a context's template goes with it),
 * with the length overrides in `lens`. Returns the argument list.
 */
function layout(b: Rig, spec: Arg[], tested: number, at: number, lens: Record<number, number> = {}): number[] {
  const args = spec.map((a, i) => (a.kind === "len" || a.kind === "val" ? (lens[i] ?? a.value) : b.slot(i)));
  args[tested] = at;
  spec.forEach((a, i) => {
    if (a.kind !== "ctx") return;
    const image = b.templates.get(a.ctx)!;
    const p = u32(args[i]);
    if (p + image.length <= b.mem().length) b.mem().set(image, p); // where it fits in memory
  });
  return args;
}

const isPointer = (a: Arg): boolean => a.kind === "ptr" || a.kind === "sized" || a.kind === "ctx";

for (const build of BUILDS) {
  describe(`crypto exports: pointers confined to the I/O window (${build} build)`, () => {
    let b: Rig, io: number, size: number;
    before(async () => {
      b = await Rig.create(build);
      ({ io, size } = b);
    });

    it("every exported function is a crypto export listed here, the camera's, the window's or the runtime's", () => {
      const functions = Object.entries(b.x).filter(([, v]) => typeof v === "function").map(([k]) => k);
      const crypto = functions.filter((name) => !NOT_CRYPTO.test(name)).sort();
      assert.deepEqual(crypto, Object.keys(EXPORTS).sort());
    });

    for (const [name, spec] of Object.entries(EXPORTS)) {
      it(`${name}: each pointer outside the window traps and changes nothing; the window's edges are inside`, () => {
        let checked = 0;
        spec.forEach((a, i) => {
          if (!isPointer(a)) return;
          const n = extent(b, spec, i);
          const outside: [number, Record<number, number>][] = [[io - 1, {}], [io + size - n + 1, {}], [0, {}]];
          if (a.kind === "sized") outside.push([io, { [a.lenArg]: size + 1 }], [io + 1, { [a.lenArg]: 0xffffffff }]);
          for (const [at, lens] of outside) {
            b.reset();
            const from = Math.max(0, io - 4096);
            b.canary(from, io + size + 4096 - from);
            const args = layout(b, spec, i, at, lens);
            const before = b.snapshot();
            assert.throws(() => b.x[name](...args), WebAssembly.RuntimeError, `${name} argument ${i} at ${at - io} from io, lengths ${JSON.stringify(lens)}`);
            const changed = b.firstChange(before);
            assert.equal(changed, -1, `${name} argument ${i} at ${at - io}: memory changed at ${changed - io} from io`);
            checked++;
          }
          for (const at of [io, io + size - n]) {
            b.reset();
            b.canary(io, size);
            const args = layout(b, spec, i, at);
            assert.doesNotThrow(() => b.x[name](...args), `${name} argument ${i} at ${at - io} from io is inside`);
          }
        });
        assert.ok(checked >= 3, `${name}: no pointer checked`);
        b.reset();
      });
    }

    it("no field of a context in the window makes a streaming call change memory outside it", () => {
      // Each 32-bit field of a valid context set in turn to a value that,
      // were it an offset from the context, would aim past the window's end
      // or (where the build has 1 KiB of memory below the window) below it.
      const c = b.slot(0);
      const aims = io >= 1024 ? [size + 4096, u32(io - 512 - c)] : [size + 4096];
      for (const [kind, name, rest] of STREAMING) {
        const image = b.templates.get(kind)!;
        for (let off = 0; off + 4 <= image.length; off += 4) {
          for (const aim of aims) {
            b.reset();
            b.canary(io, size);
            b.mem().set(image, c);
            new DataView(b.memory.buffer).setUint32(c + off, aim, true);
            const before = b.snapshot();
            try {
              b.x[name](c, ...rest((i) => b.slot(i)));
            } catch (e) {
              assert.ok(e instanceof WebAssembly.RuntimeError, `${name}: ${e}`);
            }
            const changed = b.firstChange(before, true);
            assert.equal(changed, -1, `${name} with context field ${off} = ${aim}: memory changed at ${changed}`);
          }
        }
      }
      b.reset();
    });

    it("the buffered counts that position an access trap when out of range (ChaCha20 72, Poly1305 80, AEAD 72 and 224)", () => {
      // Offsets from the layouts in chacha20_core.ts, poly1305_core.ts and aead.ts.
      const cases: [Ctx, string, number, (at: (i: number) => number) => number[]][] = [
        ["chacha20", "chacha20_update", 72, (at) => [at(1), at(1), 100]],
        ["poly1305", "poly1305_update", 80, (at) => [at(1), 100]],
        ["poly1305", "poly1305_final", 80, (at) => [at(1)]],
        ["aead", "aead_update_ad", 224, (at) => [at(1), 100]],
        ["aead", "aead_encrypt_update", 72, (at) => [at(1), at(1), 100]],
        ["aead", "aead_encrypt_update", 224, (at) => [at(1), at(1), 100]],
        ["aead", "aead_encrypt_final", 224, (at) => [at(1)]],
      ];
      for (const [kind, name, off, rest] of cases) {
        const limit = off === 72 ? 64 : 16;
        for (const count of [limit, limit + 1, 0x80000000, 0xffffffff]) {
          b.reset();
          b.canary(io, size);
          const c = b.slot(0);
          b.mem().set(b.templates.get(kind)!, c);
          new DataView(b.memory.buffer).setUint32(c + off, count, true);
          const before = b.snapshot();
          assert.throws(() => b.x[name](c, ...rest((i) => b.slot(i))), WebAssembly.RuntimeError, `${name} with count ${count} at ${off}`);
          assert.equal(b.firstChange(before), -1, `${name} with count ${count} at ${off}`);
        }
        // The largest count in range is accepted.
        b.reset();
        b.canary(io, size);
        const c = b.slot(0);
        b.mem().set(b.templates.get(kind)!, c);
        new DataView(b.memory.buffer).setUint32(c + off, limit - 1, true);
        assert.doesNotThrow(() => b.x[name](c, ...rest((i) => b.slot(i))), `${name} with count ${limit - 1} at ${off}`);
      }
      b.reset();
    });
  });

  describe(`crypto exports cannot reach the camera's keys (${build} build)`, () => {
    const h32 = (s: string): Uint8Array => new Uint8Array(createHash("sha256").update(s).digest());
    const SEED = h32("crypto-window device seed");
    const PK = nobleEd25519.getPublicKey(SEED);
    const FORCE_SK = h32("crypto-window force identity");
    const FORCE_PK = nobleX25519.getPublicKey(FORCE_SK);
    const ATTACKER_SK = h32("crypto-window attacker identity");

    it("the audit's attacks trap: no recipient overwritten, no signature with the device key, the force still decrypts", async () => {
      const h = await CameraHarness.create(build);
      const io = h.io;
      const size = h.x.IO_BYTES.value as number;
      const outsideWindow = (a: number): boolean => a < io || a >= io + size;
      assert.equal(h.init(configBlock({ seed: SEED, durationUs: 1_000_000n, sizeBytes: 65536n, recipients: [FORCE_PK], serial: 5n })), OK);
      h.view(io, size).fill(0);
      const recipients = h.find(FORCE_PK).filter(outsideWindow);
      const sk = h.find(new Uint8Array([...SEED, ...PK])).filter(outsideWindow);
      assert.ok(recipients.length >= 1, "the configured recipient is in the module's memory");
      assert.ok(sk.length >= 1, "the device secret key (seed ‖ pk) is in the module's memory");
      const before = Buffer.from(h.memory.buffer);
      const unchangedOutside = (what: string): void => {
        const now = new Uint8Array(h.memory.buffer);
        for (let i = 0; i < now.length; i++) {
          if (outsideWindow(i) && now[i] !== before[i]) assert.fail(`${what}: memory changed at ${i}`);
        }
      };

      // Write the attacker's recipient over the force's, from a scalar in the window.
      h.view(io, 32).set(ATTACKER_SK);
      for (const at of recipients) {
        assert.throws(() => h.x.x25519_public(at, io), WebAssembly.RuntimeError, `x25519_public(${at}, io)`);
        assert.throws(() => h.x.x25519(at, io, io + 64), WebAssembly.RuntimeError, `x25519(${at}, ...)`);
        assert.throws(() => h.x.ed25519_keypair(at, io + 128, io), WebAssembly.RuntimeError, `ed25519_keypair(${at}, ...)`);
        assert.throws(() => h.x.sha256(at, io, 32), WebAssembly.RuntimeError, `sha256(${at}, ...)`);
      }
      // Sign a message of the host's choosing with the device key, or overwrite it.
      const msg = Buffer.from("any frame record the host likes");
      h.view(io + 256, msg.length).set(msg);
      for (const at of sk) {
        assert.throws(() => h.x.ed25519_sign(io, io + 256, msg.length, at), WebAssembly.RuntimeError, `ed25519_sign(sk = ${at})`);
        assert.throws(() => h.x.ed25519_keypair(io + 64, at, io), WebAssembly.RuntimeError, `ed25519_keypair(sk = ${at})`);
      }
      // A context in the window aimed at the recipients through its buffered count.
      const poly = io + 1024;
      h.x.poly1305_init(poly, io);
      h.view(io + 2048, 32).set(nobleX25519.getPublicKey(ATTACKER_SK));
      for (const at of recipients) {
        new DataView(h.memory.buffer).setUint32(poly + 80, u32(at - (poly + 64)), true);
        assert.throws(() => h.x.poly1305_update(poly, io + 2048, 32), WebAssembly.RuntimeError, "poly1305_update with an aimed count");
        assert.throws(() => h.x.poly1305_final(poly, io + 4096), WebAssembly.RuntimeError, "poly1305_final with an aimed count");
      }
      const aead = io + 1024;
      h.x.aead_init(aead, io, io + 32);
      for (const at of recipients) {
        new DataView(h.memory.buffer).setUint32(aead + 224, u32(at - (aead + 208)), true);
        assert.throws(() => h.x.aead_update_ad(aead, io + 2048, 32), WebAssembly.RuntimeError, "aead_update_ad with an aimed count");
      }
      unchangedOutside("after the attacks");

      // The camera records as configured: the force decrypts, the attacker does not.
      h.view(io, size).fill(0);
      assert.equal(h.start(), OK);
      assert.equal(h.frame(1_700_000_000_000_000n, new Uint8Array(1000).fill(7), true), OK);
      assert.equal(h.stop(), OK);
      const age = h.committed[h.committed.length - 1].age;
      assert.equal((await decryptTypage(age, FORCE_SK)).length > 0, true);
      await assert.rejects(decryptTypage(age, ATTACKER_SK));
      assert.deepEqual(h.publicKey(), PK);
    });
  });
}
