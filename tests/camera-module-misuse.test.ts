// Host misuse of the capture pipeline inside the module (docs/ABI.md "The
// camera"): pointers outside the I/O window, exports called back from inside
// an import, capture times a manifest cannot carry, recipients age would not
// decrypt to, and signed bytes left behind by an aborted segment. Each is
// refused (a trap for a bad pointer, an error code otherwise) before anything
// changes, and the instance goes on recording correctly afterwards.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Build } from "../host/engine/index.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { CameraHarness, OK, secureBlock, signedConfig } from "./helpers/camera.ts";
import { DOMAIN } from "./helpers/evidence.ts";
import { DEVICE_SEED, RECIPIENTS, Session, camera, config } from "./helpers/recording.ts";
import { Rng } from "./helpers/random.ts";

const BUILDS: Build[] = ["release", "scalar"];
const T0 = 1_700_000_000_000_000n;
const E = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([name, e]) => [name, e.code])) as Record<string, number>;

/** 10 fps with a keyframe every 10th frame; with the 2 s duration a segment holds 20 frames. */
const at = (i: number): bigint => T0 + BigInt(i) * 100_000n;
const bytesOf = (i: number, n = 30_000): Uint8Array => new Rng(2000 + i).bytes(n);
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);

function run(s: Session, from: number, to: number): void {
  for (let i = from; i < to; i++) assert.equal(s.frame(at(i), bytesOf(i), i % 10 === 0), OK, `frame ${i}`);
}

/** Frame numbers present in the committed segments, from their manifests. */
function committedFrames(s: Session): number[] {
  return s.h.committed.flatMap((g) => {
    const b = Buffer.from(g.manifest!);
    const first = Number(b.readBigUInt64LE(83));
    return Array.from({ length: Number(b.readBigUInt64LE(91)) }, (_, k) => first + k);
  });
}

/** A 32-byte little-endian encoding of `v` (below 2^256). */
const le32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, "0"), "hex").reverse();

