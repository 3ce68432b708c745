// The dock's evidence store: a directory laid out for the custody tools
// (docs/FORMAT.md, "The dock's store"; DESIGN.md, "The dock").
//
//   STORE/devices/<device hex>/<recording hex>/<recording>-<seq>.age
//                                             <recording>-<seq>.manifest.json
//                                             <recording>-<seq>.receipt
//   STORE/devices/<device hex>/audit.log      audit entries, concatenated
//   STORE/devices/<device hex>/dock.log       what the dock noted (JSON lines)
//   STORE/incoming/<age sha256>.part          an upload in flight
//   STORE/incoming/<age sha256>.manifest.json its manifest (and .receipt while committing)
//
// `sealcam verify STORE/devices/<device>/<recording>` reads a recording folder
// as it reads the camera's. Nothing partial is ever in the evidence tree: an
// upload grows in incoming/, is checked (size, SHA-256) and then appears by
// link(2), the receipt and the manifest first and the `.age` file last, which
// is the commit point. link(2) never replaces a name, so nothing stored is
// ever overwritten. The index of what is stored is rebuilt from the tree at
// open; nothing else holds state across restarts.
import { open, readdir, readFile, rm, stat } from "node:fs/promises";
import { constants } from "node:fs";
import { join } from "node:path";
import { manifestHash, manifestJson, parseManifest, type Manifest } from "../evidence/index.ts";
import { AuditLogs, AUDIT_LOG, type AuditAppend, type AuditState } from "./audit-log.ts";
import { DockError, conflict, unprocessable } from "./errors.ts";
import { COPY_IN_PROGRESS, Locks, code, fileSha256, mkdirDurable, place, syncDir, writeDurable } from "./files.ts";
import { toHex, type AuditEntry } from "./protocol.ts";

export { AUDIT_LOG, type AuditAppend, type AuditState };
export const DEVICES_DIR = "devices";
export const INCOMING_DIR = "incoming";
export const DOCK_LOG = "dock.log";

const DEVICE_NAME = /^[0-9a-f]{64}$/;
const RECORDING_NAME = /^[0-9a-f]{32}$/;
const SEGMENT_FILE = /^([0-9a-f]{32})-([0-9]{6,})\.(age|manifest\.json|receipt)$/;
const INCOMING_MANIFEST = /^([0-9a-f]{64})\.manifest\.json$/;
const ZERO_HASH = "0".repeat(64);

/** `<recording>-<seq>`, the sequence zero-padded to six digits (FORMAT.md, "Overview"). */
export function segmentStem(recording: string, sequence: number): string {
  return `${recording}-${String(sequence).padStart(6, "0")}`;
}

/** A segment in the evidence tree. */
export interface StoredSegment {
  device: string;
  recording: string;
  sequence: number;
  manifestHash: string;
  previous: string;
  ageSha256: string;
  ageBytes: number;
  /** Path of the segment without its suffix: `…/<recording>/<recording>-<seq>`. */
  stem: string;
}

/** An upload in flight, in incoming/. */
interface Upload {
  sha: string;
  device: string;
  manifest: Manifest;
  manifestHash: string;
  /** Bytes of the part file that are fsynced and counted. */
  received: number;
  touched: number;
  writer?: { abort(): void; done: Promise<void> };
}

/** Where an upload stands. */
export type UploadState =
  | { complete: false; received: number }
  | { complete: true; received: number; segment: StoredSegment; receipt: Uint8Array; chain?: string };

export interface DockStoreOptions {
  /** Signs a segment's receipt (the dock's key): called once per segment, at commit. */
  signSegment(manifest: Manifest, manifestHash: Uint8Array): Uint8Array;
  /** Most uploads one device may have in flight; beyond it the least recently used is dropped. Default 16. */
  maxIncomingPerDevice?: number;
  /** Where the store says what it did (one line each); default: nowhere. */
  log?: (line: string) => void;
}

/**
 * The evidence store on a directory. Uploads: begin (the manifest, already
 * verified by the caller), write (pieces of the `.age` file at the offset the
 * store holds), and the store commits once the file is whole and its SHA-256
 * and size match the manifest. Audit logs: appendAudit, after the caller has
 * checked each entry's signature and the batch's own chain.
 */
