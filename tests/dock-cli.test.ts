// `sealcam dock keygen` and `sealcam dock serve` as a person runs them: the
// key file, the service as a child process on an ephemeral loopback port, a
// real recording (sealcam record) docked into it and checked in the store by
// `sealcam verify` unchanged, no plaintext frame bytes of the fixture in the
// store, a clean stop on SIGTERM and SIGINT, and every bad option refused
// with one line and exit 2.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sealcam, assertCleanError, BIN, ROOT } from "./helpers/cli.ts";
import { FakeCamera, hex } from "./helpers/dock-camera.ts";
import { dockCamera } from "../host/dock/client.ts";
import { parseDockPublicKey } from "../host/keys/dock.ts";
import { parseDeviceKeyFile, formatDevicePublicKey } from "../host/keys/index.ts";
import { manifestBlob, parseManifest } from "../host/evidence/index.ts";

const dir = mkdtempSync(join(tmpdir(), "sealcam-dock-cli-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const children: ChildProcess[] = [];
// A test that fails part-way leaves its dock running: stop them all at the end.
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
});

/** Runs `sealcam dock serve …` and resolves once it says where it listens. */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string; out: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, "dock", "serve", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dock serve did not start: ${out} ${err}`)), 60_000);
    child.stdout!.on("data", () => {
      const m = /dock listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => reject(new Error(`dock serve exited ${code}: ${err}`)));
  });
  return { child, url, out: () => out, exited };
}

function keygen(name: string): { path: string; publicKey: Uint8Array } {
  const path = join(dir, name);
  const r = sealcam("dock", "keygen", "--out", path);
  assert.equal(r.code, 0, r.err);
  const m = /public key\s+(sealcamdock1[0-9a-z]+)/.exec(r.out);
  assert.ok(m, r.out);
  return { path, publicKey: parseDockPublicKey(m[1]) };
}

test("dock keygen writes a 0600 key file, prints its public key, and never overwrites", () => {
  const { path, publicKey } = keygen("keygen.key");
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const text = readFileSync(path, "utf8");
  assert.match(text, /^# sealcam dock key \(Ed25519\)/);
  assert.match(text, /\nSEALCAM-DOCK-KEY-1[0-9A-Z]{58}\n$/);
  assert.ok(text.includes(`# public key: `) && publicKey.length === 32);
  assertCleanError(sealcam("dock", "keygen", "--out", path), /already exists/);
  assertCleanError(sealcam("dock", "keygen"), /--out FILE is required/);
  assertCleanError(sealcam("dock", "keygen", "--out", join(dir, "no", "such", "k.key")), /does not exist/);
});

test("dock serve refuses bad options with one line and exit 2, before serving anything", () => {
  const { path: key } = keygen("options.key");
  const device = new FakeCamera(new Uint8Array(32).fill(1), new Uint8Array(32)).device;
  const enrolled = join(dir, "enrolled.txt");
  writeFileSync(enrolled, `# cameras of unit 7\n${formatDevicePublicKey(device)}  # camera 1\n\n`);
  const store = join(dir, "options-store");
  const file = join(dir, "plain-file");
  writeFileSync(file, "x");
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const base = ["--store", store, "--key", key, "--enrolled", enrolled];
  const cases: [string[], RegExp][] = [
    [["--key", key, "--enrolled", enrolled], /--store DIR is required/],
    [["--store", store, "--enrolled", enrolled], /--key FILE is required/],
    [["--store", store, "--key", key], /--enrolled FILE is required/],
    [[...base, "--port", "70000"], /--port must be a whole number from 0 to 65535/],
    [[...base, "--port", "http"], /--port must be/],
    [[...base, "--host", "0.0.0.0"], /not a loopback address: the dock speaks plain HTTP.*--public/],
    [[...base, "--host", "192.0.2.1"], /not a loopback address/],
    [[...base, "--frob"], /Unknown option '--frob'/],
    [["--store", file, "--key", key, "--enrolled", enrolled], /is not a directory/],
    [["--store", store, "--key", join(dir, "missing.key"), "--enrolled", enrolled], /missing\.key: no such file/],
    [["--store", store, "--key", write("device.key", `SEALCAM-DEVICE-KEY-1${"q".repeat(58)}\n`), "--enrolled", enrolled], /--key .*device\.key:1:/],
    [["--store", store, "--key", key, "--enrolled", join(dir, "missing.txt")], /missing\.txt: no such file/],
    [["--store", store, "--key", key, "--enrolled", write("empty.txt", "# nobody\n")], /no devices enrolled/],
    [["--store", store, "--key", key, "--enrolled", write("bad.txt", `${formatDevicePublicKey(device)}\nsealcamdev1qqqq\n`)], /bad\.txt:2:/],
    [["--store", store, "--key", key, "--enrolled", write("twice.txt", `${formatDevicePublicKey(device)}\n${formatDevicePublicKey(device)}\n`)], /twice\.txt:2: device .* is already enrolled on line 1/],
    [["--store", store, "--key", key, "--enrolled", write("secret.txt", readFileSync(key, "utf8"))], /secret\.txt:4: that is a secret key/],
  ];
  for (const [args, pattern] of cases) assertCleanError(sealcam("dock", "serve", ...args), pattern);
  assertCleanError(sealcam("dock", "frob"), /unknown subcommand 'frob'/);
  const bare = sealcam("dock");
  assert.equal(bare.code, 2);
  assert.match(bare.out, /usage: sealcam dock keygen/);
  assert.equal(sealcam("dock", "--help").code, 0);
  assert.ok(!existsSync(store), "nothing was created");
  // A damaged store stops the dock before it serves: exit 1, one line naming the file.
  const damaged = join(dir, "damaged-store");
  mkdirSync(join(damaged, "devices", hex(device)), { recursive: true });
  writeFileSync(join(damaged, "devices", hex(device), "audit.log"), Buffer.alloc(200, 0xee));
  const r = sealcam("dock", "serve", "--store", damaged, "--key", key, "--enrolled", enrolled, "--port", "0");
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^sealcam dock: --store .*audit\.log: entry at byte 0: .*\(the store is damaged\)\n$/);
});

