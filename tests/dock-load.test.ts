// Load (issue 5, "Proof"): 50 simulated cameras, each with its own flash and
// module, dock at once to one dock. Every segment is uploaded, every receipt
// is accepted by each camera's module (measureDocking throws otherwise), every
// queue is emptied, and what the dock holds verifies frame by frame with the
// force identity, audit logs included. The time goes into `npm run bench`
// (host/bench/dock.ts), not here.
import { it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { measureDocking } from "../host/bench/dock.ts";
import { DEVICES_DIR } from "../host/dock/store.ts";
import { verifyPaths } from "../host/custody/verify.ts";

it("50 cameras dock at once: every segment uploaded, every receipt valid, everything verifies", { timeout: 20 * 60 * 1000 }, async () => {
  const r = await measureDocking({ cameras: 50, seconds: 2, reference: false });
  try {
    assert.equal(r.summaries.length, 50);
    for (const s of r.summaries) {
      assert.ok(s.segments >= 1, `each camera uploaded its segments (${s.segments})`);
      assert.equal(s.receipts, s.segments + 1, "a receipt per segment and one for the audit log, each accepted by the module");
      assert.deepEqual(s.errors, []);
    }
    const paths = r.devices.map((d) => join(r.store, DEVICES_DIR, Buffer.from(d).toString("hex")));
    const report = await verifyPaths(paths, { crypto: r.force.crypto, identities: [{ scalar: r.force.identity, recipient: r.force.recipientText }], pinnedDevice: null });
    assert.equal(report.recordings.length, 50);
    assert.equal(report.audit_logs.length, 50);
    const bad = [...report.recordings, ...report.audit_logs].filter((x) => !x.intact);
    assert.deepEqual(bad.map((x) => ("recording" in x ? x.recording : x.file)), [], "every recording and audit log intact");
    assert.equal(report.recordings.reduce((n, x) => n + x.segments.length, 0), r.segments);
  } finally {
    r.cleanup();
  }
});
