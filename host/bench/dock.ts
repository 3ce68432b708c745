// Docking under load (issue 5): many cameras dock at once to one dock. Each
// simulated camera boots on its own flash image, records the fixture through
// the real module, and docks through the real client: mutual
// authentication, resumable uploads, the dock's checks and signed receipts,
// the module's receipt checks, deletions, audit log upload. The reference
// beside it, in the same run, is the transport alone: the same bytes PUT
// by the same number of concurrent clients to a bare node:http server that
// writes them to disk, checking and signing nothing.
//
// The run throws if any segment was not uploaded and deleted, or any receipt
// was refused: a fast docking that lost evidence is no figure.
import { createServer } from "node:http";
import { createWriteStream, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { Crypto } from "../engine/crypto.ts";
import { instantiateV8 } from "../engine/index.ts";
import { createDock } from "../dock/server.ts";
import { dockCamera, type DockingSummary } from "../dock/client.ts";
import type { FlashGeometry } from "../flash/device.ts";
import { makeForce, enrolCamera, bootCamera, fixtureFrames, feedFrames, type BootedCamera } from "../demo/fleet.ts";

/** A small camera flash for the fleet: 2 KiB pages, 64 KiB blocks, 16 MiB. */
export const FLEET_GEOMETRY: FlashGeometry = { pageBytes: 2048, pagesPerBlock: 32, blocks: 256 };

export interface DockLoadOptions {
  cameras: number;
  /** Seconds of the fixture each camera records (30 fps, 1 s segments). */
  seconds: number;
  /** Also time the bare-transport reference (default true). */
  reference?: boolean;
}

export interface DockLoadResult {
  cameras: number;
  segments: number;
  /** `.age` bytes uploaded. */
  bytes: number;
  receipts: number;
  /** Wall time from the first connection to the last camera's audit receipt. */
  seconds: number;
  /** The same bytes PUT concurrently to a bare node:http server. */
  referenceSeconds?: number;
  /** Each camera's docking summary. */
  summaries: DockingSummary[];
  /** The dock's store (removed by the caller with `cleanup`). */
  store: string;
  devices: Uint8Array[];
  force: ReturnType<typeof makeForce>;
  cleanup(): void;
}

/** Records `cameras` cameras, then docks them all at once; throws if anything was not docked. */
export async function measureDocking(o: DockLoadOptions): Promise<DockLoadResult> {
  const crypto = new Crypto(await instantiateV8("release"));
  const force = makeForce(crypto);
  const work = mkdtempSync(join(tmpdir(), "sealcam-dock-load-"));
  const frames = fixtureFrames();
  const fleet: BootedCamera[] = [];
  const devices: Uint8Array[] = [];
  try {
    for (let i = 0; i < o.cameras; i++) {
      const identity = enrolCamera(force, { segmentSeconds: 1 });
      devices.push(identity.device);
      let t = Date.UTC(2026, 10, 27, 10, 0, i) * 1000;
      const camera = await bootCamera(force, identity, join(work, `camera-${i}.flash`), { geometry: FLEET_GEOMETRY, policy: { reserveBlocks: 2 }, clock: () => BigInt(Math.round(t)) });
      camera.recorder.start();
      t = feedFrames(camera.recorder, frames, Math.round(o.seconds * 30), t, i * 7);
      camera.recorder.stop();
      fleet.push(camera);
    }
    const queued = fleet.reduce((n, c) => n + c.store.list().length, 0);
    const store = join(work, "dock");
    const dock = await createDock({ store, dockSeed: force.dockSeed, enrolled: devices, crypto });
    const url = await dock.listen({ host: "127.0.0.1", port: 0 });
    let summaries: DockingSummary[];
    const started = performance.now();
    try {
      summaries = await Promise.all(fleet.map((c) => dockCamera(c.docking, url)));
    } finally {
      await dock.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const segments = summaries.reduce((n, s) => n + s.segments, 0);
    const errors = summaries.flatMap((s) => s.errors);
    if (errors.length || segments !== queued || fleet.some((c) => c.store.list().length !== 0)) {
      throw new SealcamError(`dock load: ${segments} of ${queued} segments docked; ${errors[0] ?? "a queue was not emptied"}`, EXIT.INTERNAL);
    }
    const bytes = summaries.reduce((n, s) => n + s.bytes, 0);
    const receipts = summaries.reduce((n, s) => n + s.receipts, 0);
    let referenceSeconds: number | undefined;
    if (o.reference !== false) referenceSeconds = await bareTransport(fleet.length, Math.round(segments / fleet.length), Math.round(bytes / segments), join(work, "bare"));
    for (const c of fleet) c.flash.close();
    return {
      cameras: o.cameras, segments, bytes, receipts, seconds, referenceSeconds, summaries, store, devices, force,
      cleanup: () => rmSync(work, { recursive: true, force: true }),
    };
  } catch (e) {
    for (const c of fleet) c.flash.close();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

/** `clients` concurrent clients, each PUTting `each` bodies of `bytes` bytes in turn, to a bare server that writes them to files. */
async function bareTransport(clients: number, each: number, bytes: number, dir: string): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let files = 0;
  const server = createServer((req, res) => {
    const out = createWriteStream(join(dir, `${files++}.bin`));
    req.pipe(out);
    out.on("finish", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const body = new Uint8Array(bytes).fill(0x5a);
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = 0; i < each; i++) {
      const r = await fetch(`http://127.0.0.1:${port}/`, { method: "PUT", body });
      await r.text();
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return seconds;
}
