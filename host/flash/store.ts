// The camera's durable segment store on raw NAND flash (docs/FORMAT.md, "The
// camera's flash"): sealed segments stay here, across power cuts, until the
// dock has them.
//
// There is no table on the chip. Each used block starts with a header page
// naming its object and its place in it; an object's bytes fill pages 1… of
// its blocks in order; one commit record page after the last data page makes
// it a segment. Boot reads every block and keeps exactly the objects whose
// commit record, blocks, length and SHA-256 agree; everything else is what a
// power cut left of unfinished work, and boot erases it.
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
// Choices the format leaves to the implementation (documented here):
//   - open writes nothing: block 0 (header first) is written when the first
//     full page of data is, or at commit; an aborted empty segment costs no
//     erase;
//   - allocation goes round-robin over the blocks from just after the last
//     block allocated (wear spreads over the chip); at boot the cursor starts
//     at the beginning of the longest run of free blocks, which is where
//     round-robin writing with oldest-first deletion left off;
//   - a program or erase the chip reports as failed (FlashError) breaks the
//     open segment (append/commit throw until abort). An erase that fails
//     during abort or delete leaves the block "dirty": counted as used,
//     erased again when allocation reaches it, or by the next boot.
//
// Memory: one page buffer per open segment; boot and read-back hold one
// block (or one 64 KiB chunk) at a time, never a whole object, plus one
// block of 0xFF kept to recognise erased blocks with a memcmp.
import { createHash, type Hash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestFromBlob, manifestHash, manifestJson, type Manifest } from "../evidence/manifest.ts";
import { segmentName, type CommittedSegment, type SegmentSink } from "../store/segments.ts";
import { FlashError, type FlashDevice } from "./device.ts";

/** Magic of a block header (8 ASCII bytes). */
export const BLOCK_MAGIC = "SCAMFLB1";
/** Magic of a commit record (8 ASCII bytes). */
export const COMMIT_MAGIC = "SCAMCMT1";
/** Object id: recording id (16) ‖ sequence number (4, little-endian). */
export const OBJECT_ID_BYTES = 20;
/** Block header: magic, id, ordinal, SHA-256 of those 32 bytes. */
export const BLOCK_HEADER_BYTES = 64;
/** Commit record: magic, id, blocks, length, SHA-256, manifest blob, SHA-256 of the 323 bytes before. */
export const COMMIT_RECORD_BYTES = 355;
/** `readAgeChunks` yields pieces of this size (the last may be shorter). */
export const READ_CHUNK_BYTES = 64 * 1024;

// Offsets (FORMAT.md's tables).
const H_ID = 8, H_ORDINAL = 28, H_HASH = 32;
const C_ID = 8, C_BLOCKS = 28, C_LENGTH = 32, C_SHA = 40, C_BLOB = 72, C_HASH = 323;

const FREE = 0, USED = 1, DIRTY = 2;

/** A committed segment in flash. */
export interface StoredSegment {
  /** Object id, 40 lowercase hex (recording id ‖ sequence, little-endian). */
  id: string;
  /** `<recording hex>-<sequence, 6 digits>`: the base name of its files when exported. */
  name: string;
  manifest: Manifest;
  /** Manifest hash: SHA-256 of the signed message. */
  manifestHash: Uint8Array;
  /** Length of the `.age` file. */
  ageBytes: number;
  /** SHA-256 of the `.age` file, 64 lowercase hex. */
  ageSha256: string;
  /** The blocks it occupies, in ordinal order (the last holds the commit record). */
  blocks: number[];
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
  milliseconds: number;
}

/** The 20-byte object id of segment `sequence` of `recording` (16 bytes or 32 hex), as 40 lowercase hex. */
export function objectId(recording: Uint8Array | string, sequence: number): string {
  const rec = typeof recording === "string" ? recording : Buffer.from(recording).toString("hex");
  if (!/^[0-9a-f]{32}$/.test(rec)) throw new SealcamError("flash: recording id must be 16 bytes", EXIT.INTERNAL);
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) throw new SealcamError(`flash: bad sequence number ${sequence}`, EXIT.INTERNAL);
  const seq = Buffer.alloc(4);
  seq.writeUInt32LE(sequence);
  return rec + seq.toString("hex");
}

const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();

function nameOfId(id: string): string {
  return segmentName(id.slice(0, 32), Buffer.from(id.slice(32), "hex").readUInt32LE(0));
}

