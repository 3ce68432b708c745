// Docking inside the module (docs/ABI.md "Dock and receipts", bytes in
// FORMAT.md "Docking"): the camera answers only a hello signed by the dock
// key its signed configuration pins, and accepts a receipt only when that
// dock signed it and it names this device and exactly the segment (or audit
// entry) the host wants to delete. Messages are built here from FORMAT.md's
// tables and signed with @noble/curves; the device's answer is checked with
// it too. Every decision is logged (kinds 9 and 11) before it takes effect.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Build } from "../host/engine/index.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { CameraHarness, OK, KIB, type StoredSegment } from "./helpers/camera.ts";
import { DEVICE_SEED, DEVICE_PK, Session, camera, config } from "./helpers/recording.ts";
import { Rng } from "./helpers/random.ts";
import {
  KIND, DOMAINS, checkChain, decodeEntry, sha256, dockHello, answerMessage, dockReceipt, segmentReceiptFields, signEntry,
  type ReceiptFields,
} from "./helpers/audit-entries.ts";

const BUILDS: Build[] = ["release", "scalar"];
const T0 = 1_700_000_000_000_000n;
const E = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([name, e]) => [name, e.code])) as Record<string, number>;
const at = (i: number): bigint => T0 + BigInt(i) * 100_000n;
const bytesOf = (i: number, n = 20_000): Uint8Array => new Rng(4000 + i).bytes(n);

const seed = (label: string): Uint8Array => new Uint8Array(sha256(Buffer.from(label)));
const DOCK_SEED = seed("sealcam test dock key");
const DOCK_PK = ed25519.getPublicKey(DOCK_SEED);
const OTHER_DOCK_SEED = seed("sealcam test: another dock");
const OTHER_DOCK_PK = ed25519.getPublicKey(OTHER_DOCK_SEED);
const OTHER_DEVICE_SEED = seed("sealcam test: another camera");
const OTHER_DEVICE_PK = ed25519.getPublicKey(OTHER_DEVICE_SEED);
/** Ed25519's group order. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

// Where the tests put things in the I/O window.
const IN = 0;
const OUT = 1 * KIB;
const SUBJECT = 2 * KIB;

/** dock_auth with `hello` written into the window; `out` pre-filled with 0xaa. Returns the code and what is at `out`. */
function auth(h: CameraHarness, hello: Uint8Array): { rc: number; out: Buffer } {
  h.view(h.io + IN, hello.length).set(hello);
  h.view(h.io + OUT, 64).fill(0xaa);
  const rc = h.x.dock_auth(h.io + IN, hello.length, h.io + OUT);
  return { rc, out: Buffer.from(h.view(h.io + OUT, 64)) };
}

/** receipt_check with both written into the window. */
function check(h: CameraHarness, receipt: Uint8Array, subject: Uint8Array): number {
  h.view(h.io + IN, receipt.length).set(receipt);
  h.view(h.io + SUBJECT, subject.length).set(subject);
  return h.x.receipt_check(h.io + IN, receipt.length, h.io + SUBJECT, subject.length);
}

/** A docked camera with two committed segments of one recording. */
async function docked(build: Build, dock: Uint8Array | null = DOCK_PK): Promise<{ s: Session; h: CameraHarness; segs: StoredSegment[] }> {
  const s = await camera(build, config({ dock: dock ?? undefined }));
  const { h } = s;
  assert.equal(h.start(), OK);
  for (let i = 0; i < 25; i++) assert.equal(s.frame(at(i), bytesOf(i), i % 10 === 0), OK);
  assert.equal(h.stop(), OK);
  assert.equal(h.committed.length, 2);
  return { s, h, segs: h.committed };
}

const flip = (b: Uint8Array, i: number): Buffer => {
  const c = Buffer.from(b);
  c[i] ^= 1;
  return c;
};

/** The signature with S replaced by S + L: the same point equation, a non-canonical scalar. */
function plusL(signed: Uint8Array, sigAt: number): Buffer {
  const c = Buffer.from(signed);
  const s = BigInt("0x" + Buffer.from(c.subarray(sigAt + 32, sigAt + 64)).reverse().toString("hex")) + L;
  Buffer.from(s.toString(16).padStart(64, "0"), "hex").reverse().copy(c, sigAt + 32);
  return c;
}

