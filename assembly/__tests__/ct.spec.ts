import { toHex } from "./hex";
import { ctEqual, ctIsZero, wipe } from "../crypto/ct";

const A = memory.data(64);
const B = memory.data(64);

describe("ct", () => {
  it("equal finds a difference in any byte, at any length", () => {
    for (let len: usize = 0; len <= 40; len++) {
      for (let i: usize = 0; i < len; i++) {
        store<u8>(A + i, <u8>i);
        store<u8>(B + i, <u8>i);
      }
      expect(ctEqual(A, B, len)).toBe(true);
      for (let i: usize = 0; i < len; i++) {
        store<u8>(B + i, <u8>(i ^ 0x80));
        expect(ctEqual(A, B, len)).toBe(false);
        store<u8>(B + i, <u8>i);
      }
    }
  });

  it("isZero finds a set bit in any byte, at any length, and ignores bytes past the end", () => {
    for (let len: usize = 0; len <= 40; len++) {
      memory.fill(A, 0, 64);
      store<u8>(A + len, 0xff); // just past the end: must not count
      expect(ctIsZero(A, len)).toBe(true);
      for (let i: usize = 0; i < len; i++) {
        for (let bit: u8 = 0; bit < 8; bit++) {
          store<u8>(A + i, <u8>(1 << bit));
          expect(ctIsZero(A, len)).toBe(false);
        }
        store<u8>(A + i, 0);
      }
    }
  });

  it("wipe zeroes", () => {
    memory.fill(A, 0xff, 33);
    wipe(A, 33);
    expect(toHex(A, 33)).toBe("000000000000000000000000000000000000000000000000000000000000000000");
  });
});
