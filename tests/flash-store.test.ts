// The flash store (host/flash/store.ts, FORMAT.md "The camera's flash"):
// segments written through the sink survive a reboot byte for byte and in
// FORMAT.md's layout (checked by an independent decoder here); deletion frees
// their blocks; boot keeps exactly the committed segments and erases the rest;
// a power cut at every flash operation of a workload, and a second one during
// the boot after it, never loses a committed segment nor shows a damaged or
// uncommitted one; chip errors and a full store fail the segment cleanly; a
// real recording goes through the sink, out with exportTo and through
// `sealcam verify --identity`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import {
  FlashDevice, FlashStore, PowerCut, objectId, type FlashGeometry, type FaultPlan, type FlashSink, type StoredSegment,
} from "../host/flash/index.ts";
import { manifestBlob, parseManifest, type Manifest } from "../host/evidence/index.ts";
import { StorageFullError, segmentName } from "../host/store/index.ts";
import { Recorder, seededEntropy } from "../host/camera/index.ts";
import { parseRecipient } from "../host/keys/index.ts";
import { MODULE_ERRORS, SealcamError } from "../host/errors.ts";
import { BIN, ROOT } from "./helpers/cli.ts";

/** Small: 3584 data bytes a block, so objects of a few blocks make a workload of ~150 operations. */
const SMALL: FlashGeometry = { pageBytes: 512, pagesPerBlock: 8, blocks: 64 };
const DATA_PER_BLOCK = 512 * 7;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Deterministic bytes (SHA-256 in counter mode over a label). */
function bytesOf(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, at = 0; at < n; i++, at += 32) out.set(sha256(Buffer.from(`${label}/${i}`)).subarray(0, Math.min(32, n - at)), at);
  return out;
}

const recordingOf = (tag: string) => new Uint8Array(sha256(Buffer.from(`recording ${tag}`)).subarray(0, 16));

/** The 251-byte blob the module would commit for these bytes; the signature is filler (the store does not check it). */
function blobFor(recording: Uint8Array, sequence: number, data: Uint8Array, over: Partial<Manifest> = {}): Uint8Array {
  return manifestBlob({
    format: "sealcam-manifest/1",
    device: hex(sha256(Buffer.from("device"))),
    recording: hex(recording),
    sequence,
    final: false,
    first_frame: 30 * sequence,
    frame_count: 30,
    first_time_us: 1_700_000_000_000_000 + sequence,
    last_time_us: 1_700_000_001_000_000 + sequence,
    age_bytes: data.length,
    age_sha256: hex(sha256(data)),
    pre_event_start: false,
    previous_manifest: "00".repeat(32),
    signature: hex(bytesOf(`signature ${sequence}`, 64)),
    ...over,
  });
}

/** Writes one object through the sink in uneven pieces and commits it. */
function put(sink: FlashSink, recording: Uint8Array, sequence: number, data: Uint8Array) {
  sink.open(recording, sequence);
  const cuts = [1, 511, 700, 4096, 3];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.min(cuts[i % cuts.length], data.length - at);
    sink.append(data.subarray(at, at + n));
    at += n;
  }
  assert.deepEqual(Buffer.from(sink.digest()), sha256(data));
  return sink.commit(blobFor(recording, sequence, data));
}

interface Image {
  dir: string;
  path: string;
  open(plan?: FaultPlan): FlashDevice;
  done(): void;
}

