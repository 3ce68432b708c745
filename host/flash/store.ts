// The camera's durable segment store on raw NAND flash (docs/FORMAT.md, "The
// camera's flash"): sealed segments stay here, across power cuts, until the
// dock has them. FlashStore boots over a device (recovery), lists, reads back,
// deletes and exports its segments, allocates blocks to the FlashSink
// (sink.ts) that writes new ones, and keeps the camera's audit log in audit
// blocks beside them (`audit`, audit.ts); the bytes on the chip are
// layout.ts's.
//
// Boot reads every block and keeps exactly the objects whose commit record,
// blocks, length and SHA-256 agree, and the audit log's blocks; everything
// else is what a power cut left of unfinished work (or parked pre-event
// segments, whose keys died with the module), and boot erases it.
//
// Why a power cut can never damage a committed segment:
//   - the store programs only pages of blocks it took from the free list (all
//     0xFF, checked at boot) and erases only blocks of objects that are being
//     thrown away, so a torn program or erase touches no committed block;
//   - a segment exists only once its commit record verifies, and the record
//     is the last page the writer programs;
//   - deleting (or aborting, or discarding at boot) erases the block holding
//     the commit record first, so an interrupted erase leaves an object
//     without one, which the next boot finishes erasing. Boot itself only
//     erases, in that same order, so a cut during boot is finished by the
//     next boot.
//
// Full storage (DESIGN.md "Storage on the camera"): the board's
// `reserveBlocks` are kept for the audit log. Audit blocks count against the
// reserve first; a segment may take a block only if the free blocks left
// after it still cover what the reserve lacks (StorageFullError otherwise),
// and a segment may begin only if two such blocks are free (one of data and
// one for its commit record). The audit log takes any free block. Nothing
// committed is ever erased to make room.
//
// Choices the format leaves to the implementation (documented here; the
// sink's are in sink.ts, the audit log's in audit.ts):
//   - allocation goes round-robin over the blocks from just after the last
//     block allocated (wear spreads over the chip); at boot the cursor starts
//     at the beginning of the longest run of free blocks, which is where
//     round-robin writing with oldest-first deletion left off;
//   - an erase that fails (FlashError) during abort or delete leaves the
//     block "dirty": counted as used, erased again when allocation reaches
//     it, or by the next boot.
//
// Memory: boot and read-back hold one block (or one 64 KiB chunk) at a time,
// never a whole object.
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { decodeAuditEntry } from "../evidence/audit.ts";
import { manifestFromBlob, manifestHash, manifestJson, type Manifest } from "../evidence/manifest.ts";
import { StorageFullError } from "../store/segments.ts";
import { FlashError, type FlashDevice } from "./device.ts";
import {
  ERASED, INVALID, allErased, decodeAuditHeader, decodeCommit, decodeHeader, nameOfId, objectId, readAgeBytes,
  type CommitRecord, type StoredSegment,
} from "./layout.ts";
import { FlashSink, type Allocator } from "./sink.ts";
import { FlashAudit, recoverAudit, scanAuditBlock, type AuditAccess, type AuditBlockScan } from "./audit.ts";

/** `readAgeChunks` yields pieces of this size (the last may be shorter). */
export const READ_CHUNK_BYTES = 64 * 1024;

// Block states.
const FREE = 0, USED = 1, DIRTY = 2;
/** Audit kind 11, "receipt accepted": with a = 1 a segment's receipt, ref its manifest hash. */
const AUDIT_RECEIPT_ACCEPTED = 11;

/** Owner of an audit block (never a 40-hex object id). */
const AUDIT_OWNER = "audit";

/** The store's policy, from the board (boards/*.json "policy", board.ts). */
export interface FlashPolicy {
  /** Blocks kept for the audit log: segments never take the last of them (default 0). */
  reserveBlocks?: number;
}

/** Blocks a boot threw away, and why. `id` and `name` are null when no valid header named an object. */
export interface DiscardedObject {
  id: string | null;
  name: string | null;
  blocks: number[];
  why: string;
}

