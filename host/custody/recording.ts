// Verifying one recording (docs/FORMAT.md, "How to verify a recording by
// hand"): its segments, the gaps between them, their manifests, streams and
// trailers. verify.ts groups the inputs into recordings and runs one
// RecordingVerifier on each.
//
// Without an identity it checks what anyone can: each manifest's signature
// under the recording's device key, the .age file's size and SHA-256, the
// chain of manifests, gaps in sequence and frame numbers, the final segment.
// With the force's identity it also decrypts each segment, streaming, and
// checks every frame, record, signature, the record chain across segments
// and every trailer. Memory stays constant: one age chunk, one frame's hash
// state and the fixed-size pieces of the stream at a time.
import { createHash } from "node:crypto";
import { SealcamError, EXIT, moduleMessage, MODULE_ERRORS } from "../errors.ts";
import { manifestHash, manifestMessage, manifestSignature, type Manifest } from "../evidence/index.ts";
import { deviceFingerprint, formatDevicePublicKey } from "../keys/index.ts";
import { readAgeFile, type AgeError } from "./age.ts";
import type { SegmentFiles } from "./inputs.ts";
import {
  EntryReader, FrameChecker, StreamError, DOMAIN_TRAILER,
  parseSegmentHeader, parseTrailer, equal, toHex, type FrameProblem, type Trailer,
} from "./stream.ts";
import type { RecordingResult, SegmentResult, Problem, Gap } from "./model.ts";
import { ProblemList, orderProblems, BAD_FRAMES_LISTED } from "./problems.ts";
import type { VerifyOptions } from "./verify.ts";

const ZERO32 = new Uint8Array(32);
const ERR_SIGNATURE = MODULE_ERRORS.ERR_SIGNATURE.code;

const minOf = (xs: number[]): number => xs.reduce((a, b) => (b < a ? b : a), Infinity);
const maxOf = (xs: number[]): number => xs.reduce((a, b) => (b > a ? b : a), -Infinity);

function newSegment(sequence: number, f: SegmentFiles | null): SegmentResult {
  const m = f?.manifest ?? null;
  return {
    sequence,
    age_file: f?.age ?? null,
    manifest_file: f?.manifestFile ?? null,
    first_frame: m?.first_frame ?? null,
    frame_count: m?.frame_count ?? null,
    first_time_us: m?.first_time_us ?? null,
    last_time_us: m?.last_time_us ?? null,
    final: m?.final ?? false,
    pre_event_start: m?.pre_event_start ?? false,
    age_bytes: m?.age_bytes ?? null,
    manifest_hash: m ? toHex(manifestHash(m)) : null,
    manifest_ok: false,
    file_ok: false,
    decrypted: null,
    frames_verified: 0,
    bad_frames: [],
    bad_frames_more: 0,
    ok: true,
  };
}

const range = (a: number, b: number, what: string): string => (a === b ? `${what} ${a}` : `${what}s ${a}–${b}`);

/** Where the record chain and numbering stand after a segment. */
interface Continuation {
  sequence: number;
  manifest: Manifest | null;
  /** Last frame number by the manifest (first + count − 1), when it has one. */
  lastFrame: number | null;
  /** Set when the segment was decrypted to its end: the checker's state. */
  expectNumber: number | null;
  chain: Uint8Array | null;
  lastTimeUs: number;
}

/**
 * Verifies one recording's segments (already grouped; run() sorts them).
 * Problems that are the input's, not the evidence's, throw a SealcamError
 * with EXIT.USAGE (an unreadable file; an .age file that is no age file and
 * that no manifest names).
 */
export class RecordingVerifier {
  readonly problems = new ProblemList();
  readonly segments: SegmentResult[] = [];
  readonly gaps: Gap[] = [];
  /** Lines of information for the reader (not problems). */
  readonly notes: string[] = [];
  /** Where the evidence begins, when the first present segment is a pre-event start. */
  preEventStart: { segment: number; frame: number } | null = null;
  framesVerified = 0;
  /** Segments the identities were tried on, and how many none of them opened. */
  tried = 0;
  refused = 0;
  /** Of those, the ones whose file is the one its manifest signed (so the key, not the file, is wrong). */
  refusedIntact = 0;

