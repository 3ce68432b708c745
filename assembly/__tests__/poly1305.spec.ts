// Poly1305 (RFC 8439): known answers from section 2.5.2 and appendix A.3
// (including the edge cases #5-#11 for partial reduction and carries), split
// and length equivalence of the streaming form.
import { hexTo, toHex, asciiTo, SUBMISSION } from "./hex";
import { poly1305, poly1305_init, poly1305_update, poly1305_final, POLY1305_CTX_BYTES } from "../crypto/poly1305";

const KEY = memory.data(32, 16);
const MSG = memory.data(2048, 16);
const TAG = memory.data(16, 16);
const REF = memory.data(16, 16);
const CTX = memory.data(256, 16);

function pattern(p: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) store<u8>(p + i, <u8>(i * 151 + (i >> 8) * 3 + 5));
}

function tagHex(key: string, msg: string): string {
  hexTo(KEY, key);
  const n = hexTo(MSG, msg);
  poly1305(TAG, MSG, n, KEY);
  return toHex(TAG, 16);
}

describe("poly1305", () => {
  it("2.5.2 example", () => {
    hexTo(KEY, "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    const n = asciiTo(MSG, "Cryptographic Forum Research Group");
    poly1305(TAG, MSG, n, KEY);
    expect(toHex(TAG, 16)).toBe("a8061dc1305136c6c22b8baf0c0127a9");
  });

  it("A.3 #1-#4", () => {
    const z32 = "0000000000000000000000000000000000000000000000000000000000000000";
    expect(tagHex(z32, z32 + z32)).toBe("00000000000000000000000000000000");
    const n = asciiTo(MSG, SUBMISSION);
    expect(n).toBe(375);
    hexTo(KEY, "0000000000000000000000000000000036e5f6b5c5e06070f0efca96227a863e");
    poly1305(TAG, MSG, n, KEY);
    expect(toHex(TAG, 16)).toBe("36e5f6b5c5e06070f0efca96227a863e"); // r = 0: tag = s
    hexTo(KEY, "36e5f6b5c5e06070f0efca96227a863e00000000000000000000000000000000");
    poly1305(TAG, MSG, n, KEY);
    expect(toHex(TAG, 16)).toBe("f3477e7cd95417af89a6b8794c310cf0");
    hexTo(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    const m = asciiTo(MSG, "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\n"
      + "All mimsy were the borogoves,\nAnd the mome raths outgrabe.");
    poly1305(TAG, MSG, m, KEY);
    expect(toHex(TAG, 16)).toBe("4541669a7eaaee61e708dc7cbcc5eb62");
  });

  it("A.3 #5: partially reduced result not fully reduced", () => {
    expect(tagHex("02000000000000000000000000000000" + "00000000000000000000000000000000",
      "ffffffffffffffffffffffffffffffff")).toBe("03000000000000000000000000000000");
  });

  it("A.3 #6: adding s overflows 2^128", () => {
    expect(tagHex("02000000000000000000000000000000" + "ffffffffffffffffffffffffffffffff",
      "02000000000000000000000000000000")).toBe("03000000000000000000000000000000");
  });

  it("A.3 #7: all-ones data limb with a carry from below", () => {
    expect(tagHex("01000000000000000000000000000000" + "00000000000000000000000000000000",
      "ffffffffffffffffffffffffffffffff" + "f0ffffffffffffffffffffffffffffff" + "11000000000000000000000000000000",
    )).toBe("05000000000000000000000000000000");
  });

  it("A.3 #8: final polynomial value exactly 2^130 - 5", () => {
    expect(tagHex("01000000000000000000000000000000" + "00000000000000000000000000000000",
      "ffffffffffffffffffffffffffffffff" + "fbfefefefefefefefefefefefefefefe" + "01010101010101010101010101010101",
    )).toBe("00000000000000000000000000000000");
  });

  it("A.3 #9: final polynomial value exactly 2^130 - 6", () => {
    expect(tagHex("02000000000000000000000000000000" + "00000000000000000000000000000000",
      "fdffffffffffffffffffffffffffffff")).toBe("faffffffffffffffffffffffffffffff");
  });

  it("A.3 #10: 5*H+L reduction with a 131-bit intermediate", () => {
    expect(tagHex("01000000000000000400000000000000" + "00000000000000000000000000000000",
      "e33594d7505e43b90000000000000000" + "3394d7505e4379cd0100000000000000"
      + "00000000000000000000000000000000" + "01000000000000000000000000000000",
    )).toBe("14000000000000005500000000000000");
  });

  it("A.3 #11: 5*H+L reduction with a 131-bit final result", () => {
    expect(tagHex("01000000000000000400000000000000" + "00000000000000000000000000000000",
      "e33594d7505e43b90000000000000000" + "3394d7505e4379cd0100000000000000"
      + "00000000000000000000000000000000",
    )).toBe("13000000000000000000000000000000");
  });

  it("a carry out of the reduced low words into the top limb (r = 1, all-ones blocks)", () => {
    // With r = 1 the third block leaves h = 6 * 2^128 - 3; its reduction
    // carries through all four low words. Tags computed from the definition.
    const key = "0100000000000000000000000000000000000000000000000000000000000000";
    const ff = "ffffffffffffffffffffffffffffffff";
    expect(tagHex(key, ff + ff + ff)).toBe("02000000000000000000000000000000");
    expect(tagHex(key, ff + ff + ff + ff)).toBe("06000000000000000000000000000000");
    expect(tagHex(key, ff + ff + ff + ff + ff)).toBe("05000000000000000000000000000000");
  });

  it("every split point of a 600-byte message equals one-shot", () => {
    hexTo(KEY, "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    const len: usize = 600;
    pattern(MSG, len);
    poly1305(REF, MSG, len, KEY);
    for (let k: usize = 0; k <= len; k++) {
      poly1305_init(CTX, KEY);
      poly1305_update(CTX, MSG, k);
      poly1305_update(CTX, MSG + k, len - k);
      poly1305_final(CTX, TAG);
      expect(memory.compare(TAG, REF, 16)).toBe(0, "split at " + k.toString());
    }
  });

  it("lengths 0..300 and around 512/1024 equal a byte-at-a-time reference", () => {
    // r with every clamped bit set and s all ones: the largest limbs.
    hexTo(KEY, "ffffff0ffcffff0ffcffff0ffcffff0fffffffffffffffffffffffffffffffff");
    for (let fill = 0; fill < 2; fill++) {
      if (fill == 0) pattern(MSG, 1100);
      else memory.fill(MSG, 0xff, 1100);
      for (let len: usize = 0; len <= 1100; len++) {
        if (len > 300 && !(len >= 500 && len <= 530) && !(len >= 1010 && len <= 1040)) continue;
        poly1305_init(CTX, KEY);
        for (let i: usize = 0; i < len; i++) poly1305_update(CTX, MSG + i, 1);
        poly1305_final(CTX, REF);
        poly1305(TAG, MSG, len, KEY);
        expect(memory.compare(TAG, REF, 16)).toBe(0, "length " + len.toString());
      }
    }
  });

  it("final wipes the context", () => {
    hexTo(KEY, "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    poly1305_init(CTX, KEY);
    poly1305_update(CTX, KEY, 7);
    poly1305_final(CTX, TAG);
    for (let i: i32 = 0; i < POLY1305_CTX_BYTES; i++) expect(load<u8>(CTX + i)).toBe(0);
  });
});
