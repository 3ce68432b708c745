// The module's audit log (docs/ABI.md "The audit log", bytes in FORMAT.md):
// every entry signed by the device key under the audit domain and chained
// by entry hash, checked here with @noble/curves from FORMAT.md's table; the
// chain continued across a reboot only from a genuine last entry of this
// device; the host able to log only its own kinds; nothing logged done before
// audit_start; a failed audit_write leaving the chain where it was. And full
// storage (docs/ABI.md "Full storage"): the recording stops with ERR_FULL,
// event 8 and entry kind 7, and nothing committed is lost.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Build } from "../host/engine/index.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { CameraHarness, OK, secureBlock, signedConfig, type CameraConfig } from "./helpers/camera.ts";
import { DEVICE_SEED, DEVICE_PK, RECIPIENTS, Session, camera, config } from "./helpers/recording.ts";
import { Rng } from "./helpers/random.ts";
import { KIND, checkChain, decodeEntry, signEntry, sha256, entrySigned, DOMAINS } from "./helpers/audit-entries.ts";

const BUILDS: Build[] = ["release", "scalar"];
const T0 = 1_700_000_000_000_000n;
const E = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([name, e]) => [name, e.code])) as Record<string, number>;
const at = (i: number): bigint => T0 + BigInt(i) * 100_000n;
const bytesOf = (i: number, n = 30_000): Uint8Array => new Rng(3000 + i).bytes(n);
const base = (): CameraConfig => ({ seed: DEVICE_SEED, durationUs: 2_000_000n, sizeBytes: 64n << 20n, recipients: RECIPIENTS });
const ZERO32 = Buffer.alloc(32);
const OTHER_SEED = new Uint8Array(sha256(Buffer.from("sealcam test: another camera")));

/** 10 fps, a keyframe every 10th frame: with 2 s segments, 20 frames each. */
function run(s: Session, from: number, to: number, n?: number): void {
  for (let i = from; i < to; i++) assert.equal(s.frame(at(i), bytesOf(i, n), i % 10 === 0), OK, `frame ${i}`);
}

/** The ref of the kinds about a recording: its id, then 16 zero bytes. */
const recordingRef = (h: CameraHarness): Buffer => Buffer.concat([h.recordingId(), Buffer.alloc(16)]);

/** A harness with camera_init done and the audit log not started. */
async function initialised(build: Build, seed?: string): Promise<CameraHarness> {
  const h = await CameraHarness.create(build, seed);
  h.autoAudit = false;
  assert.equal(h.init(secureBlock(DEVICE_SEED)), OK);
  return h;
}

const kinds = (h: CameraHarness, from = 0): number[] => h.audit.slice(from).map((e) => decodeEntry(e).kind);

