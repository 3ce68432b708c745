// A simulated shift, end to end, on the embedded defaults (`npm start`):
// the force provisions a camera and a dock, the officer's camera buffers
// pre-event footage, is triggered, records, loses power mid-recording,
// reboots, records again, and at the end of the shift docks; the custodian
// then verifies what the dock received, frame by frame, with the force
// identity, and the camera's signed audit log beside it.
//
// Everything is real but the hardware: the firmware module (release build)
// seals and signs, the NAND flash is the simulator on the `sim` board (an
// image file), the dock is `sealcam dock serve`'s service on loopback, and
// the video is the H.264 fixture, looped with a simulated capture clock.
// Every outcome is checked against what should have happened, and the shift
// fails (exit 1) if anything differs.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AnnexBSplitter, FIXTURE } from "../capture/index.ts";
import { Recorder, type CameraEvent } from "../camera/recorder.ts";
import { dockingCamera } from "../camera/docking.ts";
import { signConfig } from "../camera/config.ts";
import { Crypto } from "../engine/crypto.ts";
import { instantiateV8 } from "../engine/index.ts";
import { FlashDevice } from "../flash/device.ts";
import { FlashStore } from "../flash/store.ts";
import { loadBoard } from "../flash/board.ts";
import { createDock } from "../dock/server.ts";
import { dockCamera } from "../dock/client.ts";
import { DEVICES_DIR } from "../dock/store.ts";
import { verifyPaths } from "../custody/verify.ts";
import {
  generateDeviceSeed, generateIdentity, generateProvisioningSeed, generateDockSeed, recipientOf, parseRecipient,
  formatDevicePublicKey, formatDockPublicKey, deviceFingerprint, provisioningPublicKey, dockPublicKey,
} from "../keys/index.ts";
import { SealcamError, EXIT } from "../errors.ts";

export interface ShiftOptions {
  /** Where the shift's files go (must not exist; default build/shift-<time>). */
  out?: string;
  /** Board of the camera (default sim). */
  board?: string;
  print?: (line: string) => void;
}

const FPS = 30;
const FRAME_US = 1_000_000 / FPS;
const SEGMENT_SECONDS = 2;
const PRE_EVENT_SECONDS = 10;

interface Au { bytes: Uint8Array; keyframe: boolean }

/** The fixture's access units, looped for as long as asked. */
function* footage(frames: readonly Au[], count: number): Generator<Au> {
  for (let i = 0; i < count; i++) yield frames[i % frames.length];
}

const clockText = (us: number): string => new Date(Math.floor(us / 1000)).toISOString().slice(11, 19);

