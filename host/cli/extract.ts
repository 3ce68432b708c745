// sealcam decrypt and sealcam export: frames out of verified evidence.
//
// decrypt writes the H.264 access units of a recording or clip (or a range of
// them) exactly as captured; export writes a clip evidence file and a
// playable MP4 remuxed from it by ffmpeg. Both refuse (exit 1, nothing
// written) when any frame in the range, or a segment holding one, has a
// problem, and write their outputs whole or not at all.
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { findInputs } from "../custody/inputs.ts";
import type { VerifyOptions } from "../custody/verify.ts";
import {
  indexPass, resolveRange, keyframeAtOrBefore, rangeProblems, RangeSink, ClipWriter, H264Writer, type FrameRange, type FrameOutput,
} from "../custody/extract.ts";
import { verifyPaths } from "../custody/verify.ts";
import { problemLine } from "../custody/text.ts";
import { COMMON_OPTIONS, moduleCrypto, loadIdentities, loadDevice, recordingOption, usage, OutputFile, checkOutputPath } from "./custody.ts";

const RANGE_HELP = `  --from X, --to Y     a frame number (120), seconds from the first frame (4.5s), an offset
                       (mm:ss[.fff]) or a UTC capture time (2026-11-27T10:00:04.5Z)`;

const DECRYPT_HELP = `usage: sealcam decrypt PATH... --identity FILE --out FILE.h264 [--from X] [--to Y]
  PATH                 segments of one recording (folders or files), or a clip (.sealclip)
  --identity FILE      the force's age identity (not needed for a clip)
  --out FILE           the H.264 Annex B stream to write (never overwritten)
${RANGE_HELP}
  --device KEY|FILE    hold the evidence to this device key
  --recording ID       which recording, when the inputs hold several
Every frame is verified first; if any frame in the range, or a segment holding one,
has a problem, nothing is written and the exit code is 1.`;

const EXPORT_HELP = `usage: sealcam export PATH... --identity FILE --from X --to Y --out CLIP.mp4 [--clip FILE]
  PATH                 segments of one recording (folders or files), or a clip (.sealclip)
  --identity FILE      the force's age identity (not needed for a clip)
  --out FILE.mp4       the playable MP4 (ffmpeg remux, no re-encoding), from the keyframe at
                       or before X to Y
  --clip FILE          the clip evidence file (default: the MP4's name with .sealclip)
${RANGE_HELP}
  --device KEY|FILE    hold the evidence to this device key
  --recording ID       which recording, when the inputs hold several
The clip file verifies on its own: sealcam verify CLIP.sealclip.`;

interface Prepared {
  positionals: string[];
  options: VerifyOptions;
  from?: string;
  to?: string;
  out: string;
}

async function prepare(args: string[], help: string, extra: Record<string, { type: "string" }> = {}): Promise<(Prepared & { values: Record<string, unknown> }) | null> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON_OPTIONS, out: { type: "string" }, from: { type: "string" }, to: { type: "string" }, ...extra },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(help);
    return null;
  }
  if (!values.out) throw usage("--out FILE is required");
  checkOutputPath(values.out);
  const crypto = await moduleCrypto();
  const identities = loadIdentities(crypto, values.identity);
  const pinnedDevice = loadDevice(values.device);
  const recording = recordingOption(values.recording);
  const inputs = findInputs(positionals);
  if (identities.length === 0 && inputs.segments.length > 0) throw usage("segments are encrypted: give the force's identity with --identity FILE");
  // Frames come from one source: the segments when there are any (a clip
  // beside them holds copies of the same frames), else the clip.
  const clips = inputs.segments.length === 0;
  if (clips && inputs.clips.length > 1) throw usage(`name one clip, not ${inputs.clips.length}: each is its own piece of evidence`);
  return { positionals, options: { crypto, identities, pinnedDevice, recording, clips }, from: values.from, to: values.to, out: values.out, values };
}

/** Pass 1: verify and resolve; throws an evidence error listing what stands in the way. */
async function firstPass(p: Prepared, fromKeyframe: boolean): Promise<{ recording: string; range: FrameRange; asked: FrameRange }> {
  const { report, recording, index } = await indexPass(p.positionals, p.options);
  const asked = resolveRange(index, p.from, p.to);
  let range = asked;
  if (fromKeyframe) {
    const k = keyframeAtOrBefore(index, asked.first);
    if (k === null) throw new SealcamError(`no keyframe at or before frame ${asked.first}: a playable clip cannot start there`, EXIT.EVIDENCE);
    range = { first: k, last: asked.last };
  }
  const blocking = rangeProblems(report, recording, index, range);
  if (blocking.length) {
    for (const b of blocking.slice(0, 50)) console.error(problemLine(b));
    if (blocking.length > 50) console.error(`… and ${blocking.length - 50} more`);
    throw new SealcamError(`frames ${range.first}–${range.last} have ${blocking.length} problem${blocking.length === 1 ? "" : "s"} (above); nothing written`, EXIT.EVIDENCE);
  }
  return { recording, range, asked };
}

