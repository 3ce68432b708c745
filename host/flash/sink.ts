// Writing a segment into the flash (docs/FORMAT.md, "The camera's flash"):
// FlashSink, the recorder's SegmentSink over a FlashStore. It programs data
// pages, block headers and, last of all, the commit record; the store hands
// it blocks and takes the segment in once committed.
//
// The commit record is the last page the sink programs, so a segment exists
// only once its record is on the chip (the rest of why a power cut never
// damages a committed segment is in store.ts).
//
// Parked segments (docs/ABI.md "Pre-event buffer"): `park` keeps the open
// object as it is, uncommitted, keyed by (recording, sequence), and frees the
// sink for the next one; any number may be parked while another is open.
// `unpark` appends the age header to the object as further data pages (the
// commit record says how many bytes at the end are the `.age` file's start),
// programs the last partial page and answers SHA-256(header ‖ payload) from
// the bytes read back from the chip; `commitParked` programs the commit
// record; `drop` erases it as abort does. A parked object has no commit
// record, so a boot erases it: correct, its keys died with the module.
//
// Choices the format leaves to the implementation (documented here):
//   - open writes nothing: block 0 (header first) is written when the first
//     full page of data is, or at commit; an aborted empty segment costs no
//     erase;
//   - a program or erase the chip reports as failed (FlashError) breaks the
//     object (append/commit/unpark throw until abort or drop);
//   - open refuses when fewer than two blocks are free outside the audit
//     reserve, and every block the sink takes must leave the reserve whole
//     (store.ts, DESIGN.md "Storage on the camera"): StorageFullError.
//
// Memory: one page buffer per open or parked object (a parked object's last
// partial page stays in memory until its header follows it).
import { createHash, type Hash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestFromBlob, manifestHash } from "../evidence/manifest.ts";
import { segmentName, type CommittedSegment, type SegmentSink } from "../store/segments.ts";
import { FlashError, type FlashDevice } from "./device.ts";
import { encodeCommit, encodeHeader, objectId, readStored, type StoredSegment } from "./layout.ts";

/** Bytes read back at a time by `unpark`'s check. */
const READ_BACK_BYTES = 64 * 1024;

/** What the sink needs of its store; kept off FlashStore's public surface. */
export interface Allocator {
  readonly device: FlashDevice;
  /** Takes a free block for object `id` (round-robin), outside the audit reserve; throws StorageFullError when there is none. */
  allocate(id: string, name: string): number;
  /** Erases blocks in the order given; a failed erase leaves the block dirty. PowerCut propagates. */
  release(blocks: readonly number[], why: string): void;
  /**
   * Reserves `id` for a sink; throws if it is committed, open or parked in a
   * sink, or holds any block, and StorageFullError when the free blocks
   * outside the audit reserve could not hold a block of data and a commit
   * record.
   */
  claim(id: string, name: string): void;
  /** Ends the reservation: the segment was committed (then `segment` joins the store) or aborted or dropped. */
  settle(id: string, segment?: StoredSegment): void;
}

interface StoredObject {
  id: string;
  idBytes: Uint8Array;
  name: string;
  recording: string;
  sequence: number;
  /** Blocks taken so far, in ordinal order. */
  blocks: number[];
  /** Next page to program in the last block (pagesPerBlock when it is full). */
  page: number;
  /** SHA-256 of the payload: every byte appended while it was open. */
  hash: Hash;
  /** Bytes of the object so far (payload, then the header once unparked). */
  bytes: number;
  /** Data not yet programmed: less than one page. */
  buffer: Uint8Array;
  fill: number;
  /** open: appending; parked: payload complete; unparked: header written, all programmed, awaiting commitParked. */
  state: "open" | "parked" | "unparked";
  /** Bytes of age header at the end (set by unpark). */
  headerBytes: number;
  /** SHA-256 of the `.age` file (set by unpark). */
  ageDigest?: Buffer;
  /** Set once a write failed: the object can only be aborted or dropped. */
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
  private current: StoredObject | undefined;
  private readonly parked = new Map<string, StoredObject>();

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

  /** Names (`<recording>-<sequence>`) of the parked segments, oldest park first. */
  get parkedNames(): string[] {
    return [...this.parked.values()].map((p) => p.name);
  }

