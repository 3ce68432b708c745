// Timing for the benchmark: implementations of one operation are measured in
// interleaved rounds (so drift in machine load hits all of them alike), each
// round a batch long enough to dwarf timer resolution; the figure kept is the
// median time per operation over the rounds.

export interface Contender {
  /** Who: "sealcam (V8)", "node:crypto", ... */
  name: string;
  /** One operation. It may return a value so the work cannot be optimised away. */
  run: () => unknown;
  /** True for sealcam's own rows. */
  ours?: boolean;
}

export interface Measured {
  name: string;
  ours: boolean;
  /** Median seconds per operation. */
  seconds: number;
}

export interface Options {
  /** Rounds of every contender (the median is over these). */
  rounds: number;
  /** Target duration of one batch, in seconds. */
  batchSeconds: number;
}

let sink: unknown;

function timeBatch(run: () => unknown, n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Measures every contender of one operation, interleaved, and returns medians. */
export function measure(contenders: Contender[], options: Options): Measured[] {
  // Warm up (lets V8 tier up the module and the JS) and size the batches.
  const sizes = contenders.map((c) => {
    let n = 1;
    for (;;) {
      const t = timeBatch(c.run, n);
      if (t >= options.batchSeconds / 4 || n >= 1 << 24) return Math.max(1, Math.ceil((n * options.batchSeconds) / Math.max(t, 1e-6)));
      n *= 2;
    }
  });
  const samples: number[][] = contenders.map(() => []);
  for (let r = 0; r < options.rounds; r++) {
    contenders.forEach((c, i) => samples[i].push(timeBatch(c.run, sizes[i]) / sizes[i]));
  }
  void sink;
  return contenders.map((c, i) => ({ name: c.name, ours: !!c.ours, seconds: median(samples[i]) }));
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
