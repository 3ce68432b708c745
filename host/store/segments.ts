// The camera's segment store on a directory: what the module's storage
// imports (docs/ABI.md) do on a desktop or an SoC with a filesystem.
//
// A segment is written as `<name>.age.partial`, where `<name>` is
// `<recording hex>-<sequence, 6 digits>` (FORMAT.md). Commit makes it
// visible in an order that a power cut at any point cannot confuse:
//
//   1. fsync the data and close it
//   2. rename `<name>.age.partial` → `<name>.age`
//   3. write `<name>.manifest.json.partial`, fsync it
//   4. rename it → `<name>.manifest.json`        ← the commit point
//   5. fsync the directory (both renames become durable)
//
// A segment exists once its manifest exists. Opening the store tidies what
// an interrupted segment left behind: every `.partial` file, and a `.age`
// without its manifest (a cut between 2 and 4), is deleted and logged. The
// module saw no successful commit for any of them, so its frame chain already
// shows those frames as lost.
//
// Parked segments (docs/ABI.md "Pre-event buffer"): `park` closes the open
// segment's file and renames it `<name>.payload.partial`; `unpark` writes
// `<name>.age.partial` = the age header, then the payload copied from that
// file (hashed as it is read back), fsyncs it and removes the payload file;
// `commitParked` is steps 2–5 above; `drop` deletes the files. A parked
// segment is a `.partial` file, so the tidy removes it after a crash: right,
// its key died with the module.
//
// Full storage: with `maxBytes`, open refuses (StorageFullError) once the
// segment files in the directory hold that many bytes, and append refuses
// bytes that would go past it (nothing of them is written). The audit log
// (`audit.log`, audit.ts) is not counted: it must still be written when the
// store is full.
//
// Every call is synchronous: the module calls the storage imports in the
// middle of an export and waits for the answer.
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync, accessSync, constants,
} from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestFromBlob, manifestHash, manifestJson, type Manifest } from "../evidence/manifest.ts";
import { segmentHasher, type RunningSha256 } from "./hasher.ts";
import { DirectoryAudit } from "./audit.ts";

/**
 * The durable steps of the store, in order; a fault hook can cut power before
 * any of them. A segment: open, append…, fsync-data, rename-age,
 * write-manifest, fsync-manifest, rename-manifest, fsync-dir. A parked one:
 * open, append…, park; unpark, fsync-unpark; then rename-age… as a segment;
 * or drop. The audit log (audit.ts): audit-append, audit-fsync; a trim
 * audit-trim, audit-fsync, audit-rename, fsync-dir.
 */
export type StoreStep =
  | "open" | "append" | "fsync-data" | "rename-age" | "write-manifest" | "fsync-manifest" | "rename-manifest" | "fsync-dir"
  | "park" | "unpark" | "fsync-unpark" | "drop" | "audit-append" | "audit-fsync" | "audit-trim" | "audit-rename";

export interface StoreOptions {
  /** Where the store reports what it tidied (one line each). */
  log?: (line: string) => void;
  /**
   * Called before every durable step. Tests throw from it to simulate a power
   * cut there: the store then does nothing more for that segment (no clean-up),
   * as a dead camera would not either.
   */
  faults?: (step: StoreStep) => void;
  /**
   * Most bytes the segment files may hold (committed, open and parked
   * segments; not the audit log). open and append throw StorageFullError
   * rather than go past it. Default: no limit but the file system's.
   */
  maxBytes?: number;
}

/** A committed segment. */
export interface CommittedSegment {
  name: string;
  agePath: string;
  manifestPath: string;
  manifest: Manifest;
  /** Manifest hash: SHA-256 of the signed message. */
  manifestHash: Uint8Array;
}

/**
 * What the recorder needs of a store: the module's storage imports. The
 * directory store below is the real one; the memory sink (memory.ts) serves
 * the benchmark and long-running tests.
 */
