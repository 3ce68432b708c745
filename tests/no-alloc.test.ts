// "No allocation after init", checked on the compiled code: in the text form
// of every build (written beside the .wasm by asc), no function outside
// AssemblyScript's runtime calls into the runtime or touches the stub
// allocator's bump pointer. A `new`, an array or a string anywhere in
// assembly/ would show up here as a call to $~lib/rt/stub/__new or __alloc.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUILDS, wasmPath } from "../host/engine/index.ts";

const RUNTIME = /^\$~lib\/rt\//;

for (const build of BUILDS) {
  describe(`no allocation (${build} build)`, () => {
    const wat = readFileSync(wasmPath(build).replace(/\.wasm$/, ".wat"), "utf8");
    const functions = wat.split("\n (func ").slice(1).map((body) => ({ name: body.slice(0, body.search(/[\s)]/)), body }));

    it("the text form lists the module's functions", () => {
      assert.ok(functions.length > 20, `only ${functions.length} functions found`);
      assert.ok(functions.some((f) => f.name === "$~lib/rt/stub/__new"), "the runtime's __new is present (exported for the loader)");
    });

    it("no function outside the runtime calls the runtime or moves the heap pointer", () => {
      // The start function (module instantiation, i.e. init) may set the heap
      // base once; it must not allocate either.
      const touchesHeap = (f: { name: string; body: string }) =>
        f.name === "$~start" ? /global\.get \$~lib\/rt\/stub\/offset/.test(f.body) : /global\.(get|set) \$~lib\/rt\/stub\/offset/.test(f.body);
      const offenders = functions
        .filter((f) => !RUNTIME.test(f.name))
        .filter((f) => /call \$~lib\/rt\//.test(f.body) || touchesHeap(f))
        .map((f) => f.name);
      assert.deepEqual(offenders, []);
    });
  });
}
