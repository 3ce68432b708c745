// The .age file's SHA-256 on a second thread (host/store/hasher.ts): the same
// digest as node:crypto for any way the bytes are cut, running digests,
// resets between segments, a ring that wraps many times, and a worker that
// dies: a clear error on the next call, never a hang, and a store that
// starts a new thread at its next segment. The worker never keeps the process
// alive.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { InThreadSha256, MemorySink, ParallelSha256, type RunningSha256 } from "../host/store/index.ts";
import { manifestBlob } from "../host/evidence/index.ts";
import { Rng, SEED } from "./helpers/random.ts";
import { REQUIRE_ALL } from "./helpers/module.ts";

const KIB = 1024;
const RING = 64 * KIB; // the smallest ring: every test below wraps it
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The hasher's worker, to kill it (a private field: tests only). */
const workerOf = (h: ParallelSha256) => (h as unknown as { worker: Worker }).worker;

/** Resolves once the worker has exited and its exit event has been seen. */
const exited = (w: Worker) => new Promise<void>((resolve) => w.once("exit", () => setImmediate(resolve)));

/** Feeds `data` in random pieces (some larger than the ring); checks the digest at random points. */
function feed(h: RunningSha256, rng: Rng, data: Uint8Array): void {
  const ref = createHash("sha256");
  for (let at = 0; at < data.length; ) {
    const r = rng.int(10);
    const n = Math.min(data.length - at, r === 0 ? RING + rng.int(3 * RING) : r === 1 ? 0 : rng.length());
    const piece = data.subarray(at, at + n);
    h.update(piece);
    ref.update(piece);
    at += n;
    if (rng.int(20) === 0) assert.equal(hex(h.digest()), ref.copy().digest("hex"), `digest after ${at} bytes`);
  }
  assert.equal(hex(h.digest()), ref.digest("hex"));
}