/** What a boot found and did: one log line per discarded object or block, and a summary line. */
export interface BootReport {
  /** Ids of the committed segments found, in (recording, sequence) order. */
  committed: string[];
  discarded: DiscardedObject[];
  /** Blocks this boot erased. */
  erased: number[];
  /** Blocks whose erase the chip reported as failed (left dirty, erased again later). */
  failed: number[];
  /** The audit log found: entries and blocks kept. */
  audit: { entries: number; blocks: number };
  /**
   * Committed segments whose bytes no longer match their commit record (the
   * flash decayed: no operation of the store leaves a valid commit record over
   * other bytes). They are evidence without a receipt, so they are neither
   * erased nor offered to a dock: their blocks stay in use, for examination.
   */
  damaged: DiscardedObject[];
  milliseconds: number;
}

/**
 * The flash store: boot it over a device, list and read back its segments,
 * delete them once docked, and write new ones through `sink()`.
 */
export class FlashStore {
  readonly device: FlashDevice;
  /** What the boot that made this store found and did. */
  readonly recovered: BootReport;
  /** Blocks kept for the audit log (the board's policy). */
  readonly reserveBlocks: number;
  private auditLog: FlashAudit | undefined;
  private readonly log: (line: string) => void;
  private readonly pageBytes: number;
  private readonly pagesPerBlock: number;
  private readonly blockBytes: number;
  /** Data bytes a block holds (every page but the header). */
  private readonly dataPerBlock: number;
  private readonly state: Uint8Array;
  /** Object id of each used or dirty block ("" when unknown or free). */
  private readonly owner: string[];
  private readonly objects = new Map<string, StoredSegment>();
  /** Ids open in a sink. */
  private readonly writing = new Set<string>();
  private cursor = 0;
  private readonly access: Allocator;

  private constructor(device: FlashDevice, log: (line: string) => void, policy: FlashPolicy) {
    this.device = device;
    this.log = log;
    const reserve = policy.reserveBlocks ?? 0;
    if (!Number.isSafeInteger(reserve) || reserve < 0 || reserve >= device.geometry.blocks) {
      throw new SealcamError(`flash: an audit reserve of ${reserve} blocks does not fit ${device.geometry.blocks} blocks`, EXIT.USAGE);
    }
    this.reserveBlocks = reserve;
    const g = device.geometry;
    this.pageBytes = g.pageBytes;
    this.pagesPerBlock = g.pagesPerBlock;
    this.blockBytes = device.blockBytes;
    this.dataPerBlock = g.pageBytes * (g.pagesPerBlock - 1);
    this.state = new Uint8Array(g.blocks).fill(USED);
    this.owner = new Array<string>(g.blocks).fill("");
    this.recovered = { committed: [], discarded: [], erased: [], failed: [], audit: { entries: 0, blocks: 0 }, damaged: [], milliseconds: 0 };
    this.access = {
      device,
      allocate: (id, name) => this.allocate(id, name),
      release: (blocks, why) => void this.eraseBlocks(blocks, why),
      claim: (id, name) => {
        if (this.objects.has(id) || this.writing.has(id) || this.owner.includes(id)) throw new SealcamError(`segment ${name} already exists in the flash`, EXIT.USAGE);
        const room = this.available - this.reserveLeft;
        if (room < 2) {
          throw new StorageFullError(`storage full: cannot begin segment ${name}: ${Math.max(0, room)} free flash block(s) besides ` +
            `the ${this.reserveLeft} kept for the audit log; a segment needs 2 (a block of data and its commit record)`);
        }
        this.writing.add(id);
      },
      settle: (id, segment) => {
        this.writing.delete(id);
        if (segment) this.objects.set(id, segment);
      },
    };
  }

