// Verifying recordings and clips (docs/FORMAT.md, "How to verify a recording
// by hand", and "The clip evidence file"): the engine behind `sealcam verify`,
// `decrypt`, `export` and `report`. This is its public surface: the options,
// verifyPaths (find the inputs, group segments into recordings, check each
// recording with recording.ts, each clip with clip.ts and each audit log with
// audit.ts, and build the report) and verifyClip.
//
// Cryptography: Ed25519 verification is the firmware module's (its strict
// rules are the format's rules, DESIGN.md); the hashes and age's symmetric
// layer are node:crypto's (OpenSSL), an implementation independent of the
// camera's, so a verifier does not inherit a camera bug.
import { dirname, resolve } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import type { Crypto } from "../engine/crypto.ts";
import { formatDevicePublicKey } from "../keys/index.ts";
import { readAgeFile } from "./age.ts";
import { findInputs, type SegmentFiles } from "./inputs.ts";
import { EntryReader, StreamError, parseSegmentHeader, type CheckedFrame } from "./stream.ts";
import { REPORT_FORMAT, type AuditLogResult, type RecordingResult, type VerifyReport } from "./model.ts";
import { auditLogDevice, verifyAuditLog } from "./audit.ts";
import { toHex } from "./stream.ts";
import { RecordingVerifier } from "./recording.ts";
import { verifyClip } from "./clip.ts";

export { verifyClip };

export const TOOL = "sealcam 0.1.0";

/** An X25519 identity (the scalar) and the recipient it answers to (age1…). */
export interface Identity {
  scalar: Uint8Array;
  recipient: string;
}

/**
 * Receives frames as they stream (decrypt, export). frameStart says whether
 * the sink wants this frame's bytes; frameEnd gives the checked record.
 */
export interface FrameSink {
  frameStart(recording: string, expected: number | null, length: number): boolean;
  frameData(bytes: Uint8Array): void;
  frameEnd(recording: string, frame: CheckedFrame, record: Uint8Array, signature: Uint8Array): void;
}

export interface VerifyOptions {
  crypto: Crypto;
  /** Empty: manifests only. */
  identities: Identity[];
  /** The device key to hold every segment and clip to (--device). */
  pinnedDevice: Uint8Array | null;
  sink?: FrameSink;
  /** Only this recording (32 hex); others are ignored. */
  recording?: string;
  /** Only decrypt (and read) the segments this accepts; the others are not checked at all. */
  select?: (sequence: number, firstFrame: number | null, frameCount: number | null) => boolean;
  /** Check clips given among the inputs (default true). */
  clips?: boolean;
  /** Check audit logs found among the inputs (default: when no sink reads frames, i.e. not for decrypt and export). */
  audit?: boolean;
}

/** The device key a recording is held to: the pinned one, else the one most of its manifests name. */
function recordingDevice(files: SegmentFiles[], pinned: Uint8Array | null): Uint8Array | null {
  if (pinned) return pinned;
  const votes = new Map<string, number>();
  for (const f of files) if (f.manifest) votes.set(f.manifest.device, (votes.get(f.manifest.device) ?? 0) + 1);
  let best: string | null = null;
  for (const [device, n] of votes) if (best === null || n > votes.get(best)!) best = device;
  return best ? new Uint8Array(Buffer.from(best, "hex")) : null;
}

