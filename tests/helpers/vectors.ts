// Reads the third-party test vectors from ../shared/vectors (never copied in),
// or from SEALCAM_VECTORS when a checkout does not sit beside them (a clone
// in a temporary folder).
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const VECTORS = process.env.SEALCAM_VECTORS
  ? join(process.env.SEALCAM_VECTORS, "/")
  : fileURLToPath(new URL("../../../shared/vectors/", import.meta.url));

/** Parsed JSON of a vector file under ../shared/vectors; a clear failure if absent. */
export function loadVectors<T = any>(relative: string): T {
  const path = VECTORS + relative;
  if (!existsSync(path)) throw new Error(`test vectors missing: ${path} (../shared/vectors must sit beside the checkout, or SEALCAM_VECTORS name it)`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Every test of a Wycheproof file, with its group. */
export function wycheproofCases(file: string): Array<{ group: any; test: any }> {
  const doc = loadVectors(`wycheproof/${file}`);
  const out: Array<{ group: any; test: any }> = [];
  for (const group of doc.testGroups) for (const test of group.tests) out.push({ group, test });
  return out;
}
