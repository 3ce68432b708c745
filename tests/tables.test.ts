// Generated tables are source: the committed file must be exactly what its
// generator prints, so nobody can edit a constant by hand unnoticed.
import { it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

it("assembly/crypto/ed25519_table.ts is the output of scripts/gen-ed25519-table.mjs", () => {
  const generated = execFileSync(process.execPath, [root("scripts/gen-ed25519-table.mjs"), "--stdout"], { encoding: "utf8" });
  assert.ok(generated.length > 10_000, "the generator printed a table");
  assert.equal(generated, readFileSync(root("assembly/crypto/ed25519_table.ts"), "utf8"));
});
