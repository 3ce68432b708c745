// `sealcam record` end to end, through bin/sealcam.js as a user runs it, and
// checked with other people's tools: stock `age` decrypts every segment with
// each recipient's identity alone, the evidence streams are parsed from
// docs/FORMAT.md here (not with sealcam's code), every signature is checked
// with node:crypto's Ed25519, and ffprobe reads the frames back as video.
// Bad input ends in one line, exit 2, and no file left behind.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { BIN, sealcamWith, assertCleanError, type RunOptions } from "./helpers/cli.ts";

const FIXTURE = fileURLToPath(new URL("../fixtures/testsrc-12s.h264", import.meta.url));
const TOOLS = ["age", "age-keygen", "ffprobe", "ffmpeg"];

function sealcam(args: string[], options: RunOptions = {}) {
  return sealcamWith(options, "record", ...args);
}

const missing = TOOLS.filter((t) => spawnSync(t, [t.startsWith("ff") ? "-version" : "--version"]).error);
const skip = missing.length > 0 && !REQUIRE_ALL ? `needs ${missing.join(", ")} (install age and ffmpeg)` : false;
if (skip) console.log(`# record tests skipped: ${skip}`);
if (missing.length > 0 && REQUIRE_ALL) {
  it("has the tools it needs (SEALCAM_REQUIRE_ALL=1)", () => assert.fail(`missing: ${missing.join(", ")}`));
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey).toString("base64url") }, format: "jwk" });
  return edVerify(null, message, key, signature);
}

// ---- FORMAT.md, read independently ----------------------------------------

const MEMBERS = [
  "format", "device", "recording", "sequence", "final", "first_frame", "frame_count", "first_time_us", "last_time_us",
  "age_bytes", "age_sha256", "pre_event_start", "previous_manifest", "signature",
];

/** The manifest's signed message, laid out from FORMAT.md's table. */
function manifestMessage(m: any): Buffer {
  const b = Buffer.alloc(187);
  b.write("sealcam/v1/segment-manifest", 0, "latin1");
  Buffer.from(m.device, "hex").copy(b, 27);
  Buffer.from(m.recording, "hex").copy(b, 59);
  b.writeUInt32LE(m.sequence, 75);
  b.writeUInt32LE((m.final ? 1 : 0) | (m.pre_event_start ? 2 : 0), 79);
  [m.first_frame, m.frame_count, m.first_time_us, m.last_time_us, m.age_bytes].forEach((v: number, i: number) => b.writeBigUInt64LE(BigInt(v), 83 + 8 * i));
  Buffer.from(m.age_sha256, "hex").copy(b, 123);
  Buffer.from(m.previous_manifest, "hex").copy(b, 155);
  return b;
}

interface Stream {
  header: { device: Buffer; recording: Buffer; sequence: number; firstFrame: bigint; openTime: bigint; chain: Buffer };
  frames: Buffer[];
  lastRecordHash: Buffer;
}

/**
 * Parses and checks one evidence stream (FORMAT.md): header, frame entries
 * (SHA-512, record fields, numbering, chain, signature) and the trailer.
 */
