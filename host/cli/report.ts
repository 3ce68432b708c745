// sealcam report: one self-contained HTML page a court can read: the verdict
// first, then the device, keys, the segment and frame timeline with gaps and
// failures marked, the audit log's summary, and how to re-verify without
// sealcam. Written whole or not at all; the exit code is verify's (0 intact,
// 1 problems found).
import { parseArgs } from "node:util";
import { EXIT } from "../errors.ts";
import { verifyPaths } from "../custody/verify.ts";
import { renderReportHtml } from "../custody/html.ts";
import { COMMON_OPTIONS, moduleCrypto, loadIdentities, loadDevice, recordingOption, usage, OutputFile, checkOutputPath } from "./custody.ts";

const HELP = `usage: sealcam report PATH... --identity FILE --html OUT.html [--device KEY|FILE]
  PATH                 folders of segments, segment files, clips (.sealclip), audit logs (audit.log); a dock's
                       device folder (STORE/devices/<device hex>) brings all its recordings and its audit log
  --identity FILE      the force's age identity: check every frame (without it, manifests only)
  --html FILE          the report to write (never overwritten)
  --device KEY|FILE    hold every segment to this device key (sealcamdev1… or device.pub)
  --recording ID       only this recording
The page needs nothing else: no network, no scripts. Exit 0: intact; 1: problems (named in the page).`;

export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON_OPTIONS, html: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.OK;
  }
  if (!values.html) throw usage("--html FILE is required");
  checkOutputPath(values.html);
  const crypto = await moduleCrypto();
  const identities = loadIdentities(crypto, values.identity);
  const pinnedDevice = loadDevice(values.device);
  const report = await verifyPaths(positionals, { crypto, identities, pinnedDevice, recording: recordingOption(values.recording) });
  const out = new OutputFile(values.html);
  try {
    out.write(Buffer.from(renderReportHtml(report), "utf8"));
    out.commit();
  } finally {
    out.discard();
  }
  const problems = report.problems.length + report.recordings.reduce((n, r) => n + r.problems.length + r.problems_more, 0) + report.clips.reduce((n, c) => n + c.problems.length, 0)
    + report.audit_logs.reduce((n, a) => n + a.problems.length + a.problems_more, 0);
  console.log(`${report.intact ? "INTACT" : `PROBLEMS FOUND (${problems})`}: report written to ${values.html}`);
  return report.intact ? EXIT.OK : EXIT.EVIDENCE;
}