export class DockStore {
  readonly root: string;
  private readonly devicesDir: string;
  private readonly incomingDir: string;
  private readonly segments = new Map<string, StoredSegment>();
  private readonly bySha = new Map<string, StoredSegment>();
  private readonly recordings = new Map<string, Map<number, StoredSegment>>();
  private readonly incoming = new Map<string, Upload>();
  private readonly incomingByKey = new Map<string, Upload>();
  private readonly audits: AuditLogs;
  private readonly locks = new Locks();
  private readonly maxIncoming: number;
  private readonly log: (line: string) => void;

  private constructor(root: string, private readonly options: DockStoreOptions) {
    this.root = root;
    this.devicesDir = join(root, DEVICES_DIR);
    this.incomingDir = join(root, INCOMING_DIR);
    this.maxIncoming = options.maxIncomingPerDevice ?? 16;
    this.log = options.log ?? (() => {});
    this.audits = new AuditLogs(this.devicesDir, this.log);
  }

  /** Opens (creating it if need be) the store at `root` and rebuilds its index from the files. */
  static async open(root: string, options: DockStoreOptions): Promise<DockStore> {
    const store = new DockStore(root, options);
    await mkdirDurable(store.devicesDir);
    await mkdirDurable(store.incomingDir);
    await store.loadTree();
    await store.loadIncoming();
    return store;
  }

  // ---- paths ----------------------------------------------------------------

  private deviceDir(device: string): string {
    return join(this.devicesDir, device);
  }

  private incomingPath(sha: string, suffix: ".part" | ".manifest.json" | ".receipt"): string {
    return join(this.incomingDir, sha + suffix);
  }

  private static key(device: string, recording: string, sequence: number): string {
    return `${device}/${recording}/${sequence}`;
  }

  // ---- loading --------------------------------------------------------------

  private async loadTree(): Promise<void> {
    for (const device of (await readdir(this.devicesDir)).sort()) {
      if (!DEVICE_NAME.test(device)) continue;
      const dir = this.deviceDir(device);
      if (!(await stat(dir)).isDirectory()) continue;
      for (const recording of (await readdir(dir)).sort()) {
        if (!RECORDING_NAME.test(recording)) continue;
        const rdir = join(dir, recording);
        if (!(await stat(rdir)).isDirectory()) continue;
        const names = new Set(await readdir(rdir));
        for (const name of names) {
          // A copy place() was making when the dock stopped (no hard links): never evidence.
          if (COPY_IN_PROGRESS.test(name)) {
            await rm(join(rdir, name), { force: true });
            this.log(`store: ${join(rdir, name)}: an unfinished copy; removed`);
            continue;
          }
          const m = SEGMENT_FILE.exec(name);
          if (!m || m[3] !== "age" || m[1] !== recording) continue;
          const stem = join(rdir, name.slice(0, -".age".length));
          if (!names.has(`${name.slice(0, -".age".length)}.manifest.json`)) {
            this.log(`store: ${stem}.age has no manifest beside it; not indexed`);
            continue;
          }
          const seg = await this.readStored(device, recording, Number(m[2]), stem);
          if (seg) this.index(seg);
        }
      }
      await this.audits.load(device);
    }
  }

  private async readStored(device: string, recording: string, sequence: number, stem: string): Promise<StoredSegment | null> {
    let manifest: Manifest;
    try {
      manifest = parseManifest(await readFile(`${stem}.manifest.json`, "utf8"));
    } catch (e) {
      this.log(`store: ${stem}.manifest.json: ${(e as Error).message}; not indexed`);
      return null;
    }
    if (manifest.device !== device || manifest.recording !== recording || manifest.sequence !== sequence) {
      this.log(`store: ${stem}.manifest.json names another segment than its place; not indexed`);
      return null;
    }
    const size = (await stat(`${stem}.age`)).size;
    if (size !== manifest.age_bytes) {
      this.log(`store: ${stem}.age is ${size} bytes, its manifest says ${manifest.age_bytes}; not indexed`);
      return null;
    }
    return describe(manifest, manifestHashHex(manifest), stem);
  }

