// ChaCha20-Poly1305 AEAD (RFC 8439): Poly1305 key generation (2.6.2, A.4),
// encryption (2.8.2), decryption (A.5), split and length equivalence of the
// streaming encryption, tag checks, state errors.
import { hexTo, toHex, asciiTo } from "./hex";
import { OK, ERR_AUTH, ERR_STATE } from "../errors";
import { chacha20 } from "../crypto/chacha20";
import {
  aead_init, aead_update_ad, aead_encrypt_update, aead_encrypt_final, aead_encrypt, aead_decrypt, AEAD_CTX_BYTES,
} from "../crypto/aead";

const KEY = memory.data(32, 16);
const NONCE = memory.data(16, 16);
const AD = memory.data(64, 16);
const MSG = memory.data(2048, 16);
const OUT = memory.data(2048, 16);
const REF = memory.data(2048, 16);
const TAG = memory.data(16, 16);
const REFTAG = memory.data(16, 16);
const ZERO = memory.data(64, 16);
const CTX = memory.data(512, 16);

const SUNSCREEN = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
  + "sunscreen would be it.";

function pattern(p: usize, len: usize, seed: u32): void {
  for (let i: usize = 0; i < len; i++) store<u8>(p + i, <u8>(i * 167 + (i >> 8) * 11 + seed));
}

function polyKeyHex(key: string, nonce: string): string {
  hexTo(KEY, key);
  hexTo(NONCE, nonce);
  chacha20(OUT, ZERO, 32, KEY, NONCE, 0);
  return toHex(OUT, 32);
}