  private readonly recordingBytes: Uint8Array;

  constructor(
    private readonly o: VerifyOptions,
    readonly recording: string,
    readonly device: Uint8Array,
  ) {
    this.recordingBytes = new Uint8Array(Buffer.from(recording, "hex"));
  }

  private problem(p: Omit<Problem, "recording">, seg?: SegmentResult): void {
    this.problems.add({ ...p, recording: this.recording });
    if (seg) seg.ok = false;
  }

  private badFrame(seg: SegmentResult, frame: number): void {
    if (seg.bad_frames.length < BAD_FRAMES_LISTED) {
      if (seg.bad_frames[seg.bad_frames.length - 1] !== frame) seg.bad_frames.push(frame);
    } else seg.bad_frames_more++;
  }

  /** Checks the recording's segment files, in sequence order; read the outcome with result(). */
  async run(files: SegmentFiles[]): Promise<void> {
    // Sequence: the manifest's when it belongs to this recording, else the file name's.
    const placed = files.map((f) => ({
      f, sequence: f.manifest && (f.manifest.recording === this.recording || f.nameSequence === null) ? f.manifest.sequence : f.nameSequence ?? f.manifest?.sequence ?? -1,
    }));
    placed.sort((a, b) => a.sequence - b.sequence || a.f.stem.localeCompare(b.f.stem));
    let prev: Continuation | null = null;
    let finalSeen: SegmentResult | null = null;
    for (let i = 0; i < placed.length; i++) {
      const { f, sequence } = placed[i];
      if (i > 0 && placed[i - 1].sequence === sequence) {
        const seg = newSegment(sequence, f);
        this.segments.push(seg);
        this.problem({ kind: "duplicate-segment", segment: sequence, file: f.age ?? f.manifestFile ?? f.stem, message: `segment ${sequence} appears twice (${placed[i - 1].f.stem} and ${f.stem}): only the first is checked` }, seg);
        continue;
      }
      const seg = newSegment(sequence, f);
      this.segments.push(seg);
      if (this.o.select && !this.o.select(sequence, seg.first_frame, seg.frame_count)) {
        prev = null;
        continue;
      }
      const trusted = this.checkManifest(seg, f);
      this.checkGap(prev, seg, trusted, this.segments.length === 1);
      if (finalSeen) {
        this.problem({ kind: "final-not-last", segment: finalSeen.sequence, message: `segment ${finalSeen.sequence} is marked final, but segment ${sequence} follows it` }, finalSeen);
        finalSeen = null;
      }
      prev = await this.segment(seg, f, prev, trusted);
      if (seg.final) finalSeen = seg;
    }
    if (!this.o.select) {
      const last = this.segments[this.segments.length - 1];
      if (last && !last.final) {
        this.problem({ kind: "not-final", segment: last.sequence, message: `no final segment: the recording ends at segment ${last.sequence} without being stopped there (cut short by power loss, or its last segments are missing)` });
      }
    }
  }

