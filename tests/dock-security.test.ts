// The security cases of issue 5 ("Proof"), end to end with the real module,
// the real flash store and the real dock on loopback:
//   - no plaintext frame bytes of the fixture appear anywhere in the camera's
//     flash image (while buffering, after the trigger, after docking) or in
//     the dock's store;
//   - a dock whose key the camera's configuration does not pin is refused by
//     the camera's module before anything is sent; an unenrolled device is
//     refused by the dock; either way the camera keeps every segment;
//   - a pre-event buffer never triggered leaves nothing in an image of the
//     flash that the force identity could open (no age header exists);
//   - a forged receipt, and a genuine receipt for another segment, are
//     refused by the module, and the segment is kept;
//   - a replayed upload is idempotent: the same receipt, nothing rewritten.
import { before, after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Crypto } from "../host/engine/crypto.ts";
import { instantiateV8 } from "../host/engine/index.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { manifestBlob } from "../host/evidence/manifest.ts";
import type { FlashGeometry } from "../host/flash/index.ts";
import { FIXTURE } from "../host/capture/index.ts";
import { createDock, type DockApp } from "../host/dock/server.ts";
import { dockCamera } from "../host/dock/client.ts";
import { DEVICES_DIR } from "../host/dock/store.ts";
import { makeForce, enrolCamera, bootCamera, fixtureFrames, feedFrames, type Force, type CameraIdentity } from "../host/demo/fleet.ts";

const GEOMETRY: FlashGeometry = { pageBytes: 2048, pagesPerBlock: 32, blocks: 64 };
const POLICY = { reserveBlocks: 2 };
const T0 = Date.UTC(2026, 10, 27, 11, 0, 0) * 1000;

let crypto: Crypto;
let force: Force;
let frames: ReturnType<typeof fixtureFrames>;
let work: string;
let n = 0;

before(async () => {
  crypto = new Crypto(await instantiateV8("release"));
  force = makeForce(crypto);
  frames = fixtureFrames();
  work = mkdtempSync(join(tmpdir(), "sealcam-dock-sec-"));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => join(dir, f)).filter((p) => statSync(p).isFile());
}

/**
 * Probes for plaintext: from every frame of 96 bytes or more, 32 bytes from
 * its middle (past the NAL headers, into the coded slice data, which no
 * other frame repeats by chance).
 */
function probes(): Buffer[] {
  return frames.filter((f) => f.bytes.length >= 96).map((f) => Buffer.from(f.bytes.subarray(f.bytes.length >> 1, (f.bytes.length >> 1) + 32)));
}

function assertNoPlaintext(what: string, bytes: Buffer): void {
  const found = probes().filter((p) => bytes.includes(p)).length;
  assert.equal(found, 0, `${what}: ${found} frames' bytes found in the clear`);
}

/** A camera that recorded the fixture (pre-event buffer, trigger, recording), and its image path. */
async function recordedCamera(camera: CameraIdentity) {
  const image = join(work, `camera-${++n}.flash`);
  let t = T0;
  const booted = await bootCamera(force, camera, image, { geometry: GEOMETRY, policy: POLICY, clock: () => BigInt(Math.round(t)) });
  booted.recorder.buffer();
  t = feedFrames(booted.recorder, frames, 120, t);
  assertNoPlaintext("the flash while buffering", readFileSync(image));
  booted.recorder.trigger();
  t = feedFrames(booted.recorder, frames, 240, t, 120);
  booted.recorder.stop();
  return { booted, image };
}

async function dockOn(dir: string, enrolled: Uint8Array[], dockSeed = force.dockSeed): Promise<{ app: DockApp; url: string }> {
  const app = await createDock({ store: dir, dockSeed, enrolled, crypto });
  return { app, url: await app.listen({ host: "127.0.0.1", port: 0 }) };
}