/** The header page of block `ordinal` of object `id` (64 bytes; the device pads the page with 0xFF). */
function encodeHeader(id: Uint8Array, ordinal: number): Uint8Array {
  const h = Buffer.alloc(BLOCK_HEADER_BYTES);
  h.write(BLOCK_MAGIC, 0, "latin1");
  h.set(id, H_ID);
  h.writeUInt32LE(ordinal, H_ORDINAL);
  sha256(h.subarray(0, H_HASH)).copy(h, H_HASH);
  return h;
}

const ERASED = "erased" as const;
const INVALID = "invalid" as const;

/** Reads a header page: the object and ordinal it names, or whether it is erased or does not check out. */
function decodeHeader(page: Uint8Array): { id: string; ordinal: number } | typeof ERASED | typeof INVALID {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  if (allErased(p)) return ERASED;
  if (p.toString("latin1", 0, 8) !== BLOCK_MAGIC) return INVALID;
  if (!sha256(p.subarray(0, H_HASH)).equals(p.subarray(H_HASH, BLOCK_HEADER_BYTES))) return INVALID;
  return { id: p.toString("hex", H_ID, H_ORDINAL), ordinal: p.readUInt32LE(H_ORDINAL) };
}

interface CommitRecord {
  id: string;
  blocks: number;
  length: number;
  sha256: string;
  blob: Uint8Array;
}

function encodeCommit(id: Uint8Array, blocks: number, length: number, digest: Uint8Array, blob: Uint8Array): Uint8Array {
  const c = Buffer.alloc(COMMIT_RECORD_BYTES);
  c.write(COMMIT_MAGIC, 0, "latin1");
  c.set(id, C_ID);
  c.writeUInt32LE(blocks, C_BLOCKS);
  c.writeBigUInt64LE(BigInt(length), C_LENGTH);
  c.set(digest, C_SHA);
  c.set(blob, C_BLOB);
  sha256(c.subarray(0, C_HASH)).copy(c, C_HASH);
  return c;
}

/** A commit record if `page` starts with one that checks out (magic and SHA-256), else undefined. */
function decodeCommit(page: Uint8Array): CommitRecord | undefined {
  const p = Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  if (p.toString("latin1", 0, 8) !== COMMIT_MAGIC) return undefined;
  if (!sha256(p.subarray(0, C_HASH)).equals(p.subarray(C_HASH, COMMIT_RECORD_BYTES))) return undefined;
  const length = p.readBigUInt64LE(C_LENGTH);
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return {
    id: p.toString("hex", C_ID, C_BLOCKS),
    blocks: p.readUInt32LE(C_BLOCKS),
    length: Number(length),
    sha256: p.toString("hex", C_SHA, C_BLOB),
    blob: new Uint8Array(p.subarray(C_BLOB, C_HASH)),
  };
}

/** 0xFF bytes to compare against (memcmp), grown to the largest length asked: one block. */
let erasedBytes = Buffer.alloc(0);

function allErased(b: Uint8Array): boolean {
  if (erasedBytes.length < b.length) erasedBytes = Buffer.alloc(b.length, 0xff);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(erasedBytes.subarray(0, b.length));
}

/** What the sink needs of its store; kept off FlashStore's public surface. */
interface Allocator {
  readonly device: FlashDevice;
  /** Takes a free block for object `id` (round-robin); throws "storage full" when there is none. */
  allocate(id: string, name: string): number;
  /** Erases blocks in the order given; a failed erase leaves the block dirty. PowerCut propagates. */
  release(blocks: readonly number[], why: string): void;
  /** Reserves `id` for a sink; throws if it is committed, open in a sink, or holds any block. */
  claim(id: string, name: string): void;
  /** Ends the reservation: the segment was committed (then `segment` joins the store) or aborted. */
  settle(id: string, segment?: StoredSegment): void;
}

/**
 * The flash store: boot it over a device, list and read back its segments,
 * delete them once docked, and write new ones through `sink()`.
 */
export class FlashStore {
  readonly device: FlashDevice;
  /** What the boot that made this store found and did. */
  readonly recovered: BootReport;
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

