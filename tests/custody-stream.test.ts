// The custody tools' pieces below the command line: the push parser gives the
// same entries however its input is cut, the IDR scanner finds NAL type 5
// across chunk edges, range bounds parse and resolve as documented, and
// `sealcam decrypt` gives back exactly the captured access units (the whole
// fixture byte for byte, and a range frame for frame).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "./helpers/random.ts";
import { sealcam } from "./helpers/cli.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { EntryReader, IdrScanner, StreamError, type EntryHandler } from "../host/custody/stream.ts";
import { parseRangeBound, resolveRange, keyframeAtOrBefore, FrameIndex } from "../host/custody/extract.ts";
import { AnnexBSplitter, FIXTURE } from "../host/capture/index.ts";

/** A synthetic evidence stream: header, `frames` frame entries of given sizes, a trailer. */
function syntheticStream(sizes: number[], rng: Rng): Uint8Array {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(128);
  header.set(Buffer.from("SCAMSEG1", "latin1"));
  parts.push(header);
  for (const n of sizes) {
    const e = new Uint8Array(9);
    e[0] = 0x46;
    new DataView(e.buffer).setBigUint64(1, BigInt(n), true);
    parts.push(e, rng.bytes(n), rng.bytes(240));
  }
  parts.push(Uint8Array.of(0x54), rng.bytes(224));
  return new Uint8Array(Buffer.concat(parts));
}

/** What a handler saw, as a string: entries, frame byte counts and digests. */
function record(kind: "segment" | "clip"): { handler: EntryHandler; log: string[] } {
  const log: string[] = [];
  let data: number[] = [];
  const handler: EntryHandler = {
    header: (h) => log.push(`H${Buffer.from(h).toString("hex").slice(0, 16)}`),
    frameStart: (n) => {
      data = [];
      log.push(`F${n}`);
    },
    frameData: (b) => data.push(...b.subarray(0, Math.min(b.length, 4))),
    frameEnd: (r, s) => log.push(`R${Buffer.from(r.subarray(0, 4)).toString("hex")}${Buffer.from(s.subarray(60)).toString("hex")}`),
    trailer: (t, s) => log.push(`T${Buffer.from(t.subarray(0, 4)).toString("hex")}${Buffer.from(s.subarray(60)).toString("hex")}`),
    end: (e, before) => log.push(`E${before}`),
  };
  void kind;
  return { handler, log };
}

describe("EntryReader", () => {
  it("gives the same entries whether fed whole, byte by byte or in random pieces", () => {
    const rng = new Rng(7);
    const stream = syntheticStream([1, 5000, 70000, 3], rng);
    const whole = record("segment");
    const r0 = new EntryReader("segment", whole.handler);
    r0.push(stream);
    r0.finish();
    assert.equal(whole.log.filter((l) => l.startsWith("F")).length, 4);
    assert.ok(whole.log[whole.log.length - 1].startsWith("T"));
    const bytewise = record("segment");
    const r1 = new EntryReader("segment", bytewise.handler);
    for (let i = 0; i < stream.length; i++) r1.push(stream.subarray(i, i + 1));
    r1.finish();
    assert.deepEqual(bytewise.log, whole.log);
    for (let round = 0; round < 20; round++) {
      const cut = record("segment");
      const r = new EntryReader("segment", cut.handler);
      for (let at = 0; at < stream.length; ) {
        const n = 1 + rng.int(9000);
        r.push(stream.subarray(at, at + n));
        at += n;
      }
      r.finish();
      assert.deepEqual(cut.log, whole.log);
    }
  });

  it("refuses what FORMAT.md does not allow, saying where", () => {
    const rng = new Rng(8);
    const stream = syntheticStream([10, 20], rng);
    const cases: [string, Uint8Array, RegExp][] = [
      ["bad magic", Buffer.concat([Buffer.from("SCAMSEG2"), stream.subarray(8)]), /SCAMSEG1/],
      ["unknown entry type", (() => { const s = stream.slice(); s[128] = 0x47; return s; })(), /unknown entry type 0x47/],
      ["zero-length frame", (() => { const s = stream.slice(); new DataView(s.buffer).setBigUint64(129, 0n, true); return s; })(), /frame length 0/],
      ["oversized frame", (() => { const s = stream.slice(); new DataView(s.buffer).setBigUint64(129, (64n << 20n) + 1n, true); return s; })(), /outside 1\.\./],
      ["bytes after the trailer", Buffer.concat([stream, Uint8Array.of(0)]), /follow the trailer/],
      ["a clip entry in a segment", (() => { const s = stream.slice(); s[s.length - 225] = 0x45; return s; })(), /unknown entry type 0x45/],
    ];
    for (const [name, bytes, message] of cases) {
      const r = new EntryReader("segment", record("segment").handler);
      assert.throws(() => { r.push(bytes); r.finish(); }, (e: unknown) => e instanceof StreamError && message.test(e.message), name);
    }
    for (const cut of [0, 50, 128, 129, 140, stream.length - 1]) {
      const r = new EntryReader("segment", record("segment").handler);
      r.push(stream.subarray(0, cut));
      assert.throws(() => r.finish(), StreamError, `cut at ${cut}`);
    }
  });
});

