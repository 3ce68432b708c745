// The command line: the demo does its real work and succeeds; bad input ends
// in one clear line on stderr and exit code 2, never a stack trace.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sealcam, assertCleanError } from "./helpers/cli.ts";

describe("sealcam CLI", () => {
  it("demo: signs, seals, opens and verifies, and catches both tamperings", () => {
    const r = sealcam("demo", "--frames", "5", "--frame-bytes", "70000");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /verify\s+5 signatures and the chain in [\d.]+ ms: intact/);
    assert.match(r.out, /bit flip\s+chunk \d+: authentication tag does not match/);
    assert.match(r.out, /altered frame frame 2: frame bytes do not match their signed record/);
    assert.match(r.out, /demo: intact capture verified; both tamperings detected/);
  });

  it("no command: usage and exit 2", () => {
    const r = sealcam();
    assert.equal(r.code, 2);
    assert.match(r.out, /usage: sealcam <command>/);
  });

  it("unknown command", () => {
    assertCleanError(sealcam("frobnicate"), /^sealcam: unknown command 'frobnicate'/);
  });

  it("unknown option", () => {
    assertCleanError(sealcam("demo", "--bogus"), /^sealcam demo: Unknown option '--bogus'/);
  });

  it("bad option values", () => {
    assertCleanError(sealcam("demo", "--frames", "many"), /--frames must be a whole number from 1 to 100000, not 'many'/);
    assertCleanError(sealcam("demo", "--frame-bytes", "0"), /--frame-bytes must be a whole number/);
    assertCleanError(sealcam("bench", "--only"), /^sealcam bench: Option '--only <value>' argument missing/);
  });
});