/** 2.8.2 inputs; returns the plaintext length. */
function setup282(): usize {
  hexTo(KEY, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  hexTo(NONCE, "070000004041424344454647");
  hexTo(AD, "50515253c0c1c2c3c4c5c6c7");
  return asciiTo(MSG, SUNSCREEN);
}

const CT282 = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
  + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
  + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
  + "3ff4def08e4b7a9de576d26586cec64b6116";

/** A.5 inputs; returns the ciphertext length. */
function setupA5(): usize {
  hexTo(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
  hexTo(NONCE, "000000000102030405060708");
  hexTo(AD, "f33388860000000000004e91");
  hexTo(TAG, "eead9d67890cbb22392336fea1851f38");
  return hexTo(MSG,
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
    + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
    + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
    + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
    + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
    + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
    + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
    + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
    + "a6ad5cb4022b02709b",
  );
}

describe("aead", () => {
  it("2.6.2 and A.4 Poly1305 key generation (ChaCha20 block 0)", () => {
    expect(polyKeyHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "000000000001020304050607"))
      .toBe("8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646");
    expect(polyKeyHex("0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000"))
      .toBe("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7");
    expect(polyKeyHex("0000000000000000000000000000000000000000000000000000000000000001", "000000000000000000000002"))
      .toBe("ecfa254f845f647473d3cb140da9e87606cb33066c447b87bc2666dde3fbb739");
    expect(polyKeyHex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0", "000000000000000000000002"))
      .toBe("965e3bc6f9ec7ed9560808f4d229f94b137ff275ca9b3fcbdd59deaad23310ae");
  });

  it("2.8.2 encryption, one-shot and streaming", () => {
    const n = setup282();
    expect(n).toBe(114);
    expect(aead_encrypt(OUT, TAG, MSG, n, AD, 12, KEY, NONCE)).toBe(OK);
    expect(toHex(OUT, n)).toBe(CT282);
    expect(toHex(TAG, 16)).toBe("1ae10b594f09e26a7e902ecbd0600691");
    memory.fill(OUT, 0, n);
    aead_init(CTX, KEY, NONCE);
    expect(aead_update_ad(CTX, AD, 5)).toBe(OK);
    expect(aead_update_ad(CTX, AD + 5, 7)).toBe(OK);
    expect(aead_encrypt_update(CTX, OUT, MSG, 50)).toBe(OK);
    expect(aead_encrypt_update(CTX, OUT + 50, MSG + 50, n - 50)).toBe(OK);
    aead_encrypt_final(CTX, TAG);
    expect(toHex(OUT, n)).toBe(CT282);
    expect(toHex(TAG, 16)).toBe("1ae10b594f09e26a7e902ecbd0600691");
  });

  it("A.5 decryption (and in place)", () => {
    const n = setupA5();
    expect(n).toBe(265);
    expect(aead_decrypt(OUT, MSG, n, TAG, AD, 12, KEY, NONCE)).toBe(OK);
    expect(toHex(OUT, n)).toBe(
      "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
      + "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
      + "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
      + "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
      + "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
      + "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
      + "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
      + "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
      + "726573732e2fe2809d",
    );
    expect(aead_decrypt(MSG, MSG, n, TAG, AD, 12, KEY, NONCE)).toBe(OK);
    expect(memory.compare(MSG, OUT, n)).toBe(0);
  });

  it("a flipped bit in tag, ciphertext or AD gives ERR_AUTH and leaves out untouched", () => {
    const n = setupA5();
    for (let i: usize = 0; i < 16; i++) {
      memory.fill(OUT, 0xaa, n);
      store<u8>(TAG + i, load<u8>(TAG + i) ^ (<u8>1 << <u8>(i & 7)));
      expect(aead_decrypt(OUT, MSG, n, TAG, AD, 12, KEY, NONCE)).toBe(ERR_AUTH);
      store<u8>(TAG + i, load<u8>(TAG + i) ^ (<u8>1 << <u8>(i & 7)));
      for (let j: usize = 0; j < n; j++) expect(load<u8>(OUT + j)).toBe(0xaa);
    }
    for (let i: usize = 0; i < n; i += 13) {
      memory.fill(OUT, 0xaa, n);
      store<u8>(MSG + i, load<u8>(MSG + i) ^ 0x80);
      expect(aead_decrypt(OUT, MSG, n, TAG, AD, 12, KEY, NONCE)).toBe(ERR_AUTH);
      store<u8>(MSG + i, load<u8>(MSG + i) ^ 0x80);
      expect(load<u8>(OUT + i)).toBe(0xaa);
    }
    for (let i: usize = 0; i < 12; i++) {
      store<u8>(AD + i, load<u8>(AD + i) ^ 1);
      expect(aead_decrypt(OUT, MSG, n, TAG, AD, 12, KEY, NONCE)).toBe(ERR_AUTH);
      store<u8>(AD + i, load<u8>(AD + i) ^ 1);
    }
    // A shorter AD or ciphertext also fails.
    expect(aead_decrypt(OUT, MSG, n, TAG, AD, 11, KEY, NONCE)).toBe(ERR_AUTH);
    expect(aead_decrypt(OUT, MSG, n - 1, TAG, AD, 12, KEY, NONCE)).toBe(ERR_AUTH);
    // In place: a failure leaves the ciphertext as it was.
    memory.copy(REF, MSG, n);
    store<u8>(TAG, load<u8>(TAG) ^ 1);
    expect(aead_decrypt(MSG, MSG, n, TAG, AD, 12, KEY, NONCE)).toBe(ERR_AUTH);
    expect(memory.compare(MSG, REF, n)).toBe(0);
    for (let j: usize = 0; j < n; j++) expect(load<u8>(OUT + j)).toBe(0xaa);
    expect(toHex(OUT, 1)).toBe("aa");
  });

  it("every split point of a 600-byte message and of the AD equals one-shot", () => {
    hexTo(KEY, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    hexTo(NONCE, "070000004041424344454647");
    const len: usize = 600;
    const adLen: usize = 45;
    pattern(MSG, len, 3);
    pattern(AD, adLen, 9);
    expect(aead_encrypt(REF, REFTAG, MSG, len, AD, adLen, KEY, NONCE)).toBe(OK);
    for (let k: usize = 0; k <= len; k++) {
      aead_init(CTX, KEY, NONCE);
      aead_update_ad(CTX, AD, adLen);
      expect(aead_encrypt_update(CTX, OUT, MSG, k)).toBe(OK);
      expect(aead_encrypt_update(CTX, OUT + k, MSG + k, len - k)).toBe(OK);
      aead_encrypt_final(CTX, TAG);
      expect(memory.compare(OUT, REF, len)).toBe(0, "split at " + k.toString());
      expect(memory.compare(TAG, REFTAG, 16)).toBe(0, "split at " + k.toString());
    }
    for (let k: usize = 0; k <= adLen; k++) {
      aead_init(CTX, KEY, NONCE);
      aead_update_ad(CTX, AD, k);
      aead_update_ad(CTX, AD + k, adLen - k);
      memory.copy(OUT, MSG, len);
      aead_encrypt_update(CTX, OUT, OUT, len); // in place
      aead_encrypt_final(CTX, TAG);
      expect(memory.compare(OUT, REF, len)).toBe(0, "AD split at " + k.toString());
      expect(memory.compare(TAG, REFTAG, 16)).toBe(0, "AD split at " + k.toString());
    }
  });

  it("lengths 0..300 and around 512/1024 equal a byte-at-a-time reference and decrypt", () => {
    hexTo(KEY, "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    hexTo(NONCE, "000000000102030405060708");
    pattern(MSG, 1100, 1);
    pattern(AD, 40, 2);
    for (let len: usize = 0; len <= 1100; len++) {
      if (len > 300 && !(len >= 500 && len <= 530) && !(len >= 1010 && len <= 1040)) continue;
      const adLen = len % 37;
      aead_init(CTX, KEY, NONCE);
      for (let i: usize = 0; i < adLen; i++) aead_update_ad(CTX, AD + i, 1);
      for (let i: usize = 0; i < len; i++) aead_encrypt_update(CTX, REF + i, MSG + i, 1);
      aead_encrypt_final(CTX, REFTAG);
      memory.fill(OUT, 0xee, len + 1);
      expect(aead_encrypt(OUT, TAG, MSG, len, AD, adLen, KEY, NONCE)).toBe(OK);
      expect(memory.compare(OUT, REF, len)).toBe(0, "length " + len.toString());
      expect(memory.compare(TAG, REFTAG, 16)).toBe(0, "length " + len.toString());
      expect(load<u8>(OUT + len)).toBe(0xee);
      expect(aead_decrypt(OUT, OUT, len, TAG, AD, adLen, KEY, NONCE)).toBe(OK);
      expect(memory.compare(OUT, MSG, len)).toBe(0, "round trip " + len.toString());
    }
  });

  it("aead_update_ad after data started returns ERR_STATE", () => {
    const n = setup282();
    aead_init(CTX, KEY, NONCE);
    expect(aead_update_ad(CTX, AD, 12)).toBe(OK);
    expect(aead_encrypt_update(CTX, OUT, MSG, n)).toBe(OK);
    expect(aead_update_ad(CTX, AD, 1)).toBe(ERR_STATE);
    aead_encrypt_final(CTX, TAG);
    // The refused call changed nothing.
    expect(toHex(TAG, 16)).toBe("1ae10b594f09e26a7e902ecbd0600691");
    // An empty data call also ends the AD phase.
    aead_init(CTX, KEY, NONCE);
    expect(aead_encrypt_update(CTX, OUT, MSG, 0)).toBe(OK);
    expect(aead_update_ad(CTX, AD, 12)).toBe(ERR_STATE);
    aead_encrypt_final(CTX, TAG);
  });

  it("final wipes the context", () => {
    setup282();
    aead_init(CTX, KEY, NONCE);
    aead_update_ad(CTX, AD, 3);
    aead_encrypt_update(CTX, OUT, MSG, 20);
    aead_encrypt_final(CTX, TAG);
    for (let i: i32 = 0; i < AEAD_CTX_BYTES; i++) expect(load<u8>(CTX + i)).toBe(0);
  });
});