  /**
   * Gaps in sequence and frame numbers before `seg`, and the manifest chain.
   * `first` says `seg` is the recording's first present segment. A pre-event
   * start (FORMAT.md, `pre_event_start`) is where a recording's evidence
   * begins, so the segments before it are not missing; but only the first
   * present segment can be one, and it names no previous manifest.
   */
  private checkGap(prev: Continuation | null, seg: SegmentResult, m: Manifest | null, first: boolean): void {
    const sequence = seg.sequence;
    // A misplaced pre-event start's zero previous_manifest is what its flag implies: named once.
    let chainNamed = false;
    if (m && m.pre_event_start && !this.o.select) {
      const zero = m.previous_manifest === "0".repeat(64);
      if (!first) {
        this.problem({ kind: "pre-event", segment: sequence, file: seg.manifest_file ?? undefined, message: `segment ${sequence} is marked as the pre-event start (where the evidence begins), but segment ${this.segments[0].sequence} comes before it: only a recording's first segment can be` }, seg);
        chainNamed = zero;
      } else if (sequence === 0) {
        this.problem({ kind: "pre-event", segment: 0, file: seg.manifest_file ?? undefined, message: "segment 0 is marked as the pre-event start, but no segment came before it that could have expired" }, seg);
      } else if (!zero) {
        this.problem({ kind: "pre-event", segment: sequence, file: seg.manifest_file ?? undefined, message: `segment ${sequence} is marked as the pre-event start, but its manifest names a previous manifest (a pre-event start has none)` }, seg);
      } else {
        this.preEventStart = { segment: sequence, frame: m.first_frame };
        this.notes.push(`evidence begins at frame ${m.first_frame} (segment ${sequence}): earlier pre-event footage expired on the camera, never evidence`);
        if (this.o.identities.length) this.notes.push(`segment ${sequence}'s evidence header names the record of frame ${m.first_frame - 1}, which expired: its chain value cannot be checked against a predecessor, only against the segment's own records`);
        return;
      }
    }
    if (prev === null) {
      if (sequence > 0 && !this.o.select) {
        const frames: [number, number] | null = m && m.first_frame > 0 ? [0, m.first_frame - 1] : null;
        this.gaps.push({ sequences: [0, sequence - 1], frames });
        this.problem({ kind: "segment-gap", segment: sequence, frame: frames?.[0], message: `${range(0, sequence - 1, "segment")}${frames ? ` (${range(frames[0], frames[1], "frame")})` : ""} missing before segment ${sequence}: the recording's start is not here` });
      } else if (sequence === 0 && m && m.previous_manifest !== "0".repeat(64)) {
        this.problem({ kind: "manifest-chain", segment: 0, file: seg.manifest_file ?? undefined, message: "segment 0's manifest names a previous manifest, but a recording's first segment has none" }, seg);
      }
      return;
    }
    const chained = m !== null && prev.manifest !== null && m.previous_manifest === toHex(manifestHash(prev.manifest));
    const firstFrame = m?.first_frame ?? null;
    const frameGap: [number, number] | null = prev.lastFrame !== null && firstFrame !== null && firstFrame > prev.lastFrame + 1 ? [prev.lastFrame + 1, firstFrame - 1] : null;
    if (sequence > prev.sequence + 1) {
      const seqs: [number, number] = [prev.sequence + 1, sequence - 1];
      this.gaps.push({ sequences: seqs, frames: frameGap });
      const how = chained
        ? "lost on the camera (its manifest chain passes over them, as after a storage failure)"
        : "missing (removed, or never delivered)";
      this.problem({ kind: "segment-gap", segment: seqs[0], frame: frameGap?.[0], message: `${range(seqs[0], seqs[1], "segment")}${frameGap ? ` (${range(frameGap[0], frameGap[1], "frame")})` : ""} ${seqs[0] === seqs[1] ? "is" : "are"} ${how}` });
      return;
    }
    if (frameGap) {
      this.gaps.push({ sequences: null, frames: frameGap });
      this.problem({ kind: "segment-gap", segment: sequence, frame: frameGap[0], message: `${range(frameGap[0], frameGap[1], "frame")} between segments ${prev.sequence} and ${sequence} are in no segment` }, seg);
    } else if (prev.lastFrame !== null && firstFrame !== null && firstFrame <= prev.lastFrame) {
      this.problem({ kind: "segment-gap", segment: sequence, frame: firstFrame, message: `segment ${sequence} starts at frame ${firstFrame}, inside segment ${prev.sequence} (which ends at frame ${prev.lastFrame})` }, seg);
    }
    if (m !== null && prev.manifest !== null && !chained && !chainNamed) {
      this.problem({ kind: "manifest-chain", segment: sequence, file: seg.manifest_file ?? undefined, message: `segment ${sequence}'s manifest does not name segment ${prev.sequence}'s manifest as its predecessor` }, seg);
    }
  }

