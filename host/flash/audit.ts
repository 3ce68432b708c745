// The camera's audit log in flash (docs/FORMAT.md "Audit blocks", why in
// docs/DESIGN.md "Storage on the camera"): FlashAudit, the AuditSink the
// recorder hands the module's signed entries to, kept in dedicated audit
// blocks beside the segments. The store (store.ts) finds the audit blocks at
// boot, decides with `recoverAudit` what the log is, and lends the audit its
// block allocator; this file owns what happens inside audit blocks.
//
// An audit block is a header page (magic, a serial that orders the blocks)
// then one entry per page, each followed by its own SHA-256, so a page a
// power cut tore is told from a whole one without any key. Entries go in
// index order, page after page; a page that was torn, or whose program the
// chip reported as failed, is skipped (never programmed twice), and the next
// entry goes to the next page. The log is the run of whole entries with
// consecutive indexes that ends at the last whole entry (the tail): what
// `audit_start` continues after.
//
// `trim` erases whole audit blocks once the dock holds their entries (after
// its signed receipt), oldest first, never the block being appended to nor
// the tail's, so the chain can always be resumed. A cut part-way through a
// trim leaves the oldest remaining block partly erased: its surviving
// entries either still join the log without a gap, or all come before a gap,
// and then the next boot finishes erasing it (`recoverAudit`).
//
// Choices the format leaves to the implementation (documented here):
//   - the store refuses an entry whose index does not follow the tail's, so
//     whole entries on the chip always rise by one (what makes a gap mean an
//     interrupted trim, and only that);
//   - after a program the chip reports as failed, the page is read back: an
//     entry that landed whole counts as stored (the chain must not fork by
//     reusing its index); otherwise the page is skipped and append throws;
//   - audit blocks are taken from the audit reserve first (store.ts).
//
// Memory: the page numbers and indexes of the whole entries, and the tail.
import { SealcamError, EXIT } from "../errors.ts";
import type { AuditSink } from "../camera/audit.ts";
import { FlashError, type FlashDevice } from "./device.ts";
import {
  AUDIT_ENTRY_BYTES, auditIndex, decodeAuditPage, encodeAuditHeader, encodeAuditPage, allErased,
} from "./layout.ts";

/** What the audit needs of its store. */
export interface AuditAccess {
  readonly device: FlashDevice;
  /** Takes a free block for the audit log (the reserve first); throws StorageFullError when there is none at all. */
  allocate(): number;
  /** Erases blocks in the order given; a failed erase leaves the block dirty. PowerCut propagates. */
  release(blocks: readonly number[], why: string): void;
}

/** An audit block as a boot read it. */
export interface AuditBlockScan {
  block: number;
  serial: number;
  /** Whole entries, in page order. */
  entries: { page: number; index: number }[];
  /** The last whole entry's bytes. */
  last?: Uint8Array;
  /** 1 + the last page that is not erased (whole, torn or skipped): where the next entry would go. */
  nextPage: number;
}

/** Reads one audit block (`data`: the whole block, header page first). */
export function scanAuditBlock(data: Uint8Array, block: number, serial: number, pageBytes: number, pagesPerBlock: number): AuditBlockScan {
  const scan: AuditBlockScan = { block, serial, entries: [], nextPage: 1 };
  for (let p = 1; p < pagesPerBlock; p++) {
    const page = data.subarray(p * pageBytes, (p + 1) * pageBytes);
    if (allErased(page)) continue;
    scan.nextPage = p + 1;
    const whole = decodeAuditPage(page);
    if (!whole) continue;
    scan.entries.push({ page: p, index: whole.index });
    scan.last = whole.entry;
  }
  return scan;
}

/**
 * What a boot keeps of the audit blocks it found: the blocks in serial order
 * holding the log (the run of consecutive indexes ending at the last whole
 * entry; entries of the first block before the run are dropped from it), and
 * the blocks to erase, oldest first, with why: those with no whole entry (a
 * block taken as the power died, or whose every page was torn) and those
 * whose entries all come before the run (left by an interrupted trim).
 */
