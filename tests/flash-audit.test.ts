// The audit log in the flash (host/flash/audit.ts, FORMAT.md "Audit blocks")
// and full storage (store.ts, DESIGN.md "Storage on the camera"): entries go
// one per page into audit blocks, in FORMAT.md's layout (read by hand here);
// a torn or failed page is skipped and a boot finds the last whole entry;
// trim erases only whole blocks the dock holds, oldest first, never the last
// entry; a boot finishes an interrupted trim; the board's reserve keeps
// blocks for the log, segments are refused before they would take them, and
// the log still writes when the flash is full of evidence.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlashStore, PowerCut, objectId } from "../host/flash/index.ts";
import { loadBoard } from "../host/flash/board.ts";
import { StorageFullError } from "../host/store/index.ts";
import {
  DATA_PER_BLOCK, assertRestErased, auditEntry, auditIndexes, blobFor, bytesOf, image, put, reboot, recordingOf, sha256,
} from "./helpers/flash.ts";

const BLOCK = 512 * 8;

/** An independent reading of an audit block (FORMAT.md "Audit blocks"): its serial and the entries of its whole pages. */
function readAuditBlockByHand(raw: Buffer, block: number) {
  const h = raw.subarray(block * BLOCK, block * BLOCK + 512);
  assert.equal(h.toString("latin1", 0, 8), "SCAMAUD1");
  assert.ok(h.subarray(16, 32).every((x) => x === 0), "reserved bytes zero");
  assert.ok(sha256(h.subarray(0, 32)).equals(h.subarray(32, 64)), "audit header hash");
  assert.ok(h.subarray(64).every((x) => x === 0xff), "rest of the header page erased");
  const entries: { page: number; index: number; entry: Buffer }[] = [];
  for (let p = 1; p < 8; p++) {
    const page = raw.subarray(block * BLOCK + p * 512, block * BLOCK + (p + 1) * 512);
    if (page.every((x) => x === 0xff)) continue;
    const entry = page.subarray(0, 200);
    if (!sha256(entry).equals(page.subarray(200, 232))) continue;
    assert.ok(page.subarray(232).every((x) => x === 0xff), "rest of an entry page erased");
    entries.push({ page: p, index: Number(entry.readBigUInt64LE(32)), entry: Buffer.from(entry) });
  }
  return { serial: Number(h.readBigUInt64LE(8)), entries };
}

