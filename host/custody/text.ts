// The text summary `sealcam verify` prints: per recording and clip the
// device, time range, frames, segments and verdict, per audit log its entries,
// kinds and chain, then every problem with its segment, frame or entry, then
// the overall verdict.
import type { VerifyReport, RecordingResult, ClipResult, AuditLogResult, Problem } from "./model.ts";

/** ISO 8601 UTC with milliseconds, from microseconds since the epoch. */
export function isoTime(us: number | null): string {
  if (us === null) return "unknown";
  return new Date(Math.floor(us / 1000)).toISOString();
}

function span(first: number | null, last: number | null): string {
  if (first === null || last === null) return "unknown";
  return `${isoTime(first)} – ${isoTime(last)} (${((last - first) / 1e6).toFixed(1)} s)`;
}

function deviceLine(d: { device_key: string; fingerprint: string; device_pinned: boolean }, pinned: string | null): string {
  const how = d.device_pinned
    ? "the key given with --device, matched throughout"
    : pinned !== null
      ? "the key given with --device, which some of the evidence does not match"
      : "as the files declare it: pin it with --device to hold it to the enrolled key";
  return `${d.device_key} (fingerprint ${d.fingerprint}), ${how}`;
}

export function problemLine(p: Problem): string {
  const where = [
    p.entry !== undefined ? `entry ${p.entry}` : null, p.segment !== undefined ? `segment ${p.segment}` : null, p.frame !== undefined ? `frame ${p.frame}` : null,
  ].filter(Boolean).join(" ");
  return `PROBLEM  ${where ? where + "  " : ""}[${p.kind}] ${p.message}`;
}

function recordingText(r: RecordingResult, full: boolean, pinned: string | null): string[] {
  const seqs = r.segments.map((s) => s.sequence);
  const lines = [
    `recording ${r.recording}`,
    `  device    ${deviceLine(r, pinned)}`,
    `  time      ${span(r.first_time_us, r.last_time_us)}`,
    `  frames    ${r.first_frame === null ? "none declared" : `${r.first_frame}–${r.last_frame}: ${r.frames_declared} declared by the manifests`}${full ? `, ${r.frames_verified} checked one by one and intact` : ", not checked one by one (no identity)"}`,
    `  segments  ${r.segments.length} (${seqs.length ? `${seqs.reduce((a, b) => Math.min(a, b))}–${seqs.reduce((a, b) => Math.max(a, b))}` : "none"})${r.final ? ", ends with the final segment" : ", no final segment"}`,
    ...r.notes.map((n) => `  note      ${n}`),
    `  verdict   ${r.intact ? "INTACT" : `PROBLEMS FOUND (${r.problems.length + r.problems_more})`}`,
  ];
  return lines;
}

const HELD_TO: Record<AuditLogResult["device_from"], string> = {
  "--device": "",
  recordings: "the key of the recordings beside it: pin it with --device to hold it to the enrolled key",
  log: "as the log's entries declare it: pin it with --device to hold it to the enrolled key",
};

function auditText(a: AuditLogResult, pinned: string | null): string[] {
  const device = a.device_from === "--device" ? deviceLine(a, pinned) : `${a.device_key} (fingerprint ${a.fingerprint}), ${HELD_TO[a.device_from]}`;
  const kinds = a.kinds.map((k) => `${k.name} ${k.count}`).join(", ");
  const chain = a.breaks.length ? `broken at entr${a.breaks.length === 1 ? "y" : "ies"} ${a.breaks.join(", ")}` : "unbroken";
  return [
    `audit log ${a.file}`,
    `  device    ${device}`,
    `  entries   ${a.entries} (${a.bytes} bytes)${a.first_index === null ? "" : `, indexes ${a.first_index}–${a.last_index}`}, ${a.entries_verified} signed by the device; chain ${chain}`,
    `  time      ${span(a.first_time_us, a.last_time_us)}, the camera's clock (informational)`,
    `  kinds     ${kinds || "none"}`,
    `  segments  ${a.segments_committed} committed by the log, ${a.segments_matched} of them present; recordings checked against it: ${a.recordings_checked.length}${a.whole_device ? " (the device's whole store)" : ""}`,
    ...a.notes.map((n) => `  note      ${n}`),
    `  verdict   ${a.intact ? "INTACT" : `PROBLEMS FOUND (${a.problems.length + a.problems_more})`}`,
  ];
}

function clipText(c: ClipResult, pinned: string | null): string[] {
  return [
    `clip ${c.file}`,
    `  recording ${c.recording}`,
    `  device    ${deviceLine(c, pinned)}`,
    `  frames    ${c.first_frame}–${c.first_frame + c.frame_count - 1} (${c.frame_count}; asked ${c.requested[0]}–${c.requested[1]}), ${c.frames_verified} intact`,
    `  time      ${span(c.first_time_us, c.last_time_us)}`,
    `  verdict   ${c.intact ? "INTACT" : `PROBLEMS FOUND (${c.problems.length + c.problems_more})`}`,
  ];
}

export function renderText(report: VerifyReport): string {
  const full = report.mode === "full";
  const lines: string[] = [];
  if (report.recordings.length) {
    lines.push(full
      ? `checked   manifests, files and every frame (decrypted with ${report.identities.join(", ")})`
      : "checked   manifests and files only: frames were not decrypted (give --identity to check every frame)");
  }
  for (const r of report.recordings) lines.push(...recordingText(r, full, report.pinned_device));
  for (const c of report.clips) lines.push(...clipText(c, report.pinned_device));
  const logs = report.audit_logs ?? [];
  for (const a of logs) lines.push(...auditText(a, report.pinned_device));
  const problems = [...report.problems, ...report.recordings.flatMap((r) => r.problems), ...report.clips.flatMap((c) => c.problems), ...logs.flatMap((a) => a.problems)];
  for (const p of problems) lines.push(problemLine(p));
  const more = report.recordings.reduce((n, r) => n + r.problems_more, 0) + report.clips.reduce((n, c) => n + c.problems_more, 0) + logs.reduce((n, a) => n + a.problems_more, 0);
  if (more) lines.push(`… and ${more} more problems, counted but not listed (the listing stops at 100 per segment and 5000 per recording)`);
  lines.push(report.intact ? "verdict: INTACT" : `verdict: PROBLEMS FOUND (${problems.length + more})`);
  return lines.join("\n");
}
