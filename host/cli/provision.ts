// sealcam provision: the force's provisioning key, and the camera
// configurations it signs (docs/FORMAT.md, "Camera configuration").
//
//   keygen  writes DIR/provisioning.key (0600) and DIR/provisioning.pub (0644)
//   sign    writes one signed configuration (.sealcfg) for one camera
//   show    prints a configuration; with --provisioning, checks its signature
//
// Every bad input is refused with one line and exit 2 before anything is
// written; files are written whole or not at all and never over a file.
import { statSync } from "node:fs";
import { join } from "node:path";
import { EXIT, SealcamError } from "../errors.ts";
import {
  parseRecipient, parseDevicePublicKey, deviceFingerprint, writeKeyFiles, SECRET_FILE_MODE, PUBLIC_FILE_MODE,
  DEVICE_PUBLIC_HRP, DOCK_PUBLIC_HRP, PROVISIONING_PUBLIC_HRP, generateProvisioningSeed, provisioningPublicKey,
  provisioningKeyFileText, formatProvisioningPublicKey, parseProvisioningPublicKey, parseDockPublicKey, loadProvisioningKey,
} from "../keys/index.ts";
import {
  signConfig, parseConfig, verifyConfig, readConfigFile, describeConfig, checkConfigKeys, isCanonicalRecipient,
  CONFIG_MAX_RECIPIENTS, LABEL_WIDTH, MIN_SEGMENT_SIZE_BYTES, MAX_PRE_EVENT_US, type CameraSettings,
} from "../camera/config.ts";
import { OutputFile, checkOutputPath, moduleCrypto } from "./custody.ts";
import { SECRET_KEY, shown, publicKeyOption, usage, messageOf, parseOptions } from "./options.ts";

const HELP = `usage: sealcam provision keygen --out DIR
       sealcam provision sign --key FILE --device KEY|FILE --recipient age1… [--recipient age1…]
                              --serial N --out FILE [--dock KEY|FILE]
                              [--segment-seconds N] [--segment-bytes N] [--pre-event-seconds N]
       sealcam provision show FILE [--provisioning KEY|FILE]
keygen   the force's provisioning key: DIR/provisioning.key (SEALCAM-PROVISIONING-KEY-1…,
         mode 0600; keep it offline) and DIR/provisioning.pub (its sealcamprov1… public key,
         pinned by every camera at enrolment)
sign     a camera configuration signed with --key (provisioning.key), for the camera whose
         device public key is --device (sealcamdev1… or device.pub): its recipients (1 to 8),
         its dock (sealcamdock1… or a file holding one; default none), segment limits
         (default 4 s and 268435456 bytes = 256 MiB) and --serial (1 to 2^53 − 1; a camera
         takes only a serial above the one in force), and the pre-event buffer (default 0,
         none; else 1 to 600 s kept before a trigger). Writes --out (never over a file).
show     print a configuration's settings; with --provisioning (sealcamprov1… or
         provisioning.pub) also check its signature: exit 0 if it verifies, 1 if not.
Bad input: one line on stderr, exit 2, nothing written.`;

/** Options above this are surely typos (a day; 2^53 − 1, what JSON and JavaScript hold exactly). */
const SEGMENT_SECONDS_MAX = 86_400;
const INTEGER_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const DEFAULT_SEGMENT_SECONDS = "4";
const DEFAULT_SEGMENT_BYTES = 256n << 20n;



export async function provisionCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "keygen": return keygen(rest);
    case "sign": return sign(rest);
    case "show": return show(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(HELP);
      return sub === undefined ? EXIT.USAGE : EXIT.OK;
    default:
      throw usage(`unknown subcommand '${shown(sub)}' (keygen, sign or show; try: sealcam provision --help)`);
  }
}

// ---- keygen -----------------------------------------------------------------

