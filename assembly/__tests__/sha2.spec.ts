// SHA-256 and SHA-512 known answers from FIPS 180-4's example set (NIST CSRC
// "Examples with Intermediate Values": SHA256.pdf / SHA512.pdf, one-block
// "abc", the two-block 448- and 896-bit messages, and one million 'a'), the
// empty string, plus streaming: every split point of a 300-byte message gives
// the one-shot digest.
import { asciiTo, toHex } from "./hex";
import {
  SHA256_BYTES, SHA256_BLOCK_BYTES, SHA256_CTX_BYTES,
  sha256, sha256_init, sha256_update, sha256_final,
} from "../crypto/sha256";
import {
  SHA512_BYTES, SHA512_BLOCK_BYTES, SHA512_CTX_BYTES,
  sha512, sha512_init, sha512_update, sha512_final,
} from "../crypto/sha512";

const MSG = memory.data(1024, 16);
const OUT = memory.data(64, 16);
const OUT2 = memory.data(64, 16);
const CTX = memory.data(256, 16);

const M448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const M896 =
  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

function h256(text: string): string {
  const n = asciiTo(MSG, text);
  sha256(OUT, MSG, n);
  return toHex(OUT, 32);
}

function h512(text: string): string {
  const n = asciiTo(MSG, text);
  sha512(OUT, MSG, n);
  return toHex(OUT, 64);
}

// The 300-byte split-test message: byte i is (7i + 3) mod 256.
function fill300(): usize {
  for (let i = 0; i < 300; i++) store<u8>(MSG + i, <u8>(i * 7 + 3));
  return 300;
}

function allZero(p: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) != 0) return false;
  return true;
}

describe("sha256", () => {
  it("exports its sizes", () => {
    expect(SHA256_BYTES).toBe(32);
    expect(SHA256_BLOCK_BYTES).toBe(64);
    expect(SHA256_CTX_BYTES).toBe(104);
  });

  it("FIPS 180-4 examples: empty, abc, 448-bit, 896-bit", () => {
    expect(h256("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(h256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(h256(M448)).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    expect(h256(M896)).toBe("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  });

  it("FIPS 180-4 example: one million 'a' in 1000 streaming updates", () => {
    memory.fill(MSG, 0x61, 1000);
    sha256_init(CTX);
    for (let i = 0; i < 1000; i++) sha256_update(CTX, MSG, 1000);
    sha256_final(CTX, OUT);
    expect(toHex(OUT, 32)).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("every split point of a 300-byte message gives the one-shot digest", () => {
    const n = fill300();
    sha256(OUT, MSG, n);
    // Digest of this message from OpenSSL (node:crypto).
    const want = "04773f8726c81cafcfa1a09a82664b98b00d2021031a1715bca1154f2dad3472";
    expect(toHex(OUT, 32)).toBe(want);
    for (let i: usize = 0; i <= n; i++) {
      // two parts, then three parts with an empty update in between
      sha256_init(CTX);
      sha256_update(CTX, MSG, i);
      sha256_update(CTX, MSG + i, n - i);
      sha256_final(CTX, OUT2);
      expect(toHex(OUT2, 32)).toBe(want);
      const j = i + ((n - i) >> 1);
      sha256_init(CTX);
      sha256_update(CTX, MSG, i);
      sha256_update(CTX, MSG + i, 0);
      sha256_update(CTX, MSG + i, j - i);
      sha256_update(CTX, MSG + j, n - j);
      sha256_final(CTX, OUT2);
      expect(toHex(OUT2, 32)).toBe(want);
    }
  });

  it("final wipes the context", () => {
    memory.fill(CTX, 0xee, 256);
    sha256_init(CTX);
    sha256_update(CTX, MSG, 100);
    sha256_final(CTX, OUT);
    expect(allZero(CTX, SHA256_CTX_BYTES)).toBe(true);
    expect(load<u8>(CTX + SHA256_CTX_BYTES)).toBe(0xee);
  });
});

describe("sha512", () => {
  it("exports its sizes", () => {
    expect(SHA512_BYTES).toBe(64);
    expect(SHA512_BLOCK_BYTES).toBe(128);
    expect(SHA512_CTX_BYTES).toBe(208);
  });

  it("FIPS 180-4 examples: empty, abc, 448-bit, 896-bit", () => {
    expect(h512("")).toBe(
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" +
      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    expect(h512("abc")).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    expect(h512(M448)).toBe(
      "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335" +
      "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
    expect(h512(M896)).toBe(
      "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018" +
      "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
  });

  it("FIPS 180-4 example: one million 'a' in 1000 streaming updates", () => {
    memory.fill(MSG, 0x61, 1000);
    sha512_init(CTX);
    for (let i = 0; i < 1000; i++) sha512_update(CTX, MSG, 1000);
    sha512_final(CTX, OUT);
    expect(toHex(OUT, 64)).toBe(
      "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb" +
      "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
  });

  it("every split point of a 300-byte message gives the one-shot digest", () => {
    const n = fill300();
    sha512(OUT, MSG, n);
    // Digest of this message from OpenSSL (node:crypto).
    const want =
      "46e56ad30db9ef50f8b6762ba55839737f3fba34ab47863c9daff7b3f58f97fe" +
      "3465a52dd364560db47f802909ced49093322621ea0aebf8e0696b85ca8f81f0";
    expect(toHex(OUT, 64)).toBe(want);
    for (let i: usize = 0; i <= n; i++) {
      sha512_init(CTX);
      sha512_update(CTX, MSG, i);
      sha512_update(CTX, MSG + i, n - i);
      sha512_final(CTX, OUT2);
      expect(toHex(OUT2, 64)).toBe(want);
      const j = i + ((n - i) >> 1);
      sha512_init(CTX);
      sha512_update(CTX, MSG, i);
      sha512_update(CTX, MSG + i, 0);
      sha512_update(CTX, MSG + i, j - i);
      sha512_update(CTX, MSG + j, n - j);
      sha512_final(CTX, OUT2);
      expect(toHex(OUT2, 64)).toBe(want);
    }
  });

  it("final wipes the context", () => {
    memory.fill(CTX, 0xee, 256);
    sha512_init(CTX);
    sha512_update(CTX, MSG, 200);
    sha512_final(CTX, OUT);
    expect(allZero(CTX, SHA512_CTX_BYTES)).toBe(true);
    expect(load<u8>(CTX + SHA512_CTX_BYTES)).toBe(0xee);
  });
});