function image(geometry: FlashGeometry = SMALL): Image {
  const dir = mkdtempSync(join(tmpdir(), "sealcam-flash-"));
  const path = join(dir, "flash.img");
  const open = (plan: FaultPlan = {}) => FlashDevice.open(path, geometry, plan);
  return { dir, path, open, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reboots: a new device on the image, booted. */
function reboot(img: Image, plan: FaultPlan = {}, log?: (line: string) => void): FlashStore {
  return FlashStore.boot(img.open(plan), log);
}

/** Every block that no listed segment holds is erased, on the chip. */
function assertRestErased(store: FlashStore): void {
  const held = new Set(store.list().flatMap((s) => s.blocks));
  const { blocks } = store.device.geometry;
  for (let b = 0; b < blocks; b++) {
    if (held.has(b)) continue;
    const data = store.device.read(b * store.device.blockBytes, store.device.blockBytes);
    assert.ok(data.every((x) => x === 0xff), `block ${b} is erased`);
  }
  assert.equal(store.freeBlocks + store.usedBlocks, blocks);
  assert.equal(store.usedBlocks, held.size, "used blocks are exactly the listed segments' blocks");
}

// An independent reading of FORMAT.md's layout, to check the writer against the document.
function decodeHeaderByHand(page: Buffer) {
  assert.equal(page.toString("latin1", 0, 8), "SCAMFLB1");
  assert.ok(sha256(page.subarray(0, 32)).equals(page.subarray(32, 64)), "header hash");
  assert.ok(page.subarray(64).every((x) => x === 0xff), "rest of the header page erased");
  return { id: page.toString("hex", 8, 28), ordinal: page.readUInt32LE(28) };
}

function decodeCommitByHand(page: Buffer) {
  assert.equal(page.toString("latin1", 0, 8), "SCAMCMT2");
  assert.ok(sha256(page.subarray(0, 327)).equals(page.subarray(327, 359)), "commit record hash");
  assert.ok(page.subarray(359).every((x) => x === 0xff), "rest of the commit page erased");
  return {
    id: page.toString("hex", 8, 28), blocks: page.readUInt32LE(28), length: Number(page.readBigUInt64LE(32)),
    headerBytes: page.readUInt32LE(40), sha: page.toString("hex", 44, 76), blob: page.subarray(76, 327),
  };
}

describe("flash store", () => {
  it("objects of every shape survive a reboot byte for byte, in FORMAT.md's layout; deletion frees their blocks", () => {
    const img = image();
    try {
      const store = reboot(img);
      assert.equal(store.freeBlocks, 64);
      const rec = recordingOf("shapes");
      const shapes: [string, number, number][] = [
        // name, bytes, blocks
        ["one byte", 1, 1],
        ["exactly a page", 512, 1],
        ["fills a block but the last page: the commit record takes it", DATA_PER_BLOCK - 512, 1],
        ["exactly a block: the commit record needs one more", DATA_PER_BLOCK, 2],
        ["one byte more than a block", DATA_PER_BLOCK + 1, 2],
        ["many blocks, more than one 64 KiB read chunk", 70_000, 20],
      ];
      const sink = store.sink();
      const data = shapes.map(([name, n], seq) => {
        const d = bytesOf(name, n);
        const c = put(sink, rec, seq, d);
        assert.equal(c.name, segmentName(rec, seq));
        assert.equal(c.agePath, "");
        assert.equal(c.manifest.age_bytes, n);
        assert.equal(c.manifestHash.length, 32);
        return d;
      });
      assert.ok(!sink.isOpen);
      const totalBlocks = shapes.reduce((n, s) => n + s[2], 0);
      assert.equal(store.usedBlocks, totalBlocks);
      store.device.close();

      const log: string[] = [];
      const again = reboot(img, {}, (l) => log.push(l));
      assert.deepEqual(again.recovered.discarded, []);
      assert.deepEqual(again.recovered.erased, []);
      assert.equal(log.length, 1, "one summary line when there is nothing to tidy");
      const listed = again.list();
      assert.deepEqual(listed.map((s) => s.name), shapes.map((_, seq) => segmentName(rec, seq)));
      assert.deepEqual(again.recovered.committed, listed.map((s) => s.id));
      listed.forEach((s, seq) => {
        assert.equal(s.id, objectId(rec, seq));
        assert.equal(s.blocks.length, shapes[seq][2], `${shapes[seq][0]}: blocks`);
        assert.equal(s.ageBytes, data[seq].length);
        assert.equal(s.ageSha256, hex(sha256(data[seq])));
        assert.equal(s.manifest.sequence, seq);
        assert.deepEqual(Buffer.from(again.readAge(s.id)), Buffer.from(data[seq]), `${shapes[seq][0]}: bytes`);
      });
      const chunks = [...again.readAgeChunks(listed[5].id)].map((c) => c.length);
      assert.deepEqual(chunks, [65_536, 70_000 - 65_536]);
      assert.equal(again.usedBlocks, totalBlocks);

      // The layout, read by hand from the image file against FORMAT.md.
      const raw = readFileSync(img.path);
      for (const [seq, s] of listed.entries()) {
        s.blocks.forEach((b, ordinal) => {
          const h = decodeHeaderByHand(raw.subarray(b * 4096, b * 4096 + 512));
          assert.deepEqual(h, { id: s.id, ordinal });
        });
        const dataPages = Math.ceil(data[seq].length / 512);
        const last = s.blocks[s.blocks.length - 1];
        const page = 1 + (dataPages % 7);
        const c = decodeCommitByHand(raw.subarray(last * 4096 + page * 512, last * 4096 + page * 512 + 512));
        assert.deepEqual({ id: c.id, blocks: c.blocks, length: c.length, headerBytes: c.headerBytes, sha: c.sha },
          { id: s.id, blocks: s.blocks.length, length: data[seq].length, headerBytes: 0, sha: s.ageSha256 });
        assert.ok(c.blob.equals(blobFor(rec, seq, data[seq])));
        // The bytes: pages 1.. of each block in ordinal order.
        const joined = Buffer.concat(s.blocks.map((b) => raw.subarray(b * 4096 + 512, b * 4096 + 4096))).subarray(0, data[seq].length);
        assert.ok(joined.equals(data[seq]));
      }

      // Delete two; their blocks are free at once and after a reboot.
      const gone = [listed[1], listed[5]];
      for (const s of gone) again.delete(s.id);
      assert.equal(again.usedBlocks, totalBlocks - 21);
      assert.throws(() => again.readAge(listed[1].id), /no committed segment/);
      assert.throws(() => again.delete(listed[1].id), /no committed segment/);
      again.device.close();
      const third = reboot(img);
      assert.deepEqual(third.list().map((s) => s.name), [0, 2, 3, 4].map((seq) => segmentName(rec, seq)));
      assert.deepEqual(third.recovered.discarded, []);
      assertRestErased(third);
      for (const s of third.list()) assert.deepEqual(Buffer.from(third.readAge(s.id)), Buffer.from(data[s.manifest.sequence]));
      third.device.close();
    } finally {
      img.done();
    }
  });

  it("the sink refuses what the manifest does not describe, a second open, and an id already stored", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("refusals");
      const d = bytesOf("refusals", 1000);
      put(sink, rec, 0, d);
      assert.throws(() => sink.open(rec, 0), /already exists/);
      assert.throws(() => store.sink().open(rec, 0), /already exists/);
      sink.open(rec, 1);
      assert.throws(() => sink.open(rec, 2), /still open/);
      assert.throws(() => store.sink().open(rec, 1), /already exists/, "an id another sink is writing");
      sink.append(d);
      assert.throws(() => sink.commit(blobFor(rec, 2, d)), /names segment .*-000002, not .*-000001/);
      assert.throws(() => sink.commit(blobFor(rec, 1, d.subarray(1))), /does not describe the bytes written/);
      assert.throws(() => sink.commit(blobFor(rec, 1, d, { age_sha256: "00".repeat(32) })), /does not describe/);
      assert.throws(() => sink.commit(new Uint8Array(250)), /blob is 250 bytes/);
      assert.equal(store.list().length, 1, "nothing committed by a refused commit");
      sink.commit(blobFor(rec, 1, d)); // the segment was left open and still commits
      sink.abort(); // nothing open: does nothing
      assert.throws(() => sink.append(d), /no open segment/);
      assert.equal(store.list().length, 2);
      store.device.close();
    } finally {
      img.done();
    }
  });

  it("allocation goes round-robin from the last block taken, and after a reboot from the start of the longest free run", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("wear");
      const one = bytesOf("one block", 1000);
      for (let seq = 0; seq < 3; seq++) put(sink, rec, seq, one);
      assert.deepEqual(store.list().map((s) => s.blocks), [[0], [1], [2]]);
      store.delete(objectId(rec, 0));
      put(sink, rec, 3, one);
      assert.deepEqual(store.list().at(-1)!.blocks, [3], "not the block just freed");
      store.device.close();
      // Blocks 1–3 used: the longest free run is 4…63 (block 0 alone is shorter).
      const again = reboot(img);
      put(again.sink(), rec, 4, one);
      assert.deepEqual(again.list().at(-1)!.blocks, [4]);
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("boot keeps only what FORMAT.md calls committed and erases the rest (an image written by hand)", () => {
    const img = image();
    try {
      const dev = img.open();
      const rec = recordingOf("by hand");
      // An independent writer of FORMAT.md's layout.
      const header = (id: string, ordinal: number) => {
        const h = Buffer.alloc(64);
        h.write("SCAMFLB1", 0, "latin1");
        Buffer.from(id, "hex").copy(h, 8);
        h.writeUInt32LE(ordinal, 28);
        sha256(h.subarray(0, 32)).copy(h, 32);
        return h;
      };
      /** A commit record for stored bytes `data` whose last `headerBytes` start the `.age` file. */
      const record = (id: string, blocks: number, data: Uint8Array, blob: Uint8Array, patch?: (c: Buffer) => void, headerBytes = 0) => {
        const c = Buffer.alloc(359);
        c.write("SCAMCMT2", 0, "latin1");
        Buffer.from(id, "hex").copy(c, 8);
        c.writeUInt32LE(blocks, 28);
        c.writeBigUInt64LE(BigInt(data.length), 32);
        c.writeUInt32LE(headerBytes, 40);
        sha256(ageOrder(data, headerBytes)).copy(c, 44);
        Buffer.from(blob).copy(c, 76);
        patch?.(c);
        sha256(c.subarray(0, 327)).copy(c, 327);
        return c;
      };
      /** The record before parked segments (SCAMCMT1, 355 bytes), which boot still reads. */
      const recordV1 = (id: string, blocks: number, data: Uint8Array, blob: Uint8Array) => {
        const c = Buffer.alloc(355);
        c.write("SCAMCMT1", 0, "latin1");
        Buffer.from(id, "hex").copy(c, 8);
        c.writeUInt32LE(blocks, 28);
        c.writeBigUInt64LE(BigInt(data.length), 32);
        sha256(data).copy(c, 40);
        Buffer.from(blob).copy(c, 72);
        sha256(c.subarray(0, 323)).copy(c, 323);
        return c;
      };
      /** The `.age` file of stored bytes whose last `headerBytes` are its start. */
      const ageOrder = (stored: Uint8Array, headerBytes: number) =>
        Buffer.concat([stored.subarray(stored.length - headerBytes), stored.subarray(0, stored.length - headerBytes)]);
      /** Writes an object into `blocks`; commit record at `commitAt` [ordinal, page] or where its length puts it. */
      const write = (seq: number, data: Uint8Array, blocks: number[], opts: {
        commit?: boolean; commitAt?: [number, number]; blob?: Uint8Array; count?: number; patch?: (c: Buffer) => void; headerBytes?: number; v1?: boolean;
      } = {}) => {
        const id = objectId(rec, seq);
        blocks.forEach((b, ordinal) => dev.program(b * 8, header(id, ordinal)));
        let page = 0;
        for (let at = 0; at < data.length; at += 512, page++) {
          dev.program(blocks[Math.floor(page / 7)] * 8 + 1 + (page % 7), data.subarray(at, at + 512));
        }
        if (opts.commit === false) return id;
        const [ordinal, p] = opts.commitAt ?? [Math.floor(page / 7), 1 + (page % 7)];
        const h = opts.headerBytes ?? 0;
        const blob = opts.blob ?? blobFor(rec, seq, ageOrder(data, h));
        dev.program(blocks[ordinal] * 8 + p, opts.v1 ? recordV1(id, opts.count ?? blocks.length, data, blob) : record(id, opts.count ?? blocks.length, data, blob, opts.patch, h));
        return id;
      };
      const d = (seq: number, n: number) => bytesOf(`by hand ${seq}`, n);
      const good = write(0, d(0, 5000), [10, 3]);
      const goodFull = write(1, d(1, DATA_PER_BLOCK), [20, 21]); // commit record alone in block 21
      const uncommitted = write(2, d(2, 3000), [30], { commit: false });
      const badHash = write(3, d(3, 2000), [31]);
      dev.erase(31);
      dev.program(31 * 8, header(badHash, 0));
      const other = d(3, 2000).slice();
      other[1999] ^= 1; // a different last byte: the data no longer matches the record
      for (let p = 0; p < 4; p++) dev.program(31 * 8 + 1 + p, other.subarray(p * 512, p * 512 + 512));
      dev.program(31 * 8 + 5, record(badHash, 1, d(3, 2000), blobFor(rec, 3, d(3, 2000))));
      const missing = write(4, d(4, 8000), [40, 41, 42]);
      dev.erase(41); // ordinal 1 gone
      const misplaced = write(5, d(5, 1000), [43], { commitAt: [0, 5] }); // should be page 3
      const wrongCount = write(6, d(6, 1000), [44, 45], { count: 1 }); // an extra block the record does not name
      const lying = write(7, d(7, 1000), [46], { blob: blobFor(rec, 7, d(7, 999)) });
      const wrongLength = write(8, d(8, 1000), [47], { patch: (c) => c.writeBigUInt64LE(999n, 32) });
      const twoCommits = write(9, d(9, 1000), [48]);
      dev.program(48 * 8 + 4, record(twoCommits, 1, d(9, 1000), blobFor(rec, 9, d(9, 1000))));
      // A block with a broken header, and one whose header page is erased but page 5 is not.
      dev.program(50 * 8, header(objectId(rec, 10), 0).fill(0x42, 40, 41));
      dev.program(51 * 8 + 5, d(11, 100));
      // A pre-event segment: 300 header bytes stored after 4700 payload bytes, across two blocks.
      const parked = write(12, d(12, 5000), [52, 53], { headerBytes: 300 });
      // A record claiming more header bytes than the object has does not check out.
      const tooMuchHeader = write(13, d(13, 1000), [54], { patch: (c) => c.writeUInt32LE(1001, 40) });
      // The old record, before parked segments: still a committed segment.
      const legacy = write(14, d(14, 4000), [55, 56], { v1: true });
      dev.close();

      const log: string[] = [];
      const store = reboot(img, {}, (l) => log.push(l));
      assert.deepEqual(store.list().map((s) => s.id), [good, goodFull, parked, legacy]);
      assert.deepEqual(store.list().map((s) => s.blocks), [[10, 3], [20, 21], [52, 53], [55, 56]]);
      assert.deepEqual(store.list().map((s) => s.headerBytes), [0, 0, 300, 0]);
      assert.deepEqual(Buffer.from(store.readAge(good)), Buffer.from(d(0, 5000)));
      assert.deepEqual(Buffer.from(store.readAge(legacy)), Buffer.from(d(14, 4000)));
      const parkedAge = ageOrder(d(12, 5000), 300);
      assert.deepEqual(Buffer.from(store.readAge(parked)), parkedAge, "a pre-event segment reads in .age order: header first");
      assert.equal(store.list()[2].ageSha256, hex(sha256(parkedAge)));
      const why = new Map(store.recovered.discarded.map((x) => [x.id ?? `block ${x.blocks[0]}`, x]));
      assert.match(why.get(uncommitted)!.why, /no commit record/);
      assert.match(why.get(badHash)!.why, /do not match/);
      assert.match(why.get(missing)!.why, /ordinals 0, 2/);
      assert.match(why.get(misplaced)!.why, /not where its length puts it/);
      assert.match(why.get(wrongCount)!.why, /not the 1 its commit record names/);
      assert.match(why.get(lying)!.why, /manifest does not describe it/);
      assert.match(why.get(wrongLength)!.why, /manifest does not describe it|not where its length puts it/);
      assert.match(why.get(twoCommits)!.why, /2 commit records/);
      assert.match(why.get(tooMuchHeader)!.why, /no commit record/);
      assert.match(why.get("block 50")!.why, /header does not check out/);
      assert.match(why.get("block 51")!.why, /header page erased but the block is not/);
      assert.deepEqual(why.get(missing)!.blocks, [42, 40], "the block holding the commit record is erased first");
      assert.equal(store.recovered.discarded.length, 11);
      assert.equal(log.length, 12, "a line per thing discarded and a summary");
      assert.ok(log.every((l) => !l.includes("\n")));
      assertRestErased(store);
      store.device.close();
      const again = reboot(img);
      assert.deepEqual(again.recovered.discarded, [], "a second boot finds nothing to do");
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("a power cut at every flash operation of a workload, and during the boot after it, loses nothing committed and shows nothing else", (ctx) => {
    const recA = recordingOf("cut A"), recB = recordingOf("cut B");
    type Step = { put: [Uint8Array, number, number] } | { del: [Uint8Array, number] } | { abort: [Uint8Array, number, number] };
    const steps: Step[] = [
      { put: [recA, 0, 1] },
      { put: [recA, 1, 512] },
      { put: [recA, 2, DATA_PER_BLOCK] }, // commit record in an extra block
      { put: [recA, 3, 12_000] }, // four blocks
      { del: [recA, 1] },
      { put: [recB, 0, 2000] },
      { put: [recB, 1, 2 * DATA_PER_BLOCK] },
      { abort: [recB, 2, 4000] }, // a segment the recorder aborts
      { del: [recA, 3] },
      { put: [recB, 3, 5000] },
      { del: [recA, 0] },
      { put: [recB, 4, 800] },
      { put: [recB, 5, 9000] },
      { put: [recB, 6, 6 * DATA_PER_BLOCK - 700] }, // six blocks
      { abort: [recB, 7, 2 * DATA_PER_BLOCK + 100] }, // an aborted segment of three blocks
      { del: [recB, 1] },
      { del: [recB, 6] },
      { put: [recB, 8, 3 * DATA_PER_BLOCK + 512] },
    ];
    const content = (rec: Uint8Array, seq: number, n: number) => bytesOf(`${hex(rec)}/${seq}`, n);
    const expected = new Map<string, Uint8Array>();
    for (const s of steps) if ("put" in s) expected.set(objectId(s.put[0], s.put[1]), content(...s.put));

    interface Track { committed: Set<string>; deleted: Set<string>; committing?: string; deleting?: string }
    const run = (store: FlashStore, t: Track) => {
      const sink = store.sink();
      for (const s of steps) {
        if ("put" in s) {
          const [rec, seq, n] = s.put;
          t.committing = objectId(rec, seq);
          put(sink, rec, seq, content(rec, seq, n));
          t.committed.add(t.committing);
          t.committing = undefined;
        } else if ("del" in s) {
          t.deleting = objectId(...s.del);
          store.delete(t.deleting);
          t.deleted.add(t.deleting);
          t.deleting = undefined;
        } else {
          const [rec, seq, n] = s.abort;
          sink.open(rec, seq);
          sink.append(content(rec, seq, n));
          sink.abort();
        }
      }
    };

    const img = image();
    let total: number;
    {
      const store = reboot(img);
      run(store, { committed: new Set(), deleted: new Set() });
      total = store.device.operationCount;
      store.device.close();
      rmSync(img.path);
    }
    assert.ok(total > 200 && total < 400, `${total} operations`);

    const check = (store: FlashStore, t: Track, label: string) => {
      const listed = new Map(store.list().map((s) => [s.id, s]));
      for (const id of t.committed) {
        if (t.deleted.has(id) || id === t.deleting) continue;
        assert.ok(listed.has(id), `${label}: committed ${id} survives`);
      }
      for (const [id, s] of listed) {
        const committedAndKept = t.committed.has(id) && !t.deleted.has(id);
        assert.ok(committedAndKept || id === t.committing, `${label}: ${s.name} listed but not committed (or deleted)`);
        assert.deepEqual(Buffer.from(store.readAge(id)), Buffer.from(expected.get(id)!), `${label}: ${s.name} byte-exact`);
      }
      assertRestErased(store);
    };

    let cutsInBoot = 0;
    let tornCommitsKept = 0;
    for (let n = 1; n <= total; n++) {
      const label = `cut at ${n}`;
      const t: Track = { committed: new Set(), deleted: new Set() };
      const store = reboot(img, { cutAt: n, seed: n });
      assert.throws(() => run(store, t), (e: unknown) => e instanceof PowerCut && e.operation === n, label);
      store.device.close();

      if (n % 4 === 0) {
        // A second cut, during the boot that tidies the first one's leftovers.
        try {
          const b = reboot(img, { cutAt: 1 + (n % 3), seed: 1000 + n });
          b.device.close();
        } catch (e) {
          assert.ok(e instanceof PowerCut, `${label}: boot fails only by the cut`);
          cutsInBoot++;
        }
      }
      const after = reboot(img);
      check(after, t, label);
      if (t.committing && after.list().some((s) => s.id === t.committing)) tornCommitsKept++;
      const ids = after.list().map((s) => s.id);
      after.device.close();

      const second = reboot(img);
      assert.deepEqual(second.list().map((s) => s.id), ids, `${label}: a second boot agrees`);
      assert.deepEqual(second.recovered.discarded, [], `${label}: and has nothing left to do`);
      // A fresh segment after recovery.
      const rec = recordingOf(`after ${n}`);
      const fresh = bytesOf(`fresh ${n}`, 6000);
      put(second.sink(), rec, 0, fresh);
      second.device.close();
      const third = reboot(img);
      assert.deepEqual(Buffer.from(third.readAge(objectId(rec, 0))), Buffer.from(fresh), `${label}: fresh segment`);
      third.device.close();
      rmSync(img.path);
    }
    img.done();
    assert.ok(cutsInBoot > 5, `some boots were cut too (${cutsInBoot})`);
    // A torn commit program that wrote the whole record leaves a committed segment: allowed, and seen.
    assert.ok(tornCommitsKept >= 1, `torn commit records kept: ${tornCommitsKept}`);
    ctx.diagnostic(`${total} operations cut; ${cutsInBoot} boots cut too; ${tornCommitsKept} torn commit programs left a whole record`);
  });

  it("a chip error while writing fails the segment with one line; abort leaves no trace after a reboot", () => {
    // Operations of one segment of 2 blocks + 1000 bytes: header (1), 7 pages (2-8), header (9), 7 pages (10-16),
    // header (17), a full page (18); at commit the last 488 bytes (19) and the commit record (20).
    const rec = recordingOf("chip errors");
    const data = bytesOf("chip errors", 2 * DATA_PER_BLOCK + 1000);
    for (const [failAt, where] of [[1, "first header"], [3, "a data page"], [9, "second header"], [19, "last data page (at commit)"], [20, "commit record"]] as const) {
      const img = image();
      try {
        const store = reboot(img, { failAt: [failAt] });
        const sink = store.sink();
        sink.open(rec, 0);
        let failed: unknown;
        try {
          sink.append(data);
          sink.commit(blobFor(rec, 0, data));
        } catch (e) {
          failed = e;
        }
        assert.ok(failed instanceof SealcamError, `${where}: a SealcamError`);
        assert.match(failed.message, /^storage: flash write of [0-9a-f]{32}-000000 failed: flash operation \d+ failed \(status error\)$/);
        assert.ok(sink.isOpen, `${where}: left for abort`);
        assert.throws(() => sink.append(new Uint8Array(1)), /cannot go on after a failed write/);
        assert.throws(() => sink.commit(blobFor(rec, 0, data)), /cannot go on after a failed write/);
        sink.abort();
        assert.ok(!sink.isOpen);
        assert.equal(store.freeBlocks, 64, `${where}: every block free again`);
        store.device.close();
        const again = reboot(img);
        assert.deepEqual(again.list(), []);
        assert.deepEqual(again.recovered.discarded, [], `${where}: nothing left for boot`);
        assertRestErased(again);
        put(again.sink(), rec, 1, data); // the chip goes on
        again.device.close();
      } finally {
        img.done();
      }
    }
  });

  it("a failed erase during abort or delete leaves a dirty block: counted used, erased before reuse or by the next boot", () => {
    const rec = recordingOf("erase errors");
    const tiny: FlashGeometry = { pageBytes: 512, pagesPerBlock: 4, blocks: 4 }; // 1536 data bytes a block
    const img = image(tiny);
    try {
      // Abort of a 2-block object: op 9 erases the last block first (fails), op 10 the first.
      const store = reboot(img, { failAt: [9] });
      const sink = store.sink();
      sink.open(rec, 0);
      sink.append(bytesOf("a", 2000)); // header, 3 pages, header, 1 page = 6 ops; 464 bytes buffered
      sink.append(bytesOf("b", 1100)); // 2 more pages = 8
      sink.abort(); // op 9 fails (block 1), op 10 erases block 0
      assert.equal(store.usedBlocks, 1, "the dirty block counts as used");
      const raw = store.device.read(1 * 2048, 2048);
      assert.ok(!raw.every((x) => x === 0xff), "the last block is the one left (erased last-first)");
      // An object of four blocks (9 data pages; the commit record takes a fourth block): allocation
      // goes 2, 3, 0 and comes round to the dirty block 1, which it erases first.
      const d = bytesOf("fills", 3 * 1536 - 1);
      put(sink, rec, 1, d);
      assert.equal(store.freeBlocks, 0);
      assert.deepEqual(store.list()[0].blocks, [2, 3, 0, 1]);
      store.device.close();
      const again = reboot(img);
      assert.deepEqual(again.recovered.discarded, []);
      assert.deepEqual(Buffer.from(again.readAge(objectId(rec, 1))), Buffer.from(d));
      again.device.close();
    } finally {
      img.done();
    }

    const img2 = image();
    try {
      const store = reboot(img2);
      const sink = store.sink();
      const d = bytesOf("delete", 2 * DATA_PER_BLOCK - 512); // 2 blocks, commit in the second
      put(sink, rec, 0, d);
      put(sink, rec, 1, d);
      const [s0, s1] = store.list();
      store.device.close();
      // Delete's first erase (the commit record's block) fails: the segment stays, intact.
      let s = reboot(img2, { failAt: [1] });
      assert.throws(() => s.delete(s0.id), (e: unknown) => e instanceof SealcamError && /cannot delete .*still stored/.test(e.message));
      assert.equal(s.list().length, 2);
      s.device.close();
      s = reboot(img2);
      assert.deepEqual(Buffer.from(s.readAge(s0.id)), Buffer.from(d));
      s.device.close();
      // Delete's second erase fails: the segment is gone (its commit record was erased first), a block dirty.
      s = reboot(img2, { failAt: [2] });
      s.delete(s1.id);
      assert.deepEqual(s.list().map((x) => x.id), [s0.id]);
      assert.ok(s.device.read(s1.blocks[1] * 4096, 4096).every((x) => x === 0xff), "the commit record's block went first");
      assert.equal(s.usedBlocks, 3);
      s.device.close();
      const log: string[] = [];
      s = reboot(img2, {}, (l) => log.push(l));
      assert.deepEqual(s.recovered.discarded.map((x) => [x.id, x.blocks, /no commit record/.test(x.why)]), [[s1.id, [s1.blocks[0]], true]]);
      assert.match(log[0], /^flash: segment [0-9a-f]{32}-000001, block \d+: no commit record/);
      assertRestErased(s);
      s.device.close();
    } finally {
      img2.done();
    }
  });

  it("a full store: the append (or commit) that finds no block throws 'storage full'; the rest is untouched; abort leaves nothing", () => {
    const img = image();
    try {
      const store = reboot(img);
      const sink = store.sink();
      const rec = recordingOf("full");
      const kept = [bytesOf("kept 0", 20 * DATA_PER_BLOCK - 600), bytesOf("kept 1", 30 * DATA_PER_BLOCK - 512)];
      kept.forEach((d, i) => put(sink, rec, i, d));
      assert.equal(store.freeBlocks, 14);
      sink.open(rec, 2);
      let appended = 0;
      const piece = bytesOf("filler", 1000);
      const full = (e: unknown) => e instanceof StorageFullError && /^storage full: no free flash block for segment [0-9a-f]{32}-\d{6} \(64 of 64 blocks in use\)$/.test(e.message);
      assert.throws(() => {
        for (;;) {
          sink.append(piece);
          appended += piece.length;
        }
      }, full);
      assert.ok(appended >= 14 * DATA_PER_BLOCK - 1000 && appended <= 14 * DATA_PER_BLOCK, `${appended} bytes went in`);
      assert.equal(store.freeBlocks, 0);
      assert.throws(() => sink.append(piece), /cannot go on/);
      kept.forEach((d, i) => assert.deepEqual(Buffer.from(store.readAge(objectId(rec, i))), Buffer.from(d)));
      sink.abort();
      assert.equal(store.freeBlocks, 14);

      // Data that fills the last free block exactly: the commit record finds no block.
      const exact = bytesOf("exact", 14 * DATA_PER_BLOCK);
      sink.open(rec, 3);
      sink.append(exact);
      assert.throws(() => sink.commit(blobFor(rec, 3, exact)), full);
      sink.abort();
      store.device.close();
      const again = reboot(img);
      assert.deepEqual(again.list().map((s) => s.id), [objectId(rec, 0), objectId(rec, 1)]);
      assert.deepEqual(again.recovered.discarded, []);
      assertRestErased(again);
      // A page less and it commits.
      put(again.sink(), rec, 4, exact.subarray(512));
      assert.equal(again.freeBlocks, 0);
      again.device.close();
    } finally {
      img.done();
    }
  });

  it("a real recording through the FlashSink: exported, `sealcam verify --identity` finds it intact; a full flash aborts cleanly", async () => {
    const identity = await generateX25519Identity();
    const recipient = parseRecipient(await identityToRecipient(identity));
    const T0 = 1_750_000_000_000_000;
    const next = seededEntropy("flash frames");
    /** Access units: an Annex B start code and an IDR or non-IDR slice header, then noise. */
    const framesOf = (count: number, size: (i: number) => number, gop: number) => Array.from({ length: count }, (_, i) => {
      const bytes = new Uint8Array(size(i));
      next(bytes);
      bytes.set([0, 0, 0, 1, i % gop === 0 ? 0x65 : 0x41]);
      return { bytes, keyframe: i % gop === 0, timeUs: T0 + Math.round((i * 1e6) / 30) };
    });
    const frames = framesOf(100, (i) => [1000, 65_536, 9000, 70_001, 7][i % 5], 30);
    const img = image({ pageBytes: 2048, pagesPerBlock: 64, blocks: 64 }); // 8 MiB
    try {
      const store = reboot(img);
      const sink = store.sink();
      let now = BigInt(T0);
      const recorder = await Recorder.create({ store: sink, entropy: seededEntropy("flash recorder"), clock: () => (now += 1000n) });
      recorder.configure({ deviceSeed: new Uint8Array(32).fill(0x5c), recipients: [recipient], segmentSeconds: 1 });
      recorder.start();
      for (const f of frames) recorder.frame(f);
      const summary = recorder.stop();
      assert.equal(summary.segments.length, 4);
      assert.equal(summary.aborted, 0);
      store.device.close();

      const again = reboot(img);
      assert.deepEqual(again.list().map((s) => s.name), summary.segments.map((s) => s.name));
      assert.deepEqual(again.list().map((s) => hex(s.manifestHash)), summary.segments.map((s) => hex(s.manifestHash)));
      const out = join(img.dir, "export");
      assert.deepEqual(again.exportTo(out), summary.segments.map((s) => s.name));
      assert.throws(() => again.exportTo(out), /already exists/, "export never replaces a file");
      for (const s of again.list()) {
        assert.deepEqual(parseManifest(readFileSync(join(out, `${s.name}.manifest.json`), "utf8")), s.manifest);
      }
      const key = join(img.dir, "force.key");
      writeFileSync(key, identity + "\n");
      const r = spawnSync(process.execPath, [BIN, "verify", out, "--identity", key], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
      assert.equal(r.status, 0, `verify: ${r.stdout}${r.stderr}`);
      again.device.close();
    } finally {
      img.done();
    }

    // The same recording into a flash too small for it: the segment that finds it full is aborted and leaves nothing.
    const small = image({ pageBytes: 2048, pagesPerBlock: 16, blocks: 8 }); // 240 KiB of data
    try {
      const store = reboot(small);
      const sink = store.sink();
      let now = BigInt(T0);
      const recorder = await Recorder.create({ store: sink, entropy: seededEntropy("flash recorder"), clock: () => (now += 1000n) });
      recorder.configure({ deviceSeed: new Uint8Array(32).fill(0x5c), recipients: [recipient], segmentSeconds: 1, segmentBytes: 64 * 1024 });
      recorder.start();
      let failure: unknown;
      // 8 KB frames, a keyframe every 5: segments of 10 frames (~80 KB, 3 blocks); the third finds the flash full.
      for (const f of framesOf(60, () => 8000, 5)) {
        try {
          recorder.frame(f);
        } catch (e) {
          failure = e;
          break;
        }
      }
      assert.ok(failure instanceof SealcamError, "the recording ran into the full flash");
      // ERR_FULL since the module knows full storage (docs/ABI.md "Full storage"); ERR_STORAGE before.
      assert.ok([MODULE_ERRORS.ERR_FULL?.code, MODULE_ERRORS.ERR_STORAGE.code].includes(failure.moduleCode ?? -1), `module code ${failure.moduleCode}`);
      assert.equal(failure.moduleCode, MODULE_ERRORS.ERR_FULL.code, "the module stops on full storage (ERR_FULL)");
      assert.match(failure.message, /^frame \d+: storage full; recording stopped \(storage full: no free flash block for segment [0-9a-f]{32}-\d{6}/);
      assert.ok(!sink.isOpen, "the module aborted the segment");
      const committed = recorder.summary().segments;
      recorder.close();
      assert.equal(committed.length, 2, "segments before the full one committed");
      assert.equal(store.usedBlocks, store.list().reduce((n, s) => n + s.blocks.length, 0), "no half segment holds a block");
      store.device.close();
      const again = reboot(small);
      assert.deepEqual(again.list().map((s) => s.name), committed.map((s) => s.name));
      assert.deepEqual(again.recovered.discarded, []);
      assertRestErased(again);
      again.device.close();
    } finally {
      small.done();
    }
  });
});