  /** The manifest's name, device and signature; returns it when it can be trusted. */
  private checkManifest(seg: SegmentResult, f: SegmentFiles): Manifest | null {
    const m = f.manifest;
    const sequence = seg.sequence;
    if (m) {
      if (f.nameRecording !== null && (f.nameRecording !== m.recording || f.nameSequence !== m.sequence)) {
        const says = m.recording === f.nameRecording ? `segment ${m.sequence}` : `recording ${m.recording} segment ${m.sequence}`;
        this.problem({ kind: "file-name", segment: sequence, file: f.manifestFile!, message: `${f.stem}: the file name says segment ${f.nameSequence} of this recording, its manifest says ${says}` }, seg);
      }
      const device = Buffer.from(m.device, "hex");
      const code = this.o.crypto.ed25519Verify(this.device, manifestMessage(m), manifestSignature(m));
      if (!equal(device, this.device)) {
        const own = this.o.crypto.ed25519Verify(device, manifestMessage(m), manifestSignature(m));
        this.problem({ kind: "device-mismatch", segment: sequence, file: f.manifestFile!, message: `segment ${sequence} is signed by another device (${deviceFingerprint(device)}), not the recording's (${deviceFingerprint(this.device)})${own === 0 ? "" : ", and its signature does not verify even under that key"}` }, seg);
      } else if (code !== 0) {
        this.problem({ kind: "manifest-signature", segment: sequence, file: f.manifestFile!, message: `segment ${sequence}'s manifest signature does not verify${code === ERR_SIGNATURE ? "" : ` (${moduleMessage(code)})`}: the manifest was edited or not made by this device` }, seg);
      } else seg.manifest_ok = true;
    } else {
      this.problem({ kind: "manifest-missing", segment: sequence, file: f.age!, message: `segment ${sequence} has no manifest (${f.stem}.manifest.json): nothing signed vouches for its file` }, seg);
    }
    return m !== null && seg.manifest_ok ? m : null;
  }

