// `sealcam bench`: runs the suites and prints one table per operation, each
// with medians, throughput and the ratio of sealcam's speed to every
// reference measured in the same run, then the targets.
import { instantiateV8 } from "../engine/index.ts";
import { Crypto } from "../engine/crypto.ts";
import { measure, type Measured } from "./stats.ts";
import { cryptoOperations } from "./crypto.ts";
import { measurePipeline, PROFILES, type PipelineResult } from "./pipeline.ts";
import { measureVerify, VERIFY_SEGMENT_SECONDS } from "./verify.ts";
import { measureDocking } from "./dock.ts";

export interface BenchOptions {
  /** Fewer, shorter rounds: for a smoke run, not for figures. */
  quick?: boolean;
  /** Only operations whose title contains this text (case-insensitive). */
  filter?: string;
  print?: (line: string) => void;
}

export interface BenchResult {
  title: string;
  bytes?: number;
  rows: Measured[];
  target?: { against: string; min: number; ratio: number; met: boolean };
}

function formatTime(s: number): string {
  if (s >= 1e-3) return `${(s * 1e3).toFixed(2)} ms`;
  return `${(s * 1e6).toFixed(2)} µs`;
}

function rate(op: { bytes?: number }, s: number): string {
  return op.bytes ? `${((op.bytes / s) / 1e6).toFixed(0)} MB/s` : `${(1 / s).toFixed(0)} op/s`;
}

