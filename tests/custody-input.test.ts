// `sealcam verify` (and decrypt, export) on input it cannot use: an empty
// folder, random bytes, a truncated lone .age file, files that are not age at
// all, manifests that are not JSON or break FORMAT.md's member rules, a missing
// identity file or PATH, an unknown option. Each ends with exit 2, one line on
// stderr and no stack trace, and writes no file. A control (the recording the
// bad inputs are cut from, verified as it is) shows each refusal comes from
// its fault alone. Each case runs verify once, half of them with --identity
// and --json, to keep the file's run short (every run starts Node and tsx).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { assertCleanError, type Run } from "./helpers/cli.ts";
import { ed25519 } from "@noble/curves/ed25519.js";
import { encode } from "../host/keys/bech32.ts";
import { keygen, sealcamAsync, segmentName, parseReport, problemsAt, recordingIn, show, type Keys, type Recording } from "./helpers/tamper.ts";

const missing = spawnSync("age", ["--version"]).error ? ["age"] : [];
const skip = missing.length > 0 && !REQUIRE_ALL ? "needs the age CLI (apt install age)" : false;
if (skip) console.log(`# custody input tests skipped: ${skip}`);
if (missing.length > 0 && REQUIRE_ALL) {
  it("has the tools it needs (SEALCAM_REQUIRE_ALL=1)", () => assert.fail("missing: age"));
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


/** A minimal PNG: the signature and an IHDR chunk (CRC not checked by anyone here). */
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from("0000000d49484452000000010000000108060000001f15c489", "hex"),
  Buffer.alloc(64, 0x2a),
]);

// FORMAT.md, "The segment manifest": exactly these members, each once, lowercase hex, plain decimal integers.
const fieldCases: Array<[string, (text: string, m: Record<string, unknown>) => string]> = [
  ["a member missing (age_sha256)", (_t, m) => JSON.stringify({ ...m, age_sha256: undefined })],
  ["a member of the wrong type (sequence as a string)", (_t, m) => JSON.stringify({ ...m, sequence: "0" })],
  ["a member of the wrong type (final as a number)", (_t, m) => JSON.stringify({ ...m, final: 0 })],
  ["uppercase hex (signature)", (_t, m) => JSON.stringify({ ...m, signature: String(m.signature).toUpperCase() })],
  ["an extra member", (_t, m) => JSON.stringify({ ...m, comment: "added" })],
  ["a duplicate member", (t) => t.replace(/"format":/, '"sequence": 0, "format":')],
  ["an integer with an exponent", (t) => t.replace(/"frame_count": 30/, '"frame_count": 3e1')],
];
const caseDir = (what: string): string => what.replace(/\W+/g, "-");