describe("IdrScanner", () => {
  it("finds an IDR NAL header across every split of the start code", () => {
    const au = Uint8Array.from([0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 9, 9]);
    const notIdr = au.slice();
    notIdr[15] = 0x41;
    for (let cut = 0; cut <= au.length; cut++) {
      for (const [bytes, want] of [[au, true], [notIdr, false]] as const) {
        const s = new IdrScanner();
        s.push(bytes.subarray(0, cut));
        s.push(bytes.subarray(cut));
        assert.equal(s.idr, want, `cut ${cut}`);
      }
    }
    const s = new IdrScanner();
    s.push(Uint8Array.from([0, 0, 2, 0x65, 0, 1, 0x65]));
    assert.equal(s.idr, false, "no start code, no NAL header");
  });

  it("agrees with a byte-by-byte reading on random units cut at random places", () => {
    const rng = new Rng(11);
    // The reference: a NAL header is the byte after 00 00 01.
    const reference = (b: Uint8Array) => {
      for (let i = 2; i + 1 < b.length; i++) if (b[i] === 1 && b[i - 1] === 0 && b[i - 2] === 0 && (b[i + 1] & 0x1f) === 5) return true;
      return false;
    };
    let found = 0;
    for (let round = 0; round < 3000; round++) {
      // Bytes drawn mostly from {0, 1, 0x65, 0x41} so start codes are common.
      const alphabet = [0, 0, 0, 0, 1, 1, 0x65, 0x41];
      const b = Uint8Array.from({ length: 1 + rng.int(40) }, () => alphabet[rng.int(alphabet.length)]);
      const want = reference(b);
      if (want) found++;
      const scanner = new IdrScanner();
      let at = 0;
      while (at < b.length) {
        const n = rng.int(5);
        scanner.push(b.subarray(at, at + n));
        at += n;
      }
      assert.equal(scanner.idr, want, Buffer.from(b).toString("hex"));
    }
    assert.ok(found > 300 && found < 2900, `both kinds drawn (${found} with IDR)`);
  });
});

