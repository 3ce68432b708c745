// ChaCha20 (RFC 8439): known answers from sections 2.3.2, 2.4.2 and appendix
// A.1/A.2, split and length equivalence of the streaming form, counter limit.
// Runs in the SIMD and the scalar build: both must give these bytes.
import { hexTo, toHex, asciiTo, SUBMISSION } from "./hex";
import { OK, ERR_COUNTER } from "../errors";
import { chacha20, chacha20_init, chacha20_update, chacha20_final, CHACHA20_CTX_BYTES } from "../crypto/chacha20";

const KEY = memory.data(32, 16);
const NONCE = memory.data(16, 16);
const MSG = memory.data(2048, 16);
const OUT = memory.data(2048, 16);
const REF = memory.data(2048, 16);
const ZERO = memory.data(2048, 16);
const CTX = memory.data(256, 16);

/** Fills `len` bytes at `p` with a fixed non-trivial pattern. */
function pattern(p: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) store<u8>(p + i, <u8>(i * 131 + (i >> 8) * 7 + 1));
}

/** Keystream-XOR reference: the streaming API fed one byte per call. */
function byteAtATime(out: usize, msg: usize, len: usize, counter: u32): void {
  chacha20_init(CTX, KEY, NONCE, counter);
  for (let i: usize = 0; i < len; i++) chacha20_update(CTX, out + i, msg + i, 1);
  chacha20_final(CTX);
}

function keystreamHex(key: string, nonce: string, counter: u32): string {
  hexTo(KEY, key);
  hexTo(NONCE, nonce);
  expect(chacha20(OUT, ZERO, 64, KEY, NONCE, counter)).toBe(OK);
  return toHex(OUT, 64);
}

