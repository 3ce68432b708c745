// The V8 engine: Node's own WebAssembly, loaded with @assemblyscript/loader
// (the module is built with --exportRuntime so the loader finds its runtime).
import { readFileSync } from "node:fs";
import * as loader from "@assemblyscript/loader";
import { wasmPath, DETACHED_IMPORTS, type Build, type HostImports, type Instance } from "./index.ts";

/**
 * Instantiates one build of the module under V8. `imports` wires the host
 * functions the camera ABI needs; any not given are the detached defaults
 * (DETACHED_IMPORTS), so crypto-only users pass nothing.
 */
export async function instantiateV8(build: Build = "release", imports: Partial<HostImports> = {}): Promise<Instance> {
  const bytes = readFileSync(wasmPath(build));
  const env = { ...DETACHED_IMPORTS, ...imports };
  const { exports } = await loader.instantiate(bytes, { env } as unknown as loader.Imports);
  return { engine: "v8", build, exports, memory: exports.memory as WebAssembly.Memory };
}
