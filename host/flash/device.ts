// A simulated NAND flash chip, backed by an image file, with fault injection:
// what a camera's storage does when the battery is pulled.
//
// The chip is `blocks` erase blocks of `pagesPerBlock` pages of `pageBytes`.
// As on NAND: reading is free; a page is programmed whole, at most once
// between erasures of its block (programming a page that is not erased is a
// driver bug and throws); erasing sets a whole block to 0xFF. The image file
// is the chip: every program and erase lands in it at once, so a "reboot" is
// reopening the file, and whatever a power cut left is what the next boot
// sees.
//
// Faults are planned by the operation number (every program and erase counts
// one, from 1 across the life of the FlashDevice object):
//   - cutAt N: operation N is torn (a program writes a random-length prefix
//     of its page and random bytes after it; an erase leaves each page of the
//     block erased, untouched or garbage, at random) and the power is off:
//     that and every later operation throws PowerCut;
//   - failAt N: operation N reports a failure (FlashError) and changes nothing,
//     as a chip reports a program or erase status failure; the device goes on.
// The randomness is seeded, so a fault replays exactly.
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { SealcamError, EXIT } from "../errors.ts";

export interface FlashGeometry {
  pageBytes: number;
  pagesPerBlock: number;
  blocks: number;
}

export interface FaultPlan {
  /** Cut the power during this operation (1-based). */
  cutAt?: number;
  /** These operations fail cleanly (status failure, nothing changed). */
  failAt?: readonly number[];
  /** Seed for what a torn operation leaves. */
  seed?: number;
}

/** The power went off: the device does nothing more until it is reopened. */
export class PowerCut extends Error {
  constructor(readonly operation: number) {
    super(`power cut at flash operation ${operation}`);
    this.name = "PowerCut";
  }
}

/** A program or erase the chip reported as failed. */
export class FlashError extends Error {
  constructor(message: string, readonly operation: number) {
    super(message);
    this.name = "FlashError";
  }
}

/** A small seeded generator (xorshift32): enough to scatter torn bytes reproducibly. */
class Scatter {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
  fill(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) b[i] = this.next() & 0xff;
  }
}

export class FlashDevice {
  readonly geometry: FlashGeometry;
  readonly blockBytes: number;
  readonly capacity: number;
  private fd: number;
  private operations = 0;
  private dead = false;
  private readonly plan: FaultPlan;
  private readonly scatter: Scatter;

  private constructor(fd: number, geometry: FlashGeometry, plan: FaultPlan) {
    this.fd = fd;
    this.geometry = geometry;
    this.blockBytes = geometry.pageBytes * geometry.pagesPerBlock;
    this.capacity = this.blockBytes * geometry.blocks;
    this.plan = plan;
    this.scatter = new Scatter(plan.seed ?? 1);
  }

  /**
   * Opens the image at `path`, creating it erased (all 0xFF) when it does not
   * exist. An existing image must be exactly the geometry's size.
   */
  static open(path: string, geometry: FlashGeometry, plan: FaultPlan = {}): FlashDevice {
    checkGeometry(geometry);
    const size = geometry.pageBytes * geometry.pagesPerBlock * geometry.blocks;
    let fd: number;
    let created = false;
    try {
      fd = openSync(path, "wx+");
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new SealcamError(`flash image ${path}: ${(e as Error).message}`, EXIT.USAGE);
      fd = openSync(path, "r+");
    }
    if (created) {
      ftruncateSync(fd, size);
      const erased = Buffer.alloc(geometry.pageBytes * geometry.pagesPerBlock, 0xff);
      for (let b = 0; b < geometry.blocks; b++) writeSync(fd, erased, 0, erased.length, b * erased.length);
    } else {
      const actual = fstatSync(fd).size;
      if (actual !== size) {
        closeSync(fd);
        throw new SealcamError(`flash image ${path}: ${actual} bytes, but the geometry makes ${size}`, EXIT.USAGE);
      }
    }
    return new FlashDevice(fd, geometry, plan);
  }

  /** Program and erase operations so far (what a FaultPlan counts). */
  get operationCount(): number {
    return this.operations;
  }