export function recoverAudit(scans: readonly AuditBlockScan[]): { keep: AuditBlockScan[]; discard: { scan: AuditBlockScan; why: string }[]; nextSerial: number } {
  const ordered = [...scans].sort((a, b) => a.serial - b.serial || a.block - b.block);
  const discard: { scan: AuditBlockScan; why: string }[] = [];
  const withEntries = ordered.filter((s) => {
    if (s.entries.length > 0) return true;
    discard.push({ scan: s, why: `audit block (serial ${s.serial}) holds no whole entry (cut as it was taken or written)` });
    return false;
  });
  // Walk back from the tail while the indexes fall by one.
  let start = withEntries.length;
  let startEntry = 0;
  let expected: number | undefined;
  outer: for (let b = withEntries.length - 1; b >= 0; b--) {
    const entries = withEntries[b].entries;
    for (let e = entries.length - 1; e >= 0; e--) {
      if (expected !== undefined && entries[e].index !== expected) break outer;
      expected = entries[e].index - 1;
      start = b;
      startEntry = e;
    }
  }
  const keep: AuditBlockScan[] = [];
  withEntries.forEach((s, b) => {
    if (b < start) discard.push({ scan: s, why: `audit block (serial ${s.serial}): its entries all come before a gap in the log (left by an interrupted trim)` });
    else keep.push(b === start ? { ...s, entries: s.entries.slice(startEntry) } : s);
  });
  discard.sort((a, b) => a.scan.serial - b.scan.serial || a.scan.block - b.scan.block);
  // Above every serial seen, kept or not: a discarded block whose erase fails stays on the chip.
  const nextSerial = ordered.length ? ordered[ordered.length - 1].serial + 1 : 0;
  return { keep, discard, nextSerial };
}

interface AuditBlock {
  block: number;
  serial: number;
  entries: { page: number; index: number }[];
}

/** What `trim` erased. */
export interface AuditTrim {
  /** Audit blocks erased. */
  blocks: number;
  /** Entries erased. */
  entries: number;
  /** Index of the last entry erased (undefined when none was). */
  lastIndex?: number;
}

/**
 * The audit log in the flash's audit blocks. `append` stores an entry
 * durably (one page program, a header page first when a block is taken);
 * `tail` is the last whole entry; `entries` reads the log back from the chip;
 * `trim` erases what the dock holds.
 */
export class FlashAudit implements AuditSink {
  private readonly access: AuditAccess;
  private readonly device: FlashDevice;
  private readonly pagesPerBlock: number;
  /** The log's blocks in serial order; the last is the one being appended to. */
  private readonly list: AuditBlock[];
  private nextPage: number;
  private nextSerial: number;
  private last: Uint8Array | undefined;

  /** The audit log over the blocks a boot kept (recoverAudit's `keep`; new blocks get serials from `nextSerial` on). */
  constructor(access: AuditAccess, kept: readonly AuditBlockScan[], nextSerial: number) {
    this.access = access;
    this.device = access.device;
    this.pagesPerBlock = access.device.geometry.pagesPerBlock;
    this.list = kept.map((s) => ({ block: s.block, serial: s.serial, entries: [...s.entries] }));
    const top = kept.at(-1);
    this.nextPage = top ? top.nextPage : this.pagesPerBlock;
    this.nextSerial = nextSerial;
    this.last = top?.last?.slice();
  }

  /** Blocks holding the log, in serial order. */
  get blocks(): number[] {
    return this.list.map((b) => b.block);
  }

  /** Audit blocks in use. */
  get blockCount(): number {
    return this.list.length;
  }

  /** Entries in the log. */
  get entryCount(): number {
    return this.list.reduce((n, b) => n + b.entries.length, 0);
  }

  /** Index of the log's first entry (undefined when the log is empty). */
  get firstIndex(): number | undefined {
    return this.list.find((b) => b.entries.length > 0)?.entries[0].index;
  }

  /** Index of the tail (undefined when the log is empty). */
  get lastIndex(): number | undefined {
    return this.last === undefined ? undefined : auditIndex(this.last);
  }

  /** The last whole entry stored (a copy), if any: what audit_start continues after. */
  tail(): Uint8Array | undefined {
    return this.last?.slice();
  }

