// The module's shape, read from the .wasm files themselves: fixed memory
// (declared maximum = initial, at most 512 KiB), only the camera's env
// imports, the documented exports, and an error table that agrees with the
// host's.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUILDS, wasmPath, instantiateV8 } from "../host/engine/index.ts";
import { MODULE_ERRORS } from "../host/errors.ts";
import { MAX_PAGES } from "./helpers/module.ts";

/** Reads an unsigned LEB128 at `at`; returns [value, next offset]. */
function leb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [value, at];
  }
}

/** The limits of the module's own memory (section 5), straight from the binary. */
function memoryLimits(bytes: Uint8Array): { min: number; max?: number; count: number } {
  assert.equal(Buffer.from(bytes.subarray(0, 8)).toString("hex"), "0061736d01000000", "wasm magic and version 1");
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size: number;
    [size, at] = leb(bytes, at);
    if (id === 5) {
      let p = at;
      let count: number, flags: number, min: number, max: number | undefined;
      [count, p] = leb(bytes, p);
      [flags, p] = leb(bytes, p);
      [min, p] = leb(bytes, p);
      if (flags & 1) [max, p] = leb(bytes, p);
      return { min, max, count };
    }
    at += size;
  }
  throw new Error("no memory section");
}

const REQUIRED_EXPORTS = [
  "memory", "io_ptr", "IO_BYTES",
  "sha256", "sha256_init", "sha256_update", "sha256_final",
  "sha512", "sha512_init", "sha512_update", "sha512_final",
  "hmac_sha256", "hmac_sha256_init", "hmac_sha256_update", "hmac_sha256_final",
  "hkdf_sha256", "hkdf_sha256_extract", "hkdf_sha256_expand",
  "chacha20", "chacha20_init", "chacha20_update", "chacha20_final",
  "poly1305", "poly1305_init", "poly1305_update", "poly1305_final",
  "aead_init", "aead_update_ad", "aead_encrypt_update", "aead_encrypt_final", "aead_encrypt", "aead_decrypt",
  "x25519", "x25519_public", "ed25519_keypair", "ed25519_sign", "ed25519_verify", "ed25519_check_public",
  "SECURE_BYTES", "CONFIG_BYTES_MAX", "MAX_RECIPIENTS", "MAX_FRAME_BYTES", "MANIFEST_BYTES",
  "camera_init", "camera_configure", "camera_config_serial", "camera_dock_key", "camera_public_key", "recording_start", "recording_id",
  "frame_begin", "frame_data", "frame_end", "segment_close", "recording_stop", "frames_recorded",
  "AUDIT_ENTRY_BYTES", "audit_start", "audit_note", "audit_head",
  "DOCK_HELLO_BYTES", "RECEIPT_BYTES", "dock_auth", "receipt_check",
  "PARK_SLOTS", "recording_buffer", "recording_trigger",
];

/** The host functions of docs/ABI.md "The camera" / "Imports". */
const CAMERA_IMPORTS = [
  "entropy", "clock_us", "storage_open", "storage_append", "storage_digest", "storage_commit", "storage_abort", "event",
  "audit_write", "storage_park", "storage_unpark", "storage_commit_parked", "storage_drop",
];

for (const build of BUILDS) {
  describe(`module shape (${build} build)`, () => {
    const bytes = new Uint8Array(readFileSync(wasmPath(build)));
    const module = new WebAssembly.Module(bytes);

    it("declares one fixed memory: maximum = initial, at most 512 KiB", () => {
      const { min, max, count } = memoryLimits(bytes);
      assert.equal(count, 1);
      assert.equal(max, min, "maximum must equal initial");
      assert.ok(min <= MAX_PAGES, `${min} pages > ${MAX_PAGES}`);
    });

    it("imports exactly the documented env functions (docs/ABI.md), no env.abort", () => {
      const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
      assert.deepEqual(imports, CAMERA_IMPORTS.map((name) => `env.${name}:function`).sort());
    });

    it("exports the documented crypto and camera surface", () => {
      const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
      for (const name of REQUIRED_EXPORTS) assert.ok(names.has(name), `missing export ${name}`);
    });

    it("cannot grow its memory", async () => {
      const { memory } = await instantiateV8(build);
      const size = memory.buffer.byteLength;
      assert.throws(() => memory.grow(1), RangeError);
      assert.equal(memory.buffer.byteLength, size);
    });

    it("has the same error table as the host", async () => {
      const { exports } = await instantiateV8(build);
      for (const [name, { code }] of Object.entries(MODULE_ERRORS)) {
        assert.equal(exports[name]?.value, code, `${name}`);
      }
      const moduleNames = Object.keys(exports).filter((k) => k === "OK" || k.startsWith("ERR_"));
      assert.deepEqual(moduleNames.sort(), Object.keys(MODULE_ERRORS).sort(), "every module code has a host message");
    });
  });
}
