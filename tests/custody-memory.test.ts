// Verification in constant memory: a recording whose frames include one of
// 48 MiB (FORMAT.md allows up to 64 MiB) is verified with the force identity
// while the memory held in buffers is sampled at every piece of frame data.
// A verifier that gathered a frame, a chunk list or a segment would show the
// 48 MiB; one that streams shows the few chunks it works on.
import { it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Recorder } from "../host/camera/index.ts";
import { SegmentStore } from "../host/store/index.ts";
import { Crypto } from "../host/engine/crypto.ts";
import { instantiateV8 } from "../host/engine/index.ts";
import { generateDeviceSeed, generateIdentity, recipientOf, parseRecipient } from "../host/keys/index.ts";
import { verifyPaths, type FrameSink } from "../host/custody/verify.ts";

const MIB = 1 << 20;

// Decrypted chunks are short-lived garbage; only a collection tells what is
// still held. The test runner gives no --expose-gc, so ask V8 for it here.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

it("verifies a recording with a 48 MiB frame without holding the frame", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-memory-"));
  try {
    const crypto = new Crypto(await instantiateV8("release"));
    const scalar = generateIdentity();
    const recipient = recipientOf(crypto, scalar);
    const store = SegmentStore.open(dir);
    try {
      const recorder = await Recorder.create({ store });
      recorder.configure({ deviceSeed: generateDeviceSeed(), recipients: [parseRecipient(recipient)], segmentSeconds: 1 });
      recorder.start();
      const unit = (n: number, nal: number) => {
        const b = new Uint8Array(n);
        for (let i = 5; i < n; i += 4096) b[i] = (i * 2654435761) >>> 24;
        b.set([0, 0, 0, 1, nal]);
        return b;
      };
      const t0 = 1_700_000_000_000_000;
      recorder.frame({ bytes: unit(48 * MIB, 0x65), keyframe: true, timeUs: t0 });
      for (let i = 1; i < 60; i++) recorder.frame({ bytes: unit(20_000, i % 30 === 0 ? 0x65 : 0x41), keyframe: i % 30 === 0, timeUs: t0 + i * 33_333 });
      recorder.stop();
    } finally {
      store.close();
    }

    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    let bytesSeen = 0;
    let calls = 0;
    const sink: FrameSink = {
      frameStart: () => true,
      frameData: (bytes) => {
        bytesSeen += bytes.length;
        // Sampled every 64 pieces (4 MiB of frame): about a dozen samples inside the big frame.
        if (++calls % 64 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        }
      },
      frameEnd: () => {},
    };
    const report = await verifyPaths([dir], { crypto, identities: [{ scalar, recipient }], pinnedDevice: null, sink });
    assert.equal(report.intact, true, JSON.stringify(report.recordings[0]?.problems));
    assert.equal(report.recordings[0].frames_verified, 60);
    assert.ok(bytesSeen > 48 * MIB, "the big frame went through the sink");
    assert.ok(calls >= 64 * 10, "memory was sampled inside the big frame");
    const grew = peak - baseline;
    assert.ok(grew < 16 * MIB, `buffers grew by ${(grew / MIB).toFixed(1)} MiB while verifying a 48 MiB frame`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