for (const build of BUILDS) {
  describe(`camera misuse: pointers outside the I/O window (${build})`, () => {
    it("frame_data traps for any range not inside the window, consumes nothing, and the frame goes on", async () => {
      const s = await camera(build);
      const { h } = s;
      const io = h.io;
      const size = h.x.IO_BYTES.value as number;
      // Below the window, straddling its end, at address 0, longer than the
      // window, wrapping around memory, and starting past its end.
      const outside: [number, number][] = [
        [io - 1, 1], [io - 1, 0], [io + size - 10, 11], [0, 64], [0, 0], [io, size + 1], [io + 1, 0xffffffff], [io + size + 1, 0],
      ];
      assert.equal(h.start(), OK);
      const bytes = bytesOf(0, 1000);
      assert.equal(h.begin(at(0), bytes.length, 1), OK);
      for (const [p, n] of outside) assert.throws(() => h.x.frame_data(p, n), WebAssembly.RuntimeError, `frame_data(${p}, ${n})`);
      assert.equal(h.data(bytes.subarray(0, 990)), OK);
      // The last 10 bytes from the very end of the window: inside, accepted.
      h.view(io + size - 10, 10).set(bytes.subarray(990));
      assert.equal(h.x.frame_data(io + size - 10, 10), OK);
      assert.equal(h.x.frame_data(io + size, 0), OK, "an empty range at the window's end is inside");
      assert.equal(h.end(), OK);
      s.frames.push({ number: 0n, time: at(0), key: true, sequence: 0, bytes });
      run(s, 1, 5);
      assert.equal(h.stop(), OK);
      const [seg] = await s.verify();
      assert.ok(seg.stream.frames[0].bytes.equals(bytes), "the sealed frame is exactly the bytes fed");
    });

    it("camera_init, camera_public_key and recording_id trap outside the window before writing anything", async () => {
      const h = await CameraHarness.create(build);
      const io = h.io;
      const size = h.x.IO_BYTES.value as number;
      const block = config();
      // A block that ends one byte past the window: the trap comes before its seed is wiped.
      const late = io + size - block.length + 1;
      h.view(late, block.length - 1).set(block.subarray(0, block.length - 1));
      assert.throws(() => h.x.camera_init(late, block.length), WebAssembly.RuntimeError);
      assert.deepEqual(h.view(late + 8, 32), block.subarray(8, 40), "the seed was not wiped: nothing ran");
      for (const p of [io - 1, 0]) assert.throws(() => h.x.camera_init(p, block.length), WebAssembly.RuntimeError, `camera_init(${p})`);
      assert.ok(h.publicKey().every((v) => v === 0), "not configured");
      assert.equal(h.init(block), OK);
      const pk = h.publicKey();
      for (const p of [io - 1, io + size - 31, 0]) assert.throws(() => h.x.camera_public_key(p), WebAssembly.RuntimeError, `camera_public_key(${p})`);
      for (const p of [io - 1, io + size - 15, 0]) assert.throws(() => h.x.recording_id(p), WebAssembly.RuntimeError, `recording_id(${p})`);
      h.x.camera_public_key(io + size - 32);
      assert.deepEqual(h.view(io + size - 32, 32).slice(), pk, "the window's last 32 bytes are inside");
      // Usable after the traps.
      const s = new Session(h);
      assert.equal(h.start(), OK);
      h.x.recording_id(io + size - 16);
      assert.deepEqual(h.view(io + size - 16, 16).slice(), h.recordingId());
      run(s, 0, 3);
      assert.equal(h.stop(), OK);
      await s.verify();
    });
  });

  describe(`camera misuse: re-entrancy (${build})`, () => {
    it("every camera export called from inside any import returns ERR_STATE and changes nothing; the recording goes on", async () => {
      const s = await camera(build);
      const { h } = s;
      const x = h.x;
      const codes = new Map<string, Set<number>>();
      const openAtEvent2: number[] = [];
      let inside = false;
      h.onImport = (name, args) => {
        if (inside) return; // before the fix, a re-entered export calls imports itself
        inside = true;
        if (name === "event" && args[0] === 2) openAtEvent2.push(h.openBytes);
        const got = [
          x.recording_stop(), x.frame_begin(at(99), 10, 1), x.frame_data(h.io, 0), x.frame_end(),
          x.segment_close(), x.recording_start(), x.camera_init(h.io, 0),
          x.camera_configure(h.io, 0), x.audit_start(h.io, 0), x.audit_note(8, 0n, 0n, h.io),
          x.dock_auth(h.io, 136, h.io + 1024), x.receipt_check(h.io, 216, h.io + 1024, 251),
        ];
        assert.equal(typeof x.frames_recorded(), "bigint", "read-only exports stay callable");
        assert.equal(typeof x.audit_head(h.io + 2048), "bigint", "audit_head is read-only: callable");
        const set = codes.get(name) ?? new Set<number>();
        for (const c of got) set.add(c);
        codes.set(name, set);
        inside = false;
      };
      assert.equal(h.start(), OK);
      run(s, 0, 25); // segment 0 (0-19) committed, segment 1 open
      h.failAt("storage_append", 1);
      assert.equal(s.frame(at(25), bytesOf(25, 200_000), false), E.ERR_STORAGE, "segment 1 aborted");
      run(s, 25, 30);
      assert.equal(h.stop(), OK);
      h.onImport = undefined;
      assert.deepEqual([...codes.keys()].sort(), ["audit_write", "clock_us", "entropy", "event", "storage_abort", "storage_append", "storage_commit", "storage_digest", "storage_open"]);
      for (const [name, set] of codes) assert.deepEqual([...set], [E.ERR_STATE], `exports called from ${name}`);
      assert.equal(openAtEvent2.length, 3);
      for (const n of openAtEvent2) assert.ok(n > 0, "event 2 comes after the age header was appended");
      const segs = await s.verify({ final: true });
      assert.deepEqual(segs.map((g) => g.sequence), [0, 2]);
      assert.deepEqual(committedFrames(s), [...range(0, 20), ...range(25, 30)]);
      assert.deepEqual(h.violations, []);
    });
  });

  describe(`camera misuse: capture times (${build})`, () => {
    it("negative or at least 2^53: ERR_TIME, nothing written; 2^53 − 1 is accepted", async () => {
      const s = await camera(build);
      const { h } = s;
      assert.equal(h.start(), OK);
      const big = 1n << 53n;
      for (const t of [-1n, -(1n << 63n), big, big + 1n, (1n << 63n) - 1n]) assert.equal(h.begin(t, 10, 1), E.ERR_TIME, `time ${t}`);
      assert.equal(h.calls.entropy, 1, "only the recording id was drawn");
      assert.equal(h.calls.storage_open + h.calls.storage_append, 0);
      assert.equal(s.frame(big - 2n, bytesOf(0, 100), true), OK);
      const appends = h.calls.storage_append;
      assert.equal(h.begin(big, 10, 0), E.ERR_TIME, "later than the previous frame, still out of range");
      assert.equal(h.calls.storage_append, appends);
      assert.equal(s.frame(big - 1n, bytesOf(1, 100), false), OK);
      assert.equal(h.stop(), OK);
      const [seg] = await s.verify();
      assert.equal(seg.manifest.lastTime, big - 1n);
    });
  });

  describe(`camera misuse: recipients (${build})`, () => {
    it("non-canonical recipients (bit 255 set, or u ≥ 2^255 − 19): ERR_CONFIG, configuration unchanged", async () => {
      const h = await CameraHarness.create(build);
      assert.equal(h.init(secureBlock(DEVICE_SEED)), OK);
      const p = (1n << 255n) - 19n;
      const highBit = Buffer.from(RECIPIENTS[1]);
      highBit[31] |= 0x80;
      // p + 9 ≡ 9 (the base point) and 2^255 − 1 ≡ 18 both pass the low-order probe.
      const cases: Record<string, Uint8Array> = { "bit 255 set": highBit, "p + 9": le32(p + 9n), "2^255 - 1": le32((1n << 255n) - 1n) };
      for (const [name, r] of Object.entries(cases)) {
        assert.equal(h.configure(signedConfig({ seed: DEVICE_SEED, durationUs: 2_000_000n, sizeBytes: 64n << 20n, recipients: [RECIPIENTS[0], r] })), E.ERR_CONFIG, name);
        assert.equal(h.x.camera_config_serial(), 0n, `${name}: not configured`);
        assert.equal(h.start(), E.ERR_STATE, `${name}: cannot record`);
      }
      assert.equal(h.configure(signedConfig({ seed: DEVICE_SEED, durationUs: 2_000_000n, sizeBytes: 64n << 20n, recipients: [le32(9n), RECIPIENTS[1]] })), OK, "u = 9 is canonical");
    });
  });

  describe(`camera misuse: signed bytes of an aborted segment (${build})`, () => {
    it("a record signed but not appended is wiped and its frame takes no number", async () => {
      const s = await camera(build);
      const { h } = s;
      assert.equal(h.start(), OK);
      // Segment header (128) + entry head (9) + n bytes fill the first chunk
      // exactly, so appending the record seals that chunk: that append fails.
      const n = 65536 - 128 - 9;
      const bytes = bytesOf(0, n);
      assert.equal(h.begin(at(0), n, 1), OK);
      assert.equal(h.data(bytes), OK);
      h.failAt("storage_append", 1);
      assert.equal(h.end(), E.ERR_STORAGE);
      const record = s.record({ number: 0n, time: at(0), key: true, sequence: 0, bytes }, Buffer.alloc(32));
      const sig = ed25519.sign(Buffer.concat([DOMAIN.record, record]), DEVICE_SEED);
      assert.deepEqual(h.find(sig), [], "the unappended record's signature is gone");
      assert.equal(h.framesRecorded(), 0n);
      run(s, 0, 3);
      assert.equal(h.stop(), OK);
      const segs = await s.verify();
      assert.deepEqual(segs.map((g) => g.sequence), [1]);
      assert.deepEqual(committedFrames(s), range(0, 3));
    });

    it("a manifest signed but not committed is wiped", async () => {
      const s = await camera(build);
      const { h } = s;
      let blob: Uint8Array | undefined;
      h.onImport = (name, args) => {
        if (name === "storage_commit") blob = h.view((args[0] as number) >>> 0, 251).slice();
      };
      assert.equal(h.start(), OK);
      run(s, 0, 5);
      h.failAt("storage_commit", 1);
      assert.equal(h.closeSegment(), E.ERR_STORAGE);
      assert.ok(blob);
      assert.deepEqual(h.find(blob.subarray(187)), [], "the uncommitted manifest's signature is gone");
      h.onImport = undefined;
    });
  });
}
