// The dock service (host/dock/server.ts, store.ts) and the camera's docking
// client (client.ts), with fake cameras (tests/helpers/dock-camera.ts) whose
// manifests, audit entries and receipt checks are @noble/curves': the
// security properties the issue asks for, the store's layout and its
// all-or-nothing commits, bad input (through fastify's inject and a real
// loopback listen), restarts, dropped connections, and 50 cameras at once.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import http from "node:http";
import net from "node:net";
import { ed25519 } from "@noble/curves/ed25519.js";
import { createDock, type DockApp, type DockOptions } from "../host/dock/server.ts";
import { dockCrypto, DockSigner } from "../host/dock/protocol.ts";
import { dockCamera } from "../host/dock/client.ts";
import { manifestJson, parseManifest } from "../host/evidence/index.ts";
import { DOMAIN, FakeCamera, auditEntry, entryHash, fakeAge, hex, manifestBlobFor, seedOf, sha256 } from "./helpers/dock-camera.ts";

const crypto = await dockCrypto();
const DOCK_SEED = seedOf("dock server test: dock");
const DOCK_PK = ed25519.getPublicKey(DOCK_SEED);
const strict = { zip215: false } as const;
const dirs: string[] = [];
const apps: { close(): Promise<unknown> }[] = [];
// A test that fails part-way leaves its dock open: close them all at the end, so the run ends.
after(async () => {
  for (const a of apps) await a.close().catch(() => undefined);
});
process.on("exit", () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let cameraCount = 0;
const camera = (): FakeCamera => new FakeCamera(seedOf(`dock server test: camera ${cameraCount++}`), DOCK_PK);

interface Dock {
  app: DockApp;
  dir: string;
}

async function startDock(enrolled: FakeCamera[], extra: Partial<DockOptions> = {}, dir?: string): Promise<Dock> {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), "sealcam-dock-"));
    dirs.push(dir);
  }
  const app = await createDock({ store: dir, dockSeed: DOCK_SEED, enrolled: enrolled.map((c) => c.device), crypto, ...extra });
  apps.push(app);
  return { app, dir };
}

interface Res {
  status: number;
  body: Record<string, any>;
}

async function call(app: DockApp, method: string, url: string, opts: { token?: string; json?: unknown; raw?: string | Buffer; type?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | Buffer | undefined;
  if (opts.json !== undefined) {
    payload = JSON.stringify(opts.json);
    headers["content-type"] = "application/json";
  }
  if (opts.raw !== undefined) payload = opts.raw;
  if (opts.type) headers["content-type"] = opts.type;
  const r = await app.inject({ method: method as "GET", url, headers, payload });
  return { status: r.statusCode, body: r.json() };
}

/** A refusal: this status, one line of error matching `pattern`, no stack trace. */
function refused(r: Res, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, `status (body: ${JSON.stringify(r.body)})`);
  assert.equal(typeof r.body.error, "string");
  assert.match(r.body.error, pattern);
  assert.ok(!r.body.error.includes("\n") && !/\bat .*:\d+:\d+/.test(r.body.error), `one line, no stack: ${r.body.error}`);
}

async function session(app: DockApp, cam: FakeCamera): Promise<string> {
  const h = await call(app, "POST", "/v1/hello", { json: { device: hex(cam.device) } });
  assert.equal(h.status, 200, JSON.stringify(h.body));
  const hello = Buffer.from(h.body.hello, "hex");
  const answer = cam.dockAuth(hello);
  const a = await call(app, "POST", "/v1/auth", { json: { device: hex(cam.device), challenge: hex(hello.subarray(32, 64)), answer: hex(answer) } });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  return a.body.session;
}

/** Every file under `dir/sub`, relative to `dir`. */
function files(dir: string, sub = "."): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(join(dir, sub));
  return out.sort();
}

/**
 * The evidence tree holds only whole segments: every file is an audit or
 * dock log, or one of a segment's three files, and every `.age` is the file
 * its manifest names (size and SHA-256) with a 216-byte receipt beside it.
 */
function assertTreeWhole(dir: string): number {
  let segments = 0;
  const all = files(dir, "devices");
  for (const f of all) {
    const m = /^devices\/[0-9a-f]{64}\/(?:(audit|dock)\.log|([0-9a-f]{32})\/\2-\d{6,}\.(age|manifest\.json|receipt))$/.exec(f);
    assert.ok(m, `unexpected file in the evidence tree: ${f}`);
    if (m[3] !== "age") continue;
    const stem = join(dir, f.slice(0, -4));
    const manifest = parseManifest(readFileSync(`${stem}.manifest.json`, "utf8"));
    const age = readFileSync(`${stem}.age`);
    assert.equal(age.length, manifest.age_bytes, `${f}: size`);
    assert.equal(sha256(age).toString("hex"), manifest.age_sha256, `${f}: SHA-256`);
    assert.equal(statSync(`${stem}.receipt`).size, 216, `${f}: receipt`);
    segments++;
  }
  for (const f of all) if (f.endsWith(".manifest.json") || f.endsWith(".receipt")) assert.ok(all.includes(f.replace(/\.(manifest\.json|receipt)$/, ".age")), `${f} without its .age`);
  return segments;
}

const noIncoming = (dir: string) => assert.deepEqual(files(dir, "incoming"), [], "incoming/ is empty");

function segmentPaths(dir: string, m: { device: string; recording: string; sequence: number }) {
  const stem = join(dir, "devices", m.device, m.recording, `${m.recording}-${String(m.sequence).padStart(6, "0")}`);
  return { age: `${stem}.age`, manifest: `${stem}.manifest.json`, receipt: `${stem}.receipt` };
}

