// Decay: a committed segment (no dock has it, no receipt) whose flash loses a
// bit. No operation of the store leaves a valid commit record over other
// bytes (deletion erases the commit record's block first), so a boot that
// finds one is looking at decay, not at an interrupted deletion: the segment
// is evidence without a receipt, and it is kept for examination, never
// erased and never offered to a dock. Review finding: boot used to erase it.
import { it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { image, reboot, put, recordingOf, bytesOf, SMALL } from "./helpers/flash.ts";

/** An audit entry as the store keeps it (FORMAT.md "The audit log"): index, kind, a, ref; unsigned (the store does not check signatures). */
function entry(index: number, kind: number, a = 0n, ref: Uint8Array = new Uint8Array(32)): Uint8Array {
  const e = Buffer.alloc(200);
  e.writeBigUInt64LE(BigInt(index), 32);
  e.writeUInt32LE(kind, 40);
  e.writeBigUInt64LE(a, 56);
  e.set(ref, 72);
  return e;
}

function flipBit(path: string, at: number): void {
  const fd = openSync(path, "r+");
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 1;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

it("a committed segment with one decayed bit is kept for examination: not listed, not erased, its blocks not reused", () => {
  const img = image();
  try {
    const store = reboot(img);
    store.audit.append(entry(0, 1)); // the camera's log: a boot, and no receipt for anything
    put(store.sink(), recordingOf("decay"), 0, bytesOf("seg0", 20_000));
    put(store.sink(), recordingOf("decay"), 1, bytesOf("seg1", 5_000));
    const [seg, other] = store.list();
    const blockBytes = SMALL.pageBytes * SMALL.pagesPerBlock;
    const before = seg.blocks.map((b) => store.device.read(b * blockBytes, blockBytes));
    store.device.close();
    flipBit(img.path, seg.blocks[2] * blockBytes + SMALL.pageBytes + 100);

    const lines: string[] = [];
    const again = reboot(img, {}, (l) => lines.push(l));
    assert.deepEqual(again.list().map((s) => s.id), [other.id], "the intact segment is listed; the decayed one is not offered to a dock");
    assert.deepEqual(again.recovered.damaged.map((d) => d.id), [seg.id]);
    assert.deepEqual(again.recovered.discarded, [], "nothing discarded");
    assert.deepEqual(again.recovered.erased, [], "nothing erased");
    assert.ok(lines.some((l) => /decayed\); kept for examination/.test(l)), lines.join("\n"));
    seg.blocks.forEach((b, i) => {
      const now = again.device.read(b * blockBytes, blockBytes);
      if (i !== 2) assert.ok(Buffer.from(now).equals(Buffer.from(before[i])), `block ${b} as it was`);
    });
    assert.equal(again.usedBlocks, seg.blocks.length + other.blocks.length + again.audit.blockCount, "its blocks stay in use");
    again.device.close();
  } finally {
    img.done();
  }
});

it("the same mismatch under a receipt the module accepted is an interrupted deletion: erased", () => {
  const img = image();
  try {
    const store = reboot(img);
    store.audit.append(entry(0, 1));
    put(store.sink(), recordingOf("decay"), 0, bytesOf("seg0", 20_000));
    const [seg] = store.list();
    store.audit.append(entry(1, 11, 1n, seg.manifestHash)); // kind 11, a segment's receipt, naming its manifest
    const blockBytes = SMALL.pageBytes * SMALL.pagesPerBlock;
    store.device.close();
    flipBit(img.path, seg.blocks[2] * blockBytes + SMALL.pageBytes + 100);
    const again = reboot(img);
    assert.deepEqual(again.list(), []);
    assert.deepEqual(again.recovered.damaged, []);
    assert.deepEqual(again.recovered.discarded.map((d) => d.id), [seg.id]);
    assert.match(again.recovered.discarded[0].why, /interrupted deletion/);
    again.device.close();
  } finally {
    img.done();
  }
});