describe("sealcam verify, decrypt, export: unusable input is refused cleanly", { skip, concurrency: 3 }, () => {
  let work: string;
  let keys: Keys;
  let rec: Recording; // two 1 s segments, 0 and 1 (final): an intact recording to copy
  let inputs: string;

  /** Runs sealcam and checks it refused: exit 2, one clean line matching `pattern`, nothing written under work/. */
  async function refused(pattern: RegExp, ...args: string[]): Promise<Run> {
    const before = listing(work);
    const r = await sealcamAsync(...args);
    assertCleanError(r, pattern);
    assert.deepEqual(listing(work), before, `${args.join(" ")}: no file written`);
    return r;
  }

  /**
   * A copy of the intact recording in a new folder under inputs/, with
   * `change` applied to its files. Called only from before(): the tests run
   * side by side and each checks that nothing under work/ changed.
   */
  function copyRecording(name: string, change: (dir: string) => void): string {
    const dir = join(inputs, name);
    mkdirSync(dir);
    for (const f of readdirSync(rec.dir)) if (f.endsWith(".age") || f.endsWith(".manifest.json")) copyFileSync(join(rec.dir, f), join(dir, f));
    change(dir);
    return dir;
  }

  const manifest0 = (dir: string): string => join(dir, `${segmentName(rec.id, 0)}.manifest.json`);
  const age0 = (dir: string): string => join(dir, `${segmentName(rec.id, 0)}.age`);
  /** Every other case also decrypts: the refusal must not depend on the mode. */
  const modes = (i: number): string[] => (i % 2 === 0 ? [] : ["--identity", keys.identity, "--json"]);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "sealcam-input-"));
    keys = await keygen(join(work, "keys"));
    const dir = join(work, "rec");
    const r = await sealcamAsync("record", "--recipient", keys.recipient, "--out", dir, "--seconds", "2", "--segment-seconds", "1", "--device-key", keys.deviceKey);
    assert.equal(r.code, 0, `record: ${r.err}`);
    const names = readdirSync(dir).filter((f) => f.endsWith(".manifest.json")).sort();
    assert.equal(names.length, 2, "2 s in 1 s segments");
    rec = { dir, id: names[0].slice(0, 32), manifests: names.map((n) => JSON.parse(readFileSync(join(dir, n), "utf8"))) };
    inputs = join(work, "inputs");
    mkdirSync(inputs);
    mkdirSync(join(inputs, "empty"));
    // Reproducible bytes with no structure (a multiplicative hash of the offset).
    writeFileSync(join(inputs, "noise.bin"), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)));
    writeFileSync(join(inputs, "notes.txt"), "this is not an age file\n".repeat(40));
    writeFileSync(join(inputs, "picture.png"), PNG);
    // A lone .age file, its header cut off in the middle of the recipient stanza.
    mkdirSync(join(inputs, "lone"));
    writeFileSync(join(inputs, "lone", `${segmentName(rec.id, 0)}.age`), readFileSync(age0(rec.dir)).subarray(0, 40));
    copyRecording("bad-json", (d) => writeFileSync(manifest0(d), readFileSync(manifest0(d), "utf8").replace(/}\s*$/, "")));
    for (const [what, change] of fieldCases) {
      copyRecording(caseDir(what), (d) => {
        const text = readFileSync(manifest0(d), "utf8");
        const changed = change(text, JSON.parse(text));
        assert.notEqual(changed, text, `${what}: the case changed the manifest`);
        writeFileSync(manifest0(d), changed);
      });
    }
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("control: the recording the bad inputs are cut from verifies (exit 0)", async () => {
    const r = await sealcamAsync("verify", rec.dir, "--json", "--identity", keys.identity);
    assert.equal(r.code, 0, `${r.err}\n${r.out.slice(0, 2000)}`);
    const report = parseReport(r.out);
    assert.equal(report.intact, true);
    assert.equal(recordingIn(report, rec.id).frames_verified, 60);
  });

  it("an empty folder", async () => {
    await refused(/^sealcam verify: /, "verify", join(inputs, "empty"), ...modes(1));
  });

  it("a file of random bytes", async () => {
    await refused(/^sealcam verify: .*noise\.bin/, "verify", join(inputs, "noise.bin"), ...modes(0));
  });

  it("a lone .age file whose header is truncated, given as a file and as its folder", async () => {
    await refused(/^sealcam verify: /, "verify", join(inputs, "lone", `${segmentName(rec.id, 0)}.age`), ...modes(1));
    await refused(/^sealcam verify: /, "verify", join(inputs, "lone"));
  });

  it("a file that is not age at all: a text file, a PNG", async () => {
    await refused(/^sealcam verify: .*notes\.txt/, "verify", join(inputs, "notes.txt"), ...modes(0));
    await refused(/^sealcam verify: .*picture\.png/, "verify", join(inputs, "picture.png"), ...modes(1));
  });

  it("a manifest that is not JSON", async () => {
    await refused(/^sealcam verify: /, "verify", join(inputs, "bad-json"), ...modes(0));
  });

  fieldCases.forEach(([what], i) => {
    it(`a manifest with ${what}`, async () => {
      await refused(/^sealcam verify: /, "verify", join(inputs, caseDir(what)), ...modes(i + 1));
    });
  });

  it("--identity naming a missing file", async () => {
    await refused(/^sealcam verify: .*no-such\.key/, "verify", rec.dir, "--identity", join(inputs, "no-such.key"));
  });

  it("a nonexistent PATH beside a good one", async () => {
    await refused(/^sealcam verify: .*no-such-folder/, "verify", rec.dir, join(inputs, "no-such-folder"), "--json");
  });

  it("usage: an unknown option, no PATH at all", async () => {
    await refused(/^sealcam verify: .*--frobnicate/, "verify", rec.dir, "--frobnicate");
    await refused(/^sealcam verify: /, "verify");
  });

  it("--device: the camera's own key pins it, another camera's key is an evidence problem, a malformed key is refused", async () => {
    const devicePub = join(work, "keys", "device.pub");
    const own = readFileSync(devicePub, "utf8").trim();
    const pinned = await sealcamAsync("verify", rec.dir, "--device", devicePub, "--json");
    assert.equal(pinned.code, 0, pinned.err);
    const report = parseReport(pinned.out);
    assert.equal(report.pinned_device, own);
    assert.equal(recordingIn(report, rec.id).device_pinned, true);
    assert.equal(recordingIn(report, rec.id).device_key, own);

    // Another camera: a well-formed sealcamdev1… key of a different seed.
    const other = encode("sealcamdev", ed25519.getPublicKey(new Uint8Array(32).fill(7)));
    const wrong = await sealcamAsync("verify", rec.dir, "--device", other, "--json");
    assert.equal(wrong.code, 1, wrong.err);
    const wrongReport = parseReport(wrong.out);
    const recording = recordingIn(wrongReport, rec.id);
    assert.equal(recording.device_pinned, false, "model.ts: device_pinned is true only when every segment matched the key given");
    for (const seq of [0, 1]) assert.ok(problemsAt(wrongReport, ["device-mismatch", "manifest-signature"], seq).length > 0, show(wrongReport));

    await refused(/^sealcam verify: /, "verify", rec.dir, "--device", "sealcamdev1notakey");
  });

  // decrypt and export write a file: on input they cannot use they must leave none, not even a partial one.
  for (const command of ["decrypt", "export"] as const) {
    const outName = command === "decrypt" ? "out.h264" : "clip.mp4";
    const range = command === "export" ? ["--from", "0", "--to", "40"] : [];

    it(`${command}: a missing identity file or random-bytes input leaves no output file`, async () => {
      const out = join(inputs, `${command}-${outName}`);
      await refused(new RegExp(`^sealcam ${command}: .*no-such\\.key`), command, rec.dir, "--identity", join(inputs, "no-such.key"), "--out", out, ...range);
      assert.ok(!existsSync(out), `${out} was not written`);
      await refused(new RegExp(`^sealcam ${command}: `), command, join(inputs, "noise.bin"), "--identity", keys.identity, "--out", out, ...range);
      assert.ok(!existsSync(out), `${out} was not written`);
      if (command === "export") assert.ok(!existsSync(out.replace(/\.mp4$/, ".sealclip")), "no clip file either");
    });
  }
});
