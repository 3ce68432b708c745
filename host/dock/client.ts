// The camera's side of docking (docs/FORMAT.md, "Docking"): authenticate to
// the dock, upload every queued segment oldest first, resuming a dropped
// upload where the dock stands, and delete a segment only once the camera's
// module has accepted the dock's receipt for it; then upload the audit log and
// trim what the dock has acknowledged, again only under a receipt the module
// accepted.
//
// The client trusts nothing the dock says beyond what the module checks: the
// hello is verified by the module (`dock_auth`, under the dock key pinned in
// the signed configuration), every receipt by the module (`receipt_check`).
// A receipt the module refuses leaves the segment where it is.
import http from "node:http";
import https from "node:https";
import { once } from "node:events";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestHash, type Manifest } from "../evidence/index.ts";
import { AUDIT_ENTRY_BYTES, decodeReceipt, decodeAuditEntry, toHex, fromHex, RECEIPT_BYTES, DOCK_HELLO_BYTES } from "./protocol.ts";

/** Audit kinds the host writes (ABI.md, "The audit log"). */
export const AUDIT_UPLOAD = 10;
export const AUDIT_DELETION = 12;

/**
 * What docking needs of a camera. The lead wires it to the Recorder (its
 * module) and the FlashStore; tests use a fake whose checks mirror the
 * module's.
 */
export interface DockingCamera {
  /** The device public key (32 bytes). */
  readonly device: Uint8Array;
  /** The module's `dock_auth`: checks the 136-byte hello under the pinned dock key, returns the 64-byte answer; throws if refused. */
  dockAuth(hello: Uint8Array): Uint8Array;
  /** The module's `receipt_check` of a 216-byte receipt for its subject (251-byte manifest blob or 200-byte audit entry); throws if refused. */
  checkReceipt(receipt: Uint8Array, subject: Uint8Array): void;
  /** The module's `audit_note`: logs a host-observed event (kinds 8, 10, 12, 13); throws if not written. */
  auditNote(kind: number, a: bigint, b: bigint, ref: Uint8Array): void;
  /** The committed segments waiting for a dock. */
  queue(): { id: string; blob: Uint8Array; manifest: Manifest }[];
  /** The segment's `.age` file from `offset` to its end, in pieces. */
  readAge(id: string, offset: number): Iterable<Uint8Array>;
  /** Erases a segment (only erasing: the client logs the deletion). */
  deleteSegment(id: string): void;
  /** The audit entries the camera holds with index ≥ fromIndex, in index order (200 bytes each). */
  auditEntries(fromIndex: number): Iterable<Uint8Array>;
  /** Erases the audit entries up to and including `index` (the store may keep the last one for audit_start). */
  trimAudit(index: number): void;
}

export interface DockingOptions {
  /** Bytes per PUT (default 4 MiB). */
  pieceBytes?: number;
  /** Attempts per request after a dropped connection or a busy dock (default 5). */
  retries?: number;
  /** Milliseconds before a request with no progress is dropped (default 60 000). */
  timeoutMs?: number;
  /** Audit entries per POST (default 1024). */
  auditBatch?: number;
  /** One line per step. */
  log?: (line: string) => void;
}

export interface DockingSummary {
  /** Segments the dock stored, the module accepted the receipt of, and the camera deleted. */
  segments: number;
  /** `.age` bytes sent (resumed pieces count once per sending). */
  bytes: number;
  /** Receipts the module accepted (segments and audit). */
  receipts: number;
  /** Segments still on the camera (refused, failed or not reached), by id. */
  kept: string[];
  /** What went wrong, one line each. */
  errors: string[];
  /** Audit entries sent, and the index up to which the camera trimmed its log (-1: none). */
  audit: { sent: number; trimmedTo: number };
}

/** A refusal from the dock: its status and its `{error}` body. */
export class DockRefusal extends SealcamError {
  constructor(readonly status: number, message: string, readonly body: Record<string, unknown>) {
    super(`dock: ${message} (HTTP ${status})`, EXIT.EVIDENCE);
  }
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504, 507]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** A small JSON-and-bytes HTTP client over one keep-alive agent. */
class Http {
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  session = "";