for (const build of BUILDS) {
  describe(`dock authentication (${build})`, () => {
    it("answers a hello signed by the configured dock: the device's signature over the documented message, kind 9 logged", async () => {
      const { h } = await docked(build);
      const challenge = new Rng(1).bytes(32);
      const hello = dockHello(DOCK_SEED, challenge, 1_700_000_123_000_000n);
      const before = h.audit.length;
      const { rc, out } = auth(h, hello);
      assert.equal(rc, OK);
      assert.ok(ed25519.verify(out, answerMessage(DEVICE_PK, DOCK_PK, challenge), DEVICE_PK), "answer verifies (noble)");
      assert.ok(!ed25519.verify(out, answerMessage(DEVICE_PK, DOCK_PK, new Rng(2).bytes(32)), DEVICE_PK), "and only for that challenge");
      assert.ok(!ed25519.verify(out, Buffer.concat([DEVICE_PK, DOCK_PK, challenge]), DEVICE_PK), "the domain is signed");
      const [e] = checkChain(h.audit, DEVICE_PK).slice(before);
      assert.equal(h.audit.length, before + 1);
      assert.deepEqual([e.kind, e.a, e.b], [KIND.dock, 1_700_000_123_000_000n, 0n]);
      assert.ok(e.ref.equals(Buffer.from(DOCK_PK)), "ref: the dock key");
      assert.equal(h.x.DOCK_HELLO_BYTES.value, 136);
      assert.equal(h.x.RECEIPT_BYTES.value, 216);
      assert.ok(h.memoryUnchanged());
    });

    it("refuses hellos not signed by the configured dock key: ERR_UNSIGNED, nothing signed, nothing logged", async () => {
      const { h } = await docked(build);
      const challenge = new Rng(3).bytes(32);
      const good = dockHello(DOCK_SEED, challenge, 5n);
      const cases: [string, Uint8Array, number][] = [
        ["another dock, its own key", dockHello(OTHER_DOCK_SEED, challenge, 5n), E.ERR_UNSIGNED],
        ["another dock, naming ours", dockHello(OTHER_DOCK_SEED, challenge, 5n, DOCK_PK), E.ERR_UNSIGNED],
        ["our dock, naming another key", dockHello(DOCK_SEED, challenge, 5n, OTHER_DOCK_PK), E.ERR_UNSIGNED],
        ["signature bit flipped", flip(good, 100), E.ERR_UNSIGNED],
        ["challenge changed after signing", flip(good, 40), E.ERR_UNSIGNED],
        ["time changed after signing", flip(good, 64), E.ERR_UNSIGNED],
        ["non-canonical S (S + L)", plusL(good, 72), E.ERR_UNSIGNED],
        ["135 bytes", good.subarray(0, 135), E.ERR_CONFIG],
        ["137 bytes", Buffer.concat([good, Buffer.alloc(1)]), E.ERR_CONFIG],
        ["empty", good.subarray(0, 0), E.ERR_CONFIG],
      ];
      const before = h.audit.length;
      for (const [name, hello, code] of cases) {
        const { rc, out } = auth(h, hello);
        assert.equal(rc, code, name);
        assert.ok(out.equals(Buffer.alloc(64, 0xaa)), `${name}: nothing written at out`);
      }
      assert.equal(h.audit.length, before, "nothing logged");
      assert.equal(auth(h, good).rc, OK, "the good hello still works");
    });

    it("no dock configured: ERR_UNSIGNED; not configured: ERR_STATE; audit_write failing: ERR_STORAGE, nothing signed", async () => {
      const { h } = await docked(build, null);
      const hello = dockHello(DOCK_SEED, new Rng(4).bytes(32), 5n);
      assert.deepEqual(auth(h, hello), { rc: E.ERR_UNSIGNED, out: Buffer.alloc(64, 0xaa) });
      const fresh = await CameraHarness.create(build);
      assert.equal(fresh.init(config({ dock: DOCK_PK }).subarray(0, 72)), OK, "camera_init and audit_start only");
      assert.equal(auth(fresh, hello).rc, E.ERR_STATE, "no configuration yet");
      const d = (await docked(build)).h;
      d.failAt("audit_write", 1);
      const before = d.audit.length;
      assert.deepEqual(auth(d, hello), { rc: E.ERR_STORAGE, out: Buffer.alloc(64, 0xaa) });
      assert.deepEqual(d.events.at(-1)!.map(Number), [9, KIND.dock, 1]);
      assert.equal(d.audit.length, before);
    });

    it("signs the challenge it verified: a hello changed in the window from inside an import changes nothing", async () => {
      const { h } = await docked(build);
      const challenge = new Rng(5).bytes(32);
      h.onImport = (name) => {
        if (name === "audit_write") h.view(h.io + IN + 32, 32).fill(0x77); // the challenge, after the check
      };
      const { rc, out } = auth(h, dockHello(DOCK_SEED, challenge, 5n));
      h.onImport = undefined;
      assert.equal(rc, OK);
      assert.ok(ed25519.verify(out, answerMessage(DEVICE_PK, DOCK_PK, challenge), DEVICE_PK));
    });

    it("pointers outside the I/O window trap before anything is logged or written", async () => {
      const { h } = await docked(build);
      const size = h.x.IO_BYTES.value as number;
      const hello = dockHello(DOCK_SEED, new Rng(6).bytes(32), 5n);
      h.view(h.io, 136).set(hello);
      const before = h.audit.length;
      for (const [p, q] of [[h.io - 1, h.io + OUT], [h.io + size - 135, h.io + OUT], [0, h.io + OUT], [h.io, h.io - 1], [h.io, h.io + size - 63], [h.io, 0]]) {
        assert.throws(() => h.x.dock_auth(p, 136, q), WebAssembly.RuntimeError, `dock_auth(${p - h.io}, ${q - h.io})`);
      }
      const r = new Uint8Array(216);
      for (const [p, n, q, m] of [
        [h.io - 1, 216, h.io + SUBJECT, 251], [h.io + size - 215, 216, h.io + SUBJECT, 251], [h.io, 216, h.io - 1, 251],
        [h.io, 216, h.io + size - 250, 251], [h.io, size + 1, h.io + SUBJECT, 251], [h.io, 216, 0, 0],
      ]) {
        h.view(h.io, 216).set(r);
        assert.throws(() => h.x.receipt_check(p, n, q, m), WebAssembly.RuntimeError, `receipt_check(${p - h.io}, ${n}, ${q - h.io}, ${m})`);
      }
      assert.equal(h.audit.length, before, "nothing logged");
      h.view(h.io + size - 136, 136).set(hello);
      assert.equal(h.x.dock_auth(h.io + size - 136, 136, h.io + size - 64), OK, "the window's edges are inside");
    });
  });

  describe(`dock receipts for segments (${build})`, () => {
    it("a receipt for exactly this segment is accepted and logged (kind 11), for each segment", async () => {
      const { h, segs } = await docked(build);
      for (const g of segs) {
        const before = h.audit.length;
        const receipt = dockReceipt(DOCK_SEED, segmentReceiptFields(DOCK_PK, DEVICE_PK, g.manifest!, g.age));
        assert.equal(check(h, receipt, g.manifest!), OK, `segment ${g.sequence}`);
        const [e] = checkChain(h.audit, DEVICE_PK).slice(before);
        assert.equal(h.audit.length, before + 1);
        assert.deepEqual([e.kind, e.a, e.b], [KIND.receipt, 1n, BigInt(g.sequence)]);
        assert.ok(e.ref.equals(sha256(g.manifest!.subarray(0, 187))), "ref: the manifest hash");
      }
    });

    it("refuses receipts forged, from another dock, for another device or another segment", async () => {
      const { h, segs } = await docked(build);
      const [g0, g1] = segs;
      const good = segmentReceiptFields(DOCK_PK, DEVICE_PK, g0.manifest!, g0.age);
      const signed = (f: Partial<ReceiptFields>, by = DOCK_SEED) => dockReceipt(by, { ...good, ...f });
      const cases: [string, Uint8Array, Uint8Array, number][] = [
        ["signature bit flipped", flip(dockReceipt(DOCK_SEED, good), 180), g0.manifest!, E.ERR_UNSIGNED],
        ["body changed after signing", flip(dockReceipt(DOCK_SEED, good), 150), g0.manifest!, E.ERR_UNSIGNED],
        ["non-canonical S (S + L)", plusL(dockReceipt(DOCK_SEED, good), 152), g0.manifest!, E.ERR_UNSIGNED],
        ["signed by another dock, naming ours", signed({}, OTHER_DOCK_SEED), g0.manifest!, E.ERR_UNSIGNED],
        ["another dock's own receipt", signed({ dock: OTHER_DOCK_PK }, OTHER_DOCK_SEED), g0.manifest!, E.ERR_UNSIGNED],
        ["signed by our dock, naming another dock", signed({ dock: OTHER_DOCK_PK }), g0.manifest!, E.ERR_RECEIPT],
        ["for another device", signed({ device: OTHER_DEVICE_PK }), g0.manifest!, E.ERR_RECEIPT],
        ["manifest hash of another segment", signed({ hash: sha256(g1.manifest!.subarray(0, 187)) }), g0.manifest!, E.ERR_RECEIPT],
        ["another .age SHA-256", signed({ sha: sha256(g1.age) }), g0.manifest!, E.ERR_RECEIPT],
        ["another .age size", signed({ size: BigInt(g0.age.length) + 1n }), g0.manifest!, E.ERR_RECEIPT],
        ["segment 0's receipt for segment 1", signed({}), g1.manifest!, E.ERR_RECEIPT],
        ["kind 0", signed({ kind: 0 }), g0.manifest!, E.ERR_CONFIG],
        ["kind 3", signed({ kind: 3 }), g0.manifest!, E.ERR_CONFIG],
        ["reserved not zero", signed({ reserved: 1 }), g0.manifest!, E.ERR_CONFIG],
        ["215 bytes", dockReceipt(DOCK_SEED, good).subarray(0, 215), g0.manifest!, E.ERR_CONFIG],
        ["217 bytes", Buffer.concat([dockReceipt(DOCK_SEED, good), Buffer.alloc(1)]), g0.manifest!, E.ERR_CONFIG],
        ["subject 250 bytes", signed({}), g0.manifest!.subarray(0, 250), E.ERR_CONFIG],
        ["subject 252 bytes", signed({}), Buffer.concat([g0.manifest!, Buffer.alloc(1)]), E.ERR_CONFIG],
        ["subject an audit entry's length", signed({}), h.audit[0], E.ERR_CONFIG],
      ];
      const before = h.audit.length;
      for (const [name, receipt, subject, code] of cases) assert.equal(check(h, receipt, subject), code, name);
      assert.equal(h.audit.length, before, "nothing logged");
      assert.equal(check(h, signed({}), g0.manifest!), OK, "the good receipt still works");
    });

    it("refuses a subject the device did not sign: a host-forged or edited manifest blob", async () => {
      const { h, segs } = await docked(build);
      const g = segs[0];
      // The host's own blob for made-up bytes, signed by a key of its own, and a receipt the dock signed for it.
      const fakeAge = new Rng(9).bytes(5000);
      const message = Buffer.from(g.manifest!.subarray(0, 187));
      sha256(fakeAge).copy(message, 123);
      message.writeBigUInt64LE(BigInt(fakeAge.length), 115);
      const hostBlob = Buffer.concat([message, ed25519.sign(message, OTHER_DEVICE_SEED)]);
      const forReceipt = (blob: Uint8Array, age: Uint8Array) => dockReceipt(DOCK_SEED, segmentReceiptFields(DOCK_PK, DEVICE_PK, blob, age));
      assert.equal(check(h, forReceipt(hostBlob, fakeAge), hostBlob), E.ERR_UNSIGNED, "signed by another key");
      const edited = flip(g.manifest!, 100);
      assert.equal(check(h, forReceipt(edited, g.age), edited), E.ERR_UNSIGNED, "an edited blob");
      // 187 bytes the device key did sign, but not as a manifest (only a test holding the seed can make these).
      const notManifest = Buffer.concat([Buffer.from("sealcam/v1/segment-manifesX"), message.subarray(27)]);
      const signedOther = Buffer.concat([notManifest, ed25519.sign(notManifest, DEVICE_SEED)]);
      assert.equal(check(h, forReceipt(signedOther, fakeAge), signedOther), E.ERR_UNSIGNED, "not the manifest domain");
      // The test's forging works: the same with the manifest domain is accepted.
      const forged = Buffer.concat([message, ed25519.sign(message, DEVICE_SEED)]);
      assert.equal(check(h, forReceipt(forged, fakeAge), forged), OK, "a blob the device key signed as a manifest");
    });

    it("no dock configured: ERR_UNSIGNED; before configuration: ERR_STATE; audit_write failing: ERR_STORAGE, not accepted", async () => {
      const { h, segs } = await docked(build, null);
      const g = segs[0];
      const receipt = dockReceipt(DOCK_SEED, segmentReceiptFields(DOCK_PK, DEVICE_PK, g.manifest!, g.age));
      assert.equal(check(h, receipt, g.manifest!), E.ERR_UNSIGNED);
      const fresh = await CameraHarness.create(build);
      assert.equal(fresh.init(config({ dock: DOCK_PK }).subarray(0, 72)), OK);
      assert.equal(check(fresh, receipt, g.manifest!), E.ERR_STATE);
      const d = await docked(build);
      const r = dockReceipt(DOCK_SEED, segmentReceiptFields(DOCK_PK, DEVICE_PK, d.segs[0].manifest!, d.segs[0].age));
      d.h.failAt("audit_write", 1);
      const before = d.h.audit.length;
      assert.equal(check(d.h, r, d.segs[0].manifest!), E.ERR_STORAGE);
      assert.deepEqual(d.h.events.at(-1)!.map(Number), [9, KIND.receipt, 1]);
      assert.equal(d.h.audit.length, before);
      assert.equal(check(d.h, r, d.segs[0].manifest!), OK, "accepted once it can be logged");
    });
  });

  describe(`dock receipts for the audit log (${build})`, () => {
    it("a kind 2 receipt naming an entry's hash and index is accepted; anything else refused", async () => {
      const { h } = await docked(build);
      const k = 3;
      const entry = h.audit[k];
      const e = decodeEntry(entry);
      const good: ReceiptFields = { dock: DOCK_PK, device: DEVICE_PK, kind: 2, hash: e.hash, size: e.index };
      const signed = (f: Partial<ReceiptFields>) => dockReceipt(DOCK_SEED, { ...good, ...f });
      const other = await camera(build, config({ seed: OTHER_DEVICE_SEED, dock: DOCK_PK }));
      const cases: [string, Uint8Array, Uint8Array, number][] = [
        ["another index", signed({ size: e.index + 1n }), entry, E.ERR_RECEIPT],
        ["another entry's hash", signed({ hash: decodeEntry(h.audit[k + 1]).hash }), entry, E.ERR_RECEIPT],
        ["the next entry as subject", signed({}), h.audit[k + 1], E.ERR_RECEIPT],
        ["an edited entry", signed({}), flip(entry, 60), E.ERR_UNSIGNED],
        ["another camera's entry", signed({}), other.h.audit[0], E.ERR_UNSIGNED],
        ["signed by the device key without the audit domain", signed({}), Buffer.concat([entry.subarray(0, 136), ed25519.sign(entry.subarray(0, 136), DEVICE_SEED)]), E.ERR_UNSIGNED],
        ["SHA-256 field not zero", signed({ sha: new Uint8Array(32).fill(1) }), entry, E.ERR_CONFIG],
        ["subject a manifest's length", signed({}), Buffer.concat([entry, Buffer.alloc(51)]), E.ERR_CONFIG],
        ["kind 1 with an entry", signed({ kind: 1 }), entry, E.ERR_CONFIG],
      ];
      const before = h.audit.length;
      for (const [name, receipt, subject, code] of cases) assert.equal(check(h, receipt, subject), code, name);
      assert.equal(h.audit.length, before, "nothing logged");
      assert.equal(check(h, signed({}), entry), OK);
      const [logged] = checkChain(h.audit, DEVICE_PK).slice(before);
      assert.deepEqual([logged.kind, logged.a, logged.b], [KIND.receipt, 2n, BigInt(k)]);
      assert.ok(logged.ref.equals(e.hash), "ref: the entry hash");
      // An entry the device key signed (made here with the seed) at any index is the device's.
      const far = signEntry(DEVICE_SEED, { index: 1000n, kind: KIND.upload });
      assert.equal(check(h, signed({ hash: sha256(DOMAINS.audit, far.subarray(0, 136)), size: 1000n }), far), OK);
    });
  });
}
