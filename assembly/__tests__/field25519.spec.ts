// Limb-bound tests for field25519.ts: fe_mul, fe_sq and fe_sqn at the edge
// of the ceiling its header states (inputs within 4M per limb, M = 2^26 for
// even limbs and 2^25 for odd limbs), with limbs of both signs, and at the
// ends of the largest ranges the point formulas feed in (edwards25519.ts).
//
// Expected values were computed offline with BigInt (node), independently of
// the limb code:
//   p = 2^255 - 19; POS = [0, 26, 51, 77, 102, 128, 153, 179, 204, 230]
//   value(f) = sum f[i] * 2^POS[i]   (the signed limbs as stored)
//   expected = (value(f) * value(g)) mod p in [0, p), as 32 little-endian bytes
// Each result is also checked to be "carried" as the header defines it.

import { toHex } from "./hex";
import { FE_BYTES, fe_mul, fe_sq, fe_sqn, fe_tobytes } from "../crypto/field25519";

const F = memory.data(<i32>FE_BYTES, 8);
const G = memory.data(<i32>FE_BYTES, 8);
const H = memory.data(<i32>FE_BYTES, 8);
const S = memory.data(32, 8);

const M_EVEN: i32 = 1 << 26;
const M_ODD: i32 = 1 << 25;

/** Sets every even limb of `f` to `even` and every odd limb to `odd`. */
function setLimbs(f: usize, even: i32, odd: i32): void {
  for (let i: usize = 0; i < 10; i++) store<i32>(f + 4 * i, (i & 1) ? odd : even);
}

/** True when `h` is carried: limbs in [0, 2^w), limbs 1 and 5 within 2^12 of that. */
function isCarried(h: usize): bool {
  for (let i: usize = 0; i < 10; i++) {
    const v = load<i32>(h + 4 * i);
    const top: i32 = (i & 1) ? M_ODD : M_EVEN;
    const slack: i32 = (i == 1 || i == 5) ? 1 << 12 : 0;
    if (v < -slack || v >= top + slack) return false;
  }
  return true;
}

/** Canonical encoding of `h` as hex. */
function enc(h: usize): string {
  fe_tobytes(S, h);
  return toHex(S, 32);
}

// +4M, -4M and alternating-sign 4M in every limb (4M = 2^28 even, 2^27 odd).
const P4_EVEN: i32 = 4 * M_EVEN, P4_ODD: i32 = 4 * M_ODD;

describe("field25519 limb bounds", () => {
  it("fe_mul: +4M x +4M in every limb (largest positive column, 0.97 * 2^63)", () => {
    setLimbs(F, P4_EVEN, P4_ODD);
    setLimbs(G, P4_EVEN, P4_ODD);
    fe_mul(H, F, G);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("302700802f00807c00003401000c0300600700a0110000290000570000b80000");
  });

  it("fe_mul: -4M x +4M in every limb (largest negative column)", () => {
    setLimbs(F, -P4_EVEN, -P4_ODD);
    setLimbs(G, P4_EVEN, P4_ODD);
    fe_mul(H, F, G);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("bdd8ff7fd0ff7f83ffffcbfefff3fcff9ff8ff5feeffffd6ffffa8ffff47ff7f");
  });

  it("fe_mul: 4M limbs of alternating sign, against +4M and against themselves", () => {
    setLimbs(F, P4_EVEN, -P4_ODD);
    setLimbs(G, P4_EVEN, P4_ODD);
    fe_mul(H, F, G);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("90f0ffffffff7f1d0000000000a40000000000e0020000000000050000000000");
    fe_mul(H, F, F);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("1d270080d0ff7f7c0000ccfeff0b0300a0f8ff9f110000d7ffff56000048ff7f");
  });

  it("fe_mul: ge_dbl's E (-2M, M) times -F (-M, 3M), both at their far ends", () => {
    setLimbs(F, -2 * M_EVEN + 1, -2 * M_ODD + 1);
    setLimbs(G, 3 * M_EVEN - 1, 3 * M_ODD - 1);
    fe_mul(H, F, G);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("c1f5ff37f9ffbfeeffbfd2ffff90ffffddfeff5ffdff2ff9ffbff1ff7fdbff7f");
  });

  it("fe_mul: the result may alias an input", () => {
    setLimbs(F, -P4_EVEN, -P4_ODD);
    setLimbs(G, P4_EVEN, P4_ODD);
    fe_mul(F, F, G);
    expect(enc(F)).toBe("bdd8ff7fd0ff7f83ffffcbfefff3fcff9ff8ff5feeffffd6ffffa8ffff47ff7f");
  });

  it("fe_sq: 4M in every limb, positive, negative and alternating", () => {
    setLimbs(F, P4_EVEN, P4_ODD);
    fe_sq(H, F);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("302700802f00807c00003401000c0300600700a0110000290000570000b80000");
    setLimbs(F, -P4_EVEN, -P4_ODD);
    fe_sq(H, F);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("302700802f00807c00003401000c0300600700a0110000290000570000b80000");
    setLimbs(F, P4_EVEN, -P4_ODD);
    fe_sq(H, F);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("1d270080d0ff7f7c0000ccfeff0b0300a0f8ff9f110000d7ffff56000048ff7f");
  });

  it("fe_sqn: f^8 from 4M limbs of either sign (three rounds in locals)", () => {
    setLimbs(F, P4_EVEN, P4_ODD);
    fe_sqn(H, F, 3);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("5162bed65a06fe9dd94d72516313db87f0b982650e0eb60f1d40764081f4473e");
    setLimbs(F, -P4_EVEN, -P4_ODD);
    fe_sqn(H, F, 3);
    expect(isCarried(H)).toBe(true);
    expect(enc(H)).toBe("5162bed65a06fe9dd94d72516313db87f0b982650e0eb60f1d40764081f4473e");
  });
});
