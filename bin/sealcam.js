#!/usr/bin/env node
// The sealcam command. The host is TypeScript, run through tsx's loader.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