  get powered(): boolean {
    return !this.dead;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Reads `length` bytes at a byte address (reads never fail and are not counted). */
  read(address: number, length: number): Uint8Array {
    if (this.dead) throw new PowerCut(this.operations);
    if (address < 0 || length < 0 || address + length > this.capacity) throw new RangeError(`flash read ${address}+${length} outside ${this.capacity}`);
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const n = readSync(this.fd, out, at, length - at, address + at);
      if (n <= 0) throw new SealcamError("flash image: short read", EXIT.INTERNAL);
      at += n;
    }
    return out;
  }

  readPage(page: number): Uint8Array {
    return this.read(page * this.geometry.pageBytes, this.geometry.pageBytes);
  }

  /** Programs one page (data shorter than a page is padded with 0xFF). */
  program(page: number, data: Uint8Array): void {
    const { pageBytes } = this.geometry;
    if (page < 0 || page >= this.geometry.blocks * this.geometry.pagesPerBlock) throw new RangeError(`flash page ${page} out of range`);
    if (data.length > pageBytes) throw new RangeError(`${data.length} bytes do not fit a ${pageBytes}-byte page`);
    const op = this.begin();
    const current = this.read(page * pageBytes, pageBytes);
    if (!current.every((b) => b === 0xff)) throw new Error(`flash page ${page} programmed twice without an erase (a driver bug)`);
    const bytes = new Uint8Array(pageBytes).fill(0xff);
    bytes.set(data);
    if (op === this.plan.cutAt) {
      // A torn program: some prefix lands, the rest of the page is noise.
      const keep = this.scatter.below(pageBytes + 1);
      const noise = new Uint8Array(pageBytes - keep);
      this.scatter.fill(noise);
      bytes.set(noise, keep);
      this.write(page * pageBytes, bytes);
      this.die(op);
    }
    this.write(page * pageBytes, bytes);
  }

  /** Erases one block to 0xFF. */
  erase(block: number): void {
    if (block < 0 || block >= this.geometry.blocks) throw new RangeError(`flash block ${block} out of range`);
    const op = this.begin();
    const { pageBytes, pagesPerBlock } = this.geometry;
    const erased = new Uint8Array(pageBytes).fill(0xff);
    if (op === this.plan.cutAt) {
      // A torn erase: each page erased, left as it was, or noise.
      for (let p = 0; p < pagesPerBlock; p++) {
        const fate = this.scatter.below(3);
        if (fate === 0) this.write((block * pagesPerBlock + p) * pageBytes, erased);
        else if (fate === 1) {
          const noise = new Uint8Array(pageBytes);
          this.scatter.fill(noise);
          this.write((block * pagesPerBlock + p) * pageBytes, noise);
        }
      }
      this.die(op);
    }
    const whole = new Uint8Array(this.blockBytes).fill(0xff);
    this.write(block * this.blockBytes, whole);
  }

  private begin(): number {
    if (this.dead) throw new PowerCut(this.operations);
    const op = ++this.operations;
    if (this.plan.failAt?.includes(op)) throw new FlashError(`flash operation ${op} failed (status error)`, op);
    return op;
  }

  private die(op: number): never {
    this.dead = true;
    throw new PowerCut(op);
  }

  private write(address: number, bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at, address + at);
  }
}

export function checkGeometry(g: FlashGeometry): void {
  const ok = (n: number, min: number) => Number.isSafeInteger(n) && n >= min;
  if (!ok(g.pageBytes, 512) || (g.pageBytes & (g.pageBytes - 1)) !== 0) throw new SealcamError(`flash page size must be a power of two of at least 512 bytes, not ${g.pageBytes}`, EXIT.USAGE);
  if (!ok(g.pagesPerBlock, 2)) throw new SealcamError(`flash blocks need at least 2 pages, not ${g.pagesPerBlock}`, EXIT.USAGE);
  if (!ok(g.blocks, 4)) throw new SealcamError(`flash needs at least 4 blocks, not ${g.blocks}`, EXIT.USAGE);
}
