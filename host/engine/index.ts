// One interface over the engines that run the firmware module. Issue 2 has the
// V8 engine (Node's WebAssembly through @assemblyscript/loader); wasmtime and
// wasm2c join it behind the same interface later.
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { SealcamError, EXIT } from "../errors.ts";

/** The three builds of the module, made by `npm run build` from asconfig.json. */
export type Build = "release" | "scalar" | "debug";
export const BUILDS: readonly Build[] = ["release", "scalar", "debug"];

/** An instantiated module: its exports and its (fixed) linear memory. */
export interface Instance {
  readonly engine: string;
  readonly build: Build;
  readonly exports: Record<string, any>;
  readonly memory: WebAssembly.Memory;
}

const FILES: Record<Build, string> = {
  release: "sealcam.wasm",
  scalar: "sealcam-scalar.wasm",
  debug: "sealcam-debug.wasm",
};

/** Path of a build's .wasm file; a clear error if it was never built. */
export function wasmPath(build: Build): string {
  const path = fileURLToPath(new URL(`../../build/${FILES[build]}`, import.meta.url));
  if (!existsSync(path)) {
    throw new SealcamError(`module not built: ${path} is missing (run: npm run build)`, EXIT.SETUP);
  }
  return path;
}

export { instantiateV8 } from "./v8.ts";
