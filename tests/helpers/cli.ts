// Running the `sealcam` command from tests, and the one check every bad-input
// case shares: exit 2, one line on stderr, no stack trace.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/sealcam.js", import.meta.url));

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

export interface RunOptions {
  input?: Buffer;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `sealcam ARGS…` with options (stdin, extra environment, working directory). */
export function sealcamWith(options: RunOptions, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8", timeout: options.timeoutMs ?? 180_000, input: options.input, cwd: options.cwd ?? ROOT,
    maxBuffer: 64 << 20, env: { ...process.env, ...options.env },
  });
  return { code: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}

/** Runs `sealcam ARGS…`. */
export function sealcam(...args: string[]): Run {
  return sealcamWith({}, ...args);
}

/** A refused input: exit 2, `pattern` on stderr, one line, no stack trace. */
export function assertCleanError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code (stderr: ${r.err})`);
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split("\n").length, 1, `one line on stderr, got: ${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
}
