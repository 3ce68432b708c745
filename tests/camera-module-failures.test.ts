// Failure paths of the capture pipeline inside the module (docs/ABI.md "The
// camera"): storage failing at each kind of call, entropy failing, frames of
// bad size or order, configuration errors, calls in the wrong state. After
// each, what was committed before stays valid, keys are gone from memory, and
// recording goes on with the record chain naming the loss as a gap.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Build } from "../host/engine/index.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { CameraHarness, secureBlock, signedConfig, OK, type ImportName, type CameraConfig } from "./helpers/camera.ts";
import { ed25519 } from "@noble/curves/ed25519.js";
import { Session, DEVICE_SEED, RECIPIENTS, camera, config, openingSecrets } from "./helpers/recording.ts";
import { Rng } from "./helpers/random.ts";

const BUILDS: Build[] = ["release", "scalar"];
const T0 = 1_700_000_000_000_000n;
const E = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([name, e]) => [name, e.code])) as Record<string, number>;

/** 10 fps with a keyframe every 10th frame; with the 2 s duration a segment holds 20 frames. */
const at = (i: number): bigint => T0 + BigInt(i) * 100_000n;
/** The test camera's configuration fields (signed per case with signedConfig). */
const base = (): CameraConfig => ({ seed: DEVICE_SEED, durationUs: 2_000_000n, sizeBytes: 1n << 20n, recipients: [RECIPIENTS[0]] });
const DOCK_PK = ed25519.getPublicKey(new Uint8Array(32).fill(5));
const bytesOf = (i: number, n = 30_000): Uint8Array => new Rng(1000 + i).bytes(n);

/** Feeds frames [from, to) of the 10 fps stream; every one must be accepted. */
function run(s: Session, from: number, to: number, n?: number): void {
  for (let i = from; i < to; i++) assert.equal(s.frame(at(i), bytesOf(i, n), i % 10 === 0), OK, `frame ${i}`);
}

/** Frame numbers present in the committed segments, from their manifests. */
function committedFrames(s: Session): number[] {
  return s.h.committed.flatMap((g) => {
    const b = Buffer.from(g.manifest!);
    const first = Number(b.readBigUInt64LE(83));
    return Array.from({ length: Number(b.readBigUInt64LE(91)) }, (_, k) => first + k);
  });
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);