/** Checks a segment receipt with noble: the dock's key, this device, kind 1, the manifest hash, SHA-256 and size. */
function assertSegmentReceipt(receipt: Buffer, cam: FakeCamera, seg: { blob: Uint8Array; age: Uint8Array }): void {
  assert.equal(receipt.length, 216);
  assert.ok(ed25519.verify(receipt.subarray(152), Buffer.concat([DOMAIN.receipt, receipt.subarray(0, 152)]), DOCK_PK, strict), "receipt signature (noble, strict)");
  assert.ok(receipt.subarray(0, 32).equals(Buffer.from(DOCK_PK)), "names the dock");
  assert.ok(receipt.subarray(32, 64).equals(Buffer.from(cam.device)), "names the device");
  assert.equal(receipt.readUInt32LE(64), 1, "kind 1");
  assert.equal(receipt.readUInt32LE(68), 0);
  assert.ok(receipt.subarray(80, 112).equals(sha256(seg.blob.subarray(0, 187))), "manifest hash");
  assert.ok(receipt.subarray(112, 144).equals(sha256(seg.age)), "SHA-256 of the .age file");
  assert.equal(receipt.readBigUInt64LE(144), BigInt(seg.age.length), "size of the .age file");
}

async function upload(app: DockApp, token: string, seg: { manifest: object; age: Uint8Array }, offset = 0): Promise<Res> {
  const m = seg.manifest as { age_sha256: string };
  return call(app, "PUT", `/v1/segments/${m.age_sha256}?offset=${offset}`, { token, raw: Buffer.from(seg.age.subarray(offset)), type: "application/octet-stream" });
}

// ---- authentication ----------------------------------------------------------

test("an unenrolled device is refused at hello and at auth, and nothing is stored", async () => {
  const enrolled = camera();
  const stranger = camera();
  const { app, dir } = await startDock([enrolled]);
  refused(await call(app, "POST", "/v1/hello", { json: { device: hex(stranger.device) } }), 403, /not enrolled/);
  // Even with a well-formed answer to a hello the dock gave someone else.
  const h = await call(app, "POST", "/v1/hello", { json: { device: hex(enrolled.device) } });
  const hello = Buffer.from(h.body.hello, "hex");
  const answer = ed25519.sign(Buffer.concat([DOMAIN.answer, stranger.device, DOCK_PK, hello.subarray(32, 64)]), stranger.seed);
  refused(await call(app, "POST", "/v1/auth", { json: { device: hex(stranger.device), challenge: hex(hello.subarray(32, 64)), answer: hex(answer) } }), 403, /not enrolled/);
  assert.deepEqual(files(dir, "devices"), []);
  await app.close();
});

test("a flood of hellos naming a camera does not push its challenge out (review finding: the dock kept four per device)", async () => {
  const cam = camera();
  const { app } = await startDock([cam]);
  const h = await call(app, "POST", "/v1/hello", { json: { device: hex(cam.device) } });
  const hello = Buffer.from(h.body.hello, "hex");
  for (let i = 0; i < 200; i++) assert.equal((await call(app, "POST", "/v1/hello", { json: { device: hex(cam.device) } })).status, 200);
  const a = await call(app, "POST", "/v1/auth", { json: { device: hex(cam.device), challenge: hex(hello.subarray(32, 64)), answer: hex(cam.dockAuth(hello)) } });
  assert.equal(a.status, 200, JSON.stringify(a.body));
});

test("a bad answer is refused: another key, a challenge never issued, answered twice, or older than a minute", async () => {
  const cam = camera();
  const other = camera();
  let now = 1_000_000;
  const { app } = await startDock([cam, other], { nowMs: () => now });
  const hello = async (c: FakeCamera) => Buffer.from((await call(app, "POST", "/v1/hello", { json: { device: hex(c.device) } })).body.hello, "hex");
  const auth = (c: FakeCamera, challenge: Uint8Array, answer: Uint8Array) =>
    call(app, "POST", "/v1/auth", { json: { device: hex(c.device), challenge: hex(challenge), answer: hex(answer) } });
  const sign = (seed: Uint8Array, device: Uint8Array, dock: Uint8Array, challenge: Uint8Array) => ed25519.sign(Buffer.concat([DOMAIN.answer, device, dock, challenge]), seed);

  let h = await hello(cam);
  assert.ok(ed25519.verify(h.subarray(72), Buffer.concat([DOMAIN.hello, h.subarray(0, 72)]), DOCK_PK, strict), "the hello is the dock's");
  refused(await auth(cam, h.subarray(32, 64), sign(other.seed, cam.device, DOCK_PK, h.subarray(32, 64))), 401, /answer refused: signature does not verify/);
  h = await hello(cam);
  refused(await auth(cam, h.subarray(32, 64), sign(cam.seed, cam.device, other.device, h.subarray(32, 64))), 401, /answer refused/);
  h = await hello(cam);
  const never = new Uint8Array(32).fill(9);
  refused(await auth(cam, never, sign(cam.seed, cam.device, DOCK_PK, never)), 401, /no such challenge/);
  // A challenge issued to one device is not another's.
  h = await hello(cam);
  refused(await auth(other, h.subarray(32, 64), sign(other.seed, other.device, DOCK_PK, h.subarray(32, 64))), 401, /no such challenge/);
  // Answered once: the second use is refused.
  h = await hello(cam);
  const good = sign(cam.seed, cam.device, DOCK_PK, h.subarray(32, 64));
  assert.equal((await auth(cam, h.subarray(32, 64), good)).status, 200);
  refused(await auth(cam, h.subarray(32, 64), good), 401, /no such challenge/);
  // Stale: a minute later the challenge is gone.
  h = await hello(cam);
  now += 60_000;
  refused(await auth(cam, h.subarray(32, 64), sign(cam.seed, cam.device, DOCK_PK, h.subarray(32, 64))), 401, /no such challenge/);
  h = await hello(cam);
  now += 59_000;
  assert.equal((await auth(cam, h.subarray(32, 64), sign(cam.seed, cam.device, DOCK_PK, h.subarray(32, 64)))).status, 200, "within the minute");
  await app.close();
});

