// The segment manifest's two forms (docs/FORMAT.md): the module's 251-byte
// blob and the .manifest.json object. Encode and decode are inverse, the
// signed message is rebuilt byte for byte (a real Ed25519 signature over the
// blob's message verifies over the rebuilt one), and every malformed member
// is refused with a one-line error naming it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import {
  MANIFEST_BLOB_BYTES, MANIFEST_DOMAIN, MANIFEST_MESSAGE_BYTES, manifestBlob, manifestFromBlob, manifestHash, manifestJson,
  manifestMessage, parseManifest, validateManifest, type Manifest,
} from "../host/evidence/index.ts";
import { SealcamError } from "../host/errors.ts";

/** A signed message laid out by hand from FORMAT.md's table, and its parts. */
function handMessage(o: { device: Buffer; recording: Buffer; sequence: number; final: boolean; preEvent: boolean; u64: bigint[]; ageHash: Buffer; previous: Buffer }): Buffer {
  const m = Buffer.alloc(187);
  m.write(MANIFEST_DOMAIN, 0, "latin1");
  o.device.copy(m, 27);
  o.recording.copy(m, 59);
  m.writeUInt32LE(o.sequence, 75);
  m.writeUInt32LE((o.final ? 1 : 0) | (o.preEvent ? 2 : 0), 79);
  o.u64.forEach((v, i) => m.writeBigUInt64LE(v, 83 + 8 * i));
  o.ageHash.copy(m, 123);
  o.previous.copy(m, 155);
  return m;
}

function signedBlob(final = true, preEvent = false) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const device = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const parts = {
    device, recording: randomBytes(16), sequence: 7, final, preEvent,
    u64: [840n, 120n, 1_764_000_000_000_000n, 1_764_000_003_966_667n, 1_234_567n],
    ageHash: randomBytes(32), previous: randomBytes(32),
  };
  const message = handMessage(parts);
  const signature = sign(null, message, privateKey);
  return { parts, message, signature, publicKey, blob: new Uint8Array(Buffer.concat([message, signature])) };
}

