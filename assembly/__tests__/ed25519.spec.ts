import { hexTo, toHex } from "./hex";
import {
  ed25519_keypair, ed25519_sign, ed25519_verify, ED25519_SEED_BYTES, ED25519_PUBLIC_BYTES,
  ED25519_SECRET_BYTES, ED25519_SIGN_BYTES,
} from "../crypto/ed25519";
import { OK, ERR_SIGNATURE, ERR_NONCANONICAL_S, ERR_BAD_POINT, ERR_SMALL_ORDER } from "../errors";

const SEED = memory.data(32, 16);
const PK = memory.data(32, 16);
const SK = memory.data(64, 16);
const SIG = memory.data(64, 16);
const MSG = memory.data(1024, 16);

// RFC 8032 section 7.1, TEST 1024: the 1023-byte message.
const MSG_1024 =
  "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1" +
  "e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d" +
  "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a" +
  "7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e" +
  "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10" +
  "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1" +
  "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d" +
  "502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270" +
  "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b" +
  "eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba" +
  "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b" +
  "e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7" +
  "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d" +
  "cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df" +
  "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7" +
  "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4" +
  "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09" +
  "43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f" +
  "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161" +
  "0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d" +
  "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca" +
  "c60c905c15fc910840b94c00a0b9d0";

/**
 * RFC 8032 section 7.1 check: the key pair from `seed` has public key `pk`,
 * the secret key is seed || pk, signing `msg` gives `sig`, and it verifies.
 */
function kat(seed: string, pk: string, msg: string, sig: string): void {
  hexTo(SEED, seed);
  ed25519_keypair(PK, SK, SEED);
  expect(toHex(PK, 32)).toBe(pk);
  expect(toHex(SK, 64)).toBe(seed + pk);
  const len = hexTo(MSG, msg);
  ed25519_sign(SIG, MSG, len, SK);
  expect(toHex(SIG, 64)).toBe(sig);
  expect(ed25519_verify(SIG, MSG, len, PK)).toBe(OK);
}

// TEST 1 of RFC 8032 section 7.1 (empty message), used by the rejection tests.
const T1_PK = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const T1_SIG = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

/** ed25519_verify of TEST 1's message (empty) with the given key and signature. */
function verifyT1(pk: string, sig: string): i32 {
  hexTo(PK, pk);
  hexTo(SIG, sig);
  return ed25519_verify(SIG, MSG, 0, PK);
}