  private index(seg: StoredSegment): void {
    this.segments.set(DockStore.key(seg.device, seg.recording, seg.sequence), seg);
    this.bySha.set(seg.ageSha256, seg);
    const rk = `${seg.device}/${seg.recording}`;
    let rec = this.recordings.get(rk);
    if (!rec) this.recordings.set(rk, (rec = new Map()));
    rec.set(seg.sequence, seg);
  }

  private async loadIncoming(): Promise<void> {
    const names = await readdir(this.incomingDir);
    const keep = new Set<string>();
    for (const name of names) {
      const m = INCOMING_MANIFEST.exec(name);
      if (!m) continue;
      const sha = m[1];
      let manifest: Manifest;
      try {
        manifest = parseManifest(await readFile(join(this.incomingDir, name), "utf8"));
        if (manifest.age_sha256 !== sha) throw new Error("it names another file");
      } catch (e) {
        this.log(`store: incoming/${name}: ${(e as Error).message}; dropped`);
        continue;
      }
      const stored = this.bySha.get(sha);
      if (stored) continue; // committed before a restart: only the clean-up was left
      let received = 0;
      try {
        received = (await stat(this.incomingPath(sha, ".part"))).size;
      } catch (e) {
        if (code(e) !== "ENOENT") throw e;
      }
      if (received > manifest.age_bytes) received = 0;
      const up: Upload = { sha, device: manifest.device, manifest, manifestHash: manifestHashHex(manifest), received, touched: Date.now() };
      this.incoming.set(sha, up);
      this.incomingByKey.set(DockStore.key(up.device, manifest.recording, manifest.sequence), up);
      for (const suffix of [".part", ".manifest.json", ".receipt"]) keep.add(sha + suffix);
    }
    // Whatever else is in incoming/ is left over (temporary files, finished uploads' parts).
    for (const name of names) if (!keep.has(name)) await rm(join(this.incomingDir, name), { force: true, recursive: true });
    await syncDir(this.incomingDir);
  }

  // ---- segments -------------------------------------------------------------

  /** The stored segment whose `.age` file has this SHA-256, if any. */
  segmentBySha(sha: string): StoredSegment | undefined {
    return this.bySha.get(sha);
  }

  /** Every stored segment (for tests and tools). */
  storedSegments(): StoredSegment[] {
    return [...this.segments.values()];
  }

  /**
   * An upload of a segment whose manifest the caller has verified (signature
   * under the enrolled device key). Idempotent by the `.age` file's SHA-256:
   * a segment already stored answers complete with the receipt it got then
   * (after checking the stored file still matches); one in flight answers the
   * bytes held. The same (device, recording, sequence) or file under another
   * manifest is a conflict: nothing is ever overwritten.
   */
  async begin(manifest: Manifest, manifestHash: Uint8Array): Promise<UploadState> {
    const hash = toHex(manifestHash);
    const sha = manifest.age_sha256;
    const key = DockStore.key(manifest.device, manifest.recording, manifest.sequence);
    const name = segmentStem(manifest.recording, manifest.sequence);
    return this.locks.run(`device:${manifest.device}`, async () => {
      const stored = this.bySha.get(sha);
      if (stored) {
        if (stored.manifestHash !== hash || stored.device !== manifest.device) {
          throw conflict(`this .age file is already stored under another manifest (${segmentStem(stored.recording, stored.sequence)})`);
        }
        return this.storedState(stored);
      }
      const same = this.segments.get(key);
      if (same) throw conflict(`segment ${name} of this device is already stored with another manifest; the dock never overwrites evidence`);
      const up = this.incoming.get(sha);
      if (up) {
        if (up.manifestHash !== hash) throw conflict(`another manifest names this .age file (an upload of it is in progress)`);
        up.touched = Date.now();
        return { complete: false, received: up.received };
      }
      const other = this.incomingByKey.get(key);
      if (other) throw conflict(`an upload of segment ${name} with another manifest is in progress`);
      await this.makeRoom(manifest.device);
      await writeDurable(this.incomingPath(sha, ".manifest.json"), manifestJson(manifest));
      const fresh: Upload = { sha, device: manifest.device, manifest, manifestHash: hash, received: 0, touched: Date.now() };
      this.incoming.set(sha, fresh);
      this.incomingByKey.set(key, fresh);
      return { complete: false, received: 0 };
    });
  }