  /** One segment: manifest, file, and (with identities) its stream. */
  private async segment(seg: SegmentResult, f: SegmentFiles, prev: Continuation | null, trusted: Manifest | null): Promise<Continuation> {
    const sequence = seg.sequence;
    const m = f.manifest;
    // A manifest whose signature fails says nothing the next segment can be
    // checked against: its fields may be the edit.
    const next: Continuation = {
      sequence, manifest: trusted, lastFrame: trusted ? trusted.first_frame + trusted.frame_count - 1 : null,
      expectNumber: null, chain: null, lastTimeUs: prev?.lastTimeUs ?? -1,
    };
    if (!f.age) {
      this.problem({ kind: "age-missing", segment: sequence, file: f.manifestFile!, frame: m?.first_frame, message: `segment ${sequence}'s age file is missing (${f.stem}.age)${m ? `: ${range(m.first_frame, m.first_frame + m.frame_count - 1, "frame")} cannot be checked` : ""}` }, seg);
      return next;
    }

    const full = this.o.identities.length > 0;
    const contiguous = prev !== null && prev.sequence + 1 === sequence && prev.expectNumber !== null;
    let checker: FrameChecker | null = null;
    let header: ReturnType<typeof parseSegmentHeader> | null = null;
    let headerBytes: Uint8Array | null = null;
    let trailerSeen = false;
    let streamFailed = false;
    let foreign = false;
    let signedTrailer: Trailer | null = null;
    const frameProblem = (p: FrameProblem) => {
      this.problem({ kind: p.kind, segment: sequence, frame: p.frame, file: f.age!, message: p.message }, seg);
      this.badFrame(seg, p.frame);
    };
    const sink = this.o.sink;
    let sinkTakes = false;
    const reader = new EntryReader("segment", {
      header: (h) => {
        header = parseSegmentHeader(h);
        headerBytes = h.slice();
        const problems: string[] = [];
        if (!equal(header.device, this.device)) problems.push(`names device ${deviceFingerprint(header.device)}, not the recording's`);
        if (toHex(header.recording) !== this.recording) problems.push(`names recording ${toHex(header.recording)}`);
        foreign = problems.length > 0;
        if (header.sequence !== sequence) problems.push(`says segment ${header.sequence}`);
        if (!header.reservedZero) problems.push("has non-zero reserved bytes");
        if (header.firstFrame < 0) problems.push("has a first frame number of 2^53 or more");
        else if (m && header.firstFrame !== m.first_frame) problems.push(`starts at frame ${header.firstFrame}, the manifest at ${m.first_frame}`);
        let expectNumber = header.firstFrame >= 0 ? header.firstFrame : m?.first_frame ?? null;
        const chain: Uint8Array = header.chain.slice();
        if (contiguous) {
          if (header.firstFrame !== prev!.expectNumber) problems.push(`starts at frame ${header.firstFrame}, but segment ${prev!.sequence} ended before frame ${prev!.expectNumber}`);
          if (prev!.chain && !equal(header.chain, prev!.chain)) problems.push(`does not continue segment ${prev!.sequence}'s record chain`);
          expectNumber = prev!.expectNumber;
        } else if (sequence === 0 && (header.firstFrame !== 0 || !equal(header.chain, ZERO32))) {
          problems.push("is segment 0 but does not start the recording (frame 0, zero chain value)");
        }
        if (problems.length) this.problem({ kind: "stream", segment: sequence, file: f.age!, frame: header.firstFrame >= 0 ? header.firstFrame : undefined, message: `segment ${sequence}'s evidence header ${problems.join("; ")}` }, seg);
        // Records are held to this recording and its device, never to what
        // the segment's own header claims.
        checker = new FrameChecker(this.o.crypto, this.device, this.recordingBytes, sequence, expectNumber, chain, prev?.lastTimeUs ?? -1, frameProblem);
        checker.quiet = foreign;
      },
      frameStart: (length) => {
        checker!.start(length);
        sinkTakes = sink ? sink.frameStart(this.recording, checker!.expectNumber, length) : false;
      },
      frameData: (bytes) => {
        checker!.data(bytes);
        if (sinkTakes) sink!.frameData(bytes);
      },
      frameEnd: (record, signature) => {
        const frame = checker!.end(record, signature);
        if (sink) sink.frameEnd(this.recording, frame, record, signature);
      },
      trailer: (t, signature) => {
        trailerSeen = true;
        signedTrailer = this.checkTrailer(seg, f, m, t, signature, headerBytes!, checker!);
      },
    });

    let result;
    try {
      result = await readAgeFile(f.age, this.o.crypto, this.o.identities.map((i) => i.scalar), full ? (plain) => {
        if (streamFailed) return;
        try {
          reader.push(plain);
        } catch (e) {
          if (!(e instanceof StreamError)) throw e;
          streamFailed = true;
          const at = reader.inFrame ? checker?.expectNumber ?? undefined : undefined;
          this.problem({ kind: "stream", segment: sequence, file: f.age!, frame: at, message: `segment ${sequence}'s evidence stream is malformed at byte ${e.at}: ${e.message}` }, seg);
        }
      } : undefined);
    } catch (e) {
      if (e instanceof SealcamError) throw e;
      throw new SealcamError(`${f.age}: cannot read: ${e instanceof Error ? e.message : String(e)}`, EXIT.USAGE);
    }
    if (m) {
      if (result.size !== m.age_bytes) {
        this.problem({ kind: "age-size", segment: sequence, file: f.age, message: `segment ${sequence}'s age file is ${result.size} bytes, its manifest says ${m.age_bytes}${result.size < m.age_bytes ? " (truncated)" : ""}` }, seg);
      }
      if (toHex(result.sha256) !== m.age_sha256) {
        this.problem({ kind: "age-hash", segment: sequence, file: f.age, message: `segment ${sequence}'s age file is not the one its manifest signed (SHA-256 differs): it was altered or replaced` }, seg);
      } else if (result.size === m.age_bytes) seg.file_ok = true;
    }
    const err: AgeError | null = result.error;
    if (err && (err.reason === "not-age" || err.reason === "header") && !m) {
      throw new SealcamError(`${f.age}: ${err.message}, and no manifest names it`, EXIT.USAGE);
    }
    if (!full) {
      if (err) this.problem({ kind: "decrypt", segment: sequence, file: f.age, message: `segment ${sequence}'s age file: ${err.message}` }, seg);
      return next;
    }
    this.tried++;
    if (err && err.reason === "no-identity") {
      this.refused++;
      if (seg.file_ok) this.refusedIntact++;
      seg.decrypted = false;
      this.problem({ kind: "identity", segment: sequence, file: f.age, message: `segment ${sequence} is not encrypted to the identity given (${this.o.identities.map((i) => i.recipient).join(", ")})` }, seg);
      return next;
    }
    if (err) {
      seg.decrypted = false;
      const from = (checker as FrameChecker | null)?.expectNumber ?? m?.first_frame;
      this.problem({ kind: "decrypt", segment: sequence, file: f.age, frame: from ?? undefined, message: `segment ${sequence} does not decrypt: ${err.message}${from !== undefined && from !== null && header ? `; frames from ${from} on in this segment are unreadable` : ""}` }, seg);
    } else if (!streamFailed) {
      try {
        reader.finish();
        seg.decrypted = true;
      } catch (e) {
        if (!(e instanceof StreamError)) throw e;
        this.problem({ kind: "stream", segment: sequence, file: f.age, frame: reader.inFrame ? (checker as FrameChecker | null)?.expectNumber ?? undefined : undefined, message: `segment ${sequence}'s evidence stream is cut short: ${e.message}` }, seg);
      }
    }
    const c = checker as FrameChecker | null;
    if (c) {
      seg.frames_verified = c.verified;
      this.framesVerified += c.verified;
      next.lastTimeUs = c.lastTimeSeen;
      const t = signedTrailer as Trailer | null;
      if (t !== null && !foreign) {
        // The device's own account of where the segment ended, signed: the
        // next segment is held to that, so a frame dropped at the end of
        // this one is named here, not again at the start of the next.
        next.expectNumber = t.firstFrame + t.frameCount;
        next.chain = t.lastRecordHash.slice();
        next.lastFrame = next.expectNumber - 1;
      } else if (seg.decrypted && trailerSeen) {
        next.expectNumber = c.expectNumber;
        next.chain = c.chain;
        if (c.seen > 0) next.lastFrame = c.lastNumber;
      }
      if (foreign && c.failed > 0) {
        const first = c.firstNumber, last = c.lastNumber;
        const whose = !equal(header!.device, this.device) ? `signed by device ${deviceFingerprint(header!.device)}, not the recording's (${deviceFingerprint(this.device)})` : `of recording ${toHex(header!.recording)}, not this one`;
        this.problem({ kind: "frame-signature", segment: sequence, frame: first, file: f.age, message: `segment ${sequence}: ${c.failed} of its ${c.seen} frames (${range(first, last, "frame")}) are ${whose}; none is counted as verified` }, seg);
        this.badFrame(seg, first);
      }
    }
    if (foreign) {
      // A segment of another recording or device says nothing about where
      // this recording stands: the next segment starts afresh (its own
      // header), so one splice is named once, not in every segment after it.
      return { sequence, manifest: null, lastFrame: null, expectNumber: null, chain: null, lastTimeUs: prev?.lastTimeUs ?? -1 };
    }
    return next;
  }

