// The camera's audit log in a directory store (docs/FORMAT.md "The audit
// log"): DirectoryAudit, the AuditSink over `audit.log` in the store
// directory, in the dock's format: 200-byte entries concatenated in index
// order, nothing else.
//
// An append writes the entry at the end of the file and fsyncs it before it
// returns (and syncs the directory when it created the file); a failed write
// is cut back off, so the file only ever grows by whole entries. What a power
// cut can leave is a torn last entry: the file's length not a multiple of 200
// (the write landed in part), or a last entry of zero bytes (the file system
// grew the file but the data never reached the disk; no entry is all zero,
// since a device key is not). `recover`, when the store opens, cuts those
// off, so the tail is the last whole entry.
//
// `trim` drops the entries the dock holds by writing the rest to
// `audit.log.partial`, fsyncing it and renaming it over `audit.log` (then
// syncing the directory): a cut before the rename leaves the old log whole
// and a `.partial` that `recover` deletes; after it, the new log. The last
// entry always stays, so the chain can be resumed.
//
// As in the flash, an entry whose index does not follow the tail's is
// refused: the file holds one chain, in order.
import {
  closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import type { AuditSink } from "../camera/audit.ts";
import type { StoreStep } from "./segments.ts";

/** The audit log's file name in the store directory. */
export const AUDIT_LOG = "audit.log";
const ENTRY = 200;
const INDEX_AT = 32;
/** Entries read at a time. */
const READ_ENTRIES = 320;

const indexOf = (entry: Uint8Array): bigint => Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).readBigUInt64LE(INDEX_AT);

export class DirectoryAudit implements AuditSink {
  /** The log file. */
  readonly path: string;
  private readonly dir: string;
  private readonly log: (line: string) => void;
  private readonly fault: (step: StoreStep) => void;
  private last: Uint8Array | undefined;
  private count = 0;

  /** The log in `dir` (call `recover` before using it; SegmentStore.open does). */
  constructor(dir: string, options: { log?: (line: string) => void; faults?: (step: StoreStep) => void } = {}) {
    this.dir = dir;
    this.path = join(dir, AUDIT_LOG);
    this.log = options.log ?? (() => {});
    this.fault = options.faults ?? (() => {});
  }