test("every route but health, hello and auth needs a live session", async () => {
  const cam = camera();
  let now = 0;
  const { app } = await startDock([cam], { nowMs: () => now, limits: { sessionSeconds: 10 } });
  const sha = "ab".repeat(32);
  const routes: [string, string, { json?: unknown; raw?: Buffer; type?: string }][] = [
    ["POST", "/v1/segments", { json: { manifest: {} } }],
    ["PUT", `/v1/segments/${sha}?offset=0`, { raw: Buffer.alloc(10), type: "application/octet-stream" }],
    ["GET", "/v1/audit", {}],
    ["POST", "/v1/audit", { raw: Buffer.alloc(200), type: "application/octet-stream" }],
  ];
  for (const [method, url, o] of routes) {
    refused(await call(app, method, url, o), 401, /session is required/);
    refused(await call(app, method, url, { ...o, token: "00".repeat(32) }), 401, /unknown or expired/);
  }
  const token = await session(app, cam);
  assert.equal((await call(app, "GET", "/v1/audit", { token })).status, 200);
  const r = await app.inject({ method: "GET", url: "/v1/audit", headers: { authorization: `Basic ${token}` } });
  assert.equal(r.statusCode, 401);
  assert.equal(r.headers["www-authenticate"], "Bearer");
  now += 10_000;
  refused(await call(app, "GET", "/v1/audit", { token }), 401, /unknown or expired/);
  assert.equal((await call(app, "GET", "/v1/health")).status, 200);
  await app.close();
});

// ---- manifests and uploads ---------------------------------------------------

test("bad manifests are refused with the reason and leave nothing in the store", async () => {
  const cam = camera();
  const other = camera();
  const { app, dir } = await startDock([cam, other]);
  const token = await session(app, cam);
  const [seg] = camera().record([1000]); // a third camera's segment: a template
  const age = fakeAge(5000);
  const recording = new Uint8Array(16).fill(3);
  const good = parseManifest(manifestJson(new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, age, { recording, sequence: 0 }), age).manifest));
  const post = (manifest: unknown) => call(app, "POST", "/v1/segments", { token, json: { manifest } });

  // One bit of S flipped well below its top byte: S stays canonical, the equation fails.
  const badSig = { ...good, signature: good.signature.slice(0, 80) + (good.signature[80] === "0" ? "1" : "0") + good.signature.slice(81) };
  refused(await post(badSig), 422, /manifest: signature refused: signature does not verify/);
  const edited = { ...good, age_bytes: good.age_bytes + 1 };
  refused(await post(edited), 422, /signature refused/);
  // Signed by another enrolled device, sent in this device's session.
  const theirs = new FakeCamera(other.seed, DOCK_PK).add(manifestBlobFor(other.seed, age, { recording, sequence: 0 }), age).manifest;
  refused(await post(theirs), 422, /names another device/);
  // Naming this device but signed by someone else's key.
  const forged = new FakeCamera(other.seed, DOCK_PK).add(manifestBlobFor(other.seed, age, { recording, sequence: 0, device: cam.device }), age).manifest;
  refused(await post(forged), 422, /signature refused/);
  // Wrong types and shapes.
  refused(await post({ ...good, sequence: "0" }), 422, /sequence must be a whole number/);
  refused(await post({ ...good, age_bytes: 1.5 }), 422, /age_bytes must be a whole number/);
  refused(await post({ ...good, final: "false" }), 422, /final must be true or false/);
  refused(await post({ ...good, device: good.device.toUpperCase() }), 422, /device must be 64 lowercase hex/);
  refused(await post({ ...good, extra: 1 }), 422, /unknown member 'extra'/);
  const { signature: _, ...unsigned } = good;
  refused(await post(unsigned), 422, /member 'signature' is missing/);
  refused(await post({ ...seg.manifest, format: "sealcam-manifest/2" }), 422, /format must be/);
  refused(await post("a manifest"), 400, /body\/manifest must be object/);
  refused(await post([good]), 400, /body\/manifest must be object/);
  refused(await call(app, "POST", "/v1/segments", { token, json: { manifest: good, more: 1 } }), 400, /unknown member 'more'/);
  refused(await call(app, "POST", "/v1/segments", { token, json: {} }), 400, /missing the member 'manifest'/);
  refused(await call(app, "POST", "/v1/segments", { token, raw: `{"manifest": ${JSON.stringify(good).slice(0, -3)}`, type: "application/json" }), 400, /not valid JSON/);
  const zero = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, age, { recording, sequence: 1, ageBytes: 0 }), age).manifest;
  refused(await post(zero), 422, /age_bytes is 0/);

  assert.deepEqual(files(dir, "devices"), [], "nothing in the evidence tree");
  noIncoming(dir);
  // And the good one is taken.
  const ok = await post(good);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { upload: good.age_sha256, received: 0, complete: false });
  await app.close();
});