  /**
   * Checks the trailer against the stream and the manifest; returns it when
   * it is this segment's own, signed by the recording's device (then its
   * account of the segment's end can be relied on).
   */
  private checkTrailer(seg: SegmentResult, f: SegmentFiles, m: Manifest | null, t: Uint8Array, signature: Uint8Array, header: Uint8Array, c: FrameChecker): Trailer | null {
    const sequence = seg.sequence;
    const tr = parseTrailer(t);
    const wrong: string[] = [];
    const msg = new Uint8Array(DOMAIN_TRAILER.length + t.length);
    msg.set(DOMAIN_TRAILER, 0);
    msg.set(t, DOMAIN_TRAILER.length);
    const code = this.o.crypto.ed25519Verify(this.device, msg, signature);
    if (code !== 0) wrong.push(`its signature does not verify${code === ERR_SIGNATURE ? "" : ` (${moduleMessage(code)})`}`);
    if (!equal(tr.device, this.device)) wrong.push("it names another device");
    if (toHex(tr.recording) !== this.recording) wrong.push("it names another recording");
    if (tr.sequence !== sequence) wrong.push(`it says segment ${tr.sequence}`);
    if (tr.flags & ~1) wrong.push(`unknown flag bits 0x${tr.flags.toString(16)}`);
    const hdr = parseSegmentHeader(header);
    if (tr.firstFrame !== hdr.firstFrame) wrong.push(`first frame ${tr.firstFrame}, the header's is ${hdr.firstFrame}`);
    if (tr.frameCount !== c.seen) wrong.push(`it counts ${tr.frameCount} frames, the segment holds ${c.seen}`);
    if (c.seen > 0 && tr.firstTimeUs !== c.firstTimeUs) wrong.push("its first capture time is not the first frame's");
    if (c.seen > 0 && tr.lastTimeUs !== c.lastTimeUs) wrong.push("its last capture time is not the last frame's");
    if (!equal(tr.headerHash, new Uint8Array(createHash("sha256").update(header).digest()))) wrong.push("it does not name this segment's header");
    if (!c.lastRecordHash || !equal(tr.lastRecordHash, c.lastRecordHash)) wrong.push("it does not name the last frame's record");
    if (wrong.length) this.problem({ kind: "trailer", segment: sequence, file: f.age!, message: `segment ${sequence}'s trailer: ${wrong.join("; ")}` }, seg);
    const own = code === 0 && equal(tr.device, this.device) && toHex(tr.recording) === this.recording && tr.sequence === sequence && tr.firstFrame >= 0 && tr.frameCount >= 1;
    const end = own ? tr.firstFrame + tr.frameCount : -1;
    if (own && c.expectNumber !== null && c.expectNumber < end && !c.quiet) {
      this.problem({ kind: "frame-number", segment: sequence, frame: c.expectNumber, file: f.age!, message: `${range(c.expectNumber, end - 1, "frame")} ${c.expectNumber === end - 1 ? "is" : "are"} missing at the end of segment ${sequence} (its signed trailer ends at frame ${end - 1})` }, seg);
      this.badFrame(seg, c.expectNumber);
    }
    if (m) {
      const differ: string[] = [];
      if (m.first_frame !== tr.firstFrame) differ.push("first_frame");
      if (m.frame_count !== tr.frameCount) differ.push("frame_count");
      if (m.first_time_us !== tr.firstTimeUs) differ.push("first_time_us");
      if (m.last_time_us !== tr.lastTimeUs) differ.push("last_time_us");
      if (m.final !== tr.final) differ.push("final");
      if (differ.length) this.problem({ kind: "manifest-stream", segment: sequence, file: f.manifestFile!, message: `segment ${sequence}'s manifest disagrees with its signed trailer on ${differ.join(", ")}` }, seg);
    }
    return own && end <= Number.MAX_SAFE_INTEGER ? tr : null;
  }

