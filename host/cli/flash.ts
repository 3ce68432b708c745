// sealcam flash: look into a camera's (simulated) flash image without
// changing it: list the committed segments, say what a boot would discard,
// export the segments as files for `sealcam verify`.
//
// A boot repairs the flash (it erases what a power cut left half-written),
// so these commands boot a private copy of the image: the image itself is
// evidence and stays exactly as it was found.
import { parseArgs } from "node:util";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SealcamError, EXIT } from "../errors.ts";
import { FlashDevice, FlashStore } from "../flash/index.ts";
import { loadBoard } from "../flash/board.ts";

const HELP = `usage: sealcam flash ls IMAGE [--board NAME|FILE]
       sealcam flash export IMAGE --out DIR [--board NAME|FILE]
  ls       the committed segments in the image, and what a boot would discard
  export   write each committed segment as <recording>-<seq>.age and .manifest.json
           into DIR (created; must be empty or new), for sealcam verify
  --board  the board whose flash geometry the image has (default sim)
The image is never changed: a copy is booted.`;

function usage(message: string): SealcamError {
  return new SealcamError(message, EXIT.USAGE);
}

export async function flashCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { out: { type: "string" }, board: { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const [verb, image, ...extra] = positionals;
  if (verb !== "ls" && verb !== "export") throw usage(`say ls or export (sealcam flash --help)${verb ? `, not '${verb}'` : ""}`);
  if (!image) throw usage("name the flash image");
  if (extra.length) throw usage(`unexpected argument '${extra[0]}'`);
  if (!existsSync(image) || !statSync(image).isFile()) throw usage(`${image}: no such flash image`);
  if (verb === "export" && !values.out) throw usage("export needs --out DIR");
  if (verb === "ls" && values.out) throw usage("--out applies to export");
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