describe("ed25519", () => {
  it("has the documented sizes", () => {
    expect(ED25519_SEED_BYTES).toBe(32);
    expect(ED25519_PUBLIC_BYTES).toBe(32);
    expect(ED25519_SECRET_BYTES).toBe(64);
    expect(ED25519_SIGN_BYTES).toBe(64);
  });

  it("RFC 8032 section 7.1 TEST 1 (empty message)", () => {
    kat("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", T1_PK, "", T1_SIG);
  });

  it("RFC 8032 section 7.1 TEST 2 (1 byte)", () => {
    kat("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  });

  it("RFC 8032 section 7.1 TEST 3 (2 bytes)", () => {
    kat("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
  });

  it("RFC 8032 section 7.1 TEST 1024 (1023 bytes)", () => {
    kat("f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", MSG_1024,
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03");
  });

  it("RFC 8032 section 7.1 TEST SHA(abc) (64 bytes)", () => {
    kat("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704");
  });

  it("sign writes the same signature when sig overlaps the message", () => {
    hexTo(SEED, "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7");
    ed25519_keypair(PK, SK, SEED);
    hexTo(MSG, "af82");
    ed25519_sign(MSG, MSG, 2, SK);
    expect(toHex(MSG, 64)).toBe("6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
  });

  it("rejects a flipped message bit with ERR_SIGNATURE", () => {
    hexTo(PK, "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025");
    hexTo(SIG, "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");
    hexTo(MSG, "af82");
    expect(ed25519_verify(SIG, MSG, 2, PK)).toBe(OK);
    for (let bit: u32 = 0; bit < 16; bit++) {
      const p = MSG + (bit >> 3), m = <u8>(<u32>1 << (bit & 7));
      store<u8>(p, load<u8>(p) ^ m);
      expect(ed25519_verify(SIG, MSG, 2, PK)).toBe(ERR_SIGNATURE);
      store<u8>(p, load<u8>(p) ^ m);
    }
    // A flipped bit in S or R, or a different key, fails too.
    store<u8>(SIG + 40, load<u8>(SIG + 40) ^ 1);
    expect(ed25519_verify(SIG, MSG, 2, PK)).toBe(ERR_SIGNATURE);
    store<u8>(SIG + 40, load<u8>(SIG + 40) ^ 1);
    hexTo(PK, T1_PK);
    expect(ed25519_verify(SIG, MSG, 2, PK)).toBe(ERR_SIGNATURE);
  });

  it("rule 1: rejects S + L with ERR_NONCANONICAL_S", () => {
    hexTo(SIG, T1_SIG);
    // S += L (L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes)
    hexTo(MSG + 64, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    let carry: u32 = 0;
    for (let i = 0; i < 32; i++) {
      const t = <u32>load<u8>(SIG + 32 + i) + <u32>load<u8>(MSG + 64 + i) + carry;
      store<u8>(SIG + 32 + i, <u8>t);
      carry = t >> 8;
    }
    hexTo(PK, T1_PK);
    expect(ed25519_verify(SIG, MSG, 0, PK)).toBe(ERR_NONCANONICAL_S);
    // S = L exactly, and S with the top bit set, are non-canonical too.
    memory.copy(SIG + 32, MSG + 64, 32);
    expect(ed25519_verify(SIG, MSG, 0, PK)).toBe(ERR_NONCANONICAL_S);
    // Rule 1 comes first: with a bad A as well, the code is still ERR_NONCANONICAL_S.
    hexTo(PK, "0200000000000000000000000000000000000000000000000000000000000000");
    expect(ed25519_verify(SIG, MSG, 0, PK)).toBe(ERR_NONCANONICAL_S);
  });

  it("rule 2: rejects undecodable A or R with ERR_BAD_POINT", () => {
    const r = T1_SIG.substr(0, 64), s = T1_SIG.substr(64);
    // A = y = p + 1 (a non-canonical encoding of the neutral element)
    expect(verifyT1("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", T1_SIG)).toBe(ERR_BAD_POINT);
    // A = y = p (non-canonical 0)
    expect(verifyT1("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", T1_SIG)).toBe(ERR_BAD_POINT);
    // A with y = 2: no x exists (not on the curve)
    expect(verifyT1("0200000000000000000000000000000000000000000000000000000000000000", T1_SIG)).toBe(ERR_BAD_POINT);
    // A = "-0": y = 1, x = 0 with the sign bit set
    expect(verifyT1("0100000000000000000000000000000000000000000000000000000000000080", T1_SIG)).toBe(ERR_BAD_POINT);
    // R non-canonical (y = p + 1) and R off the curve
    expect(verifyT1(T1_PK, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" + s)).toBe(ERR_BAD_POINT);
    expect(verifyT1(T1_PK, "0200000000000000000000000000000000000000000000000000000000000000" + s)).toBe(ERR_BAD_POINT);
    // Rule 2 before rule 3: bad A with a small-order R is ERR_BAD_POINT.
    expect(verifyT1("0200000000000000000000000000000000000000000000000000000000000000",
                    "0100000000000000000000000000000000000000000000000000000000000000" + s)).toBe(ERR_BAD_POINT);
    expect(verifyT1(T1_PK, r + s)).toBe(OK);
  });

  it("rule 3: rejects a small-order A or R with ERR_SMALL_ORDER", () => {
    const s = T1_SIG.substr(64);
    // A = neutral element (y = 1)
    expect(verifyT1("0100000000000000000000000000000000000000000000000000000000000000", T1_SIG)).toBe(ERR_SMALL_ORDER);
    // A = (0, -1), order 2
    expect(verifyT1("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", T1_SIG)).toBe(ERR_SMALL_ORDER);
    // A of order 8
    expect(verifyT1("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", T1_SIG)).toBe(ERR_SMALL_ORDER);
    // R = neutral element, and R of order 4 (y = 0)
    expect(verifyT1(T1_PK, "0100000000000000000000000000000000000000000000000000000000000000" + s)).toBe(ERR_SMALL_ORDER);
    expect(verifyT1(T1_PK, "0000000000000000000000000000000000000000000000000000000000000000" + s)).toBe(ERR_SMALL_ORDER);
  });

  it("signs and verifies messages of every length up to 300 bytes", () => {
    // A round-trip check (the KATs above fix the bytes).
    hexTo(SEED, "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5");
    ed25519_keypair(PK, SK, SEED);
    for (let len: usize = 0; len <= 300; len += 13) {
      for (let i: usize = 0; i < len; i++) store<u8>(MSG + i, <u8>(i * 7 + len));
      ed25519_sign(SIG, MSG, len, SK);
      expect(ed25519_verify(SIG, MSG, len, PK)).toBe(OK);
    }
  });
});
