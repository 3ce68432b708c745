#!/usr/bin/env node
// The sealcam command. The host is TypeScript, run through tsx's loader.
import { register } from "tsx/esm/api";

// A reader that stops early (`sealcam verify … | head`) closes the pipe; that
// ends the output, not the command with a stack trace.
process.stdout.on("error", (e) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

register();
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
