// sealcam record: capture H.264 access units, seal and sign them with the
// firmware module, and commit segments into a directory store.
//
// Bad input is refused before anything is written: arguments, recipients, the
// source (its first access unit is read before the store is touched), the
// output directory. A failure during the recording stops it, so the frames
// already recorded stay evidence in a final segment, and no partial file
// remains. Ctrl-C stops cleanly the same way; a second Ctrl-C quits at once
// (the store's boot-time tidy removes the open segment at the next start).
import { parseArgs } from "node:util";
import { existsSync, rmdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { EXIT, SealcamError } from "../errors.ts";
import { openSource, type CaptureSource, type SourceOptions, type TimedAccessUnit } from "../capture/index.ts";
import { Recorder, describeEvent, seededEntropy, MIN_SEGMENT_SECONDS, type RecordingSummary, type AuditSink } from "../camera/index.ts";
import { SegmentStore, type CommittedSegment, type SegmentSink } from "../store/index.ts";
import { FlashDevice, FlashStore } from "../flash/index.ts";
import { loadBoard } from "../flash/board.ts";
import { readConfigFile, parseConfig } from "../camera/config.ts";
import { parseProvisioningPublicKey, formatProvisioningPublicKey, PROVISIONING_PUBLIC_HRP } from "../keys/provisioning.ts";
import { publicKeyOption } from "./options.ts";
import { Crypto } from "../engine/crypto.ts";
import {
  parseRecipient, loadDeviceKey, writeDeviceKey, generateDeviceSeed, deviceFingerprint, formatDevicePublicKey,
} from "../keys/index.ts";

const HELP = `usage: sealcam record (--recipient age1… … | --config FILE --provisioning KEY) (--out DIR | --flash IMAGE) [options]
  --recipient KEY        the force's age recipient (age1…); repeat for up to 8
  --out DIR              the segment store (created if missing)
  --source SRC           fixture (default: the 12 s test clip), ffmpeg (a live test
                         pattern), - (H.264 Annex B on stdin) or a .h264 FILE
  --fps N                frame rate of a FILE or stdin source (default 30)
  --seconds N            record at most N seconds (default: the whole source; ffmpeg 10)
  --segment-seconds N    cut segments at the first keyframe after N seconds (default 4)
  --device-key FILE      the camera's device key (default DIR/device.key, created if missing)
  --flash IMAGE          record into the camera's simulated flash instead of a folder
                         (created erased if missing; needs --device-key); see sealcam flash
  --board NAME|FILE      the board whose flash geometry to use (default sim: boards/sim.json)
  --config FILE          the force's signed camera configuration (sealcam provision sign): it
                         sets the recipients and segment limits; with --provisioning KEY|FILE,
                         the provisioning public key the camera pins. Without them the camera
                         provisions itself from --recipient (a development camera)
Ctrl-C stops the recording cleanly: the open segment is committed as the final one.`;

const MAX_RECIPIENTS = 8;

const SECONDS_MAX = 86_400;

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

/** A number option: above 0 (or at least `min`) and at most a day. */
function number(name: string, text: string | undefined, fallback: number | undefined, min = 0): number | undefined {
  if (text === undefined) return fallback;
  const n = Number(text);
  const ok = text.trim() !== "" && Number.isFinite(n) && (min > 0 ? n >= min : n > 0) && n <= SECONDS_MAX;
  if (!ok) throw usage(`--${name} must be a number ${min > 0 ? `from ${min}` : "above 0"} up to ${SECONDS_MAX}, not '${text}'`);
  return n;
}

/** The capture source an --source value names. */
function sourceOptions(source: string, fps: number | undefined, seconds: number | undefined, startTimeUs: number): SourceOptions {
  if (source === "fixture") {
    if (fps !== undefined) throw usage("--fps does not apply to the fixture (30 fps)");
    return { kind: "fixture", startTimeUs };
  }
  if (source === "ffmpeg") return { kind: "ffmpeg", fps: fps ?? 30, seconds: seconds ?? 10, startTimeUs };
  if (source === "-") return { kind: "stdin", fps: fps ?? 30, startTimeUs };
  let st;
  try {
    st = statSync(source);
  } catch {
    throw usage(`source file not found: ${source}`);
  }
  if (!st.isFile()) throw usage(`source is not a file: ${source}`);
  return { kind: "file", path: source, fps: fps ?? 30, startTimeUs };
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);

function segmentLine(s: CommittedSegment): string {
  const m = s.manifest;
  const last = m.first_frame + m.frame_count - 1;
  return `segment ${String(m.sequence).padStart(6, "0")}  frames ${m.first_frame}-${last}  ${mb(m.age_bytes)} MB sealed${m.final ? "  final" : ""}`;
}

function printSummary(s: RecordingSummary, fingerprint: string, dir: string, fps: number, interrupted: boolean): void {
  const video = s.frames / fps;
  console.log(`device      ${formatDevicePublicKey(Buffer.from(s.device, "hex"))} (fingerprint ${fingerprint})`);
  console.log(`recording   ${s.recording}${interrupted ? " (stopped by Ctrl-C)" : ""}`);
  console.log(`frames      ${s.frames} (${video.toFixed(1)} s at ${fps} fps)`);
  console.log(`segments    ${s.segments.length} committed in ${dir}${s.aborted ? `, ${s.aborted} aborted` : ""}`);
  console.log(`bytes       ${s.frameBytes} of video, ${s.ageBytes} sealed`);
  const rate = s.seconds > 0 ? s.frameBytes / 1e6 / s.seconds : 0;
  const perSecond = s.seconds > 0 ? Math.round(s.frames / s.seconds) : 0;
  console.log(`throughput  ${rate.toFixed(1)} MB/s, ${perSecond} frames/s (${s.seconds.toFixed(2)} s wall, ${(video / Math.max(s.seconds, 1e-9)).toFixed(0)}x real time)`);
}

export async function recordCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      recipient: { type: "string", multiple: true },
      out: { type: "string" },
      source: { type: "string" },
      fps: { type: "string" },
      seconds: { type: "string" },
      "segment-seconds": { type: "string" },
      "device-key": { type: "string" },
      flash: { type: "string" },
      board: { type: "string" },
      config: { type: "string" },
      provisioning: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }

  // ---- everything checked before anything is written ----------------------
  const texts = values.recipient ?? [];
  if ((values.config === undefined) !== (values.provisioning === undefined)) throw usage("--config and --provisioning go together: the force's signed configuration and the provisioning key the camera pins");
  const signed = values.config !== undefined
    ? { config: readConfigFile(values.config), publicKey: publicKeyOption("provisioning", values.provisioning!, PROVISIONING_PUBLIC_HRP, parseProvisioningPublicKey) }
    : undefined;
  if (signed && texts.length > 0) throw usage("--recipient does not apply with --config: the signed configuration names the recipients");
  if (signed && values["segment-seconds"] !== undefined) throw usage("--segment-seconds does not apply with --config: the signed configuration sets it");
  if (signed) parseConfig(signed.config);
  if (!signed && texts.length === 0) throw usage("at least one --recipient age1… is required (the force's public key), or --config and --provisioning");
  if (texts.length > MAX_RECIPIENTS) throw usage(`at most ${MAX_RECIPIENTS} recipients, not ${texts.length}`);
  const recipients = texts.map((text) => {
    // Never echo a secret key that was pasted by mistake.
    if (/^AGE-SECRET-KEY-/i.test(text)) throw usage("--recipient: that is an age identity (a secret key), not a recipient; give its age1… public key");
    try {
      return parseRecipient(text);
    } catch (e) {
      const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
      throw usage(`--recipient '${shown}': ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  if (!values.out === !values.flash) throw usage("give --out DIR (a folder store) or --flash IMAGE (the camera's simulated flash), one of them");
  if (values.board !== undefined && !values.flash) throw usage("--board applies to --flash");
  if (values.flash && values["device-key"] === undefined) throw usage("--flash needs --device-key FILE (a flash image has no folder to keep a new key in)");
  const board = values.flash ? loadBoard(values.board) : undefined;
  const out = resolve(values.out ?? values.flash!);
  const seconds = number("seconds", values.seconds, undefined);
  const segmentSeconds = number("segment-seconds", values["segment-seconds"], 4, MIN_SEGMENT_SECONDS)!;
  const fps = number("fps", values.fps, undefined);
  const deviceKeyPath = values["device-key"];
  if (deviceKeyPath !== undefined && !existsSync(deviceKeyPath)) throw usage(`device key not found: ${deviceKeyPath}`);

  const testSeed = process.env.SEALCAM_TEST_ENTROPY;
  const clock = () => BigInt(Date.now()) * 1000n;
  const source: CaptureSource = openSource(sourceOptions(values.source ?? "fixture", fps, seconds, Number(clock())));
  const maxFrames = seconds === undefined ? Infinity : Math.max(1, Math.round(seconds * source.fps));

  // Ctrl-C: the first stops the recording at the next frame boundary.
  let interrupted = false;
  let wake = () => {};
  const interruption = new Promise<"interrupted">((r) => (wake = () => r("interrupted")));
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    wake();
  };
  process.on("SIGINT", onSigint);

  const units = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<TimedAccessUnit>> | undefined;
  const next = async (): Promise<IteratorResult<TimedAccessUnit> | "interrupted"> => {
    pending = units.next();
    const r = await Promise.race([pending, interruption]);
    if (r !== "interrupted") pending = undefined;
    return r;
  };

  const outExisted = existsSync(out);
  let keyCreated: string | undefined;
  let recorder: Recorder | undefined;
  let store: { sink: SegmentSink; audit: AuditSink; close(): void; discarded: number; committed: number } | undefined;
  let committed = 0;
  let fingerprint = "";
  try {
    // The first access unit proves the source is H.264 before the store is touched.
    const first = await next();
    if (first === "interrupted") return EXIT.OK;
    if (first.done) throw usage(`no frames in ${source.label}`);

    if (board) {
      const device = FlashDevice.open(out, board.flash);
      const flash = FlashStore.boot(device, (line) => console.log(line), board.policy);
      const found = flash.recovered;
      store = { sink: flash.sink(), audit: flash.audit, close: () => device.close(), discarded: found.discarded.length, committed: found.committed.length };
    } else {
      const dirStore = SegmentStore.open(out, { log: (line) => console.log(line) });
      store = { sink: dirStore, audit: dirStore.audit, close: () => dirStore.close(), discarded: 0, committed: 0 };
    }
    recorder = await Recorder.create({
      store: store.sink,
      audit: store.audit,
      entropy: testSeed === undefined ? undefined : seededEntropy(testSeed),
      clock,
      onEvent: (e) => {
        if (e.kind === 4) console.log(`warning: ${describeEvent(e)}`);
      },
      onCommit: (s) => {
        committed++;
        console.log(segmentLine(s));
      },
    });
    if (testSeed !== undefined) console.log("warning: SEALCAM_TEST_ENTROPY is set: file keys are predictable, this recording is NOT evidence");

    const crypto = new Crypto(recorder.instance);
    let seed: Uint8Array;
    if (deviceKeyPath !== undefined) {
      seed = loadDeviceKey(crypto, deviceKeyPath).seed;
    } else {
      const path = join(out, "device.key");
      if (existsSync(path)) {
        seed = loadDeviceKey(crypto, path).seed;
        console.log(`device key  ${path}`);
      } else {
        seed = generateDeviceSeed();
        const pk = writeDeviceKey(crypto, path, seed);
        keyCreated = path;
        console.log(`created ${path}: device key ${formatDevicePublicKey(pk)} (fingerprint ${deviceFingerprint(pk)})`);
      }
    }
    let publicKey: Uint8Array;
    try {
      publicKey = recorder.configure({ deviceSeed: seed, recipients, segmentSeconds, provisioning: signed });
    } finally {
      seed.fill(0);
    }
    fingerprint = deviceFingerprint(publicKey);
    // What the boot threw away was an interrupted segment: a power loss, logged (audit kind 8).
    if (store.discarded > 0) recorder.auditNote(8, store.discarded, store.committed);
    if (signed) {
      const c = parseConfig(signed.config);
      console.log(`config      serial ${c.serial}, signed by ${formatProvisioningPublicKey(signed.publicKey)}`);
      console.log(`source      ${source.label}, ${c.recipients.length} recipient${c.recipients.length > 1 ? "s" : ""}, ${Number(c.segmentDurationUs) / 1e6} s segments`);
    } else {
      console.log(`source      ${source.label}, ${recipients.length} recipient${recipients.length > 1 ? "s" : ""}, ${segmentSeconds} s segments (self-provisioned: a development camera)`);
    }

    recorder.start();
    let unit: IteratorResult<TimedAccessUnit> | "interrupted" = first;
    let frames = 0;
    while (unit !== "interrupted" && !unit.done && frames < maxFrames && !interrupted) {
      recorder.frame(unit.value);
      frames++;
      if (frames < maxFrames) unit = await next();
    }
    const summary = recorder.stop();
    printSummary(summary, fingerprint, out, source.fps, interrupted);
    return EXIT.OK;
  } catch (e) {
    // Keep what was recorded (the module closes the open segment as final),
    // then say what went wrong in one line. An interruption wins over the
    // error it caused (ffmpeg killed by the same Ctrl-C).
    recorder?.close();
    if (interrupted && recorder && committed > 0) {
      printSummary(recorder.summary(), fingerprint, out, source.fps, true);
      return EXIT.OK;
    }
    if (committed > 0) console.log(`stopped: ${committed} segment${committed > 1 ? "s" : ""} kept in ${out}`);
    if (committed === 0) {
      if (keyCreated) rmSync(keyCreated, { force: true });
      if (!outExisted && !board) {
        try {
          rmdirSync(out);
        } catch {
          // Not empty or not ours: leave it.
        }
      }
    }
    throw e;
  } finally {
    store?.close();
    process.off("SIGINT", onSigint);
    // Let go of the source without waiting on a read that may never finish.
    pending?.catch(() => {});
    if (source.kind === "stdin" && interrupted) process.stdin.destroy();
    units.return?.().catch(() => {});
  }
}