  private constructor(device: FlashDevice, log: (line: string) => void) {
    this.device = device;
    this.log = log;
    const g = device.geometry;
    this.pageBytes = g.pageBytes;
    this.pagesPerBlock = g.pagesPerBlock;
    this.blockBytes = device.blockBytes;
    this.dataPerBlock = g.pageBytes * (g.pagesPerBlock - 1);
    this.state = new Uint8Array(g.blocks).fill(USED);
    this.owner = new Array<string>(g.blocks).fill("");
    this.recovered = { committed: [], discarded: [], erased: [], failed: [], milliseconds: 0 };
    this.access = {
      device,
      allocate: (id, name) => this.allocate(id, name),
      release: (blocks, why) => void this.eraseBlocks(blocks, why),
      claim: (id, name) => {
        if (this.objects.has(id) || this.writing.has(id) || this.owner.includes(id)) throw new SealcamError(`segment ${name} already exists in the flash`, EXIT.USAGE);
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
   * SHA-256, the manifest blob describes them); erases every other block
   * that is not entirely 0xFF (blocks holding a commit record first). Logs one
   * line per thing discarded and a summary. Only erases, so a power cut
   * during boot (PowerCut propagates) is finished by the next boot.
   */
  static boot(device: FlashDevice, log: (line: string) => void = () => {}): FlashStore {
    const started = performance.now();
    const store = new FlashStore(device, log);
    const { blocks, pagesPerBlock, pageBytes } = device.geometry;
    const report = store.recovered;
    interface Group { members: { block: number; ordinal: number }[]; commits: { block: number; page: number; record: CommitRecord }[] }
    const groups = new Map<string, Group>();
    const discards: DiscardedObject[] = [];

    for (let b = 0; b < blocks; b++) {
      const data = device.read(b * store.blockBytes, store.blockBytes);
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

    const found: StoredSegment[] = [];
    for (const id of [...groups.keys()].sort()) {
      const group = groups.get(id)!;
      const result = store.check(id, group.members, group.commits);
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
      `${store.freeBlocks} of ${blocks} blocks free (${report.milliseconds.toFixed(1)} ms)`);
    return store;
  }

  /** Blocks erased and ready for new data. */
  get freeBlocks(): number {
    let n = 0;
    for (const s of this.state) if (s === FREE) n++;
    return n;
  }

  /** Blocks not free: held by committed segments, by a segment being written, or awaiting an erase. */
  get usedBlocks(): number {
    return this.state.length - this.freeBlocks;
  }

  /** The committed segments, in (recording, sequence) order. */
  list(): StoredSegment[] {
    return [...this.objects.values()].sort((a, b) =>
      a.manifest.recording < b.manifest.recording ? -1 : a.manifest.recording > b.manifest.recording ? 1 : a.manifest.sequence - b.manifest.sequence);
  }

  /**
   * The `.age` file of committed segment `id`, in pieces of READ_CHUNK_BYTES
   * (the last shorter), each a fresh array. The bytes are hashed as they are
   * read; the last piece is released only if the SHA-256 matches the commit
   * record, else a SealcamError is thrown instead of it (flash that decayed
   * since boot).
   */
  *readAgeChunks(id: string): Generator<Uint8Array, void, undefined> {
    const segment = this.need(id);
    const hash = createHash("sha256");
    let at = 0;
    while (at < segment.ageBytes) {
      if (this.objects.get(id) !== segment) throw new SealcamError(`flash: segment ${segment.name} was deleted while being read`, EXIT.INTERNAL);
      const n = Math.min(READ_CHUNK_BYTES, segment.ageBytes - at);
      const chunk = this.readData(segment, at, n);
      hash.update(chunk);
      at += n;
      if (at === segment.ageBytes && hash.digest("hex") !== segment.ageSha256) {
        throw new SealcamError(`flash: segment ${segment.name}: the bytes read back do not match its commit record`, EXIT.EVIDENCE);
      }
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
    for (const segment of this.list()) {
      writeExclusive(join(dir, `${segment.name}.age`), (fd) => {
        for (const chunk of this.readAgeChunks(segment.id)) writeAll(fd, chunk);
      });
      writeExclusive(join(dir, `${segment.name}.manifest.json`), (fd) => writeAll(fd, Buffer.from(manifestJson(segment.manifest))));
      names.push(segment.name);
    }
    return names;
  }

  /** A sink for the recorder: writes segments into this store (FlashSink). */
  sink(): FlashSink {
    return new FlashSink(this.access);
  }

  /** Checks one object found at boot: its StoredSegment, or why it is not a segment. */
  private check(id: string, members: { block: number; ordinal: number }[], commits: { block: number; page: number; record: CommitRecord }[]): StoredSegment | string {
    if (commits.length === 0) return "no commit record (a segment interrupted before its commit)";
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
      ageBytes: record.length, ageSha256: record.sha256, blocks: byOrdinal.map((m) => m.block),
    };
    const hash = createHash("sha256");
    for (let i = 0; i < n; i++) {
      const take = Math.min(this.dataPerBlock, record.length - i * this.dataPerBlock);
      if (take > 0) hash.update(this.device.read(segment.blocks[i] * this.blockBytes + this.pageBytes, take));
    }
    if (hash.digest("hex") !== record.sha256) return "its bytes do not match its commit record's SHA-256 (an interrupted deletion)";
    return segment;
  }

  /** `n` bytes of a segment's data from byte `at`, across its blocks. */
  private readData(segment: StoredSegment, at: number, n: number): Uint8Array {
    let out: Uint8Array | undefined;
    let done = 0;
    while (done < n) {
      const pos = at + done;
      const ordinal = Math.floor(pos / this.dataPerBlock);
      const within = pos - ordinal * this.dataPerBlock;
      const take = Math.min(n - done, this.dataPerBlock - within);
      const piece = this.device.read(segment.blocks[ordinal] * this.blockBytes + this.pageBytes + within, take);
      if (take === n) return piece;
      (out ??= new Uint8Array(n)).set(piece, done);
      done += take;
    }
    return out ?? new Uint8Array(0);
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

  /** The next free block from the cursor on (a dirty one is erased first); "storage full" when none. */
  private allocate(id: string, name: string): number {
    const n = this.state.length;
    for (let i = 0; i < n; i++) {
      const b = (this.cursor + i) % n;
      if (this.state[b] === DIRTY) this.eraseBlocks([b], "reclaiming a dirty block");
      if (this.state[b] !== FREE) continue;
      this.state[b] = USED;
      this.owner[b] = id;
      this.cursor = (b + 1) % n;
      return b;
    }
    throw new SealcamError(`storage full: no free flash block for segment ${name} (all ${n} blocks in use)`, EXIT.USAGE);
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

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

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

interface OpenObject {
  id: string;
  idBytes: Uint8Array;
  name: string;
  recording: string;
  sequence: number;
  /** Blocks taken so far, in ordinal order. */
  blocks: number[];
  /** Next page to program in the last block (pagesPerBlock when it is full). */
  page: number;
  hash: Hash;
  bytes: number;
  /** Data not yet programmed: less than one page. */
  buffer: Uint8Array;
  fill: number;
  /** Set once a write failed: the segment can only be aborted. */
  broken?: string;
}

/**
 * The storage imports (SegmentSink) over a FlashStore. Appended bytes go
 * into a one-page buffer; each full page is programmed at once. A block
 * (header page first) is taken when the last one is full. Commit programs
 * the last partial page and the commit record. A failure (storage full, a
 * chip error) throws a SealcamError and leaves the segment for `abort`,
 * which erases its blocks; a PowerCut propagates unchanged.
 */
export class FlashSink implements SegmentSink {
  private readonly store: Allocator;
  private readonly device: FlashDevice;
  private readonly pageBytes: number;
  private readonly pagesPerBlock: number;
  private current: OpenObject | undefined;

  constructor(store: Allocator) {
    this.store = store;
    this.device = store.device;
    this.pageBytes = store.device.geometry.pageBytes;
    this.pagesPerBlock = store.device.geometry.pagesPerBlock;
  }

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  /** Bytes appended to the open segment so far. */
  get appended(): number {
    return this.current?.bytes ?? 0;
  }

  /**
   * Begins segment `sequence` of `recording` (16 bytes). Writes nothing yet.
   * Refuses a second open segment and an id already in the flash.
   */
  open(recording: Uint8Array, sequence: number): void {
    if (this.current) throw new SealcamError(`storage: segment ${this.current.name} is still open`, EXIT.INTERNAL);
    if (recording.length !== 16) throw new SealcamError("storage: recording id must be 16 bytes", EXIT.INTERNAL);
    const id = objectId(recording, sequence);
    const name = segmentName(recording, sequence);
    this.store.claim(id, name);
    this.current = {
      id, idBytes: new Uint8Array(Buffer.from(id, "hex")), name, recording: id.slice(0, 32), sequence,
      blocks: [], page: this.pagesPerBlock, hash: createHash("sha256"), bytes: 0,
      buffer: new Uint8Array(this.pageBytes), fill: 0,
    };
  }

  /** Appends bytes (copied or programmed before returning; the caller may reuse them). */
  append(bytes: Uint8Array): void {
    const seg = this.need("append");
    this.guard(seg, () => {
      seg.hash.update(bytes);
      let at = 0;
      if (seg.fill > 0) {
        const take = Math.min(this.pageBytes - seg.fill, bytes.length);
        seg.buffer.set(bytes.subarray(0, take), seg.fill);
        seg.fill += take;
        at = take;
        if (seg.fill === this.pageBytes) {
          this.programData(seg, seg.buffer);
          seg.fill = 0;
        }
      }
      for (; bytes.length - at >= this.pageBytes; at += this.pageBytes) this.programData(seg, bytes.subarray(at, at + this.pageBytes));
      if (at < bytes.length) {
        seg.buffer.set(bytes.subarray(at), seg.fill);
        seg.fill += bytes.length - at;
      }
      seg.bytes += bytes.length;
    });
  }

  /** SHA-256 of every byte appended to the open segment so far. */
  digest(): Uint8Array {
    return new Uint8Array(this.need("digest").hash.copy().digest());
  }

  /**
   * Commits the open segment with the module's 251-byte manifest blob, which
   * must name this segment and describe the bytes appended (as
   * SegmentStore.commit checks). Programs the last partial page, then the
   * commit record: in the same block if a page is left, else in one more
   * block. The segment exists once that page is programmed.
   */
  commit(blob: Uint8Array): CommittedSegment {
    const seg = this.need("commit");
    const manifest = manifestFromBlob(blob);
    const digest = seg.hash.copy().digest();
    if (manifest.recording !== seg.recording || manifest.sequence !== seg.sequence) {
      throw new SealcamError(`storage: manifest names segment ${segmentName(manifest.recording, manifest.sequence)}, not ${seg.name}`, EXIT.INTERNAL);
    }
    if (manifest.age_bytes !== seg.bytes || manifest.age_sha256 !== digest.toString("hex")) {
      throw new SealcamError(`storage: manifest of ${seg.name} does not describe the bytes written`, EXIT.INTERNAL);
    }
    this.guard(seg, () => {
      if (seg.fill > 0) {
        this.programData(seg, seg.buffer.subarray(0, seg.fill));
        seg.fill = 0;
      }
      if (seg.page === this.pagesPerBlock) this.takeBlock(seg);
      const last = seg.blocks[seg.blocks.length - 1];
      this.device.program(last * this.pagesPerBlock + seg.page, encodeCommit(seg.idBytes, seg.blocks.length, seg.bytes, digest, blob));
      seg.page++;
    });
    const segment: StoredSegment = {
      id: seg.id, name: seg.name, manifest, manifestHash: manifestHash(manifest),
      ageBytes: seg.bytes, ageSha256: manifest.age_sha256, blocks: seg.blocks,
    };
    this.store.settle(seg.id, segment);
    this.current = undefined;
    return { name: seg.name, agePath: "", manifestPath: "", manifest, manifestHash: segment.manifestHash };
  }

  /**
   * Discards the open segment: erases its blocks from the last to the first.
   * Does nothing when none is open. A failed erase leaves that block dirty
   * (erased before reuse, or by the next boot); never throws but a PowerCut.
   */
  abort(): void {
    const seg = this.current;
    if (!seg) return;
    this.current = undefined;
    this.store.settle(seg.id);
    this.store.release([...seg.blocks].reverse(), `aborting ${seg.name}`);
  }

  private need(op: string): OpenObject {
    const seg = this.current;
    if (!seg) throw new SealcamError(`storage: ${op} with no open segment`, EXIT.INTERNAL);
    if (seg.broken && op !== "digest") throw new SealcamError(`storage: segment ${seg.name} cannot go on after a failed write (${seg.broken}); abort it`, EXIT.INTERNAL);
    return seg;
  }

  /** Runs a write; any failure breaks the segment. FlashError becomes a one-line SealcamError; the rest propagate as they are. */
  private guard(seg: OpenObject, work: () => void): void {
    try {
      work();
    } catch (e) {
      seg.broken = e instanceof Error ? e.message : String(e);
      if (e instanceof FlashError) throw new SealcamError(`storage: flash write of ${seg.name} failed: ${e.message}`, EXIT.USAGE);
      throw e;
    }
  }

  /** Programs one data page (a shorter one only as the object's last), taking a block when the last is full. */
  private programData(seg: OpenObject, page: Uint8Array): void {
    if (seg.page === this.pagesPerBlock) this.takeBlock(seg);
    this.device.program(seg.blocks[seg.blocks.length - 1] * this.pagesPerBlock + seg.page, page);
    seg.page++;
  }

  /** Takes the next block and programs its header; the object's next page is its page 1. */
  private takeBlock(seg: OpenObject): void {
    const block = this.store.allocate(seg.id, seg.name);
    seg.blocks.push(block);
    seg.page = 1;
    this.device.program(block * this.pagesPerBlock, encodeHeader(seg.idBytes, seg.blocks.length - 1));
  }
}
