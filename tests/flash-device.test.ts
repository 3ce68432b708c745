// The simulated NAND chip (host/flash/device.ts) does what its comment says,
// since every flash-store test leans on it: a new image is erased; a page is
// programmed once between erasures (twice is a driver bug that throws); erase
// sets a block to 0xFF; a torn program leaves a prefix of the page and noise
// after it, a torn erase leaves each page erased, untouched or noise, and the
// power is off after either; a failed operation changes nothing and the chip
// goes on; reopening the image sees what was written; a seeded fault replays
// byte for byte.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlashDevice, FlashError, PowerCut, type FaultPlan, type FlashGeometry } from "../host/flash/index.ts";
import { SealcamError } from "../host/errors.ts";

const G: FlashGeometry = { pageBytes: 512, pagesPerBlock: 4, blocks: 8 };
const PAGES = G.pagesPerBlock * G.blocks;

function withImage(run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-flashdev-"));
  try {
    run(join(dir, "flash.img"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A page of recognisable bytes (none 0xFF, so "erased" and "programmed" never look alike). */
function pattern(tag: number, length = G.pageBytes): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (tag * 31 + i * 7) % 251);
}

const erasedPage = () => new Uint8Array(G.pageBytes).fill(0xff);
const isErased = (b: Uint8Array) => b.every((x) => x === 0xff);

/** Programs every page of blocks 0..blocks-1 with pattern(page). */
function fill(dev: FlashDevice, blocks = G.blocks): void {
  for (let p = 0; p < blocks * G.pagesPerBlock; p++) dev.program(p, pattern(p));
}

describe("flash device", () => {
  it("a new image is erased and sized by the geometry; program pads with 0xFF; erase sets a block to 0xFF", () => {
    withImage((path) => {
      const dev = FlashDevice.open(path, G);
      assert.equal(dev.capacity, 512 * 4 * 8);
      assert.equal(dev.blockBytes, 2048);
      assert.equal(readFileSync(path).length, dev.capacity);
      assert.ok(isErased(dev.read(0, dev.capacity)));
      dev.program(5, pattern(1, 100));
      const page = dev.readPage(5);
      assert.deepEqual(page.subarray(0, 100), pattern(1, 100));
      assert.ok(isErased(page.subarray(100)), "the rest of a short page is 0xFF");
      dev.program(6, pattern(2));
      assert.deepEqual(dev.readPage(6), pattern(2));
      assert.ok(isErased(dev.readPage(4)) && isErased(dev.readPage(7)), "neighbours untouched");
      dev.erase(1); // pages 4..7
      assert.ok(isErased(dev.read(4 * 512, 2048)));
      dev.program(5, pattern(3));
      assert.deepEqual(dev.readPage(5), pattern(3), "an erased page takes a program again");
      assert.equal(dev.operationCount, 4, "programs and erases count; reads do not");
      assert.throws(() => dev.program(PAGES, pattern(0)), RangeError);
      assert.throws(() => dev.program(0, new Uint8Array(513)), RangeError);
      assert.throws(() => dev.erase(G.blocks), RangeError);
      assert.throws(() => dev.read(dev.capacity - 1, 2), RangeError);
      dev.close();
    });
  });

  it("programming a page twice without an erase throws (a driver bug) and leaves the page as it was", () => {
    withImage((path) => {
      const dev = FlashDevice.open(path, G);
      dev.program(9, pattern(4, 10));
      assert.throws(() => dev.program(9, pattern(5)), /programmed twice without an erase/);
      assert.deepEqual(dev.readPage(9).subarray(0, 10), pattern(4, 10));
      // Even 0xFF bytes over the unprogrammed tail count: the page is not erased.
      assert.throws(() => dev.program(9, erasedPage()), /programmed twice/);
      dev.close();
    });
  });

  it("reopening the image sees what was written; a wrong-sized image or a bad geometry is refused", () => {
    withImage((path) => {
      const dev = FlashDevice.open(path, G);
      fill(dev, 2);
      dev.erase(1);
      dev.close();
      const again = FlashDevice.open(path, G);
      for (let p = 0; p < 4; p++) assert.deepEqual(again.readPage(p), pattern(p));
      assert.ok(isErased(again.read(2048, 2048 * 7)));
      assert.equal(again.operationCount, 0, "operations count per opened device");
      again.close();
      assert.throws(() => FlashDevice.open(path, { ...G, blocks: 9 }), (e: unknown) => e instanceof SealcamError && /but the geometry makes/.test(e.message));
      writeFileSync(path + ".short", Buffer.alloc(100));
      assert.throws(() => FlashDevice.open(path + ".short", G), SealcamError);
      assert.throws(() => FlashDevice.open(path + ".g", { ...G, pageBytes: 500 }), /power of two/);
      assert.throws(() => FlashDevice.open(path + ".g", { ...G, pagesPerBlock: 1 }), /at least 2 pages/);
      assert.throws(() => FlashDevice.open(path + ".g", { ...G, blocks: 3 }), /at least 4 blocks/);
    });
  });

  it("failAt: the operation throws FlashError, changes nothing, and the chip goes on", () => {
    withImage((path) => {
      const dev = FlashDevice.open(path, G, { failAt: [2, 4] });
      dev.program(0, pattern(0)); // op 1
      const before = readFileSync(path);
      assert.throws(() => dev.program(1, pattern(1)), (e: unknown) => e instanceof FlashError && e.operation === 2);
      assert.ok(readFileSync(path).equals(before), "a failed program changes nothing");
      dev.program(1, pattern(1)); // op 3: the same page takes the program now
      const before2 = readFileSync(path);
      assert.throws(() => dev.erase(0), (e: unknown) => e instanceof FlashError && e.operation === 4);
      assert.ok(readFileSync(path).equals(before2), "a failed erase changes nothing");
      assert.ok(dev.powered);
      dev.erase(0); // op 5
      assert.ok(isErased(dev.read(0, 2048)));
      assert.equal(dev.operationCount, 5);
      dev.close();
    });
  });

  it("cutAt on a program: a prefix of the page lands, noise after it, nothing else changes, and the power is off", () => {
    let torn = 0;
    const prefixes = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      withImage((path) => {
        const dev = FlashDevice.open(path, G, { cutAt: 3, seed });
        dev.program(0, pattern(0));
        dev.program(1, pattern(1));
        const before = readFileSync(path);
        const data = pattern(2, 300); // padded to the page with 0xFF
        const intended = erasedPage();
        intended.set(data);
        assert.throws(() => dev.program(2, data), (e: unknown) => e instanceof PowerCut && e.operation === 3);
        assert.ok(!dev.powered);
        assert.throws(() => dev.program(3, pattern(3)), PowerCut);
        assert.throws(() => dev.erase(1), PowerCut);
        assert.throws(() => dev.read(0, 1), PowerCut);
        assert.equal(dev.operationCount, 3, "nothing after the cut counts");
        dev.close();
        const after = readFileSync(path);
        const page = after.subarray(1024, 1536);
        let k = 0;
        while (k < 512 && page[k] === intended[k]) k++;
        if (k < 512) torn++;
        prefixes.add(k);
        // Everything outside the page is as it was.
        assert.ok(after.subarray(0, 1024).equals(before.subarray(0, 1024)));
        assert.ok(after.subarray(1536).equals(before.subarray(1536)));
        // What the next boot sees is the file.
        const reopened = FlashDevice.open(path, G);
        assert.deepEqual(reopened.readPage(2), new Uint8Array(page));
        assert.deepEqual(reopened.readPage(0), pattern(0));
        reopened.close();
      });
    }
    assert.ok(torn >= 30, `most torn programs damage the page (${torn} of 40)`);
    assert.ok(prefixes.size >= 20, `the prefix length varies with the seed (${prefixes.size} lengths)`);
  });

  it("cutAt on an erase: each page of the block is erased, untouched or noise; other blocks untouched; power off", () => {
    const fates = { erased: 0, untouched: 0, noise: 0 };
    for (let seed = 1; seed <= 30; seed++) {
      withImage((path) => {
        const dev = FlashDevice.open(path, G, { cutAt: 9, seed });
        fill(dev, 2); // ops 1..8
        const before = readFileSync(path);
        assert.throws(() => dev.erase(1), (e: unknown) => e instanceof PowerCut && e.operation === 9);
        assert.throws(() => dev.erase(0), PowerCut);
        assert.throws(() => dev.readPage(0), PowerCut);
        dev.close();
        const after = readFileSync(path);
        assert.ok(after.subarray(0, 2048).equals(before.subarray(0, 2048)), "block 0 untouched");
        assert.ok(after.subarray(4096).equals(before.subarray(4096)), "blocks 2.. untouched");
        for (let p = 4; p < 8; p++) {
          const page = after.subarray(p * 512, (p + 1) * 512);
          if (isErased(page)) fates.erased++;
          else if (page.equals(Buffer.from(pattern(p)))) fates.untouched++;
          else fates.noise++;
        }
      });
    }
    assert.ok(fates.erased > 10 && fates.untouched > 10 && fates.noise > 10, `all three fates occur: ${JSON.stringify(fates)}`);
  });

  it("a seeded fault replays byte for byte; another seed tears differently", () => {
    const run = (plan: FaultPlan): Buffer => {
      let image = Buffer.alloc(0);
      withImage((path) => {
        const dev = FlashDevice.open(path, G, plan);
        try {
          fill(dev, 3); // ops 1..12
          dev.erase(1); // op 13
          dev.program(4, pattern(99)); // op 14
        } catch (e) {
          assert.ok(e instanceof PowerCut);
        }
        dev.close();
        image = readFileSync(path);
      });
      return image;
    };
    for (const cutAt of [5, 13]) {
      const a = run({ cutAt, seed: 7 });
      const b = run({ cutAt, seed: 7 });
      assert.ok(a.equals(b), `cut at ${cutAt}, same seed: identical images`);
      const others = [8, 9, 10].map((seed) => run({ cutAt, seed }));
      assert.ok(others.some((o) => !o.equals(a)), `cut at ${cutAt}: other seeds leave other images`);
    }
  });
});