export interface SegmentSink {
  readonly isOpen: boolean;
  open(recording: Uint8Array, sequence: number): void;
  append(bytes: Uint8Array): void;
  digest(): Uint8Array;
  commit(blob: Uint8Array): CommittedSegment;
  abort(): void;
  /**
   * The pre-event buffer (docs/ABI.md "Pre-event buffer"): keep the open
   * segment's payload as a parked segment, uncommitted and invisible, and
   * close it as the open segment. A store without it cannot buffer. Parked
   * segments are keyed by (recording, sequence); several may be parked
   * while another segment is open.
   */
  park?(): void;
  /**
   * Put `header` before the parked segment's payload in its `.age` file;
   * return SHA-256(header ‖ payload) (32 bytes), computed from the payload
   * read back from the store, not from a cached hash alone.
   */
  unpark?(recording: Uint8Array, sequence: number, header: Uint8Array): Uint8Array;
  /** Commit the parked segment with its 251-byte manifest blob, atomically as commit(). */
  commitParked?(recording: Uint8Array, sequence: number, blob: Uint8Array): CommittedSegment;
  /** Erase the parked segment (it expired, or failed to commit). */
  drop?(recording: Uint8Array, sequence: number): void;
}

/**
 * Thrown by a store that has no room left for a segment's bytes: the
 * recorder answers the module's storage_open / storage_append with 2, and
 * the module stops recording rather than overwrite anything (docs/ABI.md
 * "Full storage"). Any error whose `code` is "EFULL" counts the same.
 */
export class StorageFullError extends SealcamError {
  readonly code = "EFULL";
  constructor(message = "storage full") {
    super(message, EXIT.SETUP);
    this.name = "StorageFullError";
  }
}

const NAME = /^([0-9a-f]{32}-[0-9]{6,10})\.(age|manifest\.json|payload)(\.partial)?$/;

/** `<recording hex>-<sequence>`: the base name of a segment's two files. */
export function segmentName(recording: Uint8Array | string, sequence: number): string {
  const rec = typeof recording === "string" ? recording : Buffer.from(recording).toString("hex");
  return `${rec}-${String(sequence).padStart(6, "0")}`;
}

/** Bytes copied at a time by unpark. */
const COPY_BYTES = 64 * 1024;

/** Writes all of `bytes` at the file's position. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a parent is not a directory",
  EEXIST: "already exists",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
};

function storageError(what: string, e: unknown): SealcamError {
  if (e instanceof SealcamError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const reason = code ? `${REASONS[code] ?? (e as Error).message} (${code})` : e instanceof Error ? e.message : String(e);
  return new SealcamError(`storage: ${what}: ${reason}`, EXIT.USAGE);
}

interface OpenSegment {
  name: string;
  recording: string;
  sequence: number;
  fd: number | undefined;
  hash: RunningSha256;
  bytes: number;
  /** Bytes the segment files held when it was opened (counted only with maxBytes). */
  base: number;
  /** Files of this segment that exist now and go if it is aborted. */
  files: Set<string>;
}

interface ParkedSegment {
  name: string;
  recording: string;
  sequence: number;
  /** Payload bytes. */
  bytes: number;
  /** SHA-256 of the payload as it was appended. */
  payloadDigest: Buffer;
  /** Set by unpark: the age header's length and the `.age` file's SHA-256. */
  headerBytes?: number;
  ageDigest?: Buffer;
  /** Files of this segment that exist now and go if it is dropped. */
  files: Set<string>;
}

export class SegmentStore implements SegmentSink {
  readonly dir: string;
  /** Files the boot-time tidy deleted. */
  readonly tidied: string[] = [];
  /** The camera's audit log, `audit.log` in the store directory (audit.ts). */
  readonly audit: DirectoryAudit;
  private readonly log: (line: string) => void;
  private readonly fault: (step: StoreStep) => void;
  private readonly maxBytes: number | undefined;
  private current: OpenSegment | undefined;
  private readonly parked = new Map<string, ParkedSegment>();
  /** SHA-256 of the open segment's bytes, on a second thread (hasher.ts); made at the first open. */
  private hasher: RunningSha256 | undefined;

