// The dock's store on a file system without hard links (FAT, some network
// mounts), where place() copies instead of linking: a crash during the copy
// of the .age file must leave nothing partial under its name in devices/, and
// after a restart the upload completes. Review finding: the copy used to go
// straight to the evidence name, leaving half a file there and the upload
// refused for good. This file patches node:fs/promises, so it runs alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import fsp from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { createDock } from "../host/dock/server.ts";
import { dockCrypto } from "../host/dock/protocol.ts";
import { dockCamera } from "../host/dock/client.ts";
import { FakeCamera, seedOf } from "./helpers/dock-camera.ts";

const realCopy = fsp.copyFile;
// No hard links here (FAT, some network mounts).
(fsp as any).link = async () => { throw Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" }); };
let crashOnAgeCopy = true;
(fsp as any).copyFile = async (src: string, dst: string, mode?: number) => {
  if (crashOnAgeCopy && (dst.endsWith(".age") || dst.endsWith(".age.copy"))) {
    // the power fails half-way through the copy: half the bytes are under the final name
    const fh = await fsp.open(dst, "wx");
    const data = await fsp.readFile(src);
    await fh.write(data.subarray(0, data.length >> 1));
    await fh.close();
    crashOnAgeCopy = false;
    throw Object.assign(new Error("simulated power cut during copy"), { code: "EIO" });
  }
  return realCopy(src, dst, mode);
};
syncBuiltinESMExports();

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else out.push(`${relative(dir, p)} (${statSync(p).size})`); } };
  walk(dir);
  return out;
}

test("no hard links: a crash while copying the .age leaves nothing partial in devices/, and the next docking completes", async () => {
  const crypto = await dockCrypto();
  const DOCK_SEED = seedOf("rev dock 2");
  const cam = new FakeCamera(seedOf("rev camera 2"), ed25519.getPublicKey(DOCK_SEED));
  cam.record([100_000]);
  const dir = mkdtempSync(join(tmpdir(), "rev-dock-"));
  try {
    let app = await createDock({ store: dir, dockSeed: DOCK_SEED, enrolled: [cam.device], crypto });
    let url = await app.listen({ host: "127.0.0.1", port: 0 });
    const first = await dockCamera(cam, url, { retries: 0 });
    assert.equal(first.errors.length, 1, "the crash failed the first docking");
    assert.equal(crashOnAgeCopy, false, "the copy was interrupted");
    await app.close(); // the dock "restarts"
    const ages = files(join(dir, "devices")).filter((f) => / \(\d+\)$/.test(f) && f.split(" ")[0].endsWith(".age"));
    assert.deepEqual(ages, [], "no .age in the evidence tree after the crash");
    app = await createDock({ store: dir, dockSeed: DOCK_SEED, enrolled: [cam.device], crypto });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
    const second = await dockCamera(cam, url, { retries: 1 });
    await app.close();
    assert.deepEqual(second.errors, []);
    assert.equal(cam.deleted.length, 1, "the receipt came and the camera deleted its copy");
    const stored = files(join(dir, "devices")).filter((f) => f.split(" ")[0].endsWith(".age"));
    assert.equal(stored.length, 1);
    assert.match(stored[0], / \(100000\)$/, "the whole file");
    assert.deepEqual(readdirSync(join(dir, "incoming")), [], "incoming/ tidied");
    assert.deepEqual(files(join(dir, "devices")).filter((f) => f.includes(".copy")), [], "the unfinished copy removed when the store opened");
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
