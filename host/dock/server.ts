// The dock's HTTP service (docs/FORMAT.md, "Docking", "HTTP"): enrolled
// cameras authenticate with the dock's signed hello and their answer, then
// upload segments (resumable, idempotent by the `.age` file's SHA-256,
// accepted only under a manifest that verifies) and their audit log, and get
// a receipt signed by the dock for each.
//
// fastify does the HTTP: routing, content types (each route takes one), body
// limits, JSON schemas for the request envelopes, and one error handler that
// answers every refusal as `{"error": "one line"}` and never a stack trace.
// The evidence checks (manifests, signatures, chains) are sealcam's own:
// validateManifest and the module's strict Ed25519.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Crypto } from "../engine/crypto.ts";
import { SealcamError, EXIT } from "../errors.ts";
import { manifestHash, manifestMessage, manifestSignature, validateManifest, type Manifest } from "../evidence/index.ts";
import { formatDockPublicKey } from "../keys/dock.ts";
import { DockError, badRequest, unprocessable } from "./errors.ts";
import {
  AUDIT_ENTRY_BYTES, DockSigner, decodeAuditEntry, equal, fromHex, signatureReason, toHex, verifyAnswer, verifyAuditEntry,
  type AuditEntry,
} from "./protocol.ts";
import { DockStore, type UploadState } from "./store.ts";

/** A challenge is good for one answer within this long (FORMAT.md, "Device answer"). */
export const CHALLENGE_MS = 60_000;
// A challenge (32 bytes) is 16 random bytes, the dock's time in ms (u64 LE)
// and the first 8 bytes of HMAC-SHA-256 under a secret drawn at start, over
// the device key and those 24 bytes: the dock keeps no table of challenges
// issued, so no number of hellos can push a camera's challenge out.
const CHALLENGE_NONCE = 16, CHALLENGE_TIME = 16, CHALLENGE_MAC = 24;
const MAX_SESSIONS_PER_DEVICE = 4;
const INDEX_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);

