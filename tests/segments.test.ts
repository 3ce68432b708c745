// The directory segment store: commit makes a segment visible with its
// manifest, abort leaves nothing, the boot-time tidy removes what a crash
// left, and a power cut before any durable step leaves either the whole
// committed segment or nothing of it once the store is opened again. Parked
// pre-event segments get their header first in the `.age` file; `maxBytes`
// makes a full store refuse; the audit log appends, survives a torn entry and
// trims atomically.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUDIT_LOG, MemorySink, SegmentStore, StorageFullError, segmentName, type StoreStep } from "../host/store/index.ts";
import { auditEntry } from "./helpers/flash.ts";
import { manifestBlob, parseManifest, type Manifest } from "../host/evidence/index.ts";

const sha256hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "sealcam-store-"));
}

/** The blob the module would hand over for these bytes (signature random: the store does not check it). */
function blobFor(recording: Uint8Array, sequence: number, data: Uint8Array, over: Partial<Manifest> = {}): Uint8Array {
  return manifestBlob({
    format: "sealcam-manifest/1",
    device: randomBytes(32).toString("hex"),
    recording: Buffer.from(recording).toString("hex"),
    sequence,
    final: false,
    first_frame: 120 * sequence,
    frame_count: 120,
    first_time_us: 1_700_000_000_000_000,
    last_time_us: 1_700_000_003_966_667,
    age_bytes: data.length,
    age_sha256: sha256hex(data),
    pre_event_start: false,
    previous_manifest: "00".repeat(32),
    signature: randomBytes(64).toString("hex"),
    ...over,
  });
}

/** Writes one segment of `pieces` and commits it. */
function writeSegment(store: SegmentStore, recording: Uint8Array, sequence: number, pieces: Uint8Array[]) {
  store.open(recording, sequence);
  for (const p of pieces) store.append(p);
  return store.commit(blobFor(recording, sequence, Buffer.concat(pieces)));
}

