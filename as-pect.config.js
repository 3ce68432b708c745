// as-pect runs the AssemblyScript unit tests (assembly/__tests__/*.spec.ts):
// known-answer tests from the RFCs and FIPS, compiled straight from the
// sources. `npm test` runs it twice: with SIMD (as-pect.asconfig.json) and
// without (as-pect.scalar.asconfig.json), so both code paths are proven.
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
