import { toHex } from "./hex";
import { ctEqual, ctCopyIf, wipe } from "../crypto/ct";

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

  it("copyIf copies only when the bit is set", () => {
    memory.fill(A, 0x11, 19);
    memory.fill(B, 0x22, 19);
    ctCopyIf(A, B, 19, 0);
    expect(toHex(A, 19)).toBe("11111111111111111111111111111111111111");
    ctCopyIf(A, B, 19, 1);
    expect(toHex(A, 19)).toBe("22222222222222222222222222222222222222");
  });

  it("wipe zeroes", () => {
    memory.fill(A, 0xff, 33);
    wipe(A, 33);
    expect(toHex(A, 33)).toBe("000000000000000000000000000000000000000000000000000000000000000000");
  });
});
