// `sealcam flash dock` as a person runs it: a provisioned camera records into
// its flash image (`record --flash --config`), then docks it to the force's
// dock; every segment ends up in the dock's store, verified frame by frame,
// the flash keeps only its audit log, and a second run has nothing to send.
// A camera whose configuration pins another dock is refused before anything
// is sent, and bad options get one line and exit 2.
import { before, after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sealcam, assertCleanError } from "./helpers/cli.ts";
import { sealcamAsync } from "./helpers/tamper.ts";
import { Crypto } from "../host/engine/crypto.ts";
import { instantiateV8 } from "../host/engine/index.ts";
import { createDock, type DockApp } from "../host/dock/server.ts";
import { DEVICES_DIR } from "../host/dock/store.ts";
import { parseDevicePublicKey, readDockKey } from "../host/keys/index.ts";

const dir = mkdtempSync(join(tmpdir(), "sealcam-flash-dock-"));
const k = (f: string) => join(dir, "k", f);
const keyLine = (path: string, prefix: string) => readFileSync(path, "utf8").split("\n").find((l) => l.startsWith(prefix))!.trim();
let dock: DockApp;
let url: string;
let device: Uint8Array;

function signConfig(out: string, dockPub: string): void {
  const r = sealcam("provision", "sign", "--key", join(dir, "p", "provisioning.key"), "--device", k("device.pub"), "--recipient", keyLine(k("force.pub"), "age1"),
    "--dock", dockPub, "--serial", "1", "--segment-seconds", "1", "--out", out);
  assert.equal(r.code, 0, r.err);
}

function record(image: string, config: string): void {
  const r = sealcam("record", "--config", config, "--provisioning", join(dir, "p", "provisioning.pub"), "--flash", image, "--board", "sim-small",
    "--device-key", k("device.key"), "--seconds", "4");
  assert.equal(r.code, 0, r.err);
}

const dockArgs = (image: string, config: string) => ["flash", "dock", image, "--board", "sim-small", "--url", url, "--device-key", k("device.key"),
  "--config", config, "--provisioning", join(dir, "p", "provisioning.pub")];

before(async () => {
  for (const args of [["keygen", "--out", join(dir, "k")], ["provision", "keygen", "--out", join(dir, "p")], ["dock", "keygen", "--out", join(dir, "dock.key")]]) {
    const r = sealcam(...args);
    assert.equal(r.code, 0, r.err);
  }
  device = parseDevicePublicKey(keyLine(k("device.pub"), "sealcamdev1"));
  const crypto = new Crypto(await instantiateV8("release"));
  dock = await createDock({ store: join(dir, "store"), dockSeed: readDockKey(join(dir, "dock.key")).seed, enrolled: [device], crypto });
  url = await dock.listen({ host: "127.0.0.1", port: 0 });
});

after(async () => {
  await dock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sealcam flash dock", () => {
  it("docks a camera's flash: every segment to the store and verified, the flash keeps only its audit log", async () => {
    const config = join(dir, "camera.sealcfg");
    signConfig(config, keyLine(join(dir, "dock.key"), "# public key:").replace("# public key: ", ""));
    const image = join(dir, "camera.flash");
    record(image, config);
    const r = await sealcamAsync(...dockArgs(image, config));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^docked +4 of 4 segments \(\d+ bytes\), 5 receipts accepted by the module; 0 left on the camera$/m);
    const ls = sealcam("flash", "ls", image, "--board", "sim-small");
    assert.match(ls.out, /^0 committed segments$/m);
    assert.match(ls.out, /^audit log +\d+ entries/m);
    const v = sealcam("verify", join(dir, "store", DEVICES_DIR, Buffer.from(device).toString("hex")), "--identity", k("force.key"), "--device", k("device.pub"));
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /frames +0–119: 120 declared by the manifests, 120 checked one by one and intact/);
    const again = await sealcamAsync(...dockArgs(image, config));
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^docked +0 of 0 segments/m);
  });

  it("a camera pinned to another dock refuses this one before sending anything; the flash keeps its segments", async () => {
    const other = sealcam("dock", "keygen", "--out", join(dir, "other-dock.key"));
    assert.equal(other.code, 0, other.err);
    const config = join(dir, "other.sealcfg");
    signConfig(config, keyLine(join(dir, "other-dock.key"), "# public key:").replace("# public key: ", ""));
    const image = join(dir, "other.flash");
    record(image, config);
    const r = await sealcamAsync(...dockArgs(image, config));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /^sealcam flash: .*dock/m);
    assert.equal(r.err.trim().split("\n").length, 1, `one line: ${r.err}`);
    assert.match(sealcam("flash", "ls", image, "--board", "sim-small").out, /^4 committed segments$/m);
  });

  it("bad options: one line, exit 2, the image untouched", () => {
    const image = join(dir, "camera.flash");
    const before = readFileSync(image);
    const config = join(dir, "camera.sealcfg");
    assertCleanError(sealcam("flash", "dock", image, "--board", "sim-small"), /dock needs --url/);
    assertCleanError(sealcam(...dockArgs(image, config).map((a) => (a === url ? "ftp://x" : a))), /--url: the dock speaks http, not ftp:/);
    assertCleanError(sealcam("flash", "ls", image, "--board", "sim-small", "--url", url), /--url applies to dock/);
    writeFileSync(join(dir, "junk.sealcfg"), "junk");
    assertCleanError(sealcam(...dockArgs(image, join(dir, "junk.sealcfg"))), /junk\.sealcfg: 4 bytes, not a camera configuration/);
    assert.ok(readFileSync(image).equals(before), "the image is unchanged");
  });
});
