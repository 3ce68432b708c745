// The custody verification benchmark (issue 4): how fast `sealcam verify
// --identity` checks a recording, in MB/s of .age bytes, beside references
// measured on the same recording in the same run:
//   - sealcam verify without an identity (manifests, file size and SHA-256):
//     what the full check costs above the part anyone can do;
//   - stock `age -d` of every segment to /dev/null: decryption alone, by the
//     reference implementation of the age format (no check of the evidence);
//   - the independent verifier (tests/independent/verifier.ts: @noble and
//     typage, written from the specification alone): the same checks in pure JS.
// The recording is made once per run by the real recorder into a directory
// store (a temporary folder, removed at the end), so the files are exactly
// what a camera docks. Every run of every contender must find it intact, or
// the benchmark throws: a fast verifier that did not verify is no figure.
import { closeSync, mkdtempSync, mkdirSync, openSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Crypto } from "../engine/crypto.ts";
import { instantiateV8 } from "../engine/index.ts";
import { Recorder, type RecordingSummary } from "../camera/index.ts";
import { SegmentStore } from "../store/index.ts";
import { verifyPaths, type Identity } from "../custody/verify.ts";
import {
  generateDeviceSeed, generateIdentity, parseRecipient, readIdentityFile, recipientOf, writeForceIdentity,
} from "../keys/index.ts";
import { verifyRecording } from "../../tests/independent/verifier.ts";
import { PROFILES, type StreamProfile } from "./pipeline.ts";
import { median, type Measured } from "./stats.ts";

/** The stream recorded: 1080p30, as a body-worn camera records it. */
export const VERIFY_PROFILE: StreamProfile = PROFILES[0];
/** Segment length of the recording (short, so the recording has many segments). */
export const VERIFY_SEGMENT_SECONDS = 4;

export const VERIFY_NAMES = {
  ours: "sealcam verify --identity (full)",
  manifests: "sealcam verify, no identity (manifests)",
  age: "age -d -i, one process per segment",
  independent: "independent verifier (@noble + typage)",
};

export interface VerifyRow extends Measured {
  /** What every run of this contender found, for the reader to see it really checked. */
  verdict: string;
}

export interface VerifyResult {
  profile: StreamProfile;
  /** Seconds of video in the recording (frames / frame rate). */
  videoSeconds: number;
  /** Bytes of video the profile produces per second, in MB: what keeping up with recording means. */
  videoMegabytesPerSecond: number;
  frames: number;
  segments: number;
  /** Bytes of the .age files: what every contender reads, and what MB/s counts. */
  ageBytes: number;
  rounds: number;
  /** Ours first; seconds are medians per pass over the whole recording. */
  rows: VerifyRow[];
  /** Rows that could not run here, and why. */
  skipped: string[];
}

interface Contender {
  name: string;
  ours?: boolean;
  /** One pass over the whole recording; returns the verdict, throws if it is not intact. */
  run: () => Promise<string>;
}

/**
 * Frames shaped as H.264 Annex B access units (start code, then an IDR or a
 * non-IDR slice NAL header), as `sealcam record` would take from a camera;
 * the rest is filler, since the content does not change the cost. The
 * buffers are shared between frames of the same kind.
 */
function accessUnits(profile: StreamProfile, seconds: number): { bytes: Uint8Array; keyframe: boolean }[] {
  const unit = (n: number, nal: number, mul: number, shift: number) => {
    const b = new Uint8Array(n).map((_, i) => (i * mul) >>> shift);
    b.set([0, 0, 0, 1, nal]);
    return b;
  };
  const key = unit(profile.keyframeBytes, 0x65, 2654435761, 24);
  const other = unit(profile.frameBytes, 0x41, 40503, 8);
  return Array.from({ length: Math.round(seconds * profile.fps) }, (_, i) => {
    const keyframe = i % profile.gop === 0;
    return { bytes: keyframe ? key : other, keyframe };
  });
}

/** Records `seconds` of `profile` into a directory store, to one recipient. */
async function record(dir: string, profile: StreamProfile, seconds: number, recipient: Uint8Array): Promise<RecordingSummary> {
  const store = SegmentStore.open(dir);
  try {
    const recorder = await Recorder.create({ store });
    const seed = generateDeviceSeed();
    try {
      recorder.configure({ deviceSeed: seed, recipients: [recipient], segmentSeconds: VERIFY_SEGMENT_SECONDS });
    } finally {
      seed.fill(0);
    }
    recorder.start();
    const startUs = Date.now() * 1000;
    const perFrameUs = 1e6 / profile.fps;
    accessUnits(profile, seconds).forEach((au, i) => recorder.frame({ ...au, timeUs: startUs + Math.round(i * perFrameUs) }));
    const summary = recorder.stop();
    if (summary.aborted) throw new Error(`verify bench: ${summary.aborted} segment(s) aborted while recording the fixture`);
    return summary;
  } finally {
    store.close();
  }
}