test("dock serve: a real recording docks, verifies in the store unchanged, holds no plaintext frame bytes; SIGTERM stops it cleanly", async () => {
  // A camera: the force's key, a device key, a recording of the fixture (sealcam record).
  const keys = join(dir, "keys");
  assert.equal(sealcam("keygen", "--out", keys).code, 0);
  const recipient = readFileSync(join(keys, "force.pub"), "utf8").trim();
  const rec = join(dir, "rec");
  const recorded = sealcam("record", "--recipient", recipient, "--out", rec, "--device-key", join(keys, "device.key"), "--seconds", "4", "--segment-seconds", "1");
  assert.equal(recorded.code, 0, recorded.err);
  const seed = parseDeviceKeyFile(readFileSync(join(keys, "device.key"), "utf8"), "device.key").seed;

  const dock = keygen("serve.key");
  const cam = new FakeCamera(seed, dock.publicKey);
  for (const name of readdirSync(rec).filter((n) => n.endsWith(".manifest.json")).sort()) {
    const m = parseManifest(readFileSync(join(rec, name), "utf8"));
    cam.add(manifestBlob(m), new Uint8Array(readFileSync(join(rec, name.replace(".manifest.json", ".age")))));
  }
  const segments = cam.segments.size;
  assert.ok(segments >= 3, `the recording has ${segments} segments`);
  const enrolled = join(dir, "serve-enrolled.txt");
  writeFileSync(enrolled, `${formatDevicePublicKey(cam.device)}\n`);
  const store = join(dir, "store");

  const d = await serve(["--store", store, "--key", dock.path, "--enrolled", enrolled, "--port", "0"]);
  assert.match(d.out(), /enrolled\s+1 device\n/);
  const summary = await dockCamera(cam, d.url, { pieceBytes: 64 * 1024 });
  assert.deepEqual(summary.errors, []);
  assert.equal(summary.segments, segments);
  assert.equal(cam.segments.size, 0, "every segment deleted after its receipt");
  assert.equal(cam.accepted.length, segments + 1);

  d.child.kill("SIGTERM");
  assert.equal(await d.exited, 0, "a clean stop");
  assert.match(d.out(), /SIGTERM: stopping/);
  assert.match(d.out(), /dock stopped\n$/);

  // The store, read by the custody tools as they read the camera's folder.
  const recordings = readdirSync(join(store, "devices", hex(cam.device))).filter((n) => /^[0-9a-f]{32}$/.test(n));
  assert.equal(recordings.length, 1);
  const folder = join(store, "devices", hex(cam.device), recordings[0]);
  const shallow = sealcam("verify", folder);
  assert.equal(shallow.code, 0, shallow.out + shallow.err);
  const deep = sealcam("verify", folder, "--identity", join(keys, "force.key"), "--device", join(keys, "device.pub"));
  assert.equal(deep.code, 0, deep.out + deep.err);
  assert.match(deep.out, new RegExp(`segments\\s+${segments} \\(0–${segments - 1}\\), ends with the final segment`));
  assert.match(deep.out, /verdict\s+INTACT/);

  // No plaintext frame bytes anywhere in the store: 32-byte windows of the
  // fixture (varied enough to be its own) searched for in every file.
  const fixture = readFileSync(join(ROOT, "fixtures", "testsrc-12s.h264"));
  const windows: Buffer[] = [];
  for (let at = 4096; at + 32 <= fixture.length && windows.length < 300; at += Math.floor(fixture.length / 400)) {
    const w = fixture.subarray(at, at + 32);
    if (new Set(w).size >= 16) windows.push(w);
  }
  assert.ok(windows.length >= 200, `${windows.length} windows`);
  const all: string[] = [];
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => all.push(f))(join(p, e.name));
  };
  walk(store);
  assert.ok(all.length >= 3 * segments + 2);
  for (const f of all) {
    const bytes = readFileSync(f);
    for (const w of windows) assert.equal(bytes.indexOf(w), -1, `${f} holds fixture bytes`);
  }
  // The search finds what is there: the same windows in a plaintext copy.
  const copy = Buffer.concat([Buffer.alloc(10), fixture]);
  assert.ok(windows.every((w) => copy.indexOf(w) >= 0));
});

test("dock serve stops cleanly on SIGINT too", async () => {
  const dock = keygen("sigint.key");
  const enrolled = join(dir, "sigint-enrolled.txt");
  writeFileSync(enrolled, `${formatDevicePublicKey(new FakeCamera(new Uint8Array(32).fill(2), dock.publicKey).device)}\n`);
  const d = await serve(["--store", join(dir, "sigint-store"), "--key", dock.path, "--enrolled", enrolled, "--port", "0"]);
  const health = await fetch(`${d.url}/v1/health`).then((r) => r.json());
  assert.deepEqual(Object.keys(health).sort(), ["dock", "ok"]);
  d.child.kill("SIGINT");
  assert.equal(await d.exited, 0);
  assert.match(d.out(), /SIGINT: stopping[\s\S]*dock stopped\n$/);
});