  /**
   * Reads every block of `device` and applies FORMAT.md's rules: keeps the
   * committed segments (headers valid, ordinals 0…n−1 each once, one valid
   * commit record in its place, the bytes read back match its length and
   * SHA-256, the manifest blob describes them) and the audit log (audit.ts,
   * `recoverAudit`); erases every other block that is not entirely 0xFF
   * (blocks holding a commit record first). Logs one line per thing
   * discarded and a summary. Only erases, so a power cut during boot
   * (PowerCut propagates) is finished by the next boot. `policy` is the
   * board's (the audit reserve).
   */
  static boot(device: FlashDevice, log: (line: string) => void = () => {}, policy: FlashPolicy = {}): FlashStore {
    const started = performance.now();
    const store = new FlashStore(device, log, policy);
    const { blocks, pagesPerBlock, pageBytes } = device.geometry;
    const report = store.recovered;
    interface Group { members: { block: number; ordinal: number }[]; commits: { block: number; page: number; record: CommitRecord }[] }
    const groups = new Map<string, Group>();
    const discards: DiscardedObject[] = [];
    const auditScans: AuditBlockScan[] = [];

    for (let b = 0; b < blocks; b++) {
      const data = device.read(b * store.blockBytes, store.blockBytes);
      const serial = decodeAuditHeader(data.subarray(0, pageBytes));
      if (serial !== undefined) {
        store.owner[b] = AUDIT_OWNER;
        auditScans.push(scanAuditBlock(data, b, serial, pageBytes, pagesPerBlock));
        continue;
      }
      const header = decodeHeader(data.subarray(0, pageBytes));
      if (header === ERASED) {
        if (allErased(data)) store.state[b] = FREE;
        else discards.push({ id: null, name: null, blocks: [b], why: "header page erased but the block is not (an interrupted erase)" });
        continue;
      }
      if (header === INVALID) {
        discards.push({ id: null, name: null, blocks: [b], why: "block header does not check out (an interrupted write or erase)" });
        continue;
      }
      store.owner[b] = header.id;
      let group = groups.get(header.id);
      if (!group) groups.set(header.id, (group = { members: [], commits: [] }));
      group.members.push({ block: b, ordinal: header.ordinal });
      for (let p = 1; p < pagesPerBlock; p++) {
        const record = decodeCommit(data.subarray(p * pageBytes, (p + 1) * pageBytes));
        if (record && record.id === header.id) group.commits.push({ block: b, page: p, record });
      }
    }

    // The audit log first: it says which segments the module accepted a
    // dock's receipt for, which tells an interrupted deletion from decay.
    const audit = recoverAudit(auditScans);
    for (const { scan, why } of audit.discard) discards.push({ id: null, name: null, blocks: [scan.block], why });
    store.auditLog = new FlashAudit(store.auditAccess(), audit.keep, audit.nextSerial);
    report.audit = { entries: store.audit.entryCount, blocks: store.audit.blockCount };
    const receipted = new Set<string>();
    for (const entry of store.audit.entries(0)) {
      const e = decodeAuditEntry(entry);
      if (e.kind === AUDIT_RECEIPT_ACCEPTED && e.a === 1n) receipted.add(Buffer.from(e.ref).toString("hex"));
    }

    const found: StoredSegment[] = [];
    for (const id of [...groups.keys()].sort()) {
      const group = groups.get(id)!;
      let result = store.check(id, group.members, group.commits);
      if (typeof result !== "string" && "damaged" in result) {
        const damaged = result.damaged;
        // A store without an audit log (the store's own tests) cannot tell the two apart: as before, erase.
        if (store.audit.entryCount === 0 || receipted.has(Buffer.from(damaged.manifestHash).toString("hex"))) {
          // The dock has it (the module accepted its receipt): a deletion a power cut interrupted.
          result = "its bytes do not match its commit record's SHA-256, and the module accepted the dock's receipt for it (an interrupted deletion)";
        } else {
          report.damaged.push({ id, name: nameOfId(id), blocks: damaged.blocks, why: "its bytes do not match its committed SHA-256, and no dock's receipt for it was accepted (the flash decayed)" });
          log(`flash: segment ${nameOfId(id)}, blocks ${damaged.blocks.join(", ")}: its bytes do not match its committed SHA-256 and no receipt for it was accepted (the flash decayed); kept for examination, not docked, never erased without a receipt`);
          continue;
        }
      }
      if (typeof result !== "string") {
        found.push(result);
        continue;
      }
      // Blocks holding a commit record go first, then the rest from the highest ordinal down.
      const withCommit = new Set(group.commits.map((c) => c.block));
      const order = [...group.members].sort((x, y) => Number(withCommit.has(y.block)) - Number(withCommit.has(x.block)) || y.ordinal - x.ordinal);
      discards.push({ id, name: nameOfId(id), blocks: order.map((m) => m.block), why: result });
    }

    for (const s of found) store.objects.set(s.id, s);
    report.committed.push(...store.list().map((s) => s.id));
    for (const d of discards) {
      report.discarded.push(d);
      log(`flash: ${d.name ? `segment ${d.name}, block${d.blocks.length > 1 ? "s" : ""} ${d.blocks.join(", ")}` : `block ${d.blocks[0]}`}: ${d.why}; erased`);
      store.eraseBlocks(d.blocks, d.name ? `discarding ${d.name}` : "boot", report);
    }
    store.cursor = store.longestFreeRun();
    report.milliseconds = performance.now() - started;
    log(`flash: boot: ${report.committed.length} segment(s) committed, ${discards.length} discarded, ` +
      `${report.erased.length} block(s) erased${report.failed.length ? `, ${report.failed.length} erase(s) failed` : ""}; ` +
      `audit log: ${report.audit.entries} entr${report.audit.entries === 1 ? "y" : "ies"} in ${report.audit.blocks} block(s); ` +
      `${store.freeBlocks} of ${blocks} blocks free (${report.milliseconds.toFixed(1)} ms)`);
    return store;
  }