/** The installed `age` command's version, or undefined when there is none. */
function ageVersion(): string | undefined {
  const r = spawnSync("age", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim();
}

/**
 * Records the fixture (`seconds` of 1080p30 in 4 s segments), then verifies it
 * with every contender, interleaved: one unmeasured warm-up round (V8 tiers
 * up the JS and the module), then `rounds` measured rounds; the figure kept
 * is the median time of a pass over the whole recording. The folder is
 * removed whatever happens.
 */
export async function measureVerify(options: { seconds: number; rounds: number }): Promise<VerifyResult> {
  const profile = VERIFY_PROFILE;
  // The crypto the CLI's `sealcam verify` builds (cli/custody.ts, moduleCrypto).
  const crypto = new Crypto(await instantiateV8("release"));
  const work = mkdtempSync(join(tmpdir(), "sealcam-bench-verify-"));
  let devNull: number | undefined;
  try {
    // The force's key, written in age's file format so that the CLI tool and
    // the independent verifier read the same file sealcam does.
    const keyPath = join(work, "force.key");
    const scalar = generateIdentity();
    const recipient = recipientOf(crypto, scalar);
    writeForceIdentity(keyPath, scalar, recipient);
    scalar.fill(0);
    const identities: Identity[] = readIdentityFile(keyPath).map((l) => ({ scalar: l.scalar, recipient: recipientOf(crypto, l.scalar) }));

    // The segments get their own folder: the key file is not evidence.
    const dir = join(work, "recording");
    mkdirSync(dir);
    const summary = await record(dir, profile, options.seconds, parseRecipient(recipient));
    const frames = summary.frames;
    const segments = summary.segments.length;

    const contenders: Contender[] = [
      {
        name: VERIFY_NAMES.ours,
        ours: true,
        run: async () => {
          const report = await verifyPaths([dir], { crypto, identities, pinnedDevice: null });
          const rec = report.recordings[0];
          const verified = rec?.frames_verified ?? 0;
          const decrypted = rec?.segments.filter((s) => s.decrypted === true).length ?? 0;
          if (!report.intact || report.mode !== "full" || report.recordings.length !== 1 || verified !== frames || decrypted !== segments) {
            throw new Error(`verify bench: sealcam verify --identity did not find the recording intact (mode ${report.mode}, intact ${report.intact}, ${verified} of ${frames} frames verified, ${decrypted} of ${segments} segments decrypted)`);
          }
          return `intact, ${verified}/${frames} frames verified`;
        },
      },
      {
        name: VERIFY_NAMES.manifests,
        run: async () => {
          const report = await verifyPaths([dir], { crypto, identities: [], pinnedDevice: null });
          const ok = report.recordings[0]?.segments.filter((s) => s.manifest_ok && s.file_ok).length ?? 0;
          if (!report.intact || report.mode !== "manifests" || ok !== segments) {
            throw new Error(`verify bench: sealcam verify (no identity) did not find the recording intact (intact ${report.intact}, ${ok} of ${segments} segments checked)`);
          }
          return `intact, ${ok}/${segments} manifests and files`;
        },
      },
    ];

    const skipped: string[] = [];
    const version = ageVersion();
    if (version === undefined) {
      skipped.push(`${VERIFY_NAMES.age}: skipped, no \`age\` command on PATH`);
    } else {
      devNull = openSync("/dev/null", "w");
      const out = devNull;
      contenders.push({
        name: `age ${version} -d -i, one process per segment`,
        run: async () => {
          // One process per segment, as a custodian would run it; the
          // plaintext goes straight to /dev/null, never through this process.
          for (const s of summary.segments) {
            const r = spawnSync("age", ["-d", "-i", keyPath, s.agePath], { stdio: ["ignore", out, "pipe"] });
            if (r.error || r.status !== 0) {
              throw new Error(`verify bench: age -d ${s.agePath} failed: ${r.error?.message ?? r.stderr.toString().trim()}`);
            }
          }
          return `${segments}/${segments} segments decrypted (no evidence checks)`;
        },
      });
    }

    contenders.push({
      name: VERIFY_NAMES.independent,
      run: async () => {
        // Its H.264 shape check is off: sealcam verify does not make it, and
        // the two rows should do the same work.
        const report = await verifyRecording(dir, keyPath, { h264: false });
        if (report.problems.length !== 0 || report.frames !== frames || report.segments !== segments) {
          const first = report.problems[0];
          throw new Error(`verify bench: the independent verifier did not find the recording intact (${report.frames} of ${frames} frames, ${report.problems.length} problems${first ? `, first: segment ${first.segment}: ${first.what}` : ""})`);
        }
        return `intact, ${report.frames}/${frames} frames verified`;
      },
    });

    const samples: number[][] = contenders.map(() => []);
    const verdicts: string[] = contenders.map(() => "");
    for (let round = -1; round < options.rounds; round++) {
      for (let i = 0; i < contenders.length; i++) {
        const t0 = performance.now();
        verdicts[i] = await contenders[i].run();
        const seconds = (performance.now() - t0) / 1000;
        if (round >= 0) samples[i].push(seconds);
      }
    }
    const rows: VerifyRow[] = contenders.map((c, i) => ({ name: c.name, ours: !!c.ours, seconds: median(samples[i]), verdict: verdicts[i] }));
    return {
      profile,
      videoSeconds: frames / profile.fps,
      videoMegabytesPerSecond: ((profile.keyframeBytes + (profile.gop - 1) * profile.frameBytes) * profile.fps) / profile.gop / 1e6,
      frames,
      segments,
      ageBytes: summary.ageBytes,
      rounds: options.rounds,
      rows,
      skipped,
    };
  } finally {
    if (devNull !== undefined) closeSync(devNull);
    rmSync(work, { recursive: true, force: true });
  }
}