describe("the audit log in the flash", () => {
  it("entries survive reboots, one a page in audit blocks laid out as FORMAT.md says; entries(from) reads them back", () => {
    const img = image();
    try {
      const store = reboot(img);
      assert.equal(store.audit.tail(), undefined);
      assert.deepEqual([...store.audit.entries()], []);
      for (let i = 0; i < 20; i++) store.audit.append(auditEntry(i));
      assert.deepEqual(Buffer.from(store.audit.tail()!), Buffer.from(auditEntry(19)));
      assert.equal(store.audit.blockCount, 3, "7 entries a block");
      assert.deepEqual(auditIndexes(store), [...Array(20).keys()]);
      assert.deepEqual([...store.audit.entries(13)].map((e) => Buffer.from(e).readUInt8(32)), [13, 14, 15, 16, 17, 18, 19]);
      assert.deepEqual([...store.audit.entries(20n)], []);
      const blocks = store.audit.blocks;
      store.device.close();

      const log: string[] = [];
      const again = reboot(img, {}, (l) => log.push(l));
      assert.deepEqual(again.recovered.discarded, []);
      assert.deepEqual(again.recovered.audit, { entries: 20, blocks: 3 });
      assert.match(log[0], /audit log: 20 entries in 3 block\(s\)/);
      assert.deepEqual(Buffer.from(again.audit.tail()!), Buffer.from(auditEntry(19)));
      assert.deepEqual(again.audit.blocks, blocks);
      assert.deepEqual(auditIndexes(again), [...Array(20).keys()]);
      assertRestErased(again);

      // By hand: serials 0, 1, 2; entries 0–6, 7–13, 14–19 on pages 1…
      const raw = readFileSync(img.path);
      blocks.forEach((b, serial) => {
        const read = readAuditBlockByHand(raw, b);
        assert.equal(read.serial, serial);
        const first = serial * 7;
        assert.deepEqual(read.entries.map((e) => [e.page, e.index]), [...Array(Math.min(7, 20 - first)).keys()].map((i) => [1 + i, first + i]));
        for (const e of read.entries) assert.ok(e.entry.equals(auditEntry(e.index)));
      });

      // The chain continues after the reboot, into the third block's free page.
      again.audit.append(auditEntry(20));
      assert.equal(again.audit.blockCount, 3);
      assert.deepEqual(readAuditBlockByHand(readFileSync(img.path), blocks[2]).entries.at(-1)!.page, 7);
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("append refuses a wrong size and an index that does not follow the tail's; any index starts an empty log", () => {
    const img = image();
    try {
      const store = reboot(img);
      assert.throws(() => store.audit.append(new Uint8Array(199)), /an entry is 200 bytes, not 199/);
      store.audit.append(auditEntry(41));
      assert.throws(() => store.audit.append(auditEntry(41)), /entry 41 does not follow the last one stored \(41\)/);
      assert.throws(() => store.audit.append(auditEntry(43)), /does not follow/);
      assert.throws(() => store.audit.append(auditEntry(0)), /does not follow/, "a new chain over an old one is a fork: refused");
      store.audit.append(auditEntry(42));
      assert.equal(store.device.operationCount, 3, "a header and two entries; nothing for the refusals");
      store.device.close();
      assert.deepEqual(auditIndexes(reboot(img)), [41, 42]);
    } finally {
      img.done();
    }
  });

  it("a power cut during an entry's program: boot finds the last whole entry, and the next entry goes to the next page", () => {
    const outcomes = { whole: 0, torn: 0 };
    for (let seed = 1; seed <= 24; seed++) {
      const img = image();
      try {
        // Operations: header (1), entries 0–5 (2–7); entry 6 is operation 8, on page 7.
        const store = reboot(img, { cutAt: 8, seed });
        for (let i = 0; i < 6; i++) store.audit.append(auditEntry(i));
        assert.throws(() => store.audit.append(auditEntry(6)), PowerCut);
        store.device.close();
        const again = reboot(img);
        const tail = Number(Buffer.from(again.audit.tail()!).readBigUInt64LE(32));
        assert.ok(tail === 5 || tail === 6, `seed ${seed}: tail ${tail}`);
        outcomes[tail === 6 ? "whole" : "torn"]++;
        assert.deepEqual(auditIndexes(again), [...Array(tail + 1).keys()], `seed ${seed}`);
        // The torn page is never programmed again: the next entry takes a fresh block (the first is full).
        again.audit.append(auditEntry(tail + 1));
        assert.equal(again.audit.blockCount, 2, `seed ${seed}: a second block`);
        again.device.close();
        const third = reboot(img);
        assert.deepEqual(auditIndexes(third), [...Array(tail + 2).keys()], `seed ${seed}: after the next entry`);
        assert.deepEqual(third.recovered.discarded, []);
        assertRestErased(third);
        third.device.close();
      } finally {
        img.done();
      }
    }
    assert.ok(outcomes.whole > 0 && outcomes.torn > 0, `both a whole and a torn last page seen: ${JSON.stringify(outcomes)}`);

    // A torn page in the middle of a block: the next entry goes to the page after it.
    const img = image();
    try {
      const store = reboot(img, { cutAt: 4, seed: 3 }); // header, entries 0, 1; entry 2 torn on page 3
      store.audit.append(auditEntry(0));
      store.audit.append(auditEntry(1));
      assert.throws(() => store.audit.append(auditEntry(2)), PowerCut);
      store.device.close();
      const again = reboot(img);
      const tail = Number(Buffer.from(again.audit.tail()!).readBigUInt64LE(32));
      again.audit.append(auditEntry(tail + 1));
      again.device.close();
      const read = readAuditBlockByHand(readFileSync(img.path), reboot(img).audit.blocks[0]);
      assert.deepEqual(read.entries.at(-1), { page: 4, index: tail + 1, entry: Buffer.from(auditEntry(tail + 1)) }, "the next append skips page 3");
    } finally {
      img.done();
    }
  });

  it("a chip error on an entry's page: that page is skipped, the entry is not stored, the same index goes on; a failed block header frees the block", () => {
    const img = image();
    try {
      // Operations: header (1), entry 0 (2), entry 1 fails (3), entry 1 again (4); then …, entry 6 (8 pages: the block is full).
      const store = reboot(img, { failAt: [3] });
      store.audit.append(auditEntry(0));
      assert.throws(() => store.audit.append(auditEntry(1)), /^SealcamError: audit: flash write of entry 1 failed: flash operation 3 failed/);
      assert.deepEqual(Buffer.from(store.audit.tail()!), Buffer.from(auditEntry(0)), "the tail is still entry 0");
      for (let i = 1; i < 6; i++) store.audit.append(auditEntry(i));
      assert.equal(store.audit.blockCount, 1);
      store.device.close();
      const again = reboot(img, { failAt: [1] });
      assert.deepEqual(auditIndexes(again), [0, 1, 2, 3, 4, 5]);
      const free = again.freeBlocks;
      // The block is full (a page was skipped): the next entry takes a block, whose header program fails (operation 1).
      assert.throws(() => again.audit.append(auditEntry(6)), /audit block header failed/);
      assert.equal(again.freeBlocks, free, "the block went back, erased");
      again.audit.append(auditEntry(6));
      assert.equal(again.audit.blockCount, 2);
      again.device.close();
      const third = reboot(img);
      assert.deepEqual(auditIndexes(third), [0, 1, 2, 3, 4, 5, 6]);
      assertRestErased(third);
      const read = readAuditBlockByHand(readFileSync(img.path), third.audit.blocks[0]);
      assert.deepEqual(read.entries.map((e) => e.page), [1, 3, 4, 5, 6, 7], "page 2 skipped");
      third.device.close();
    } finally {
      img.done();
    }

    // The first entry of a new log fails: its block is the one being appended to, and no trim takes it.
    const empty = image();
    try {
      const store = reboot(empty, { failAt: [2] });
      assert.throws(() => store.audit.append(auditEntry(0)), /flash write of entry 0 failed/);
      assert.equal(store.audit.blockCount, 1);
      assert.deepEqual(store.audit.trim(1000), { blocks: 0, entries: 0 });
      store.audit.append(auditEntry(0));
      assert.deepEqual(auditIndexes(store), [0]);
      assertRestErased(store);
      store.device.close();
    } finally {
      empty.done();
    }
  });

  it("trim erases whole blocks the dock holds, oldest first, never the block being appended to nor the last entry", () => {
    const img = image();
    try {
      const store = reboot(img);
      for (let i = 0; i < 25; i++) store.audit.append(auditEntry(i)); // blocks: 0–6, 7–13, 14–20, 21–24
      const blocks = store.audit.blocks;
      assert.deepEqual(store.audit.trim(5), { blocks: 0, entries: 0 }, "no block is all at or below 5");
      assert.deepEqual(store.audit.trim(9), { blocks: 1, entries: 7, lastIndex: 6 });
      assert.equal(store.audit.firstIndex, 7);
      assert.deepEqual(store.audit.blocks, blocks.slice(1));
      assert.ok(store.device.read(blocks[0] * BLOCK, BLOCK).every((x) => x === 0xff), "erased on the chip");
      assert.deepEqual(store.audit.trim(1000), { blocks: 2, entries: 14, lastIndex: 20 }, "not the block being appended to");
      assert.deepEqual(auditIndexes(store), [21, 22, 23, 24]);
      // Fill the last block: its last entry is the tail; a trim through it keeps it.
      for (let i = 25; i < 28; i++) store.audit.append(auditEntry(i));
      assert.deepEqual(store.audit.trim(27), { blocks: 0, entries: 0 });
      // The next entry opens a block; the full one (tail no more) can go.
      store.audit.append(auditEntry(28));
      assert.deepEqual(store.audit.trim(27n), { blocks: 1, entries: 7, lastIndex: 27 });
      assert.deepEqual(auditIndexes(store), [28]);
      assert.throws(() => store.audit.trim(-1), /bad through index/);
      assertRestErased(store);
      store.device.close();
      const again = reboot(img);
      assert.deepEqual(auditIndexes(again), [28]);
      again.audit.append(auditEntry(29));
      const raw = readFileSync(img.path);
      assert.equal(readAuditBlockByHand(raw, again.audit.blocks[0]).serial, 4, "serials go on rising after trims");
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("a boot finishes an interrupted trim: blocks left before a gap are erased; a partly erased block whose rest joins the log stays", () => {
    // By hand: three audit blocks (serials 0, 1, 2: entries 0–6, 7–13, 14–16), then the oldest damaged as a torn erase leaves it.
    const cases: { name: string; keepPages: number[]; expectFirst: number; discarded: number }[] = [
      { name: "pages 1 and 2 left (entries 0, 1: a gap before 7)", keepPages: [1, 2], expectFirst: 7, discarded: 1 },
      { name: "pages 5–7 left (entries 4–6 join 7…)", keepPages: [5, 6, 7], expectFirst: 4, discarded: 0 },
      { name: "pages 2 and 7 left (entry 6 joins; entry 1 is before a gap)", keepPages: [2, 7], expectFirst: 6, discarded: 0 },
      { name: "no entry left, the header whole", keepPages: [], expectFirst: 7, discarded: 1 },
    ];
    for (const c of cases) {
      const img = image();
      try {
        const store = reboot(img);
        for (let i = 0; i < 17; i++) store.audit.append(auditEntry(i));
        const [oldest] = store.audit.blocks;
        // Rewrite the oldest block: its header, the pages kept, noise on one page that is not.
        const dev = store.device;
        const saved = dev.read(oldest * BLOCK, BLOCK);
        dev.erase(oldest);
        dev.program(oldest * 8, saved.subarray(0, 512));
        for (const p of c.keepPages) dev.program(oldest * 8 + p, saved.subarray(p * 512, (p + 1) * 512));
        const noisy = [1, 2, 3, 4, 5, 6, 7].find((p) => !c.keepPages.includes(p))!;
        dev.program(oldest * 8 + noisy, bytesOf("noise", 512));
        dev.close();
        const log: string[] = [];
        const again = reboot(img, {}, (l) => log.push(l));
        const indexes = auditIndexes(again, "camera", `${c.name}: `);
        assert.equal(indexes[0], c.expectFirst, c.name);
        assert.equal(indexes.at(-1), 16, c.name);
        assert.equal(again.recovered.discarded.length, c.discarded, c.name);
        if (c.discarded) assert.match(again.recovered.discarded[0].why, c.keepPages.length ? /before a gap .*interrupted trim/ : /no whole entry/, c.name);
        assertRestErased(again, `${c.name}: `);
        again.device.close();
        const third = reboot(img);
        assert.deepEqual(third.recovered.discarded, [], `${c.name}: a second boot has nothing to do`);
        // A trim through the log's first entries erases the damaged block when asked to.
        assert.equal(third.audit.trim(13).blocks, 2 - c.discarded, c.name);
        assert.deepEqual(auditIndexes(third), [14, 15, 16]);
        third.device.close();
      } finally {
        img.done();
      }
    }
  });

  it("a power cut at every operation of a trim leaves the log whole from the first entry the trim could not erase", () => {
    // 22 entries (blocks 0–6, 7–13, 14–20, 21), trim through 20 erases three blocks: operations 1–3 of the session.
    for (let cutAt = 1; cutAt <= 3; cutAt++) {
      for (let seed = 1; seed <= 6; seed++) {
        const img = image();
        try {
          const store = reboot(img);
          for (let i = 0; i < 22; i++) store.audit.append(auditEntry(i));
          store.device.close();
          const cut = reboot(img, { cutAt, seed });
          assert.throws(() => cut.audit.trim(20), PowerCut);
          cut.device.close();
          const again = reboot(img);
          const indexes = auditIndexes(again, "camera", `cut at ${cutAt}, seed ${seed}: `);
          assert.equal(indexes.at(-1), 21, "the tail stays");
          assert.ok(indexes[0] <= 7 * cutAt, `cut at ${cutAt}: blocks after the one torn are whole (first ${indexes[0]})`);
          assert.ok(indexes[0] >= 7 * (cutAt - 1), `cut at ${cutAt}: the blocks erased before it stay erased`);
          assertRestErased(again);
          again.audit.trim(20);
          assert.deepEqual(auditIndexes(again), [21]);
          again.device.close();
        } finally {
          img.done();
        }
      }
    }
  });
});

describe("full storage", () => {
  it("the reserve: open is refused before a segment could take it, committed segments stay untouched, the audit log still writes", () => {
    const img = image();
    try {
      const policy = { reserveBlocks: 4 };
      const store = reboot(img, {}, undefined, policy);
      assert.equal(store.reserveBlocks, 4);
      const sink = store.sink();
      const rec = recordingOf("full");
      // Audit blocks come from the reserve first: two of them leave the segments' share as it was.
      for (let i = 0; i < 10; i++) store.audit.append(auditEntry(i));
      assert.equal(store.audit.blockCount, 2);
      assert.equal(store.segmentBlocks, 60);
      // One-block segments (3000 bytes and the record): 59 fit; the 59th leaves one free block outside the reserve, too few to begin.
      const data = (seq: number) => bytesOf(`full ${seq}`, 3000);
      let seq = 0;
      for (; ; seq++) {
        try {
          sink.open(rec, seq);
        } catch (e) {
          assert.ok(e instanceof StorageFullError, String(e));
          assert.match(e.message, /^storage full: cannot begin segment [0-9a-f]{32}-000059: 1 free flash block\(s\) besides the 2 kept for the audit log; a segment needs 2/);
          assert.equal(e.code, "EFULL");
          break;
        }
        sink.append(data(seq));
        sink.commit(blobFor(rec, seq, data(seq)));
      }
      assert.equal(seq, 59);
      assert.ok(!sink.isOpen);
      assert.equal(store.freeBlocks, 3, "one for segments, two of the reserve");
      // The audit log fills its reserve, then the last free block, then says full.
      let appended = 10;
      assert.throws(() => {
        for (;;) store.audit.append(auditEntry(appended++));
      }, (e: unknown) => e instanceof StorageFullError && /no free flash block for the audit log/.test(e.message));
      appended--;
      assert.equal(appended, 35, "5 audit blocks of 7 entries");
      assert.equal(store.freeBlocks, 0);
      // Nothing committed was touched.
      for (let s = 0; s < 59; s++) assert.deepEqual(Buffer.from(store.readAge(objectId(rec, s))), Buffer.from(data(s)), `segment ${s}`);
      store.device.close();

      const again = reboot(img, {}, undefined, policy);
      assert.equal(again.list().length, 59);
      assert.deepEqual(auditIndexes(again), [...Array(35).keys()]);
      assert.throws(() => again.sink().open(rec, 59), StorageFullError);
      // The dock takes three segments and the log: room again, for segments and for the log.
      for (let s = 0; s < 3; s++) again.delete(objectId(rec, s));
      const trimmed = again.audit.trim(33);
      assert.equal(trimmed.blocks, 4);
      assert.equal(again.segmentBlocks, 3 + 4 - 3, "the reserve's share is held back again as the log shrinks");
      put(again.sink(), rec, 59, data(59));
      again.audit.append(auditEntry(35));
      assertRestErased(again);
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("append throws StorageFullError when no block is left outside the reserve; the segment aborts and leaves nothing", () => {
    const img = image();
    try {
      const store = reboot(img, {}, undefined, { reserveBlocks: 6 });
      const sink = store.sink();
      const rec = recordingOf("append full");
      const kept = bytesOf("kept", 50 * DATA_PER_BLOCK - 512); // 50 blocks, the record in the last page
      put(sink, rec, 0, kept);
      assert.equal(store.segmentBlocks, 8);
      sink.open(rec, 1);
      let appended = 0;
      assert.throws(() => {
        for (;;) {
          sink.append(bytesOf("more", 1000));
          appended += 1000;
        }
      }, (e: unknown) => e instanceof StorageFullError && /^storage full: no free flash block for segment [0-9a-f]{32}-000001 \(58 of 64 blocks in use, 6 kept for the audit log\)$/.test(e.message));
      assert.ok(appended >= 8 * DATA_PER_BLOCK - 1000 && appended < 8 * DATA_PER_BLOCK + 512, `${appended} bytes went in (up to a page may wait in memory)`);
      sink.abort();
      assert.equal(store.freeBlocks, 14);
      // The audit log can still take all six reserve blocks (and more).
      for (let i = 0; i < 6 * 7 + 1; i++) store.audit.append(auditEntry(i));
      assert.equal(store.audit.blockCount, 7);
      assert.deepEqual(Buffer.from(store.readAge(objectId(rec, 0))), Buffer.from(kept));
      store.device.close();
      const again = reboot(img, {}, undefined, { reserveBlocks: 6 });
      assert.deepEqual(again.list().map((s) => s.id), [objectId(rec, 0)]);
      assert.deepEqual(again.recovered.discarded, []);
      assertRestErased(again);
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("boards name their reserve; the loader checks it; the store refuses one that cannot fit", () => {
    assert.deepEqual(loadBoard("sim").policy, { reserveBlocks: 8 });
    assert.deepEqual(loadBoard("sim-small").policy, { reserveBlocks: 4 });
    const dir = mkdtempSync(join(tmpdir(), "sealcam-board-"));
    try {
      const write = (policy: unknown) => {
        const path = join(dir, "b.json");
        writeFileSync(path, JSON.stringify({ name: "b", description: "d", flash: { pageBytes: 512, pagesPerBlock: 8, blocks: 16 }, policy }));
        return path;
      };
      assert.deepEqual(loadBoard(write(undefined)).policy, { reserveBlocks: 0 }, "no policy: the defaults");
      assert.deepEqual(loadBoard(write({ reserveBlocks: 8 })).policy, { reserveBlocks: 8 });
      assert.throws(() => loadBoard(write({ reserveBlocks: 9 })), /policy.reserveBlocks must be a whole number from 0 to half the blocks \(8\), not 9/);
      assert.throws(() => loadBoard(write({ reserveBlocks: -1 })), /policy.reserveBlocks/);
      assert.throws(() => loadBoard(write({ reserveBlocks: "2" })), /policy.reserveBlocks/);
      assert.throws(() => loadBoard(write({ reserve: 2 })), /unknown member 'policy.reserve'/);
      assert.throws(() => loadBoard(write([])), /policy must be an object/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const img = image();
    try {
      assert.throws(() => FlashStore.boot(img.open(), undefined, { reserveBlocks: 64 }), /audit reserve of 64 blocks does not fit 64 blocks/);
    } finally {
      img.done();
    }
  });
});
