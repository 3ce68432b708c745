// Verifying a clip evidence file (docs/FORMAT.md, "The clip evidence file"):
// its header, every frame's record and signature, the record chain from the
// header's chain value, and the end entry's count and checksum. The file is
// read once, in fixed-size pieces, so memory stays constant.
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, fstatSync } from "node:fs";
import { SealcamError, EXIT } from "../errors.ts";
import { deviceFingerprint, formatDevicePublicKey } from "../keys/index.ts";
import {
  EntryReader, FrameChecker, StreamError, HEADER_BYTES, END_ENTRY_BYTES,
  parseClipHeader, equal, toHex,
} from "./stream.ts";
import type { ClipResult, Problem } from "./model.ts";
import { ProblemList, BAD_FRAMES_LISTED } from "./problems.ts";
import type { VerifyOptions } from "./verify.ts";

const READ_BYTES = 64 * 1024;

/**
 * Verifies a clip evidence file (FORMAT.md, "The clip evidence file").
 * Throws a SealcamError with EXIT.USAGE when the file cannot be read or is
 * not a sealcam clip (no complete SCAMCLP1 header); what is wrong inside a
 * clip is listed in the result's problems.
 */
export async function verifyClip(path: string, o: VerifyOptions): Promise<ClipResult> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new SealcamError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT.USAGE);
  }
  const problems = new ProblemList();
  const bad: number[] = [];
  let result: ClipResult | null = null;
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(HEADER_BYTES);
    if (readSync(fd, head, 0, HEADER_BYTES, 0) < HEADER_BYTES || head.subarray(0, 8).toString("latin1") !== "SCAMCLP1") {
      throw new SealcamError(`${path}: not a sealcam clip (no complete SCAMCLP1 header)`, EXIT.USAGE);
    }
    const h = parseClipHeader(head);
    const device = o.pinnedDevice ?? h.device.slice();
    const recording = toHex(h.recording);
    const problem = (p: Omit<Problem, "recording" | "file">) => problems.add({ ...p, recording, file: path });
    if (!equal(h.device, device)) problem({ kind: "device-mismatch", message: `the clip names device ${deviceFingerprint(h.device)}, not the one given with --device (${deviceFingerprint(device)})` });
    if (!h.reservedZero) problem({ kind: "clip", message: "the clip header's reserved bytes are not zero" });
    if (h.firstFrame < 0 || h.frameCount < 1) problem({ kind: "clip", message: "the clip header's first frame or frame count is out of range" });
    // Numbering starts from the first record, not the (unsigned) header: an
    // edited header is then one line about the header, not a chain break
    // blamed on the second frame.
    const checker = new FrameChecker(o.crypto, device, h.recording.slice(), null, null, h.chain.slice(), -1, (p) => {
      problem({ kind: p.kind, frame: p.frame, message: p.message });
      if (bad.length < BAD_FRAMES_LISTED && bad[bad.length - 1] !== p.frame) bad.push(p.frame);
    });
    // Held to another key than the clip's own, no frame can verify: one line says so.
    checker.quiet = !equal(h.device, device);
    let firstKey: boolean | null = null;
    let endEntry: Uint8Array | null = null;
    let endAt = -1;
    const sink = o.sink;
    let sinkTakes = false;
    const reader = new EntryReader("clip", {
      header: () => {},
      frameStart: (length) => {
        checker.start(length);
        sinkTakes = sink ? sink.frameStart(recording, checker.expectNumber, length) : false;
      },
      frameData: (bytes) => {
        checker.data(bytes);
        if (sinkTakes) sink!.frameData(bytes);
      },
      frameEnd: (record, signature) => {
        const frame = checker.end(record, signature);
        if (firstKey === null) firstKey = frame.keyframe;
        if (sink) sink.frameEnd(recording, frame, record, signature);
      },
      end: (entry, before) => {
        endEntry = entry.slice();
        endAt = before;
      },
    });
    // The end entry's hash covers every byte before it, which a well-formed
    // clip puts at size − 41; the parser confirms where it really was.
    const hashed = Math.max(0, size - END_ENTRY_BYTES);
    const sha = createHash("sha256");
    const buf = Buffer.alloc(READ_BYTES);
    let at = 0;
    let malformed: string | null = null;
    while (at < size) {
      const n = readSync(fd, buf, 0, READ_BYTES, at);
      if (n <= 0) break;
      const chunk = buf.subarray(0, n);
      if (at < hashed) sha.update(chunk.subarray(0, Math.min(n, hashed - at)));
      if (malformed === null) {
        try {
          reader.push(chunk);
        } catch (e) {
          if (!(e instanceof StreamError)) throw e;
          malformed = `at byte ${e.at}: ${e.message}`;
        }
      }
      at += n;
    }
    if (malformed === null) {
      try {
        reader.finish();
      } catch (e) {
        if (!(e instanceof StreamError)) throw e;
        malformed = e.message;
      }
    }
    if (malformed !== null) problem({ kind: "clip", frame: checker.expectNumber ?? undefined, message: `the clip is malformed ${malformed}` });
    else {
      const end = endEntry as Uint8Array | null;
      const view = new DataView(end!.buffer, end!.byteOffset, end!.byteLength);
      const count = Number(view.getBigUint64(1, true));
      if (endAt !== hashed || !equal(end!.subarray(9, 41), new Uint8Array(sha.digest()))) problem({ kind: "clip", message: "the clip's end entry checksum does not match its contents (damaged or edited after export)" });
      if (count !== checker.seen || h.frameCount !== checker.seen) problem({ kind: "clip", message: `the clip declares ${h.frameCount} frames (end entry: ${count}) but holds ${checker.seen}` });
    }
    if (checker.seen > 0 && checker.firstNumber !== h.firstFrame) problem({ kind: "clip", frame: checker.firstNumber, message: `the clip header says its first frame is ${h.firstFrame}, but its first record is frame ${checker.firstNumber}` });
    if (checker.seen > 0 && checker.firstNumber === 0 && !equal(h.chain, new Uint8Array(32))) problem({ kind: "frame-chain", frame: 0, message: "frame 0 names a previous record, but a recording's first frame has none (its chain value must be zero)" });
    if (checker.quiet && checker.failed > 0) problem({ kind: "frame-signature", frame: checker.firstNumber, message: `${checker.failed} of the clip's ${checker.seen} frames do not verify under the device key given; none is counted as verified` });
    if (firstKey === false) problem({ kind: "clip", frame: h.firstFrame, message: `the clip's first frame (${h.firstFrame}) is not a keyframe` });
    if (h.requestedFirst < h.firstFrame || h.requestedLast < h.requestedFirst || (checker.seen > 0 && h.requestedLast > checker.lastNumber)) {
      problem({ kind: "clip", message: `the asked range (frames ${h.requestedFirst}–${h.requestedLast}) is not within the clip's frames` });
    }
    result = {
      file: path,
      recording,
      device: toHex(device),
      device_key: formatDevicePublicKey(device),
      fingerprint: deviceFingerprint(device),
      device_pinned: o.pinnedDevice !== null && !problems.listed.some((p) => p.kind === "device-mismatch"),
      first_frame: h.firstFrame,
      frame_count: checker.seen,
      first_time_us: checker.seen ? checker.firstTimeUs : null,
      last_time_us: checker.seen ? checker.lastTimeUs : null,
      requested: [h.requestedFirst, h.requestedLast],
      frames_verified: checker.verified,
      bad_frames: bad,
      problems: problems.listed,
      problems_more: problems.more,
      intact: problems.count === 0,
    };
  } finally {
    closeSync(fd);
  }
  return result!;
}
