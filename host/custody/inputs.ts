// Finding what to verify: the paths a custodian names (folders, segment files,
// manifests, clips, audit logs) become segments paired by name, clip files
// and audit logs.
//
// A folder contributes its `*.age`, `*.manifest.json` and `*.sealclip` files
// and its `audit.log` (not recursively; other files, such as a camera's
// device.pub, are not evidence and are left alone). The dock's store keeps a
// camera's files as `devices/<device hex>/<recording hex>/…` with the
// camera's `devices/<device hex>/audit.log`: a device folder (named by 64
// lowercase hex digits) also contributes its recording folders (named by 32),
// and a folder inside a device folder brings the device's audit log. A file
// named on the command line must be one of the four, recognised by its name
// or, failing that, its first bytes; a named `.age` file brings the manifest
// beside it and the other way round.
// Input that cannot be read as evidence at all is a usage error (exit 2):
// missing paths, empty folders, manifests that are not valid JSON with
// FORMAT.md's members, files that are none of the three.
import { closeSync, openSync, readSync, readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { parseManifest, type Manifest } from "../evidence/index.ts";

export const AGE_SUFFIX = ".age";
export const MANIFEST_SUFFIX = ".manifest.json";
export const CLIP_SUFFIX = ".sealclip";
const AGE_MAGIC = "age-encryption.org/v1\n";
const CLIP_MAGIC = "SCAMCLP1";
/** `<recording 32 hex>-<sequence, 6 or more digits>` (FORMAT.md, "Overview"). */
const SEGMENT_NAME = /^([0-9a-f]{32})-([0-9]{6,})$/;
/** A camera's audit log, by name (FORMAT.md, "The audit log"). */
export const AUDIT_LOG_NAME = "audit.log";
/** The dock's store: a device folder is named by the device key in hex, a recording folder by the recording id. */
const DEVICE_FOLDER = /^[0-9a-f]{64}$/;
const RECORDING_FOLDER = /^[0-9a-f]{32}$/;
/** A manifest is a few hundred bytes; anything much larger is not one. */
const MANIFEST_MAX_BYTES = 64 * 1024;

/** One segment's files, paired by name. */
export interface SegmentFiles {
  /** The shared path without its suffix: `DIR/<recording>-<seq>`. */
  stem: string;
  age: string | null;
  manifestFile: string | null;
  manifest: Manifest | null;
  /** What the file name says, when it follows FORMAT.md's naming. */
  nameRecording: string | null;
  nameSequence: number | null;
}

/** An audit log found among the inputs. */
export interface AuditLogFile {
  path: string;
  /** It was found in a folder given as a PATH: every recording of its device was given with it. */
  whole: boolean;
}

export interface Inputs {
  segments: SegmentFiles[];
  clips: string[];
  auditLogs: AuditLogFile[];
}

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

function firstBytes(path: string, n: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a manifest; any fault is a usage error naming the file. */
export function readManifestFile(path: string): Manifest {
  let text: string;
  try {
    if (statSync(path).size > MANIFEST_MAX_BYTES) throw usage(`${path}: manifest: larger than ${MANIFEST_MAX_BYTES} bytes, not a segment manifest`);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof SealcamError) throw e;
    throw usage(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return parseManifest(text);
  } catch (e) {
    if (e instanceof SealcamError) throw usage(`${path}: ${e.message}`);
    throw e;
  }
}

type Kind = "age" | "manifest" | "clip";

function kindByName(path: string): Kind | null {
  if (path.endsWith(MANIFEST_SUFFIX)) return "manifest";
  if (path.endsWith(AGE_SUFFIX)) return "age";
  if (path.endsWith(CLIP_SUFFIX)) return "clip";
  return null;
}

function kindByContent(path: string): Kind {
  const head = firstBytes(path, 64);
  if (head.length === 0) throw usage(`${path}: empty file, not a sealcam segment, manifest or clip`);
  if (head.subarray(0, AGE_MAGIC.length).toString("latin1") === AGE_MAGIC) return "age";
  if (head.subarray(0, CLIP_MAGIC.length).toString("latin1") === CLIP_MAGIC) return "clip";
  if (/^\s*\{/.test(head.toString("latin1"))) return "manifest";
  throw usage(`${path}: not a sealcam file (neither an age file, a segment manifest nor a clip)`);
}

function stemOf(path: string, kind: "age" | "manifest"): string {
  return path.slice(0, path.length - (kind === "age" ? AGE_SUFFIX : MANIFEST_SUFFIX).length);
}

/** Resolves the paths into segments and clips; throws a usage error for unusable input. */
export function findInputs(paths: readonly string[]): Inputs {
  if (paths.length === 0) throw usage("name at least one folder or file to verify");
  const stems = new Map<string, SegmentFiles>();
  const clips = new Set<string>();
  const logs = new Map<string, AuditLogFile>();
  const addLog = (path: string, whole: boolean) => {
    const key = resolve(path);
    const had = logs.get(key);
    if (had) had.whole ||= whole;
    else logs.set(key, { path, whole });
  };
  const isFile = (path: string): boolean => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  /** A folder's evidence files (and, for a device folder, its recording folders'); how many. */
  const addFolder = (path: string, device: boolean): number => {
    let found = 0;
    let names: string[];
    try {
      names = readdirSync(path).sort();
    } catch (e) {
      throw usage(`${path}: cannot read this folder: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    for (const name of names) {
      const full = join(path, name);
      const kind = kindByName(name);
      const log = name === AUDIT_LOG_NAME;
      const sub = device && RECORDING_FOLDER.test(name);
      if (!kind && !log && !sub) continue;
      let entry;
      try {
        entry = statSync(full);
      } catch (e) {
        // A dangling link named like evidence: say so rather than skip it silently.
        throw usage(`${full}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "a link to nothing" : (e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
      if (sub && entry.isDirectory()) {
        found += addFolder(full, false);
        continue;
      }
      if (!entry.isFile()) continue;
      if (log) addLog(full, true);
      else if (kind) add(full, kind);
      else continue;
      found++;
    }
    return found;
  };
  const add = (path: string, kind: Kind) => {
    if (kind === "clip") {
      clips.add(path);
      return;
    }
    const stem = stemOf(path, kind);
    let s = stems.get(stem);
    if (!s) {
      const m = SEGMENT_NAME.exec(basename(stem));
      s = { stem, age: null, manifestFile: null, manifest: null, nameRecording: m ? m[1] : null, nameSequence: m ? Number(m[2]) : null };
      stems.set(stem, s);
    }
    if (kind === "age") s.age = path;
    else s.manifestFile = path;
  };
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch {
      throw usage(`${path}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const absolute = resolve(path);
      const found = addFolder(path, DEVICE_FOLDER.test(basename(absolute)));
      // A recording folder of the dock's store: its device's audit log is the folder above.
      const parent = dirname(absolute);
      if (DEVICE_FOLDER.test(basename(parent)) && isFile(join(parent, AUDIT_LOG_NAME))) addLog(join(path, "..", AUDIT_LOG_NAME), false);
      if (found === 0) throw usage(`${path}: no segments (.age), manifests (.manifest.json), clips (.sealclip) or audit log (${AUDIT_LOG_NAME}) in this folder`);
      continue;
    }
    if (!st.isFile()) throw usage(`${path}: not a file or folder`);
    if (basename(path) === AUDIT_LOG_NAME) {
      addLog(path, false);
      continue;
    }
    const kind = kindByName(path) ?? kindByContent(path);
    add(path, kind);
    // A segment file named alone brings its other half, when it is there.
    if (kind !== "clip") {
      const other = kind === "age" ? stemOf(path, kind) + MANIFEST_SUFFIX : stemOf(path, kind) + AGE_SUFFIX;
      if (existsSync(other) && statSync(other).isFile()) add(other, kind === "age" ? "manifest" : "age");
    }
  }
  const segments = [...stems.values()];
  for (const s of segments) if (s.manifestFile) s.manifest = readManifestFile(s.manifestFile);
  return { segments, clips: [...clips], auditLogs: [...logs.values()] };
}
