// sealcam dock: the dock's key, and the dock service (host/dock/).
//
//   keygen  writes a dock key file (0600) and prints its public key
//   serve   runs the dock on a store directory for the enrolled cameras
//
// Every bad option is refused with one line and exit 2 before anything is
// written or served.
import { statSync } from "node:fs";
import { isIPv4 } from "node:net";
import { EXIT, SealcamError } from "../errors.ts";
import { readKeyFile } from "../keys/age.ts";
import { deviceFingerprint, parseDevicePublicKey, formatDevicePublicKey } from "../keys/index.ts";
import { generateDockSeed, writeDockKey, loadDockKey, formatDockPublicKey } from "../keys/dock.ts";
import { createDock } from "../dock/server.ts";
import { DockError } from "../dock/errors.ts";
import { dockCrypto } from "../dock/protocol.ts";
import { checkOutputPath } from "./custody.ts";
import { SECRET_KEY, shown, usage, messageOf, parseOptions } from "./options.ts";

/** The dock's port when none is given. */
export const DEFAULT_PORT = 8470;
/** How long a stopping dock waits for uploads in progress before it cuts them (their fsynced bytes stay for a resume). */
const STOP_GRACE_MS = 10_000;

const HELP = `usage: sealcam dock keygen --out FILE
       sealcam dock serve --store DIR --key FILE --enrolled FILE [--port P] [--host H] [--public]
keygen  a new dock key: FILE (SEALCAM-DOCK-KEY-1…, mode 0600; never overwritten). Prints its
        sealcamdock1… public key, which camera configurations pin (provision sign --dock).
serve   the dock service: cameras enrolled in --enrolled (one sealcamdev1… per line, # comments)
        authenticate, upload their segments and audit logs into the store DIR (created if
        missing; laid out for sealcam verify: DIR/devices/<device>/<recording>/) and get
        receipts signed with --key. Listens on --host (default 127.0.0.1) and --port (default
        ${DEFAULT_PORT}; 0 picks a free one). A host that is not loopback needs --public: the dock
        speaks plain HTTP. Stops cleanly on SIGINT or SIGTERM.
Bad input: one line on stderr, exit 2.`;


export async function dockCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "keygen": return keygen(rest);
    case "serve": return serve(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(HELP);
      return sub === undefined ? EXIT.USAGE : EXIT.OK;
    default:
      throw usage(`unknown subcommand '${shown(sub)}' (keygen or serve; try: sealcam dock --help)`);
  }
}

// ---- keygen -----------------------------------------------------------------