export interface DockLimits {
  /** Largest JSON request body. */
  jsonBodyBytes: number;
  /** Largest `.age` file the dock takes (the manifest's age_bytes). */
  maxSegmentBytes: number;
  /** Most audit entries in one POST /v1/audit. */
  maxAuditEntries: number;
  /** How long a session lasts. */
  sessionSeconds: number;
  /** Most unfinished uploads per device (beyond it the least recently used is dropped). */
  maxIncomingPerDevice: number;
  /** Longest a request may take to arrive, headers and body (node's requestTimeout). */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: DockLimits = {
  jsonBodyBytes: 16 * 1024,
  maxSegmentBytes: 4 * 1024 ** 3,
  maxAuditEntries: 4096,
  sessionSeconds: 900,
  maxIncomingPerDevice: 16,
  requestTimeoutMs: 300_000,
};

export interface DockOptions {
  /** The evidence store's directory (created if missing). */
  store: string;
  /** The dock's Ed25519 seed, or a signer made from it. */
  dockSeed?: Uint8Array;
  dockKey?: DockSigner;
  /** Enrolled device public keys (32 bytes each). */
  enrolled: Uint8Array[];
  /** A module instance's crypto (dockCrypto()). */
  crypto: Crypto;
  /** The dock's time, µs since the Unix epoch, for hellos and receipts. */
  clock?: () => bigint;
  /** Milliseconds for challenge and session expiry (default Date.now). */
  nowMs?: () => number;
  limits?: Partial<DockLimits>;
  /** One line per thing the dock did or refused. */
  log?: (line: string) => void;
}

/** What createDock adds to the fastify instance. */
export interface DockApp extends FastifyInstance {
  dock: { publicKey: Uint8Array; store: DockStore; limits: DockLimits };
}

interface HelloBody { device: string }
interface AuthBody { device: string; challenge: string; answer: string }
interface SegmentBody { manifest: Record<string, unknown> }

const HEX = (bytes: number) => ({ type: "string", pattern: `^[0-9a-f]{${2 * bytes}}$` });
const DECIMAL = { type: "string", pattern: "^(0|[1-9][0-9]{0,15})$" };

function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** Checks and sets up everything, opens the store, and returns the fastify app (not yet listening). */
export async function createDock(options: DockOptions): Promise<DockApp> {
  const limits: DockLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const { crypto } = options;
  const clock = options.clock ?? (() => BigInt(Date.now()) * 1000n);
  const nowMs = options.nowMs ?? Date.now;
  const log = options.log ?? (() => {});
  if (!options.dockKey && !options.dockSeed) throw new SealcamError("the dock needs its key (dockSeed or dockKey)", EXIT.USAGE);
  const enrolled = new Set<string>();
  for (const [i, key] of options.enrolled.entries()) {
    const code = crypto.ed25519CheckPublic(key);
    if (code !== 0) throw new SealcamError(`enrolled device ${i + 1}: not a usable Ed25519 public key (${signatureReason(code)})`, EXIT.USAGE);
    enrolled.add(toHex(key));
  }
  const signer = options.dockKey ?? new DockSigner(crypto, options.dockSeed!);
  const dockPk = signer.publicKey;

  let store: DockStore;
  try {
    store = await DockStore.open(options.store, {
      signSegment: (m: Manifest, hash: Uint8Array) =>
        signer.segmentReceipt(fromHex(m.device, 32)!, clock(), hash, fromHex(m.age_sha256, 32)!, BigInt(m.age_bytes)),
      maxIncomingPerDevice: limits.maxIncomingPerDevice,
      log,
    });
  } catch (e) {
    if (signer !== options.dockKey) signer.wipe();
    throw e;
  }

  // Challenges issued (per device, the last few) and sessions (bearer tokens).
  const challengeKey = randomBytes(32);
  const challengeMac = (device: string, head: Uint8Array): Buffer =>
    createHmac("sha256", challengeKey).update(Buffer.from(device, "hex")).update(head).digest().subarray(0, 8);
  /** Challenges answered, until they expire: each is good for one answer. Only valid answers add to it. */
  const answered = new Map<string, number>();
  const sessions = new Map<string, { device: string; expires: number }>();
  const sessionDevice = new WeakMap<FastifyRequest, string>();

  const app = Fastify({
    logger: false,
    bodyLimit: limits.jsonBodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    return503OnClosing: true,
    // Validation must not change what it checks: no type coercion, no
    // defaults, no silently removed members.
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allErrors: false } },
  }) as unknown as DockApp;
  app.decorate("dock", { publicKey: dockPk, store, limits });
  // JSON routes take application/json only.
  app.removeContentTypeParser("text/plain");

  app.setErrorHandler((err: FastifyError | DockError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof DockError) {
      if (err.status >= 500) log(`dock: ${request.method} ${request.url}: ${err.message}`);
      return reply.code(err.status).send({ error: err.message, ...err.extra });
    }
    const fe = err as FastifyError;
    if (fe.validation) return reply.code(400).send({ error: validationMessage(fe) });
    switch (fe.code) {
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return reply.code(415).send({ error: `content type '${oneLine(String(request.headers["content-type"] ?? "none"))}' is not taken here (${expects(request)})` });
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return reply.code(413).send({ error: `request body too large for ${request.method} ${routeOf(request)}` });
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        // Also a __proto__ or constructor.prototype member (fastify's secure-json-parse refuses those).
        return reply.code(400).send({ error: "body is not valid JSON" });
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return reply.code(400).send({ error: "the JSON body is empty" });
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        return reply.code(400).send({ error: "the body's length is not its Content-Length" });
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: oneLine(err.message) });
    log(`dock: internal error on ${request.method} ${routeOf(request)}: ${oneLine(err.message)}`);
    return reply.code(500).send({ error: "internal error in the dock" });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no such route: ${request.method} ${oneLine(request.url).slice(0, 100)}` });
  });

  app.get("/v1/health", async () => ({ ok: true, dock: formatDockPublicKey(dockPk) }));

  // ---- authentication -------------------------------------------------------

  app.post<{ Body: HelloBody }>("/v1/hello", {
    schema: { body: { type: "object", required: ["device"], additionalProperties: false, properties: { device: HEX(32) } } },
  }, async (request) => {
    const device = request.body.device;
    if (!enrolled.has(device)) {
      log(`dock: hello refused: device ${device.slice(0, 16)}… is not enrolled`);
      throw new DockError(403, "this device is not enrolled at this dock");
    }
    const challenge = Buffer.alloc(32);
    randomBytes(CHALLENGE_NONCE).copy(challenge, 0);
    challenge.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(nowMs()))), CHALLENGE_TIME);
    challengeMac(device, challenge.subarray(0, CHALLENGE_MAC)).copy(challenge, CHALLENGE_MAC);
    return { hello: toHex(signer.hello(new Uint8Array(challenge), clock())) };
  });

  app.post<{ Body: AuthBody }>("/v1/auth", {
    schema: {
      body: {
        type: "object", required: ["device", "challenge", "answer"], additionalProperties: false,
        properties: { device: HEX(32), challenge: HEX(32), answer: HEX(64) },
      },
    },
  }, async (request) => {
    const { device } = request.body;
    if (!enrolled.has(device)) throw new DockError(403, "this device is not enrolled at this dock");
    const challenge = fromHex(request.body.challenge, 32)!;
    const now = nowMs();
    const c = Buffer.from(challenge);
    const issuedAt = Number(c.readBigUInt64LE(CHALLENGE_TIME));
    const key = request.body.challenge;
    for (const [k, until] of answered) if (until <= now) answered.delete(k);
    if (!timingSafeEqual(challengeMac(device, c.subarray(0, CHALLENGE_MAC)), c.subarray(CHALLENGE_MAC)) ||
      now - issuedAt >= CHALLENGE_MS || issuedAt > now + 1000 || answered.has(key)) {
      throw new DockError(401, "no such challenge for this device: ask POST /v1/hello for a fresh one (each is good for one answer within 60 s)");
    }
    const code = verifyAnswer(crypto, fromHex(device, 32)!, dockPk, challenge, fromHex(request.body.answer, 64)!);
    if (code !== 0) {
      log(`dock: answer refused for device ${device.slice(0, 16)}…: ${signatureReason(code)}`);
      throw new DockError(401, `answer refused: ${signatureReason(code)}`);
    }
    answered.set(key, issuedAt + CHALLENGE_MS);
    const token = randomBytes(32).toString("hex");
    const mine = [...sessions.entries()].filter(([, s]) => s.device === device);
    for (const [old] of mine.slice(0, Math.max(0, mine.length - MAX_SESSIONS_PER_DEVICE + 1))) sessions.delete(old);
    sessions.set(token, { device, expires: now + limits.sessionSeconds * 1000 });
    log(`dock: device ${device.slice(0, 16)}… authenticated`);
    return { session: token, expires_in: limits.sessionSeconds };
  });

  // ---- everything else needs a session --------------------------------------

  app.register(async (authed) => {
    authed.addHook("onRequest", async (request, reply) => {
      const m = /^Bearer ([0-9a-f]{64})$/.exec(String(request.headers.authorization ?? ""));
      const s = m ? sessions.get(m[1]) : undefined;
      if (s && s.expires <= nowMs()) sessions.delete(m![1]);
      if (!s || s.expires <= nowMs()) {
        reply.header("www-authenticate", "Bearer");
        throw new DockError(401, m ? "session unknown or expired: authenticate again (POST /v1/hello, /v1/auth)" : "a session is required: Authorization: Bearer <session> (POST /v1/hello, /v1/auth)");
      }
      sessionDevice.set(request, s.device);
    });

    // JSON: announce a segment by its manifest; where the audit log stands.
    authed.register(async (json) => {
      json.post<{ Body: SegmentBody }>("/v1/segments", {
        schema: { body: { type: "object", required: ["manifest"], additionalProperties: false, properties: { manifest: { type: "object" } } } },
      }, async (request) => {
        const device = sessionDevice.get(request)!;
        let m: Manifest;
        try {
          m = validateManifest(request.body.manifest);
        } catch (e) {
          throw unprocessable(oneLine((e as Error).message));
        }
        if (m.device !== device) throw unprocessable("manifest: names another device than the one authenticated");
        const code = crypto.ed25519Verify(fromHex(device, 32)!, manifestMessage(m), manifestSignature(m));
        if (code !== 0) {
          log(`dock: manifest refused from ${device.slice(0, 16)}…: ${signatureReason(code)}`);
          throw unprocessable(`manifest: signature refused: ${signatureReason(code)}`);
        }
        if (m.age_bytes === 0) throw unprocessable("manifest: age_bytes is 0 (an age file is never empty)");
        if (m.age_bytes > limits.maxSegmentBytes) throw new DockError(413, `manifest: age_bytes ${m.age_bytes} is more than this dock takes (${limits.maxSegmentBytes})`);
        return answer(m.age_sha256, await store.begin(m, manifestHash(m)));
      });

      json.get("/v1/audit", async (request) => {
        const s = store.auditState(sessionDevice.get(request)!);
        return {
          first_index: s.first === null ? null : Number(s.first),
          next_index: Number(s.next),
          head: s.head ? toHex(s.head.hash) : null,
        };
      });
    });

    // Octet-stream, streamed to disk: the `.age` file from an offset.
    authed.register(async (stream) => {
      stream.removeAllContentTypeParsers();
      stream.addContentTypeParser("application/octet-stream", (_request, payload, done) => done(null, payload));
      stream.put<{ Params: { sha256: string }; Querystring: { offset?: string } }>("/v1/segments/:sha256", {
        schema: {
          params: { type: "object", required: ["sha256"], properties: { sha256: HEX(32) } },
          querystring: { type: "object", additionalProperties: false, properties: { offset: DECIMAL } },
        },
      }, async (request) => {
        const device = sessionDevice.get(request)!;
        const fromQuery = request.query.offset;
        const fromHeader = request.headers["upload-offset"];
        if (fromHeader !== undefined && (typeof fromHeader !== "string" || !new RegExp(DECIMAL.pattern).test(fromHeader))) {
          throw badRequest("Upload-Offset must be a whole number of bytes");
        }
        if (fromQuery === undefined && fromHeader === undefined) throw badRequest("give the offset: ?offset=N or an Upload-Offset header");
        if (fromQuery !== undefined && fromHeader !== undefined && fromQuery !== fromHeader) throw badRequest("?offset and Upload-Offset disagree");
        const offset = Number(fromQuery ?? fromHeader);
        const length = request.headers["content-length"];
        const declared = length === undefined ? undefined : Number(length);
        const body = (request.body as (AsyncIterable<Uint8Array> & { destroy?(e: Error): void }) | undefined) ?? emptyBody();
        return answer(request.params.sha256, await store.write(request.params.sha256, device, offset, body, declared));
      });
    });

    // Octet-stream, whole: a batch of 200-byte audit entries.
    authed.register(async (audit) => {
      audit.removeAllContentTypeParsers();
      audit.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: limits.maxAuditEntries * AUDIT_ENTRY_BYTES }, (_request, body, done) => done(null, body));
      audit.post("/v1/audit", async (request) => {
        const device = sessionDevice.get(request)!;
        const body = request.body as Buffer | undefined;
        if (!body || body.length === 0) throw badRequest("no audit entries in the body");
        if (body.length % AUDIT_ENTRY_BYTES !== 0) throw badRequest(`body is ${body.length} bytes, not a whole number of ${AUDIT_ENTRY_BYTES}-byte audit entries`);
        const entries = checkEntries(crypto, device, body);
        const result = await store.appendAudit(device, entries);
        const head = result.head!;
        const receipt = signer.auditReceipt(fromHex(device, 32)!, clock(), head.hash, head.index);
        return {
          appended: result.appended,
          first_index: Number(result.first),
          next_index: Number(result.next),
          receipt: toHex(receipt),
          ...(result.gap ? { gap: result.gap.map(Number) } : {}),
        };
      });
    });
  });

  app.addHook("onClose", async () => signer === options.dockKey ? undefined : signer.wipe());
  return app;
}

/** The JSON answer to POST /v1/segments and PUT /v1/segments/:sha256. */
function answer(sha: string, state: UploadState): Record<string, unknown> {
  if (!state.complete) return { upload: sha, received: state.received, complete: false };
  return { upload: sha, received: state.received, complete: true, receipt: toHex(state.receipt), ...(state.chain ? { chain: state.chain } : {}) };
}

/** Decodes and checks a batch: this device's, signed, below 2^53, consecutive, each naming the hash of the one before. */
function checkEntries(crypto: Crypto, device: string, body: Buffer): AuditEntry[] {
  const key = fromHex(device, 32)!;
  const entries: AuditEntry[] = [];
  for (let at = 0; at < body.length; at += AUDIT_ENTRY_BYTES) {
    let e: AuditEntry;
    try {
      e = decodeAuditEntry(new Uint8Array(body.subarray(at, at + AUDIT_ENTRY_BYTES)));
    } catch (err) {
      throw unprocessable(`entry ${at / AUDIT_ENTRY_BYTES + 1} of the batch: ${(err as Error).message}`);
    }
    if (!equal(e.device, key)) throw unprocessable(`audit entry ${e.index}: names another device than the one authenticated`);
    if (e.index >= INDEX_LIMIT) throw unprocessable(`audit entry index ${e.index} is not below 2^53`);
    const code = verifyAuditEntry(crypto, e.bytes, key);
    if (code !== 0) throw unprocessable(`audit entry ${e.index}: signature refused: ${signatureReason(code)}`);
    const before = entries[entries.length - 1];
    if (before && e.index !== before.index + 1n) throw unprocessable(`audit entries are not consecutive: ${e.index} follows ${before.index}`);
    if (before && !equal(e.previous, before.hash)) throw unprocessable(`audit entry ${e.index} does not name the hash of entry ${before.index}`);
    entries.push(e);
  }
  return entries;
}

/** A schema refusal in words: where, and what was expected. */
function validationMessage(fe: FastifyError): string {
  const v = fe.validation?.[0];
  if (!v) return oneLine(fe.message);
  const where = `${fe.validationContext ?? "request"}${v.instancePath}`;
  const params = v.params as Record<string, unknown>;
  let what = v.message ?? "is not valid";
  if (v.keyword === "pattern") {
    const hex = /^\^\[0-9a-f\]\{(\d+)\}\$$/.exec(String(params.pattern));
    what = hex ? `must be ${hex[1]} lowercase hex digits` : "must be a whole number in decimal";
  } else if (v.keyword === "additionalProperties") {
    what = `has an unknown member '${String(params.additionalProperty)}'`;
  } else if (v.keyword === "required") {
    what = `is missing the member '${String(params.missingProperty)}'`;
  }
  return oneLine(`${where} ${what}`);
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? oneLine(request.url).slice(0, 100);
}

function expects(request: FastifyRequest): string {
  const route = routeOf(request);
  if (route.startsWith("/v1/segments/") || route === "/v1/audit") return `${request.method} ${route} takes application/octet-stream`;
  return `${request.method} ${route} takes application/json`;
}
