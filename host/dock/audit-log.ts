// The devices' audit logs in the dock's store (docs/FORMAT.md, "The audit
// log", "HTTP", "The dock's store"): `devices/<device hex>/audit.log`, entries
// concatenated in index order, appended and fsynced before the dock signs a
// receipt for them. A log may have gaps (entries a camera trimmed under
// another dock's receipt), so the entries are kept in memory as runs of
// consecutive indexes with their place in the file, and the last entry's
// hash, which the next append must name.
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DockError, conflict } from "./errors.ts";
import { Locks, code, mkdirDurable, syncDir } from "./files.ts";
import { AUDIT_ENTRY_BYTES, decodeAuditEntry, equal, toHex, type AuditEntry } from "./protocol.ts";

export const AUDIT_LOG = "audit.log";

/** Consecutive indexes in a log file (a gap starts a new run). */
interface Run {
  start: bigint;
  offset: number;
  count: number;
}

interface Log {
  path: string;
  runs: Run[];
  size: number;
  head: { index: bigint; hash: Uint8Array } | null;
}

/** What the dock holds of one device's log. */
export interface AuditState {
  first: bigint | null;
  next: bigint;
  head: { index: bigint; hash: Uint8Array } | null;
}

export interface AuditAppend extends AuditState {
  appended: number;
  gap: [bigint, bigint] | null;
}

export class AuditLogs {
  private readonly logs = new Map<string, Log>();
  private readonly locks = new Locks();

  constructor(private readonly devicesDir: string, private readonly log: (line: string) => void) {}

  /**
   * Reads a device's log at start. A length that is not a whole number of
   * entries is a torn append (the dock stopped mid-write) and is cut back:
   * the camera still holds those entries, since it trims only under a
   * receipt, sent after the append was fsynced. Any other damage (an entry of
   * another device, reserved bytes set, indexes not rising) stops the dock.
   */
  async load(device: string): Promise<void> {
    const path = join(this.devicesDir, device, AUDIT_LOG);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if (code(e) === "ENOENT") return;
      throw e;
    }
    const whole = bytes.length - (bytes.length % AUDIT_ENTRY_BYTES);
    if (whole !== bytes.length) {
      const fh = await open(path, "r+");
      try {
        await fh.truncate(whole);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.log(`store: ${path}: dropped a torn entry of ${bytes.length - whole} bytes at the end`);
    }
    const log: Log = { path, runs: [], size: 0, head: null };
    for (let at = 0; at < whole; at += AUDIT_ENTRY_BYTES) {
      let e: AuditEntry;
      try {
        e = decodeAuditEntry(new Uint8Array(bytes.subarray(at, at + AUDIT_ENTRY_BYTES)));
      } catch (err) {
        throw new DockError(500, `${path}: entry at byte ${at}: ${(err as Error).message} (the store is damaged)`);
      }
      if (toHex(e.device) !== device || (log.head && e.index <= log.head.index)) {
        throw new DockError(500, `${path}: entry at byte ${at} is not the next entry of this device (the store is damaged)`);
      }
      extend(log, e);
    }
    this.logs.set(device, log);
  }

  state(device: string): AuditState {
    const log = this.logs.get(device);
    if (!log?.head) return { first: null, next: 0n, head: null };
    return { first: log.runs[0].start, next: log.head.index + 1n, head: log.head };
  }

  private async stored(log: Log, index: bigint): Promise<Uint8Array | null> {
    const run = log.runs.find((r) => index >= r.start && index < r.start + BigInt(r.count));
    if (!run) return null;
    const fh = await open(log.path, "r");
    try {
      const buf = new Uint8Array(AUDIT_ENTRY_BYTES);
      await fh.read(buf, 0, AUDIT_ENTRY_BYTES, run.offset + Number(index - run.start) * AUDIT_ENTRY_BYTES);
      return buf;
    } finally {
      await fh.close();
    }
  }

  /**
   * Appends a batch of a device's audit entries, already checked by the
   * caller (device, signature, consecutive indexes, each naming the hash of
   * the one before). Against what is stored: entries the dock holds must be
   * byte for byte the same (else a fork, 409); the first new entry must name
   * the hash of the dock's last (else a fork); a batch that starts after the
   * dock's last entry + 1 leaves a gap, recorded (the camera trimmed entries
   * another dock received); one that starts before the dock's first entry is
   * a new chain (a fork). `note` records the append in the device's dock.log.
   */
  append(device: string, entries: AuditEntry[], note: (fields: Record<string, unknown>) => Promise<void>): Promise<AuditAppend> {
    return this.locks.run(device, async () => {
      let log = this.logs.get(device);
      let rest = entries;
      let gap: [bigint, bigint] | null = null;
      if (log?.head) {
        const first = log.runs[0].start;
        const last = log.head.index;
        const start = entries[0].index;
        if (start < first) throw conflict(`fork: these entries start at index ${start}, before this dock's log of the device (from ${first}); a new chain (was the camera's log wiped?)`);
        for (const e of entries) {
          if (e.index > last) break;
          const stored = await this.stored(log, e.index);
          if (!stored) throw conflict(`entry ${e.index} is before the dock's last entry (${last}) but was never stored here; send entries from ${last + 1n}`);
          if (!equal(stored, e.bytes)) throw conflict(`fork at index ${e.index}: the dock holds a different entry ${e.index} of this device`);
        }
        rest = entries.filter((e) => e.index > last);
        if (rest.length > 0) {
          if (rest[0].index !== last + 1n) gap = [last + 1n, rest[0].index - 1n];
          else if (!equal(rest[0].previous, log.head.hash)) throw conflict(`fork at index ${rest[0].index}: the entry does not name the hash of the dock's entry ${last}`);
        }
      }
      if (rest.length > 0) {
        const dir = join(this.devicesDir, device);
        await mkdirDurable(dir);
        if (!log) this.logs.set(device, (log = { path: join(dir, AUDIT_LOG), runs: [], size: 0, head: null }));
        const fh = await open(log.path, "a", 0o644);
        try {
          await fh.writeFile(Buffer.concat(rest.map((e) => e.bytes)));
          await fh.sync();
        } catch (e) {
          // Undo a partial append so the file stays whole entries.
          await fh.truncate(log.size).catch(() => undefined);
          if (code(e) === "ENOSPC") throw new DockError(507, "the dock's store is full");
          throw e;
        } finally {
          await fh.close();
        }
        await syncDir(dir);
        for (const e of rest) extend(log, e);
        await note({
          event: "audit", from: String(rest[0].index), to: String(rest[rest.length - 1].index),
          ...(gap ? { gap: `${gap[0]}..${gap[1]} not received here` } : {}),
        });
      }
      return { ...this.state(device), appended: rest.length, gap };
    });
  }
}

/** Adds an entry just written at the end of the file to the log's runs and head. */
function extend(log: Log, e: AuditEntry): void {
  const last = log.runs[log.runs.length - 1];
  if (last && last.start + BigInt(last.count) === e.index) last.count++;
  else log.runs.push({ start: e.index, offset: log.size, count: 1 });
  log.size += AUDIT_ENTRY_BYTES;
  log.head = { index: e.index, hash: e.hash };
}
