// sealcam flash: look into a camera's (simulated) flash image without
// changing it: list the committed segments, say what a boot would discard,
// export the segments as files for `sealcam verify`; and dock it: boot the
// camera on its image and upload its queue to the force's dock.
//
// A boot repairs the flash (it erases what a power cut left half-written),
// so ls and export boot a private copy of the image: the image itself is
// evidence and stays exactly as it was found. dock is the camera at work: it
// boots the image itself, and deletes each segment once the camera's module
// has accepted the dock's receipt for it.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { FlashDevice, FlashStore } from "../flash/index.ts";
import { loadBoard } from "../flash/board.ts";
import { Recorder } from "../camera/recorder.ts";
import { dockingCamera } from "../camera/docking.ts";
import { readConfigFile } from "../camera/config.ts";
import { dockCamera } from "../dock/client.ts";
import { loadDeviceKey, formatDevicePublicKey, parseProvisioningPublicKey, PROVISIONING_PUBLIC_HRP } from "../keys/index.ts";
import { moduleCrypto } from "./custody.ts";
import { publicKeyOption, usage, parseOptions } from "./options.ts";

const HELP = `usage: sealcam flash ls IMAGE [--board NAME|FILE]
       sealcam flash export IMAGE --out DIR [--board NAME|FILE]
       sealcam flash dock IMAGE --url URL --device-key FILE --config FILE --provisioning KEY|FILE [--board NAME|FILE]
  ls       the committed segments in the image, and what a boot would discard
  export   write each committed segment as <recording>-<seq>.age and .manifest.json
           into DIR (created; must be empty or new), for sealcam verify
  dock     boot the camera (its device key, the configuration the force signed and the
           provisioning key it pins) on the image and dock to URL (sealcam dock serve):
           each segment is deleted only after the module accepts the dock's receipt
  --board  the board whose flash geometry the image has (default sim)
ls and export never change the image (a copy is booted); dock changes it.`;


export async function flashCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args,
    options: {
      out: { type: "string" }, board: { type: "string" }, url: { type: "string" }, "device-key": { type: "string" },
      config: { type: "string" }, provisioning: { type: "string" }, help: { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const [verb, image, ...extra] = positionals;
  if (verb !== "ls" && verb !== "export" && verb !== "dock") throw usage(`say ls, export or dock (sealcam flash --help)${verb ? `, not '${verb}'` : ""}`);
  if (!image) throw usage("name the flash image");
  if (extra.length) throw usage(`unexpected argument '${extra[0]}'`);
  if (!existsSync(image) || !statSync(image).isFile()) throw usage(`${image}: no such flash image`);
  if (verb === "export" && !values.out) throw usage("export needs --out DIR");
  if (verb !== "export" && values.out) throw usage("--out applies to export");
  if (verb !== "dock") {
    for (const o of ["url", "device-key", "config", "provisioning"] as const) if (values[o] !== undefined) throw usage(`--${o} applies to dock`);
  } else {
    return dock(image, values);
  }
  const board = loadBoard(values.board);
  const work = mkdtempSync(join(tmpdir(), "sealcam-flash-"));
  try {
    const copy = join(work, "image");
    copyFileSync(image, copy);
    const device = FlashDevice.open(copy, board.flash);
    try {
      const lines: string[] = [];
      const store = FlashStore.boot(device, (line) => lines.push(line), board.policy);
      const segments = store.list();
      if (verb === "ls") {
        console.log(`flash      ${image} (${board.name}: ${board.flash.blocks} blocks of ${(device.blockBytes / 1024).toFixed(0)} KiB, ${store.usedBlocks} in use)`);
        for (const s of segments) {
          const m = s.manifest;
          console.log(`segment    ${s.name}  frames ${m.first_frame}-${m.first_frame + m.frame_count - 1}  ${s.ageBytes} bytes${m.final ? "  final" : ""}`);
        }
        for (const line of lines) console.log(`on boot    ${line.replace(/^flash: /, "")}`);
        const audit = store.audit;
        console.log(audit.entryCount
          ? `audit log  ${audit.entryCount} entr${audit.entryCount === 1 ? "y" : "ies"} (index ${audit.firstIndex}–${audit.lastIndex}) in ${audit.blockCount} block${audit.blockCount === 1 ? "" : "s"}`
          : "audit log  empty");
        console.log(`${segments.length} committed segment${segments.length === 1 ? "" : "s"}`);
      } else {
        const written = store.exportTo(values.out!);
        console.log(`exported ${written.length} segment${written.length === 1 ? "" : "s"} (.age and .manifest.json each) to ${values.out}`);
      }
    } finally {
      device.close();
    }
    return EXIT.OK;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Boots the camera on its image and docks it (the image is changed: docked segments are deleted). */
async function dock(image: string, values: Record<string, string | boolean | undefined>): Promise<number> {
  for (const o of ["url", "device-key", "config", "provisioning"]) {
    if (typeof values[o] !== "string") throw usage(`dock needs --${o} (sealcam flash --help)`);
  }
  let url: URL;
  try {
    url = new URL(values.url as string);
  } catch {
    throw usage(`--url: not a URL: '${values.url}'`);
  }
  if (url.protocol !== "http:") throw usage(`--url: the dock speaks http, not ${url.protocol}`);
  const board = loadBoard(values.board as string | undefined);
  const config = readConfigFile(values.config as string);
  const publicKey = publicKeyOption("provisioning", values.provisioning as string, PROVISIONING_PUBLIC_HRP, parseProvisioningPublicKey);
  const crypto = await moduleCrypto();
  const seed = loadDeviceKey(crypto, values["device-key"] as string).seed;
  const device = FlashDevice.open(image, board.flash);
  try {
    const store = FlashStore.boot(device, (line) => console.log(line), board.policy);
    const recorder = await Recorder.create({ store: store.sink(), audit: store.audit });
    try {
      recorder.configure({ deviceSeed: seed, recipients: [], segmentSeconds: 1, provisioning: { publicKey, config } });
    } finally {
      seed.fill(0);
    }
    const found = store.recovered;
    if (found.discarded.length) recorder.auditNote(8, found.discarded.length, found.committed.length);
    const queued = store.list().length;
    console.log(`camera     ${formatDevicePublicKey(recorder.devicePublicKey)}: ${queued} segment${queued === 1 ? "" : "s"} queued, audit log ${store.audit.entryCount} entries`);
    const summary = await dockCamera(dockingCamera(recorder, store), url.href, { log: (line) => console.log(line) });
    console.log(`docked     ${summary.segments} of ${queued} segments (${summary.bytes} bytes), ${summary.receipts} receipts accepted by the module; ${store.list().length} left on the camera`);
    for (const e of summary.errors) console.log(`kept       ${e}`);
    return summary.errors.length || store.list().length ? EXIT.EVIDENCE : EXIT.OK;
  } finally {
    device.close();
  }
}
