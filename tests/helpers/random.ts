// A seeded, reproducible random source for differential tests (xoshiro128**).
// The seed comes from SEALCAM_SEED or a fixed default and is printed in test
// names, so any failure can be replayed exactly.

export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const w = this.u32();
      out[i] = w;
      out[i + 1] = w >>> 8;
      out[i + 2] = w >>> 16;
      out[i + 3] = w >>> 24;
    }
    for (; i < n; i++) out[i] = this.u32();
    return out;
  }

  /**
   * A length that lands near the boundaries that matter: block sizes (16, 64,
   * 128, 256), the 64 KiB window, and sometimes several windows.
   */
  length(): number {
    const r = this.int(100);
    if (r < 60) return this.int(600);
    if (r < 80) return [16, 64, 128, 256, 512, 1024][this.int(6)] * (1 + this.int(4)) + this.int(5) - 2 >>> 0;
    if (r < 95) return 65536 + this.int(600) - 300;
    return this.int(200_000);
  }

  /** Up to `most` sorted split offsets within [0, length]. */
  splits(length: number, most = 4): number[] {
    const n = this.int(most + 1);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.int(length + 1));
    return out.sort((a, b) => a - b);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export const SEED = Number(process.env.SEALCAM_SEED ?? 20261127);