  /**
   * Begins segment `sequence` of `recording` (16 bytes). Writes nothing yet.
   * Refuses a second open segment and an id already in the flash (committed,
   * parked or holding blocks); StorageFullError when the free blocks outside
   * the audit reserve could not hold one block of data and a commit record.
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
      buffer: new Uint8Array(this.pageBytes), fill: 0, state: "open", headerBytes: 0,
    };
  }

  /** Appends bytes (copied or programmed before returning; the caller may reuse them). StorageFullError when no block is left outside the reserve. */
  append(bytes: Uint8Array): void {
    const seg = this.need("append");
    this.guard(seg, () => {
      seg.hash.update(bytes);
      this.write(seg, bytes);
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
    const manifest = this.checkManifest(seg, blob, seg.hash.copy().digest());
    this.guard(seg, () => {
      this.flush(seg);
      this.programCommit(seg, blob);
    });
    this.current = undefined;
    return this.committed(seg, manifest);
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
    this.erase(seg, `aborting ${seg.name}`);
  }

  /**
   * Parks the open segment (docs/ABI.md "Pre-event buffer"): its payload is
   * complete; it stays uncommitted, invisible and in the flash as it is (its
   * last partial page in memory), keyed by its recording and sequence, and
   * the sink has no open segment. Writes nothing.
   */
  park(): void {
    const seg = this.need("park");
    seg.state = "parked";
    this.parked.set(seg.id, seg);
    this.current = undefined;
  }

  /**
   * Gives parked segment (`recording`, `sequence`) its age header: appends
   * `header` to the stored object after the payload, programs its last
   * partial page, then reads the whole object back from the chip and checks
   * that the payload hashes as it did when appended and the header is as
   * given. Returns SHA-256(header ‖ payload), the `.age` file's, from the
   * bytes read back (32 bytes). Throws (the segment is then only fit to be
   * dropped) on a chip error, StorageFullError, or a read-back mismatch.
   */
  unpark(recording: Uint8Array, sequence: number, header: Uint8Array): Uint8Array {
    const seg = this.needParked(recording, sequence, "unpark", "parked");
    const payload = seg.bytes;
    const headerCopy = header.slice();
    this.guard(seg, () => {
      this.write(seg, headerCopy);
      this.flush(seg);
    });
    seg.headerBytes = headerCopy.length;
    seg.state = "unparked";
    // The read-back check: what the chip holds, not what was meant to go there.
    const age = createHash("sha256");
    const back = readStored(this.device, seg.blocks, payload, headerCopy.length);
    if (!Buffer.from(back).equals(headerCopy)) return this.readBackFailed(seg, "its age header");
    age.update(back);
    const payloadHash = createHash("sha256");
    for (let at = 0; at < payload; at += READ_BACK_BYTES) {
      const chunk = readStored(this.device, seg.blocks, at, Math.min(READ_BACK_BYTES, payload - at));
      payloadHash.update(chunk);
      age.update(chunk);
    }
    if (!payloadHash.digest().equals(seg.hash.copy().digest())) return this.readBackFailed(seg, "its payload");
    seg.ageDigest = age.digest();
    return new Uint8Array(seg.ageDigest);
  }

  /**
   * Commits parked segment (`recording`, `sequence`), unparked before, with
   * its 251-byte manifest blob, which must describe the `.age` file (header ‖
   * payload): programs its commit record, naming the header bytes at the end.
   */
  commitParked(recording: Uint8Array, sequence: number, blob: Uint8Array): CommittedSegment {
    const seg = this.needParked(recording, sequence, "commit", "unparked");
    const manifest = this.checkManifest(seg, blob, seg.ageDigest!);
    this.guard(seg, () => this.programCommit(seg, blob));
    this.parked.delete(seg.id);
    return this.committed(seg, manifest);
  }

  /**
   * Erases parked segment (`recording`, `sequence`) (it expired, or failed to
   * commit), parked or unparked, broken or not: its blocks from the last to
   * the first, as abort. Throws only when no such segment is parked (or a
   * PowerCut).
   */
  drop(recording: Uint8Array, sequence: number): void {
    const id = objectId(recording, sequence);
    const seg = this.parked.get(id);
    if (!seg) throw new SealcamError(`storage: no parked segment ${segmentName(recording, sequence)}`, EXIT.INTERNAL);
    this.parked.delete(id);
    this.erase(seg, `dropping ${seg.name}`);
  }

  private need(op: string): StoredObject {
    const seg = this.current;
    if (!seg) throw new SealcamError(`storage: ${op} with no open segment`, EXIT.INTERNAL);
    if (seg.broken && op !== "digest") throw new SealcamError(`storage: segment ${seg.name} cannot go on after a failed write (${seg.broken}); abort it`, EXIT.INTERNAL);
    return seg;
  }

  private needParked(recording: Uint8Array, sequence: number, op: string, state: StoredObject["state"]): StoredObject {
    const seg = this.parked.get(objectId(recording, sequence));
    const name = segmentName(recording, sequence);
    if (!seg) throw new SealcamError(`storage: ${op}: no parked segment ${name}`, EXIT.INTERNAL);
    if (seg.broken) throw new SealcamError(`storage: parked segment ${name} cannot go on after a failed write (${seg.broken}); drop it`, EXIT.INTERNAL);
    if (seg.state !== state) throw new SealcamError(`storage: ${op}: parked segment ${name} ${seg.state === "unparked" ? "already has its header" : "has no header yet"}`, EXIT.INTERNAL);
    return seg;
  }

  /** The manifest of `blob` if it names `seg` and describes its bytes (length and `.age` SHA-256), else throws. */
  private checkManifest(seg: StoredObject, blob: Uint8Array, digest: Uint8Array) {
    const manifest = manifestFromBlob(blob);
    if (manifest.recording !== seg.recording || manifest.sequence !== seg.sequence) {
      throw new SealcamError(`storage: manifest names segment ${segmentName(manifest.recording, manifest.sequence)}, not ${seg.name}`, EXIT.INTERNAL);
    }
    if (manifest.age_bytes !== seg.bytes || manifest.age_sha256 !== Buffer.from(digest).toString("hex")) {
      throw new SealcamError(`storage: manifest of ${seg.name} does not describe the bytes written`, EXIT.INTERNAL);
    }
    return manifest;
  }

  private committed(seg: StoredObject, manifest: ReturnType<typeof manifestFromBlob>): CommittedSegment {
    const segment: StoredSegment = {
      id: seg.id, name: seg.name, manifest, manifestHash: manifestHash(manifest),
      ageBytes: seg.bytes, headerBytes: seg.headerBytes, ageSha256: manifest.age_sha256, blocks: seg.blocks,
    };
    this.store.settle(seg.id, segment);
    return { name: seg.name, agePath: "", manifestPath: "", manifest, manifestHash: segment.manifestHash };
  }

  /** Ends the reservation and erases the object's blocks, the last first (where a commit record would be). */
  private erase(seg: StoredObject, why: string): void {
    this.store.settle(seg.id);
    this.store.release([...seg.blocks].reverse(), why);
  }

  /** Marks the object broken after a read-back mismatch and throws. */
  private readBackFailed(seg: StoredObject, what: string): never {
    seg.broken = `${what} read back from the flash is not what was written`;
    throw new SealcamError(`storage: parked segment ${seg.name}: ${seg.broken}`, EXIT.EVIDENCE);
  }

  /** Runs a write; any failure breaks the object. FlashError becomes a one-line SealcamError; the rest propagate as they are. */
  private guard(seg: StoredObject, work: () => void): void {
    try {
      work();
    } catch (e) {
      seg.broken = e instanceof Error ? e.message : String(e);
      if (e instanceof FlashError) throw new SealcamError(`storage: flash write of ${seg.name} failed: ${e.message}`, EXIT.USAGE);
      throw e;
    }
  }

  /** Adds bytes to the object: through the page buffer, each full page programmed at once. */
  private write(seg: StoredObject, bytes: Uint8Array): void {
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
  }

  /** Programs the buffered partial page, the object's last data page. */
  private flush(seg: StoredObject): void {
    if (seg.fill === 0) return;
    this.programData(seg, seg.buffer.subarray(0, seg.fill));
    seg.fill = 0;
  }

  /** Programs the commit record after the last data page: in the same block if a page is left, else in one more block. */
  private programCommit(seg: StoredObject, blob: Uint8Array): void {
    if (seg.page === this.pagesPerBlock) this.takeBlock(seg);
    const last = seg.blocks[seg.blocks.length - 1];
    const digest = seg.state === "open" ? seg.hash.copy().digest() : seg.ageDigest!;
    this.device.program(last * this.pagesPerBlock + seg.page, encodeCommit(seg.idBytes, seg.blocks.length, seg.bytes, seg.headerBytes, digest, blob));
    seg.page++;
  }

  /** Programs one data page (a shorter one only as the object's last), taking a block when the last is full. */
  private programData(seg: StoredObject, page: Uint8Array): void {
    if (seg.page === this.pagesPerBlock) this.takeBlock(seg);
    this.device.program(seg.blocks[seg.blocks.length - 1] * this.pagesPerBlock + seg.page, page);
    seg.page++;
  }

  /** Takes the next block and programs its header; the object's next page is its page 1. */
  private takeBlock(seg: StoredObject): void {
    const block = this.store.allocate(seg.id, seg.name);
    seg.blocks.push(block);
    seg.page = 1;
    this.device.program(block * this.pagesPerBlock, encodeHeader(seg.idBytes, seg.blocks.length - 1));
  }
}