  /**
   * What an interrupted append or trim left: deletes `audit.log.partial`,
   * cuts a torn last entry off the log (a length not a multiple of 200, or
   * trailing all-zero entries), logs each, and reads the tail.
   */
  recover(): void {
    const partial = `${this.path}.partial`;
    if (existsSync(partial)) {
      rmSync(partial, { force: true });
      this.log(`store: removed ${AUDIT_LOG}.partial: an interrupted trim (the log is whole)`);
    }
    this.last = undefined;
    this.count = 0;
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, "r+");
    try {
      const size = fstatSync(fd).size;
      let whole = Math.floor(size / ENTRY);
      const entry = Buffer.alloc(ENTRY);
      while (whole > 0) {
        readAll(fd, entry, (whole - 1) * ENTRY);
        if (!entry.every((x) => x === 0)) break;
        whole--;
      }
      if (whole * ENTRY !== size) {
        ftruncateSync(fd, whole * ENTRY);
        fsyncSync(fd);
        this.log(`store: ${AUDIT_LOG}: cut ${size - whole * ENTRY} byte(s) of a torn last entry off`);
      }
      this.count = whole;
      if (whole > 0) this.last = new Uint8Array(entry);
    } finally {
      closeSync(fd);
    }
  }

  /** Entries in the log. */
  get entryCount(): number {
    return this.count;
  }

  /** The last entry stored (a copy), if any: what audit_start continues after. */
  tail(): Uint8Array | undefined {
    return this.last?.slice();
  }

  /**
   * Appends a 200-byte entry and fsyncs the log before returning. Its index
   * (u64 at byte 32) must be the tail's + 1 (any index starts an empty log).
   * Throws a SealcamError, and nothing of the entry stays, on a wrong size or
   * index, or when the write fails.
   */
  append(entry: Uint8Array): void {
    if (entry.length !== ENTRY) throw new SealcamError(`audit: an entry is ${ENTRY} bytes, not ${entry.length}`, EXIT.INTERNAL);
    if (this.last && indexOf(entry) !== indexOf(this.last) + 1n) {
      throw new SealcamError(`audit: entry ${indexOf(entry)} does not follow the last one stored (${indexOf(this.last)})`, EXIT.INTERNAL);
    }
    const created = !existsSync(this.path);
    const fd = openSync(this.path, "a", 0o644);
    const before = this.count * ENTRY;
    try {
      try {
        this.fault("audit-append");
        let at = 0;
        while (at < ENTRY) at += writeSync(fd, entry, at, ENTRY - at);
        this.fault("audit-fsync");
        fsyncSync(fd);
        if (created) syncDir(this.dir);
      } catch (e) {
        // Cut off whatever of it landed: the file grows by whole entries only.
        try {
          ftruncateSync(fd, before);
        } catch {
          // The next recover() cuts it off.
        }
        throw e;
      }
    } catch (e) {
      if (e instanceof SealcamError) throw e;
      throw new SealcamError(`storage: cannot append to ${this.path}: ${e instanceof Error ? e.message : String(e)}`, EXIT.USAGE);
    } finally {
      closeSync(fd);
    }
    this.count++;
    this.last = entry.slice();
  }

  /** The log's entries with index ≥ `fromIndex`, in file order, each a fresh array. */
  *entries(fromIndex: number | bigint = 0): Generator<Uint8Array, void, undefined> {
    const from = BigInt(fromIndex);
    if (!existsSync(this.path)) return;
    const fd = openSync(this.path, "r");
    try {
      const chunk = Buffer.alloc(READ_ENTRIES * ENTRY);
      for (let at = 0; at < this.count * ENTRY; at += chunk.length) {
        const n = Math.min(chunk.length, this.count * ENTRY - at);
        readAll(fd, chunk.subarray(0, n), at);
        for (let e = 0; e < n; e += ENTRY) {
          const entry = new Uint8Array(chunk.subarray(e, e + ENTRY));
          if (indexOf(entry) >= from) yield entry;
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Drops the entries with index ≤ `throughIndex` (after the dock's receipt
   * for that entry), never the last one: rewrites the log atomically
   * (`audit.log.partial`, fsync, rename, directory sync). Returns how many
   * entries went and the index of the last of them.
   */
  trim(throughIndex: number | bigint): { entries: number; lastIndex?: number } {
    const through = BigInt(throughIndex);
    let drop = 0;
    let lastIndex: bigint | undefined;
    for (const entry of this.entries()) {
      const index = indexOf(entry);
      if (index > through || drop === this.count - 1) break;
      drop++;
      lastIndex = index;
    }
    if (drop === 0) return { entries: 0 };
    const partial = `${this.path}.partial`;
    try {
      this.fault("audit-trim");
      // "w": a .partial left by a failed trim in this session is stale; replace it.
      const out = openSync(partial, "w", 0o644);
      try {
        const from = openSync(this.path, "r");
        try {
          const chunk = Buffer.alloc(READ_ENTRIES * ENTRY);
          for (let at = drop * ENTRY; at < this.count * ENTRY; at += chunk.length) {
            const n = Math.min(chunk.length, this.count * ENTRY - at);
            readAll(from, chunk.subarray(0, n), at);
            let done = 0;
            while (done < n) done += writeSync(out, chunk, done, n - done);
          }
        } finally {
          closeSync(from);
        }
        this.fault("audit-fsync");
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      this.fault("audit-rename");
      renameSync(partial, this.path);
      this.fault("fsync-dir");
      syncDir(this.dir);
    } catch (e) {
      if (e instanceof SealcamError) throw e;
      throw new SealcamError(`storage: cannot trim ${this.path}: ${e instanceof Error ? e.message : String(e)}`, EXIT.USAGE);
    }
    this.count -= drop;
    return { entries: drop, lastIndex: Number(lastIndex) };
  }
}

/** Reads exactly `into.length` bytes at `position`. */
function readAll(fd: number, into: Uint8Array, position: number): void {
  let at = 0;
  while (at < into.length) {
    const n = readSync(fd, into, at, into.length - at, position + at);
    if (n <= 0) throw new SealcamError(`storage: ${AUDIT_LOG}: short read`, EXIT.INTERNAL);
    at += n;
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
