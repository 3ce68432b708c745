// Board definitions (boards/*.json): what a camera's hardware is, as data.
// For now a board names its flash geometry; later issues add its policies.
//
// A board is named (`sim` reads boards/sim.json) or given as a path to a
// JSON file. Every member is checked; an unknown member is an error, so a
// misspelt setting cannot be silently ignored.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SealcamError, EXIT } from "../errors.ts";
import { checkGeometry, type FlashGeometry } from "./device.ts";

export const BOARDS_DIR = fileURLToPath(new URL("../../boards/", import.meta.url));
export const DEFAULT_BOARD = "sim";

export interface Board {
  name: string;
  description: string;
  flash: FlashGeometry;
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
  for (const key of Object.keys(o)) if (!["name", "description", "flash"].includes(key)) throw bad(nameOrPath, `unknown member '${key}'`);
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
  return { name: o.name, description: o.description, flash };
}
