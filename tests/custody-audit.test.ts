// Regressions from the adversarial review of the custody tools: each case is
// a way the first version could be led to write evidence it should refuse,
// crash, grow without bound or name a problem at the wrong place. Every case
// failed before its fix.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { BIN } from "./helpers/cli.ts";
import {
  keygen, recordFixture, sealcamAsync, agePath, manifestPath, editSegment, entryOf, ageDecrypt, ageEncrypt,
  parseReport, problemsAt, allProblems, recordingIn, show, type Keys, type Recording,
} from "./helpers/tamper.ts";

const missing = ["age", "age-keygen", "ffmpeg"].filter((t) => spawnSync(t, [t === "ffmpeg" ? "-version" : "--version"]).error);
const skip = missing.length > 0 && !REQUIRE_ALL ? `needs ${missing.join(", ")}` : false;
if (missing.length > 0 && REQUIRE_ALL) it("has the tools it needs (SEALCAM_REQUIRE_ALL=1)", () => assert.fail(`missing: ${missing.join(", ")}`));

describe("custody tools, review regressions", { skip }, () => {
  let dir: string;
  let force: Keys;
  let other: Keys;
  let base: Recording;
  let foreign: Recording;
  let sibling: Recording;
  let n = 0;
  const copy = (rec: Recording = base): Recording => {
    const to = join(dir, `case-${n++}`);
    cpSync(rec.dir, to, { recursive: true });
    return { ...rec, dir: to };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sealcam-audit-"));
    force = await keygen(join(dir, "keys"));
    other = await keygen(join(dir, "other"), "--device-only");
    base = await recordFixture(join(dir, "base"), force);
    foreign = await recordFixture(join(dir, "foreign"), force, other);
    // Same camera, another recording: its frames carry the right device key.
    sibling = await recordFixture(join(dir, "sibling"), force);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a segment of another recording does not count as verified frames", async () => {
    const rec = copy();
    copyFileSync(agePath(foreign, 4), agePath(rec, 4));
    copyFileSync(manifestPath(foreign, 4), manifestPath(rec, 4));
    const r = await sealcamAsync("verify", rec.dir, "--identity", force.identity, "--json");
    assert.equal(r.code, 1, r.err);
    const report = parseReport(r.out);
    const recording = recordingIn(report, rec.id);
    assert.equal(recording.frames_verified, 330, show(report));
    // One line for the foreign frames, not thirty; segment 5 is not blamed.
    assert.equal(problemsAt(report, ["frame-signature"], 4).length, 1, show(report));
    assert.equal(allProblems(report).filter((p) => p.segment === 5).length, 0, show(report));
  });

  it("decrypt refuses a segment replaced between its two passes", async () => {
    const rec = copy();
    const hook = join(dir, "swap-hook.mjs");
    // Replaces the target on its second opening, as a file swapped under the tool would be.
    writeFileSync(hook, `import fsp from "node:fs/promises"; import fs from "node:fs"; import { syncBuiltinESMExports } from "node:module";
const open = fsp.open; let n = 0;
fsp.open = async (p, ...rest) => { if (String(p) === process.env.SWAP_TARGET && ++n === 2) fs.copyFileSync(process.env.SWAP_SOURCE, p); return open(p, ...rest); };
syncBuiltinESMExports();`);
    const out = join(dir, "swapped.h264");
    const r = spawnSync(process.execPath, ["--import", hook, BIN, "decrypt", rec.dir, "--identity", force.identity, "--from", "150", "--to", "179", "--out", out], {
      encoding: "utf8", env: { ...process.env, SWAP_TARGET: agePath(rec, 5), SWAP_SOURCE: agePath(sibling, 5) },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /second reading/);
    assert.equal(existsSync(out), false);
  });

  it("decrypt refuses a damaged segment even when junk fills the problem listing", async () => {
    const rec = copy();
    // Segment 5 re-sealed unchanged: every frame genuine, the file not the one its manifest signed.
    const plain = await ageDecrypt(agePath(rec, 5), force.identity);
    writeFileSync(agePath(rec, 5), await ageEncrypt(plain, force.recipient));
    const junk = readFileSync(manifestPath(rec, 0));
    for (let i = 0; i < 1100; i++) writeFileSync(join(rec.dir, `dup${i}.manifest.json`), junk);
    const v = await sealcamAsync("verify", rec.dir, "--json");
    assert.equal(v.code, 1);
    assert.ok(problemsAt(parseReport(v.out), ["age-hash"], 5).length === 1, "the real problem is still listed");
    const out = join(dir, "junk.h264");
    const r = await sealcamAsync("decrypt", rec.dir, "--identity", force.identity, "--from", "150", "--to", "179", "--out", out);
    assert.equal(r.code, 1, r.err);
    assert.equal(existsSync(out), false);
  });

  it("a clip of junk frames is listed within bounds, not held whole", async () => {
    // 20,000 one-byte frames with junk records after a valid-looking header.
    const header = Buffer.alloc(128);
    header.write("SCAMCLP1", 0, "latin1");
    header.writeBigUInt64LE(20_000n, 64);
    header.writeBigUInt64LE(0n, 80);
    const entry = Buffer.alloc(9 + 1 + 240, 7);
    entry[0] = 0x46;
    entry.writeBigUInt64LE(1n, 1);
    const body = Buffer.concat([header, ...Array.from({ length: 20_000 }, () => entry)]);
    const end = Buffer.alloc(41);
    end[0] = 0x45;
    end.writeBigUInt64LE(20_000n, 1);
    createHash("sha256").update(body).digest().copy(end, 9);
    const clip = join(dir, "junk.sealclip");
    writeFileSync(clip, Buffer.concat([body, end]));
    const r = await sealcamAsync("verify", clip, "--json");
    assert.equal(r.code, 1, r.err);
    const report = parseReport(r.out);
    assert.ok(report.clips[0].problems.length <= 5000, `listed ${report.clips[0].problems.length}`);
    assert.ok(report.clips[0].problems_more > 0);
  });

  it("writes outputs on a file system without hard links, and still never overwrites", async () => {
    const hook = join(dir, "nolink-hook.mjs");
    writeFileSync(hook, `import fs from "node:fs"; import { syncBuiltinESMExports } from "node:module";
fs.linkSync = () => { const e = new Error("EPERM: operation not permitted, link"); e.code = "EPERM"; throw e; };
syncBuiltinESMExports();`);
    const out = join(dir, "nolink.h264");
    const run = () => spawnSync(process.execPath, ["--import", hook, BIN, "decrypt", base.dir, "--identity", force.identity, "--from", "130", "--to", "140", "--out", out], { encoding: "utf8" });
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).length > 0);
    const again = run();
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  });

  it("a dangling link named like evidence is a clear usage error", async () => {
    const rec = copy();
    symlinkSync(join(dir, "nowhere"), join(rec.dir, "zzz.age"));
    const r = await sealcamAsync("verify", rec.dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /zzz\.age: cannot read: a link to nothing/);
    assert.equal(r.err.trim().split("\n").length, 1);
  });

  it("decrypt takes frames from the segments when a clip of them lies beside", async () => {
    const rec = copy();
    const clip = join(dir, "beside.mp4");
    const e = await sealcamAsync("export", rec.dir, "--identity", force.identity, "--from", "100", "--to", "150", "--out", clip);
    assert.equal(e.code, 0, e.err);
    copyFileSync(join(dir, "beside.sealclip"), join(rec.dir, "beside.sealclip"));
    const out = join(dir, "beside.h264");
    const r = await sealcamAsync("decrypt", rec.dir, "--identity", force.identity, "--from", "130", "--to", "140", "--out", out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /frames 130–140 \(11\)/);
  });

  it("an identity that opens nothing, on replaced files, is evidence (exit 1), not a wrong key", async () => {
    const rec = copy();
    const stranger = await keygen(join(dir, `stranger-${n}`), "--force-only");
    for (let s = 0; s < 12; s++) {
      const plain = await ageDecrypt(agePath(rec, s), force.identity);
      writeFileSync(agePath(rec, s), await ageEncrypt(plain, stranger.recipient));
    }
    const r = await sealcamAsync("verify", rec.dir, "--identity", force.identity, "--json");
    assert.equal(r.code, 1, r.err);
    assert.equal(problemsAt(parseReport(r.out), ["age-hash"]).length, 12);
  });

  it("a frame dropped at the end of a segment is named there once", async () => {
    const rec = copy();
    await editSegment(rec, 4, force, (s) => s.entries.splice(entryOf(s, 149), 1));
    const r = await sealcamAsync("verify", rec.dir, "--identity", force.identity, "--json");
    assert.equal(r.code, 1);
    const report = parseReport(r.out);
    assert.equal(problemsAt(report, ["frame-number"], 4, 149).length, 1, show(report));
    assert.equal(allProblems(report).filter((p) => p.segment === 5).length, 0, show(report));
  });

  it("evidence held to the wrong --device reads as a few lines a segment, not one a frame", async () => {
    const r = await sealcamAsync("verify", base.dir, "--identity", force.identity, "--device", join(dir, "other", "device.pub"), "--json");
    assert.equal(r.code, 1);
    const report = parseReport(r.out);
    const problems = allProblems(report);
    assert.ok(problems.length <= 12 * 5, `${problems.length} lines`);
    assert.equal(recordingIn(report, base.id).device_pinned, false);
    assert.equal(problemsAt(report, ["device-mismatch"]).length, 12);
  });

});
