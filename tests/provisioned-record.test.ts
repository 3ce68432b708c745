// A camera set up the way a force would: a provisioning key signs the
// camera's configuration, the camera pins the provisioning key, and the
// recording goes to the recipients the force chose. Whoever holds the camera
// cannot redirect it: a configuration they sign themselves, one signed for
// another camera, or one altered after signing is refused by the module with
// a one-line error, and nothing is recorded.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sealcam, assertCleanError } from "./helpers/cli.ts";

describe("sealcam record with a signed configuration", () => {
  let dir: string;
  const k = (name: string) => join(dir, "k", name);
  const p = (name: string) => join(dir, "prov", name);
  const sign = (out: string, device: string, provisioningKey = p("provisioning.key"), serial = "1") =>
    sealcam("provision", "sign", "--key", provisioningKey, "--device", device, "--recipient", readFileSync(k("force.pub"), "utf8").trim(), "--segment-seconds", "3", "--serial", serial, "--out", out);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sealcam-provisioned-"));
    assert.equal(sealcam("keygen", "--out", join(dir, "k")).code, 0);
    assert.equal(sealcam("keygen", "--out", join(dir, "other"), "--device-only").code, 0);
    assert.equal(sealcam("provision", "keygen", "--out", join(dir, "prov")).code, 0);
    assert.equal(sealcam("provision", "keygen", "--out", join(dir, "thief")).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("records to the recipients the force signed, with the segment length it signed", () => {
    const config = join(dir, "camera.sealcfg");
    const s = sign(config, k("device.pub"));
    assert.equal(s.code, 0, s.err);
    const out = join(dir, "rec");
    const r = sealcam("record", "--config", config, "--provisioning", p("provisioning.pub"), "--device-key", k("device.key"), "--out", out);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /config\s+serial 1, signed by sealcamprov1/);
    assert.match(r.out, /segments\s+4 committed/, "3 s segments of the 12 s fixture");
    const v = sealcam("verify", out, "--identity", k("force.key"), "--device", k("device.pub"));
    assert.equal(v.code, 0, v.out + v.err);
  });

  it("refuses a configuration signed by another key, for another camera, or altered, recording nothing", () => {
    const cases: [string, () => string, RegExp][] = [
      ["signed by a key the camera does not pin", () => {
        const f = join(dir, "thief.sealcfg");
        assert.equal(sign(f, k("device.pub"), join(dir, "thief", "provisioning.key")).code, 0);
        return f;
      }, /not signed by the pinned provisioning key/],
      ["signed for another camera", () => {
        const f = join(dir, "other.sealcfg");
        assert.equal(sign(f, join(dir, "other", "device.pub")).code, 0);
        return f;
      }, /not signed by the pinned provisioning key, or for another camera/],
      ["a recipient changed after signing", () => {
        const f = join(dir, "altered.sealcfg");
        assert.equal(sign(f, k("device.pub")).code, 0);
        const b = readFileSync(f);
        b[128] ^= 0x01;
        writeFileSync(f, b);
        return f;
      }, /not signed by the pinned provisioning key/],
    ];
    for (const [name, make, message] of cases) {
      const out = join(dir, `refused-${name.replace(/\W+/g, "-")}`);
      const r = sealcam("record", "--config", make(), "--provisioning", p("provisioning.pub"), "--device-key", k("device.key"), "--out", out);
      assertCleanError(r, message);
      // Nothing recorded; the camera's audit log holds the refusal (kind 3).
      const left = existsSync(out) ? readdirSync(out) : [];
      assert.deepEqual(left.filter((f) => f !== "audit.log"), [], `${name}: nothing recorded`);
      if (left.includes("audit.log")) {
        const log = readFileSync(join(out, "audit.log"));
        const kinds = Array.from({ length: log.length / 200 }, (_, i) => log.readUInt32LE(i * 200 + 40));
        assert.ok(kinds.includes(3), `${name}: the refusal is in the audit log (kinds ${kinds})`);
      }
    }
  });

  it("refuses mixing a signed configuration with command-line recipients, or one without the other", () => {
    const config = join(dir, "camera.sealcfg");
    const recipient = readFileSync(k("force.pub"), "utf8").trim();
    assertCleanError(sealcam("record", "--config", config, "--out", join(dir, "x")), /--config and --provisioning go together/);
    assertCleanError(sealcam("record", "--config", config, "--provisioning", p("provisioning.pub"), "--recipient", recipient, "--out", join(dir, "x")), /--recipient does not apply with --config/);
    assertCleanError(sealcam("record", "--config", join(dir, "missing.sealcfg"), "--provisioning", p("provisioning.pub"), "--out", join(dir, "x")), /missing\.sealcfg/);
    assertCleanError(sealcam("record", "--config", config, "--provisioning", "sealcamprov1nonsense", "--out", join(dir, "x")), /--provisioning/);
  });
});
