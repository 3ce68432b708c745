// sealcam shift: the simulated shift (host/demo/shift.ts), `npm start`'s job.
import { runShift } from "../demo/shift.ts";
import { EXIT } from "../errors.ts";
import { parseOptions } from "./options.ts";

const HELP = `usage: sealcam shift [--out DIR] [--board NAME|FILE]
A simulated shift, end to end: the force provisions a camera and a dock; the camera
buffers pre-event footage, is triggered, records, loses power, reboots, records again
and docks; the custodian verifies what the dock received and the camera's audit log.
  --out DIR     where the shift's files go (a new folder; default build/shift-<time>)
  --board NAME  the camera's board (boards/NAME.json or a file; default sim)
Exit 0 when every outcome is what it should be, 1 when one is not.`;

export async function shiftCommand(args: string[]): Promise<number> {
  const { values } = parseOptions({ args, options: { out: { type: "string" }, board: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  return (await runShift({ out: values.out, board: values.board })) ? EXIT.OK : EXIT.EVIDENCE;
}
