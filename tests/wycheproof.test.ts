// Every case of the Wycheproof files for the primitives of the crypto core,
// valid and invalid (and "acceptable"), each checked against its expected
// result, on the SIMD and the scalar build.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { loadCrypto, TEST_BUILDS, hex, unhex } from "./helpers/module.ts";
import { wycheproofCases } from "./helpers/vectors.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import type { Crypto } from "../host/engine/crypto.ts";

const ERR = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([k, v]) => [k, v.code]));

for (const build of TEST_BUILDS) {
  describe(`wycheproof (${build} build)`, () => {
    let c: Crypto;
    before(async () => {
      c = await loadCrypto(build);
    });

    it("chacha20_poly1305_test.json: every case", () => {
      const cases = wycheproofCases("chacha20_poly1305_test.json");
      assert.ok(cases.length > 300);
      for (const { group, test } of cases) {
        const id = `tcId ${test.tcId} (${test.comment})`;
        const [key, iv, aad, msg, ct, tag] = [test.key, test.iv, test.aad, test.msg, test.ct, test.tag].map(unhex);
        if (group.ivSize !== 96) {
          // The module takes 96-bit nonces only; the host refuses other sizes.
          assert.equal(test.result, "invalid", id);
          assert.throws(() => c.aeadEncrypt(key, iv, msg, aad), /nonce must be 12 bytes/, id);
          continue;
        }
        const sealed = new Uint8Array([...ct, ...tag]);
        const opened = c.aeadDecrypt(key, iv, sealed, aad);
        if (test.result === "valid") {
          assert.equal(hex(c.aeadEncrypt(key, iv, msg, aad)), hex(sealed), id);
          assert.ok(opened instanceof Uint8Array, id);
          assert.equal(hex(opened as Uint8Array), test.msg, id);
        } else {
          assert.equal(opened, ERR.ERR_AUTH, id);
        }
      }
    });

    it("hmac_sha256_test.json: every case", () => {
      const cases = wycheproofCases("hmac_sha256_test.json");
      assert.ok(cases.length > 150);
      for (const { group, test } of cases) {
        const id = `tcId ${test.tcId} (${test.comment})`;
        const mac = c.hmacSha256(unhex(test.key), unhex(test.msg)).subarray(0, group.tagSize / 8);
        // A tag matches only when every byte matches (the module compares in constant time;
        // here the expected result is what is checked).
        assert.equal(hex(mac) === test.tag, test.result === "valid", id);
      }
    });

    it("hkdf_sha256_test.json: every case", () => {
      const cases = wycheproofCases("hkdf_sha256_test.json");
      assert.ok(cases.length > 80);
      for (const { test } of cases) {
        const id = `tcId ${test.tcId} (${test.comment})`;
        const args = [unhex(test.ikm), unhex(test.salt), unhex(test.info), test.size] as const;
        if (test.result === "valid") {
          assert.equal(hex(c.hkdfSha256(...args)), test.okm, id);
        } else {
          assert.throws(() => c.hkdfSha256(...args), (e: any) => e.moduleCode === ERR.ERR_LENGTH, id);
        }
      }
    });

    it("x25519_test.json: every case", () => {
      const cases = wycheproofCases("x25519_test.json");
      assert.ok(cases.length > 500);
      for (const { test } of cases) {
        const id = `tcId ${test.tcId} (${test.comment}) [${test.flags}]`;
        const { shared, code } = c.x25519(unhex(test.private), unhex(test.public));
        // Valid and acceptable cases both have a defined shared value; the all-zero
        // result (low-order public keys) is computed and then refused with ERR_LOW_ORDER.
        assert.equal(hex(shared), test.shared, id);
        const zero = /^(00)+$/.test(test.shared);
        assert.equal(code, zero ? ERR.ERR_LOW_ORDER : ERR.OK, id);
        if (zero) assert.equal(test.result, "acceptable", id);
      }
    });

    it("ed25519_test.json: every case", () => {
      const cases = wycheproofCases("ed25519_test.json");
      assert.ok(cases.length > 150);
      for (const { group, test } of cases) {
        const id = `tcId ${test.tcId} (${test.comment})`;
        const code = c.ed25519Verify(unhex(group.publicKey.pk), unhex(test.msg), unhex(test.sig));
        if (test.result === "valid") assert.equal(code, ERR.OK, id);
        else assert.notEqual(code, ERR.OK, id);
      }
    });
  });
}