  /** Drops the device's least recently used idle upload while it has too many in flight. */
  private async makeRoom(device: string): Promise<void> {
    const mine = [...this.incoming.values()].filter((u) => u.device === device);
    if (mine.length < this.maxIncoming) return;
    const idle = mine.filter((u) => !u.writer).sort((a, b) => a.touched - b.touched);
    if (idle.length === 0) throw new DockError(429, `this device already has ${mine.length} uploads in progress; finish one first`);
    await this.dropUpload(idle[0]);
    this.log(`store: dropped the unfinished upload ${idle[0].sha} (${idle[0].received} bytes) to make room for another of the same device`);
  }

  private async dropUpload(up: Upload): Promise<void> {
    this.incoming.delete(up.sha);
    this.incomingByKey.delete(DockStore.key(up.device, up.manifest.recording, up.manifest.sequence));
    for (const suffix of [".part", ".manifest.json", ".receipt"] as const) await rm(this.incomingPath(up.sha, suffix), { force: true });
    await syncDir(this.incomingDir);
  }

  /** Where the upload of `sha` by `device` stands, or undefined when there is none. */
  uploadState(sha: string, device: string): { received: number; ageBytes: number } | undefined {
    const up = this.incoming.get(sha);
    if (up && up.device === device) return { received: up.received, ageBytes: up.manifest.age_bytes };
    const s = this.bySha.get(sha);
    if (s && s.device === device) return { received: s.ageBytes, ageBytes: s.ageBytes };
    return undefined;
  }

  /**
   * Appends `body` to the upload of `sha` at `offset`, which must be the
   * bytes the store holds (else 409 with `received`). At most the rest of the
   * file is taken (else 413, and nothing of the body is kept). The bytes are
   * fsynced before they count, also when the body breaks off (the client went
   * away: what arrived is kept for a resume). A newer write to the same upload
   * takes over: the older one is stopped. When the file is whole its size and
   * SHA-256 are checked against the manifest (a mismatch discards it: 422,
   * start again from 0) and the segment is committed.
   */
  async write(sha: string, device: string, offset: number, body: AsyncIterable<Uint8Array> & { destroy?(e: Error): void }, declaredBytes?: number): Promise<UploadState> {
    const up = this.incoming.get(sha);
    if (!up || up.device !== device) {
      const s = this.bySha.get(sha);
      if (s && s.device === device) return this.storedState(s);
      throw new DockError(404, "no upload of this SHA-256 from this device: POST its manifest to /v1/segments first");
    }
    while (up.writer) {
      up.writer.abort();
      await up.writer.done;
    }
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    up.writer = {
      abort: () => body.destroy?.(new DockError(409, "a newer upload of this segment took over")),
      done,
    };
    try {
      if (this.incoming.get(sha) !== up) {
        const s = this.bySha.get(sha);
        if (s) return this.storedState(s);
        throw new DockError(404, "this upload was dropped: POST its manifest again");
      }
      up.touched = Date.now();
      if (offset !== up.received) {
        throw conflict(`offset ${offset} is not where the upload stands (${up.received} bytes received)`, { received: up.received });
      }
      const rest = up.manifest.age_bytes - offset;
      if (declaredBytes !== undefined && declaredBytes > rest) {
        throw new DockError(413, `body of ${declaredBytes} bytes is more than the ${rest} bytes left of this ${up.manifest.age_bytes}-byte file`, { received: up.received });
      }
      await this.receive(up, offset, body);
      if (up.received < up.manifest.age_bytes) return { complete: false, received: up.received };
      return await this.complete(up);
    } finally {
      up.writer = undefined;
      release();
    }
  }