for (const build of BUILDS) {
  describe(`camera failures: storage (${build})`, () => {
    it("append failing mid-segment: ERR_STORAGE, segment aborted, earlier segments intact, the next segment links to the last signed record", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      run(s, 0, 43); // segments 0 (0-19), 1 (20-39), open: 2 (40-42)
      const secrets = openingSecrets(s.h.draws);
      const payloadKey = secrets[2].at(-1)!;
      assert.equal(s.h.find(payloadKey).length, 1, "while segment 2 is open its payload key is in memory (the scan works)");
      s.h.failAt("storage_append", 1);
      // 200 KB: the first chunk sealed during this frame fails.
      assert.equal(s.frame(at(43), bytesOf(43, 200_000), false), E.ERR_STORAGE);
      assert.deepEqual(s.h.aborted.map((g) => g.sequence), [2]);
      assert.deepEqual(s.h.events.at(-1)!.map(Number), [4, 2, E.ERR_STORAGE]);
      assert.equal(s.h.segmentOpen, false);
      for (const k of secrets[2]) assert.deepEqual(s.h.find(k), [], "keys of the aborted segment wiped");
      assert.equal(s.h.framesRecorded(), 43n, "the dropped frame's number is not consumed");
      // Recording goes on: the same frame opens segment 3 (not a keyframe).
      run(s, 43, 50);
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify();
      assert.deepEqual(segs.map((g) => g.sequence), [0, 1, 3]);
      assert.deepEqual(committedFrames(s), [...range(0, 40), ...range(43, 50)], "frames 40-42 are the gap");
      // verify() checked: segment 3's header chain value and first record's
      // previous hash are the record hash of frame 42 (in the aborted segment),
      // and its previous manifest is segment 1's.
      assert.ok(segs[2].stream.frames[0].previous.equals(s.chain().get(42n)!));
      assert.ok(s.h.memoryUnchanged());
    });

    for (const name of ["storage_open", "storage_digest", "storage_commit"] as ImportName[]) {
      it(`${name} failing: ERR_STORAGE, nothing of the segment visible, recording goes on`, async () => {
        const s = await camera(build);
        assert.equal(s.h.start(), OK);
        run(s, 0, 20);
        s.h.failAt(name, 1);
        // Frame 20 is a keyframe 2 s in: open fails while opening segment 1;
        // digest and commit fail while closing segment 0.
        assert.equal(s.frame(at(20), bytesOf(20), true), E.ERR_STORAGE);
        const lost = name === "storage_open" ? 1 : 0;
        assert.deepEqual(s.h.aborted.map((g) => g.sequence), [lost]);
        assert.deepEqual(s.h.events.at(-1)!.map(Number), [4, lost, E.ERR_STORAGE]);
        assert.equal(s.h.committed.length, name === "storage_open" ? 1 : 0);
        run(s, 20, 30);
        assert.equal(s.h.stop(), OK);
        const segs = await s.verify();
        assert.deepEqual(segs.map((g) => g.sequence), name === "storage_open" ? [0, 2] : [1]);
        assert.deepEqual(committedFrames(s), name === "storage_open" ? range(0, 30) : range(20, 30));
        for (const group of openingSecrets(s.h.draws)) for (const k of group) assert.deepEqual(s.h.find(k), []);
      });
    }

    it("commit failing at recording_stop: ERR_STORAGE, the recording ends anyway", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      run(s, 0, 5);
      s.h.failAt("storage_commit", 1);
      assert.equal(s.h.stop(), E.ERR_STORAGE);
      assert.equal(s.h.committed.length, 0);
      assert.equal(s.h.stop(), E.ERR_STATE, "not recording any more");
      assert.equal(s.h.start(), OK);
    });
  });

  describe(`camera failures: entropy (${build})`, () => {
    it("at recording_start: ERR_ENTROPY, not recording; a retry starts", async () => {
      const s = await camera(build);
      s.h.failAt("entropy", 1);
      assert.equal(s.h.start(), E.ERR_ENTROPY);
      assert.equal(s.h.begin(at(0), 10, 1), E.ERR_STATE);
      assert.equal(s.h.start(), OK);
    });

    it("when a segment opens (first, and after a cut): ERR_ENTROPY, nothing opened or committed, no sequence number used", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      s.h.failAt("entropy", 2); // the first recipient's ephemeral secret
      assert.equal(s.frame(at(0), bytesOf(0), true), E.ERR_ENTROPY);
      assert.equal(s.h.calls.storage_open, 0);
      assert.equal(s.h.framesRecorded(), 0n);
      run(s, 0, 20);
      s.h.failAt("entropy", 4); // the payload nonce of segment 1
      assert.equal(s.frame(at(20), bytesOf(20), true), E.ERR_ENTROPY);
      assert.deepEqual(s.h.committed.map((g) => g.sequence), [0], "the cut committed segment 0");
      assert.equal(s.h.segmentOpen, false);
      run(s, 20, 25);
      assert.equal(s.h.stop(), OK);
      const segs = await s.verify();
      assert.deepEqual(segs.map((g) => g.sequence), [0, 1]);
      assert.deepEqual(committedFrames(s), range(0, 25));
    });
  });

  describe(`camera failures: frames (${build})`, () => {
    it("length 0 or above MAX_FRAME_BYTES: ERR_FRAME_SIZE, nothing written", async () => {
      const s = await camera(build);
      const max = s.h.x.MAX_FRAME_BYTES.value;
      assert.equal(max, 64 << 20);
      assert.equal(s.h.start(), OK);
      const draws = s.h.calls.entropy;
      for (const n of [0, max + 1, 0xffffffff]) assert.equal(s.h.begin(at(0), n, 1), E.ERR_FRAME_SIZE, `length ${n}`);
      assert.equal(s.h.calls.entropy, draws);
      assert.equal(s.h.calls.storage_open + s.h.calls.storage_append, 0);
      assert.equal(s.h.x.frame_data(s.h.io, 1), E.ERR_STATE, "no frame in progress");
      run(s, 0, 3);
      assert.equal(s.h.stop(), OK);
      await s.verify();
    });

    it("capture time earlier than the previous frame's: ERR_FRAME_ORDER, nothing written; equal times are accepted", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      run(s, 0, 3);
      const appends = s.h.calls.storage_append;
      assert.equal(s.h.begin(at(2) - 1n, 100, 1), E.ERR_FRAME_ORDER);
      assert.equal(s.h.calls.storage_append, appends);
      assert.equal(s.frame(at(2), bytesOf(99, 100), false), OK, "same time as the previous frame");
      assert.equal(s.h.stop(), OK);
      await s.verify();
    });

    it("more bytes than announced: ERR_FRAME_SIZE, nothing consumed, the frame goes on", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      const good = bytesOf(1, 100);
      assert.equal(s.h.begin(at(0), 100, 1), OK);
      assert.equal(s.h.data(good.subarray(0, 40)), OK);
      assert.equal(s.h.data(bytesOf(2, 61)), E.ERR_FRAME_SIZE);
      assert.equal(s.h.data(good.subarray(40)), OK);
      assert.equal(s.h.end(), OK);
      s.frames.push({ number: 0n, time: at(0), key: true, sequence: 0, bytes: good });
      assert.equal(s.h.stop(), OK);
      const [seg] = await s.verify();
      assert.ok(seg.stream.frames[0].bytes.equals(good));
    });

    it("fewer bytes than announced: ERR_FRAME_SIZE at frame_end, frame dropped, the segment (partly sealed) aborted", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      run(s, 0, 25);
      assert.equal(s.h.begin(at(25), 100_000, 0), OK);
      assert.equal(s.h.data(bytesOf(25, 99_999)), OK);
      assert.equal(s.h.end(), E.ERR_FRAME_SIZE);
      assert.deepEqual(s.h.events.at(-1)!.map(Number), [4, 1, E.ERR_FRAME_SIZE]);
      assert.equal(s.h.framesRecorded(), 25n);
      assert.equal(s.h.end(), E.ERR_STATE, "the frame is gone");
      run(s, 25, 30);
      assert.equal(s.h.stop(), OK);
      await s.verify();
      assert.deepEqual(committedFrames(s), [...range(0, 20), ...range(25, 30)]);
    });

    it("a frame of exactly MAX_FRAME_BYTES is accepted", async () => {
      const s = await camera(build);
      assert.equal(s.h.start(), OK);
      const max = s.h.x.MAX_FRAME_BYTES.value;
      assert.equal(s.frame(at(0), new Uint8Array(max).fill(0xa5), true), OK);
      assert.equal(s.h.stop(), OK);
      assert.equal(s.h.committed.length, 1);
      assert.ok(s.h.committed[0].age.length > max);
    });
  });

  describe(`camera failures: configuration and state (${build})`, () => {
    it("malformed secure blocks: ERR_CONFIG, nothing changes, the seed wiped from the block", async () => {
      const h = await CameraHarness.create(build);
      const good = secureBlock(DEVICE_SEED);
      const patched = (f: (b: Buffer) => void, len = good.length): Uint8Array => {
        const b = Buffer.alloc(Math.max(len, good.length));
        Buffer.from(good).copy(b);
        f(b);
        return new Uint8Array(b.subarray(0, len));
      };
      const cases: Record<string, Uint8Array> = {
        "too short": good.subarray(0, 71),
        "too long": patched(() => {}, 73),
        "bad magic": patched((b) => b.write("SCAMSEC2", 0, "latin1")),
        "provisioning key not a point": patched((b) => Buffer.alloc(32, 0xff).copy(b, 40)),
        "provisioning key of small order": patched((b) => Buffer.from("01".padEnd(64, "0"), "hex").copy(b, 40)),
      };
      // camera_init itself, with every byte of the block (the harness's init would split a long one).
      const initRaw = (block: Uint8Array): number => {
        h.view(h.io, block.length).set(block);
        return h.x.camera_init(h.io, block.length);
      };
      for (const [name, block] of Object.entries(cases)) {
        assert.equal(initRaw(block), E.ERR_CONFIG, name);
        if (block.length >= 40) assert.ok(h.configAfterInit(block.length).subarray(8, 40).every((v) => v === 0), `${name}: seed wiped`);
        assert.ok(h.publicKey().every((v) => v === 0), `${name}: not initialised`);
      }
      assert.equal(initRaw(good), OK);
      assert.ok(h.configAfterInit(good.length).subarray(8, 40).every((v) => v === 0), "seed wiped on success");
      assert.equal(h.start(), E.ERR_STATE, "initialised but not configured: cannot record");
      assert.equal(h.x.SECURE_BYTES.value, 72);
    });

    it("configurations not signed by the pinned key, for another camera, or older are refused and reported", async () => {
      const h = await CameraHarness.create(build);
      assert.equal(h.configure(signedConfig(base())), E.ERR_STATE, "camera_configure before camera_init");
      assert.equal(h.init(secureBlock(DEVICE_SEED)), OK);
      const otherForce = new Uint8Array(32).fill(3);
      const cases: [string, Uint8Array, number][] = [
        ["signed by another provisioning key", signedConfig({ ...base(), provisioningSeed: otherForce }), E.ERR_UNSIGNED],
        ["signature bit flipped", (() => { const b = signedConfig(base()); b[b.length - 40] ^= 1; return b; })(), E.ERR_UNSIGNED],
        ["body changed after signing", (() => { const b = signedConfig(base()); b[128] ^= 1; return b; })(), E.ERR_UNSIGNED],
        ["for another camera", signedConfig({ ...base(), device: new Uint8Array(32).fill(9) }), E.ERR_UNSIGNED],
        ["serial 0", signedConfig({ ...base(), serial: 0n }), E.ERR_CONFIG],
      ];
      for (const [name, blob, code] of cases) {
        h.events.length = 0;
        assert.equal(h.configure(blob), code, name);
        assert.deepEqual(h.events.map(([k, a]) => [k, Number(a)]), [[7, code]], `${name}: event 7 with the code`);
        assert.equal(h.x.camera_config_serial(), 0n, `${name}: nothing in force`);
        assert.equal(h.start(), E.ERR_STATE, `${name}: cannot record`);
      }
      assert.equal(h.configure(signedConfig({ ...base(), serial: 5n, dock: DOCK_PK })), OK);
      assert.equal(h.x.camera_config_serial(), 5n);
      h.x.camera_dock_key(h.io);
      assert.deepEqual(h.view(h.io, 32).slice(), DOCK_PK);
      for (const serial of [5n, 4n]) {
        h.events.length = 0;
        assert.equal(h.configure(signedConfig({ ...base(), serial, recipients: [RECIPIENTS[1]] })), E.ERR_ROLLBACK, `serial ${serial}`);
        assert.deepEqual(h.events.map(([k, a, b]) => [k, Number(a), Number(b)]), [[7, E.ERR_ROLLBACK, Number(serial)]]);
      }
      assert.equal(h.x.camera_config_serial(), 5n, "the newer configuration stays in force");
      assert.equal(h.configure(signedConfig({ ...base(), serial: 6n })), OK, "a newer one is taken");
      // camera_init once per instance: a second secure block could re-pin the
      // provisioning key or reset the serial, so it is refused and changes nothing.
      const thief = new Uint8Array(32).fill(4);
      assert.equal(h.init(secureBlock(DEVICE_SEED, ed25519.getPublicKey(thief))), E.ERR_STATE);
      assert.equal(h.init(secureBlock(DEVICE_SEED)), E.ERR_STATE);
      assert.equal(h.x.camera_config_serial(), 6n, "the configuration in force stays");
      assert.equal(h.configure(signedConfig({ ...base(), serial: 99n, provisioningSeed: thief })), E.ERR_UNSIGNED, "the pin is unchanged");
      assert.equal(h.configure(signedConfig({ ...base(), serial: 1n })), E.ERR_ROLLBACK, "the serial is unchanged");
    });

    it("malformed signed configurations: ERR_CONFIG, nothing changes", async () => {
      const h = await CameraHarness.create(build);
      assert.equal(h.init(secureBlock(DEVICE_SEED)), OK);
      const good = signedConfig(base());
      const lowOrder = [Buffer.alloc(32), Buffer.from("01".padEnd(64, "0"), "hex"), Buffer.from("ec" + "ff".repeat(30) + "7f", "hex")];
      const cases: Record<string, Uint8Array> = {
        "too short": good.subarray(0, 223),
        "length not 192 + 32n": good.subarray(0, good.length - 1),
        "longer than CONFIG_BYTES_MAX": signedConfig({ ...base(), recipients: Array(9).fill(RECIPIENTS[0]) }),
        "bad magic": signedConfig(base(), (b) => b.write("SCAMCFG1", 0, "latin1")),
        "duration below 1 s": signedConfig(base(), (b) => b.writeBigUInt64LE(999_999n, 48)),
        "size below 64 KiB": signedConfig(base(), (b) => b.writeBigUInt64LE(65_535n, 56)),
        "no recipients": signedConfig({ ...base(), recipients: [] }),
        "reserved at 68 not zero": signedConfig(base(), (b) => b.writeUInt32LE(1, 68)),
        "reserved at 120 not zero": signedConfig(base(), (b) => (b[127] = 1)),
        "dock key not a point": signedConfig({ ...base(), dock: new Uint8Array(32).fill(0xff) }),
        "serial 2^53": signedConfig({ ...base(), serial: 1n << 53n }),
        ...Object.fromEntries(lowOrder.map((p, i) => [`low-order recipient ${i}`, signedConfig({ ...base(), recipients: [RECIPIENTS[0], p] })])),
      };
      for (const [name, blob] of Object.entries(cases)) {
        assert.equal(h.configure(blob), E.ERR_CONFIG, name);
        assert.equal(h.x.camera_config_serial(), 0n, `${name}: nothing in force`);
      }
      assert.equal(h.configure(good), OK);
      assert.equal(h.x.CONFIG_BYTES_MAX.value, 192 + 32 * 8);
    });

    it("calls in the wrong state: ERR_STATE and nothing changes", async () => {
      const h = await CameraHarness.create(build);
      const x = h.x;
      assert.equal(h.start(), E.ERR_STATE, "start before camera_init");
      assert.equal(h.begin(at(0), 10, 1), E.ERR_STATE);
      assert.equal(x.frame_data(h.io, 0), E.ERR_STATE);
      assert.equal(h.end(), E.ERR_STATE);
      assert.equal(h.stop(), E.ERR_STATE);
      assert.equal(h.closeSegment(), OK, "no segment open");
      assert.equal(h.init(config()), OK);
      const s = new Session(h);
      assert.equal(h.start(), OK);
      assert.equal(h.start(), E.ERR_STATE, "already recording");
      assert.equal(h.end(), E.ERR_STATE, "no frame begun");
      assert.equal(h.begin(at(0), 10, 1), OK);
      assert.equal(h.begin(at(0), 10, 1), E.ERR_STATE, "frame in progress");
      assert.equal(h.closeSegment(), E.ERR_STATE);
      assert.equal(h.stop(), E.ERR_STATE);
      const pk = h.publicKey();
      assert.equal(h.init(config({ seed: new Uint8Array(32).fill(7) })), E.ERR_STATE, "camera_init while recording");
      assert.deepEqual(h.publicKey(), pk, "configuration unchanged");
      const bytes = bytesOf(0, 10);
      assert.equal(h.data(bytes), OK);
      assert.equal(h.end(), OK);
      s.frames.push({ number: 0n, time: at(0), key: true, sequence: 0, bytes });
      assert.equal(h.stop(), OK);
      assert.equal(h.stop(), E.ERR_STATE);
      assert.equal(h.begin(at(1), 10, 1), E.ERR_STATE, "after stop");
      await s.verify();
      assert.ok(h.memoryUnchanged());
    });
  });
}