describe(`ParallelSha256 (seed ${SEED})`, () => {
  it("equals node:crypto's SHA-256 for random inputs in random pieces, pieces larger than the ring included", () => {
    const rng = new Rng(SEED);
    const h = new ParallelSha256({ ringBytes: RING });
    try {
      for (let i = 0; i < 40; i++) {
        h.reset();
        feed(h, rng, rng.bytes(rng.int(i < 5 ? 64 : 600 * KIB)));
      }
    } finally {
      h.close();
    }
  });

  it("the empty input, and one-shot inputs around the ring size", () => {
    const rng = new Rng(SEED + 1);
    const h = new ParallelSha256({ ringBytes: RING });
    try {
      assert.equal(hex(h.digest()), sha256(new Uint8Array(0)));
      for (const n of [1, 63, 64, 65, RING - 1, RING, RING + 1, 2 * RING, 5 * RING + 17]) {
        const data = rng.bytes(n);
        h.reset();
        h.update(data);
        assert.equal(hex(h.digest()), sha256(data), `${n} bytes`);
      }
    } finally {
      h.close();
    }
  });

  it("pieces at every source alignment and ring offset mod 8 (the copy's two paths)", () => {
    const rng = new Rng(SEED + 9);
    const source = rng.bytes(3 * RING + 64);
    const h = new ParallelSha256({ ringBytes: RING });
    let position = 0; // bytes written into the ring so far (resets do not move it)
    try {
      for (let lead = 0; lead < 8; lead++) {
        for (let offset = 0; offset < 8; offset++) {
          const first = source.subarray(0, (lead - position) & 7); // puts the ring's write position at `lead` mod 8
          const piece = source.subarray(offset, offset + RING + 3 * lead + offset + 1); // crosses the ring's end
          h.reset();
          h.update(first);
          h.update(piece);
          position += first.length + piece.length;
          assert.equal(hex(h.digest()), sha256(Buffer.concat([first, piece])), `ring at ${lead}, source at ${offset}`);
        }
      }
    } finally {
      h.close();
    }
  });

  it("digest is a running digest: more bytes after it extend the same hash", () => {
    const rng = new Rng(SEED + 2);
    const data = rng.bytes(300 * KIB);
    const h = new ParallelSha256({ ringBytes: RING });
    try {
      h.update(data.subarray(0, 1000));
      assert.equal(hex(h.digest()), sha256(data.subarray(0, 1000)));
      assert.equal(hex(h.digest()), sha256(data.subarray(0, 1000)), "a second digest with nothing between");
      h.update(data.subarray(1000));
      assert.equal(hex(h.digest()), sha256(data));
    } finally {
      h.close();
    }
  });

  it("reset between segments: each segment's digest covers only its bytes, an aborted one's bytes are forgotten", () => {
    const rng = new Rng(SEED + 3);
    const h = new ParallelSha256({ ringBytes: RING });
    try {
      for (let segment = 0; segment < 20; segment++) {
        const data = rng.bytes(rng.int(4 * RING));
        h.reset();
        if (segment % 4 === 3) {
          h.update(rng.bytes(rng.int(3 * RING))); // aborted: never digested
          h.reset();
        }
        h.update(data);
        assert.equal(hex(h.digest()), sha256(data), `segment ${segment}`);
      }
      h.reset();
      h.reset();
      assert.equal(hex(h.digest()), sha256(new Uint8Array(0)), "reset twice, nothing written");
    } finally {
      h.close();
    }
  });

  it("many updates without a digest: the ring wraps hundreds of times", () => {
    const rng = new Rng(SEED + 4);
    const pieces = Array.from({ length: 16 }, () => rng.bytes(1 + rng.int(12 * KIB)));
    const h = new ParallelSha256({ ringBytes: RING });
    const ref = createHash("sha256");
    let total = 0;
    try {
      for (let i = 0; i < 20_000; i++) {
        const p = pieces[i & 15];
        h.update(p);
        ref.update(p);
        total += p.length;
      }
      assert.ok(total > 200 * RING, `${total} bytes`);
      assert.equal(hex(h.digest()), ref.digest("hex"));
    } finally {
      h.close();
    }
  });

  it("positions past 2 GiB and 4 GiB (the int32 counters wrap)", { skip: !REQUIRE_ALL && "5 GiB of hashing: runs under SEALCAM_REQUIRE_ALL=1" }, () => {
    const piece = new Rng(SEED + 5).bytes(4 * 1024 * KIB);
    const h = new ParallelSha256();
    const ref = createHash("sha256");
    try {
      for (let i = 0; i < 1300; i++) {
        h.update(piece);
        ref.update(piece);
        if (i % 500 === 499) assert.equal(hex(h.digest()), ref.copy().digest("hex"), `after ${i + 1} pieces`);
      }
      assert.equal(hex(h.digest()), ref.digest("hex"));
    } finally {
      h.close();
    }
  });

  it("hashers side by side do not mix their bytes", () => {
    const rng = new Rng(SEED + 6);
    const hashers = Array.from({ length: 6 }, () => new ParallelSha256({ ringBytes: RING }));
    const refs = hashers.map(() => createHash("sha256"));
    try {
      for (let i = 0; i < 300; i++) {
        const k = rng.int(hashers.length);
        const p = rng.bytes(rng.length());
        hashers[k].update(p);
        refs[k].update(p);
      }
      hashers.forEach((h, k) => assert.equal(hex(h.digest()), refs[k].digest("hex"), `hasher ${k}`));
    } finally {
      for (const h of hashers) h.close();
    }
  });

  it("refuses a ring that is not a power of two from 64 KiB", () => {
    for (const ringBytes of [0, 1000, 32 * KIB, 96 * KIB]) {
      assert.throws(() => new ParallelSha256({ ringBytes }), /^SealcamError: hash ring must be a power of two/);
    }
  });

  it("a closed hasher says so", () => {
    const h = new ParallelSha256({ ringBytes: RING });
    h.update(new Uint8Array(10));
    h.close();
    assert.ok(h.failed);
    assert.throws(() => h.update(new Uint8Array(1)), /^SealcamError: storage: hash thread closed$/);
    assert.throws(() => h.digest(), /hash thread closed/);
    assert.throws(() => h.reset(), /hash thread closed/);
  });
});