  private constructor(dir: string, options: StoreOptions) {
    this.dir = dir;
    this.log = options.log ?? (() => {});
    this.fault = options.faults ?? (() => {});
    if (options.maxBytes !== undefined && !(Number.isSafeInteger(options.maxBytes) && options.maxBytes >= 0)) {
      throw new SealcamError(`storage: maxBytes must be a whole number of bytes, not ${options.maxBytes}`, EXIT.USAGE);
    }
    this.maxBytes = options.maxBytes;
    this.audit = new DirectoryAudit(dir, { log: this.log, faults: this.fault });
  }

  /**
   * Opens (creating it if needed) a store directory and tidies what a crash
   * left there. Throws a one-line SealcamError (exit 2) if the directory
   * cannot be created or written.
   */
  static open(dir: string, options: StoreOptions = {}): SegmentStore {
    const store = new SegmentStore(resolve(dir), options);
    try {
      mkdirSync(store.dir, { recursive: true });
      accessSync(store.dir, constants.W_OK);
    } catch (e) {
      throw storageError(`cannot use ${dir} as the segment store`, e);
    }
    store.tidy();
    store.audit.recover();
    return store;
  }

  /** Names (`<recording>-<sequence>`) of the committed segments, sorted. */
  segments(): string[] {
    const names: string[] = [];
    for (const file of readdirSync(this.dir)) {
      const m = NAME.exec(file);
      if (m && m[2] === "manifest.json" && !m[3]) names.push(m[1]);
    }
    return names.sort();
  }

  /** True while a segment is open (between open and commit or abort). */
  get isOpen(): boolean {
    return this.current !== undefined;
  }

  /** Names of the parked segments, oldest park first. */
  get parkedNames(): string[] {
    return [...this.parked.keys()];
  }

  /**
   * Begins segment `sequence` of recording `recording` (16 bytes): creates
   * `<name>.age.partial`. Refuses a name that is already in the store
   * (committed, parked or not), and a second open segment; with `maxBytes`,
   * StorageFullError once the segment files hold that many bytes.
   */
  open(recording: Uint8Array, sequence: number): void {
    if (this.current) throw new SealcamError(`storage: segment ${this.current.name} is still open`, EXIT.INTERNAL);
    if (recording.length !== 16) throw new SealcamError(`storage: recording id must be 16 bytes`, EXIT.INTERNAL);
    const name = segmentName(recording, sequence);
    for (const suffix of [".age", ".manifest.json", ".payload.partial"]) {
      if (this.parked.has(name) || existsSync(this.path(name + suffix))) throw new SealcamError(`segment ${name} already exists in ${this.dir}`, EXIT.USAGE);
    }
    let base = 0;
    if (this.maxBytes !== undefined) {
      base = this.usedBytes();
      if (base >= this.maxBytes) throw new StorageFullError(`storage full: cannot begin segment ${name}: the segments in ${this.dir} hold ${base} of ${this.maxBytes} bytes`);
    }
    const hash = this.freshHash();
    const partial = this.path(`${name}.age.partial`);
    let fd: number;
    try {
      this.fault("open");
      fd = openSync(partial, "wx", 0o644);
    } catch (e) {
      throw storageError(`cannot create ${partial}`, e);
    }
    this.current = {
      name, recording: Buffer.from(recording).toString("hex"), sequence, fd,
      hash, bytes: 0, base, files: new Set([partial]),
    };
  }