function checkStream(plain: Buffer, m: any, chainIn: Buffer): Stream {
  const u64 = (b: Buffer, at: number) => b.readBigUInt64LE(at);
  assert.equal(plain.subarray(0, 8).toString("latin1"), "SCAMSEG1", "magic");
  const device = plain.subarray(8, 40);
  const header = {
    device, recording: plain.subarray(40, 56), sequence: plain.readUInt32LE(56), firstFrame: u64(plain, 64), openTime: u64(plain, 72), chain: plain.subarray(80, 112),
  };
  assert.equal(hex(device), m.device);
  assert.equal(hex(header.recording), m.recording);
  assert.equal(header.sequence, m.sequence);
  assert.equal(header.firstFrame, BigInt(m.first_frame));
  assert.ok(header.chain.equals(chainIn), "header chain value continues the previous segment");
  assert.ok(plain.subarray(60, 64).equals(Buffer.alloc(4)) && plain.subarray(112, 128).equals(Buffer.alloc(16)), "reserved header bytes zero");

  const frames: Buffer[] = [];
  let at = 128;
  let prev: Buffer = chainIn;
  let frameNumber = header.firstFrame;
  let firstTime = -1n;
  let lastTime = -1n;
  while (plain[at] === 0x46) {
    const n = Number(u64(plain, at + 1));
    const frame = plain.subarray(at + 9, at + 9 + n);
    const record = plain.subarray(at + 9 + n, at + 9 + n + 176);
    const sig = plain.subarray(at + 9 + n + 176, at + 9 + n + 240);
    at += 9 + n + 240;
    assert.ok(record.subarray(0, 32).equals(device) && record.subarray(32, 48).equals(header.recording), `frame ${frameNumber}: device, recording`);
    assert.equal(u64(record, 48), frameNumber, "frame number");
    const time = u64(record, 56);
    assert.ok(time >= lastTime, `frame ${frameNumber}: capture time never decreases`);
    if (firstTime < 0n) firstTime = time;
    lastTime = time;
    const keyframe = [...frame.subarray(0, Math.min(n, 4096))].some((b, i) => b === 1 && frame[i - 1] === 0 && frame[i - 2] === 0 && (frame[i + 1] & 0x1f) === 5);
    assert.equal(record.readUInt32LE(64), keyframe ? 1 : 0, `frame ${frameNumber}: keyframe flag`);
    assert.equal(record.readUInt32LE(68), m.sequence, "record's segment");
    assert.equal(u64(record, 72), BigInt(n), "record's length");
    assert.ok(record.subarray(80, 144).equals(sha512(frame)), `frame ${frameNumber}: SHA-512`);
    assert.ok(record.subarray(144, 176).equals(prev), `frame ${frameNumber}: previous record hash`);
    const signed = Buffer.concat([Buffer.from("sealcam/v1/frame-record", "latin1"), record]);
    assert.equal(signed.length, 199);
    assert.ok(ed25519Verify(device, signed, sig), `frame ${frameNumber}: signature`);
    prev = sha256(signed);
    frames.push(frame);
    frameNumber++;
  }
  assert.equal(plain[at], 0x54, "trailer entry");
  const t = plain.subarray(at + 1, at + 161);
  const tsig = plain.subarray(at + 161, at + 225);
  assert.equal(at + 225, plain.length, "nothing after the trailer");
  assert.ok(t.subarray(0, 32).equals(device) && t.subarray(32, 48).equals(header.recording));
  assert.equal(t.readUInt32LE(48), m.sequence);
  assert.equal(t.readUInt32LE(52), m.final ? 1 : 0, "trailer final flag");
  assert.equal(u64(t, 56), BigInt(m.first_frame));
  assert.equal(u64(t, 64), BigInt(frames.length));
  assert.equal(u64(t, 72), firstTime);
  assert.equal(u64(t, 80), lastTime);
  assert.ok(t.subarray(96, 128).equals(sha256(plain.subarray(0, 128))), "trailer: header hash");
  assert.ok(t.subarray(128, 160).equals(prev), "trailer: last record hash");
  assert.ok(ed25519Verify(device, Buffer.concat([Buffer.from("sealcam/v1/segment-trailer", "latin1"), t]), tsig), "trailer signature");
  assert.equal(frames.length, m.frame_count, "manifest frame count");
  assert.equal(firstTime, BigInt(m.first_time_us));
  assert.equal(lastTime, BigInt(m.last_time_us));
  return { header, frames, lastRecordHash: prev };
}

interface Checked {
  segments: string[];
  frames: Buffer[];
  manifests: any[];
}

/**
 * Checks a recording in `dir`: files, manifests (members, chain, hash, size,
 * signature), decryption with each identity alone, the evidence streams.
 */
function checkRecording(dir: string, identities: string[], expectDevice?: string): Checked {
  const files = readdirSync(dir);
  assert.ok(!files.some((f) => f.includes(".partial")), `no partial files: ${files}`);
  const segments = files.filter((f) => f.endsWith(".manifest.json")).map((f) => f.slice(0, -".manifest.json".length)).sort();
  assert.ok(segments.length >= 1);
  const recording = segments[0].slice(0, 32);
  let previous: Buffer = Buffer.alloc(32);
  let chain: Buffer = Buffer.alloc(32);
  const frames: Buffer[] = [];
  const manifests: any[] = [];
  segments.forEach((name, seq) => {
    assert.equal(name, `${recording}-${String(seq).padStart(6, "0")}`, "one recording, sequence numbers from 0");
    const m = JSON.parse(readFileSync(join(dir, `${name}.manifest.json`), "utf8"));
    manifests.push(m);
    assert.deepEqual(Object.keys(m), MEMBERS, "manifest members, in order");
    assert.equal(m.format, "sealcam-manifest/1");
    assert.equal(m.sequence, seq);
    assert.equal(m.recording, recording);
    if (expectDevice) assert.equal(m.device, expectDevice);
    assert.equal(m.final, seq === segments.length - 1, "only the last segment is final");
    const age = readFileSync(join(dir, `${name}.age`));
    assert.equal(m.age_bytes, age.length);
    assert.equal(m.age_sha256, hex(sha256(age)));
    assert.equal(m.previous_manifest, hex(previous), "manifest chain");
    const message = manifestMessage(m);
    assert.ok(ed25519Verify(Buffer.from(m.device, "hex"), message, Buffer.from(m.signature, "hex")), `segment ${seq}: manifest signature`);
    previous = sha256(message);

    const plains = identities.map((id) => {
      const r = spawnSync("age", ["-d", "-i", id, join(dir, `${name}.age`)], { maxBuffer: 256 << 20 });
      assert.equal(r.status, 0, `age -d -i ${id}: ${r.stderr}`);
      return r.stdout;
    });
    for (const p of plains.slice(1)) assert.ok(p.equals(plains[0]), "every identity decrypts the same stream");
    const stream = checkStream(plains[0], m, chain);
    chain = stream.lastRecordHash;
    frames.push(...stream.frames);
  });
  return { segments, frames, manifests };
}

