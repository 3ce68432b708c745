// Power loss on the camera, end to end: the 12 s fixture is recorded into the
// simulated flash through the real module and recorder, with the power cut at
// flash operation N; the camera then reboots (the image reopened, the store's
// boot recovery), records again, and what the flash holds is exported and
// verified with the force identity. After every cut:
//   - every segment whose commit returned before the cut is there, byte-exact,
//     and verifies frame by frame;
//   - nothing else is there but, at most, the segment whose commit record
//     was fully programmed as the power died (no half segment passes as
//     evidence);
//   - the only problem verify reports of the cut recording is that it has no
//     final segment (it was cut short), and the recording after the reboot is
//     intact;
//   - every block is either free or in use by a listed segment.
// By default a seeded sample of cut points runs; SEALCAM_REQUIRE_ALL=1 cuts at
// every flash operation of the recording.
import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { Rng } from "./helpers/random.ts";
import { Recorder } from "../host/camera/index.ts";
import { AnnexBSplitter, FIXTURE } from "../host/capture/index.ts";
import { Crypto } from "../host/engine/crypto.ts";
import { instantiateV8 } from "../host/engine/index.ts";
import { generateDeviceSeed, generateIdentity, recipientOf, parseRecipient } from "../host/keys/index.ts";
import { verifyPaths } from "../host/custody/verify.ts";
import { FlashDevice, FlashStore, type FlashGeometry } from "../host/flash/index.ts";

// 2 KiB pages, 32 to a 64 KiB block, 128 blocks: 8 MiB, room for both recordings.
const GEOMETRY: FlashGeometry = { pageBytes: 2048, pagesPerBlock: 32, blocks: 128 };
const FRAMES = (() => {
  const s = new AnnexBSplitter();
  return [...s.push(readFileSync(FIXTURE.path)), ...s.end()];
})();
const SEED = generateDeviceSeed();

interface Outcome {
  committed: string[];
  cut: boolean;
  operations: number;
}

/** Records the fixture into the image; a power cut ends it where it happens. */
async function record(device: FlashDevice, store: FlashStore, recipient: Uint8Array, t0: number): Promise<Outcome> {
  const sink = store.sink();
  const committed: string[] = [];
  const recorder = await Recorder.create({ store: sink, onCommit: (s) => committed.push(s.name) });
  recorder.configure({ deviceSeed: SEED.slice(), recipients: [recipient], segmentSeconds: 1 });
  let cut = false;
  try {
    recorder.start();
    FRAMES.forEach((au, i) => recorder.frame({ bytes: au.bytes, keyframe: au.keyframe, timeUs: t0 + Math.round((i * 1e6) / 30) }));
    recorder.stop();
  } catch (e) {
    // The power is gone: the module's error names the cut; nothing else runs.
    if (device.powered) throw e;
    cut = true;
  }
  return { committed, cut, operations: device.operationCount };
}

it("no committed segment is lost and no half segment survives, whatever flash operation the power dies in", { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-powercut-"));
  try {
    const crypto = new Crypto(await instantiateV8("release"));
    const scalar = generateIdentity();
    const recipientText = recipientOf(crypto, scalar);
    const recipient = parseRecipient(recipientText);

    // An uncut run counts the operations a recording takes.
    const probe = FlashDevice.open(join(dir, "probe.img"), GEOMETRY);
    const total = (await record(probe, FlashStore.boot(probe), recipient, 1_800_000_000_000_000)).operations;
    probe.close();
    assert.ok(total > 300, `a recording takes ${total} flash operations`);

    const rng = new Rng(Number(process.env.SEALCAM_SEED ?? 20261127));
    const cuts = REQUIRE_ALL ? Array.from({ length: total }, (_, i) => i + 1) : Array.from({ length: 40 }, () => 1 + rng.int(total));
    console.log(`# power cut at ${cuts.length} of the recording's ${total} flash operations`);
    for (const cutAt of cuts) {
      const image = join(dir, `cut-${cutAt}.img`);
      const device = FlashDevice.open(image, GEOMETRY, { cutAt, seed: cutAt });
      const first = await record(device, FlashStore.boot(device), recipient, 1_800_000_000_000_000);
      device.close();
      assert.equal(first.cut, true, `the power was cut at operation ${cutAt}`);

      // Reboot: the image as the cut left it; recovery; then a new recording.
      const rebooted = FlashDevice.open(image, GEOMETRY);
      const store = FlashStore.boot(rebooted);
      const listed = store.list().map((s) => s.name);
      // Every committed segment survives; at most one more may: the one whose
      // commit record was fully programmed as the power died (the host never
      // heard it succeed, but it is whole, and verified below like the rest).
      assert.deepEqual(listed.slice(0, first.committed.length), first.committed, `cut at ${cutAt}: every committed segment survives`);
      assert.ok(listed.length <= first.committed.length + 1, `cut at ${cutAt}: nothing but whole segments survives (${listed.length} listed, ${first.committed.length} committed)`);
      const second = await record(rebooted, store, recipient, 1_800_000_100_000_000);
      assert.equal(second.cut, false);
      assert.equal(store.freeBlocks + store.usedBlocks, GEOMETRY.blocks, `cut at ${cutAt}: every block accounted for`);

      const out = join(dir, `export-${cutAt}`);
      store.exportTo(out);
      const report = await verifyPaths([out], { crypto, identities: [{ scalar, recipient: recipientText }], pinnedDevice: null });
      // The recording made after the reboot must be intact; the one the cut
      // interrupted may only lack its final segment.
      const after = new Set(second.committed.map((name) => name.slice(0, 32)));
      assert.equal(after.size, 1);
      for (const r of report.recordings) {
        const kinds = r.problems.map((p) => p.kind);
        if (after.has(r.recording)) assert.equal(r.intact, true, `cut at ${cutAt}: the recording after the reboot is intact\n${JSON.stringify(r.problems)}`);
        else {
          assert.ok(kinds.every((k) => k === "not-final"), `cut at ${cutAt}: at most 'cut short'\n${JSON.stringify(r.problems)}`);
          assert.equal(r.frames_verified, r.frames_declared, `cut at ${cutAt}: every frame of the surviving segments verifies`);
        }
      }
      assert.equal(report.recordings.length, listed.length > 0 ? 2 : 1);
      rebooted.close();
      rmSync(image);
      rmSync(out, { recursive: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