  /** Appends sealed bytes to the open segment (written through, hashed as they pass). With `maxBytes`, StorageFullError (nothing written) for bytes that do not fit. */
  append(bytes: Uint8Array): void {
    const seg = this.need("append");
    if (this.maxBytes !== undefined && seg.base + seg.bytes + bytes.length > this.maxBytes) {
      throw new StorageFullError(`storage full: ${bytes.length} more bytes of ${seg.name} do not fit: the segments in ${this.dir} hold ${seg.base + seg.bytes} of ${this.maxBytes} bytes`);
    }
    try {
      this.fault("append");
      let at = 0;
      while (at < bytes.length) at += writeSync(seg.fd!, bytes, at, bytes.length - at);
    } catch (e) {
      throw storageError(`cannot write ${seg.name}.age.partial`, e);
    }
    seg.hash.update(bytes);
    seg.bytes += bytes.length;
  }

  /** SHA-256 of every byte appended to the open segment so far. */
  digest(): Uint8Array {
    return this.need("digest").hash.digest();
  }

  /** Bytes appended to the open segment so far. */
  get appended(): number {
    return this.current?.bytes ?? 0;
  }

  /**
   * Commits the open segment with the module's 251-byte manifest blob (signed
   * message ‖ signature). The manifest must describe this segment: its
   * recording, sequence, `age_bytes` and `age_sha256` are checked against
   * what was opened and appended. Returns the committed segment; throws (and
   * leaves the segment for `abort`) on any failure.
   */
  commit(blob: Uint8Array): CommittedSegment {
    const seg = this.need("commit");
    const manifest = this.checkManifest(seg, blob, seg.bytes, this.digest());
    try {
      this.fault("fsync-data");
      fsyncSync(seg.fd!);
      closeSync(seg.fd!);
      seg.fd = undefined;
    } catch (e) {
      throw storageError(`cannot commit ${seg.name}`, e);
    }
    const committed = this.publish(seg.name, seg.files, manifest);
    this.current = undefined;
    return committed;
  }

  /**
   * Parks the open segment (docs/ABI.md "Pre-event buffer"): its payload is
   * complete; its file is closed and renamed `<name>.payload.partial`, and it
   * stays invisible, keyed by recording and sequence, until unparked and
   * committed, or dropped. The store then has no open segment.
   */
  park(): void {
    const seg = this.need("park");
    const payloadDigest = Buffer.from(this.digest());
    const payload = this.path(`${seg.name}.payload.partial`);
    try {
      this.fault("park");
      closeSync(seg.fd!);
      seg.fd = undefined;
      renameSync(this.path(`${seg.name}.age.partial`), payload);
    } catch (e) {
      throw storageError(`cannot park ${seg.name}`, e);
    }
    this.parked.set(seg.name, {
      name: seg.name, recording: seg.recording, sequence: seg.sequence, bytes: seg.bytes, payloadDigest, files: new Set([payload]),
    });
    this.current = undefined;
  }