test("an upload resumes where the dock stands, and its SHA-256 is checked before it counts", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam]);
  const token = await session(app, cam);
  const [seg] = cam.record([300_000]);
  const m = seg.manifest;
  const url = (offset: number) => `/v1/segments/${m.age_sha256}?offset=${offset}`;
  const put = (offset: number, bytes: Uint8Array, how: "query" | "header" = "query") =>
    how === "query"
      ? call(app, "PUT", url(offset), { token, raw: Buffer.from(bytes), type: "application/octet-stream" })
      : app.inject({ method: "PUT", url: `/v1/segments/${m.age_sha256}`, headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "upload-offset": String(offset) }, payload: Buffer.from(bytes) }).then((r) => ({ status: r.statusCode, body: r.json() }));

  refused(await put(0, seg.age), 404, /POST its manifest/);
  assert.deepEqual((await call(app, "POST", "/v1/segments", { token, json: { manifest: m } })).body, { upload: m.age_sha256, received: 0, complete: false });
  let r = await put(0, seg.age.subarray(0, 120_000));
  assert.deepEqual(r.body, { upload: m.age_sha256, received: 120_000, complete: false });
  assert.equal(statSync(join(dir, "incoming", `${m.age_sha256}.part`)).size, 120_000, "the part grows in incoming/");
  assert.deepEqual(files(dir, "devices"), [], "nothing in the evidence tree before the file is whole");
  // A wrong offset says where the upload stands; nothing is taken.
  refused(await put(0, seg.age.subarray(0, 10)), 409, /offset 0 is not where the upload stands/);
  r = await put(100_000, seg.age.subarray(100_000, 150_000));
  refused(r, 409, /120000 bytes received/);
  assert.equal(r.body.received, 120_000);
  // Resume: POST again to learn where it stands, go on from there (offset in a header this time).
  assert.equal((await call(app, "POST", "/v1/segments", { token, json: { manifest: m } })).body.received, 120_000);
  r = await put(120_000, seg.age.subarray(120_000, 200_000), "header");
  assert.equal(r.body.received, 200_000);
  refused(await put(200_000, new Uint8Array(100_001)), 413, /more than the 100000 bytes left/);
  refused(await app.inject({ method: "PUT", url: url(200_000), headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "upload-offset": "1" }, payload: Buffer.alloc(1) }).then((x) => ({ status: x.statusCode, body: x.json() })), 400, /disagree/);
  refused(await call(app, "PUT", `/v1/segments/${m.age_sha256}`, { token, raw: Buffer.alloc(1), type: "application/octet-stream" }), 400, /give the offset/);
  r = await put(200_000, seg.age.subarray(200_000));
  assert.equal(r.status, 200);
  assert.equal(r.body.complete, true);
  assertSegmentReceipt(Buffer.from(r.body.receipt, "hex"), cam, seg);
  const paths = segmentPaths(dir, m);
  assert.ok(readFileSync(paths.age).equals(Buffer.from(seg.age)), "the stored file is the camera's");
  assert.equal(readFileSync(paths.manifest, "utf8"), manifestJson(m), "the manifest exactly as the camera writes it");
  assert.ok(readFileSync(paths.receipt).equals(Buffer.from(r.body.receipt, "hex")));
  noIncoming(dir);
  assert.equal(assertTreeWhole(dir), 1);

  // A file whose bytes are not the manifest's: refused whole, start again from 0.
  const [bad] = cam.record([50_000]);
  await call(app, "POST", "/v1/segments", { token, json: { manifest: bad.manifest } });
  const wrong = Uint8Array.from(bad.age);
  wrong[25_000] ^= 0x80;
  refused(await call(app, "PUT", `/v1/segments/${bad.manifest.age_sha256}?offset=0`, { token, raw: Buffer.from(wrong), type: "application/octet-stream" }), 422, /does not match the manifest's age_sha256/);
  assert.equal((await call(app, "POST", "/v1/segments", { token, json: { manifest: bad.manifest } })).body.received, 0);
  assert.equal(assertTreeWhole(dir), 1, "the damaged file never reached the evidence tree");
  r = await upload(app, token, bad);
  assert.equal(r.body.complete, true);
  assert.equal(assertTreeWhole(dir), 2);
  await app.close();
});

test("a replayed upload is idempotent: the same receipt bytes, nothing rewritten", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam]);
  const token = await session(app, cam);
  const [seg] = cam.record([70_000]);
  await call(app, "POST", "/v1/segments", { token, json: { manifest: seg.manifest } });
  const first = await upload(app, token, seg);
  assert.equal(first.body.complete, true);
  const paths = segmentPaths(dir, seg.manifest);
  const before = Object.fromEntries(Object.entries(paths).map(([k, p]) => [k, statSync(p)]));
  const again = await call(app, "POST", "/v1/segments", { token, json: { manifest: seg.manifest } });
  assert.deepEqual(again.body, { upload: seg.manifest.age_sha256, received: 70_000, complete: true, receipt: first.body.receipt });
  const put = await upload(app, token, seg);
  assert.equal(put.body.receipt, first.body.receipt, "a PUT of a stored segment answers the same receipt");
  // And from a new session.
  const token2 = await session(app, cam);
  assert.equal((await call(app, "POST", "/v1/segments", { token: token2, json: { manifest: seg.manifest } })).body.receipt, first.body.receipt);
  for (const [k, p] of Object.entries(paths)) {
    const st = statSync(p);
    assert.equal(st.ino, before[k].ino, `${k}: the same file`);
    assert.equal(st.mtimeMs, before[k].mtimeMs, `${k}: not rewritten`);
  }
  assert.equal(assertTreeWhole(dir), 1);
  noIncoming(dir);
  await app.close();
});

test("the same segment under another manifest is a conflict, stored or in flight; nothing is overwritten", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam]);
  const token = await session(app, cam);
  const [seg] = cam.record([40_000]);
  await call(app, "POST", "/v1/segments", { token, json: { manifest: seg.manifest } });
  const done = await upload(app, token, seg);
  assert.equal(done.body.complete, true);
  const paths = segmentPaths(dir, seg.manifest);
  const stored = readFileSync(paths.age);
  const recording = Buffer.from(seg.manifest.recording, "hex");
  // Same recording and sequence, another file.
  const age2 = fakeAge(40_000);
  const twin = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, age2, { recording, sequence: 0 }), age2);
  refused(await call(app, "POST", "/v1/segments", { token, json: { manifest: twin.manifest } }), 409, /already stored with another manifest/);
  // Same file, another manifest (another sequence).
  const alias = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, seg.age, { recording, sequence: 7 }), seg.age);
  refused(await call(app, "POST", "/v1/segments", { token, json: { manifest: alias.manifest } }), 409, /already stored under another manifest/);
  assert.ok(readFileSync(paths.age).equals(stored));
  // In flight: two manifests for one (recording, sequence), or one file.
  const a = fakeAge(30_000);
  const b = fakeAge(30_000);
  const ma = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, a, { recording, sequence: 1 }), a).manifest;
  const mb = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, b, { recording, sequence: 1 }), b).manifest;
  const mc = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, a, { recording, sequence: 2 }), a).manifest;
  assert.equal((await call(app, "POST", "/v1/segments", { token, json: { manifest: ma } })).status, 200);
  refused(await call(app, "POST", "/v1/segments", { token, json: { manifest: mb } }), 409, /with another manifest is in progress/);
  refused(await call(app, "POST", "/v1/segments", { token, json: { manifest: mc } }), 409, /another manifest names this \.age file/);
  assert.equal(assertTreeWhole(dir), 1);
  await app.close();
});

