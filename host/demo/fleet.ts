// Simulated cameras of one force, for the load benchmark and the docking
// tests: the force's keys (identity, provisioning, dock), and cameras that
// boot on a flash image with a configuration the force signed, record the
// H.264 fixture with a simulated capture clock, and dock through the real
// client. Everything is the real code path; only the keys are made here.
import { readFileSync } from "node:fs";
import { AnnexBSplitter, FIXTURE } from "../capture/index.ts";
import { Recorder, type CameraEvent } from "../camera/recorder.ts";
import { dockingCamera } from "../camera/docking.ts";
import { signConfig } from "../camera/config.ts";
import type { CommittedSegment } from "../store/segments.ts";
import type { Crypto } from "../engine/crypto.ts";
import { FlashDevice, type FaultPlan, type FlashGeometry } from "../flash/device.ts";
import { FlashStore, type FlashPolicy } from "../flash/store.ts";
import type { DockingCamera } from "../dock/client.ts";
import {
  generateDeviceSeed, generateIdentity, generateProvisioningSeed, generateDockSeed, recipientOf, parseRecipient,
  provisioningPublicKey, dockPublicKey, devicePublicKey,
} from "../keys/index.ts";

/** The force's keys: its age identity, its provisioning key and its dock's key. */
export interface Force {
  crypto: Crypto;
  identity: Uint8Array;
  recipientText: string;
  recipient: Uint8Array;
  provisioningSeed: Uint8Array;
  provisioningPublic: Uint8Array;
  dockSeed: Uint8Array;
  dockPublic: Uint8Array;
}

export function makeForce(crypto: Crypto): Force {
  const identity = generateIdentity();
  const recipientText = recipientOf(crypto, identity);
  const provisioningSeed = generateProvisioningSeed();
  const dockSeed = generateDockSeed();
  return {
    crypto, identity, recipientText, recipient: parseRecipient(recipientText),
    provisioningSeed, provisioningPublic: provisioningPublicKey(crypto, provisioningSeed),
    dockSeed, dockPublic: dockPublicKey(crypto, dockSeed),
  };
}

/** What a camera is set up with. */
export interface CameraSetup {
  segmentSeconds?: number;
  preEventSeconds?: number;
  /** Configuration serial (default 1). */
  serial?: number;
}

/** A camera's identity: its device seed and the configuration the force signed for it. */
export interface CameraIdentity {
  deviceSeed: Uint8Array;
  device: Uint8Array;
  config: Uint8Array;
}

export function enrolCamera(force: Force, setup: CameraSetup = {}): CameraIdentity {
  const deviceSeed = generateDeviceSeed();
  const device = devicePublicKey(force.crypto, deviceSeed);
  const config = signConfig(force.crypto, force.provisioningSeed, {
    device, serial: setup.serial ?? 1, segmentDurationUs: Math.round((setup.segmentSeconds ?? 1) * 1e6), segmentSizeBytes: 256 << 20,
    recipients: [force.recipient], dock: force.dockPublic, preEventUs: Math.round((setup.preEventSeconds ?? 0) * 1e6),
  });
  return { deviceSeed, device, config };
}

/** A camera booted on its flash image: the recorder (module) over the flash store and its audit log. */
export interface BootedCamera {
  flash: FlashDevice;
  store: FlashStore;
  recorder: Recorder;
  docking: DockingCamera;
  /** Segments whose commit the module saw succeed, in order. */
  committed: CommittedSegment[];
  events: CameraEvent[];
}

export interface BootOptions {
  geometry: FlashGeometry;
  policy?: FlashPolicy;
  plan?: FaultPlan;
  clock?: () => bigint;
}

/**
 * Boots `camera` on the image at `image` (a path, created erased if missing,
 * or a device already open): recovery, module, audit log, configuration.
 */
export async function bootCamera(force: Force, camera: CameraIdentity, image: string | FlashDevice, o: BootOptions): Promise<BootedCamera> {
  const flash = typeof image === "string" ? FlashDevice.open(image, o.geometry, o.plan ?? {}) : image;
  const store = FlashStore.boot(flash, () => {}, o.policy ?? {});
  const committed: CommittedSegment[] = [];
  const events: CameraEvent[] = [];
  const recorder = await Recorder.create({
    store: store.sink(), audit: store.audit, clock: o.clock, onCommit: (s) => committed.push(s), onEvent: (e) => events.push(e),
  });
  recorder.configure({
    deviceSeed: camera.deviceSeed.slice(), recipients: [force.recipient], segmentSeconds: 1,
    provisioning: { publicKey: force.provisioningPublic, config: camera.config },
  });
  return { flash, store, recorder, docking: dockingCamera(recorder, store), committed, events };
}

/** The fixture's access units (12 s at 30 fps, 360 frames). */
export function fixtureFrames(): { bytes: Uint8Array; keyframe: boolean }[] {
  const s = new AnnexBSplitter();
  return [...s.push(readFileSync(FIXTURE.path)), ...s.end()];
}

/**
 * Records `count` frames of `frames` (looped) at 30 fps from capture time
 * `t0` µs; returns the capture time after the last frame.
 */
export function feedFrames(recorder: Recorder, frames: readonly { bytes: Uint8Array; keyframe: boolean }[], count: number, t0: number, from = 0): number {
  let t = t0;
  for (let i = 0; i < count; i++) {
    const au = frames[(from + i) % frames.length];
    recorder.frame({ bytes: au.bytes, keyframe: au.keyframe, timeUs: Math.round(t) });
    t += 1e6 / 30;
  }
  return t;
}
