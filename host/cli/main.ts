// sealcam's command line: parses arguments and calls the surfaces in host/.
// Every failure ends as one line on stderr and a documented exit code
// (README, "Exit codes"); a stack trace is printed only with SEALCAM_DEBUG=1.
import { SealcamError, EXIT } from "../errors.ts";
// Commands load on use: the benchmark's references (libsodium, noble) and the
// recorder cost start-up time every other command should not pay.

const COMMANDS: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  shift: { summary: "a simulated shift end to end: pre-event trigger, recordings, a power cut, docking, custody checks (npm start)", run: (args) => import("./shift.ts").then((m) => m.shiftCommand(args)) },
  demo: { summary: "seal and sign a second of synthetic frames with the firmware module, then open and verify them", run: (args) => import("./demo.ts").then((m) => m.demoCommand(args)) },
  record: { summary: "record H.264 frames into sealed, signed segments (the fixture, ffmpeg, a file or stdin)", run: (args) => import("./record.ts").then((m) => m.recordCommand(args)) },
  bench: { summary: "measure the module beside node:crypto, libsodium, noble (the issue's targets)", run: (args) => import("./bench.ts").then((m) => m.benchCommand(args)) },
  verify: { summary: "check recordings and clips: manifests, files and (with --identity) every frame; exit 0 intact, 1 problems", run: (args) => import("./verify.ts").then((m) => m.verifyCommand(args)) },
  decrypt: { summary: "write the verified H.264 of a recording or clip (or a frame range of it)", run: (args) => import("./extract.ts").then((m) => m.decryptCommand(args)) },
  export: { summary: "cut a clip: a playable MP4 and a clip evidence file that verifies on its own", run: (args) => import("./extract.ts").then((m) => m.exportCommand(args)) },
  report: { summary: "write a self-contained HTML report of a verification, for a court", run: (args) => import("./report.ts").then((m) => m.reportCommand(args)) },
  flash: { summary: "list or export a flash image's committed segments (never changes it), or dock the camera on it (ls, export, dock)", run: (args) => import("./flash.ts").then((m) => m.flashCommand(args)) },
  keygen: { summary: "make the force's age identity and a camera's device key (--out DIR)", run: (args) => import("./keygen.ts").then((m) => m.keygenCommand(args)) },
  provision: { summary: "the force's provisioning key, and camera configurations signed with it (keygen, sign, show)", run: (args) => import("./provision.ts").then((m) => m.provisionCommand(args)) },
  dock: { summary: "the dock: its key (keygen) and the service cameras upload segments and audit logs to (serve)", run: (args) => import("./dock.ts").then((m) => m.dockCommand(args)) },
};

export function usage(): string {
  const lines = ["usage: sealcam <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${c.summary}`);
  lines.push("", "sealcam <command> --help shows a command's options.");
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`sealcam: unknown command '${name}' (try: sealcam help)`);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (process.env.SEALCAM_DEBUG === "1") console.error(e);
    if (e instanceof SealcamError) {
      console.error(`sealcam ${name}: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof Error && "code" in e && typeof (e as any).code === "string" && (e as any).code.startsWith("ERR_PARSE_ARGS")) {
      console.error(`sealcam ${name}: ${e.message}`);
      return EXIT.USAGE;
    }
    console.error(`sealcam ${name}: internal error: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.INTERNAL;
  }
}