describe("range bounds", () => {
  it("parses frame numbers, seconds, offsets and UTC times", () => {
    assert.deepEqual(parseRangeBound("--from", "120"), { frame: 120 });
    assert.deepEqual(parseRangeBound("--from", "4.5s"), { offsetUs: 4_500_000 });
    assert.deepEqual(parseRangeBound("--from", "01:02.25"), { offsetUs: 62_250_000 });
    assert.deepEqual(parseRangeBound("--from", "1:00:00"), { offsetUs: 3_600_000_000 });
    assert.deepEqual(parseRangeBound("--from", "2026-11-27T10:00:04.000250Z"), { timeUs: Date.UTC(2026, 10, 27, 10, 0, 4) * 1000 + 250 });
    for (const bad of ["-1", "4.5", "1:60", "1:61:00", "tomorrow", "2026-11-27 10:00:00", "1e3", ""]) {
      assert.throws(() => parseRangeBound("--from", bad), /--from/, bad);
    }
  });

  it("resolves against the frames: from = first at or after, to = last at or before", () => {
    const index = new FrameIndex();
    for (let n = 10; n < 3000; n++) index.add({ number: n, timeUs: 1e12 + (n - 10) * 40_000, keyframe: n % 30 === 0, sequence: Math.floor(n / 300), length: 1, recordHash: new Uint8Array(32), ok: true });
    assert.equal(index.count, 2990);
    assert.deepEqual(resolveRange(index, undefined, undefined), { first: 10, last: 2999 });
    assert.deepEqual(resolveRange(index, "100", "200"), { first: 100, last: 200 });
    // 25 frames a second from frame 10: 1 s is frame 35 exactly.
    assert.deepEqual(resolveRange(index, "1s", "2s"), { first: 35, last: 60 });
    assert.deepEqual(resolveRange(index, "0.99s", "1.01s"), { first: 35, last: 35 });
    assert.throws(() => resolveRange(index, "0.97s", "0.99s"), /empty/, "no frame between two frames' times");
    assert.equal(keyframeAtOrBefore(index, 100), 90);
    assert.equal(keyframeAtOrBefore(index, 90), 90);
    assert.equal(keyframeAtOrBefore(index, 29), null);
    assert.throws(() => resolveRange(index, "5", undefined), /holds frames 10–2999/);
    assert.throws(() => resolveRange(index, "200", "100"), /empty/);
    assert.throws(() => resolveRange(index, "1000s", undefined), /no frame was captured/);
  });
});

const ageMissing = spawnSync("age", ["--version"]).error !== undefined;
const skip = ageMissing && !REQUIRE_ALL ? "needs age" : false;

describe("sealcam decrypt", { skip }, () => {
  let dir: string;
  let rec: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sealcam-decrypt-"));
    assert.equal(sealcam("keygen", "--out", join(dir, "k")).code, 0);
    rec = join(dir, "rec");
    const r = sealcam("record", "--recipient", readFileSync(join(dir, "k", "force.pub"), "utf8").trim(), "--out", rec, "--device-key", join(dir, "k", "device.key"), "--segment-seconds", "1");
    assert.equal(r.code, 0, r.err);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the whole recording back byte for byte", () => {
    const out = join(dir, "all.h264");
    const r = sealcam("decrypt", rec, "--identity", join(dir, "k", "force.key"), "--out", out);
    assert.equal(r.code, 0, r.err);
    assert.ok(readFileSync(out).equals(readFileSync(FIXTURE.path)));
  });

  it("writes a range frame for frame, by numbers and by times, and refuses to overwrite", () => {
    const all = (() => {
      const s = new AnnexBSplitter();
      return [...s.push(readFileSync(FIXTURE.path)), ...s.end()];
    })();
    const want = Buffer.concat(all.slice(100, 131).map((a) => a.bytes));
    const byNumber = join(dir, "r1.h264");
    assert.equal(sealcam("decrypt", rec, "--identity", join(dir, "k", "force.key"), "--out", byNumber, "--from", "100", "--to", "130").code, 0);
    assert.ok(readFileSync(byNumber).equals(want));
    const byTime = join(dir, "r2.h264");
    const r = sealcam("decrypt", rec, "--identity", join(dir, "k", "force.key"), "--out", byTime, "--from", "3.3s", "--to", "00:04.34");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /frames 99–130/);
    const again = sealcam("decrypt", rec, "--identity", join(dir, "k", "force.key"), "--out", byTime);
    assert.equal(again.code, 2);
    assert.match(again.err, /already exists/);
  });

  it("writes nothing when a frame in the range is damaged, but a range clear of it still comes out", () => {
    const damaged = join(dir, "damaged");
    spawnSync("cp", ["-r", rec, damaged]);
    const seg = readdirSync(damaged).find((n) => n.endsWith("-000004.age"))!;
    const path = join(damaged, seg);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(path, bytes);
    const out = join(dir, "bad.h264");
    const r = sealcam("decrypt", damaged, "--identity", join(dir, "k", "force.key"), "--out", out, "--from", "100", "--to", "140");
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /segment 4/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes(".tmp")), []);
    const clear = join(dir, "clear.h264");
    assert.equal(sealcam("decrypt", damaged, "--identity", join(dir, "k", "force.key"), "--out", clear, "--from", "0", "--to", "100").code, 0);
  });
});