async function keygen(args: string[]): Promise<number> {
  const { values } = parseOptions({ args, options: { out: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const out = values.out;
  if (!out) throw usage("--out DIR is required (where to write provisioning.key and provisioning.pub)");
  if (isNonDirectory(out)) throw usage(`--out ${out} is not a directory`);

  const crypto = await moduleCrypto();
  const seed = generateProvisioningSeed();
  const keyPath = join(out, "provisioning.key");
  const pubPath = join(out, "provisioning.pub");
  let publicKey: Uint8Array;
  try {
    publicKey = provisioningPublicKey(crypto, seed);
    writeKeyFiles([
      { path: keyPath, text: provisioningKeyFileText(seed, publicKey), mode: SECRET_FILE_MODE },
      { path: pubPath, text: `${formatProvisioningPublicKey(publicKey)}\n`, mode: PUBLIC_FILE_MODE },
    ]);
  } finally {
    seed.fill(0);
  }
  const width = Math.max(keyPath.length, pubPath.length);
  console.log(`wrote ${keyPath.padEnd(width)}  provisioning key (secret)`);
  console.log(`wrote ${pubPath.padEnd(width)}  provisioning public key`);
  console.log(`${"public key".padEnd(LABEL_WIDTH)} ${formatProvisioningPublicKey(publicKey)}`);
  console.log(`${"fingerprint".padEnd(LABEL_WIDTH)} ${deviceFingerprint(publicKey)}`);
  console.log(`${keyPath} signs every camera's configuration: keep it offline. Cameras pin provisioning.pub at enrolment.`);
  return EXIT.OK;
}

/** True when `path` exists and is not a directory (nor a link to one). */
function isNonDirectory(path: string): boolean {
  try {
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// ---- sign -------------------------------------------------------------------

async function sign(args: string[]): Promise<number> {
  const { values } = parseOptions({
    args,
    options: {
      key: { type: "string" },
      device: { type: "string" },
      recipient: { type: "string", multiple: true },
      dock: { type: "string" },
      "segment-seconds": { type: "string" },
      "segment-bytes": { type: "string" },
      "pre-event-seconds": { type: "string" },
      serial: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }

  // ---- everything checked before the key is read or anything written -------
  if (values.key === undefined) throw usage("--key FILE is required (the provisioning key, provisioning.key)");
  if (values.device === undefined) throw usage("--device KEY|FILE is required (the camera's sealcamdev1… public key, or device.pub)");
  if (values.serial === undefined) throw usage("--serial N is required (above the serial of the configuration the camera has)");
  if (values.out === undefined) throw usage("--out FILE is required (where to write the configuration, e.g. camera.sealcfg)");
  const recipients = recipientsOption(values.recipient ?? []);
  const serial = integerOption("serial", values.serial, 1n, INTEGER_MAX);
  const segmentDurationUs = secondsOption("segment-seconds", values["segment-seconds"] ?? DEFAULT_SEGMENT_SECONDS);
  const segmentSizeBytes = values["segment-bytes"] === undefined
    ? DEFAULT_SEGMENT_BYTES
    : integerOption("segment-bytes", values["segment-bytes"], MIN_SEGMENT_SIZE_BYTES, INTEGER_MAX);
  const preEventUs = values["pre-event-seconds"] === undefined || values["pre-event-seconds"] === "0"
    ? 0n
    : secondsOption("pre-event-seconds", values["pre-event-seconds"]);
  if (preEventUs > MAX_PRE_EVENT_US) throw usage(`--pre-event-seconds must be at most ${MAX_PRE_EVENT_US / 1_000_000n}, not ${values["pre-event-seconds"]}`);
  const device = publicKeyOption("device", values.device, DEVICE_PUBLIC_HRP, parseDevicePublicKey);
  const dock = values.dock === undefined ? null : publicKeyOption("dock", values.dock, DOCK_PUBLIC_HRP, parseDockPublicKey);
  const out = values.out;
  checkOutputPath(out);

  const settings: CameraSettings = { device, serial, segmentDurationUs, segmentSizeBytes, recipients, dock, preEventUs };
  const crypto = await moduleCrypto();
  checkConfigKeys(crypto, settings);
  let loaded;
  try {
    loaded = loadProvisioningKey(crypto, values.key);
  } catch (e) {
    if (e instanceof SealcamError && e.exitCode === EXIT.USAGE) throw usage(`--key ${e.message}`);
    throw e;
  }
  const { seed, publicKey } = loaded;
  let blob: Uint8Array;
  try {
    blob = signConfig(crypto, seed, settings);
  } finally {
    seed.fill(0);
  }
  // What is written must read back as written, with a signature that verifies.
  const back = parseConfig(blob);
  if (!verifyConfig(crypto, blob, publicKey) || back.serial !== serial) {
    throw new SealcamError("the new configuration does not read back as signed", EXIT.INTERNAL);
  }

  const file = new OutputFile(out);
  try {
    file.write(blob);
    file.commit();
  } catch (e) {
    file.discard();
    throw e;
  }
  console.log(`wrote ${out} (${blob.length} bytes): camera configuration ${serial} for camera ${deviceFingerprint(device)}`);
  for (const line of describeConfig(back)) console.log(line);
  console.log(`${"signed by".padEnd(LABEL_WIDTH)} ${formatProvisioningPublicKey(publicKey)} (fingerprint ${deviceFingerprint(publicKey)})`);
  return EXIT.OK;
}

/** --recipient values: 1 to 8 distinct `age1…` keys, canonical; a secret key is refused unseen. */
function recipientsOption(texts: string[]): Uint8Array[] {
  if (texts.length === 0) throw usage("at least one --recipient age1… is required (the force's public key)");
  if (texts.length > CONFIG_MAX_RECIPIENTS) throw usage(`at most ${CONFIG_MAX_RECIPIENTS} recipients, not ${texts.length}`);
  const seen = new Map<string, number>();
  return texts.map((text, i) => {
    if (SECRET_KEY.test(text.trim())) throw usage("--recipient: that is a secret key, not a recipient; give the force's age1… public key (force.pub)");
    let r: Uint8Array;
    try {
      r = parseRecipient(text);
    } catch (e) {
      throw usage(`--recipient '${shown(text)}': ${messageOf(e)}`);
    }
    if (!isCanonicalRecipient(r)) throw usage(`--recipient '${shown(text)}': not a canonical X25519 key (bit 255 set or u ≥ 2^255 − 19)`);
    const hex = Buffer.from(r).toString("hex");
    const first = seen.get(hex);
    if (first !== undefined) throw usage(`--recipient ${i + 1} repeats recipient ${first} (${shown(text)})`);
    seen.set(hex, i + 1);
    return r;
  });
}

/** A whole number in decimal digits, from `min` to `max`. */
function integerOption(name: string, text: string, min: bigint, max: bigint): bigint {
  const value = /^[0-9]{1,20}$/.test(text) ? BigInt(text) : undefined;
  if (value === undefined || value < min || value > max) throw usage(`--${name} must be a whole number from ${min} to ${max}, not '${shown(text)}'`);
  return value;
}

/** Seconds in decimal (at most 6 decimals) as µs, from 1 s to a day. */
function secondsOption(name: string, text: string): bigint {
  const m = /^([0-9]{1,6})(?:\.([0-9]{1,6}))?$/.exec(text);
  const us = m ? BigInt(m[1]) * 1_000_000n + BigInt((m[2] ?? "").padEnd(6, "0")) : -1n;
  if (us < 1_000_000n || us > BigInt(SEGMENT_SECONDS_MAX) * 1_000_000n) {
    throw usage(`--${name} must be a number of seconds from 1 to ${SEGMENT_SECONDS_MAX} (at most 6 decimals), not '${shown(text)}'`);
  }
  return us;
}

// ---- show -------------------------------------------------------------------

async function show(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args,
    options: { provisioning: { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  if (positionals.length !== 1) throw usage(`give one configuration file (sealcam provision show FILE), not ${positionals.length}`);
  const path = positionals[0];
  const provisioning = values.provisioning === undefined
    ? undefined
    : publicKeyOption("provisioning", values.provisioning, PROVISIONING_PUBLIC_HRP, parseProvisioningPublicKey);
  const blob = readConfigFile(path);
  let config;
  try {
    config = parseConfig(blob);
  } catch (e) {
    throw usage(`${path}: ${messageOf(e)}`);
  }
  const crypto = await moduleCrypto();
  try {
    checkConfigKeys(crypto, config);
  } catch (e) {
    throw usage(`${path}: ${messageOf(e)}`);
  }

  console.log(`${"configuration".padEnd(LABEL_WIDTH)} ${path} (${blob.length} bytes)`);
  for (const line of describeConfig(config)) console.log(line);
  const label = "signature".padEnd(LABEL_WIDTH);
  if (!provisioning) {
    console.log(`${label} not checked (give --provisioning sealcamprov1… or provisioning.pub to check it)`);
    return EXIT.OK;
  }
  const who = `${formatProvisioningPublicKey(provisioning)} (fingerprint ${deviceFingerprint(provisioning)})`;
  if (verifyConfig(crypto, blob, provisioning)) {
    console.log(`${label} verifies under the provisioning key ${who}`);
    return EXIT.OK;
  }
  console.log(`${label} DOES NOT VERIFY under the provisioning key ${who}: signed by another key, or changed since; a camera pinning this key refuses it`);
  return EXIT.EVIDENCE;
}
