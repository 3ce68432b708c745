// The directory segment store: commit makes a segment visible with its
// manifest, abort leaves nothing, the boot-time tidy removes what a crash
// left, and a power cut before any durable step leaves either the whole
// committed segment or nothing of it once the store is opened again.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SegmentStore, segmentName, type StoreStep } from "../host/store/index.ts";
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
