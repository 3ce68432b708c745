// The recorder's wiring of the audit log, docking and full storage
// (host/camera/recorder.ts over docs/ABI.md "The audit log", "Dock and
// receipts", "Full storage"): entries go to the AuditSink and the chain
// resumes from its tail on the next recorder; host notes, dock answers and
// receipts pass through with the module's codes kept on refusal; a store
// that says it is full stops the recording with ERR_FULL.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { Recorder, seededEntropy, type CameraEvent, describeEvent } from "../host/camera/index.ts";
import { MemoryAudit, decodeAuditEntry, auditEntryHash, AUDIT_KINDS } from "../host/camera/audit.ts";
import { MemorySink } from "../host/store/memory.ts";
import { StorageFullError } from "../host/store/segments.ts";
import { manifestBlob } from "../host/evidence/manifest.ts";
import { MODULE_ERRORS, SealcamError } from "../host/errors.ts";
import { TEST_BUILDS } from "./helpers/module.ts";
import { signedConfig, PROVISIONING_PK } from "./helpers/camera.ts";
import { DEVICE_SEED, DEVICE_PK, RECIPIENTS } from "./helpers/recording.ts";
import { KIND, checkChain, sha256, dockHello, answerMessage, dockReceipt, segmentReceiptFields } from "./helpers/audit-entries.ts";

const T0 = 1_750_000_000_000_000;
const DOCK_SEED = new Uint8Array(sha256(Buffer.from("sealcam test dock key")));
const DOCK_PK = ed25519.getPublicKey(DOCK_SEED);
const E = Object.fromEntries(Object.entries(MODULE_ERRORS).map(([name, e]) => [name, e.code])) as Record<string, number>;

/** A memory sink that keeps bytes and can be told to be full (after `room` more appends, or by a plain EFULL error). */
class FillingSink extends MemorySink {
  room = Infinity;
  plainError = false;
  constructor() {
    super(true);
  }
  override append(bytes: Uint8Array): void {
    if (this.room-- <= 0) {
      if (this.plainError) throw Object.assign(new Error("no space left"), { code: "EFULL" });
      throw new StorageFullError("the camera's flash is full");
    }
    super.append(bytes);
  }
}

const sinks: MemorySink[] = [];
after(() => {
  for (const s of sinks) s.close();
});

async function recorder(build: (typeof TEST_BUILDS)[number], audit: MemoryAudit, events: CameraEvent[] = []) {
  const store = new FillingSink();
  sinks.push(store);
  let now = BigInt(T0);
  const r = await Recorder.create({ store, build, audit, entropy: seededEntropy("audit"), clock: () => (now += 1000n), onEvent: (e) => events.push(e) });
  const config = signedConfig({ seed: DEVICE_SEED, durationUs: 1_000_000n, sizeBytes: 1n << 20n, recipients: RECIPIENTS, dock: DOCK_PK });
  r.configure({ deviceSeed: DEVICE_SEED, recipients: [], segmentSeconds: 1, provisioning: { publicKey: PROVISIONING_PK, config } });
  return { r, store };
}

function record(r: Recorder, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    r.frame({ bytes: new Uint8Array(3000).fill(i & 0xff), keyframe: i % 10 === 0, timeUs: T0 + i * 100_000 });
  }
}

/** Runs `f`, expecting a SealcamError carrying module code `code`. */
function refuses(f: () => unknown, code: number, what: string): void {
  assert.throws(f, (e: unknown) => e instanceof SealcamError && e.moduleCode === code, what);
}