test("segments may arrive in any order; the manifest chain is recorded in dock.log, not enforced", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam]);
  const token = await session(app, cam);
  const segs = cam.record([5000, 6000, 7000, 8000]);
  // A fifth segment whose previous_manifest is wrong.
  const age = fakeAge(9000);
  const broken = new FakeCamera(cam.seed, DOCK_PK).add(manifestBlobFor(cam.seed, age, { recording: Buffer.from(segs[0].manifest.recording, "hex"), sequence: 4, previous: new Uint8Array(32).fill(1) }), age);
  const chains: string[] = [];
  for (const s of [segs[2], segs[0], segs[1], broken]) {
    await call(app, "POST", "/v1/segments", { token, json: { manifest: s.manifest } });
    const r = await upload(app, token, s);
    assert.equal(r.body.complete, true);
    chains.push(r.body.chain);
  }
  assert.deepEqual(chains, ["previous segment not here", "first segment", "continues 0", "previous segment not here"]);
  await call(app, "POST", "/v1/segments", { token, json: { manifest: segs[3].manifest } });
  const r = await upload(app, token, segs[3]);
  assert.equal(r.body.chain, "continues 2; breaks: sequence 4 does not name this manifest");
  const log = readFileSync(join(dir, "devices", hex(cam.device), "dock.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(log.length, 5);
  assert.deepEqual(log.map((e) => e.event), ["segment", "segment", "segment", "segment", "segment"]);
  assert.equal(log[4].chain, r.body.chain);
  assert.equal(assertTreeWhole(dir), 5);
  await app.close();
});

// ---- bad input ---------------------------------------------------------------

/** A request on a real socket: status and JSON body. */
function request(url: string, method: string, path: string, headers: Record<string, string | number>, body?: Buffer | Buffer[]): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve({ status: res.statusCode!, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode!, body: { raw: text } });
        }
      });
    });
    req.on("error", reject);
    for (const b of Array.isArray(body) ? body : body ? [body] : []) req.write(b);
    req.end();
  });
}

test("bad input on a real listen: oversized, truncated, malformed, wrong content types; the dock keeps serving, nothing partial is stored", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam], { limits: { maxAuditEntries: 4, jsonBodyBytes: 4096 } });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const token = await session(app, cam);
  const auth = { authorization: `Bearer ${token}` };
  const healthy = async () => assert.equal((await request(url, "GET", "/v1/health", {})).status, 200, "still serving");
  const [seg] = cam.record([200_000]);
  const sha = seg.manifest.age_sha256;
  const json = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));

  const cases: [string, () => Promise<Res>, number, RegExp][] = [
    ["oversized JSON", () => request(url, "POST", "/v1/segments", { ...auth, "content-type": "application/json" }, json({ manifest: { pad: "x".repeat(5000) } })), 413, /too large/],
    ["malformed JSON", () => request(url, "POST", "/v1/segments", { ...auth, "content-type": "application/json" }, json("{\"manifest\": {")), 400, /not valid JSON/],
    ["empty JSON", () => request(url, "POST", "/v1/hello", { "content-type": "application/json" }, json("")), 400, /empty/],
    ["JSON that is not an object", () => request(url, "POST", "/v1/hello", { "content-type": "application/json" }, json("[1]")), 400, /body must be object/],
    ["__proto__ member", () => request(url, "POST", "/v1/hello", { "content-type": "application/json" }, json(`{"device": "${hex(cam.device)}", "__proto__": {"a": 1}}`)), 400, /not valid JSON/],
    ["text/plain manifest", () => request(url, "POST", "/v1/segments", { ...auth, "content-type": "text/plain" }, json({ manifest: seg.manifest })), 415, /takes application\/json/],
    ["octet-stream hello", () => request(url, "POST", "/v1/hello", { "content-type": "application/octet-stream" }, Buffer.alloc(32)), 415, /takes application\/json/],
    ["JSON to the file upload", () => request(url, "PUT", `/v1/segments/${sha}?offset=0`, { ...auth, "content-type": "application/json" }, json({ a: 1 })), 415, /takes application\/octet-stream/],
    ["form to the audit upload", () => request(url, "POST", "/v1/audit", { ...auth, "content-type": "application/x-www-form-urlencoded" }, json("a=1")), 415, /takes application\/octet-stream/],
    ["oversized audit batch", () => request(url, "POST", "/v1/audit", { ...auth, "content-type": "application/octet-stream" }, Buffer.alloc(5 * 200)), 413, /too large/],
    ["audit batch of broken entries", () => request(url, "POST", "/v1/audit", { ...auth, "content-type": "application/octet-stream" }, Buffer.alloc(250)), 400, /not a whole number of 200-byte/],
    ["bad SHA-256 in the path", () => request(url, "PUT", "/v1/segments/xyz?offset=0", { ...auth, "content-type": "application/octet-stream" }, Buffer.alloc(1)), 400, /params\/sha256 must be 64 lowercase hex digits/],
    ["negative offset", () => request(url, "PUT", `/v1/segments/${sha}?offset=-1`, { ...auth, "content-type": "application/octet-stream" }, Buffer.alloc(1)), 400, /offset must be a whole number/],
    ["unknown query member", () => request(url, "PUT", `/v1/segments/${sha}?offset=0&x=1`, { ...auth, "content-type": "application/octet-stream" }, Buffer.alloc(1)), 400, /unknown member 'x'/],
    ["unknown route", () => request(url, "GET", "/v1/segments", auth), 404, /no such route/],
  ];
  for (const [what, run, status, pattern] of cases) {
    const r = await run();
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    refused(r, status, pattern);
    await healthy();
  }
  assert.deepEqual(files(dir, "devices"), [], "nothing stored by bad requests");

  assert.equal((await request(url, "POST", "/v1/segments", { ...auth, "content-type": "application/json" }, json({ manifest: seg.manifest }))).body.received, 0);
  // Oversized file upload: a Content-Length beyond the file, and a chunked body that runs past it.
  refused(await request(url, "PUT", `/v1/segments/${sha}?offset=0`, { ...auth, "content-type": "application/octet-stream" }, Buffer.alloc(200_001)), 413, /more than the 200000 bytes left/);
  refused(await request(url, "PUT", `/v1/segments/${sha}?offset=0`, { ...auth, "content-type": "application/octet-stream", "transfer-encoding": "chunked" }, [Buffer.from(seg.age), Buffer.alloc(10)]), 413, /nothing of it was kept/);
  assert.equal((await request(url, "POST", "/v1/segments", { ...auth, "content-type": "application/json" }, json({ manifest: seg.manifest }))).body.received, 0, "nothing of an oversized body counts");
  await healthy();

  // Truncated: the socket is destroyed mid-body. What arrived is fsynced and kept for a resume, outside the evidence tree.
  const sent = 90_000;
  await new Promise<void>((resolve, reject) => {
    const sock = net.connect(Number(new URL(url).port), "127.0.0.1", () => {
      sock.write(`PUT /v1/segments/${sha}?offset=0 HTTP/1.1\r\nHost: dock\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${seg.age.length}\r\n\r\n`);
      sock.write(Buffer.from(seg.age.subarray(0, sent)), () => setTimeout(() => {
        sock.destroy();
        resolve();
      }, 300));
    });
    sock.on("error", reject);
  });
  let received = 0;
  for (let i = 0; i < 250 && received === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    received = (await request(url, "POST", "/v1/segments", { ...auth, "content-type": "application/json" }, json({ manifest: seg.manifest }))).body.received;
  }
  assert.ok(received > 0 && received <= sent, `the bytes that arrived are kept (${received} of ${sent})`);
  assert.equal(statSync(join(dir, "incoming", `${sha}.part`)).size, received);
  assert.deepEqual(files(dir, "devices"), [], "no partial file in the evidence tree");
  await healthy();
  // A Content-Length that is not a number never reaches a handler.
  const bad = await new Promise<string>((resolve) => {
    const sock = net.connect(Number(new URL(url).port), "127.0.0.1", () => sock.write("PUT /v1/segments/x HTTP/1.1\r\nHost: dock\r\nContent-Length: abc\r\n\r\n"));
    let text = "";
    sock.on("data", (d) => (text += d));
    sock.on("close", () => resolve(text));
    sock.on("error", () => resolve(text));
  });
  assert.match(bad, /^HTTP\/1\.1 400/);
  await healthy();
  // The resume completes the segment.
  const r = await request(url, "PUT", `/v1/segments/${sha}?offset=${received}`, { ...auth, "content-type": "application/octet-stream" }, Buffer.from(seg.age.subarray(received)));
  assert.equal(r.body.complete, true);
  assert.equal(assertTreeWhole(dir), 1);
  noIncoming(dir);
  await app.close();
});