describe("chacha20", () => {
  it("2.3.2 block function (covers the 2.1.1/2.2.1 quarter round, which is inlined)", () => {
    expect(keystreamHex(
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "000000090000004a00000000", 1,
    )).toBe(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
      + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e",
    );
  });

  it("2.4.2 encryption (sunscreen)", () => {
    hexTo(KEY, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    hexTo(NONCE, "000000000000004a00000000");
    const n = asciiTo(MSG, "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    expect(n).toBe(114);
    expect(chacha20(OUT, MSG, n, KEY, NONCE, 1)).toBe(OK);
    expect(toHex(OUT, n)).toBe(
      "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
      + "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
      + "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
      + "5af90bbf74a35be6b40b8eedf2785e42874d",
    );
  });

  it("A.1 block function test vectors #1-#5", () => {
    const z = "0000000000000000000000000000000000000000000000000000000000000000";
    expect(keystreamHex(z, "000000000000000000000000", 0)).toBe(
      "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
      + "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
    );
    expect(keystreamHex(z, "000000000000000000000000", 1)).toBe(
      "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
      + "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f",
    );
    expect(keystreamHex(
      "0000000000000000000000000000000000000000000000000000000000000001", "000000000000000000000000", 1,
    )).toBe(
      "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
      + "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0",
    );
    expect(keystreamHex(
      "00ff000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", 2,
    )).toBe(
      "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
      + "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096",
    );
    expect(keystreamHex(z, "000000000000000000000002", 0)).toBe(
      "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
      + "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d",
    );
  });

  it("A.2 encryption test vectors #1-#3", () => {
    // #1: all-zero key, nonce and plaintext, counter 0: the A.1 #1 block.
    hexTo(KEY, "0000000000000000000000000000000000000000000000000000000000000000");
    hexTo(NONCE, "000000000000000000000000");
    expect(chacha20(OUT, ZERO, 64, KEY, NONCE, 0)).toBe(OK);
    expect(toHex(OUT, 64)).toBe(
      "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
      + "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
    );
    // #2: 375 bytes from counter 1.
    hexTo(KEY, "0000000000000000000000000000000000000000000000000000000000000001");
    hexTo(NONCE, "000000000000000000000002");
    const n = asciiTo(MSG, SUBMISSION);
    expect(n).toBe(375);
    expect(chacha20(OUT, MSG, n, KEY, NONCE, 1)).toBe(OK);
    expect(toHex(OUT, n)).toBe(
      "a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec"
      + "2a97948bd3722915c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d"
      + "4042e02785ececfa4b4bb5e8ead0440e20b6e8db09d881a7c6132f420e527950"
      + "42bdfa7773d8a9051447b3291ce1411c680465552aa6c405b7764d5e87bea85a"
      + "d00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259d"
      + "c4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b"
      + "0871cdac638939e25e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6c"
      + "cc3aaf9f3979c92b3720fc88dc95ed84a1be059c6499b9fda236e7e818b04b0b"
      + "c39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80ef2554d7189c411f"
      + "5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6"
      + "98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab"
      + "7ac61dd29c6f21ba5b862f3730e37cfdc4fd806c22f221",
    );
    // #3: 127 bytes from counter 42.
    hexTo(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    const m = asciiTo(MSG, "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\n"
      + "All mimsy were the borogoves,\nAnd the mome raths outgrabe.");
    expect(m).toBe(127);
    expect(chacha20(OUT, MSG, m, KEY, NONCE, 42)).toBe(OK);
    expect(toHex(OUT, m)).toBe(
      "62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf"
      + "166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb"
      + "f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f77"
      + "04c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1",
    );
  });

  it("every split point of a 600-byte message equals one-shot (also in place)", () => {
    hexTo(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    hexTo(NONCE, "000000000102030405060708");
    const len: usize = 600;
    pattern(MSG, len);
    expect(chacha20(REF, MSG, len, KEY, NONCE, 7)).toBe(OK);
    for (let k: usize = 0; k <= len; k++) {
      memory.fill(OUT, 0, len);
      chacha20_init(CTX, KEY, NONCE, 7);
      expect(chacha20_update(CTX, OUT, MSG, k)).toBe(OK);
      expect(chacha20_update(CTX, OUT + k, MSG + k, len - k)).toBe(OK);
      chacha20_final(CTX);
      expect(memory.compare(OUT, REF, len)).toBe(0, "split at " + k.toString());
    }
    // In place, split in three.
    memory.copy(OUT, MSG, len);
    chacha20_init(CTX, KEY, NONCE, 7);
    chacha20_update(CTX, OUT, OUT, 1);
    chacha20_update(CTX, OUT + 1, OUT + 1, 512);
    chacha20_update(CTX, OUT + 513, OUT + 513, len - 513);
    chacha20_final(CTX);
    expect(memory.compare(OUT, REF, len)).toBe(0);
  });

  it("lengths 0..300 and around 512/1024 equal a byte-at-a-time reference", () => {
    hexTo(KEY, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    hexTo(NONCE, "000000000000004a00000000");
    pattern(MSG, 1100);
    for (let len: usize = 0; len <= 1100; len++) {
      if (len > 300 && !(len >= 500 && len <= 530) && !(len >= 1010 && len <= 1040)) continue;
      byteAtATime(REF, MSG, len, 3);
      memory.fill(OUT, 0xee, len + 1);
      expect(chacha20(OUT, MSG, len, KEY, NONCE, 3)).toBe(OK);
      expect(memory.compare(OUT, REF, len)).toBe(0, "length " + len.toString());
      expect(load<u8>(OUT + len)).toBe(0xee); // nothing written past the end
    }
  });

  it("the last 8 counters (0xfffffff8..0xffffffff) still work in bulk", () => {
    hexTo(KEY, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    hexTo(NONCE, "000000000000004a00000000");
    pattern(MSG, 512);
    byteAtATime(REF, MSG, 512, 0xfffffff8);
    expect(chacha20(OUT, MSG, 512, KEY, NONCE, 0xfffffff8)).toBe(OK);
    expect(memory.compare(OUT, REF, 512)).toBe(0);
  });

  it("ERR_COUNTER when the 32-bit counter would wrap; nothing written", () => {
    hexTo(KEY, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    hexTo(NONCE, "000000000000004a00000000");
    pattern(MSG, 200);
    chacha20_init(CTX, KEY, NONCE, 0xffffffff);
    expect(chacha20_update(CTX, OUT, MSG, 64)).toBe(OK); // block 0xffffffff
    memory.fill(OUT, 0x5a, 64);
    expect(chacha20_update(CTX, OUT, MSG, 1)).toBe(ERR_COUNTER);
    expect(toHex(OUT, 4)).toBe("5a5a5a5a");
    expect(chacha20_update(CTX, OUT, MSG, 0)).toBe(OK);
    chacha20_final(CTX);
    // Partial last block: 10 + 54 bytes fit, the 65th does not.
    chacha20_init(CTX, KEY, NONCE, 0xffffffff);
    expect(chacha20_update(CTX, OUT, MSG, 10)).toBe(OK);
    expect(chacha20_update(CTX, OUT, MSG, 55)).toBe(ERR_COUNTER);
    expect(chacha20_update(CTX, OUT, MSG, 54)).toBe(OK);
    expect(chacha20_update(CTX, OUT, MSG, 1)).toBe(ERR_COUNTER);
    chacha20_final(CTX);
    // One-shot: 128 bytes from 0xfffffffe fit, 129 do not.
    expect(chacha20(OUT, MSG, 128, KEY, NONCE, 0xfffffffe)).toBe(OK);
    memory.fill(OUT, 0x5a, 200);
    expect(chacha20(OUT, MSG, 129, KEY, NONCE, 0xfffffffe)).toBe(ERR_COUNTER);
    expect(toHex(OUT, 4)).toBe("5a5a5a5a");
  });

  it("final wipes the context", () => {
    hexTo(KEY, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    hexTo(NONCE, "000000000000004a00000000");
    chacha20_init(CTX, KEY, NONCE, 1);
    chacha20_update(CTX, OUT, ZERO, 10);
    chacha20_final(CTX);
    for (let i: i32 = 0; i < CHACHA20_CTX_BYTES; i++) expect(load<u8>(CTX + i)).toBe(0);
  });
});
