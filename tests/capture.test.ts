// Capture: the Annex B splitter and the sources. The committed fixture must
// split into exactly its 360 frames (12 keyframes, one a second), give back
// its bytes exactly, and split the same however the stream is cut; small
// hand-built streams pin down each boundary rule of H.264 §7.4.1.2.3. Tests
// that need ffmpeg/ffprobe skip without them unless SEALCAM_REQUIRE_ALL=1.
import { describe, it, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitAnnexB, AnnexBSplitter, openSource, FIXTURE, type AccessUnit, type SplitOptions } from "../host/capture/index.ts";
import { readUe } from "../host/capture/annexb.ts";
import { SealcamError, EXIT } from "../host/errors.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { Rng, SEED } from "./helpers/random.ts";

const fixture = readFileSync(FIXTURE.path);

function split(chunks: Uint8Array[], options?: SplitOptions): AccessUnit[] {
  const s = new AnnexBSplitter(options);
  const out: AccessUnit[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.end());
  return out;
}

const concat = (units: AccessUnit[]) => Buffer.concat(units.map((u) => u.bytes));
const keyframes = (units: AccessUnit[]) => units.filter((u) => u.keyframe).map((u) => u.index);

function assertSameUnits(actual: AccessUnit[], expected: AccessUnit[], what: string) {
  assert.equal(actual.length, expected.length, `${what}: access unit count`);
  for (let i = 0; i < expected.length; i++) {
    assert.equal(actual[i].index, i, `${what}: index of unit ${i}`);
    assert.equal(actual[i].keyframe, expected[i].keyframe, `${what}: keyframe flag of unit ${i}`);
    assert.ok(Buffer.from(actual[i].bytes).equals(expected[i].bytes), `${what}: bytes of unit ${i}`);
  }
}

// Throws a SealcamError with this exit code and a message matching `pattern`.
function assertSealcamError(fn: () => unknown, exitCode: number, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof SealcamError && e.exitCode === exitCode && pattern.test(e.message));
}
async function assertRejectsSealcam(p: Promise<unknown>, exitCode: number, pattern: RegExp) {
  await assert.rejects(p, (e: unknown) => e instanceof SealcamError && e.exitCode === exitCode && pattern.test(e.message));
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

// --- building streams by hand (H.264 §7.3.1 NAL units, §9.1 Exp-Golomb) ---

/** ue(v) bits of n, followed by the rbsp stop bit, padded to bytes. */
function ueRbsp(n: number): number[] {
  const code = n + 1;
  const width = Math.floor(Math.log2(code)) + 1;
  const bits: number[] = new Array(width - 1).fill(0);
  for (let i = width - 1; i >= 0; i--) bits.push(Math.floor(code / 2 ** i) % 2);
  bits.push(1);
  while (bits.length % 8) bits.push(0);
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((a, b) => a * 2 + b, 0));
  return out;
}

/** Inserts emulation-prevention bytes: 00 00 0x (x <= 3) becomes 00 00 03 0x. */
function escape(rbsp: number[]): number[] {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out;
}

function nal(type: number, rbsp: number[], start: 3 | 4 = 4): number[] {
  return [...(start === 4 ? [0, 0, 0, 1] : [0, 0, 1]), (3 << 5) | type, ...escape(rbsp)];
}
const sps = (start: 3 | 4 = 4) => nal(7, [0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40], start);
const pps = (start: 3 | 4 = 4) => nal(8, [0xeb, 0xe3, 0xcb, 0x22, 0xc0], start);
const sei = (start: 3 | 4 = 4) => nal(6, [0x05, 0x02, 0x11, 0x22, 0x80], start);
const aud = (start: 3 | 4 = 4) => nal(9, [0x10], start);
/** A slice NAL unit (type 5 IDR or 1 non-IDR) whose header starts with first_mb_in_slice. */
const slice = (type: 1 | 5, firstMb: number, start: 3 | 4 = 4) => nal(type, [...ueRbsp(firstMb), 0x9a, 0x5c, 0x77], start);

/** Splits the concatenation of `units` and checks it gives back exactly those units. */
function assertSplitsInto(units: number[][], keyframe: boolean[]) {
  const stream = new Uint8Array(units.flat());
  const got = split([stream]);
  assert.equal(got.length, units.length, "access unit count");
  got.forEach((u, i) => {
    assert.deepEqual([...u.bytes], units[i], `bytes of unit ${i}`);
    assert.equal(u.keyframe, keyframe[i], `keyframe flag of unit ${i}`);
  });
  // and the same cut at every byte
  assertSameUnits(split([...stream].map((b) => new Uint8Array([b]))), got, "byte at a time");
}

