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
// Every call is synchronous: the module calls the storage imports in the
// middle of an export and waits for the answer.
import {
  closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync, accessSync, constants,
} from "node:fs";
import { join, resolve } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestFromBlob, manifestHash, manifestJson, type Manifest } from "../evidence/manifest.ts";
import { segmentHasher, type RunningSha256 } from "./hasher.ts";

/** The durable steps of the store, in order; a fault hook can cut power before any of them. */
export type StoreStep =
  | "open" | "append" | "fsync-data" | "rename-age" | "write-manifest" | "fsync-manifest" | "rename-manifest" | "fsync-dir";

export interface StoreOptions {
  /** Where the store reports what it tidied (one line each). */
  log?: (line: string) => void;
  /**
   * Called before every durable step. Tests throw from it to simulate a power
   * cut there: the store then does nothing more for that segment (no clean-up),
   * as a dead camera would not either.
   */
  faults?: (step: StoreStep) => void;
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
}

const NAME = /^([0-9a-f]{32}-[0-9]{6,10})\.(age|manifest\.json)(\.partial)?$/;

/** `<recording hex>-<sequence>`: the base name of a segment's two files. */
export function segmentName(recording: Uint8Array | string, sequence: number): string {
  const rec = typeof recording === "string" ? recording : Buffer.from(recording).toString("hex");
  return `${rec}-${String(sequence).padStart(6, "0")}`;
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
  /** Files of this segment that exist now and go if it is aborted. */
  files: Set<string>;
}

export class SegmentStore implements SegmentSink {
  readonly dir: string;
  /** Files the boot-time tidy deleted. */
  readonly tidied: string[] = [];
  private readonly log: (line: string) => void;
  private readonly fault: (step: StoreStep) => void;
  private current: OpenSegment | undefined;
  /** SHA-256 of the open segment's bytes, on a second thread (hasher.ts); made at the first open. */
  private hasher: RunningSha256 | undefined;

  private constructor(dir: string, options: StoreOptions) {
    this.dir = dir;
    this.log = options.log ?? (() => {});
    this.fault = options.faults ?? (() => {});
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

  /**
   * Begins segment `sequence` of recording `recording` (16 bytes): creates
   * `<name>.age.partial`. Refuses a name that is already in the store
   * (committed or not), and a second open segment.
   */
  open(recording: Uint8Array, sequence: number): void {
    if (this.current) throw new SealcamError(`storage: segment ${this.current.name} is still open`, EXIT.INTERNAL);
    if (recording.length !== 16) throw new SealcamError(`storage: recording id must be 16 bytes`, EXIT.INTERNAL);
    const name = segmentName(recording, sequence);
    for (const suffix of [".age", ".manifest.json"]) {
      if (existsSync(this.path(name + suffix))) throw new SealcamError(`segment ${name} already exists in ${this.dir}`, EXIT.USAGE);
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
      hash, bytes: 0, files: new Set([partial]),
    };
  }

  /** Appends sealed bytes to the open segment (written through, hashed as they pass). */
  append(bytes: Uint8Array): void {
    const seg = this.need("append");
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
    const manifest = manifestFromBlob(blob);
    const digest = Buffer.from(this.digest()).toString("hex");
    if (manifest.recording !== seg.recording || manifest.sequence !== seg.sequence) {
      throw new SealcamError(`storage: manifest names segment ${segmentName(manifest.recording, manifest.sequence)}, not ${seg.name}`, EXIT.INTERNAL);
    }
    if (manifest.age_bytes !== seg.bytes || manifest.age_sha256 !== digest) {
      throw new SealcamError(`storage: manifest of ${seg.name} does not describe the bytes written`, EXIT.INTERNAL);
    }
    const partial = this.path(`${seg.name}.age.partial`);
    const age = this.path(`${seg.name}.age`);
    const manifestPartial = this.path(`${seg.name}.manifest.json.partial`);
    const manifestPath = this.path(`${seg.name}.manifest.json`);
    try {
      this.fault("fsync-data");
      fsyncSync(seg.fd!);
      closeSync(seg.fd!);
      seg.fd = undefined;

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
      throw storageError(`cannot commit ${seg.name}`, e);
    }
    this.current = undefined;
    return { name: seg.name, agePath: age, manifestPath, manifest, manifestHash: manifestHash(manifest) };
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
    for (const file of seg.files) rmSync(file, { force: true });
    try {
      this.syncDir();
    } catch {
      // The deletions are what matters; a later boot-time tidy finishes them.
    }
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