// ---- audit logs ----------------------------------------------------------------

test("audit upload: the chain continues, an identical overlap is taken, a gap is recorded, a fork is refused", async () => {
  const cam = camera();
  const other = camera();
  const { app, dir } = await startDock([cam, other]);
  const token = await session(app, cam);
  const post = (entries: Uint8Array[], t = token) => call(app, "POST", "/v1/audit", { token: t, raw: Buffer.concat(entries), type: "application/octet-stream" });
  const log: Uint8Array[] = [];
  let prev: Uint8Array = new Uint8Array(32);
  const add = (n: number) => {
    for (let i = 0; i < n; i++) {
      const e = auditEntry(cam.seed, BigInt(log.length), 13, BigInt(i), 0n, new Uint8Array(32), prev);
      log.push(e);
      prev = entryHash(e);
    }
  };
  add(20);
  const checkReceipt = (r: Res, index: number) => {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const receipt = Buffer.from(r.body.receipt, "hex");
    assert.ok(ed25519.verify(receipt.subarray(152), Buffer.concat([DOMAIN.receipt, receipt.subarray(0, 152)]), DOCK_PK, strict));
    assert.ok(receipt.subarray(32, 64).equals(Buffer.from(cam.device)));
    assert.equal(receipt.readUInt32LE(64), 2);
    assert.ok(receipt.subarray(80, 112).equals(entryHash(log[index])), "names the last entry's hash");
    assert.ok(receipt.subarray(112, 144).equals(Buffer.alloc(32)));
    assert.equal(receipt.readBigUInt64LE(144), BigInt(index));
  };

  assert.deepEqual((await call(app, "GET", "/v1/audit", { token })).body, { first_index: null, next_index: 0, head: null });
  let r = await post(log.slice(0, 10));
  checkReceipt(r, 9);
  assert.deepEqual([r.body.appended, r.body.first_index, r.body.next_index], [10, 0, 10]);
  r = await post(log.slice(5, 15));
  checkReceipt(r, 14);
  assert.equal(r.body.appended, 5, "the overlap is not appended again");
  r = await post(log.slice(14, 15));
  checkReceipt(r, 14);
  assert.equal(r.body.appended, 0, "only what the dock holds: a receipt to trim by");
  const file = join(dir, "devices", hex(cam.device), "audit.log");
  assert.ok(readFileSync(file).equals(Buffer.concat(log.slice(0, 15))), "audit.log: entries concatenated in index order");

  // Refused batches: checked before anything is appended.
  const flipped = Uint8Array.from(log[15]);
  flipped[150] ^= 1;
  refused(await post([flipped]), 422, /audit entry 15: signature refused/);
  refused(await post([log[15], log[17]]), 422, /not consecutive: 17 follows 15/);
  const foreign = auditEntry(other.seed, 15n, 13, 0n, 0n, new Uint8Array(32), entryHash(log[14]));
  refused(await post([foreign]), 422, /names another device/);
  const unlinked = auditEntry(cam.seed, 16n, 13, 0n, 0n, new Uint8Array(32), new Uint8Array(32).fill(7));
  refused(await post([log[15], unlinked]), 422, /16 does not name the hash of entry 15/);
  // Forks: a different entry 15 (a restarted log), and a new chain from 0.
  const fork15 = auditEntry(cam.seed, 15n, 1, 0n, 0n, new Uint8Array(32), new Uint8Array(32).fill(5));
  refused(await post([fork15]), 409, /fork at index 15/);
  const restarted = auditEntry(cam.seed, 0n, 1, 0n, 0n, new Uint8Array(32), new Uint8Array(32));
  refused(await post([restarted]), 409, /fork at index 0/);
  assert.ok(readFileSync(file).equals(Buffer.concat(log.slice(0, 15))), "nothing appended by a refused batch");

  // A gap: entries 15..17 went to another dock; 18.. come here.
  r = await post(log.slice(18, 20));
  checkReceipt(r, 19);
  assert.deepEqual(r.body.gap, [15, 17]);
  assert.ok(readFileSync(file).equals(Buffer.concat([...log.slice(0, 15), ...log.slice(18, 20)])));
  refused(await post(log.slice(16, 19)), 409, /entry 16 is before the dock's last entry \(19\) but was never stored here/);
  const notes = readFileSync(join(dir, "devices", hex(cam.device), "dock.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(notes.at(-1).gap, "15..17 not received here");
  assert.deepEqual((await call(app, "GET", "/v1/audit", { token })).body, { first_index: 0, next_index: 20, head: entryHash(log[19]).toString("hex") });
  // Another device's log is its own.
  const t2 = await session(app, other);
  assert.deepEqual((await call(app, "GET", "/v1/audit", { token: t2 })).body, { first_index: null, next_index: 0, head: null });
  refused(await post(log.slice(0, 1), t2), 422, /names another device/);
  await app.close();
});

// ---- restarts ------------------------------------------------------------------

test("the dock restarts: stored segments answer the same receipt, an unfinished upload resumes, a torn audit tail is dropped", async () => {
  const cam = camera();
  const first = await startDock([cam]);
  let token = await session(first.app, cam);
  const [done, half] = cam.record([30_000, 80_000]);
  await call(first.app, "POST", "/v1/segments", { token, json: { manifest: done.manifest } });
  const receipt = (await upload(first.app, token, done)).body.receipt;
  await call(first.app, "POST", "/v1/segments", { token, json: { manifest: half.manifest } });
  await call(first.app, "PUT", `/v1/segments/${half.manifest.age_sha256}?offset=0`, { token, raw: Buffer.from(half.age.subarray(0, 50_000)), type: "application/octet-stream" });
  const entries = [...cam.auditEntries(0)].slice(0, 3);
  assert.equal((await call(first.app, "POST", "/v1/audit", { token, raw: Buffer.concat(entries), type: "application/octet-stream" })).status, 200);
  await first.app.close();
  // A dock that stopped mid-append leaves part of an entry.
  const logPath = join(first.dir, "devices", hex(cam.device), "audit.log");
  appendFileSync(logPath, Buffer.alloc(77, 1));

  const second = await startDock([cam], {}, first.dir);
  token = await session(second.app, cam);
  const again = await call(second.app, "POST", "/v1/segments", { token, json: { manifest: done.manifest } });
  assert.equal(again.body.receipt, receipt, "the stored receipt, not a new one");
  assert.equal((await call(second.app, "POST", "/v1/segments", { token, json: { manifest: half.manifest } })).body.received, 50_000);
  const r = await upload(second.app, token, half, 50_000);
  assert.equal(r.body.complete, true);
  assert.equal(statSync(logPath).size, 600, "the torn tail is gone");
  assert.equal((await call(second.app, "GET", "/v1/audit", { token })).body.next_index, 3);
  assert.equal(assertTreeWhole(second.dir), 2);
  noIncoming(second.dir);
  await second.app.close();
});

test("a commit interrupted after the manifest was linked is finished by the next upload, not refused", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam]);
  const token = await session(app, cam);
  const [seg] = cam.record([20_000]);
  await call(app, "POST", "/v1/segments", { token, json: { manifest: seg.manifest } });
  await call(app, "PUT", `/v1/segments/${seg.manifest.age_sha256}?offset=0`, { token, raw: Buffer.from(seg.age.subarray(0, 19_999)), type: "application/octet-stream" });
  await app.close();
  // As if the dock died between linking the manifest and the .age file.
  const paths = segmentPaths(dir, seg.manifest);
  mkdirSync(join(paths.age, ".."), { recursive: true });
  linkSync(join(dir, "incoming", `${seg.manifest.age_sha256}.manifest.json`), paths.manifest);
  writeFileSync(join(dir, "incoming", `${seg.manifest.age_sha256}.part`), seg.age);
  const again = await startDock([cam], {}, dir);
  const t = await session(again.app, cam);
  const state = await call(again.app, "POST", "/v1/segments", { token: t, json: { manifest: seg.manifest } });
  assert.deepEqual([state.body.received, state.body.complete], [20_000, false], "not a segment until its .age is there");
  const r = await call(again.app, "PUT", `/v1/segments/${seg.manifest.age_sha256}?offset=20000`, { token: t, raw: Buffer.alloc(0), type: "application/octet-stream" });
  assert.equal(r.body.complete, true);
  assertSegmentReceipt(Buffer.from(r.body.receipt, "hex"), cam, seg);
  assert.equal(assertTreeWhole(dir), 1);
  noIncoming(dir);
  await again.app.close();
});