  /** The recording's result for the report, after run(). */
  result(): RecordingResult {
    // The recording's extent is what its verified manifests declare.
    const present = this.segments.filter((s) => s.first_frame !== null && s.manifest_ok);
    const firstTimes = present.map((s) => s.first_time_us!).filter((t) => t !== null);
    const lastTimes = present.map((s) => s.last_time_us!).filter((t) => t !== null);
    const last = this.segments[this.segments.length - 1];
    return {
      recording: this.recording,
      device: toHex(this.device),
      device_key: formatDevicePublicKey(this.device),
      fingerprint: deviceFingerprint(this.device),
      // Pinned means held to the enrolled key and found to match it throughout.
      device_pinned: this.o.pinnedDevice !== null && !this.problems.listed.some((p) => p.kind === "device-mismatch"),
      first_time_us: firstTimes.length ? minOf(firstTimes) : null,
      last_time_us: lastTimes.length ? maxOf(lastTimes) : null,
      first_frame: present.length ? minOf(present.map((s) => s.first_frame!)) : null,
      last_frame: present.length ? maxOf(present.map((s) => s.first_frame! + s.frame_count! - 1)) : null,
      frames_declared: present.reduce((n, s) => n + s.frame_count!, 0),
      frames_verified: this.framesVerified,
      final: last?.final ?? false,
      pre_event_start: this.preEventStart,
      notes: this.notes,
      segments: this.segments,
      gaps: this.gaps,
      problems: orderProblems(this.problems.listed),
      problems_more: this.problems.more,
      intact: this.problems.count === 0,
    };
  }
}