for (const build of BUILDS) {
  describe(`audit log: entries and chain (${build})`, () => {
    it("a new log: boot at index 0, then every module kind, signed by the device key and chained", async () => {
      const h = await initialised(build);
      h.clock = 1_700_000_000_123_456n;
      assert.equal(h.auditStart(), OK);
      const cfg = signedConfig(base());
      h.clock += 1000n;
      assert.equal(h.configure(cfg), OK);
      const s = new Session(h);
      assert.equal(h.start(), OK);
      run(s, 0, 25); // segment 0 committed (0–19), segment 1 open
      assert.equal(h.stop(), OK); // segment 1 committed, final
      await s.verify({ final: true });
      assert.deepEqual(kinds(h), [KIND.boot, KIND.configAccepted, KIND.recordingStarted, KIND.segmentCommitted, KIND.segmentCommitted, KIND.recordingStopped]);
      const log = checkChain(h.audit, DEVICE_PK);
      const [boot, accepted, started, c0, c1, stopped] = log;
      assert.deepEqual([boot.a, boot.b, boot.time], [0n, 0n, 1_700_000_000_123_456n], "boot: new log, the module's clock");
      assert.ok(boot.previous.equals(ZERO32) && boot.ref.equals(ZERO32));
      assert.deepEqual([accepted.a, accepted.b], [1n, 2n], "configuration: serial, recipient count");
      assert.ok(accepted.ref.equals(sha256(cfg)), "configuration: SHA-256 of the signed configuration");
      assert.equal(accepted.time, 1_700_000_000_124_456n);
      assert.deepEqual([started.a, started.b], [0n, 0n]);
      assert.ok(started.ref.equals(recordingRef(h)), "recording started: ref is the recording id, then zeros");
      for (const [e, g] of [[c0, h.committed[0]], [c1, h.committed[1]]] as const) {
        assert.deepEqual([e.a, e.b], [BigInt(g.sequence), g.sequence === 0 ? 20n : 5n], "segment committed: sequence, frame count");
        assert.ok(e.ref.equals(sha256(g.manifest!.subarray(0, 187))), "segment committed: the manifest hash");
      }
      assert.deepEqual([stopped.a, stopped.b], [25n, 2n], "recording stopped: frames, segments committed");
      assert.ok(stopped.ref.equals(recordingRef(h)));
      const head = h.auditHead();
      assert.equal(head.next, 6n);
      assert.ok(Buffer.from(head.hash).equals(stopped.hash), "audit_head: the last entry's hash");
      // The checker can fail: an edited entry no longer verifies.
      const edited = Buffer.from(h.audit[3]);
      edited[60] ^= 1;
      assert.equal(entrySigned(edited, DEVICE_PK), false);
      assert.deepEqual(h.violations, []);
      assert.ok(h.memoryUnchanged());
    });

    it("a refused configuration logs kind 3: the code, the serial read, the SHA-256 of the bytes given", async () => {
      const h = await initialised(build);
      assert.equal(h.auditStart(), OK);
      const forged = signedConfig({ ...base(), serial: 7n });
      forged[forged.length - 1] ^= 1;
      assert.equal(h.configure(forged), E.ERR_UNSIGNED);
      const short = new Uint8Array(20).fill(1);
      assert.equal(h.configure(short), E.ERR_CONFIG);
      const [, bad, tooShort] = checkChain(h.audit, DEVICE_PK);
      assert.deepEqual([bad.kind, bad.a, bad.b], [KIND.configRefused, BigInt(E.ERR_UNSIGNED), 7n]);
      assert.ok(bad.ref.equals(sha256(forged)));
      assert.deepEqual([tooShort.kind, tooShort.a, tooShort.b], [KIND.configRefused, BigInt(E.ERR_CONFIG), 0n]);
      assert.ok(tooShort.ref.equals(sha256(short)));
      assert.equal(h.x.camera_config_serial(), 0n);
    });

    it("continues across a reboot after the last stored entry: indexes contiguous, boot a = 1", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      run(s, 0, 3);
      assert.equal(s.h.stop(), OK);
      const before = checkChain(s.h.audit, DEVICE_PK);
      const last = s.h.audit.at(-1)!;
      // Power off; a new instance of the same camera.
      const h2 = await initialised(build, "another boot");
      assert.equal(h2.auditStart(last), OK);
      assert.equal(h2.configure(signedConfig(base())), OK);
      const after = checkChain(h2.audit, DEVICE_PK, BigInt(before.length), before.at(-1)!.hash);
      assert.deepEqual(after.map((e) => [e.kind, e.a]), [[KIND.boot, 1n], [KIND.configAccepted, 1n]]);
      checkChain([...s.h.audit, ...h2.audit], DEVICE_PK); // one chain
      assert.equal(h2.auditHead().next, BigInt(before.length + 2));
    });

    it("refuses to continue after a forged, edited or foreign last entry, and starts only once", async () => {
      const s = await camera(build);
      const genuine = s.h.audit.at(-1)!;
      const other = await CameraHarness.create(build);
      assert.equal(other.init(config({ seed: OTHER_SEED })), OK);
      const flipped = (b: Uint8Array, at: number): Buffer => {
        const c = Buffer.from(b);
        c[at] ^= 1;
        return c;
      };
      const cases: [string, Uint8Array, number][] = [
        ["signature bit flipped", flipped(genuine, 150), E.ERR_UNSIGNED],
        ["index edited", flipped(genuine, 32), E.ERR_UNSIGNED],
        ["previous hash edited", flipped(genuine, 110), E.ERR_UNSIGNED],
        ["signed by the device key under another domain", signEntry(DEVICE_SEED, { index: 5n }, Buffer.from("sealcam/v1/frame-record")), E.ERR_UNSIGNED],
        ["another camera's genuine entry", other.audit.at(-1)!, E.ERR_CONFIG],
        ["naming another device, signed by this one", signEntry(DEVICE_SEED, { index: 5n, device: ed25519.getPublicKey(OTHER_SEED) }), E.ERR_CONFIG],
        ["reserved bytes set (signed by the device key)", signEntry(DEVICE_SEED, { index: 5n, reserved: 1 }), E.ERR_CONFIG],
        ["index 2^64 - 1 (signed by the device key)", signEntry(DEVICE_SEED, { index: (1n << 64n) - 1n }), E.ERR_CONFIG],
        ["199 bytes", genuine.subarray(0, 199), E.ERR_CONFIG],
        ["201 bytes", Buffer.concat([genuine, Buffer.alloc(1)]), E.ERR_CONFIG],
        ["1 byte", genuine.subarray(0, 1), E.ERR_CONFIG],
      ];
      const h = await initialised(build);
      for (const [name, entry, code] of cases) {
        assert.equal(h.auditStart(entry), code, name);
        assert.deepEqual(h.audit, [], `${name}: nothing written`);
        assert.equal(h.auditHead().next, 0n, `${name}: no chain state`);
        assert.equal(h.configure(signedConfig(base())), E.ERR_STATE, `${name}: not started`);
      }
      // The forger's tool works: with a signature of the right shape the module takes it.
      const good = signEntry(DEVICE_SEED, { index: 41n, kind: KIND.deletion });
      assert.equal(h.auditStart(good), OK, "an entry the device key signed");
      assert.deepEqual(kinds(h), [KIND.boot]);
      checkChain(h.audit, DEVICE_PK, 42n, sha256(DOMAINS.audit, good.subarray(0, 136)));
      assert.equal(h.auditStart(), E.ERR_STATE, "a second audit_start (new log)");
      assert.equal(h.auditStart(genuine), E.ERR_STATE, "a second audit_start (continued)");
      assert.equal(h.audit.length, 1, "nothing more written");
      assert.equal((await CameraHarness.create(build)).auditStart(), E.ERR_STATE, "before camera_init");
    });
  });

  describe(`audit log: gating and host notes (${build})`, () => {
    it("nothing that logs runs before audit_start", async () => {
      const h = await initialised(build);
      const dock = ed25519.getPublicKey(new Uint8Array(32).fill(5));
      assert.equal(h.configure(signedConfig({ ...base(), dock })), E.ERR_STATE, "camera_configure");
      assert.deepEqual(h.events, [], "no event for ERR_STATE");
      assert.equal(h.start(), E.ERR_STATE, "recording_start");
      assert.equal(h.x.audit_note(KIND.upload, 0n, 0n, h.io), E.ERR_STATE, "audit_note");
      assert.equal(h.x.dock_auth(h.io, 136, h.io + 1024), E.ERR_STATE, "dock_auth");
      assert.equal(h.x.receipt_check(h.io, 216, h.io + 1024, 251), E.ERR_STATE, "receipt_check");
      if (typeof h.x.recording_buffer === "function") assert.equal(h.x.recording_buffer(), E.ERR_STATE, "recording_buffer");
      assert.deepEqual(h.audit, []);
      assert.equal(h.calls.audit_write, 0);
      assert.equal(h.auditStart(), OK);
      assert.equal(h.configure(signedConfig({ ...base(), dock })), OK, "then it works");
    });

    it("audit_note logs the host's kinds only, with its a, b and ref", async () => {
      const h = await initialised(build);
      assert.equal(h.auditStart(), OK);
      const ref = new Rng(7).bytes(32);
      h.view(h.io + 100, 32).set(ref);
      const notes: [number, bigint, bigint][] = [
        [KIND.powerLoss, 3n, 17n], [KIND.upload, 4n, 123_456n], [KIND.deletion, 1n, 4n], [KIND.clock, (1n << 64n) - 1n, 1n << 63n],
      ];
      for (const [kind, a, b] of notes) assert.equal(h.x.audit_note(kind, BigInt.asIntN(64, a), BigInt.asIntN(64, b), h.io + 100), OK, `kind ${kind}`);
      const logged = checkChain(h.audit, DEVICE_PK).slice(1);
      assert.deepEqual(logged.map((e) => [e.kind, e.a, e.b]), notes);
      for (const e of logged) assert.ok(e.ref.equals(Buffer.from(ref)));
      const before = h.audit.length;
      for (const kind of [0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 14, 15, 16, 17, 0xffffffff]) {
        assert.equal(h.x.audit_note(kind, 0n, 0n, h.io), E.ERR_CONFIG, `module-only or unknown kind ${kind}`);
      }
      assert.equal(h.audit.length, before, "nothing written");
      const size = h.x.IO_BYTES.value as number;
      for (const p of [h.io - 1, h.io + size - 31, 0]) assert.throws(() => h.x.audit_note(KIND.upload, 0n, 0n, p), WebAssembly.RuntimeError, `ref at ${p}`);
      for (const p of [h.io - 1, h.io + size - 31, 0]) assert.throws(() => h.x.audit_head(p), WebAssembly.RuntimeError, `audit_head at ${p}`);
      for (const [p, n] of [[h.io - 1, 0], [h.io + size - 199, 200], [0, 200]]) {
        assert.throws(() => h.x.audit_start(p, n), WebAssembly.RuntimeError, `audit_start(${p}, ${n})`);
      }
      assert.equal(h.audit.length, before, "nothing written by the traps");
      assert.equal(h.x.audit_note(KIND.upload, 0n, 0n, h.io + size - 32), OK, "the window's last 32 bytes are inside");
    });

    it("the ref is read before any import runs: changing the window from inside clock_us changes nothing", async () => {
      const h = await initialised(build);
      assert.equal(h.auditStart(), OK);
      h.view(h.io, 32).fill(0x11);
      h.onImport = (name) => {
        if (name === "clock_us") h.view(h.io, 32).fill(0x22);
      };
      assert.equal(h.x.audit_note(KIND.upload, 1n, 2n, h.io), OK);
      h.onImport = undefined;
      assert.ok(decodeEntry(h.audit.at(-1)!).ref.equals(Buffer.alloc(32, 0x11)));
    });
  });

  describe(`audit log: audit_write failing (${build})`, () => {
    it("the chain does not advance, event 9 says so, the next entry takes the index", async () => {
      const h = await initialised(build);
      h.failAt("audit_write", 1);
      assert.equal(h.auditStart(), E.ERR_STORAGE, "the boot entry was not written");
      assert.deepEqual(h.events.map(([k, a, b]) => [k, Number(a), Number(b)]), [[9, KIND.boot, 1]]);
      assert.equal(h.configure(signedConfig(base())), E.ERR_STATE, "not started");
      assert.equal(h.auditStart(), OK, "started on a second try");
      h.failAt("audit_write", 1, 7);
      h.events.length = 0;
      const head = h.auditHead();
      assert.equal(h.x.audit_note(KIND.upload, 1n, 1n, h.io), E.ERR_STORAGE);
      assert.deepEqual(h.events.map(([k, a, b]) => [k, Number(a), Number(b)]), [[9, KIND.upload, 7]], "event 9: kind, the import's return");
      assert.deepEqual(h.auditHead(), head, "chain unchanged");
      assert.equal(h.x.audit_note(KIND.upload, 2n, 2n, h.io), OK);
      const log = checkChain(h.audit, DEVICE_PK);
      assert.deepEqual(log.map((e) => [e.kind, e.a]), [[KIND.boot, 0n], [KIND.upload, 2n]], "the failed entry left no trace in the chain");
      // Where the operation may go on unlogged, it does: the configuration is
      // taken, a segment stays committed; event 9 reports the missing entry.
      h.events.length = 0;
      h.failAt("audit_write", 1);
      assert.equal(h.configure(signedConfig(base())), OK);
      assert.equal(h.x.camera_config_serial(), 1n);
      const s = new Session(h);
      assert.equal(h.start(), OK);
      run(s, 0, 20);
      h.failAt("audit_write", 1);
      assert.equal(s.frame(at(20), bytesOf(20), true), OK, "segment 0 cut and committed");
      assert.equal(h.committed.length, 1);
      assert.deepEqual(h.events.filter(([k]) => k === 9).map(([, a]) => Number(a)), [KIND.configAccepted, KIND.segmentCommitted]);
      assert.equal(h.stop(), OK);
      await s.verify({ final: true });
      checkChain(h.audit, DEVICE_PK);
      assert.deepEqual(kinds(h), [KIND.boot, KIND.upload, KIND.recordingStarted, KIND.segmentCommitted, KIND.recordingStopped]);
    });
  });

  describe(`full storage (${build})`, () => {
    it("storage_append returning 2 mid-segment: ERR_FULL, recording stopped, event 8, kind 7; nothing committed lost", async () => {
      const s = await camera(build);
      const { h } = s;
      assert.equal(h.start(), OK);
      run(s, 0, 43); // segments 0, 1 committed; 2 open (40–42)
      const from = h.audit.length;
      h.failAt("storage_append", 1, 2);
      assert.equal(s.frame(at(43), bytesOf(43, 200_000), false), E.ERR_FULL);
      assert.deepEqual(h.aborted.map((g) => g.sequence), [2]);
      assert.deepEqual(h.events.slice(-2).map((e) => e.map(Number)), [[4, 2, E.ERR_FULL], [8, 43, 2]]);
      const [aborted, full] = checkChain(h.audit, DEVICE_PK).slice(from);
      assert.deepEqual([aborted.kind, aborted.a, aborted.b], [KIND.segmentAborted, 2n, BigInt(E.ERR_FULL)]);
      assert.ok(aborted.ref.equals(recordingRef(h)));
      assert.deepEqual([full.kind, full.a, full.b], [KIND.storageFull, 43n, 2n], "kind 7: next frame number, the aborted sequence");
      assert.ok(full.ref.equals(recordingRef(h)));
      assert.equal(h.audit.length, from + 2);
      assert.equal(h.begin(at(44), 10, 1), E.ERR_STATE, "not recording any more");
      assert.equal(h.stop(), E.ERR_STATE, "already stopped");
      assert.equal(h.segmentOpen, false);
      await s.verify({ final: false }); // segments 0 and 1, untouched
      assert.deepEqual(h.committed.map((g) => g.sequence), [0, 1]);
      // Room again (after docking): a new recording.
      assert.equal(h.start(), OK);
      const s2 = new Session(h);
      h.committed.length = 0;
      run(s2, 100, 103);
      assert.equal(h.stop(), OK);
      await s2.verify({ final: true });
      assert.deepEqual(h.violations, []);
      assert.ok(h.memoryUnchanged());
    });

    it("storage_open returning 2: the frame that would open a segment gets ERR_FULL", async () => {
      const s = await camera(build);
      const { h } = s;
      assert.equal(h.start(), OK);
      run(s, 0, 20);
      h.full = true; // every storage_open and storage_append from now on
      assert.equal(s.frame(at(20), bytesOf(20), true), E.ERR_FULL, "segment 0 cut: its last chunk does not fit");
      assert.deepEqual(h.committed, [], "segment 0 could not be finished");
      assert.deepEqual(h.events.filter(([k]) => k === 8).map((e) => e.map(Number)), [[8, 20, 0]]);
      h.full = false;
      assert.equal(h.start(), OK);
      run(s, 200, 205);
      h.failAt("storage_open", 1, 2);
      assert.equal(h.closeSegment(), OK, "segment 1 of the new recording committed");
      assert.equal(s.frame(at(205), bytesOf(205), true), E.ERR_FULL, "opening the next one");
      assert.deepEqual(h.events.slice(-2).map((e) => e.map(Number)), [[4, 1, E.ERR_FULL], [8, 5, 1]]);
      assert.deepEqual(kinds(h).slice(-2), [KIND.segmentAborted, KIND.storageFull]);
      assert.equal(h.stop(), E.ERR_STATE);
      assert.equal(h.committed.length, 1);
      checkChain(h.audit, DEVICE_PK);
      assert.deepEqual(h.violations, []);
    });

    it("full at recording_stop's last chunk: ERR_FULL, the recording has ended (events 8 and 5, kinds 7 and 5)", async () => {
      const s = await camera(build);
      const { h } = s;
      assert.equal(h.start(), OK);
      run(s, 0, 25);
      h.failAt("storage_append", 1, 2);
      assert.equal(h.stop(), E.ERR_FULL);
      assert.deepEqual(h.events.slice(-3).map(([k]) => k), [4, 8, 5]);
      assert.deepEqual(kinds(h).slice(-3), [KIND.segmentAborted, KIND.storageFull, KIND.recordingStopped]);
      assert.deepEqual(h.committed.map((g) => g.sequence), [0]);
      assert.equal(h.start(), OK, "a new recording can start");
    });

    it("full during frame_data and frame_end; any other non-zero return is ERR_STORAGE and recording goes on", async () => {
      for (const call of ["data", "end"] as const) {
        const s = await camera(build);
        const { h } = s;
        assert.equal(h.start(), OK);
        // Frame 0 opens segment 0: 128 header bytes in the 64 KiB chunk, then
        // the entry head (9). 65 399 frame bytes fill the chunk exactly, so
        // nothing is sealed until the next byte: frame_end's record.
        const bytes = bytesOf(0, call === "data" ? 200_000 : 65_536 - 128 - 9);
        assert.equal(h.begin(at(0), bytes.length, 1), OK);
        if (call === "data") {
          h.failAt("storage_append", 1, 2);
          assert.equal(h.data(bytes), E.ERR_FULL);
        } else {
          assert.equal(h.data(bytes), OK);
          h.failAt("storage_append", 1, 2);
          assert.equal(h.end(), E.ERR_FULL);
        }
        assert.equal(h.framesRecorded(), 0n, `${call}: the frame took no number`);
        assert.deepEqual(h.events.slice(-2).map((e) => e.map(Number)), [[4, 0, E.ERR_FULL], [8, 0, 0]], call);
        assert.equal(h.begin(at(9), 10, 1), E.ERR_STATE, `${call}: stopped`);
        assert.equal(h.end(), E.ERR_STATE, `${call}: no frame in progress`);
        assert.deepEqual(kinds(h).slice(-2), [KIND.segmentAborted, KIND.storageFull]);
        assert.deepEqual(h.violations, []);
      }
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      run(s, 0, 5);
      s.h.failAt("storage_append", 1, 3);
      assert.equal(s.frame(at(5), bytesOf(5, 200_000), false), E.ERR_STORAGE, "3 is a failure, not full");
      run(s, 5, 8);
      assert.equal(s.h.stop(), OK);
      assert.ok(!s.h.events.some(([k]) => k === 8));
    });
  });
}
