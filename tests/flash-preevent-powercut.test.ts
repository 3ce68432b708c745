// A power cut at every flash operation of a camera's working day in small:
// ordinary segments, pre-event segments parked while another is open, some
// unparked and committed, some dropped, some left parked; audit entries
// appended throughout, the log trimmed twice, segments deleted. After each
// cut (and, every fourth time, a second cut during the boot that tidies the
// first), the rebooted store must hold:
//   - every segment whose commit returned, byte-exact in `.age` order, and
//     nothing else but the one whose commit record was being programmed (or
//     the one being deleted);
//   - no parked segment: their keys died with the module;
//   - an audit log with no gap, every entry byte-exact, whose tail is the last
//     entry whose append returned (or the one in flight, if its page landed
//     whole), and which lost nothing a trim was not asked to erase;
//   - every other block erased; and a second boot that agrees and has
//     nothing left to do; and the chain and the recording go on after it.
// SEALCAM_REQUIRE_ALL=1 cuts at every operation; otherwise a seeded sample
// (SEALCAM_SEED) of them.
import { it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { PowerCut, objectId, type FlashStore } from "../host/flash/index.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";
import { Rng } from "./helpers/random.ts";
import {
  DATA_PER_BLOCK, appendInPieces, assertRestErased, auditEntry, auditIndexes, blobFor, bytesOf, hex, image, put, reboot, recordingOf, sha256,
} from "./helpers/flash.ts";

const POLICY = { reserveBlocks: 3 };
const recA = recordingOf("day A"), recB = recordingOf("day B");

type Id = [Uint8Array, number];
type Step =
  | { put: [Uint8Array, number, number] }
  | { park: [Uint8Array, number, number] }
  | { open: [Uint8Array, number, number] } // open an ordinary segment and append its first half
  | { finish: Id } // append the rest and commit it
  | { unpark: Id }
  | { commitParked: Id }
  | { drop: Id }
  | { audit: number } // append this many entries
  | { trim: number }
  | { del: Id }
  | { abort: [Uint8Array, number, number] };

const steps: Step[] = [
  { audit: 3 },
  { put: [recA, 0, 3000] },
  { park: [recB, 0, 2 * DATA_PER_BLOCK + 300] }, // parked with its last page in memory
  { audit: 1 },
  { park: [recB, 1, 4000] },
  { open: [recA, 1, 6000] }, // an ordinary segment open while two are parked
  { unpark: [recB, 0] },
  { audit: 2 },
  { commitParked: [recB, 0] },
  { finish: [recA, 1] },
  { park: [recB, 2, DATA_PER_BLOCK - 40] }, // its header will cross into a new block
  { drop: [recB, 1] }, // expired
  { audit: 6 }, // the log takes a second block
  { unpark: [recB, 2] },
  { trim: 6 }, // the dock holds entries 0–6: the first block goes
  { commitParked: [recB, 2] },
  { del: [recA, 0] },
  { abort: [recA, 2, 2500] },
  { audit: 8 },
  { put: [recA, 3, 5000] },
  { park: [recB, 3, 1500] }, // left parked
  { park: [recB, 4, 900] },
  { unpark: [recB, 4] }, // left unparked, never committed
  { trim: 13 }, // and 7–13: the second
  { audit: 3 },
  { del: [recB, 0] },
];

const content = (rec: Uint8Array, seq: number, n: number) => bytesOf(`${hex(rec)}/${seq}`, n);
const headerOf = (rec: Uint8Array, seq: number) => bytesOf(`header ${hex(rec)}/${seq}`, 150 + 97 * seq);
const sizes = new Map<string, number>();
for (const s of steps) for (const v of Object.values(s)) if (Array.isArray(v) && v.length === 3) sizes.set(objectId(v[0], v[1]), v[2]);
const parkedIds = new Set(steps.flatMap((s) => ("park" in s ? [objectId(s.park[0], s.park[1])] : [])));
/** The `.age` file of a segment of the day: header ‖ payload for a parked one. */
function ageOf(id: string): Uint8Array {
  const rec = new Uint8Array(Buffer.from(id.slice(0, 32), "hex"));
  const seq = Buffer.from(id.slice(32), "hex").readUInt32LE(0);
  const payload = content(rec, seq, sizes.get(id)!);
  return parkedIds.has(id) ? Buffer.concat([headerOf(rec, seq), payload]) : payload;
}

interface Track {
  committed: Set<string>;
  deleted: Set<string>;
  committing?: string;
  deleting?: string;
  /** Parked in the sink (parked, perhaps unparked, not committed nor dropped). */
  parked: Set<string>;
  /** Entries whose append returned: indexes 0 … audited − 1. */
  audited: number;
  auditing?: number;
  /** The highest index a trim was asked for (a trim cut part-way may have erased some of it). */
  trimAsked?: number;
}

function run(store: FlashStore, t: Track): void {
  const sink = store.sink();
  for (const s of steps) {
    if ("put" in s) {
      const [rec, seq, n] = s.put;
      t.committing = objectId(rec, seq);
      put(sink, rec, seq, content(rec, seq, n));
      t.committed.add(t.committing);
      t.committing = undefined;
    } else if ("park" in s) {
      const [rec, seq, n] = s.park;
      sink.open(rec, seq);
      appendInPieces(sink, content(rec, seq, n));
      sink.park();
      t.parked.add(objectId(rec, seq));
    } else if ("open" in s) {
      const [rec, seq, n] = s.open;
      sink.open(rec, seq);
      appendInPieces(sink, content(rec, seq, n).subarray(0, n >> 1));
    } else if ("finish" in s) {
      const [rec, seq] = s.finish;
      const id = objectId(rec, seq);
      const data = content(rec, seq, sizes.get(id)!);
      appendInPieces(sink, data.subarray(data.length >> 1));
      t.committing = id;
      sink.commit(blobFor(rec, seq, data));
      t.committed.add(id);
      t.committing = undefined;
    } else if ("unpark" in s) {
      const [rec, seq] = s.unpark;
      const digest = sink.unpark(rec, seq, headerOf(rec, seq));
      assert.deepEqual(Buffer.from(digest), sha256(ageOf(objectId(rec, seq))));
    } else if ("commitParked" in s) {
      const [rec, seq] = s.commitParked;
      t.committing = objectId(rec, seq);
      sink.commitParked(rec, seq, blobFor(rec, seq, ageOf(t.committing)));
      t.parked.delete(t.committing);
      t.committed.add(t.committing);
      t.committing = undefined;
    } else if ("drop" in s) {
      sink.drop(...s.drop);
      t.parked.delete(objectId(...s.drop));
    } else if ("audit" in s) {
      for (let i = 0; i < s.audit; i++) {
        t.auditing = t.audited;
        store.audit.append(auditEntry(t.audited));
        t.audited++;
        t.auditing = undefined;
      }
    } else if ("trim" in s) {
      t.trimAsked = Math.max(t.trimAsked ?? -1, s.trim);
      store.audit.trim(s.trim);
    } else if ("del" in s) {
      t.deleting = objectId(...s.del);
      store.delete(t.deleting);
      t.deleted.add(t.deleting);
      t.deleting = undefined;
    } else {
      const [rec, seq, n] = s.abort;
      sink.open(rec, seq);
      appendInPieces(sink, content(rec, seq, n));
      sink.abort();
    }
  }
}

const fresh = (): Track => ({ committed: new Set(), deleted: new Set(), parked: new Set(), audited: 0 });

it("a power cut at every flash operation of parked and ordinary segments, audit appends and trims: nothing committed or logged is lost, nothing parked survives", (ctx) => {
  const img = image();
  let total: number;
  {
    const store = reboot(img, {}, undefined, POLICY);
    const t = fresh();
    run(store, t);
    total = store.device.operationCount;
    // The uncut day ends as designed: what the checks below lean on.
    assert.deepEqual([...t.parked].sort(), [objectId(recB, 3), objectId(recB, 4)].sort(), "two left parked");
    assert.deepEqual(store.list().map((s) => s.id).sort(), [...t.committed].filter((id) => !t.deleted.has(id)).sort());
    assert.deepEqual(auditIndexes(store), [...Array(23).keys()].slice(14), "trims through 6 and 13 leave 14–22");
    store.device.close();
    rmSync(img.path);
  }
  assert.ok(total > 100 && total < 500, `${total} operations`);

  const check = (store: FlashStore, t: Track, label: string) => {
    const listed = new Map(store.list().map((s) => [s.id, s]));
    for (const id of t.committed) {
      if (t.deleted.has(id) || id === t.deleting) continue;
      assert.ok(listed.has(id), `${label}: committed ${id} survives`);
    }
    for (const [id, s] of listed) {
      const kept = t.committed.has(id) && !t.deleted.has(id);
      assert.ok(kept || id === t.committing || id === t.deleting, `${label}: ${s.name} listed but not committed (or deleted)`);
      assert.deepEqual(Buffer.from(store.readAge(id)), Buffer.from(ageOf(id)), `${label}: ${s.name} byte-exact, in .age order`);
    }
    for (const id of t.parked) {
      if (id !== t.committing) assert.ok(!listed.has(id), `${label}: parked ${id} is gone`);
    }
    const indexes = auditIndexes(store, "camera", `${label}: `);
    const tail = indexes.at(-1);
    const acked = t.audited - 1;
    if (t.auditing !== undefined && tail === t.auditing) {
      // The entry in flight: its page landed whole before the power died.
    } else if (t.audited === 0) {
      assert.equal(tail, undefined, `${label}: no audit entry`);
    } else {
      assert.equal(tail, acked, `${label}: the audit tail is the last entry stored`);
    }
    if (tail !== undefined) {
      const bound = Math.min(t.trimAsked === undefined ? 0 : t.trimAsked + 1, tail);
      assert.ok(indexes[0] <= bound, `${label}: audit entries from ${bound} on are all there (first ${indexes[0]})`);
      assert.deepEqual(Buffer.from(store.audit.tail()!), Buffer.from(auditEntry(tail)));
    }
    assertRestErased(store, `${label}: `);
  };

  const rng = new Rng(Number(process.env.SEALCAM_SEED ?? 20261128));
  const cuts = REQUIRE_ALL ? Array.from({ length: total }, (_, i) => i + 1) : [...new Set(Array.from({ length: 90 }, () => 1 + rng.int(total)))].sort((a, b) => a - b);
  const seen = { cutsInBoot: 0, tornCommitsKept: 0, inFlightEntriesKept: 0, parkedAtCut: 0 };
  for (const n of cuts) {
    const label = `cut at ${n}`;
    const t = fresh();
    const store = reboot(img, { cutAt: n, seed: n }, undefined, POLICY);
    assert.throws(() => run(store, t), (e: unknown) => e instanceof PowerCut && e.operation === n, label);
    store.device.close();
    if (t.parked.size > 0) seen.parkedAtCut++;

    if (n % 4 === 0) {
      // A second cut, during the boot that tidies the first one's leftovers.
      try {
        reboot(img, { cutAt: 1 + (n % 3), seed: 1000 + n }, undefined, POLICY).device.close();
      } catch (e) {
        assert.ok(e instanceof PowerCut, `${label}: boot fails only by the cut`);
        seen.cutsInBoot++;
      }
    }
    const after = reboot(img, {}, undefined, POLICY);
    check(after, t, label);
    if (t.committing && after.list().some((s) => s.id === t.committing)) seen.tornCommitsKept++;
    if (t.auditing !== undefined && after.audit.lastIndex === t.auditing) seen.inFlightEntriesKept++;
    const ids = after.list().map((s) => s.id);
    const entries = [...after.audit.entries()].map(hex);
    after.device.close();

    const second = reboot(img, {}, undefined, POLICY);
    assert.deepEqual(second.list().map((s) => s.id), ids, `${label}: a second boot agrees on the segments`);
    assert.deepEqual([...second.audit.entries()].map(hex), entries, `${label}: and on the audit log`);
    assert.deepEqual(second.recovered.discarded, [], `${label}: and has nothing left to do`);
    // Life goes on: the chain continues after the tail, a new segment commits, a new one parks and commits.
    const next = second.audit.lastIndex === undefined ? 0 : second.audit.lastIndex + 1;
    second.audit.append(auditEntry(next));
    const rec = recordingOf(`after ${n}`);
    const data = bytesOf(`fresh ${n}`, 6000);
    put(second.sink(), rec, 0, data);
    second.device.close();
    const third = reboot(img, {}, undefined, POLICY);
    assert.deepEqual(Buffer.from(third.readAge(objectId(rec, 0))), Buffer.from(data), `${label}: fresh segment`);
    assert.equal(third.audit.lastIndex, next, `${label}: the chain went on`);
    auditIndexes(third, "camera", `${label}, after: `);
    third.device.close();
    rmSync(img.path);
  }
  img.done();
  ctx.diagnostic(`${cuts.length} of ${total} operations cut; ${seen.cutsInBoot} boots cut too; ${seen.tornCommitsKept} torn commit programs left a whole record; ` +
    `${seen.inFlightEntriesKept} torn audit programs left a whole entry; ${seen.parkedAtCut} cuts with parked segments in the flash`);
  assert.ok(seen.parkedAtCut > cuts.length / 3, "most cuts happen with parked segments in the flash");
  if (REQUIRE_ALL) {
    assert.ok(seen.cutsInBoot > 5, `some boots were cut too (${seen.cutsInBoot})`);
    assert.ok(seen.tornCommitsKept >= 1, `torn commit records kept: ${seen.tornCommitsKept}`);
    assert.ok(seen.inFlightEntriesKept >= 1, `torn audit pages kept whole: ${seen.inFlightEntriesKept}`);
  }
});
