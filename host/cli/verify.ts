// sealcam verify: check recordings, clips and audit logs; exit 0 intact, 1 a problem
// found, 2 unusable input (README, "Exit codes").
import { parseArgs } from "node:util";
import { EXIT } from "../errors.ts";
import { verifyPaths } from "../custody/verify.ts";
import { renderText } from "../custody/text.ts";
import { COMMON_OPTIONS, moduleCrypto, loadIdentities, loadDevice, recordingOption } from "./custody.ts";

const HELP = `usage: sealcam verify PATH... [--identity FILE] [--device KEY|FILE] [--json]
  PATH                 folders of segments (.age + .manifest.json), segment files, clips (.sealclip), audit logs
                       (audit.log, also found in a folder given and in the dock's device folder above one);
                       a dock's device folder (STORE/devices/<device hex>) brings all its recordings
  --identity FILE      the force's age identity: also decrypt and check every frame (repeatable)
  --device KEY|FILE    hold every segment and audit entry to this device key (sealcamdev1… or device.pub)
  --recording ID       only this recording (32 hex)
  --json               print the full report as JSON (format sealcam-verify/1)
Without --identity only the manifests and files are checked: anyone can, without decrypting.
Exit 0: intact. 1: a problem was found (each named by segment and frame, or audit entry). 2: unusable input.`;

export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON_OPTIONS, json: { type: "boolean" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  const crypto = await moduleCrypto();
  const identities = loadIdentities(crypto, values.identity);
  const pinnedDevice = loadDevice(values.device);
  const report = await verifyPaths(positionals, { crypto, identities, pinnedDevice, recording: recordingOption(values.recording) });
  console.log(values.json ? JSON.stringify(report, null, 2) : renderText(report));
  return report.intact ? EXIT.OK : EXIT.EVIDENCE;
}