async function keygen(args: string[]): Promise<number> {
  const { values } = parseOptions({ args, options: { out: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  if (!values.out) throw usage("--out FILE is required (where to write the dock key)");
  checkOutputPath(values.out);
  const crypto = await dockCrypto();
  const seed = generateDockSeed();
  let publicKey: Uint8Array;
  try {
    publicKey = writeDockKey(crypto, values.out, seed);
  } finally {
    seed.fill(0);
  }
  console.log(`wrote ${values.out}  dock key (secret; keep it on the dock)`);
  console.log(`public key  ${formatDockPublicKey(publicKey)}`);
  console.log(`fingerprint ${deviceFingerprint(publicKey)}`);
  console.log("Cameras pin the public key in their signed configuration: sealcam provision sign --dock <public key> …");
  return EXIT.OK;
}

// ---- serve ------------------------------------------------------------------

/** True for names and addresses that stay on this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "[::1]") return true;
  return isIPv4(h) && h.startsWith("127.");
}

/**
 * An enrolment list: one `sealcamdev1…` per line; `#` starts a comment
 * (whole line or after the key); empty lines are ignored; a key twice is an
 * error, as is a list with no key.
 */
export function parseEnrolment(text: string, name: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const seen = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/#.*$/, "").trim();
    if (line === "") continue;
    if (SECRET_KEY.test(line)) throw usage(`${name}:${i + 1}: that is a secret key; the enrolment list holds device public keys (sealcamdev1…)`);
    let key: Uint8Array;
    try {
      key = parseDevicePublicKey(line);
    } catch (e) {
      throw usage(`${name}:${i + 1}: ${messageOf(e)}`);
    }
    const text = formatDevicePublicKey(key);
    const first = seen.get(text);
    if (first !== undefined) throw usage(`${name}:${i + 1}: device ${deviceFingerprint(key)} is already enrolled on line ${first}`);
    seen.set(text, i + 1);
    keys.push(key);
  }
  if (keys.length === 0) throw usage(`${name}: no devices enrolled (one sealcamdev1… per line)`);
  return keys;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseOptions({
    args,
    options: {
      store: { type: "string" },
      key: { type: "string" },
      enrolled: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      public: { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  if (values.store === undefined) throw usage("--store DIR is required (the evidence store; created if missing)");
  if (values.key === undefined) throw usage("--key FILE is required (the dock key: sealcam dock keygen --out FILE)");
  if (values.enrolled === undefined) throw usage("--enrolled FILE is required (the enrolled cameras: one sealcamdev1… per line)");
  const port = values.port === undefined ? DEFAULT_PORT : /^[0-9]{1,5}$/.test(values.port) ? Number(values.port) : -1;
  if (port < 0 || port > 65535) throw usage(`--port must be a whole number from 0 to 65535, not '${shown(values.port ?? "")}'`);
  const host = values.host ?? "127.0.0.1";
  if (!isLoopback(host) && !values.public) {
    throw usage(`--host ${shown(host)} is not a loopback address: the dock speaks plain HTTP, so the network would see which cameras dock and when and could take over their sessions (footage stays age-encrypted); give --public to serve there anyway, behind TLS or on a closed network`);
  }
  try {
    if (!statSync(values.store).isDirectory()) throw usage(`--store ${values.store} is not a directory`);
  } catch (e) {
    if (e instanceof SealcamError) throw e;
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw usage(`--store ${values.store}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const enrolled = parseEnrolment(readKeyFile(values.enrolled), values.enrolled);

  const crypto = await dockCrypto();
  let loaded;
  try {
    loaded = loadDockKey(crypto, values.key);
  } catch (e) {
    if (e instanceof SealcamError && e.exitCode === EXIT.USAGE) throw usage(`--key ${e.message}`);
    throw e;
  }
  const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  let app;
  try {
    app = await createDock({ store: values.store, dockSeed: loaded.seed, enrolled, crypto, log: (line) => console.log(`${stamp()} ${line}`) });
  } catch (e) {
    // A store the dock cannot use: the file system's refusal, or damage it found (exit 1: evidence is at stake).
    if (e instanceof DockError) throw new SealcamError(`--store ${values.store}: ${e.message}`, EXIT.EVIDENCE);
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) throw usage(`--store ${values.store}: ${code === "EACCES" ? "permission denied" : code}`);
    throw e;
  } finally {
    loaded.seed.fill(0);
  }
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw usage(`port ${port} on ${host} is already in use`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw usage(`--host ${shown(host)}: no such address on this machine`);
    if (code === "EACCES") throw usage(`port ${port}: permission denied`);
    throw e;
  }
  console.log(`dock key    ${formatDockPublicKey(loaded.publicKey)} (fingerprint ${deviceFingerprint(loaded.publicKey)})`);
  console.log(`enrolled    ${enrolled.length} device${enrolled.length === 1 ? "" : "s"}`);
  console.log(`store       ${values.store}`);
  // Last: the line that says the dock is ready.
  console.log(`dock listening on ${address}`);

  const signal = await new Promise<string>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once("SIGINT", on("SIGINT"));
    process.once("SIGTERM", on("SIGTERM"));
  });
  console.log(`${stamp()} ${signal}: stopping (uploads in progress get ${STOP_GRACE_MS / 1000} s; what they sent is kept for a resume)`);
  const cut = setTimeout(() => app.server.closeAllConnections(), STOP_GRACE_MS);
  cut.unref();
  await app.close();
  clearTimeout(cut);
  console.log(`${stamp()} dock stopped`);
  return EXIT.OK;
}