  /**
   * Gives parked segment (`recording`, `sequence`) its age header: writes
   * `<name>.age.partial` = `header`, then the payload copied from its parked
   * file, fsyncs it and removes the payload file. Returns SHA-256(header ‖
   * payload) (32 bytes) over the bytes as read back from the parked file,
   * which must hash as they did when appended. With `maxBytes`,
   * StorageFullError when the copy does not fit. Throws (the segment is then
   * only fit to be dropped) on any failure.
   */
  unpark(recording: Uint8Array, sequence: number, header: Uint8Array): Uint8Array {
    const p = this.needParked(recording, sequence, "unpark", false);
    if (this.maxBytes !== undefined) {
      const used = this.usedBytes();
      if (used + header.length + p.bytes > this.maxBytes) {
        throw new StorageFullError(`storage full: cannot unpark ${p.name}: the segments in ${this.dir} hold ${used} of ${this.maxBytes} bytes`);
      }
    }
    const payload = this.path(`${p.name}.payload.partial`);
    const partial = this.path(`${p.name}.age.partial`);
    const age = createHash("sha256");
    const payloadHash = createHash("sha256");
    try {
      this.fault("unpark");
      p.files.add(partial);
      const out = openSync(partial, "wx", 0o644);
      try {
        writeAll(out, header);
        age.update(header);
        const from = openSync(payload, "r");
        try {
          const chunk = Buffer.alloc(COPY_BYTES);
          let copied = 0;
          for (;;) {
            const n = readSync(from, chunk, 0, chunk.length, null);
            if (n === 0) break;
            const piece = chunk.subarray(0, n);
            payloadHash.update(piece);
            age.update(piece);
            writeAll(out, piece);
            copied += n;
          }
          if (copied !== p.bytes || !payloadHash.digest().equals(p.payloadDigest)) {
            throw new SealcamError(`storage: parked segment ${p.name}: its payload read back is not what was appended`, EXIT.EVIDENCE);
          }
        } finally {
          closeSync(from);
        }
        this.fault("fsync-unpark");
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      rmSync(payload, { force: true });
      p.files.delete(payload);
    } catch (e) {
      throw storageError(`cannot unpark ${p.name}`, e);
    }
    p.headerBytes = header.length;
    p.ageDigest = age.digest();
    return new Uint8Array(p.ageDigest);
  }

  /**
   * Commits parked segment (`recording`, `sequence`), unparked before, with
   * its 251-byte manifest blob, which must describe the `.age` file (header ‖
   * payload): the same steps as `commit` from the rename on.
   */
  commitParked(recording: Uint8Array, sequence: number, blob: Uint8Array): CommittedSegment {
    const p = this.needParked(recording, sequence, "commit", true);
    const manifest = this.checkManifest(p, blob, p.headerBytes! + p.bytes, p.ageDigest!);
    const committed = this.publish(p.name, p.files, manifest);
    this.parked.delete(p.name);
    return committed;
  }

  /** Deletes parked segment (`recording`, `sequence`) (it expired, or failed to commit): every file of it. */
  drop(recording: Uint8Array, sequence: number): void {
    const name = segmentName(recording, sequence);
    const p = this.parked.get(name);
    if (!p) throw new SealcamError(`storage: no parked segment ${name}`, EXIT.INTERNAL);
    this.parked.delete(name);
    this.fault("drop");
    this.remove(p.files);
  }

  /** The manifest of `blob` if it names the segment and describes its `bytes` and `digest`, else throws. */
  private checkManifest(seg: { name: string; recording: string; sequence: number }, blob: Uint8Array, bytes: number, digest: Uint8Array): Manifest {
    const manifest = manifestFromBlob(blob);
    if (manifest.recording !== seg.recording || manifest.sequence !== seg.sequence) {
      throw new SealcamError(`storage: manifest names segment ${segmentName(manifest.recording, manifest.sequence)}, not ${seg.name}`, EXIT.INTERNAL);
    }
    if (manifest.age_bytes !== bytes || manifest.age_sha256 !== Buffer.from(digest).toString("hex")) {
      throw new SealcamError(`storage: manifest of ${seg.name} does not describe the bytes written`, EXIT.INTERNAL);
    }
    return manifest;
  }

  /**
   * Steps 2–5 of a commit for `<name>.age.partial`, complete and synced:
   * rename it, write the manifest, rename it (the commit point), sync the
   * directory. `files` follows what exists, for an abort or drop after a failure.
   */
  private publish(name: string, files: Set<string>, manifest: Manifest): CommittedSegment {
    const partial = this.path(`${name}.age.partial`);
    const age = this.path(`${name}.age`);
    const manifestPartial = this.path(`${name}.manifest.json.partial`);
    const manifestPath = this.path(`${name}.manifest.json`);
    const seg = { files };
    try {
      this.fault("rename-age");
      renameSync(partial, age);
      seg.files.delete(partial);
      seg.files.add(age);

      this.fault("write-manifest");
      seg.files.add(manifestPartial);
      const mfd = openSync(manifestPartial, "wx", 0o644);
      try {
        writeSync(mfd, manifestJson(manifest));
        this.fault("fsync-manifest");
        fsyncSync(mfd);
      } finally {
        closeSync(mfd);
      }

      this.fault("rename-manifest");
      renameSync(manifestPartial, manifestPath);
      seg.files.delete(manifestPartial);
      seg.files.add(manifestPath);

      this.fault("fsync-dir");
      this.syncDir();
    } catch (e) {
      throw storageError(`cannot commit ${name}`, e);
    }
    return { name, agePath: age, manifestPath, manifest, manifestHash: manifestHash(manifest) };
  }

  /** Discards the open segment: closes it and deletes every file of it. Does nothing when none is open. */
  abort(): void {
    const seg = this.current;
    if (!seg) return;
    this.current = undefined;
    if (seg.fd !== undefined) {
      try {
        closeSync(seg.fd);
      } catch {
        // Already closed or the device is gone: the files are deleted below either way.
      }
    }
    this.remove(seg.files);
  }

  /** Deletes `files` and syncs the directory (best effort: a later boot-time tidy finishes the job). */
  private remove(files: Iterable<string>): void {
    for (const file of files) rmSync(file, { force: true });
    try {
      this.syncDir();
    } catch {
      // The deletions are what matters; a later boot-time tidy finishes them.
    }
  }

  /** Bytes the segment files (committed, open, parked, partial) in the directory hold now. */
  private usedBytes(): number {
    let n = 0;
    for (const file of readdirSync(this.dir)) {
      if (!NAME.test(file)) continue;
      try {
        n += statSync(this.path(file)).size;
      } catch {
        // Gone between the listing and the stat: it holds nothing.
      }
    }
    return n;
  }

  /**
   * Releases the store's hash thread; an open segment is aborted first. The
   * store can still be used: the next open starts a new hash thread.
   */
  close(): void {
    this.abort();
    this.hasher?.close();
    this.hasher = undefined;
  }

  /** The hasher, reset for a new segment; a new one if the last one failed. */
  private freshHash(): RunningSha256 {
    if (this.hasher?.failed) {
      this.hasher.close();
      this.hasher = undefined;
    }
    this.hasher ??= segmentHasher();
    this.hasher.reset();
    return this.hasher;
  }

  private need(op: string): OpenSegment {
    if (!this.current) throw new SealcamError(`storage: ${op} with no open segment`, EXIT.INTERNAL);
    return this.current;
  }

  private needParked(recording: Uint8Array, sequence: number, op: string, unparked: boolean): ParkedSegment {
    const name = segmentName(recording, sequence);
    const p = this.parked.get(name);
    if (!p) throw new SealcamError(`storage: ${op}: no parked segment ${name}`, EXIT.INTERNAL);
    if ((p.ageDigest !== undefined) !== unparked) throw new SealcamError(`storage: ${op}: parked segment ${name} ${unparked ? "has no header yet" : "already has its header"}`, EXIT.INTERNAL);
    return p;
  }

  private path(file: string): string {
    return join(this.dir, file);
  }

  private syncDir(): void {
    const fd = openSync(this.dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Boot-time tidy: deletes `.partial` files and `.age` files without a manifest. */
  private tidy(): void {
    const files = new Set(readdirSync(this.dir));
    for (const file of [...files].sort()) {
      const m = NAME.exec(file);
      if (!m) continue;
      const [, name, kind, partial] = m;
      let why: string | undefined;
      if (partial) why = "partial file of an interrupted segment";
      else if (kind === "age" && !files.has(`${name}.manifest.json`)) why = "segment data without a manifest (commit interrupted)";
      if (!why) continue;
      rmSync(this.path(file), { force: true });
      this.tidied.push(file);
      this.log(`store: removed ${file}: ${why}`);
    }
    if (this.tidied.length) this.syncDir();
  }
}