describe("segment manifest", () => {
  it("decodes the blob into FORMAT.md's members", () => {
    const { parts, blob, signature } = signedBlob();
    assert.equal(blob.length, MANIFEST_BLOB_BYTES);
    const m = manifestFromBlob(blob);
    assert.deepEqual(m, {
      format: "sealcam-manifest/1",
      device: parts.device.toString("hex"),
      recording: parts.recording.toString("hex"),
      sequence: 7,
      final: true,
      first_frame: 840,
      frame_count: 120,
      first_time_us: 1_764_000_000_000_000,
      last_time_us: 1_764_000_003_966_667,
      age_bytes: 1_234_567,
      age_sha256: parts.ageHash.toString("hex"),
      pre_event_start: false,
      previous_manifest: parts.previous.toString("hex"),
      signature: signature.toString("hex"),
    });
  });

  it("flag bit 1 is pre_event_start, independent of bit 0 (final)", () => {
    for (const [final, preEvent, byte] of [[false, false, 0], [true, false, 1], [false, true, 2], [true, true, 3]] as const) {
      const { blob, message } = signedBlob(final, preEvent);
      assert.equal(message[79], byte);
      const m = manifestFromBlob(blob);
      assert.equal(m.final, final);
      assert.equal(m.pre_event_start, preEvent);
      assert.equal(Buffer.from(manifestMessage(m)).compare(message), 0, "the rebuilt message carries both bits");
    }
  });

  it("JSON text round-trips, members in order; the rebuilt message verifies", () => {
    for (const [final, preEvent] of [[true, false], [false, false], [false, true]]) {
      const { blob, message, publicKey } = signedBlob(final, preEvent);
      const m = manifestFromBlob(blob);
      const text = manifestJson(m);
      assert.ok(text.endsWith("}\n"));
      assert.deepEqual(Object.keys(JSON.parse(text)), [
        "format", "device", "recording", "sequence", "final", "first_frame", "frame_count", "first_time_us", "last_time_us",
        "age_bytes", "age_sha256", "pre_event_start", "previous_manifest", "signature",
      ]);
      const back = parseManifest(text);
      assert.deepEqual(back, m);
      assert.deepEqual(manifestBlob(back), blob);
      assert.equal(Buffer.from(manifestMessage(back)).compare(message), 0);
      assert.equal(manifestMessage(back).length, MANIFEST_MESSAGE_BYTES);
      assert.ok(verify(null, manifestMessage(back), publicKey, Buffer.from(back.signature, "hex")));
      assert.deepEqual(Buffer.from(manifestHash(back)), createHash("sha256").update(message).digest());
    }
  });

  it("refuses malformed blobs", () => {
    const { blob } = signedBlob();
    assert.throws(() => manifestFromBlob(blob.subarray(0, 250)), /manifest: blob is 250 bytes, not 251/);
    const wrongDomain = blob.slice();
    wrongDomain[0] ^= 1;
    assert.throws(() => manifestFromBlob(wrongDomain), /domain string/);
    for (const [at, bits] of [[79, 4], [79, 0x83], [80, 1], [82, 0x80]]) {
      const flags = blob.slice();
      flags[at] |= bits;
      assert.throws(() => manifestFromBlob(flags), /unknown flag bits/, `byte ${at} |= ${bits}`);
    }
    const huge = blob.slice();
    new DataView(huge.buffer).setBigUint64(115, 1n << 53n, true);
    assert.throws(() => manifestFromBlob(huge), /age_bytes 9007199254740992 is not below 2\^53/);
  });

  it("refuses every wrong member: missing, extra, type, length, case, range", () => {
    const good = manifestFromBlob(signedBlob().blob);
    const cases: Array<[string, (m: Record<string, unknown>) => void, RegExp]> = [
      ["missing", (m) => delete m.final, /member 'final' is missing/],
      ["missing pre_event_start", (m) => delete m.pre_event_start, /member 'pre_event_start' is missing/],
      ["pre_event_start not a boolean", (m) => (m.pre_event_start = 0), /pre_event_start must be true or false/],
      ["pre_event_start as a string", (m) => (m.pre_event_start = "false"), /pre_event_start must be true or false/],
      ["extra", (m) => (m.comment = "x"), /unknown member 'comment'/],
      ["format", (m) => (m.format = "sealcam-manifest/2"), /format must be 'sealcam-manifest\/1'/],
      ["short hex", (m) => (m.device = (m.device as string).slice(2)), /device must be 64 lowercase hex digits/],
      ["uppercase hex", (m) => (m.age_sha256 = (m.age_sha256 as string).toUpperCase().replace(/^[0-9]/, "A")), /age_sha256 must be 64 lowercase hex/],
      ["hex not a string", (m) => (m.recording = 12), /recording must be 32 lowercase hex/],
      ["signature length", (m) => (m.signature = "00".repeat(63)), /signature must be 128 lowercase hex/],
      ["boolean", (m) => (m.final = 1), /final must be true or false/],
      ["integer as string", (m) => (m.frame_count = "120"), /frame_count must be a whole number below 2\^53/],
      ["fraction", (m) => (m.first_time_us = 1.5), /first_time_us must be a (plain decimal )?whole number/],
      ["negative", (m) => (m.first_frame = -1), /first_frame must be a (plain decimal )?whole number/],
      ["unsafe", (m) => (m.age_bytes = 2 ** 53), /age_bytes must be a whole number below 2\^53/],
      ["sequence range", (m) => (m.sequence = 2 ** 32), /sequence must be a whole number below 2\^32/],
    ];
    for (const [what, spoil, message] of cases) {
      const m: Record<string, unknown> = { ...good };
      spoil(m);
      assert.throws(() => validateManifest(m), (e: unknown) => e instanceof SealcamError && message.test(e.message) && !e.message.includes("\n"), what);
      assert.throws(() => parseManifest(JSON.stringify(m)), message, what);
    }
    const text = manifestJson(good);
    const strict: Array<[string, string, RegExp]> = [
      ["duplicate member", text.replace('"final": true,', '"final": true,\n  "final": false,'), /manifest: member 'final' appears twice/],
      ["duplicate pre_event_start", text.replace('"pre_event_start": false,', '"pre_event_start": false,\n  "pre_event_start": true,'), /member 'pre_event_start' appears twice/],
      ["exponent", text.replace('"frame_count": 120', '"frame_count": 1.2e2'), /frame_count must be a plain decimal whole number \(no sign, fraction or exponent\), not 1\.2e2/],
      ["fraction", text.replace('"frame_count": 120', '"frame_count": 120.0'), /frame_count must be a plain decimal whole number/],
      ["minus zero", text.replace('"sequence": 7', '"sequence": -0'), /sequence must be a plain decimal whole number/],
      ["nested", text.replace('"final": true', '"final": {"x": 1}'), /final must not be an object or array/],
      ["null", text.replace('"final": true', '"final": null'), /final must be true or false/],
      ["__proto__", text.replace("{", '{"__proto__": 1,'), /unknown member '__proto__'/],
      ["trailing text", text + "x", /not JSON: text after the object/],
      ["trailing comma", text.replace('"\n}', '",\n}'), /not JSON: expected a member name/],
      ["single quotes", text.replace('"format"', "'format'"), /not JSON: expected a member name/],
      ["leading zero", text.replace('"sequence": 7', '"sequence": 07'), /not JSON/],
    ];
    for (const [what, bad, message] of strict) assert.throws(() => parseManifest(bad), message, what);
    assert.deepEqual(parseManifest(" \r\n" + JSON.stringify(good) + "\n\t"), good, "any JSON whitespace; escapes in strings");
    assert.deepEqual(parseManifest(text.replace('"sealcam-manifest/1"', '"sealcam-manifest\\/1"')), good, "an escaped slash is the same string");
    assert.throws(() => parseManifest("[1]"), /not a JSON object/);
    assert.throws(() => parseManifest("{"), /manifest: not JSON/);
    assert.deepEqual(validateManifest(JSON.parse(JSON.stringify(good))) as Manifest, good);
  });
});