  /** The camera's audit log, in audit blocks of this flash (audit.ts): the recorder's AuditSink. */
  get audit(): FlashAudit {
    return this.auditLog!;
  }

  /** Blocks erased and ready for new data. */
  get freeBlocks(): number {
    let n = 0;
    for (const s of this.state) if (s === FREE) n++;
    return n;
  }

  /** Blocks not free: held by committed segments, by a segment being written or parked, by the audit log, or awaiting an erase. */
  get usedBlocks(): number {
    return this.state.length - this.freeBlocks;
  }

  /** Free blocks a new segment could take: those left when the audit reserve's unfilled part is set aside. */
  get segmentBlocks(): number {
    return Math.max(0, this.available - this.reserveLeft);
  }

  /** The committed segments, in (recording, sequence) order. */
  list(): StoredSegment[] {
    return [...this.objects.values()].sort((a, b) =>
      a.manifest.recording < b.manifest.recording ? -1 : a.manifest.recording > b.manifest.recording ? 1 : a.manifest.sequence - b.manifest.sequence);
  }

  /**
   * The `.age` file of committed segment `id` from byte `offset` on (a dock
   * resuming an upload), in `.age` order (a pre-event segment's header,
   * stored after its payload, comes first), in pieces of READ_CHUNK_BYTES
   * (the last shorter), each a fresh array. Every byte of the file is hashed
   * as it is read, those before `offset` too (read, not yielded); the last
   * piece is released only if the SHA-256 matches the commit record, else a
   * SealcamError is thrown instead of it (flash that decayed since boot). An
   * `offset` equal to the length yields nothing, after that check.
   */
  *readAgeChunks(id: string, offset = 0): Generator<Uint8Array, void, undefined> {
    const segment = this.need(id);
    const length = segment.ageBytes;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > length) {
      throw new SealcamError(`flash: offset ${offset} is outside segment ${segment.name}'s ${length} bytes`, EXIT.USAGE);
    }
    const hash = createHash("sha256");
    const check = () => {
      if (hash.digest("hex") !== segment.ageSha256) {
        throw new SealcamError(`flash: segment ${segment.name}: the bytes read back do not match its commit record`, EXIT.EVIDENCE);
      }
    };
    let at = 0;
    while (at < offset) {
      const n = Math.min(READ_CHUNK_BYTES, offset - at);
      hash.update(this.ageRange(segment, at, n));
      at += n;
    }
    if (at === length) return check();
    while (at < length) {
      if (this.objects.get(id) !== segment) throw new SealcamError(`flash: segment ${segment.name} was deleted while being read`, EXIT.INTERNAL);
      const n = Math.min(READ_CHUNK_BYTES, length - at);
      const chunk = this.ageRange(segment, at, n);
      hash.update(chunk);
      at += n;
      if (at === length) check();
      yield chunk;
    }
  }

  /** The whole `.age` file of committed segment `id` (holds it in memory: for tests and small segments). */
  readAge(id: string): Uint8Array {
    const out = new Uint8Array(this.need(id).ageBytes);
    let at = 0;
    for (const chunk of this.readAgeChunks(id)) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  /**
   * Deletes committed segment `id` (after the dock's signed receipt): erases
   * the block holding its commit record first (from then on the segment no
   * longer exists), then its other blocks. If that first erase fails, throws
   * and the segment stays; a later failed erase leaves that block dirty.
   */
  delete(id: string): void {
    const segment = this.need(id);
    const [first, ...rest] = [...segment.blocks].reverse();
    try {
      this.device.erase(first);
    } catch (e) {
      if (e instanceof FlashError) throw new SealcamError(`storage: cannot delete ${segment.name}: ${e.message}; the segment is still stored`, EXIT.USAGE);
      throw e;
    }
    this.objects.delete(id);
    this.setFree(first);
    this.eraseBlocks(rest, `deleting ${segment.name}`);
  }

  /**
   * Writes `<name>.age` and `<name>.manifest.json` (FORMAT.md's JSON) for
   * every committed segment into `dir` (created if needed), the manifest
   * after its `.age` file is complete and synced, as `sealcam verify` reads
   * them. Never replaces a file: an existing one is an error. Returns the names.
   */
  exportTo(dir: string): string[] {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new SealcamError(`flash export: cannot create ${dir}: ${(e as Error).message}`, EXIT.USAGE);
    }
    const names: string[] = [];
    // All or nothing: a failure part-way (a decayed page, a full disk)
    // removes every file this export created, so no partial .age is left
    // to be mistaken for a whole one.
    const created: string[] = [];
    try {
      for (const segment of this.list()) {
        const age = join(dir, `${segment.name}.age`);
        writeExclusive(age, (fd) => {
          created.push(age);
          for (const chunk of this.readAgeChunks(segment.id)) writeAll(fd, chunk);
        });
        const manifest = join(dir, `${segment.name}.manifest.json`);
        writeExclusive(manifest, (fd) => {
          created.push(manifest);
          writeAll(fd, Buffer.from(manifestJson(segment.manifest)));
        });
        names.push(segment.name);
      }
    } catch (e) {
      for (const path of created) rmSync(path, { force: true });
      throw e;
    }
    return names;
  }

  /** A sink for the recorder: writes segments into this store (FlashSink). */
  sink(): FlashSink {
    return new FlashSink(this.access);
  }

  /** Checks one object found at boot: its StoredSegment, or why it is not a segment. */
  private check(id: string, members: { block: number; ordinal: number }[], commits: { block: number; page: number; record: CommitRecord }[]): StoredSegment | { damaged: StoredSegment } | string {
    if (commits.length === 0) return "no commit record (a segment interrupted before its commit, or a parked pre-event segment)";
    if (commits.length > 1) return `${commits.length} commit records`;
    const { record, block, page } = commits[0];
    const n = record.blocks;
    const byOrdinal = [...members].sort((a, b) => a.ordinal - b.ordinal);
    if (byOrdinal.length !== n || byOrdinal.some((m, i) => m.ordinal !== i)) {
      return `its blocks (ordinals ${byOrdinal.map((m) => m.ordinal).join(", ")}) are not the ${n} its commit record names`;
    }
    // The record's place follows from the length: right after the last data page.
    const dataPages = Math.ceil(record.length / this.pageBytes);
    const perBlock = this.pagesPerBlock - 1;
    const ordinal = Math.floor(dataPages / perBlock);
    if (ordinal !== n - 1 || byOrdinal[ordinal].block !== block || page !== 1 + (dataPages % perBlock)) {
      return "its commit record is not where its length puts it";
    }
    let manifest: Manifest;
    try {
      manifest = manifestFromBlob(record.blob);
    } catch (e) {
      return `its manifest blob does not decode (${(e as Error).message})`;
    }
    if (objectId(manifest.recording, manifest.sequence) !== id || manifest.age_bytes !== record.length || manifest.age_sha256 !== record.sha256) {
      return "its manifest does not describe it";
    }
    const segment: StoredSegment = {
      id, name: nameOfId(id), manifest, manifestHash: manifestHash(manifest),
      ageBytes: record.length, headerBytes: record.headerBytes, ageSha256: record.sha256, blocks: byOrdinal.map((m) => m.block),
    };
    // In `.age` order (a pre-event segment's header, stored last, first), a block's worth at a time.
    const hash = createHash("sha256");
    for (let at = 0; at < record.length; at += this.dataPerBlock) hash.update(this.ageRange(segment, at, Math.min(this.dataPerBlock, record.length - at)));
    // A valid commit record over other bytes is not something a power cut
    // leaves (deletion erases the commit record's block first): it is decay,
    // and the segment is still evidence with no receipt. Kept, not erased.
    if (hash.digest("hex") !== record.sha256) return { damaged: segment };
    return segment;
  }

  /** `n` bytes of a segment's `.age` file from byte `at`, across its blocks (unchecked). */
  private ageRange(segment: StoredSegment, at: number, n: number): Uint8Array {
    return readAgeBytes(this.device, segment.blocks, segment.ageBytes, segment.headerBytes, at, n);
  }

  private need(id: string): StoredSegment {
    const segment = this.objects.get(id);
    if (!segment) throw new SealcamError(`flash: no committed segment ${id}`, EXIT.USAGE);
    return segment;
  }

  private setFree(block: number): void {
    this.state[block] = FREE;
    this.owner[block] = "";
  }

  /** Erases `blocks` in order; a FlashError leaves that block dirty (logged) and goes on. */
  private eraseBlocks(blocks: readonly number[], why: string, report?: BootReport): void {
    for (const b of blocks) {
      try {
        this.device.erase(b);
      } catch (e) {
        if (!(e instanceof FlashError)) throw e;
        this.state[b] = DIRTY;
        report?.failed.push(b);
        this.log(`flash: ${why}: erase of block ${b} failed (${e.message}); it will be erased again before reuse`);
        continue;
      }
      this.setFree(b);
      report?.erased.push(b);
    }
  }

  /** Blocks free or dirty (erased again when taken). */
  private get available(): number {
    let n = 0;
    for (const s of this.state) if (s !== USED) n++;
    return n;
  }

  /** The part of the audit reserve the audit log does not fill yet: blocks segments must leave free. */
  private get reserveLeft(): number {
    return Math.max(0, this.reserveBlocks - (this.auditLog?.blockCount ?? 0));
  }

  /**
   * The next free block from the cursor on (a dirty one is erased first) for
   * segment `id`, leaving the audit reserve's unfilled part free;
   * StorageFullError when there is none.
   */
  private allocate(id: string, name: string): number {
    const block = this.available > this.reserveLeft ? this.take(id) : undefined;
    if (block !== undefined) return block;
    const n = this.state.length;
    throw new StorageFullError(`storage full: no free flash block for segment ${name} ` +
      `(${n - this.available} of ${n} blocks in use${this.reserveLeft ? `, ${this.reserveLeft} kept for the audit log` : ""})`);
  }

  /** The block access the audit log gets: any free block (the reserve is its own). */
  private auditAccess(): AuditAccess {
    return {
      device: this.device,
      allocate: () => {
        const block = this.take(AUDIT_OWNER);
        if (block === undefined) throw new StorageFullError(`storage full: no free flash block for the audit log (all ${this.state.length} blocks in use)`);
        return block;
      },
      release: (blocks: readonly number[], why: string) => void this.eraseBlocks(blocks, why),
    };
  }

  /** Takes the next free block from the cursor on for `owner`; a dirty one is erased first. Undefined when none is left. */
  private take(owner: string): number | undefined {
    const n = this.state.length;
    for (let i = 0; i < n; i++) {
      const b = (this.cursor + i) % n;
      if (this.state[b] === DIRTY) this.eraseBlocks([b], "reclaiming a dirty block");
      if (this.state[b] !== FREE) continue;
      this.state[b] = USED;
      this.owner[b] = owner;
      this.cursor = (b + 1) % n;
      return b;
    }
    return undefined;
  }

  /** The first block of the longest run of free blocks (circular), where round-robin writing goes on. */
  private longestFreeRun(): number {
    const n = this.state.length;
    let best = 0, bestLength = 0;
    for (let start = 0; start < n; start++) {
      if (this.state[start] !== FREE || this.state[(start + n - 1) % n] === FREE) continue;
      let length = 0;
      while (length < n && this.state[(start + length) % n] === FREE) length++;
      if (length > bestLength) [best, bestLength] = [start, length];
    }
    return best;
  }
}

/** Writes all of `bytes` at the file's position (writeSync may write less than asked). */
function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** Creates `path` (never replacing a file), runs `write` on it, syncs and closes it. */
function writeExclusive(path: string, write: (fd: number) => void): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SealcamError(`flash export: cannot create ${path}: ${code === "EEXIST" ? "already exists" : (e as Error).message}`, EXIT.USAGE);
  }
  try {
    write(fd);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