export async function runBench(options: BenchOptions = {}): Promise<BenchResult[]> {
  const print = options.print ?? ((line: string) => console.log(line));
  const c = new Crypto(await instantiateV8("release"));
  const ops = (await cryptoOperations(c)).filter((op) => !options.filter || op.title.toLowerCase().includes(options.filter.toLowerCase()));
  const settings = options.quick ? { rounds: 3, batchSeconds: 0.02 } : { rounds: 15, batchSeconds: 0.08 };
  print(`sealcam bench: ${process.version}, ${settings.rounds} interleaved rounds per operation, medians; ratio = sealcam's speed / that row's speed`);
  const results: BenchResult[] = [];
  for (const op of ops) {
    const rows = measure(op.contenders, settings);
    const primaryName = op.target?.ours ?? op.contenders.find((k) => k.ours)!.name;
    const primary = rows.find((r) => r.name === primaryName)!;
    print("");
    print(op.title);
    print(`  ${"implementation".padEnd(40)} ${"median".padStart(10)} ${op.bytes ? "throughput" : "rate"}`.padEnd(68) + "ratio");
    for (const r of rows) {
      const ratio = r === primary ? "" : (r.seconds / primary.seconds).toFixed(2) + "x";
      print(`  ${r.name.padEnd(40)} ${formatTime(r.seconds).padStart(10)} ${rate(op, r.seconds).padStart(10)}`.padEnd(68) + ratio);
    }
    const result: BenchResult = { title: op.title, bytes: op.bytes, rows };
    if (op.target) {
      const ref = rows.find((r) => r.name === op.target!.against)!;
      const ratio = ref.seconds / primary.seconds;
      result.target = { against: op.target.against, min: op.target.min, ratio, met: ratio >= op.target.min };
    }
    results.push(result);
  }
  const pipeline: PipelineResult[] = [];
  if (!options.filter || "pipeline".includes(options.filter.toLowerCase())) {
    print("");
    print("Capture pipeline: frames -> SHA-512 + Ed25519 record + age STREAM -> memory store (V8, release build)");
    print(`  ${"stream".padEnd(40)} ${"frames/s".padStart(10)} ${"MB/s".padStart(8)}  real time`);
    for (const profile of PROFILES) {
      const r = await measurePipeline(profile, options.quick ? { seconds: 2, rounds: 1 } : { seconds: 10, rounds: 5 });
      pipeline.push(r);
      print(`  ${profile.name.padEnd(40)} ${r.framesPerSecond.toFixed(0).padStart(10)} ${r.megabytesPerSecond.toFixed(0).padStart(8)}  ${r.realTime.toFixed(0)}x`);
    }
    // The frame hash candidates, from this run's 64 KiB figures: the bound
    // each would put on the pipeline with this run's ChaCha20-Poly1305 seal.
    const speed = (title: string, name?: string) => {
      const op = results.find((r) => r.title === title);
      const row = op?.rows.find((x) => (name ? x.name === name : x.ours));
      return op && row ? op.bytes! / row.seconds / 1e6 : undefined;
    };
    const seal = speed("ChaCha20-Poly1305 seal, 64 KiB", "sealcam (V8), in place");
    if (seal) {
      print("  frame hash candidates (bound = 1 / (1/hash + 1/seal), this run's 64 KiB figures):");
      for (const [name, title] of [["SHA-256", "SHA-256, 64 KiB"], ["SHA-512 (chosen)", "SHA-512, 64 KiB"]]) {
        const h = speed(title);
        if (h) print(`    ${name.padEnd(18)} ${h.toFixed(0).padStart(6)} MB/s -> pipeline bound ${(1 / (1 / h + 1 / seal)).toFixed(0)} MB/s`);
      }
    }
    for (const r of pipeline) {
      results.push({
        title: `Capture pipeline, ${r.profile.name}`,
        rows: [],
        target: { against: "300 MB/s", min: 300, ratio: r.megabytesPerSecond, met: r.megabytesPerSecond >= 300 },
      });
    }
  }
  if (!options.filter || "verify".includes(options.filter.toLowerCase())) {
    const v = await measureVerify(options.quick ? { seconds: 8, rounds: 1 } : { seconds: 40, rounds: 3 });
    const mb = (s: number) => v.ageBytes / s / 1e6;
    print("");
    print(`Verify a recording: ${v.profile.name}, ${v.videoSeconds.toFixed(0)} s in ${VERIFY_SEGMENT_SECONDS} s segments, one recipient, files in the page cache; ${v.rounds} interleaved round${v.rounds === 1 ? "" : "s"} after a warm-up, medians`);
    print(`  ${"implementation".padEnd(44)} ${"median".padStart(9)} ${"throughput".padStart(10)}  ${"ratio".padEnd(7)} verdict, every run`);
    const ours = v.rows.find((r) => r.ours)!;
    for (const r of v.rows) {
      const ratio = r === ours ? "" : (r.seconds / ours.seconds).toFixed(2) + "x";
      print(`  ${r.name.padEnd(44)} ${(r.seconds.toFixed(3) + " s").padStart(9)} ${(mb(r.seconds).toFixed(0) + " MB/s").padStart(10)}  ${ratio.padEnd(7)} ${r.verdict}`);
    }
    for (const note of v.skipped) print(`  ${note}`);
    // A verdict that is not intact throws in measureVerify: reaching here means every one was.
    print(`  recording: ${(v.ageBytes / 1e6).toFixed(1)} MB of .age, ${v.frames} frames, ${v.segments} segments; verdicts: all intact`);
    print(`  verify --identity: ${mb(ours.seconds).toFixed(0)} MB/s = ${(v.videoSeconds / ours.seconds).toFixed(0)}x real time of 1080p30 video (${v.videoMegabytesPerSecond.toFixed(2)} MB/s)`);
    results.push({ title: `Verify a recording, ${v.profile.name}`, bytes: v.ageBytes, rows: v.rows });
  }
  if (!options.filter || "docking".includes(options.filter.toLowerCase())) {
    const cameras = 50;
    const d = await measureDocking({ cameras, seconds: options.quick ? 2 : 10 });
    try {
      const mb = (s: number) => (d.bytes / s / 1e6).toFixed(1);
      print("");
      print(`Docking: ${cameras} cameras at once to one dock on loopback, each with ${(d.segments / cameras).toFixed(0)} segments of the fixture (640x360, 1 s segments) in its own flash`);
      print(`  ${"implementation".padEnd(44)} ${"wall time".padStart(9)} ${"throughput".padStart(10)}  ${"segments/s".padStart(10)}  ratio`);
      print(`  ${"sealcam dock: auth, upload, checks, receipts".padEnd(44)} ${(d.seconds.toFixed(2) + " s").padStart(9)} ${(mb(d.seconds) + " MB/s").padStart(10)}  ${(d.segments / d.seconds).toFixed(0).padStart(10)}`);
      if (d.referenceSeconds !== undefined) {
        print(`  ${"bare node:http PUT of the same bytes".padEnd(44)} ${(d.referenceSeconds.toFixed(2) + " s").padStart(9)} ${(mb(d.referenceSeconds) + " MB/s").padStart(10)}  ${(d.segments / d.referenceSeconds).toFixed(0).padStart(10)}  ${(d.referenceSeconds / d.seconds).toFixed(2)}x`);
      }
      print(`  ${d.segments} segments (${(d.bytes / 1e6).toFixed(1)} MB) uploaded, ${d.receipts} receipts accepted by the cameras' modules, every queue emptied`);
      results.push({ title: `Docking, ${cameras} cameras`, bytes: d.bytes, rows: [] });
    } finally {
      d.cleanup();
    }
  }
  const targets = results.filter((r) => r.target);
  if (targets.length) {
    print("");
    print("targets (sealcam / reference, same run)");
    for (const r of targets) {
      const t = r.target!;
      const line = t.against.endsWith("MB/s")
        ? `${r.title.padEnd(60)} ${t.ratio.toFixed(0)} MB/s  (target >= ${t.min} MB/s)`
        : `${(r.title + " vs " + t.against.split(" ")[0]).padEnd(60)} ${t.ratio.toFixed(2)}x  (target >= ${t.min.toFixed(1)}x)`;
      print(`  ${line}  ${t.met ? "met" : "FALLS SHORT"}`);
    }
  }
  return results;
}