// --- tools ---

function hasTool(name: string): boolean {
  const r = spawnSync(name, ["-version"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/** True if the tool is there; otherwise skips the test, or fails it when CI asks for everything. */
function needs(t: TestContext, tool: string): boolean {
  if (hasTool(tool)) return true;
  if (REQUIRE_ALL) assert.fail(`${tool} is not installed (SEALCAM_REQUIRE_ALL=1 requires it)`);
  t.skip(`${tool} is not installed`);
  return false;
}

describe("capture: the H.264 fixture", () => {
  it("is the committed file (size and SHA-256 as recorded)", () => {
    assert.equal(fixture.length, FIXTURE.bytes);
    assert.equal(createHash("sha256").update(fixture).digest("hex"), FIXTURE.sha256);
  });

  it("splits into 360 access units, a keyframe every 30, that concatenate to the file", () => {
    const units = split([fixture]);
    assert.equal(units.length, FIXTURE.frames);
    assert.deepEqual(keyframes(units), Array.from({ length: FIXTURE.keyframes }, (_, k) => k * 30));
    assert.ok(concat(units).equals(fixture), "concatenation equals the file byte for byte");
    for (const u of units) assert.deepEqual([...u.bytes.subarray(0, 4)], [0, 0, 0, 1], `unit ${u.index} starts with a start code`);
  });

  for (const seed of [SEED, SEED + 1, SEED + 2]) {
    it(`splits the same when cut into random chunks (seed ${seed}), 1-byte chunks for the first 8 KiB`, () => {
      const rng = new Rng(seed);
      const chunks: Uint8Array[] = [];
      let at = 0;
      for (; at < 8192; at++) chunks.push(fixture.subarray(at, at + 1));
      while (at < fixture.length) {
        const n = rng.int(4) === 0 ? 1 + rng.int(8) : 1 + rng.length();
        chunks.push(fixture.subarray(at, at + n));
        at += n;
      }
      assertSameUnits(split(chunks), split([fixture]), `seed ${seed}`);
    });
  }

  it("a stream cut mid-frame ends with that partial frame, every byte kept", () => {
    const cut = fixture.subarray(0, 400_001);
    const units = split([cut]);
    assert.ok(concat(units).equals(cut));
    const whole = split([fixture]);
    assertSameUnits(units.slice(0, -1), whole.slice(0, units.length - 1), "before the cut");
  });

  it("keeps the buffer to about one access unit plus one input piece", () => {
    const s = new AnnexBSplitter();
    s.push(fixture);
    s.end();
    const largest = Math.max(...split([fixture]).map((u) => u.bytes.length));
    // private field, read on purpose: bounded memory is the property under test
    const capacity = (s as unknown as { buf: Uint8Array }).buf.length;
    assert.ok(capacity <= 2 * (largest + 65536), `buffer grew to ${capacity} bytes`);
  });

  it("openSource('fixture') gives the same units with times from the frame rate", async () => {
    const start = 1_764_200_000_000_000;
    const source = openSource({ kind: "fixture", startTimeUs: start });
    assert.equal(source.fps, 30);
    const units = await collect(source);
    assertSameUnits(units, split([fixture]), "fixture source");
    assert.equal(units[0].timeUs, start);
    assert.equal(units[1].timeUs, start + 33_333);
    assert.equal(units[2].timeUs, start + 66_667);
    assert.equal(units[30].timeUs, start + 1_000_000);
    assert.equal(units[359].timeUs, start + 11_966_667);
    await assertRejectsSealcam(collect(source), EXIT.INTERNAL, /can be read only once/);
  });

  it("openSource('file') reads a file; a missing one is a clear error", async () => {
    const units = await collect(openSource({ kind: "file", path: FIXTURE.path, fps: 30 }));
    assert.equal(units.length, FIXTURE.frames);
    await assertRejectsSealcam(collect(openSource({ kind: "file", path: "/nonexistent/x.h264", fps: 30 })), EXIT.USAGE, /^cannot read \/nonexistent\/x\.h264: no such file$/);
  });

  it("openSource('stdin') reads a pipe", () => {
    const index = new URL("../host/capture/index.ts", import.meta.url).href;
    const script = `import { openSource } from ${JSON.stringify(index)};
      let n = 0, k = 0, last = 0;
      for await (const u of openSource({ kind: "stdin", fps: 25 })) { n++; if (u.keyframe) k++; last = u.timeUs; }
      console.log(n, k, last);`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { input: fixture, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `360 12 ${Math.round((359 * 1e6) / 25)}`);
  });

  it("ffprobe counts the same frames and keyframes", (t) => {
    if (!needs(t, "ffprobe")) return;
    const frames = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", FIXTURE.path], { encoding: "utf8" });
    assert.equal(frames.status, 0, frames.stderr);
    assert.equal(Number(frames.stdout.trim()), FIXTURE.frames);
    const keys = spawnSync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=key_frame", "-of", "csv=p=0", FIXTURE.path], { encoding: "utf8" });
    assert.equal(keys.status, 0, keys.stderr);
    const flags = keys.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => l.startsWith("1"));
    assert.equal(flags.length, FIXTURE.frames);
    assert.deepEqual(keyframes(split([fixture])), flags.flatMap((k, i) => (k ? [i] : [])));
  });
});

describe("capture: Annex B boundary rules", () => {
  it("3-byte and 4-byte start codes split alike (the fixture with its 4-byte codes shortened)", () => {
    const whole = split([fixture]);
    // 00 00 00 01 occurs only as a start code (emulation prevention forbids 00 00 00 inside a NAL unit).
    const shorten = (b: Uint8Array, every: number) => {
      const out: number[] = [];
      let seen = 0;
      for (let i = 0; i < b.length; i++) {
        if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 0 && b[i + 3] === 1 && seen++ % every === 0) continue;
        out.push(b[i]);
      }
      return Buffer.from(out);
    };
    for (const every of [1, 2]) {
      const expected = whole.map((u) => ({ ...u, bytes: shorten(u.bytes, every) }));
      // shortening unit by unit restarts the every-other count; do the same to the stream
      const stream = Buffer.concat(expected.map((u) => u.bytes));
      const got = split([stream]);
      assertSameUnits(got, expected, every === 1 ? "all 3-byte" : "mixed 3- and 4-byte");
      assert.ok(concat(got).equals(stream));
    }
  });

  it("a 4-byte start code's zero byte goes with its NAL unit, trailing zeros stay behind", () => {
    assertSplitsInto(
      [
        [...sps(3), ...pps(3), ...slice(5, 0, 3), 0, 0, 0],
        [...slice(1, 0), 0],
        [...slice(1, 0), ...slice(1, 40, 3)],
        [...slice(1, 0, 3)],
      ],
      [true, false, false, false],
    );
    // The bytes alone cannot say whether the zero before 00 00 01 is a trailing zero or a
    // zero_byte; it is read as a zero_byte, so this unit's last zero moves to the next one.
    const units = split([new Uint8Array([...slice(5, 0), 0, ...slice(1, 0, 3)])]);
    assert.deepEqual([...units[1].bytes.subarray(0, 4)], [0, 0, 0, 1]);
  });

  it("access unit delimiters start access units; slices with first_mb_in_slice > 0 stay in theirs", () => {
    assertSplitsInto(
      [
        [...aud(), ...sps(), ...pps(), ...sei(), ...slice(5, 0), ...slice(5, 120), ...slice(5, 240)],
        [...aud(), ...slice(1, 0), ...slice(1, 200)],
        [...aud(3), ...slice(1, 0, 3)],
      ],
      [true, false, false],
    );
  });

  it("the fixture with a delimiter before every frame splits at the delimiters", () => {
    const expected = split([fixture]).map((u) => ({ ...u, bytes: Buffer.concat([Buffer.from(aud()), u.bytes]) }));
    assertSameUnits(split([Buffer.concat(expected.map((u) => u.bytes))]), expected, "with delimiters");
  });

  it("SPS, PPS and SEI after a picture open the next access unit, not the picture", () => {
    assertSplitsInto(
      [
        [...sps(), ...pps(), ...slice(5, 0)],
        [...sei(), ...slice(1, 0)],
        [...sps(), ...pps(), ...sei(), ...slice(5, 0)],
        [...slice(1, 0)],
      ],
      [true, false, true, false],
    );
  });

  it("NAL units after the last picture stay with it (every access unit holds a picture)", () => {
    const endOfStream = nal(11, []);
    assertSplitsInto([[...slice(5, 0)], [...slice(1, 0), ...sei(), ...sps(), ...endOfStream]], [true, false]);
    // a delimiter that follows other NAL units with no picture between: the same rule
    assertSplitsInto([[...sps(), ...aud(), ...slice(5, 0)]], [true]);
  });

  it("reads first_mb_in_slice through emulation-prevention bytes", () => {
    // first_mb_in_slice >= 2^22 - 1 has 22 leading zero bits: its first bytes are 00 00 02, which
    // must be sent as 00 00 03 02. 2^31 has two such runs. (A zero value is a single 1 bit,
    // so emulation prevention can never hide a first slice; it can only corrupt a value.)
    for (const value of [0, 1, 2, 3, 7, 8159, 2 ** 22 - 1, 2 ** 22 + 5, 2 ** 31, 2 ** 32 - 2]) {
      const rbsp = ueRbsp(value);
      const payload = escape(rbsp);
      if (value === 2 ** 22 + 5) assert.deepEqual(payload.slice(0, 4), [0, 0, 3, 2], "the value's bytes carry an emulation-prevention byte");
      if (value === 2 ** 31) assert.equal(payload.length, rbsp.length + 2, "two emulation-prevention bytes");
      assert.equal(readUe(new Uint8Array(payload), 0, payload.length), value, `ue(v) ${value}`);
    }
    assert.equal(readUe(new Uint8Array([0, 0, 3]), 0, 3), -1, "bytes end inside the code");
    assert.equal(readUe(new Uint8Array([0, 0, 3, 0, 0, 0x80]), 0, 6), -1, "33 leading zero bits is beyond ue(v)'s range");

    // In a stream: slices whose first_mb_in_slice carries 00 00 03 stay in their picture.
    assertSplitsInto(
      [
        [...sps(), ...pps(), ...slice(5, 0), ...slice(5, 2 ** 22 + 5)],
        [...slice(1, 0), ...slice(1, 2 ** 31)],
      ],
      [true, false],
    );
  });
});

describe("capture: bad input", () => {
  it("no start code: the clear error", () => {
    const text = Buffer.from("this is a text file, not video. ".repeat(300));
    assertSealcamError(() => split([text]), EXIT.USAGE, /^not an H\.264 Annex B stream: no start code in the first 4096 bytes$/);
    assertSealcamError(() => split([Buffer.from("GIF89a")]), EXIT.USAGE, /^not an H\.264 Annex B stream: no start code in the first 6 bytes$/);
    assertSealcamError(() => split([]), EXIT.USAGE, /^not an H\.264 Annex B stream: empty input$/);
    // the error comes after the first 4 KiB even when fed a byte at a time
    const s = new AnnexBSplitter();
    assertSealcamError(() => { for (const b of text) s.push(new Uint8Array([b])); }, EXIT.USAGE, /no start code in the first 4096 bytes/);
  });

  it("data before the first start code is rejected; leading zeros are kept in unit 0", () => {
    const stream = [...sps(), ...pps(), ...slice(5, 0), ...slice(1, 0)];
    assertSealcamError(() => split([new Uint8Array([0x47, 0x40, 0, ...stream])]), EXIT.USAGE, /^not an H\.264 Annex B stream: non-zero bytes before the first start code \(at byte 4\)$/);
    const units = split([new Uint8Array([0, 0, 0, 0, ...stream])]);
    assert.equal(units.length, 2);
    assert.deepEqual([...units[0].bytes.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("a NAL unit with forbidden_zero_bit set, or no picture at all, is rejected", () => {
    assertSealcamError(() => split([new Uint8Array([...slice(5, 0), 0, 0, 1, 0xe5, 0x88])]), EXIT.USAGE, /forbidden_zero_bit set in the NAL unit at byte \d+/);
    assertSealcamError(() => split([new Uint8Array([...sps(), ...pps()])]), EXIT.USAGE, /^not an H\.264 Annex B stream: no picture \(slice NAL unit\) in its \d+ bytes$/);
  });

  it("an access unit over the limit is an error, raised before it is all buffered", () => {
    assertSealcamError(() => split([fixture], { maxAccessUnitBytes: 4096 }), EXIT.USAGE, /^access unit 0 at byte 0 is larger than 4096 bytes/);
    const limit = 100_000;
    const s = new AnnexBSplitter({ maxAccessUnitBytes: limit });
    const big = new Uint8Array(10_000).fill(0xaa);
    let fed = 0;
    assertSealcamError(() => {
      s.push(new Uint8Array(slice(5, 0)));
      for (let i = 0; i < 1000; i++) {
        fed += big.length;
        s.push(big);
      }
    }, EXIT.USAGE, /^access unit 0 at byte 0 is larger than 100000 bytes/);
    assert.ok(fed <= limit + 65536 + big.length, `error after ${fed} bytes`);
  });

  it("openSource checks its options", () => {
    assertSealcamError(() => openSource({ kind: "file", path: FIXTURE.path }), EXIT.USAGE, /^a file source needs fps/);
    assertSealcamError(() => openSource({ kind: "stdin", fps: 0 }), EXIT.USAGE, /^fps must be more than 0/);
    assertSealcamError(() => openSource({ kind: "ffmpeg", width: 641 }), EXIT.USAGE, /^width must be an even whole number from 16 to 4096, not 641$/);
    assertSealcamError(() => openSource({ kind: "ffmpeg", path: "x.h264" }), EXIT.USAGE, /^path does not apply to ffmpeg sources$/);
    assertSealcamError(() => openSource({ kind: "fixture", fps: 25 }), EXIT.USAGE, /^fps does not apply to fixture sources$/);
    assertSealcamError(() => openSource({ kind: "camera" as "file" }), EXIT.USAGE, /^unknown source kind 'camera'/);
    assertSealcamError(() => openSource({ kind: "fixture", startTimeUs: 1.5 }), EXIT.USAGE, /^startTimeUs must be a whole number/);
  });

  it("splitAnnexB works over any async iterable of chunks", async () => {
    async function* pieces() {
      for (let at = 0; at < fixture.length; at += 50_000) yield fixture.subarray(at, at + 50_000);
    }
    assertSameUnits(await collect(splitAnnexB(pieces())), split([fixture]), "async");
  });
});

describe("capture: the ffmpeg source", () => {
  it("2 s of 30 fps testsrc2 is 60 access units with 2 keyframes", async (t) => {
    if (!needs(t, "ffmpeg")) return;
    const units = await collect(openSource({ kind: "ffmpeg", seconds: 2, fps: 30, width: 320, height: 240, startTimeUs: 5_000_000 }));
    assert.equal(units.length, 60);
    assert.deepEqual(keyframes(units), [0, 30]);
    assert.deepEqual(units.map((u) => u.index), Array.from({ length: 60 }, (_, i) => i));
    assert.equal(units[30].timeUs, 6_000_000);
    if (hasTool("ffprobe")) {
      const r = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "-f", "h264", "-"], { input: concat(units), encoding: "utf8" });
      assert.equal(r.stdout.trim(), "60", r.stderr);
    }
  });

  it("stopping early kills ffmpeg", async (t) => {
    if (!needs(t, "ffmpeg")) return;
    const began = Date.now();
    let n = 0;
    for await (const _ of openSource({ kind: "ffmpeg", seconds: 3600, width: 320, height: 240 })) if (++n === 3) break;
    assert.equal(n, 3);
    assert.ok(Date.now() - began < 20_000, "returned promptly");
    const ps = spawnSync("ps", ["-o", "comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
    if (!ps.error) assert.doesNotMatch(ps.stdout, /ffmpeg/, "no ffmpeg child left");
  });

  it("ffmpeg missing or failing: clear errors (with a stand-in on PATH)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sealcam-capture-"));
    const path = process.env.PATH;
    try {
      process.env.PATH = dir; // no ffmpeg here
      await assertRejectsSealcam(collect(openSource({ kind: "ffmpeg", seconds: 1 })), EXIT.SETUP, /^ffmpeg is not installed/);
      writeFileSync(join(dir, "ffmpeg"), "#!/bin/sh\necho 'some progress' >&2\necho \"Unknown encoder 'libx264'\" >&2\nexit 1\n", { mode: 0o755 });
      await assertRejectsSealcam(collect(openSource({ kind: "ffmpeg", seconds: 1 })), EXIT.SETUP, /^ffmpeg failed \(exit code 1\): Unknown encoder 'libx264'$/);
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
