// The V8 engine: Node's own WebAssembly, loaded with @assemblyscript/loader
// (the module is built with --exportRuntime so the loader finds its runtime).
import { readFileSync } from "node:fs";
import * as loader from "@assemblyscript/loader";
import { wasmPath, type Build, type Instance } from "./index.ts";

/** Instantiates one build of the module under V8. It needs no imports yet. */
export async function instantiateV8(build: Build = "release"): Promise<Instance> {
  const bytes = readFileSync(wasmPath(build));
  const { exports } = await loader.instantiate(bytes, {});
  return { engine: "v8", build, exports, memory: exports.memory as WebAssembly.Memory };
}