describe("segment store", () => {
  it("commit: the .age file holds every appended byte, the manifest is FORMAT.md's JSON, nothing partial", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      const rec = randomBytes(16);
      const pieces = [randomBytes(1000), randomBytes(70_000), randomBytes(1)];
      store.open(rec, 3);
      assert.ok(store.isOpen);
      const name = segmentName(rec, 3);
      assert.equal(name, `${rec.toString("hex")}-000003`);
      assert.deepEqual(readdirSync(dir), [`${name}.age.partial`]);
      for (const p of pieces) store.append(p);
      const data = Buffer.concat(pieces);
      assert.equal(Buffer.from(store.digest()).toString("hex"), sha256hex(data));
      assert.equal(Buffer.from(store.digest()).toString("hex"), sha256hex(data), "digest can be asked twice");
      const blob = blobFor(rec, 3, data, { final: true });
      const seg = store.commit(blob);
      assert.ok(!store.isOpen);
      assert.deepEqual(readdirSync(dir).sort(), [`${name}.age`, `${name}.manifest.json`]);
      assert.deepEqual(readFileSync(seg.agePath), data);
      const m = parseManifest(readFileSync(seg.manifestPath, "utf8"));
      assert.deepEqual(m, seg.manifest);
      assert.deepEqual(manifestBlob(m), blob);
      assert.equal(m.final, true);
      assert.deepEqual(store.segments(), [name]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("abort deletes the open segment; commit refuses a manifest that does not describe it", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      const rec = randomBytes(16);
      store.open(rec, 0);
      store.append(randomBytes(5000));
      store.abort();
      assert.deepEqual(readdirSync(dir), []);
      store.abort(); // nothing open: nothing happens

      const data = randomBytes(4096);
      const wrong: Array<[string, Uint8Array]> = [
        ["bytes", blobFor(rec, 1, data, { age_bytes: 4095 })],
        ["hash", blobFor(rec, 1, data, { age_sha256: "11".repeat(32) })],
        ["recording", blobFor(randomBytes(16), 1, data)],
        ["sequence", blobFor(rec, 2, data)],
      ];
      for (const [what, blob] of wrong) {
        store.open(rec, 1);
        store.append(data);
        assert.throws(() => store.commit(blob), /storage: manifest/, what);
        assert.ok(store.isOpen, `${what}: still open for the abort`);
        store.abort();
        assert.deepEqual(readdirSync(dir), [], what);
      }
      assert.throws(() => store.commit(blobFor(rec, 1, data).subarray(1)), /with no open segment/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never reuses a name and never opens two segments", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      const rec = randomBytes(16);
      writeSegment(store, rec, 0, [randomBytes(100)]);
      const before = readdirSync(dir).sort();
      assert.throws(() => store.open(rec, 0), /segment [0-9a-f]{32}-000000 already exists in /);
      assert.ok(!store.isOpen);
      assert.throws(() => SegmentStore.open(dir).open(rec, 0), /already exists/);
      store.open(rec, 1);
      assert.throws(() => store.open(rec, 2), /segment [0-9a-f-]+ is still open/);
      store.abort();
      assert.deepEqual(readdirSync(dir).sort(), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("boot-time tidy: removes partial files and .age files without a manifest, logs each, keeps the rest", () => {
    const dir = tempDir();
    try {
      const rec = randomBytes(16).toString("hex");
      const kept = SegmentStore.open(dir);
      const committed = writeSegment(kept, Buffer.from(rec, "hex"), 0, [randomBytes(300)]).name;
      const files = {
        [`${rec}-000001.age.partial`]: "x",
        [`${rec}-000002.age`]: "no manifest",
        [`${rec}-000002.manifest.json.partial`]: "{",
        [`${rec}-000003.manifest.json`]: "{}", // data already gone (uploaded): not ours to touch
        "notes.txt": "unrelated",
        "device.key": "unrelated",
      };
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      const lines: string[] = [];
      const store = SegmentStore.open(dir, { log: (l) => lines.push(l) });
      assert.deepEqual(store.tidied, [`${rec}-000001.age.partial`, `${rec}-000002.age`, `${rec}-000002.manifest.json.partial`]);
      assert.equal(lines.length, 3);
      assert.match(lines[0], /^store: removed [0-9a-f]{32}-000001\.age\.partial: partial file of an interrupted segment$/);
      assert.match(lines[1], /removed [0-9a-f]{32}-000002\.age: segment data without a manifest/);
      assert.deepEqual(readdirSync(dir).sort(), [
        `${committed}.age`, `${committed}.manifest.json`, `${rec}-000003.manifest.json`, "device.key", "notes.txt",
      ].sort());
      assert.deepEqual(SegmentStore.open(dir).tidied, [], "a second boot finds nothing to tidy");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a directory it cannot use, in one line", () => {
    const dir = tempDir();
    try {
      const file = join(dir, "file");
      writeFileSync(file, "");
      assert.throws(() => SegmentStore.open(join(file, "store")), (e: Error) => /^storage: cannot use .* as the segment store: a parent is not a directory \(ENOTDIR\)$/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("power cut before every durable step: after reboot the segment is whole and committed, or gone", () => {
    const rec = randomBytes(16);
    const first = [randomBytes(2000)];
    const pieces = [randomBytes(65_536), randomBytes(65_536), randomBytes(777)];
    const data = Buffer.concat(pieces);

    // How many durable steps segment 1 takes, and which.
    const steps: StoreStep[] = [];
    {
      const dir = tempDir();
      const store = SegmentStore.open(dir, { faults: (s) => void steps.push(s) });
      writeSegment(store, rec, 0, first);
      steps.length = 0;
      writeSegment(store, rec, 1, pieces);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(steps, [
      "open", "append", "append", "append", "fsync-data", "rename-age", "write-manifest", "fsync-manifest", "rename-manifest", "fsync-dir",
    ]);

    const outcomes: string[] = [];
    for (let cut = 0; cut <= steps.length; cut++) {
      const dir = tempDir();
      try {
        let armed = false;
        let n = 0;
        const store = SegmentStore.open(dir, {
          faults: () => {
            if (armed && n++ === cut) throw new Error("power cut");
          },
        });
        writeSegment(store, rec, 0, first);
        armed = true;
        try {
          writeSegment(store, rec, 1, pieces);
        } catch (e) {
          assert.match(String((e as Error).message), /power cut/);
        }
        // The camera dies here: no abort, no clean-up. Reboot:
        const rebooted = SegmentStore.open(dir);
        const files = readdirSync(dir).sort();
        assert.ok(!files.some((f) => f.endsWith(".partial")), `cut ${cut}: partial files remain: ${files}`);
        const s0 = segmentName(rec, 0);
        const s1 = segmentName(rec, 1);
        assert.deepEqual(readFileSync(join(dir, `${s0}.age`)), first[0], `cut ${cut}: segment 0 intact`);
        if (rebooted.segments().includes(s1)) {
          assert.deepEqual(files, [`${s0}.age`, `${s0}.manifest.json`, `${s1}.age`, `${s1}.manifest.json`]);
          assert.deepEqual(readFileSync(join(dir, `${s1}.age`)), data, `cut ${cut}: committed data whole`);
          const m = parseManifest(readFileSync(join(dir, `${s1}.manifest.json`), "utf8"));
          assert.equal(m.age_bytes, data.length);
          assert.equal(m.age_sha256, sha256hex(data));
          outcomes.push(`${steps[cut] ?? "none"}:committed`);
        } else {
          assert.deepEqual(files, [`${s0}.age`, `${s0}.manifest.json`], `cut ${cut}: nothing of segment 1 remains`);
          outcomes.push(`${steps[cut]}:gone`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // The commit point is the manifest's rename: cuts before it lose the segment, after it keep it.
    assert.deepEqual(outcomes, [
      "open:gone", "append:gone", "append:gone", "append:gone", "fsync-data:gone", "rename-age:gone", "write-manifest:gone",
      "fsync-manifest:gone", "rename-manifest:gone", "fsync-dir:committed", "none:committed",
    ]);
  });
});

describe("segment store: parked (pre-event) segments", () => {
  const header = (n: number) => randomBytes(n);

  it("park keeps <name>.payload.partial; unpark writes the header then the payload and answers SHA-256(header ‖ payload); commitParked makes it visible", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      const rec = randomBytes(16);
      const payloads = [randomBytes(70_000), randomBytes(1), randomBytes(5000)];
      const headers = [header(250), header(400), header(1)];
      for (const [seq, p] of payloads.entries()) {
        store.open(rec, seq);
        store.append(p.subarray(0, 3));
        store.append(p.subarray(3));
        store.park();
        assert.ok(!store.isOpen);
      }
      const names = payloads.map((_, seq) => segmentName(rec, seq));
      assert.deepEqual(store.parkedNames, names);
      assert.deepEqual(readdirSync(dir).sort(), names.map((n) => `${n}.payload.partial`).sort());
      assert.deepEqual(store.segments(), [], "parked segments are invisible");
      // An ordinary segment open meanwhile.
      const plain = randomBytes(3000);
      store.open(rec, 10);
      store.append(plain);
      for (const seq of [2, 0]) {
        const age = Buffer.concat([headers[seq], payloads[seq]]);
        assert.equal(Buffer.from(store.unpark(rec, seq, headers[seq])).toString("hex"), sha256hex(age));
        assert.ok(!readdirSync(dir).includes(`${names[seq]}.payload.partial`), "the payload file is gone once copied");
        assert.deepEqual(readFileSync(join(dir, `${names[seq]}.age.partial`)), age, "header first");
        const c = store.commitParked(rec, seq, blobFor(rec, seq, age));
        assert.deepEqual(readFileSync(c.agePath), age);
        assert.equal(parseManifest(readFileSync(c.manifestPath, "utf8")).age_sha256, sha256hex(age));
      }
      store.commit(blobFor(rec, 10, plain));
      store.drop(rec, 1);
      assert.deepEqual(store.parkedNames, []);
      assert.deepEqual(store.segments(), [names[0], names[2], segmentName(rec, 10)]);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".partial") || f.startsWith(names[1])), [], "nothing of the dropped one");
      assert.deepEqual(SegmentStore.open(dir).tidied, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses what does not fit the order; drop deletes a parked or unparked segment; unpark checks the payload it reads back", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      const rec = randomBytes(16);
      const p = randomBytes(4000);
      const h = header(100);
      assert.throws(() => store.park(), /park with no open segment/);
      store.open(rec, 0);
      store.append(p);
      store.park();
      assert.throws(() => store.open(rec, 0), /already exists/, "a parked name is taken");
      assert.throws(() => store.unpark(rec, 1, h), /unpark: no parked segment [0-9a-f]{32}-000001/);
      assert.throws(() => store.commitParked(rec, 0, blobFor(rec, 0, Buffer.concat([h, p]))), /has no header yet/);
      store.unpark(rec, 0, h);
      assert.throws(() => store.unpark(rec, 0, h), /already has its header/);
      assert.throws(() => store.commitParked(rec, 0, blobFor(rec, 0, p)), /does not describe the bytes written/);
      store.drop(rec, 0);
      assert.throws(() => store.drop(rec, 0), /no parked segment/);
      assert.deepEqual(readdirSync(dir), []);

      // A parked file that changed on the disk: unpark refuses it, drop clears it.
      store.open(rec, 1);
      store.append(p);
      store.park();
      const payload = join(dir, `${segmentName(rec, 1)}.payload.partial`);
      const changed = Buffer.from(p);
      changed[17] ^= 1;
      writeFileSync(payload, changed);
      assert.throws(() => store.unpark(rec, 1, h), /payload read back is not what was appended/);
      store.drop(rec, 1);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("power cut before every durable step of a parked segment: after reboot it is committed whole, or nothing of it remains", () => {
    const rec = randomBytes(16);
    const p = randomBytes(100_000);
    const h = header(321);
    const age = Buffer.concat([h, p]);
    const life = (store: SegmentStore) => {
      store.open(rec, 0);
      store.append(p);
      store.park();
      store.unpark(rec, 0, h);
      store.commitParked(rec, 0, blobFor(rec, 0, age));
    };
    const steps: StoreStep[] = [];
    {
      const dir = tempDir();
      life(SegmentStore.open(dir, { faults: (s) => void steps.push(s) }));
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(steps, ["open", "append", "park", "unpark", "fsync-unpark", "rename-age", "write-manifest", "fsync-manifest", "rename-manifest", "fsync-dir"]);
    const outcomes: string[] = [];
    for (let cut = 0; cut <= steps.length; cut++) {
      const dir = tempDir();
      try {
        let n = 0;
        const store = SegmentStore.open(dir, { faults: () => { if (n++ === cut) throw new Error("power cut"); } });
        try {
          life(store);
        } catch (e) {
          assert.match((e as Error).message, /power cut/);
        }
        const rebooted = SegmentStore.open(dir);
        const files = readdirSync(dir).sort();
        const name = segmentName(rec, 0);
        if (rebooted.segments().includes(name)) {
          assert.deepEqual(files, [`${name}.age`, `${name}.manifest.json`]);
          assert.deepEqual(readFileSync(join(dir, `${name}.age`)), age, `cut ${cut}: header ‖ payload`);
          outcomes.push(`${steps[cut] ?? "none"}:committed`);
        } else {
          assert.deepEqual(files, [], `cut ${cut}: nothing of it remains`);
          outcomes.push(`${steps[cut]}:gone`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepEqual(outcomes, [
      "open:gone", "append:gone", "park:gone", "unpark:gone", "fsync-unpark:gone", "rename-age:gone", "write-manifest:gone",
      "fsync-manifest:gone", "rename-manifest:gone", "fsync-dir:committed", "none:committed",
    ]);
  });
});

describe("segment store: full storage (maxBytes)", () => {
  it("open is refused once the segment files hold maxBytes, append refuses bytes that do not fit and writes none; committed files untouched; the audit log still writes", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir, { maxBytes: 10_000 });
      const rec = randomBytes(16);
      const first = randomBytes(6000);
      const one = writeSegment(store, rec, 0, [first]);
      const used = 6000 + readFileSync(one.manifestPath).length;
      store.open(rec, 1);
      store.append(randomBytes(10_000 - used)); // exactly full
      assert.throws(() => store.append(randomBytes(1)), (e: unknown) => e instanceof StorageFullError && e.code === "EFULL" && /^storage full: 1 more bytes of [0-9a-f]{32}-000001 do not fit/.test(e.message));
      assert.equal(statSync(join(dir, `${segmentName(rec, 1)}.age.partial`)).size, 10_000 - used, "nothing of the refused bytes written");
      store.abort();
      // Parked payloads count too.
      store.open(rec, 2);
      store.append(randomBytes(10_000 - used));
      store.park();
      assert.throws(() => store.open(rec, 3), (e: unknown) => e instanceof StorageFullError && /cannot begin segment .*: the segments in .* hold 10000 of 10000 bytes/.test(e.message));
      assert.throws(() => store.unpark(rec, 2, randomBytes(10)), StorageFullError, "the .age copy would not fit");
      store.drop(rec, 2);
      assert.deepEqual(readFileSync(one.agePath), first, "the committed segment is untouched");
      // The audit log is not counted: it writes when the segments are full.
      store.open(rec, 4);
      store.append(randomBytes(10_000 - used));
      store.audit.append(auditEntry(0));
      store.audit.append(auditEntry(1));
      assert.equal(store.audit.entryCount, 2);
      store.abort();
      assert.throws(() => SegmentStore.open(dir, { maxBytes: -1 }), /maxBytes must be a whole number/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("segment store: the audit log (audit.log)", () => {
  it("appends entries durably in index order, reads them back from any index, and keeps the tail across reopening", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      assert.equal(store.audit.tail(), undefined);
      for (let i = 5; i < 15; i++) store.audit.append(auditEntry(i));
      assert.throws(() => store.audit.append(auditEntry(14)), /entry 14 does not follow the last one stored \(14\)/);
      assert.throws(() => store.audit.append(auditEntry(0)), /does not follow/);
      assert.throws(() => store.audit.append(new Uint8Array(201)), /an entry is 200 bytes, not 201/);
      const file = readFileSync(join(dir, AUDIT_LOG));
      assert.deepEqual(file, Buffer.concat([...Array(10).keys()].map((i) => auditEntry(i + 5))), "entries concatenated, nothing else (FORMAT.md)");
      const again = SegmentStore.open(dir);
      assert.deepEqual(again.tidied, [], "audit.log is not a segment file");
      assert.deepEqual(Buffer.from(again.audit.tail()!), Buffer.from(auditEntry(14)));
      assert.deepEqual([...again.audit.entries(12)].map((e) => Buffer.from(e).readUInt8(32)), [12, 13, 14]);
      again.audit.append(auditEntry(15));
      assert.equal(again.audit.entryCount, 11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a torn last entry is cut off when the store opens: the tail is the last whole entry", () => {
    const dir = tempDir();
    try {
      const store = SegmentStore.open(dir);
      for (let i = 0; i < 4; i++) store.audit.append(auditEntry(i));
      const path = join(dir, AUDIT_LOG);
      const whole = readFileSync(path);
      for (const [what, torn] of [
        ["part of an entry", Buffer.concat([whole, Buffer.from(auditEntry(4)).subarray(0, 77)])],
        ["a zero-filled entry (the file grew, the data never landed)", Buffer.concat([whole, Buffer.alloc(200)])],
        ["a zero-filled entry and a part", Buffer.concat([whole, Buffer.alloc(200), Buffer.alloc(33)])],
      ] as const) {
        writeFileSync(path, torn);
        const lines: string[] = [];
        const again = SegmentStore.open(dir, { log: (l) => lines.push(l) });
        assert.deepEqual(readFileSync(path), whole, what);
        assert.match(lines[0], /^store: audit\.log: cut \d+ byte\(s\) of a torn last entry off$/, what);
        assert.deepEqual(Buffer.from(again.audit.tail()!), Buffer.from(auditEntry(3)), what);
      }
      const again = SegmentStore.open(dir);
      again.audit.append(auditEntry(4));
      assert.equal(readFileSync(path).length, 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("trim rewrites the log atomically without the entries the dock holds, never the last; a power cut at any step leaves the old log or the new one", () => {
    const fill = (store: SegmentStore) => {
      for (let i = 0; i < 6; i++) store.audit.append(auditEntry(i));
    };
    const dir0 = tempDir();
    try {
      const store = SegmentStore.open(dir0);
      fill(store);
      assert.deepEqual(store.audit.trim(2), { entries: 3, lastIndex: 2 });
      assert.deepEqual([...store.audit.entries()].map((e) => Buffer.from(e).readUInt8(32)), [3, 4, 5]);
      assert.deepEqual(store.audit.trim(100), { entries: 2, lastIndex: 4 }, "never the last entry");
      assert.deepEqual(store.audit.trim(100), { entries: 0 });
      assert.deepEqual(readFileSync(join(dir0, AUDIT_LOG)), Buffer.from(auditEntry(5)));
      store.audit.append(auditEntry(6));
    } finally {
      rmSync(dir0, { recursive: true, force: true });
    }
    const steps: StoreStep[] = [];
    {
      const dir = tempDir();
      const store = SegmentStore.open(dir, { faults: (s) => void steps.push(s) });
      fill(store);
      steps.length = 0;
      store.audit.trim(3);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(steps, ["audit-trim", "audit-fsync", "audit-rename", "fsync-dir"]);
    const outcomes: string[] = [];
    for (let cut = 0; cut < steps.length; cut++) {
      const dir = tempDir();
      try {
        let armed = false;
        let n = 0;
        const store = SegmentStore.open(dir, { faults: () => { if (armed && n++ === cut) throw new Error("power cut"); } });
        fill(store);
        armed = true;
        assert.throws(() => store.audit.trim(3), /power cut/);
        const again = SegmentStore.open(dir);
        const indexes = [...again.audit.entries()].map((e) => Buffer.from(e).readUInt8(32));
        assert.ok(!readdirSync(dir).includes(`${AUDIT_LOG}.partial`), `cut ${cut}: no partial left`);
        assert.deepEqual(Buffer.from(again.audit.tail()!), Buffer.from(auditEntry(5)), `cut ${cut}: the tail`);
        outcomes.push(`${steps[cut]}:${indexes.join(",")}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepEqual(outcomes, ["audit-trim:0,1,2,3,4,5", "audit-fsync:0,1,2,3,4,5", "audit-rename:0,1,2,3,4,5", "fsync-dir:4,5"]);
  });
});

describe("memory sink: parked segments", () => {
  it("a sink that keeps bytes parks, unparks (header first) and commits; one that keeps none refuses to park", () => {
    const keep = new MemorySink(true);
    try {
      const rec = randomBytes(16);
      const payload = randomBytes(3000);
      const header = randomBytes(120);
      keep.open(rec, 0);
      keep.append(payload);
      keep.park();
      assert.ok(!keep.isOpen);
      const age = Buffer.concat([header, payload]);
      assert.equal(Buffer.from(keep.unpark(rec, 0, header)).toString("hex"), sha256hex(age));
      assert.throws(() => keep.commitParked(rec, 0, blobFor(rec, 0, payload)), /does not describe/);
      const c = keep.commitParked(rec, 0, blobFor(rec, 0, age));
      assert.deepEqual(Buffer.from(c.age!), age);
      keep.open(rec, 1);
      keep.append(payload);
      keep.park();
      keep.drop(rec, 1);
      assert.throws(() => keep.drop(rec, 1), /no parked segment/);
      assert.equal(keep.committed.length, 1);
    } finally {
      keep.close();
    }
    const lean = new MemorySink();
    try {
      lean.open(randomBytes(16), 0);
      assert.throws(() => lean.park(), /keeps no bytes, so it cannot park/);
    } finally {
      lean.close();
    }
  });
});