// ---- the client ----------------------------------------------------------------

/** A TCP proxy to `port` that cuts the first `cuts` connections after `after` bytes from the client. */
async function cuttingProxy(port: number, after: number, cuts: number): Promise<{ url: string; cutsMade: () => number; close: () => Promise<void> }> {
  let made = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    let seen = 0;
    const cut = made < cuts;
    client.on("data", (d: Buffer) => {
      if (cut && seen + d.length > after) {
        upstream.write(d.subarray(0, Math.max(0, after - seen)), () => {
          made++;
          client.destroy();
          upstream.destroy();
        });
        seen = after;
        return;
      }
      seen += d.length;
      upstream.write(d);
    });
    upstream.on("data", (d) => client.write(d));
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      a.on("error", () => b.destroy());
      a.on("close", () => b.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address() as net.AddressInfo;
  const proxy = {
    url: `http://127.0.0.1:${address.port}`,
    cutsMade: () => made,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
  apps.push(proxy);
  return proxy;
}

test("client: a connection dropped mid-upload resumes where the dock stands, and the segment is deleted only after its receipt", async () => {
  const cam = camera();
  const { app, dir } = await startDock([cam]);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const proxy = await cuttingProxy(Number(new URL(url).port), 150_000, 2);
  const segs = cam.record([400_000, 30_000]);
  const summary = await dockCamera(cam, proxy.url, { pieceBytes: 256 * 1024, retries: 6 });
  assert.equal(proxy.cutsMade(), 2, "the proxy cut two connections");
  assert.deepEqual(summary.errors, []);
  assert.equal(summary.segments, 2);
  assert.ok(summary.bytes > 430_000, `some bytes were sent again (${summary.bytes})`);
  assert.deepEqual(cam.deleted, segs.map((s) => s.id));
  assert.equal(cam.accepted.length, 3, "two segment receipts and one audit receipt");
  for (const s of segs) assert.ok(readFileSync(segmentPaths(dir, s.manifest).age).equals(Buffer.from(s.age)));
  assert.equal(assertTreeWhole(dir), 2);
  noIncoming(dir);
  await proxy.close();
  await app.close();
});

test("client: a forged or mismatched receipt is refused by the camera and the segment kept; a later docking replays and deletes", async () => {
  const cam = camera();
  const { app } = await startDock([cam]);
  let mode: "forge" | "honest" = "forge";
  let genuine: string | undefined;
  app.addHook("onSend", async (request, _reply, payload) => {
    if (mode !== "forge" || !request.url.startsWith("/v1/segments") || typeof payload !== "string" || !payload.includes("\"receipt\"")) return payload;
    const body = JSON.parse(payload);
    if (!genuine) {
      // First segment: its receipt with one bit of the signature flipped.
      genuine = body.receipt as string;
      body.receipt = genuine.slice(0, 400) + (genuine[400] === "0" ? "1" : "0") + genuine.slice(401);
    } else {
      // Second segment: the first one's genuine receipt (validly signed, names another manifest).
      body.receipt = genuine;
    }
    return JSON.stringify(body);
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const segs = cam.record([20_000, 25_000]);
  let summary = await dockCamera(cam, url);
  assert.equal(summary.segments, 0);
  assert.deepEqual(summary.kept, segs.map((s) => s.id));
  assert.equal(summary.errors.length, 2);
  assert.match(summary.errors[0], /refused the dock's receipt .*signature does not verify.*; kept/);
  assert.match(summary.errors[1], /refused the dock's receipt .*names another manifest.*; kept/);
  assert.deepEqual(cam.deleted, [], "nothing deleted");
  assert.equal(cam.segments.size, 2);

  mode = "honest";
  summary = await dockCamera(cam, url);
  assert.deepEqual(summary.errors, []);
  assert.equal(summary.segments, 2, "the replayed uploads answer the stored receipts");
  assert.deepEqual(cam.deleted, segs.map((s) => s.id));
  await app.close();
});

test("client: a camera whose audit log restarted behind the dock's says so at once (review finding: it used to send nothing, silently)", async () => {
  const cam = camera();
  const { app } = await startDock([cam]);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  cam.record([10_000]);
  assert.deepEqual((await dockCamera(cam, url)).errors, []);
  // The same device, its log storage wiped: a new chain from index 0, shorter than the dock's.
  const wiped = new FakeCamera(cam.seed, cam.dock);
  const summary = await dockCamera(wiped, url);
  assert.ok(summary.errors.some((e) => /the camera's log was restarted or wiped/.test(e)), summary.errors.join("; "));
  await app.close();
});

test("client: an unenrolled camera cannot start; a dock with another key is refused by the camera", async () => {
  const cam = camera();
  const { app } = await startDock([camera()]);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  cam.record([1000]);
  await assert.rejects(dockCamera(cam, url), /not enrolled at this dock \(HTTP 403\)/);
  const impostorDir = mkdtempSync(join(tmpdir(), "sealcam-dock-"));
  dirs.push(impostorDir);
  const impostor = await createDock({ store: impostorDir, dockSeed: seedOf("another dock"), enrolled: [cam.device], crypto });
  apps.push(impostor);
  const url2 = await impostor.listen({ port: 0, host: "127.0.0.1" });
  await assert.rejects(dockCamera(cam, url2), /hello: another dock's key/);
  assert.equal(cam.segments.size, 1);
  await impostor.close();
  await app.close();
});

// ---- load ----------------------------------------------------------------------

test("load: 50 cameras dock at once to one dock; every segment uploaded, every receipt valid", async (t) => {
  const cams = Array.from({ length: 50 }, () => camera());
  const { app, dir } = await startDock(cams);
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  const sizes = () => Array.from({ length: 3 }, () => 20_000 + Math.floor(Math.random() * 300_000));
  const segs = cams.map((c) => c.record(sizes()));
  const bytes = segs.flat().reduce((n, s) => n + s.age.length, 0);
  const t0 = process.hrtime.bigint();
  const summaries = await Promise.all(cams.map((c) => dockCamera(c, url, { pieceBytes: 128 * 1024 })));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const [i, s] of summaries.entries()) {
    assert.deepEqual(s.errors, [], `camera ${i}`);
    assert.equal(s.segments, 3);
    assert.equal(s.receipts, 4, "three segment receipts and one audit receipt");
  }
  let receipts = 0;
  for (const [i, cam] of cams.entries()) {
    assert.equal(cam.segments.size, 0, `camera ${i} deleted everything`);
    assert.deepEqual(cam.refused, []);
    for (const seg of segs[i]) {
      const receipt = cam.accepted.find((r) => Buffer.from(r).subarray(80, 112).equals(sha256(seg.blob.subarray(0, 187))));
      assert.ok(receipt, `camera ${i} ${seg.id}: its receipt`);
      assertSegmentReceipt(Buffer.from(receipt), cam, seg);
      receipts++;
    }
    const log = readFileSync(join(dir, "devices", hex(cam.device), "audit.log"));
    assert.equal(log.length % 200, 0);
    assert.ok(log.length >= 200 * 8, `camera ${i}: its audit log is at the dock`);
  }
  assert.equal(receipts, 150);
  assert.equal(assertTreeWhole(dir), 150);
  noIncoming(dir);
  t.diagnostic(`50 cameras, 150 segments, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s, ${(150 / seconds).toFixed(1)} segments/s`);
  await app.close();
});