for (const build of TEST_BUILDS) {
  describe(`recorder: audit log (${build})`, () => {
    it("writes the module's entries to the sink, resumes after its tail, and logs host notes", async () => {
      const audit = new MemoryAudit();
      const { r } = await recorder(build, audit);
      r.start();
      record(r, 0, 12);
      r.stop();
      const first = audit.entries.length;
      assert.deepEqual(audit.entries.map((e) => decodeAuditEntry(e).kind), [1, 2, 4, 14, 14, 5]);
      const head = r.auditHead();
      assert.equal(head.next, first);
      assert.deepEqual(head.hash, auditEntryHash(audit.tail()!));
      const ref = new Uint8Array(32).fill(9);
      r.auditNote(KIND.upload, 1, 12345n, ref);
      const note = decodeAuditEntry(audit.tail()!);
      assert.deepEqual([note.kind, note.name, note.a, note.b, note.index], [10, "upload", 1n, 12345n, BigInt(first)]);
      assert.deepEqual(note.device, DEVICE_PK);
      assert.deepEqual(note.ref, ref);
      refuses(() => r.auditNote(KIND.segmentCommitted, 0, 0), E.ERR_CONFIG, "a module-only kind");
      // The next boot of the camera continues the same log.
      const { r: r2 } = await recorder(build, audit);
      const resumed = decodeAuditEntry(audit.entries[first + 1]);
      assert.deepEqual([resumed.kind, resumed.a, resumed.index], [KIND.boot, 1n, BigInt(first + 1)]);
      checkChain(audit.entries, DEVICE_PK);
      assert.equal(r2.auditHead().next, audit.entries.length);
      assert.equal(AUDIT_KINDS[decodeAuditEntry(audit.entries[0]).kind], "boot");
    });

    it("a sink whose tail is another camera's entry stops configure with the module's code", async () => {
      const audit = new MemoryAudit();
      const { r } = await recorder(build, audit);
      r.auditNote(KIND.clock, 1, 2);
      const forged = audit.tail()!.slice();
      forged[150] ^= 1;
      const bad = new MemoryAudit();
      bad.append(forged);
      await assert.rejects(recorder(build, bad), (e: unknown) => e instanceof SealcamError && e.moduleCode === E.ERR_UNSIGNED);
    });
  });

  describe(`recorder: dock and receipts (${build})`, () => {
    it("answers the configured dock, checks receipts, keeps the module's code on refusal", async () => {
      const { r, store } = await recorder(build, new MemoryAudit());
      const challenge = new Uint8Array(32).fill(3);
      const answer = r.dockAuth(dockHello(DOCK_SEED, challenge, 42n));
      assert.ok(ed25519.verify(answer, answerMessage(DEVICE_PK, DOCK_PK, challenge), DEVICE_PK));
      const stranger = new Uint8Array(32).fill(8);
      refuses(() => r.dockAuth(dockHello(stranger, challenge, 42n)), E.ERR_UNSIGNED, "another dock");
      refuses(() => r.dockAuth(new Uint8Array(10)), E.ERR_CONFIG, "a short hello");
      r.start();
      record(r, 0, 12);
      r.stop();
      const [seg0, seg1] = store.committed;
      const blob0 = manifestBlob(seg0.manifest);
      const good = dockReceipt(DOCK_SEED, segmentReceiptFields(DOCK_PK, DEVICE_PK, blob0, seg0.age!));
      r.checkReceipt(good, blob0);
      refuses(() => r.checkReceipt(good, manifestBlob(seg1.manifest)), E.ERR_RECEIPT, "another segment");
      refuses(() => r.checkReceipt(dockReceipt(stranger, segmentReceiptFields(DOCK_PK, DEVICE_PK, blob0, seg0.age!)), blob0), E.ERR_UNSIGNED, "not our dock");
      const kinds = r.audit.tail() && (r.audit as MemoryAudit).entries.map((e) => decodeAuditEntry(e).kind);
      assert.deepEqual(kinds!.filter((k) => k === KIND.dock || k === KIND.receipt), [KIND.dock, KIND.receipt]);
    });
  });

  describe(`recorder: full storage (${build})`, () => {
    for (const plain of [false, true]) {
      it(`a store that is full (${plain ? "an error with code EFULL" : "StorageFullError"}) stops the recording with ERR_FULL`, async () => {
        const events: CameraEvent[] = [];
        const audit = new MemoryAudit();
        const { r, store } = await recorder(build, audit, events);
        r.start();
        record(r, 0, 12); // segment 0 committed, segment 1 open
        store.room = 0;
        store.plainError = plain;
        assert.throws(() => record(r, 12, 30), (e: unknown) => e instanceof SealcamError && e.moduleCode === E.ERR_FULL && /full/.test(e.message));
        assert.throws(() => r.stop(), /not recording/, "the module ended the recording");
        const full = events.find((e) => e.kind === 8)!;
        assert.equal(full.name, "storage full");
        assert.match(describeEvent(full), /^storage full at frame \d+: segment 1 aborted, recording stopped$/);
        assert.equal(decodeAuditEntry(audit.tail()!).kind, KIND.storageFull);
        assert.equal(store.committed.length, 1, "segment 0 kept");
        store.room = Infinity;
        r.start();
        record(r, 100, 3);
        r.stop();
        assert.equal(store.committed.length, 2);
      });
    }
  });
}