describe("docking: the security cases, with the real module", () => {
  it("no plaintext frame bytes in the flash image or the dock's store; a replayed upload is idempotent", async () => {
    const camera = enrolCamera(force, { segmentSeconds: 1, preEventSeconds: 1 });
    const { booted, image } = await recordedCamera(camera);
    assertNoPlaintext("the flash after the trigger", readFileSync(image));
    assert.ok(probes().length > 300, "the probes cover the fixture's frames");
    // The probes do find plaintext where there is some (the fixture itself).
    const clear = readFileSync(FIXTURE.path);
    assert.ok(probes().every((p) => clear.includes(p)), "every probe is found in the fixture itself");

    const before = join(work, "before-docking.flash");
    copyFileSync(image, before);
    const store = join(work, `dock-${++n}`);
    const { app, url } = await dockOn(store, [camera.device]);
    try {
      const queued = booted.store.list().map((s) => ({ name: s.name, blob: manifestBlob(s.manifest) }));
      const summary = await dockCamera(booted.docking, url);
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.segments, queued.length);
      assertNoPlaintext("the flash after docking", readFileSync(image));
      for (const f of filesUnder(store)) assertNoPlaintext(`dock store ${f}`, readFileSync(f));

      // Replay: the same camera state (the image from before docking) docks again.
      const deviceDir = join(store, DEVICES_DIR, Buffer.from(camera.device).toString("hex"));
      const receipts = new Map(filesUnder(deviceDir).filter((f) => f.endsWith(".receipt")).map((f) => [f, readFileSync(f)]));
      const stamps = new Map(filesUnder(deviceDir).filter((f) => f.endsWith(".age")).map((f) => [f, statSync(f).mtimeMs]));
      assert.equal(receipts.size, queued.length);
      booted.flash.close();
      const again = await bootCamera(force, camera, before, { geometry: GEOMETRY, policy: POLICY });
      try {
        assert.equal(again.store.list().length, queued.length, "the copy still holds every segment");
        const replay = await dockCamera(again.docking, url);
        // The camera's log before the copy was taken is the same chain the dock holds: its audit upload
        // from the copy is an overlap; every segment comes back with the receipt already given.
        assert.equal(replay.segments, queued.length, replay.errors.join("; "));
        for (const [f, bytes] of receipts) assert.ok(readFileSync(f).equals(bytes), `${f}: the same receipt`);
        for (const [f, mtime] of stamps) assert.equal(statSync(f).mtimeMs, mtime, `${f}: not rewritten`);
      } finally {
        again.flash.close();
      }
    } finally {
      await app.close();
    }
  });

  it("a dock the configuration does not pin is refused by the module; an unenrolled camera by the dock; the queue is kept", async () => {
    const camera = enrolCamera(force, { segmentSeconds: 1, preEventSeconds: 1 });
    const { booted } = await recordedCamera(camera);
    const queued = booted.store.list().length;
    assert.ok(queued >= 3);
    // A rogue dock: its own key, the camera enrolled.
    const rogue = await dockOn(join(work, `rogue-${++n}`), [camera.device], new Uint8Array(32).fill(7));
    try {
      await assert.rejects(dockCamera(booted.docking, rogue.url), (e: Error & { moduleCode?: number }) => {
        assert.equal(e.moduleCode, MODULE_ERRORS.ERR_UNSIGNED.code, e.message);
        return true;
      });
      assert.equal(booted.store.list().length, queued, "nothing deleted");
      assert.equal(filesUnder(join(work, `rogue-${n}`)).filter((f) => f.includes(DEVICES_DIR)).length, 0, "nothing sent to the rogue dock");
    } finally {
      await rogue.app.close();
    }
    // The force's dock, but the camera is not on its enrolment list.
    const other = enrolCamera(force);
    const strict = await dockOn(join(work, `strict-${++n}`), [other.device]);
    try {
      await assert.rejects(dockCamera(booted.docking, strict.url), /not enrolled/);
      assert.equal(booted.store.list().length, queued, "nothing deleted");
    } finally {
      await strict.app.close();
      booted.flash.close();
    }
  });

  it("pre-event: an image of the flash holds nothing the force identity could open of a buffer never triggered", async () => {
    const camera = enrolCamera(force, { segmentSeconds: 1, preEventSeconds: 1 });
    const image = join(work, `buffer-${++n}.flash`);
    let t = T0;
    const booted = await bootCamera(force, camera, image, { geometry: GEOMETRY, policy: POLICY, clock: () => BigInt(Math.round(t)) });
    booted.recorder.buffer();
    t = feedFrames(booted.recorder, frames, 150, t);
    const expired = booted.events.filter((e) => e.kind === 12).length;
    const parked = booted.events.filter((e) => e.kind === 11).length - expired;
    assert.ok(expired >= 1 && parked >= 1, `some segments expired (${expired}), one is parked (${parked})`);
    // The thief's image, taken while segments are parked and others have expired.
    const stolen = readFileSync(image);
    booted.recorder.stop();
    booted.flash.close();
    for (const [what, bytes] of [["taken while buffering", stolen], ["after the stop", readFileSync(image)]] as const) {
      // No age header anywhere: no stanza was ever written for a buffered segment, so no identity can open one.
      assert.equal(bytes.indexOf("age-encryption.org/v1"), -1, `${what}: no age header in the image`);
      assertNoPlaintext(what, bytes);
    }
    assert.ok(stolen.some((b, i) => i > GEOMETRY.pageBytes && b !== 0xff), "the stolen image does hold the buffered (sealed) bytes");
    // Booting the stolen image keeps nothing of them: uncommitted, so erased.
    const copy = join(work, `stolen-${n}.flash`);
    writeFileSync(copy, stolen);
    const thief = await bootCamera(force, camera, copy, { geometry: GEOMETRY, policy: POLICY });
    assert.equal(thief.store.list().length, 0);
    assert.ok(thief.store.recovered.discarded.length >= 1, "the parked segment is discarded at boot");
    thief.flash.close();
  });

  it("a forged receipt, and a genuine receipt for another segment, are refused by the module; the segment is kept", async () => {
    const camera = enrolCamera(force, { segmentSeconds: 1, preEventSeconds: 1 });
    const { booted, image } = await recordedCamera(camera);
    const store = join(work, `dock-${++n}`);
    const { app, url } = await dockOn(store, [camera.device]);
    try {
      const [a, b] = booted.store.list();
      // Receipts the dock really signed: dock a copy of the camera's flash.
      const copy = join(work, `copy-${n}.flash`);
      copyFileSync(image, copy);
      const twin = await bootCamera(force, camera, copy, { geometry: GEOMETRY, policy: POLICY });
      assert.deepEqual((await dockCamera(twin.docking, url)).errors, []);
      twin.flash.close();
      const recordingDir = join(store, DEVICES_DIR, Buffer.from(camera.device).toString("hex"), a.manifest.recording);
      const receiptA = readFileSync(join(recordingDir, `${a.name}.receipt`));
      const blobA = manifestBlob(a.manifest);
      const blobB = manifestBlob(b.manifest);

      const refused = (receipt: Uint8Array, subject: Uint8Array, code: number, what: string) => {
        assert.throws(() => booted.recorder.checkReceipt(receipt, subject), (e: Error & { moduleCode?: number }) => {
          assert.equal(e.moduleCode, code, `${what}: ${e.message}`);
          return true;
        }, what);
      };
      refused(receiptA, blobB, MODULE_ERRORS.ERR_RECEIPT.code, "segment A's receipt for segment B");
      const forged = Buffer.from(receiptA);
      forged[80] ^= 1; // the manifest hash it names, under the dock's signature
      refused(forged, blobA, MODULE_ERRORS.ERR_UNSIGNED.code, "an altered receipt");
      const resigned = Buffer.from(receiptA);
      resigned[150] ^= 1; // the size it names
      refused(resigned, blobA, MODULE_ERRORS.ERR_UNSIGNED.code, "a receipt with another size");
      assert.ok(booted.store.list().some((s) => s.id === b.id) && booted.store.list().some((s) => s.id === a.id), "both segments kept");
      // The genuine receipt for A is accepted, and only for A.
      booted.recorder.checkReceipt(receiptA, blobA);
    } finally {
      await app.close();
      booted.flash.close();
    }
  });
});