/** Pass 2: stream the range's frames into the outputs; throws if one no longer checks out. */
async function secondPass(p: Prepared, recording: string, range: FrameRange, outputs: FrameOutput[]): Promise<number> {
  const sink = new RangeSink(recording, range, outputs);
  const again = await verifyPaths(p.positionals, {
    ...p.options,
    recording: undefined,
    sink,
    select: (_seq, first, count) => first === null || count === null || (first <= range.last && first + count - 1 >= range.first),
  });
  // The segments read again must be as clean as the first time: a file
  // replaced between the passes shows as a problem of its segment.
  const rec = again.recordings.find((r) => r.recording === recording);
  const clip = again.clips.find((c) => c.recording === recording);
  const dirty = rec?.segments.find((s) => sink.sequences.has(s.sequence) && !s.ok);
  if (dirty) sink.failure ??= `segment ${dirty.sequence} no longer checks out on the second reading (the files changed?)`;
  if (clip && !clip.intact) sink.failure ??= "the clip no longer checks out on the second reading (the file changed?)";
  const want = range.last - range.first + 1;
  if (sink.failure || sink.written !== want) {
    throw new SealcamError(`${sink.failure ?? `only ${sink.written} of ${want} frames could be read again`}; nothing written`, EXIT.EVIDENCE);
  }
  return sink.written;
}

export async function decryptCommand(args: string[]): Promise<number> {
  const p = await prepare(args, DECRYPT_HELP);
  if (!p) return EXIT.OK;
  const { recording, range } = await firstPass(p, false);
  const out = new OutputFile(p.out);
  try {
    const n = await secondPass(p, recording, range, [new H264Writer(out)]);
    out.commit();
    console.log(`wrote frames ${range.first}–${range.last} (${n}) of recording ${recording} to ${p.out} (${statSync(p.out).size} bytes, H.264 Annex B, every frame verified)`);
    return EXIT.OK;
  } finally {
    out.discard();
  }
}

function ffmpegAvailable(): void {
  const r = spawnSync("ffmpeg", ["-version"], { stdio: "ignore" });
  if (r.error || r.status !== 0) throw new SealcamError("ffmpeg is not installed (export remuxes the clip into an MP4 with it)", EXIT.SETUP);
}

export async function exportCommand(args: string[]): Promise<number> {
  const p = await prepare(args, EXPORT_HELP, { clip: { type: "string" } });
  if (!p) return EXIT.OK;
  if (p.from === undefined || p.to === undefined) throw usage("--from and --to are required");
  const clipPath = (p.values.clip as string | undefined) ?? (extname(p.out) ? p.out.slice(0, -extname(p.out).length) : p.out) + ".sealclip";
  if (clipPath === p.out) throw usage("--clip must differ from --out");
  checkOutputPath(clipPath);
  ffmpegAvailable();
  const { recording, range, asked } = await firstPass(p, true);
  const work = mkdtempSync(join(tmpdir(), "sealcam-export-"));
  const clip = new OutputFile(clipPath);
  const mp4 = new OutputFile(p.out);
  let clipCommitted = false;
  try {
    const h264 = new OutputFile(join(work, "clip.h264"));
    const writer = new ClipWriter(clip, asked);
    const times: number[] = [];
    const timing: FrameOutput = { start() {}, frame() {}, end: (f) => void (times.length < 2 ? times.push(f.timeUs) : (times[1] = f.timeUs)) };
    const n = await secondPass(p, recording, range, [writer, new H264Writer(h264), timing]);
    writer.finish(clip.temp);
    h264.commit();
    // The MP4's timing is the clip's mean frame rate: raw H.264 carries no
    // capture times, and the clip file keeps the exact ones.
    const fps = n > 1 && times[1] > times[0] ? (n - 1) / ((times[1] - times[0]) / 1e6) : 30;
    const r = spawnSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "h264", "-framerate", fps.toFixed(3), "-i", h264.path, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", mp4.temp], { encoding: "utf8" });
    if (r.status !== 0) throw new SealcamError(`ffmpeg could not remux the clip: ${(r.stderr || "").trim().split("\n")[0] || `exit ${r.status}`}`, EXIT.INTERNAL);
    clip.commit();
    clipCommitted = true;
    mp4.commit();
    console.log(`clip       frames ${range.first}–${range.last} (${n}; asked ${asked.first}–${asked.last}, from the keyframe at or before it) of recording ${recording}`);
    console.log(`evidence   ${clipPath} (${statSync(clipPath).size} bytes): sealcam verify ${clipPath}`);
    console.log(`video      ${p.out} (${statSync(p.out).size} bytes, H.264 remuxed at ${fps.toFixed(3)} fps)`);
    return EXIT.OK;
  } catch (e) {
    if (clipCommitted) rmSync(clipPath, { force: true });
    throw e;
  } finally {
    clip.discard();
    mp4.discard();
    rmSync(work, { recursive: true, force: true });
  }
}