  constructor(readonly base: URL, private readonly timeoutMs: number) {
    this.lib = base.protocol === "https:" ? https : http;
    this.agent = new this.lib.Agent({ keepAlive: true, maxSockets: 2 });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Sends one request; `body` is written piece by piece with backpressure. Resolves with the JSON reply. */
  request(method: string, path: string, body?: { type: string; length: number; pieces: Iterable<Uint8Array> }): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: "application/json" };
      if (this.session) headers.authorization = `Bearer ${this.session}`;
      if (body) {
        headers["content-type"] = body.type;
        headers["content-length"] = body.length;
      }
      const req = this.lib.request(new URL(path, this.base), { method, headers, agent: this.agent });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer from the dock in ${this.timeoutMs} ms`)));
      req.on("error", reject);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            return reject(new DockRefusal(res.statusCode ?? 0, "answered something that is not JSON", {}));
          }
          const json = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve({ status, body: json });
          else reject(new DockRefusal(status, typeof json.error === "string" ? json.error : "refused", json));
        });
      });
      if (!body) return void req.end();
      void (async () => {
        let sent = 0;
        for (const piece of body.pieces) {
          const take = piece.subarray(0, body.length - sent);
          sent += take.length;
          if (take.length > 0 && !req.write(take)) await once(req, "drain");
          if (sent === body.length) break;
        }
        if (sent !== body.length) throw new SealcamError(`the camera gave ${sent} of the ${body.length} bytes to send`, EXIT.INTERNAL);
        req.end();
      })().catch((e) => {
        req.destroy(e);
        reject(e);
      });
    });
  }

  json(method: string, path: string, value?: unknown): Promise<Reply> {
    if (value === undefined) return this.request(method, path);
    const bytes = Buffer.from(JSON.stringify(value));
    return this.request(method, path, { type: "application/json", length: bytes.length, pieces: [bytes] });
  }
}

/** The `.age` file from `offset`, at most `length` bytes of it. */
function* slice(pieces: Iterable<Uint8Array>, length: number): Generator<Uint8Array> {
  let left = length;
  for (const p of pieces) {
    if (left <= 0) return;
    const take = p.length <= left ? p : p.subarray(0, left);
    left -= take.length;
    yield take;
  }
}

function receiptBytes(body: Record<string, unknown>): Uint8Array {
  const r = fromHex(body.receipt, RECEIPT_BYTES);
  if (!r) throw new DockRefusal(200, "answered without a well-formed receipt", body);
  return r;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Docks `camera` at the dock at `url` (http://host:port). Throws only when it
 * cannot start (the dock is unreachable, refuses the device, or the module
 * refuses the dock's hello); every later failure is in the summary's errors,
 * and the segments it concerns stay on the camera.
 */
export async function dockCamera(camera: DockingCamera, url: string, opts: DockingOptions = {}): Promise<DockingSummary> {
  const pieceBytes = Math.max(1, opts.pieceBytes ?? 4 * 1024 * 1024);
  const retries = opts.retries ?? 5;
  const log = opts.log ?? (() => {});
  const http = new Http(new URL(url), opts.timeoutMs ?? 60_000);
  const summary: DockingSummary = { segments: 0, bytes: 0, receipts: 0, kept: [], errors: [], audit: { sent: 0, trimmedTo: -1 } };
  const device = toHex(camera.device);

  const authenticate = async (): Promise<void> => {
    http.session = "";
    const hello = fromHex((await http.json("POST", "/v1/hello", { device })).body.hello, DOCK_HELLO_BYTES);
    if (!hello) throw new DockRefusal(200, "answered without a well-formed hello", {});
    const answer = camera.dockAuth(hello);
    const reply = await http.json("POST", "/v1/auth", { device, challenge: toHex(hello.subarray(32, 64)), answer: toHex(answer) });
    if (typeof reply.body.session !== "string") throw new DockRefusal(200, "answered without a session", reply.body);
    http.session = reply.body.session;
  };

  /** Runs `step`, again after a dropped connection, a busy dock or an expired session, at most `retries` more times. */
  const withRetries = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (e) {
        const refusal = e instanceof DockRefusal ? e : undefined;
        const resumable = refusal !== undefined && (refusal.status === 409 || refusal.status === 422 || refusal.status === 400) && "received" in refusal.body;
        const retryable = refusal === undefined ? !(e instanceof SealcamError) : resumable || refusal.status === 401 || RETRYABLE_STATUS.has(refusal.status);
        if (!retryable || attempt >= retries) throw e;
        log(`${what}: ${messageOf(e)}; trying again`);
        if (refusal?.status === 401) await authenticate();
        else if (!resumable) await sleep(Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  };

  try {
    await authenticate();
    log(`authenticated to ${url}`);

    const queue = [...camera.queue()].sort((a, b) => a.manifest.first_time_us - b.manifest.first_time_us || a.manifest.sequence - b.manifest.sequence);
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i];
      const m = item.manifest;
      let receipt: Uint8Array;
      try {
        receipt = await withRetries(`segment ${item.id}`, async () => {
          let state = (await http.json("POST", "/v1/segments", { manifest: m })).body;
          while (state.complete !== true) {
            const offset = Number(state.received);
            if (!Number.isSafeInteger(offset) || offset < 0 || offset > m.age_bytes) throw new DockRefusal(200, `answered an impossible offset ${String(state.received)}`, state);
            const length = Math.min(pieceBytes, m.age_bytes - offset);
            summary.bytes += length;
            state = (await http.request("PUT", `/v1/segments/${m.age_sha256}?offset=${offset}`, {
              type: "application/octet-stream", length, pieces: slice(camera.readAge(item.id, offset), length),
            })).body;
          }
          return receiptBytes(state);
        });
      } catch (e) {
        summary.errors.push(`segment ${item.id}: ${messageOf(e)}; kept`);
        summary.kept.push(item.id);
        if (!(e instanceof SealcamError)) {
          // The dock is gone (no connection after every retry): the rest stays for the next docking.
          for (const rest of queue.slice(i + 1)) summary.kept.push(rest.id);
          summary.errors.push(`docking stopped: ${messageOf(e)}`);
          return summary;
        }
        continue;
      }
      const hash = manifestHash(m);
      try {
        camera.checkReceipt(receipt, item.blob);
      } catch (e) {
        summary.errors.push(`segment ${item.id}: the module refused the dock's receipt (${messageOf(e)}); kept`);
        summary.kept.push(item.id);
        continue;
      }
      summary.receipts++;
      try {
        camera.auditNote(AUDIT_UPLOAD, BigInt(m.sequence), BigInt(m.age_bytes), hash);
      } catch (e) {
        summary.errors.push(`segment ${item.id}: the upload could not be logged (${messageOf(e)}); kept`);
        summary.kept.push(item.id);
        continue;
      }
      try {
        camera.deleteSegment(item.id);
      } catch (e) {
        // The dock has it and the receipt was accepted; the flash would not erase it now (a worn block):
        // it stays queued, and the next docking gets the same receipt and tries again.
        summary.errors.push(`segment ${item.id}: stored by the dock, but it could not be deleted (${messageOf(e)}); kept`);
        summary.kept.push(item.id);
        continue;
      }
      summary.segments++;
      log(`segment ${item.id}: stored by the dock, receipt accepted, deleted`);
      try {
        camera.auditNote(AUDIT_DELETION, 1n, BigInt(m.sequence), hash);
      } catch (e) {
        summary.errors.push(`segment ${item.id}: deleted, but the deletion could not be logged (${messageOf(e)})`);
      }
    }

    await uploadAudit(camera, http, summary, withRetries, opts.auditBatch ?? 1024, log);
    return summary;
  } finally {
    http.close();
  }
}

