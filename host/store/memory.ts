// A segment sink in memory: the storage imports without a file system. It
// hashes and counts what the module appends, checks and decodes each manifest
// like the directory store, and keeps the bytes only when asked to. For the
// benchmark (store cost = memory) and for long-running tests.
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
