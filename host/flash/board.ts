// Board definitions (boards/*.json): what a camera's hardware is, as data,
// and the storage policy that goes with it.
//
//   {
//     "name": "sim-small",                 a-z, 0-9 and '-'
//     "description": "…",
//     "flash": { "pageBytes": 2048, "pagesPerBlock": 32, "blocks": 128 },
//     "policy": { "reserveBlocks": 4 }
//   }
//
//   flash.pageBytes      bytes a page holds: a power of two, at least 512
//   flash.pagesPerBlock  pages an erase block holds: at least 2
//   flash.blocks         erase blocks on the chip: at least 4
//   policy               optional; without it every setting takes its default
//   policy.reserveBlocks blocks kept for the audit log (default 0): segments
//                        never take the last of them, so the camera can still
//                        log (storage full, the dock, deletions) when the
//                        flash is full of evidence; at most half the blocks.
//                        Audit blocks count against it first (DESIGN.md
//                        "Storage on the camera"). FlashStore.boot takes it.
//
// A board is named (`sim` reads boards/sim.json) or given as a path to a
// JSON file. Every member is checked; an unknown member is an error, so a
// misspelt setting cannot be silently ignored.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SealcamError, EXIT } from "../errors.ts";
import { checkGeometry, type FlashGeometry } from "./device.ts";
import type { FlashPolicy } from "./store.ts";

export const BOARDS_DIR = fileURLToPath(new URL("../../boards/", import.meta.url));
export const DEFAULT_BOARD = "sim";

export interface Board {
  name: string;
  description: string;
  flash: FlashGeometry;
  /** The storage policy, every setting filled in (pass it to FlashStore.boot). */
  policy: Required<FlashPolicy>;
}

function bad(where: string, message: string): SealcamError {
  return new SealcamError(`board ${where}: ${message}`, EXIT.USAGE);
}

/** Loads and checks a board by name (boards/NAME.json) or path. */
export function loadBoard(nameOrPath: string = DEFAULT_BOARD): Board {
  const path = /^[a-z0-9-]+$/.test(nameOrPath) ? `${BOARDS_DIR}${nameOrPath}.json` : nameOrPath;
  if (!existsSync(path)) throw bad(nameOrPath, `not found (${path})`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw bad(nameOrPath, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw bad(nameOrPath, "not a JSON object");
  for (const key of Object.keys(o)) if (!["name", "description", "flash", "policy"].includes(key)) throw bad(nameOrPath, `unknown member '${key}'`);
  if (typeof o.name !== "string" || typeof o.description !== "string") throw bad(nameOrPath, "name and description must be strings");
  const f = o.flash as Record<string, unknown>;
  if (typeof f !== "object" || f === null) throw bad(nameOrPath, "flash must be an object");
  for (const key of Object.keys(f)) if (!["pageBytes", "pagesPerBlock", "blocks"].includes(key)) throw bad(nameOrPath, `unknown member 'flash.${key}'`);
  const flash = { pageBytes: f.pageBytes, pagesPerBlock: f.pagesPerBlock, blocks: f.blocks } as FlashGeometry;
  try {
    checkGeometry(flash);
  } catch (e) {
    throw bad(nameOrPath, e instanceof Error ? e.message : String(e));
  }
  const policy = { reserveBlocks: 0 };
  if (o.policy !== undefined) {
    const q = o.policy as Record<string, unknown>;
    if (typeof q !== "object" || q === null || Array.isArray(q)) throw bad(nameOrPath, "policy must be an object");
    for (const key of Object.keys(q)) if (!["reserveBlocks"].includes(key)) throw bad(nameOrPath, `unknown member 'policy.${key}'`);
    if (q.reserveBlocks !== undefined) {
      const r = q.reserveBlocks;
      if (typeof r !== "number" || !Number.isSafeInteger(r) || r < 0 || r > flash.blocks / 2) {
        throw bad(nameOrPath, `policy.reserveBlocks must be a whole number from 0 to half the blocks (${flash.blocks / 2}), not ${JSON.stringify(r)}`);
      }
      policy.reserveBlocks = r;
    }
  }
  return { name: o.name, description: o.description, flash, policy };
}
