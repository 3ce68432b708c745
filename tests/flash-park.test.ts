// Parked (pre-event) segments in the flash (host/flash/sink.ts, docs/ABI.md
// "Pre-event buffer", FORMAT.md "The camera's flash"): a parked payload gets
// its age header after it on the chip, the commit record says how many bytes
// at the end start the `.age` file, and everything that reads a segment
// (boot's re-hash, readAge, readAgeChunks from any offset, exportTo) presents
// the file in `.age` order. Several can be parked while another segment is
// open; a reboot erases what was never committed; drop erases like abort;
// unpark's digest comes from the bytes read back, so flash that changed under
// a parked segment is caught.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openSync, readFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { objectId, READ_CHUNK_BYTES } from "../host/flash/index.ts";
import { StorageFullError, segmentName } from "../host/store/index.ts";
import { parseManifest } from "../host/evidence/index.ts";
import { SealcamError } from "../host/errors.ts";
import {
  DATA_PER_BLOCK, SMALL, appendInPieces, assertRestErased, blobFor, bytesOf, commitParked, hex, image, park, put, reboot, recordingOf, sha256,
} from "./helpers/flash.ts";

const age = (header: Uint8Array, payload: Uint8Array) => Buffer.concat([header, payload]);

describe("parked segments in the flash", () => {
  it("park, unpark, commitParked: the header follows the payload on the chip, the record names it, every reader gives .age order", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("park shapes");
      // [payload bytes, header bytes, blocks]
      const shapes: [number, number, number][] = [
        [1, 300, 1], // header in the payload's page
        [DATA_PER_BLOCK - 100, 100, 2], // header fills the block: the commit record takes another
        [10_000, 3000, 4], // header across a block boundary (13 000 bytes: 4 pages into the fourth block)
        [512, 512, 1], // both page-aligned
        [70_000, 250, 20], // more than one read chunk
      ];
      const payloads = shapes.map(([p], seq) => bytesOf(`payload ${seq}`, p));
      const headers = shapes.map(([, h], seq) => bytesOf(`header ${seq}`, h));
      // All parked, and an ordinary segment open meanwhile.
      shapes.forEach((_, seq) => park(sink, rec, seq, payloads[seq]));
      assert.deepEqual(sink.parkedNames, shapes.map((_, seq) => segmentName(rec, seq)));
      assert.ok(!sink.isOpen);
      const ordinary = bytesOf("ordinary", 9000);
      sink.open(rec, 100);
      sink.append(ordinary.subarray(0, 5000));
      // Unpark and commit in another order than parked, while the ordinary one is open.
      for (const seq of [2, 0, 4]) commitParked(sink, rec, seq, headers[seq], payloads[seq]);
      sink.append(ordinary.subarray(5000));
      sink.commit(blobFor(rec, 100, ordinary));
      for (const seq of [1, 3]) commitParked(sink, rec, seq, headers[seq], payloads[seq]);
      assert.deepEqual(sink.parkedNames, []);

      const check = (s: typeof store, label: string) => {
        for (const [seq, [p, h, blocks]] of shapes.entries()) {
          const id = objectId(rec, seq);
          const file = age(headers[seq], payloads[seq]);
          const segment = s.list().find((x) => x.id === id)!;
          assert.equal(segment.headerBytes, h, `${label} ${seq}: header bytes`);
          assert.equal(segment.ageBytes, p + h);
          assert.equal(segment.ageSha256, hex(sha256(file)));
          assert.equal(segment.blocks.length, blocks, `${label} ${seq}: blocks`);
          assert.deepEqual(Buffer.from(s.readAge(id)), file, `${label} ${seq}: readAge is header ‖ payload`);
          assert.deepEqual(Buffer.concat([...s.readAgeChunks(id)]), file, `${label} ${seq}: readAgeChunks too`);
        }
        assert.deepEqual(Buffer.from(s.readAge(objectId(rec, 100))), Buffer.from(ordinary));
        assert.equal(s.list().find((x) => x.manifest.sequence === 100)!.headerBytes, 0);
      };
      check(store, "before reboot");
      store.device.close();

      const again = reboot(img);
      assert.deepEqual(again.recovered.discarded, [], "boot's re-hash in .age order accepts them all");
      check(again, "after reboot");
      assertRestErased(again);

      // On the chip, by hand (FORMAT.md): the payload, then the header, in pages 1… of the blocks; the record after.
      const raw = readFileSync(img.path);
      const blockBytes = 512 * 8;
      for (const [seq, [p, h]] of shapes.entries()) {
        const s = again.list().find((x) => x.id === objectId(rec, seq))!;
        const stored = Buffer.concat(s.blocks.map((b) => raw.subarray(b * blockBytes + 512, (b + 1) * blockBytes))).subarray(0, p + h);
        assert.ok(stored.equals(Buffer.concat([payloads[seq], headers[seq]])), `${seq}: stored as payload ‖ header`);
        const dataPages = Math.ceil((p + h) / 512);
        const last = s.blocks[s.blocks.length - 1];
        const at = last * blockBytes + (1 + (dataPages % 7)) * 512;
        const record = raw.subarray(at, at + 512);
        assert.equal(record.toString("latin1", 0, 8), "SCAMCMT2");
        assert.ok(sha256(record.subarray(0, 327)).equals(record.subarray(327, 359)));
        assert.equal(Number(record.readBigUInt64LE(32)), p + h, "length: the whole object");
        assert.equal(record.readUInt32LE(40), h, "header bytes at the end");
        assert.equal(record.toString("hex", 44, 76), hex(sha256(age(headers[seq], payloads[seq]))), "SHA-256 of the .age file");
      }

      // exportTo writes the .age files in .age order, as the manifests say.
      const out = join(img.dir, "export");
      again.exportTo(out);
      for (const [seq] of shapes.entries()) {
        const name = segmentName(rec, seq);
        const file = readFileSync(join(out, `${name}.age`));
        assert.ok(file.equals(age(headers[seq], payloads[seq])), `${name}.age exported header first`);
        const m = parseManifest(readFileSync(join(out, `${name}.manifest.json`), "utf8"));
        assert.equal(m.age_sha256, hex(sha256(file)));
      }
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("readAgeChunks resumes at any byte offset of the .age file, and still checks the whole file's SHA-256", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("resume");
      const header = bytesOf("resume header", 700);
      const payload = bytesOf("resume payload", 2 * READ_CHUNK_BYTES + 1234);
      park(sink, rec, 0, payload);
      commitParked(sink, rec, 0, header, payload);
      const plain = bytesOf("resume plain", READ_CHUNK_BYTES + 10);
      put(sink, rec, 1, plain);
      const file = age(header, payload);
      const id = objectId(rec, 0);
      const L = file.length;
      for (const offset of [0, 1, 699, 700, 701, 5000, READ_CHUNK_BYTES, READ_CHUNK_BYTES + 1, L - 1, L]) {
        const chunks = [...store.readAgeChunks(id, offset)];
        assert.deepEqual(Buffer.concat(chunks), file.subarray(offset), `from ${offset}`);
        assert.ok(chunks.slice(0, -1).every((c) => c.length === READ_CHUNK_BYTES), `from ${offset}: full pieces but the last`);
        assert.equal(chunks.length, Math.ceil((L - offset) / READ_CHUNK_BYTES), `from ${offset}: pieces`);
      }
      assert.deepEqual(Buffer.concat([...store.readAgeChunks(objectId(rec, 1), 17)]), Buffer.from(plain.subarray(17)), "an ordinary segment too");
      for (const bad of [-1, L + 1, 1.5, Number.NaN]) assert.throws(() => [...store.readAgeChunks(id, bad)], /offset .* is outside segment/, `offset ${bad}`);

      // A byte that decays before the offset is still caught: the skipped prefix is hashed too.
      const s = store.list().find((x) => x.id === id)!;
      const fd = openSync(img.path, "r+");
      // Stored byte 10 of the payload = .age byte 710.
      writeSync(fd, Buffer.from([payload[10] ^ 0xff]), 0, 1, s.blocks[0] * 4096 + 512 + 10);
      closeSync(fd);
      const resumed: Uint8Array[] = [];
      assert.throws(() => {
        for (const c of store.readAgeChunks(id, READ_CHUNK_BYTES)) resumed.push(c);
      }, (e: unknown) => e instanceof SealcamError && /bytes read back do not match its commit record/.test(e.message));
      assert.equal(resumed.length, 1, "the last piece is withheld");
      assert.throws(() => [...store.readAgeChunks(id, L)], /do not match/, "even from the very end");
      store.device.close();
    } finally {
      img.done();
    }
  });

  it("refuses what does not fit the park, unpark, commit order; drop erases like abort", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("refusals");
      const payload = bytesOf("refusals payload", 5000);
      const header = bytesOf("refusals header", 200);
      assert.throws(() => sink.park(), /park with no open segment/);
      park(sink, rec, 0, payload);
      assert.throws(() => sink.open(rec, 0), /already exists/, "a parked id is taken");
      assert.throws(() => store.sink().open(rec, 0), /already exists/, "in any sink");
      assert.throws(() => sink.unpark(rec, 9, header), /unpark: no parked segment [0-9a-f]{32}-000009/);
      assert.throws(() => sink.commitParked(rec, 0, blobFor(rec, 0, age(header, payload))), /has no header yet/);
      assert.throws(() => sink.drop(rec, 9), /no parked segment/);
      sink.unpark(rec, 0, header);
      assert.throws(() => sink.unpark(rec, 0, header), /already has its header/);
      assert.throws(() => sink.commitParked(rec, 0, blobFor(rec, 0, payload)), /does not describe the bytes written/, "a manifest of the payload alone");
      assert.throws(() => sink.commitParked(rec, 0, blobFor(rec, 1, age(header, payload))), /names segment .*-000001, not .*-000000/);
      assert.equal(store.list().length, 0, "nothing committed by a refused commit");
      sink.commitParked(rec, 0, blobFor(rec, 0, age(header, payload)));
      assert.throws(() => sink.drop(rec, 0), /no parked segment/, "a committed segment is not parked");

      // drop: parked, and unparked; blocks freed at once, erased on the chip.
      const free = store.freeBlocks;
      park(sink, rec, 1, bytesOf("drop 1", 3 * DATA_PER_BLOCK));
      park(sink, rec, 2, bytesOf("drop 2", 1000));
      sink.unpark(rec, 2, header);
      assert.ok(store.freeBlocks < free);
      sink.drop(rec, 1);
      sink.drop(rec, 2);
      assert.equal(store.freeBlocks, free);
      assertRestErased(store);
      // The ids are free again.
      put(sink, rec, 1, bytesOf("again", 100));
      store.device.close();
    } finally {
      img.done();
    }
  });

  it("a reboot erases parked segments (their keys died with the module) and keeps the committed ones", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("reboot");
      const kept = bytesOf("kept", 6000);
      put(sink, rec, 0, kept);
      park(sink, rec, 1, bytesOf("parked", 2 * DATA_PER_BLOCK + 5)); // two full blocks; its last 5 bytes in memory
      park(sink, rec, 2, bytesOf("unparked", 4000));
      sink.unpark(rec, 2, bytesOf("header", 400)); // header written, no commit record
      sink.open(rec, 3);
      sink.append(bytesOf("open", 8000)); // an open one too
      store.device.close();

      const log: string[] = [];
      const again = reboot(img, {}, (l) => log.push(l));
      assert.deepEqual(again.list().map((s) => s.id), [objectId(rec, 0)]);
      assert.deepEqual(Buffer.from(again.readAge(objectId(rec, 0))), Buffer.from(kept));
      const discarded = new Map(again.recovered.discarded.map((d) => [d.id, d]));
      for (const seq of [1, 2, 3]) assert.match(discarded.get(objectId(rec, seq))!.why, /no commit record/, `${seq} discarded`);
      assert.deepEqual(discarded.get(objectId(rec, 1))!.blocks.length, 2);
      assert.ok(log.some((l) => /parked pre-event segment/.test(l)));
      assertRestErased(again);
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("unpark checks what it reads back: a payload that changed on the chip is refused, and the segment can only be dropped", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("read back");
      const payload = bytesOf("read back", 3000);
      park(sink, rec, 0, payload);
      park(sink, rec, 1, payload);
      // Flip a bit of segment 0's first data page behind the store's back.
      const raw = readFileSync(img.path);
      const first = [...Array(SMALL.blocks).keys()].find((b) => raw.toString("hex", b * 4096 + 8, b * 4096 + 28) === objectId(rec, 0))!;
      const fd = openSync(img.path, "r+");
      writeSync(fd, Buffer.from([payload[100] ^ 1]), 0, 1, first * 4096 + 512 + 100);
      closeSync(fd);
      assert.throws(() => sink.unpark(rec, 0, bytesOf("h", 50)), (e: unknown) => e instanceof SealcamError && /its payload read back from the flash is not what was written/.test(e.message));
      assert.throws(() => sink.commitParked(rec, 0, blobFor(rec, 0, payload)), /cannot go on after a failed write/);
      assert.throws(() => sink.unpark(rec, 0, bytesOf("h", 50)), /cannot go on/);
      sink.drop(rec, 0);
      // The other one is untouched.
      const header = bytesOf("h", 50);
      commitParked(sink, rec, 1, header, payload);
      assertRestErased(store);
      store.device.close();
    } finally {
      img.done();
    }
  });

  it("a chip error or a full flash during unpark breaks only that parked segment; drop frees it", () => {
    const img = image();
    try {
      const rec = recordingOf("unpark errors");
      const payload = bytesOf("payload", DATA_PER_BLOCK - 10); // 10 bytes left in the block: the header needs a second one
      const header = bytesOf("header", 600);
      // Operations: parking segment 0 = its block header and 6 full pages (1–7; 502 bytes stay in memory), segment 1 = 8–14;
      // unpark 0 with 600 header bytes: the block's last page (15), a second block's header (16), a full page (17), the last (18).
      for (const [failAt, where] of [[15, "a data page"], [16, "a block header"], [17, "a full page"], [18, "the last page"]] as const) {
        const store = reboot(img, { failAt: [failAt] });
        const sink = store.sink();
        park(sink, rec, 0, payload);
        park(sink, rec, 1, payload);
        assert.throws(() => sink.unpark(rec, 0, header), /^SealcamError: storage: flash write of [0-9a-f]{32}-000000 failed: flash operation \d+ failed/, where);
        assert.throws(() => sink.commitParked(rec, 0, blobFor(rec, 0, age(header, payload))), /cannot go on/, where);
        sink.drop(rec, 0);
        commitParked(sink, rec, 1, header, payload);
        store.device.close();
        const again = reboot(img);
        assert.deepEqual(again.list().map((s) => s.id), [objectId(rec, 1)], where);
        assertRestErased(again, `${where}: `);
        again.delete(objectId(rec, 1));
        again.device.close();
      }
      // Full: the header finds no block outside the audit reserve (1 block here).
      const tiny = image({ pageBytes: 512, pagesPerBlock: 8, blocks: 4 });
      try {
        const store = reboot(tiny, {}, undefined, { reserveBlocks: 1 });
        const sink = store.sink();
        park(sink, rec, 0, payload); // 1 block
        park(sink, rec, 1, bytesOf("big", 2 * DATA_PER_BLOCK)); // 2 full blocks
        assert.equal(store.freeBlocks, 1);
        assert.throws(() => sink.open(rec, 2), StorageFullError, "no room to begin another");
        assert.throws(() => sink.unpark(rec, 1, header), StorageFullError, "its header needs a block: only the reserve is left");
        assert.throws(() => sink.commitParked(rec, 1, blobFor(rec, 1, header)), /cannot go on/);
        sink.drop(rec, 1);
        commitParked(sink, rec, 0, header, payload);
        assertRestErased(store);
        store.device.close();
      } finally {
        tiny.done();
      }
    } finally {
      img.done();
    }
  });
});
