// Writing a segment into the flash (docs/FORMAT.md, "The camera's flash"):
// FlashSink, the recorder's SegmentSink over a FlashStore. It programs data
// pages, block headers and, last of all, the commit record; the store hands
// it blocks and takes the segment in once committed.
//
// The commit record is the last page the sink programs, so a segment exists
// only once its record is on the chip (the rest of why a power cut never
// damages a committed segment is in store.ts).
//
// Choices the format leaves to the implementation (documented here):
//   - open writes nothing: block 0 (header first) is written when the first
//     full page of data is, or at commit; an aborted empty segment costs no
//     erase;
//   - a program or erase the chip reports as failed (FlashError) breaks the
//     open segment (append/commit throw until abort).
//
// Memory: one page buffer per open segment.
import { createHash, type Hash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestFromBlob, manifestHash } from "../evidence/manifest.ts";
import { segmentName, type CommittedSegment, type SegmentSink } from "../store/segments.ts";
import { FlashError, type FlashDevice } from "./device.ts";
import { encodeCommit, encodeHeader, objectId, type StoredSegment } from "./layout.ts";

/** What the sink needs of its store; kept off FlashStore's public surface. */
export interface Allocator {
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
