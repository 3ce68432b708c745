// `sealcam record --flash` and `sealcam flash ls|export` as a user runs them:
// a recording into a flash image, listed and exported without the image
// changing, and verified; bad input ends in one line, exit 2.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sealcam, assertCleanError } from "./helpers/cli.ts";

describe("sealcam record --flash and sealcam flash", () => {
  let dir: string;
  let image: string;
  const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sealcam-flash-cli-"));
    assert.equal(sealcam("keygen", "--out", join(dir, "k")).code, 0);
    image = join(dir, "cam.img");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("records into a flash image, lists and exports it unchanged, and the export verifies", () => {
    const recipient = readFileSync(join(dir, "k", "force.pub"), "utf8").trim();
    const r = sealcam("record", "--recipient", recipient, "--flash", image, "--board", "sim-small", "--device-key", join(dir, "k", "device.key"), "--segment-seconds", "2");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /segments\s+6 committed/);
    assert.equal(readFileSync(image).length, 8 << 20, "the sim-small board's 8 MiB");
    const before = sha(image);
    const ls = sealcam("flash", "ls", image, "--board", "sim-small");
    assert.equal(ls.code, 0, ls.err);
    assert.equal((ls.out.match(/^segment /gm) ?? []).length, 6);
    assert.match(ls.out, /6 committed segments/);
    const out = join(dir, "exported");
    const ex = sealcam("flash", "export", image, "--board", "sim-small", "--out", out);
    assert.equal(ex.code, 0, ex.err);
    assert.equal(sha(image), before, "listing and exporting do not change the image");
    const v = sealcam("verify", out, "--identity", join(dir, "k", "force.key"), "--device", join(dir, "k", "device.pub"));
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /360 checked one by one and intact/);
    // A second recording into the same image joins the first.
    const again = sealcam("record", "--recipient", recipient, "--flash", image, "--board", "sim-small", "--device-key", join(dir, "k", "device.key"), "--seconds", "2");
    assert.equal(again.code, 0, again.err);
    assert.match(sealcam("flash", "ls", image, "--board", "sim-small").out, /7 committed segments/);
  });

  it("refuses bad input with one line and exit 2, writing nothing", () => {
    const recipient = readFileSync(join(dir, "k", "force.pub"), "utf8").trim();
    const fresh = join(dir, "never.img");
    assertCleanError(sealcam("record", "--recipient", recipient, "--flash", fresh), /--flash needs --device-key/);
    assertCleanError(sealcam("record", "--recipient", recipient, "--flash", fresh, "--out", join(dir, "x"), "--device-key", join(dir, "k", "device.key")), /--out DIR .* or --flash IMAGE/);
    assertCleanError(sealcam("record", "--recipient", recipient, "--out", join(dir, "x"), "--board", "sim"), /--board applies to --flash/);
    assertCleanError(sealcam("record", "--recipient", recipient, "--flash", fresh, "--board", "nonesuch", "--device-key", join(dir, "k", "device.key")), /board nonesuch: not found/);
    assert.equal(existsSync(fresh), false);
    const badBoard = join(dir, "bad-board.json");
    writeFileSync(badBoard, JSON.stringify({ name: "b", description: "d", flash: { pageBytes: 1000, pagesPerBlock: 8, blocks: 16 } }));
    assertCleanError(sealcam("flash", "ls", image, "--board", badBoard), /page size must be a power of two/);
    writeFileSync(badBoard, JSON.stringify({ name: "b", description: "d", flash: { pageBytes: 2048, pagesPerBlock: 32, blocks: 128 }, wear: 1 }));
    assertCleanError(sealcam("flash", "ls", image, "--board", badBoard), /unknown member 'wear'/);
    assertCleanError(sealcam("flash", "ls", image), /bytes, but the geometry makes/);
    assertCleanError(sealcam("flash", "ls", join(dir, "missing.img")), /no such flash image/);
    assertCleanError(sealcam("flash", "frobnicate", image), /say ls, export or dock/);
    assertCleanError(sealcam("flash", "export", image, "--board", "sim-small"), /export needs --out/);
  });
});
