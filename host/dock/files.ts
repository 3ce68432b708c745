// File-system steps the dock's store is built from: durable small writes,
// directories whose new entries are fsynced, names given without ever
// replacing one (link(2), or a copy renamed into place where there are no hard
// links), whole-file SHA-256, and a per-key lock for the steps that must not
// interleave.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DockError } from "./errors.ts";

/** One promise chain per key: `run` calls for the same key never overlap. */
export class Locks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export const code = (e: unknown): string => (e as NodeJS.ErrnoException)?.code ?? "";

/** link(2) is missing on some file systems (FAT, some network mounts). */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK", "EXDEV"]);

/** fsync of a directory: makes the names created in it durable. */
export async function syncDir(dir: string): Promise<void> {
  // Makes new names durable; not every platform can open a directory.
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

/** Writes a small file whole: temporary name, fsync, rename, fsync of the directory. */
export async function writeDurable(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dirname(path));
}

/** Creates `dir` (and parents), fsyncing each parent that gained an entry. */
export async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

/** SHA-256 (hex) and size of a file, read 1 MiB at a time. */
export async function fileSha256(path: string): Promise<{ sha: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha: h.digest("hex"), size };
}

/** Names place() gives a copy while making it, beside its destination: `.<name>.copy`. */
export const COPY_IN_PROGRESS = /^\..+\.copy$/;

/**
 * Gives `dst` the contents of `src` without ever replacing `dst`: a hard link,
 * or, where the file system has none (or `dst` is on another one), a copy
 * made beside `dst` as `.<name>.copy`, fsynced, then renamed into place if
 * the name is still free, so nothing partial is ever under `dst` (a copy left
 * by a crash is removed when the store opens). If `dst` already exists it
 * must be `src` itself (the same inode: a commit that was interrupted after
 * this step) or hold the same bytes; anything else is a conflict.
 */
export async function place(src: string, dst: string, small: boolean): Promise<void> {
  try {
    await link(src, dst);
    return;
  } catch (e) {
    if (code(e) === "EEXIST") return samePlaced(src, dst, small);
    if (!NO_HARD_LINKS.has(code(e))) throw e;
  }
  const tmp = join(dirname(dst), `.${basename(dst)}.copy`);
  await copyFile(src, tmp);
  const fh = await open(tmp, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (await exists(dst)) {
    await rm(tmp, { force: true });
    return samePlaced(src, dst, small);
  }
  await rename(tmp, dst);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (code(e) === "ENOENT") return false;
    throw e;
  }
}

async function samePlaced(src: string, dst: string, small: boolean): Promise<void> {
  const [a, b] = await Promise.all([stat(src), stat(dst)]);
  if (a.ino === b.ino && a.dev === b.dev) return;
  // Same bytes under another inode: a copy (no hard links) an interrupted commit already placed.
  if (a.size === b.size && (small ? (await readFile(src)).equals(await readFile(dst)) : (await fileSha256(src)).sha === (await fileSha256(dst)).sha)) return;
  throw new DockError(500, `${basename(dst)} already exists in the store with other contents; the dock never overwrites evidence`);
}
