// Shared test set-up: instantiate a build of the module, and after the file's
// tests check that its linear memory never grew (the module's memory is fixed:
// initial = maximum, and nothing may allocate after init).
import { after } from "node:test";
import assert from "node:assert/strict";
import { instantiateV8, type Build } from "../../host/engine/index.ts";
import { Crypto } from "../../host/engine/crypto.ts";

/** The builds every crypto test runs against: SIMD and scalar. */
export const TEST_BUILDS: Build[] = ["release", "scalar"];

/** True when CI asks for everything: missing tools fail, case counts go up. */
export const REQUIRE_ALL = process.env.SEALCAM_REQUIRE_ALL === "1";

export const MAX_PAGES = 8;

/** Loads a build and registers an after-hook asserting its memory stayed the same size. */
export async function loadCrypto(build: Build): Promise<Crypto> {
  const instance = await instantiateV8(build);
  const before = instance.memory.buffer.byteLength;
  after(() => {
    assert.equal(instance.memory.buffer.byteLength, before, `${build}: module memory changed size`);
    assert.ok(before <= MAX_PAGES * 65536, `${build}: module memory ${before} bytes exceeds ${MAX_PAGES} pages`);
  });
  return new Crypto(instance);
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