export async function runShift(options: ShiftOptions = {}): Promise<boolean> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started = performance.now();
  const out = options.out ?? join("build", `shift-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}`);
  if (existsSync(out)) throw new SealcamError(`${out} exists; a shift writes into a new folder`, EXIT.USAGE);
  mkdirSync(out, { recursive: true });
  const board = loadBoard(options.board ?? "sim");
  const crypto = new Crypto(await instantiateV8("release"));
  const checks: [string, boolean][] = [];
  const expect = (what: string, ok: boolean): void => void checks.push([what, ok]);

  // ---- the force's keys, the dock and the camera's configuration ----------
  const identity = generateIdentity();
  const recipientText = recipientOf(crypto, identity);
  const recipient = parseRecipient(recipientText);
  const provisioningSeed = generateProvisioningSeed();
  const dockSeed = generateDockSeed();
  const deviceSeed = generateDeviceSeed();
  const device = crypto.ed25519Keypair(deviceSeed).publicKey;
  const dockKey = dockPublicKey(crypto, dockSeed);
  const config = signConfig(crypto, provisioningSeed, {
    device, serial: 1, segmentDurationUs: SEGMENT_SECONDS * 1_000_000, segmentSizeBytes: 256 << 20,
    recipients: [recipient], dock: dockKey, preEventUs: PRE_EVENT_SECONDS * 1_000_000,
  });
  const provisioning = { publicKey: provisioningPublicKey(crypto, provisioningSeed), config };
  provisioningSeed.fill(0);
  print(`sealcam shift: a simulated shift in ${out}`);
  print(`  force     identity for ${recipientText}; its provisioning key signs the camera's configuration`);
  print(`  camera    ${formatDevicePublicKey(device)} (fingerprint ${deviceFingerprint(device)}), board ${board.name} (${(board.flash.pageBytes * board.flash.pagesPerBlock * board.flash.blocks) / (1 << 20)} MiB NAND)`);
  print(`            configuration 1: ${SEGMENT_SECONDS} s segments, ${PRE_EVENT_SECONDS} s pre-event buffer, the station's dock pinned`);

  const dockStore = join(out, "dock");
  const dock = await createDock({ store: dockStore, dockSeed, enrolled: [device], crypto });
  const url = await dock.listen({ host: "127.0.0.1", port: 0 });
  print(`  dock      ${formatDockPublicKey(dockKey)} on ${url}, evidence store ${dockStore}, 1 camera enrolled`);

  // ---- the camera's day ------------------------------------------------------
  const splitter = new AnnexBSplitter();
  const fixture = [...splitter.push(readFileSync(FIXTURE.path)), ...splitter.end()];
  const imagePath = join(out, "camera.flash");
  let now = Date.UTC(2026, 10, 27, 8, 0, 0) * 1000; // the capture clock, µs
  const clock = () => BigInt(Math.round(now));
  const events: CameraEvent[] = [];
  const recordings: { id: string; what: string }[] = [];

  const boot = async (): Promise<{ recorder: Recorder; store: FlashStore; flash: FlashDevice }> => {
    const flash = FlashDevice.open(imagePath, board.flash);
    const store = FlashStore.boot(flash, () => {}, board.policy);
    const recorder = await Recorder.create({ store: store.sink(), audit: store.audit, clock, onEvent: (e) => events.push(e) });
    recorder.configure({ deviceSeed: deviceSeed.slice(), recipients: [recipient], segmentSeconds: SEGMENT_SECONDS, provisioning });
    return { recorder, store, flash };
  };
  const feed = (recorder: Recorder, seconds: number): void => {
    for (const au of footage(fixture, seconds * FPS)) {
      recorder.frame({ bytes: au.bytes, keyframe: au.keyframe, timeUs: Math.round(now) });
      now += FRAME_US;
    }
  };

  let camera = await boot();
  print(`${clockText(now)}  boot: flash empty; audit log begun (${camera.recorder.auditHead().next} entries: boot, configuration 1 accepted)`);

  // Incident 1: the camera buffers on patrol; the officer triggers.
  camera.recorder.buffer();
  feed(camera.recorder, 30);
  const parkedExpired = events.filter((e) => e.kind === 12).length;
  camera.recorder.trigger();
  print(`${clockText(now)}  trigger after 30 s on patrol: the last ${PRE_EVENT_SECONDS}–${PRE_EVENT_SECONDS + SEGMENT_SECONDS} s kept as evidence, ${parkedExpired} older buffer segments expired (keys wiped)`);
  feed(camera.recorder, 12);
  const first = camera.recorder.stop();
  recordings.push({ id: first.recording, what: "pre-event" });
  print(`${clockText(now)}  stop: recording ${first.recording.slice(0, 8)}…, ${first.segments.length} segments committed to flash`);

  // Incident 2: recording, then the battery is pulled mid-segment.
  now += 3600 * 1_000_000;
  camera.recorder.start();
  const second = camera.recorder.recordingId();
  feed(camera.recorder, 9);
  const committedBeforeCut = camera.recorder.summary().segments.length;
  camera.flash.close(); // the power goes: the module's memory and the open segment with it
  recordings.push({ id: Buffer.from(second).toString("hex"), what: "cut" });
  print(`${clockText(now)}  power lost 9 s into recording ${Buffer.from(second).toString("hex").slice(0, 8)}… (${committedBeforeCut} segments committed, one open)`);
  now += 5 * 1_000_000;
  camera = await boot();
  const recovered = camera.store.recovered;
  camera.recorder.auditNote(8, recovered.discarded.length, recovered.committed.length);
  print(`${clockText(now)}  reboot: ${recovered.committed.length} committed segments found intact, ${recovered.discarded.length} unfinished object erased; power loss logged`);
  expect("the reboot found every committed segment", recovered.committed.length === first.segments.length + committedBeforeCut);
  expect("the reboot erased the open segment", recovered.discarded.length >= 1);

  // Incident 3: an ordinary recording.
  now += 1800 * 1_000_000;
  camera.recorder.start();
  feed(camera.recorder, 12);
  const third = camera.recorder.stop();
  recordings.push({ id: third.recording, what: "intact" });
  print(`${clockText(now)}  recording ${third.recording.slice(0, 8)}…: 12 s, ${third.segments.length} segments`);

  // ---- end of shift: dock ---------------------------------------------------
  now += 6 * 3600 * 1_000_000;
  const queued = camera.store.list().length;
  const usedBefore = camera.store.usedBlocks;
  // The camera's clock was set wrong (it thinks it is 08:00 today): the dock sets it, and the camera logs the change.
  const settable = { now: () => BigInt(Math.round(now)), set: (us: bigint) => void (now = Number(us)) };
  const clockBefore = now;
  const docked = await dockCamera(dockingCamera(camera.recorder, camera.store, { clock: settable }), url);
  print(`${clockText(now)}  docked: ${docked.segments} of ${queued} segments uploaded (${(docked.bytes / 1e6).toFixed(1)} MB), ` +
    `${docked.receipts} receipts checked by the module, flash blocks in use ${usedBefore} → ${camera.store.usedBlocks} (the audit log's)`);
  print(`          the dock set the camera's clock: ${clockText(clockBefore)} → ${new Date(Math.floor(now / 1000)).toISOString().replace("T", " ").slice(0, 19)} UTC (logged)`);
  expect("the camera's clock was set from the dock and logged", Math.abs(now - Date.now() * 1000) < 60e6);
  expect("every queued segment docked", docked.segments === queued && camera.store.list().length === 0);
  expect("nothing refused while docking", docked.errors.length === 0);
  await dock.close();
  camera.flash.close();

  // ---- the custodian ----------------------------------------------------------
  const deviceDir = join(dockStore, DEVICES_DIR, Buffer.from(device).toString("hex"));
  const report = await verifyPaths([deviceDir], { crypto, identities: [{ scalar: identity, recipient: recipientText }], pinnedDevice: device });
  print(`custodian: sealcam verify --identity force.key --device ${formatDevicePublicKey(device).slice(0, 20)}… ${deviceDir}`);
  for (const r of recordings) {
    const result = report.recordings.find((x) => x.recording === r.id);
    if (!result) {
      expect(`recording ${r.id} reached the dock`, false);
      continue;
    }
    const kinds = result.problems.map((p) => p.kind);
    const line = `  recording ${r.id.slice(0, 8)}…  frames ${result.first_frame}–${result.last_frame}, ${result.frames_verified} verified, ${result.segments.length} segments`;
    if (r.what === "pre-event") {
      print(`${line}: intact; evidence begins at frame ${result.pre_event_start?.frame} (pre-event start)`);
      expect("the triggered recording is intact and begins at its pre-event start", result.intact && result.pre_event_start !== null && result.pre_event_start.frame > 0);
    } else if (r.what === "cut") {
      print(`${line}: cut short by the power loss (${kinds.join(", ")}), every committed frame verified`);
      expect("the cut recording's only problem is that it has no final segment", kinds.length === 1 && kinds[0] === "not-final");
    } else {
      print(`${line}: intact`);
      expect("the last recording is intact", result.intact);
    }
    expect(`recording ${r.id.slice(0, 8)} verified frame by frame`, result.frames_verified === result.frames_declared && result.frames_verified > 0);
  }
  for (const log of report.audit_logs) {
    const kinds = log.kinds.map((k) => `${k.count} ${k.name}`).join(", ");
    print(`  audit log  entries ${log.first_index}–${log.last_index}, ${log.breaks.length ? `${log.breaks.length} breaks` : "chain intact"}: ${kinds}`);
    expect("the audit log is intact", log.intact);
  }
  expect("the dock holds the camera's audit log", report.audit_logs.length === 1);

  const failed = checks.filter(([, ok]) => !ok);
  print("");
  print(`${checks.length - failed.length} of ${checks.length} checks as expected, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const [what] of failed) print(`  NOT AS EXPECTED: ${what}`);
  return failed.length === 0;
}