/**
 * Sends the entries the dock does not hold yet, from the dock's last entry
 * (sent again, so that a camera still holding it gets a receipt to trim by),
 * in batches; each batch's receipt goes to the module, and only an accepted
 * one trims the log. Entries the camera writes meanwhile (the module's kind
 * 11, the deletion notes) wait for the next docking.
 */
async function uploadAudit(
  camera: DockingCamera, http: Http, summary: DockingSummary,
  withRetries: <T>(what: string, step: () => Promise<T>) => Promise<T>, batch: number, log: (line: string) => void,
): Promise<void> {
  let state: Record<string, unknown>;
  try {
    state = (await withRetries("audit log", () => http.json("GET", "/v1/audit"))).body;
  } catch (e) {
    summary.errors.push(`audit log: ${messageOf(e)}; kept`);
    return;
  }
  const next = Number(state.next_index);
  const from = Number.isSafeInteger(next) && next > 0 ? next - 1 : 0;
  const entries = [...camera.auditEntries(from)];
  if (entries.length === 0 && from > 0) {
    // The camera always keeps the last entry the dock acknowledged: holding
    // nothing from there means its log is behind the dock's, restarted or wiped.
    summary.errors.push(`audit log: the dock holds entries up to ${from}, and the camera has none from there: the camera's log was restarted or wiped (a fork the custodian must look into); nothing sent`);
    return;
  }
  for (let at = 0; at < entries.length; at += batch) {
    const part = entries.slice(at, at + batch);
    const bytes = Buffer.concat(part);
    let reply: Record<string, unknown>;
    try {
      reply = (await withRetries("audit log", () =>
        http.request("POST", "/v1/audit", { type: "application/octet-stream", length: bytes.length, pieces: [bytes] }))).body;
    } catch (e) {
      summary.errors.push(`audit log: ${messageOf(e)}; kept`);
      return;
    }
    summary.audit.sent += part.length;
    try {
      const receipt = receiptBytes(reply);
      const index = decodeReceipt(receipt).value;
      const subject = part.find((e) => e.length === AUDIT_ENTRY_BYTES && decodeAuditEntry(e).index === index);
      if (!subject) throw new DockRefusal(200, `answered a receipt for entry ${index}, which was not sent`, reply);
      camera.checkReceipt(receipt, subject);
      summary.receipts++;
      camera.trimAudit(Number(index));
      summary.audit.trimmedTo = Number(index);
      log(`audit log: the dock holds up to entry ${index}; trimmed`);
      camera.auditNote(AUDIT_DELETION, 2n, index, decodeAuditEntry(subject).hash);
    } catch (e) {
      summary.errors.push(`audit log: ${messageOf(e)}; kept`);
      return;
    }
  }
}
