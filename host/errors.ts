// Messages for the module's error codes (assembly/errors.ts is the other half
// of this table; tests/errors.test.ts checks the two agree), and the process
// exit codes every command uses.

/** Module error codes, by name, as the module exports them. */
export const MODULE_ERRORS: Record<string, { code: number; message: string }> = {
  OK: { code: 0, message: "ok" },
  ERR_AUTH: { code: 1, message: "authentication tag does not match" },
  ERR_SIGNATURE: { code: 2, message: "signature does not verify" },
  ERR_NONCANONICAL_S: { code: 3, message: "signature scalar is not canonical (S >= L)" },
  ERR_BAD_POINT: { code: 4, message: "point is not a canonical curve point encoding" },
  ERR_SMALL_ORDER: { code: 5, message: "point has small order" },
  ERR_LOW_ORDER: { code: 6, message: "shared secret is all zero (low-order peer point)" },
  ERR_LENGTH: { code: 7, message: "length out of range" },
  ERR_COUNTER: { code: 8, message: "chacha20 block counter would wrap" },
  ERR_STATE: { code: 9, message: "call out of order" },
  ERR_ENTROPY: { code: 10, message: "entropy source failed" },
  ERR_STORAGE: { code: 11, message: "storage failed; segment aborted" },
  ERR_CONFIG: { code: 12, message: "malformed camera configuration" },
  ERR_FRAME_ORDER: { code: 13, message: "frame time earlier than the previous frame's" },
  ERR_FRAME_SIZE: { code: 14, message: "frame length out of range or not as announced" },
  ERR_TIME: { code: 15, message: "frame capture time out of range (negative or 2^53 µs or more)" },
  ERR_UNSIGNED: { code: 16, message: "configuration not signed by the pinned provisioning key, or for another camera" },
  ERR_ROLLBACK: { code: 17, message: "configuration serial not above the one in force" },
  ERR_RECEIPT: { code: 18, message: "receipt names another device, dock, segment or audit entry" },
  ERR_FULL: { code: 19, message: "storage full; recording stopped" },
};

const BY_CODE = new Map(Object.entries(MODULE_ERRORS).map(([name, e]) => [e.code, { name, ...e }]));

/** The message for a module error code (an unknown code says so). */
export function moduleMessage(code: number): string {
  return BY_CODE.get(code)?.message ?? `unknown module error ${code}`;
}

/** The name (ERR_...) for a module error code. */
export function moduleErrorName(code: number): string {
  return BY_CODE.get(code)?.name ?? `ERR_UNKNOWN_${code}`;
}

/** Process exit codes. 0 and 1 keep their verify meaning (intact / evidence problem). */
export const EXIT = {
  OK: 0,
  EVIDENCE: 1,
  USAGE: 2,
  SETUP: 3,
  INTERNAL: 70,
} as const;

/** An error with a one-line message and the exit code the CLI ends with. */
export class SealcamError extends Error {
  readonly exitCode: number;
  readonly moduleCode?: number;
  constructor(message: string, exitCode: number = EXIT.INTERNAL, moduleCode?: number) {
    super(message);
    this.name = "SealcamError";
    this.exitCode = exitCode;
    this.moduleCode = moduleCode;
  }
}
