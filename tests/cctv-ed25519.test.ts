// C2SP CCTV Ed25519 edge cases, against sealcam's strict verification rules
// (docs/DESIGN.md, "Ed25519 verification rules"): a signature is accepted
// only when no point is small-order or non-canonically encoded and the
// cofactorless equation holds.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { loadCrypto, TEST_BUILDS, unhex } from "./helpers/module.ts";
import { loadVectors } from "./helpers/vectors.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import type { Crypto } from "../host/engine/crypto.ts";

const REJECT_FLAGS = ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R", "low_order_residue", "reencoded_k"];

for (const build of TEST_BUILDS) {
  describe(`cctv ed25519 (${build} build)`, () => {
    let c: Crypto;
    before(async () => {
      c = await loadCrypto(build);
    });

    it("accepts exactly the vectors the strict rules accept, with the reason code", () => {
      const vectors = loadVectors<any[]>("cctv-ed25519/ed25519vectors.json");
      assert.ok(vectors.length > 900);
      let accepted = 0;
      for (const v of vectors) {
        const flags: string[] = v.flags ?? [];
        const id = `vector ${v.number} [${flags.join(" ")}]`;
        const code = c.ed25519Verify(unhex(v.key), new TextEncoder().encode(v.msg), unhex(v.sig));
        const reject = flags.some((f) => REJECT_FLAGS.includes(f));
        if (!reject) {
          assert.equal(code, MODULE_ERRORS.OK.code, id);
          accepted++;
          continue;
        }
        assert.notEqual(code, MODULE_ERRORS.OK.code, id);
        // The reason is the first rule that fails (encoding, then small order, then the equation).
        const nonCanonical = flags.includes("non_canonical_A") || flags.includes("non_canonical_R");
        const lowOrder = flags.includes("low_order_A") || flags.includes("low_order_R");
        const expected = nonCanonical ? "ERR_BAD_POINT" : lowOrder ? "ERR_SMALL_ORDER" : "ERR_SIGNATURE";
        assert.equal(code, MODULE_ERRORS[expected].code, `${id}: expected ${expected}`);
      }
      assert.ok(accepted > 0, "some vectors must be accepted");
    });
  });
}
