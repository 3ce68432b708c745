import { parseArgs } from "node:util";
import { statSync } from "node:fs";
import { join } from "node:path";
import { EXIT, SealcamError } from "../errors.ts";
import { Crypto } from "../engine/crypto.ts";
import { instantiateV8 } from "../engine/index.ts";
import {
  generateIdentity, recipientOf, forceIdentityFileText,
  generateDeviceSeed, devicePublicKey, deviceKeyFileText, formatDevicePublicKey, deviceFingerprint,
  writeKeyFiles, SECRET_FILE_MODE, PUBLIC_FILE_MODE, type KeyFileSpec,
} from "../keys/index.ts";

const HELP = `usage: sealcam keygen --out DIR [--force-only | --device-only]
  --out DIR       where to write the key files (created, mode 0700, if missing)
  --force-only    only the force's age identity: DIR/force.key, DIR/force.pub
  --device-only   only the camera's device key: DIR/device.key, DIR/device.pub
DIR/force.key (AGE-SECRET-KEY-1…, mode 0600) opens the evidence: it belongs with
the evidence custodian, never on a camera. DIR/force.pub holds its age1… recipient,
DIR/device.key (SEALCAM-DEVICE-KEY-1…, mode 0600) the camera's signing key and
DIR/device.pub its sealcamdev1… public key. Existing files are never overwritten.`;

export async function keygenCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { out: { type: "string" }, "force-only": { type: "boolean" }, "device-only": { type: "boolean" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const out = values.out;
  if (!out) throw new SealcamError("--out DIR is required (where to write the key files)", EXIT.USAGE);
  if (values["force-only"] && values["device-only"]) throw new SealcamError("--force-only and --device-only exclude each other", EXIT.USAGE);
  if (isNonDirectory(out)) throw new SealcamError(`--out ${out} is not a directory`, EXIT.USAGE);
  const force = !values["device-only"];
  const device = !values["force-only"];

  const crypto = new Crypto(await instantiateV8("release"));
  const files: (KeyFileSpec & { what: string })[] = [];
  const summary: string[] = [];
  const created = new Date();
  const secrets: Uint8Array[] = [];
  try {
    if (force) {
      const scalar = generateIdentity();
      secrets.push(scalar);
      const recipient = recipientOf(crypto, scalar);
      files.push({ path: join(out, "force.key"), text: forceIdentityFileText(scalar, recipient, created), mode: SECRET_FILE_MODE, what: "force identity (secret)" });
      files.push({ path: join(out, "force.pub"), text: `${recipient}\n`, mode: PUBLIC_FILE_MODE, what: "force recipient" });
      summary.push(`recipient           ${recipient}`);
    }
    if (device) {
      const seed = generateDeviceSeed();
      secrets.push(seed);
      const publicKey = devicePublicKey(crypto, seed);
      files.push({ path: join(out, "device.key"), text: deviceKeyFileText(seed, publicKey, created), mode: SECRET_FILE_MODE, what: "device key (secret)" });
      files.push({ path: join(out, "device.pub"), text: `${formatDevicePublicKey(publicKey)}\n`, mode: PUBLIC_FILE_MODE, what: "device public key" });
      summary.push(`device public key   ${formatDevicePublicKey(publicKey)}`);
      summary.push(`device fingerprint  ${deviceFingerprint(publicKey)}`);
    }
    writeKeyFiles(files);
  } finally {
    for (const s of secrets) s.fill(0);
  }

  const width = Math.max(...files.map((f) => f.path.length));
  for (const f of files) console.log(`wrote ${f.path.padEnd(width)}  ${f.what}`);
  for (const line of summary) console.log(line);
  if (force) console.log(`${join(out, "force.key")} belongs with the evidence custodian, never on a camera: it opens every segment sealed to its recipient.`);
  if (device) console.log(`${join(out, "device.key")} belongs on the camera it identifies; give device.pub and its fingerprint to whoever verifies that camera's evidence.`);
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
