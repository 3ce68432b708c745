// Power loss across a whole record-then-dock cycle (issue 5, "Proof"): a
// camera with a pre-event buffer records the fixture into the simulated
// flash (buffering, trigger, recording, stop) and docks to a real dock on
// loopback, with the power cut at flash operation N. The camera then reboots
// (recovery; the power loss logged), and docks again without faults. After
// every cut:
//   - no committed frame is lost: every segment whose commit the module saw
//     succeed is in the dock's store, byte for byte as committed;
//   - the dock accepted nothing `sealcam verify` rejects: every recording it
//     holds verifies frame by frame with the force identity, and the only
//     problem allowed is "not-final" for a recording the cut ended;
//   - the audit log chain is intact: the dock's copy verifies with no break,
//     and the camera's flash continues it (the next entry after the dock's last);
//   - the queue is consistent: after the second docking the flash holds no
//     segment, and every block is free or the audit log's.
// SEALCAM_REQUIRE_ALL=1 cuts at every flash operation of the cycle; without
// it, a seeded sample of them.
import { before, after, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { Rng } from "./helpers/random.ts";
import { Crypto } from "../host/engine/crypto.ts";
import { instantiateV8 } from "../host/engine/index.ts";
import { FlashDevice, type FlashGeometry } from "../host/flash/index.ts";
import { createDock } from "../host/dock/server.ts";
import { dockCamera } from "../host/dock/client.ts";
import { DEVICES_DIR, AUDIT_LOG } from "../host/dock/store.ts";
import { verifyPaths } from "../host/custody/verify.ts";
import { auditEntryHash } from "../host/dock/protocol.ts";
import { makeForce, enrolCamera, bootCamera, fixtureFrames, feedFrames, type Force, type CameraIdentity, type BootedCamera } from "../host/demo/fleet.ts";

// 2 KiB pages, 32 to a 64 KiB block, 48 blocks (3 MiB); 2 kept for the audit log.
const GEOMETRY: FlashGeometry = { pageBytes: 2048, pagesPerBlock: 32, blocks: 48 };
const POLICY = { reserveBlocks: 2 };
const BUFFERED = 120; // frames before the trigger (4 s in 2 s segments at this fixture's keyframes; the pre-event window is 1 s, so the first segment expires)
const RECORDED = 45; // frames after it
const T0 = Date.UTC(2026, 10, 27, 9, 0, 0) * 1000;
const SAMPLE = 24;

let crypto: Crypto;
let force: Force;
let camera: CameraIdentity;
let frames: ReturnType<typeof fixtureFrames>;
let work: string;

before(async () => {
  crypto = new Crypto(await instantiateV8("release"));
  force = makeForce(crypto);
  camera = enrolCamera(force, { segmentSeconds: 1, preEventSeconds: 1 });
  frames = fixtureFrames();
  work = mkdtempSync(join(tmpdir(), "sealcam-dock-cut-"));
});

after(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

interface Cycle {
  /** Flash operations the first boot's work took (all of it when not cut). */
  operations: number;
  cut: boolean;
}

/** One cycle; `cutAt` 0 runs without a fault. Checks the invariants and returns what happened. */
async function cycle(n: number, cutAt: number): Promise<Cycle> {
  const image = join(work, `camera-${n}.flash`);
  const dockDir = join(work, `dock-${n}`);
  const dock = await createDock({ store: dockDir, dockSeed: force.dockSeed, enrolled: [camera.device], crypto });
  const url = await dock.listen({ host: "127.0.0.1", port: 0 });
  try {
    let t = T0;
    const clock = () => BigInt(Math.round(t));
    const flash = FlashDevice.open(image, GEOMETRY, cutAt ? { cutAt, seed: n } : {});
    let first: BootedCamera | undefined;
    try {
      first = await bootCamera(force, camera, flash, { geometry: GEOMETRY, policy: POLICY, clock });
      first.recorder.buffer();
      t = feedFrames(first.recorder, frames, BUFFERED, t);
      first.recorder.trigger();
      t = feedFrames(first.recorder, frames, RECORDED, t, BUFFERED);
      first.recorder.stop();
      await dockCamera(first.docking, url, { retries: 0 });
    } catch (e) {
      // Only the power cut may end the first boot early.
      if (flash.powered) throw e;
    }
    const committedFirst = first?.committed ?? [];
    const cut = !flash.powered;
    const operations = flash.operationCount;
    flash.close();
    if (!cutAt) assert.ok(!cut);

    // Reboot, log the power loss, dock again.
    t += 5e6;
    const second = await bootCamera(force, camera, image, { geometry: GEOMETRY, policy: POLICY, clock });
    try {
      const found = second.store.recovered;
      if (cut) second.recorder.auditNote(8, found.discarded.length, found.committed.length);
      const docked = await dockCamera(second.docking, url);
      assert.deepEqual(docked.errors, [], `cut at ${cutAt}: the second docking went through`);
      assert.equal(second.store.list().length, 0, `cut at ${cutAt}: the queue is empty after docking`);
      assert.equal(second.store.usedBlocks, second.store.audit.blockCount, `cut at ${cutAt}: every block is free or the audit log's`);

      // No committed frame lost: every commit the module saw is at the dock, byte for byte.
      const deviceDir = join(dockDir, DEVICES_DIR, Buffer.from(camera.device).toString("hex"));
      for (const s of committedFirst) {
        const dir = join(deviceDir, s.manifest.recording);
        const age = join(dir, `${s.name}.age`);
        assert.ok(existsSync(age), `cut at ${cutAt}: committed segment ${s.name} reached the dock`);
        assert.equal(sha256(readFileSync(age)), s.manifest.age_sha256, `cut at ${cutAt}: ${s.name} byte for byte`);
      }

      // Nothing the dock holds fails verification; the audit log is whole.
      const report = await verifyPaths([deviceDir], {
        crypto, identities: [{ scalar: force.identity, recipient: force.recipientText }], pinnedDevice: camera.device,
      });
      for (const r of report.recordings) {
        const kinds = r.problems.map((p) => p.kind);
        const allowed = cut ? ["not-final"] : [];
        assert.ok(kinds.every((k) => allowed.includes(k)), `cut at ${cutAt}: recording ${r.recording}: ${r.problems.map((p) => p.message).join("; ")}`);
        assert.equal(r.frames_verified, r.frames_declared, `cut at ${cutAt}: every frame verified`);
      }
      if (!cut) {
        assert.equal(report.recordings.length, 1);
        const only = report.recordings[0];
        assert.ok(only.intact && only.pre_event_start !== null, `uncut: intact, begins at its pre-event start: ${JSON.stringify({ intact: only.intact, pre: only.pre_event_start, problems: only.problems, notes: only.notes, events: first?.events.map((e) => e.kind) })}`);
      }
      assert.equal(report.audit_logs.length, 1, `cut at ${cutAt}: the dock holds the audit log`);
      const log = report.audit_logs[0];
      assert.deepEqual(log.breaks, [], `cut at ${cutAt}: audit chain intact`);
      assert.ok(log.problems.length === 0, `cut at ${cutAt}: audit log: ${log.problems.map((p) => p.message).join("; ")}`);

      // The camera's log continues the dock's copy.
      const dockLog = readFileSync(join(deviceDir, AUDIT_LOG));
      const last = dockLog.subarray(dockLog.length - 200);
      const head = second.recorder.auditHead();
      const lastIndex = Number(Buffer.from(last).readBigUInt64LE(32));
      assert.ok(head.next > lastIndex, `cut at ${cutAt}: the camera's log is ahead of the dock's copy`);
      const onCamera = [...second.store.audit.entries(lastIndex)];
      assert.ok(onCamera.length >= 1, `cut at ${cutAt}: the camera keeps the dock's last entry or later`);
      assert.equal(Buffer.from(auditEntryHash(onCamera[0])).toString("hex"), Buffer.from(auditEntryHash(last)).toString("hex"), `cut at ${cutAt}: same entry at index ${lastIndex}`);
    } finally {
      second.flash.close();
    }
    return { operations, cut };
  } finally {
    await dock.close();
    rmSync(image, { force: true });
    rmSync(dockDir, { recursive: true, force: true });
  }
}

it("a record-then-dock cycle survives a power cut at any flash operation", { timeout: 60 * 60 * 1000 }, async (t) => {
  const clean = await cycle(0, 0);
  assert.ok(clean.operations > 50, `the cycle takes ${clean.operations} flash operations`);
  const rng = new Rng(0x5eed);
  const points = REQUIRE_ALL
    ? Array.from({ length: clean.operations }, (_, i) => i + 1)
    : Array.from({ length: SAMPLE }, () => 1 + rng.int(clean.operations));
  let cuts = 0;
  for (const [i, at] of points.entries()) {
    const r = await cycle(i + 1, at);
    if (r.cut) cuts++;
  }
  assert.equal(cuts, points.length, "every planned cut happened inside the cycle");
  t.diagnostic(`${points.length} cuts of the cycle's ${clean.operations} flash operations${REQUIRE_ALL ? " (every one)" : " (a seeded sample)"}`);
});