/** Verifies everything `paths` hold; throws a usage error for unusable input. */
export async function verifyPaths(paths: readonly string[], o: VerifyOptions): Promise<VerifyReport> {
  const inputs = findInputs(paths);
  const report: VerifyReport = {
    format: REPORT_FORMAT,
    tool: TOOL,
    checked_at: new Date().toISOString(),
    mode: o.identities.length ? "full" : "manifests",
    identities: o.identities.map((i) => i.recipient),
    pinned_device: o.pinnedDevice ? formatDevicePublicKey(o.pinnedDevice) : null,
    inputs: [...paths],
    recordings: [],
    clips: [],
    audit_logs: [],
    problems: [],
    intact: true,
  };
  // Group segments by recording: the file name's id (what the custodian
  // holds, so a segment from elsewhere renamed into a recording is judged as
  // part of it, and named there), else the manifest's.
  const groups = new Map<string, SegmentFiles[]>();
  for (const s of inputs.segments) {
    const id = s.nameRecording ?? s.manifest?.recording ?? null;
    if (id === null) {
      // No manifest and a name outside FORMAT.md's pattern: the header must at
      // least be an age header, or this is not evidence at all.
      const r = await readAgeFile(s.age!, o.crypto, []);
      if (r.error) throw new SealcamError(`${s.age}: ${r.error.message}, and no manifest names it`, EXIT.USAGE);
      report.problems.push({ kind: "manifest-missing", file: s.age!, message: `${s.age} has no manifest and its name is not <recording>-<sequence>.age: nothing places it in a recording` });
      continue;
    }
    if (o.recording && id !== o.recording) continue;
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id)!.push(s);
  }
  // Where each recording's files are, to find the recordings an audit log sits with.
  const folders = new Map<string, Set<string>>();
  for (const [id, files] of groups) folders.set(id, new Set(files.map((f) => resolve(dirname(f.stem)))));
  let tried = 0;
  let refused = 0;
  let refusedIntact = 0;
  for (const [id, files] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    let device = recordingDevice(files, o.pinnedDevice);
    if (device === null) {
      // No manifest at all: the evidence header names the device, if the identity opens it.
      device = await deviceFromStream(files, o);
    }
    const rv = new RecordingVerifier(o, id, device ?? new Uint8Array(32));
    await rv.run(files);
    tried += rv.tried;
    refused += rv.refused;
    refusedIntact += rv.refusedIntact;
    report.recordings.push(rv.result());
  }
  if (o.clips !== false) for (const clip of inputs.clips) report.clips.push(await verifyClip(clip, o));
  if (o.audit ?? o.sink === undefined) {
    for (const log of inputs.auditLogs) report.audit_logs.push(auditLog(log.path, log.whole && !o.recording, report.recordings, folders, o));
  }
  // An identity that opens nothing, on files that are the ones their manifests
  // signed, is the wrong key: unusable input. If the files were replaced, it
  // may be the files that are wrong, and that is evidence (exit 1).
  if (o.identities.length && tried > 0 && refused === tried && refusedIntact === refused) {
    const who = o.identities.map((i) => i.recipient).join(", ");
    throw new SealcamError(`the identity given (${who}) opens none of the ${tried} segment${tried === 1 ? "" : "s"}: it is not a recipient of this evidence`, EXIT.USAGE);
  }
  if (o.recording && report.recordings.length === 0 && report.clips.every((c) => c.recording !== o.recording)) {
    throw new SealcamError(`no segments of recording ${o.recording} among the inputs`, EXIT.USAGE);
  }
  report.intact = report.problems.length === 0 && report.recordings.every((r) => r.intact) && report.clips.every((c) => c.intact)
    && report.audit_logs.every((a) => a.intact);
  return report;
}

/**
 * Checks one audit log. It is held to the --device key; else to the key of the
 * recordings in its own folder tree (the dock's device folder), most of them;
 * else to the key most of its entries name. Its "segment committed" entries
 * are cross-checked with the recordings of that key.
 */
function auditLog(file: string, whole: boolean, recordings: RecordingResult[], folders: Map<string, Set<string>>, o: VerifyOptions): AuditLogResult {
  const home = resolve(dirname(file));
  const near = recordings.filter((r) => [...folders.get(r.recording) ?? []].some((d) => d === home || dirname(d) === home));
  let device = o.pinnedDevice;
  let from: AuditLogResult["device_from"] = "--device";
  if (!device && near.length) {
    const votes = new Map<string, number>();
    for (const r of near) votes.set(r.device, (votes.get(r.device) ?? 0) + 1);
    const best = [...votes].reduce((a, b) => (b[1] > a[1] ? b : a));
    device = new Uint8Array(Buffer.from(best[0], "hex"));
    from = "recordings";
  }
  if (!device) {
    device = auditLogDevice(file) ?? new Uint8Array(32);
    from = "log";
  }
  const hex = toHex(device);
  return verifyAuditLog({
    crypto: o.crypto, file, device, deviceFrom: from, pinned: o.pinnedDevice !== null,
    recordings: recordings.filter((r) => r.device === hex), wholeDevice: whole,
  });
}

/** The device key an evidence header names (for segments without any manifest). */
async function deviceFromStream(files: SegmentFiles[], o: VerifyOptions): Promise<Uint8Array | null> {
  if (!o.identities.length) return null;
  for (const f of files) {
    if (!f.age) continue;
    let device: Uint8Array | null = null;
    const reader = new EntryReader("segment", {
      header: (h) => {
        device = parseSegmentHeader(h).device.slice();
        throw new StreamError("enough", 0);
      },
      frameStart: () => {}, frameData: () => {}, frameEnd: () => {},
    });
    await readAgeFile(f.age, o.crypto, o.identities.map((i) => i.scalar), (plain) => {
      if (device) return;
      try {
        reader.push(plain);
      } catch (e) {
        if (!(e instanceof StreamError)) throw e;
      }
    });
    if (device) return device;
  }
  return null;
}
