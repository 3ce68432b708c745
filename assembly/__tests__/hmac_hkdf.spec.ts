// HMAC-SHA-256: all seven test cases of RFC 4231 §4.2–4.8 (case 5 truncated
// to 128 bits, cases 6 and 7 with a 131-byte key), streaming split points.
// HKDF-SHA-256: RFC 5869 Appendix A.1–A.3 (PRK and OKM), and the 255 * 32
// output limit of §2.3.
import { asciiTo, hexTo, toHex } from "./hex";
import { ERR_LENGTH, OK } from "../errors";
import {
  HMAC_SHA256_BYTES, HMAC_SHA256_CTX_BYTES,
  hmac_sha256, hmac_sha256_init, hmac_sha256_update, hmac_sha256_final,
} from "../crypto/hmac";
import { HKDF_SHA256_MAX_BYTES, hkdf_sha256, hkdf_sha256_expand, hkdf_sha256_extract } from "../crypto/hkdf";

const KEY = memory.data(256, 16);
const MSG = memory.data(512, 16);
const INFO = memory.data(256, 16);
const PRK = memory.data(32, 16);
const OUT = memory.data(8256, 16);
const CTX = memory.data(256, 16);

function mac(keyLen: usize, msgLen: usize): string {
  hmac_sha256(OUT, KEY, keyLen, MSG, msgLen);
  return toHex(OUT, 32);
}

// Writes bytes start, start+1, ... (n of them) at p.
function seq(p: usize, start: u32, n: usize): usize {
  for (let i: usize = 0; i < n; i++) store<u8>(p + i, <u8>(start + <u32>i));
  return n;
}

