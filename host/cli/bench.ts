import { parseArgs } from "node:util";
import { runBench } from "../bench/index.ts";
import { EXIT } from "../errors.ts";

const HELP = `usage: sealcam bench [--quick] [--only TEXT]
  --quick       a short smoke run (figures are not meaningful)
  --only TEXT   only operations whose title contains TEXT (e.g. --only ed25519)`;

export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { quick: { type: "boolean" }, only: { type: "string" }, help: { type: "boolean" } }, strict: true });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  await runBench({ quick: values.quick, filter: values.only });
  return EXIT.OK;
}
