import { hexTo, toHex } from "./hex";
import { x25519, x25519_public, X25519_BYTES } from "../crypto/x25519";
import { OK, ERR_LOW_ORDER } from "../errors";

const K = memory.data(32, 16);
const U = memory.data(32, 16);
const OUT = memory.data(32, 16);
const OUT2 = memory.data(32, 16);

const NINE = "0900000000000000000000000000000000000000000000000000000000000000";

/** x25519(scalar, u) as hex, checking it returns `rc`. */
function dh(scalar: string, u: string, rc: i32 = OK): string {
  hexTo(K, scalar);
  hexTo(U, u);
  expect(x25519(OUT, K, U)).toBe(rc);
  return toHex(OUT, 32);
}

describe("x25519", () => {
  it("has 32-byte keys", () => {
    expect(X25519_BYTES).toBe(32);
  });

  it("RFC 7748 section 5.2: first single-step vector", () => {
    expect(dh("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
              "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))
      .toBe("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  });

  it("RFC 7748 section 5.2: second single-step vector (u has bit 255 set)", () => {
    expect(dh("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
              "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))
      .toBe("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
  });

  it("RFC 7748 section 5.2: iterated vector after 1 and 1,000 iterations", () => {
    // k = u = 9; each round: r = X25519(k, u), u = k, k = r.
    hexTo(K, NINE);
    hexTo(U, NINE);
    for (let i = 1; i <= 1000; i++) {
      x25519(OUT, K, U);
      memory.copy(U, K, 32);
      memory.copy(K, OUT, 32);
      if (i == 1) {
        expect(toHex(K, 32)).toBe("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
      }
    }
    expect(toHex(K, 32)).toBe("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
  });

  it("RFC 7748 section 6.1: Alice and Bob's keys and shared secret", () => {
    const alice = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    const alicePub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    const bob = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    const bobPub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    hexTo(K, alice);
    x25519_public(OUT, K);
    expect(toHex(OUT, 32)).toBe(alicePub);
    hexTo(K, bob);
    x25519_public(OUT, K);
    expect(toHex(OUT, 32)).toBe(bobPub);
    // The ladder on u = 9 gives the same public keys as the fixed-base path.
    expect(dh(alice, NINE)).toBe(alicePub);
    expect(dh(bob, NINE)).toBe(bobPub);
    expect(dh(alice, bobPub)).toBe(shared);
    expect(dh(bob, alicePub)).toBe(shared);
  });

  it("x25519_public may write over its scalar", () => {
    hexTo(K, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    x25519_public(K, K);
    expect(toHex(K, 32)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  });

  it("RFC 7748 section 5: ignores bit 255 of u and reduces a non-canonical u", () => {
    const k = "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4";
    const want = dh(k, NINE);
    // 9 with bit 255 set, and 9 + p = 2^255 - 10
    expect(dh(k, "0900000000000000000000000000000000000000000000000000000000000080")).toBe(want);
    expect(dh(k, "f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")).toBe(want);
  });

  it("returns ERR_LOW_ORDER, with an all-zero output, for points of small order", () => {
    const k = "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4";
    const zero = "0000000000000000000000000000000000000000000000000000000000000000";
    expect(dh(k, zero, ERR_LOW_ORDER)).toBe(zero);                       // u = 0 (order 4 / neutral)
    expect(dh(k, "0100000000000000000000000000000000000000000000000000000000000000",
              ERR_LOW_ORDER)).toBe(zero);                                   // u = 1 (order 4 on the twist)
    expect(dh(k, "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
              ERR_LOW_ORDER)).toBe(zero);                                   // order 8
    expect(dh(k, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
              ERR_LOW_ORDER)).toBe(zero);                                   // u = p, i.e. 0
  });

  it("agrees with itself across both parties for derived keys", () => {
    // Not a KAT: a consistency check that the ladder and the fixed-base path
    // meet, on keys unlike the RFC's.
    hexTo(K, "0101010101010101010101010101010101010101010101010101010101010101");
    x25519_public(U, K);
    hexTo(OUT2, "fefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefe");
    x25519_public(OUT, OUT2);
    expect(x25519(OUT, K, OUT)).toBe(OK);
    const ab = toHex(OUT, 32);
    expect(x25519(OUT, OUT2, U)).toBe(OK);
    expect(toHex(OUT, 32)).toBe(ab);
  });
});