describe("hmac_sha256", () => {
  it("exports its sizes", () => {
    expect(HMAC_SHA256_BYTES).toBe(32);
    expect(HMAC_SHA256_CTX_BYTES).toBe(208);
  });

  it("RFC 4231 §4.2 test case 1", () => {
    memory.fill(KEY, 0x0b, 20);
    const n = asciiTo(MSG, "Hi There");
    expect(mac(20, n)).toBe("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  });

  it("RFC 4231 §4.3 test case 2 (key shorter than the output)", () => {
    const k = asciiTo(KEY, "Jefe");
    const n = asciiTo(MSG, "what do ya want for nothing?");
    expect(mac(k, n)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  it("RFC 4231 §4.4 test case 3", () => {
    memory.fill(KEY, 0xaa, 20);
    memory.fill(MSG, 0xdd, 50);
    expect(mac(20, 50)).toBe("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  });

  it("RFC 4231 §4.5 test case 4", () => {
    const k = hexTo(KEY, "0102030405060708090a0b0c0d0e0f10111213141516171819");
    memory.fill(MSG, 0xcd, 50);
    expect(mac(k, 50)).toBe("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  });

  it("RFC 4231 §4.6 test case 5 (truncated to 128 bits)", () => {
    memory.fill(KEY, 0x0c, 20);
    const n = asciiTo(MSG, "Test With Truncation");
    expect(mac(20, n).substr(0, 32)).toBe("a3b6167473100ee06e0c796c2955552b");
  });

  it("RFC 4231 §4.7 test case 6 (131-byte key, hashed first)", () => {
    memory.fill(KEY, 0xaa, 131);
    const n = asciiTo(MSG, "Test Using Larger Than Block-Size Key - Hash Key First");
    expect(mac(131, n)).toBe("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  });

  it("RFC 4231 §4.8 test case 7 (131-byte key, 152-byte data)", () => {
    memory.fill(KEY, 0xaa, 131);
    const n = asciiTo(MSG,
      "This is a test using a larger than block-size key and a larger than block-size data." +
      " The key needs to be hashed before being used by the HMAC algorithm.");
    expect(mac(131, n)).toBe("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  });

  it("every split point of a 300-byte message gives the one-shot tag", () => {
    seq(KEY, 0x80, 40);
    for (let i = 0; i < 300; i++) store<u8>(MSG + i, <u8>(i * 7 + 3));
    // Tag from OpenSSL (node:crypto) for this key and message.
    const want = "4c21f01c3df76047f62dbddb4d6216e5f1e9e6f8a1017ea2887f5c07395fa7d4";
    expect(mac(40, 300)).toBe(want);
    for (let i: usize = 0; i <= 300; i++) {
      hmac_sha256_init(CTX, KEY, 40);
      hmac_sha256_update(CTX, MSG, i);
      hmac_sha256_update(CTX, MSG + i, 300 - i);
      hmac_sha256_final(CTX, OUT);
      expect(toHex(OUT, 32)).toBe(want);
    }
  });

  it("final wipes the context", () => {
    memory.fill(CTX, 0xee, 256);
    hmac_sha256_init(CTX, KEY, 40);
    hmac_sha256_update(CTX, MSG, 10);
    hmac_sha256_final(CTX, OUT);
    let nonzero = 0;
    for (let i = 0; i < HMAC_SHA256_CTX_BYTES; i++) nonzero += load<u8>(CTX + i) != 0 ? 1 : 0;
    expect(nonzero).toBe(0);
    expect(load<u8>(CTX + HMAC_SHA256_CTX_BYTES)).toBe(0xee);
  });
});

describe("hkdf_sha256", () => {
  it("RFC 5869 A.1 (basic)", () => {
    memory.fill(KEY, 0x0b, 22);
    seq(MSG, 0x00, 13);
    seq(INFO, 0xf0, 10);
    hkdf_sha256_extract(PRK, MSG, 13, KEY, 22);
    expect(toHex(PRK, 32)).toBe("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    const okm = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
    expect(hkdf_sha256_expand(OUT, 42, PRK, INFO, 10)).toBe(OK);
    expect(toHex(OUT, 42)).toBe(okm);
    memory.fill(OUT, 0, 64);
    expect(hkdf_sha256(OUT, 42, MSG, 13, KEY, 22, INFO, 10)).toBe(OK);
    expect(toHex(OUT, 42)).toBe(okm);
  });

  it("RFC 5869 A.2 (80-byte inputs, 82-byte output)", () => {
    seq(KEY, 0x00, 80);
    seq(MSG, 0x60, 80);
    seq(INFO, 0xb0, 80);
    hkdf_sha256_extract(PRK, MSG, 80, KEY, 80);
    expect(toHex(PRK, 32)).toBe("06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244");
    const okm =
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
      "cc30c58179ec3e87c14c01d5c1f3434f1d87";
    expect(hkdf_sha256_expand(OUT, 82, PRK, INFO, 80)).toBe(OK);
    expect(toHex(OUT, 82)).toBe(okm);
    memory.fill(OUT, 0, 96);
    expect(hkdf_sha256(OUT, 82, MSG, 80, KEY, 80, INFO, 80)).toBe(OK);
    expect(toHex(OUT, 82)).toBe(okm);
  });

  it("RFC 5869 A.3 (empty salt and info)", () => {
    memory.fill(KEY, 0x0b, 22);
    hkdf_sha256_extract(PRK, MSG, 0, KEY, 22);
    expect(toHex(PRK, 32)).toBe("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    const okm = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8";
    expect(hkdf_sha256_expand(OUT, 42, PRK, INFO, 0)).toBe(OK);
    expect(toHex(OUT, 42)).toBe(okm);
    memory.fill(OUT, 0, 64);
    expect(hkdf_sha256(OUT, 42, MSG, 0, KEY, 22, INFO, 0)).toBe(OK);
    expect(toHex(OUT, 42)).toBe(okm);
  });

  it("RFC 5869 §2.3: 255 * 32 = 8160 bytes is the limit; 8161 gives ERR_LENGTH and writes nothing", () => {
    memory.fill(KEY, 0x0b, 22);
    seq(MSG, 0x00, 13);
    seq(INFO, 0xf0, 10);
    hkdf_sha256_extract(PRK, MSG, 13, KEY, 22);
    expect(HKDF_SHA256_MAX_BYTES).toBe(8160);
    memory.fill(OUT, 0x5a, 8256);
    expect(hkdf_sha256_expand(OUT, 8161, PRK, INFO, 10)).toBe(ERR_LENGTH);
    expect(hkdf_sha256(OUT, 8161, MSG, 13, KEY, 22, INFO, 10)).toBe(ERR_LENGTH);
    let untouched = true;
    for (let i = 0; i < 8256; i++) if (load<u8>(OUT + i) != 0x5a) untouched = false;
    expect(untouched).toBe(true);
    expect(hkdf_sha256_expand(OUT, 8160, PRK, INFO, 10)).toBe(OK);
    // Last block T(255) of the A.1 inputs, from OpenSSL (node:crypto hkdfSync).
    expect(toHex(OUT + 8128, 32)).toBe("76a3f78bcffe95fecf91923c22ad6ee64d48a6d1b981d7e523d5c0f22154ee88");
    expect(load<u8>(OUT + 8160)).toBe(0x5a);
    // The first 42 bytes are still A.1's OKM.
    expect(toHex(OUT, 42)).toBe("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  });

  it("zero-length output writes nothing", () => {
    memory.fill(OUT, 0x5a, 4);
    expect(hkdf_sha256_expand(OUT, 0, PRK, INFO, 10)).toBe(OK);
    expect(toHex(OUT, 4)).toBe("5a5a5a5a");
  });
});