  /**
   * Stores a 200-byte entry durably: one page program (after a header page
   * when the last block is full). The entry's index (u64 at byte 32) must be
   * the tail's + 1 (any index starts an empty log). Throws a SealcamError,
   * and the entry is not stored, on a wrong size or index, a chip error (that
   * page is then skipped), or StorageFullError when no block is free at all;
   * a PowerCut propagates.
   */
  append(entry: Uint8Array): void {
    if (entry.length !== AUDIT_ENTRY_BYTES) throw new SealcamError(`audit: an entry is ${AUDIT_ENTRY_BYTES} bytes, not ${entry.length}`, EXIT.INTERNAL);
    const index = auditIndex(entry);
    if (index === undefined) throw new SealcamError("audit: entry index 2^53 or more", EXIT.INTERNAL);
    const tail = this.lastIndex;
    if (tail !== undefined && index !== tail + 1) throw new SealcamError(`audit: entry ${index} does not follow the last one stored (${tail})`, EXIT.INTERNAL);
    const bytes = encodeAuditPage(entry);
    if (this.nextPage >= this.pagesPerBlock) this.takeBlock();
    const current = this.list[this.list.length - 1];
    // The page is spent whatever happens: a torn or failed page is never programmed again.
    const page = this.nextPage++;
    const address = current.block * this.pagesPerBlock + page;
    try {
      this.device.program(address, bytes);
    } catch (e) {
      if (!(e instanceof FlashError)) throw e;
      const back = decodeAuditPage(this.device.readPage(address));
      if (!back || !Buffer.from(back.entry).equals(entry)) {
        throw new SealcamError(`audit: flash write of entry ${index} failed: ${e.message}`, EXIT.USAGE);
      }
      // It landed whole although the chip said not: it is stored, and the chain must not fork.
    }
    current.entries.push({ page, index });
    this.last = entry.slice();
  }

  /**
   * The log's entries with index ≥ `fromIndex`, in order, each read back from
   * the chip and checked (its SHA-256 and index); a page that no longer checks
   * out throws (flash that decayed since boot).
   */
  *entries(fromIndex: number | bigint = 0): Generator<Uint8Array, void, undefined> {
    const from = toIndex(fromIndex, "from");
    for (const b of [...this.list]) {
      for (const { page, index } of [...b.entries]) {
        if (index < from) continue;
        if (!this.list.includes(b)) throw new SealcamError("audit: the log was trimmed while being read", EXIT.INTERNAL);
        const whole = decodeAuditPage(this.device.readPage(b.block * this.pagesPerBlock + page));
        if (!whole || whole.index !== index) throw new SealcamError(`audit: entry ${index} read back from the flash does not check out`, EXIT.EVIDENCE);
        yield whole.entry;
      }
    }
  }

  /**
   * Erases the audit blocks whose entries all have index ≤ `throughIndex`
   * (after the dock's receipt for that entry), oldest first, except the block
   * being appended to and the tail's: the last entry always stays, so the
   * chain can be resumed. A failed erase leaves that block dirty (erased again
   * before reuse); a PowerCut propagates (the next boot finishes the trim).
   */
  trim(throughIndex: number | bigint): AuditTrim {
    const through = toIndex(throughIndex, "through");
    const tail = this.lastIndex;
    const done: AuditTrim = { blocks: 0, entries: 0 };
    while (this.list.length > 1) {
      const b = this.list[0];
      const lastHere = b.entries.at(-1)?.index;
      if (lastHere !== undefined && (lastHere > through || lastHere === tail)) break;
      this.list.shift();
      done.blocks++;
      done.entries += b.entries.length;
      if (lastHere !== undefined) done.lastIndex = lastHere;
      this.access.release([b.block], `trimming the audit log (block serial ${b.serial})`);
    }
    return done;
  }

  /** Takes a block and programs its header; the next entry goes to its page 1. */
  private takeBlock(): void {
    const block = this.access.allocate();
    try {
      this.device.program(block * this.pagesPerBlock, encodeAuditHeader(this.nextSerial));
    } catch (e) {
      if (!(e instanceof FlashError)) throw e;
      this.access.release([block], "an audit block whose header could not be written");
      throw new SealcamError(`audit: flash write of an audit block header failed: ${e.message}`, EXIT.USAGE);
    }
    this.list.push({ block, serial: this.nextSerial++, entries: [] });
    this.nextPage = 1;
  }
}

function toIndex(value: number | bigint, what: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (!Number.isSafeInteger(n) || n < 0) throw new SealcamError(`audit: bad ${what} index ${value}`, EXIT.INTERNAL);
  return n;
}
