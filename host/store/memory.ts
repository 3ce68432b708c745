// A segment sink in memory: the storage imports without a file system. It
// hashes and counts what the module appends, checks and decodes each manifest
// like the directory store, and keeps the bytes only when asked to. For the
// benchmark (store cost = memory) and for long-running tests. Parked
// pre-event segments need their bytes (the header goes before them), so only
// a sink that keeps bytes can park.
import { createHash } from "node:crypto";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestFromBlob, manifestHash } from "../evidence/manifest.ts";
import { segmentName, type CommittedSegment, type SegmentSink } from "./segments.ts";
import { segmentHasher, type RunningSha256 } from "./hasher.ts";

export interface MemorySegment extends CommittedSegment {
  /** The `.age` file's bytes, when the sink keeps them. */
  age?: Uint8Array;
}

export class MemorySink implements SegmentSink {
  /** Committed segments (bytes included only with `keep`). */
  readonly committed: MemorySegment[] = [];
  /** Segments aborted so far. */
  aborts = 0;
  private current: { name: string; hash: RunningSha256; bytes: number; chunks: Uint8Array[] | undefined } | undefined;
  /** Parked segments by name: their payload, then (once unparked) the whole `.age` file and its SHA-256. */
  private readonly parked = new Map<string, { payload: Uint8Array; age?: Uint8Array; digest?: string }>();
  /** SHA-256 of the open segment's bytes, on a second thread (hasher.ts); made at the first open. */
  private hasher: RunningSha256 | undefined;

  constructor(private readonly keep = false) {}

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  open(recording: Uint8Array, sequence: number): void {
    if (this.current) throw new SealcamError(`storage: segment ${this.current.name} is still open`, EXIT.INTERNAL);
    if (this.hasher?.failed) {
      this.hasher.close();
      this.hasher = undefined;
    }
    this.hasher ??= segmentHasher();
    this.hasher.reset();
    this.current = { name: segmentName(recording, sequence), hash: this.hasher, bytes: 0, chunks: this.keep ? [] : undefined };
  }

  append(bytes: Uint8Array): void {
    const seg = this.need();
    seg.hash.update(bytes);
    seg.bytes += bytes.length;
    seg.chunks?.push(bytes.slice());
  }

  digest(): Uint8Array {
    return this.need().hash.digest();
  }

  commit(blob: Uint8Array): MemorySegment {
    const seg = this.need();
    const manifest = manifestFromBlob(blob);
    if (manifest.age_bytes !== seg.bytes || manifest.age_sha256 !== Buffer.from(this.digest()).toString("hex")) {
      throw new SealcamError(`storage: manifest of ${seg.name} does not describe the bytes written`, EXIT.INTERNAL);
    }
    const segment: MemorySegment = {
      name: seg.name, agePath: "", manifestPath: "", manifest, manifestHash: manifestHash(manifest),
      age: seg.chunks ? Buffer.concat(seg.chunks) : undefined,
    };
    this.committed.push(segment);
    this.current = undefined;
    return segment;
  }

  abort(): void {
    if (this.current) this.aborts++;
    this.current = undefined;
  }

  /** Parks the open segment (keeps its payload); only a sink made with `keep` can. */
  park(): void {
    const seg = this.need();
    if (!seg.chunks) throw new SealcamError("storage: this memory sink keeps no bytes, so it cannot park a segment", EXIT.INTERNAL);
    this.parked.set(seg.name, { payload: Buffer.concat(seg.chunks) });
    this.current = undefined;
  }

  /** Puts `header` before the parked segment's payload; returns SHA-256(header ‖ payload). */
  unpark(recording: Uint8Array, sequence: number, header: Uint8Array): Uint8Array {
    const p = this.needParked(recording, sequence);
    if (p.age) throw new SealcamError(`storage: parked segment ${segmentName(recording, sequence)} already has its header`, EXIT.INTERNAL);
    p.age = Buffer.concat([header, p.payload]);
    const digest = createHash("sha256").update(p.age).digest();
    p.digest = digest.toString("hex");
    return new Uint8Array(digest);
  }

  /** Commits the parked segment, unparked before, with its manifest blob. */
  commitParked(recording: Uint8Array, sequence: number, blob: Uint8Array): MemorySegment {
    const name = segmentName(recording, sequence);
    const p = this.needParked(recording, sequence);
    const manifest = manifestFromBlob(blob);
    if (!p.age || manifest.age_bytes !== p.age.length || manifest.age_sha256 !== p.digest) {
      throw new SealcamError(`storage: manifest of ${name} does not describe the bytes written`, EXIT.INTERNAL);
    }
    const segment: MemorySegment = { name, agePath: "", manifestPath: "", manifest, manifestHash: manifestHash(manifest), age: p.age };
    this.committed.push(segment);
    this.parked.delete(name);
    return segment;
  }

  /** Forgets the parked segment. */
  drop(recording: Uint8Array, sequence: number): void {
    this.needParked(recording, sequence);
    this.parked.delete(segmentName(recording, sequence));
  }

  private needParked(recording: Uint8Array, sequence: number) {
    const p = this.parked.get(segmentName(recording, sequence));
    if (!p) throw new SealcamError(`storage: no parked segment ${segmentName(recording, sequence)}`, EXIT.INTERNAL);
    return p;
  }

  /** Releases the sink's hash thread; an open segment is aborted first. The next open starts a new one. */
  close(): void {
    this.abort();
    this.hasher?.close();
    this.hasher = undefined;
  }

  private need(): NonNullable<MemorySink["current"]> {
    if (!this.current) throw new SealcamError("storage: no segment is open", EXIT.INTERNAL);
    return this.current;
  }
}