  private async receive(up: Upload, offset: number, body: AsyncIterable<Uint8Array>): Promise<void> {
    const limit = up.manifest.age_bytes - offset;
    const fh = await open(this.incomingPath(up.sha, ".part"), constants.O_RDWR | constants.O_CREAT, 0o644);
    let written = 0;
    let failure: unknown;
    try {
      await fh.truncate(offset);
      for await (const chunk of body) {
        if (written + chunk.length > limit) {
          await fh.truncate(offset);
          await fh.sync();
          throw new DockError(413, `body is more than the ${limit} bytes left of this ${up.manifest.age_bytes}-byte file; nothing of it was kept`, { received: up.received });
        }
        let at = 0;
        while (at < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, at, chunk.length - at, offset + written + at);
          at += bytesWritten;
        }
        written += chunk.length;
      }
    } catch (e) {
      failure = e;
    }
    try {
      if (!(failure instanceof DockError && failure.status === 413)) {
        await fh.sync();
        up.received = offset + written;
      }
    } catch (e) {
      failure ??= e;
    } finally {
      await fh.close();
    }
    if (failure === undefined) return;
    if (failure instanceof DockError) {
      failure.extra.received = up.received;
      throw failure;
    }
    if (code(failure) === "ENOSPC") throw new DockError(507, "the dock's store is full", { received: up.received });
    if (code(failure) === "ECONNRESET" || (failure as Error)?.message === "aborted") {
      throw new DockError(400, `the request body broke off; ${up.received} bytes are kept for a resume`, { received: up.received });
    }
    throw failure;
  }

  /** The part is whole: check it against the manifest, then commit it. */
  private async complete(up: Upload): Promise<UploadState> {
    const part = this.incomingPath(up.sha, ".part");
    const { sha, size } = await fileSha256(part);
    if (size !== up.manifest.age_bytes || sha !== up.sha) {
      const fh = await open(part, "r+");
      try {
        await fh.truncate(0);
        await fh.sync();
      } finally {
        await fh.close();
      }
      up.received = 0;
      throw unprocessable(`the uploaded file's SHA-256 or size does not match the manifest's age_sha256 and age_bytes; discarded, send it again from offset 0`, { received: 0 });
    }
    return this.locks.run(`device:${up.device}`, () => this.commit(up));
  }

  /**
   * Commit order, each step durable before the next: the receipt is signed
   * and written in incoming/; the recording folder is made; the receipt and
   * the manifest are linked into it, the folder fsynced; the `.age` file is
   * linked last (the commit point) and the folder fsynced again; then
   * incoming/ is cleared. A crash at any step leaves the upload in incoming/
   * with its whole part: the next PUT (or POST) finishes the same steps, which
   * accept names already placed by this upload.
   */
  private async commit(up: Upload): Promise<UploadState> {
    const m = up.manifest;
    const key = DockStore.key(m.device, m.recording, m.sequence);
    const taken = this.segments.get(key);
    if (taken) throw conflict(`segment ${segmentStem(m.recording, m.sequence)} of this device is already stored with another manifest; the dock never overwrites evidence`);
    const receiptPath = this.incomingPath(up.sha, ".receipt");
    let receipt: Uint8Array;
    try {
      receipt = new Uint8Array(await readFile(receiptPath));
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
      receipt = this.options.signSegment(m, Buffer.from(up.manifestHash, "hex"));
      await writeDurable(receiptPath, receipt);
    }
    const dir = join(this.deviceDir(m.device), m.recording);
    const stem = join(dir, segmentStem(m.recording, m.sequence));
    await mkdirDurable(dir);
    await place(receiptPath, `${stem}.receipt`, true);
    await place(this.incomingPath(up.sha, ".manifest.json"), `${stem}.manifest.json`, true);
    await syncDir(dir);
    await place(this.incomingPath(up.sha, ".part"), `${stem}.age`, false);
    await syncDir(dir);

    const seg = describe(m, up.manifestHash, stem);
    this.index(seg);
    this.incoming.delete(up.sha);
    this.incomingByKey.delete(key);
    for (const suffix of [".part", ".manifest.json", ".receipt"] as const) await rm(this.incomingPath(up.sha, suffix), { force: true });
    await syncDir(this.incomingDir);

    const chain = this.chainNote(seg, m);
    await this.note(m.device, { event: "segment", segment: segmentStem(m.recording, m.sequence), manifest_hash: up.manifestHash, age_sha256: up.sha, age_bytes: m.age_bytes, chain });
    this.log(`store: ${m.device.slice(0, 16)}… ${segmentStem(m.recording, m.sequence)} stored (${m.age_bytes} bytes; ${chain})`);
    return { complete: true, received: m.age_bytes, segment: seg, receipt, chain };
  }

  /** A stored segment's answer: its receipt, once its file is checked to be still the one received. */
  private async storedState(seg: StoredSegment): Promise<UploadState> {
    const { sha, size } = await fileSha256(`${seg.stem}.age`);
    if (sha !== seg.ageSha256 || size !== seg.ageBytes) {
      this.log(`store: ${seg.stem}.age no longer matches its manifest: the stored copy is damaged`);
      throw new DockError(500, "the dock's stored copy of this segment no longer matches its manifest; keep the segment and tell the custodian");
    }
    let receipt: Uint8Array;
    try {
      receipt = new Uint8Array(await readFile(`${seg.stem}.receipt`));
    } catch (e) {
      if (code(e) !== "ENOENT") throw e;
      const manifest = parseManifest(await readFile(`${seg.stem}.manifest.json`, "utf8"));
      receipt = this.options.signSegment(manifest, Buffer.from(seg.manifestHash, "hex"));
      await writeDurable(`${seg.stem}.receipt`, receipt);
    }
    return { complete: true, received: seg.ageBytes, segment: seg, receipt };
  }

  /**
   * How a new segment fits the manifest chain of what is stored: recorded,
   * never refused (a camera resuming after a partial docking may deliver
   * segments in any order; `sealcam verify` judges the chain in the end).
   */
  private chainNote(seg: StoredSegment, m: Manifest): string {
    const rec = this.recordings.get(`${seg.device}/${seg.recording}`)!;
    const notes: string[] = [];
    const preEvent = (m as unknown as Record<string, unknown>).pre_event_start === true;
    if (seg.previous === ZERO_HASH) {
      notes.push(seg.sequence === 0 ? "first segment" : preEvent ? "evidence starts here (pre-event)" : `breaks: sequence ${seg.sequence} names no previous manifest`);
    } else {
      const before = [...rec.values()].filter((s) => s.sequence < seg.sequence && s.manifestHash === seg.previous);
      if (before.length > 0) {
        const k = before[0].sequence;
        notes.push(k === seg.sequence - 1 ? `continues ${k}` : `continues ${k} over missing ${k + 1}..${seg.sequence - 1}`);
      } else if (rec.has(seg.sequence - 1)) {
        notes.push(`breaks: previous_manifest is not the manifest hash of sequence ${seg.sequence - 1}`);
      } else {
        notes.push("previous segment not here");
      }
    }
    const next = rec.get(seg.sequence + 1);
    if (next && next.previous !== seg.manifestHash) notes.push(`breaks: sequence ${next.sequence} does not name this manifest`);
    return notes.join("; ");
  }

  /** Appends one JSON line to the device's dock.log (fsynced). */
  private async note(device: string, fields: Record<string, unknown>): Promise<void> {
    const dir = this.deviceDir(device);
    await mkdirDurable(dir);
    const fh = await open(join(dir, DOCK_LOG), "a", 0o644);
    try {
      await fh.write(JSON.stringify({ time: new Date().toISOString(), ...fields }) + "\n");
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  // ---- audit logs -----------------------------------------------------------

  /** What the dock holds of a device's audit log: first and next index and the last entry's hash. */
  auditState(device: string): AuditState {
    return this.audits.state(device);
  }

  /** Appends a batch of a device's checked audit entries (AuditLogs.append); notes it in dock.log. */
  appendAudit(device: string, entries: AuditEntry[]): Promise<AuditAppend> {
    return this.audits.append(device, entries, (fields) => this.note(device, fields));
  }
}

function manifestHashHex(m: Manifest): string {
  return toHex(manifestHash(m));
}

function describe(m: Manifest, manifestHash: string, stem: string): StoredSegment {
  return {
    device: m.device, recording: m.recording, sequence: m.sequence, manifestHash, previous: m.previous_manifest,
    ageSha256: m.age_sha256, ageBytes: m.age_bytes, stem,
  };
}