describe("ParallelSha256: a dead worker is an error, never a hang", () => {
  it("worker terminated between calls: the next call names its exit", async () => {
    const h = new ParallelSha256({ ringBytes: RING });
    h.update(new Uint8Array(1000));
    h.digest();
    const w = workerOf(h);
    const gone = exited(w);
    await w.terminate();
    await gone;
    assert.ok(h.failed);
    assert.throws(() => h.update(new Uint8Array(1)), /^SealcamError: storage: hash thread exited \(code 1\)$/);
    assert.throws(() => h.digest(), /hash thread exited/);
    h.close();
  });

  it("worker terminated while the caller is blocked on a full ring: an error after the stall limit", () => {
    const h = new ParallelSha256({ ringBytes: RING, stallMs: 300 });
    h.update(new Uint8Array(1000));
    h.digest();
    void workerOf(h).terminate(); // the caller never returns to its event loop before the error
    const t0 = performance.now();
    assert.throws(() => h.update(new Uint8Array(20 * RING)), /^SealcamError: storage: hash thread stopped responding \(no progress for 300 ms\)$/);
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
    assert.throws(() => h.digest(), /stopped responding/, "and it stays failed");
    h.close();
  });

  it("an exception in the worker: the waiting digest fails with its message", () => {
    const h = new ParallelSha256({ ringBytes: RING });
    h.update(new Uint8Array(3 * RING));
    // A request the worker does not know (private: tests only) makes it throw.
    (h as unknown as { ask(op: number): void }).ask(99);
    assert.throws(() => h.digest(), /^SealcamError: storage: hash thread failed: unknown request 99$/);
    assert.ok(h.failed);
    h.close();
  });

  it("a store whose hash thread died aborts that segment and starts a new thread at the next one", async () => {
    const sink = new MemorySink();
    const rec = new Uint8Array(16).fill(3);
    const blob = (sequence: number, data: Uint8Array) => manifestBlob({
      format: "sealcam-manifest/1", device: "11".repeat(32), recording: hex(rec), sequence, final: false,
      first_frame: 0, frame_count: 1, first_time_us: 0, last_time_us: 0, age_bytes: data.length,
      age_sha256: sha256(data), pre_event_start: false, previous_manifest: "00".repeat(32), signature: "22".repeat(64),
    });
    try {
      const data = new Rng(SEED + 7).bytes(3 * RING);
      sink.open(rec, 0);
      sink.append(data);
      const w = workerOf((sink as unknown as { hasher: ParallelSha256 }).hasher);
      const gone = exited(w);
      await w.terminate();
      await gone;
      assert.throws(() => sink.append(data), /hash thread exited/);
      sink.abort();
      sink.open(rec, 1);
      sink.append(data);
      assert.deepEqual(sink.digest(), new Uint8Array(createHash("sha256").update(data).digest()));
      assert.equal(sink.commit(blob(1, data)).manifest.sequence, 1);
      assert.equal(sink.aborts, 1);
    } finally {
      sink.close();
    }
  });
});

describe("InThreadSha256 (the fallback where no worker can start)", () => {
  it("same digests, running digest and reset", () => {
    const rng = new Rng(SEED + 8);
    const h = new InThreadSha256();
    for (let i = 0; i < 10; i++) {
      h.reset();
      feed(h, rng, rng.bytes(rng.int(300 * KIB)));
    }
    h.close();
    assert.throws(() => h.digest(), /^SealcamError: storage: hash closed$/);
  });
});

describe("ParallelSha256 and the process", () => {
  it("an unclosed hasher, even one blocked in its worker, does not keep the process alive", () => {
    const hasher = fileURLToPath(new URL("../host/store/hasher.ts", import.meta.url));
    const script = `
      import { ParallelSha256 } from ${JSON.stringify(hasher)};
      const kept = [];
      for (let i = 0; i < 8; i++) {
        const h = new ParallelSha256({ ringBytes: 65536 });
        h.update(new Uint8Array(300000).fill(i));
        h.digest();
        if (i % 2) h.close(); else kept.push(h);
      }
      console.log("done " + kept.length);
    `;
    const t0 = performance.now();
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
    assert.equal(out.trim(), "done 4");
    assert.ok(performance.now() - t0 < 30_000);
  });
});