function ffprobeFrames(path: string): number {
  const r = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** Every file under dir (relative paths), sorted. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(prefix + e.name);
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
    }
  };
  walk(dir, "");
  return out.sort();
}

describe("sealcam record", { skip }, () => {
  let work: string;
  const ids: string[] = [];
  const recipients: string[] = [];

  before(() => {
    work = mkdtempSync(join(tmpdir(), "sealcam-record-"));
    for (const who of ["force-a", "force-b"]) {
      const path = join(work, `${who}.key`);
      const r = spawnSync("age-keygen", ["-o", path], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      ids.push(path);
      recipients.push(spawnSync("age-keygen", ["-y", path], { encoding: "utf8" }).stdout.trim());
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const twoRecipients = () => recipients.flatMap((r) => ["--recipient", r]);

  it("records the fixture for two recipients: segments each identity decrypts, signed chain, the exact frames", () => {
    const out = join(work, "fixture");
    const r = sealcam([...twoRecipients(), "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    const created = /^created .*device\.key: device key (sealcamdev1[a-z0-9]+) \(fingerprint ([0-9a-f]{4}(-[0-9a-f]{4}){3})\)$/m.exec(r.out);
    assert.ok(created, `prints the new device key:\n${r.out}`);
    assert.ok(statSync(join(out, "device.key")).isFile());
    assert.equal(statSync(join(out, "device.key")).mode & 0o777, 0o600);
    assert.match(r.out, /^frames +360 /m);
    assert.match(r.out, /^segments +3 committed/m);
    assert.match(r.out, new RegExp(`fingerprint ${created[2]}`));
    const throughput = /^throughput +([\d.]+) MB\/s/m.exec(r.out);
    assert.ok(throughput, r.out);
    console.log(`# fixture recorded at ${throughput[1]} MB/s`);

    const { segments, frames, manifests } = checkRecording(out, ids);
    assert.equal(segments.length, 3, "12 s in 4 s segments cut at keyframes");
    assert.deepEqual(manifests.map((m) => m.frame_count), [120, 120, 120]);
    assert.equal(frames.length, 360);
    const video = Buffer.concat(frames);
    const fixture = readFileSync(FIXTURE);
    assert.ok(video.equals(fixture), "the frames, concatenated, are the fixture byte for byte");
    const h264 = join(work, "fixture.h264");
    writeFileSync(h264, video);
    assert.equal(ffprobeFrames(h264), 360);
    const times = manifests.map((m) => m.first_time_us);
    assert.equal(times[1] - times[0], 4_000_000, "capture times follow the frame rate");
    assert.ok(Math.abs(times[0] / 1000 - Date.now()) < 600_000, "capture times are wall-clock µs");
  });

  it("--source ffmpeg --seconds 3 with a given device key; a second recording reuses DIR/device.key", () => {
    const out = join(work, "ffmpeg");
    const first = sealcam([...twoRecipients(), "--out", join(work, "keyholder"), "--seconds", "1"]);
    assert.equal(first.code, 0, first.err);
    const key = join(work, "keyholder", "device.key");
    const device = /device key (sealcamdev1\S+)/.exec(first.out)![1];

    const r = sealcam(["--recipient", recipients[0], "--out", out, "--source", "ffmpeg", "--seconds", "3", "--segment-seconds", "1", "--device-key", key]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /created/);
    assert.match(r.out, /^frames +90 /m);
    assert.ok(!readdirSync(out).includes("device.key"), "no key created when one is given");
    const firstManifest = JSON.parse(readFileSync(join(work, "keyholder", readdirSync(join(work, "keyholder")).find((f) => f.endsWith(".manifest.json"))!), "utf8"));
    const { frames, segments } = checkRecording(out, [ids[0]], firstManifest.device);
    assert.equal(frames.length, 90);
    assert.equal(segments.length, 3, "1 s segments");
    const h264 = join(work, "ffmpeg.h264");
    writeFileSync(h264, Buffer.concat(frames));
    assert.equal(ffprobeFrames(h264), 90);

    const again = sealcam(["--recipient", recipients[1], "--out", join(work, "keyholder"), "--seconds", "1"]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^device key +.*device\.key$/m);
    assert.match(again.out, new RegExp(`^device +${device} `, "m"));
  });

  it("records stdin (-), and Ctrl-C stops cleanly with the open segment committed as final", async () => {
    const fixture = readFileSync(FIXTURE);
    const piped = sealcam(["--recipient", recipients[0], "--out", join(work, "stdin"), "--source", "-", "--seconds", "2"], { input: fixture });
    assert.equal(piped.code, 0, piped.err);
    assert.equal(checkRecording(join(work, "stdin"), [ids[0]]).frames.length, 60);

    const out = join(work, "sigint");
    const child = spawn(process.execPath, [BIN, "record", "--recipient", recipients[0], "--out", out, "--source", "-"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    child.stdin.on("error", () => {});
    // About 7 s of video: the first segment commits at the keyframe after 4 s.
    child.stdin.write(fixture.subarray(0, Math.floor(fixture.length * 0.6)));
    const deadline = Date.now() + 60_000;
    while (!/segment 000000/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(stdout, /segment 000000/, `first segment committed before the interrupt: ${stdout} ${stderr}`);
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    const code = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    assert.match(stdout, /stopped by Ctrl-C/);
    const { frames, manifests } = checkRecording(out, [ids[0]]);
    assert.equal(manifests.at(-1).final, true);
    assert.ok(frames.length > 120 && frames.length < 360, `${frames.length} frames`);
    assert.ok(fixture.subarray(0, Buffer.concat(frames).length).equals(Buffer.concat(frames)), "a prefix of the input, exactly");
  });

  it("bad input: one line, exit 2, nothing written", () => {
    const base = join(work, "bad");
    mkdirSync(base);
    const out = join(base, "out");
    const text = join(work, "notes.txt");
    writeFileSync(text, "this is not H.264\n".repeat(100));
    const blocker = join(work, "a-file");
    writeFileSync(blocker, "");
    const cases: Array<[string, string[], RegExp]> = [
      ["no recipient", ["--out", out], /^sealcam record: at least one --recipient age1… is required/],
      ["bad recipient", ["--recipient", "age1notakey", "--out", out], /^sealcam record: --recipient 'age1notakey': /],
      ["identity given as recipient", ["--recipient", readFileSync(ids[0], "utf8").split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!, "--out", out], /^sealcam record: --recipient: that is an age identity \(a secret key\), not a recipient/],
      ["missing source", [...twoRecipients(), "--out", out, "--source", join(work, "nope.h264")], /^sealcam record: source file not found: /],
      ["not H.264", [...twoRecipients(), "--out", out, "--source", text], /^sealcam record: .*start code/],
      ["unwritable out dir", [...twoRecipients(), "--out", join(blocker, "out")], /^sealcam record: storage: cannot use .* as the segment store: a parent is not a directory \(ENOTDIR\)\n$/],
      ["segment too short", [...twoRecipients(), "--out", out, "--segment-seconds", "0.5"], /--segment-seconds must be a number from 1/],
      ["missing device key", [...twoRecipients(), "--out", out, "--device-key", join(work, "none.key")], /device key not found/],
      ["no out", [...twoRecipients()], /give --out DIR .* or --flash IMAGE/],
    ];
    for (const [what, args, pattern] of cases) {
      const before = listing(work);
      const r = sealcam(args);
      assertCleanError(r, pattern);
      assert.deepEqual(listing(work), before, `${what}: no file written`);
    }
  });

  it("refuses to record over an existing recording of the same names, and leaves it as it was", () => {
    const out = join(work, "same-names");
    const env = { SEALCAM_TEST_ENTROPY: "same recording id" };
    const first = sealcam([...twoRecipients(), "--out", out, "--seconds", "1"], { env });
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /NOT evidence/);
    const before = listing(out);
    const bytes = before.map((f) => readFileSync(join(out, f)));
    const r = sealcam([...twoRecipients(), "--out", out, "--seconds", "1"], { env });
    assertCleanError(r, /^sealcam record: frame 0: segment [0-9a-f]{32}-000000 already exists in /);
    assert.deepEqual(listing(out), before);
    // The camera's audit log records the refused attempt (appended); every
    // other file, and every entry already logged, is exactly as it was.
    before.forEach((f, i) => {
      const now = readFileSync(join(out, f));
      if (f === "audit.log") assert.ok(now.length > bytes[i].length && now.subarray(0, bytes[i].length).equals(bytes[i]), "audit.log only grew");
      else assert.ok(now.equals(bytes[i]), `${f} unchanged`);
    });
  });
});
