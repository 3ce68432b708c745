import { parseArgs } from "node:util";
import { runDemo } from "../demo/primitives.ts";
import { EXIT, SealcamError } from "../errors.ts";

const HELP = `usage: sealcam demo [--frames N] [--frame-bytes N]
  --frames N        frames to capture (default 30, one second at 30 fps)
  --frame-bytes N   size of each synthetic frame (default 60000, a 1080p P-frame)`;

function positive(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new SealcamError(`--${name} must be a whole number from 1 to ${max}, not '${text}'`, EXIT.USAGE);
  return n;
}

export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { frames: { type: "string" }, "frame-bytes": { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const ok = await runDemo({
    frames: positive("frames", values.frames, 30, 100_000),
    frameBytes: positive("frame-bytes", values["frame-bytes"], 60_000, 16 << 20),
  });
  return ok ? EXIT.OK : EXIT.EVIDENCE;
}
