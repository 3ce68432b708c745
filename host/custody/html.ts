// The self-contained HTML report (`sealcam report … --html FILE`): one page
// that a custodian, a defence expert or a court can open offline, file in a
// bundle and print. It renders a VerifyReport (model.ts) and nothing else: it
// checks nothing itself, and it never says more than the report does.
//
// The page must be safe to open whatever the evidence files are called: every
// string from the report is escaped (file names come from whoever handed the
// files over), control and bidirectional-override characters are shown as
// escapes so a name cannot display as something it is not, and a CSP forbids
// scripts and every fetch. Inline CSS and SVG only, so the file is complete on
// its own and its SHA-256 can go into the bundle.
//
// Size is bounded for a 12-hour shift (1.3 M frames, 720 segments): nothing is
// drawn per frame except bad frames, and those only up to MAX_TICKS marks.
import type { AuditLogResult, ClipResult, Gap, Problem, RecordingResult, SegmentResult, VerifyReport } from "./model.ts";

/** The page's Content-Security-Policy: no scripts, no fetches, inline styles and data: images only. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Bad-frame marks drawn per timeline; the rest are counted in words. */
export const MAX_TICKS = 200;
/** Bad frames written out in one segment-table cell. */
const MAX_LISTED_FRAMES = 10;
/** Above this many segments, neighbouring segments of the same state share one block. */
const MAX_SEGMENT_BLOCKS = 120;
/** Width of a timeline in SVG user units (it scales to the page). */
const W = 1000;

// ---- text ----------------------------------------------------------------------

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escapes any value for HTML text or a quoted attribute. C0 and C1 controls,
 * bidirectional overrides and isolates, and zero-width characters are shown as
 * `\u{…}`: a file name like `clip\u202Egpj.age` must not display reversed.
 */
export function esc(value: unknown): string {
  return String(value)
    .replace(/[&<>"']/g, (c) => ENTITIES[c])
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g,
      (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** A finite number from the report, or null (the report may come from a JSON file). */
function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** An identifier-like number (frame, segment) as plain digits, so it can be searched for. */
function id(v: unknown): string {
  const n = num(v);
  return n === null ? "—" : esc(n);
}

/** A count with thousands separators. */
function count(v: unknown): string {
  const n = num(v);
  if (n === null) return "—";
  const digits = String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+$)/g, ",");
  return n < 0 ? `−${digits}` : digits;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** µs since the epoch as ISO 8601 UTC with microseconds. */
export function utc(us: unknown): string {
  const t = num(us);
  if (t === null) return "unknown";
  const frac = ((t % 1e6) + 1e6) % 1e6;
  const seconds = (t - frac) / 1e6;
  const d = new Date(seconds * 1000);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) return `${esc(t)} µs since the epoch`;
  return `${d.toISOString().slice(0, 19)}.${String(Math.round(frac)).padStart(6, "0")}Z`;
}

/** A span of µs as `1 h 02 min 03.456 s`. */
export function duration(first: unknown, last: unknown): string {
  const a = num(first), b = num(last);
  if (a === null || b === null || b < a) return "unknown";
  const ms = Math.round((b - a) / 1000);
  const h = Math.floor(ms / 3_600_000), m = Math.floor((ms % 3_600_000) / 60_000), s = (ms % 60_000) / 1000;
  const sec = `${s.toFixed(3)} s`;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min ${sec.padStart(8, "0")}`;
  if (m > 0) return `${m} min ${sec.padStart(8, "0")}`;
  return sec;
}

/** A first–last range of numbers, `a–b` or `a` when equal. */
function range(a: unknown, b: unknown): string {
  return num(a) !== null && num(a) === num(b) ? id(a) : `${id(a)}–${id(b)}`;
}

/** How a gap reads everywhere on the page: `missing: segments 6–7, frames 180–239`. */
export function gapText(gap: Gap): string {
  const parts: string[] = [];
  const s = gap.sequences, f = gap.frames;
  if (s) parts.push(s[0] === s[1] ? `segment ${id(s[0])}` : `segments ${range(s[0], s[1])}`);
  if (f) parts.push(f[0] === f[1] ? `frame ${id(f[0])}` : `frames ${range(f[0], f[1])}`);
  else if (s) parts.push("frames unknown");
  return `missing: ${parts.join(", ") || "a run of segments"}`;
}

function code(v: unknown): string {
  return `<code>${esc(v)}</code>`;
}

// ---- the whole page -------------------------------------------------------------

interface Numbered {
  n: number;
  problem: Problem;
  /** The recording or clip the problem was listed under, for the table's "in" column. */
  where: string;
}

/** Renders the report as one complete HTML document (UTF-8, no scripts, no external assets). */
export function renderReportHtml(report: VerifyReport): string {
  const recordings = report.recordings ?? [];
  const clips = report.clips ?? [];
  const logs = report.audit_logs ?? [];

  // Every problem gets one number, in table order, and an anchor `problem-<n>`.
  const numbered: Numbered[] = [];
  const numberOf = new Map<Problem, number>();
  const add = (problems: Problem[] | undefined, where: string) => {
    for (const problem of problems ?? []) {
      const n = numbered.length + 1;
      numbered.push({ n, problem, where });
      numberOf.set(problem, n);
    }
  };
  for (const problem of report.problems ?? []) {
    // A problem outside every recording may still name one (by id): say which.
    const i = typeof problem.recording === "string" ? recordings.findIndex((r) => r.recording === problem.recording) : -1;
    add([problem], i >= 0 ? `recording ${i + 1}` : problem.recording ? `recording ${String(problem.recording).slice(0, 8)}…` : "");
  }
  recordings.forEach((r, i) => add(r.problems, `recording ${i + 1}`));
  clips.forEach((c, i) => add(c.problems, `clip ${i + 1}`));
  logs.forEach((a, i) => add(a.problems, `audit log ${i + 1}`));
  const unlisted = recordings.reduce((sum, r) => sum + (num(r.problems_more) ?? 0), 0) + logs.reduce((sum, a) => sum + (num(a.problems_more) ?? 0), 0);
  const total = numbered.length + unlisted;

  const body = [
    verdictSection(report, total),
    recordings.length > 0 ? recordingsSection(report, recordings) : "",
    problemsSection(numbered, recordings),
    recordings.length > 0 ? timelinesSection(report, recordings, numberOf) : "",
    clips.length > 0 ? clipsSection(report, clips, numberOf) : "",
    logs.length > 0 ? auditSection(report, logs, numberOf) : "",
    howToSection(report),
    footer(report),
  ].join("\n");

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>sealcam verification report: ${verdictWord(report, total).word}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

// ---- 1. the verdict -------------------------------------------------------------

/** INTACT only when the report says so and nothing contradicts it: the page fails closed. */
function verdictWord(report: VerifyReport, total: number): { word: string; cls: string } {
  const recordings = report.recordings ?? [], clips = report.clips ?? [], logs = report.audit_logs ?? [];
  if (recordings.length === 0 && clips.length === 0 && logs.length === 0 && total === 0) return { word: "NOTHING CHECKED", cls: "none" };
  const intact = report.intact === true && total === 0 && recordings.every((r) => r.intact === true) && clips.every((c) => c.intact === true)
    && logs.every((a) => a.intact === true);
  return intact ? { word: "INTACT", cls: "ok" } : { word: "PROBLEMS FOUND", cls: "bad" };
}

function verdictSection(report: VerifyReport, total: number): string {
  const { word, cls } = verdictWord(report, total);
  const recordings = report.recordings ?? [], clips = report.clips ?? [], logs = report.audit_logs ?? [];
  const parts = [recordings.length > 0 ? plural(recordings.length, "recording") : "", clips.length > 0 ? plural(clips.length, "clip") : "",
    logs.length > 0 ? plural(logs.length, "audit log") : ""].filter(Boolean);
  const what = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}` : parts.join("");
  let detail: string;
  if (cls === "none") detail = "No recordings, clips or audit logs were found in the inputs.";
  else if (cls === "ok") detail = `${what}: every check passed.`;
  else detail = total > 0 ? `${plural(total, "problem")} in ${what || "the inputs"}. Each is listed below with its segment and frame.`
    : `The verifier marked the evidence as not intact (${what}); see below.`;

  const identities = (report.identities ?? []).map(code).join(", ");
  const mode = report.mode === "full"
    ? `<p class="mode full"><strong>Checked frame by frame</strong>, decrypted with ${identities || "the force identity"}: each segment is decrypted and each frame's SHA-512, record, chain and signature checked, as well as the signed manifests and the files' sizes and SHA-256 hashes. What each segment gave is in the table below.</p>`
    : `<p class="mode manifests"><strong>Manifests only: frames not checked, no identity given.</strong> The signed manifests, the .age files' sizes and SHA-256 hashes and the chain of segments were checked; the encrypted frames were not opened, so this report <strong>cannot vouch for the frames themselves</strong>. Run <code>sealcam report</code> again with the force identity (<code>--identity</code>) to check every frame.${clips.length > 0 ? " Clips are not encrypted: their frames were checked one by one." : ""}</p>`;
  const scope = cls === "ok" && report.mode !== "full" && recordings.length > 0 ? `<p class="verdict-scope">manifests and files only: the frames were not checked</p>` : "";
  return `<header class="verdict ${cls}" id="verdict">
<p class="title">sealcam verification report</p>
<p class="verdict-word">${word}</p>
${scope}<p class="verdict-detail">${detail}</p>
</header>
${mode}`;
}

// ---- 2. per recording ---------------------------------------------------------------

function deviceStatus(report: VerifyReport, pinned: boolean): string {
  if (pinned) return `<span class="good">pinned: matches the key given with <code>--device</code></span>`;
  if (report.pinned_device) return `<span class="badtext">does not match the key given with <code>--device</code> (${code(report.pinned_device)})</span>`;
  return `<span class="warn">self-declared by the files (no <code>--device</code> given): compare the fingerprint with the force's register of cameras</span>`;
}

function deviceRows(report: VerifyReport, d: { device: string; device_key: string; fingerprint: string; device_pinned: boolean }): string {
  return `<tr><th>Device</th><td>${code(d.device_key)}<br>fingerprint <code class="fp">${esc(d.fingerprint)}</code><br><span class="small">hex ${code(d.device)}</span></td></tr>
<tr><th>Device key</th><td>${deviceStatus(report, d.device_pinned === true)}</td></tr>`;
}

function timeRow(first: unknown, last: unknown): string {
  return `<tr><th>Time (UTC)</th><td>${utc(first)} to ${utc(last)}<br>duration ${duration(first, last)}</td></tr>`;
}

function recordingsSection(report: VerifyReport, recordings: RecordingResult[]): string {
  const cards = recordings.map((r, i) => {
    const segments = r.segments ?? [];
    const missing = (r.gaps ?? []).reduce((sum, g) => sum + (g.sequences ? Math.max(0, g.sequences[1] - g.sequences[0] + 1) : 0), 0);
    const problems = (r.problems ?? []).length + (num(r.problems_more) ?? 0);
    const verified = report.mode === "full"
      ? `${count(r.frames_verified)} verified one by one${num(r.frames_verified) !== num(r.frames_declared) ? ` <span class="badtext">(${count((num(r.frames_declared) ?? 0) - (num(r.frames_verified) ?? 0))} not verified)</span>` : ""}`
      : `<span class="warn">not checked: no identity given</span>`;
    const end = r.final
      ? `final segment present: the recording was stopped normally`
      : `<span class="badtext">cut short: no final segment (power loss, or the last segments are missing)</span>`;
    return `<section class="card ${r.intact ? "ok" : "bad"}" id="recording-${i + 1}">
<h3>Recording ${i + 1}: ${r.intact ? '<span class="good">intact</span>' : `<span class="badtext">${plural(problems, "problem")}</span>`}</h3>
<table class="facts">
<tr><th>Recording id</th><td>${code(r.recording)}</td></tr>
${deviceRows(report, r)}
${timeRow(r.first_time_us, r.last_time_us)}
<tr><th>Frames</th><td>numbers ${range(r.first_frame, r.last_frame)}: ${count(r.frames_declared)} declared by the manifests; ${verified}</td></tr>
<tr><th>Segments</th><td>${plural(segments.length, "segment")} present${missing > 0 ? `; <span class="badtext">${plural(missing, "segment")} missing</span>` : ""}</td></tr>
${preEventRow(r)}<tr><th>End</th><td>${end}</td></tr>
${notesRow(r.notes)}</table>
</section>`;
  });
  return `<section id="recordings">
<h2>Recordings</h2>
${cards.join("\n")}
</section>`;
}

/** Where the evidence begins, for a recording that starts with a pre-event start. */
function preEventRow(r: RecordingResult): string {
  const p = r.pre_event_start;
  if (!p) return "";
  return `<tr><th>Start</th><td>evidence begins at frame ${id(p.frame)} (segment ${id(p.segment)}): earlier pre-event footage expired on the camera and was never evidence, so no segment before it is missing</td></tr>\n`;
}

/** Information lines (not problems) as one row. */
function notesRow(notes: string[] | undefined): string {
  if (!notes || notes.length === 0) return "";
  return `<tr><th>Notes</th><td><ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></td></tr>\n`;
}

// ---- 3. the problems ---------------------------------------------------------------

function problemsSection(numbered: Numbered[], recordings: RecordingResult[]): string {
  const notes = recordings
    .map((r, i) => num(r.problems_more) ? `<p class="badtext">Recording ${i + 1}: ${plural(num(r.problems_more)!, "more problem")} not listed (the report lists the first 1,000 per recording).</p>` : "")
    .join("");
  if (numbered.length === 0) {
    return `<section id="problems"><h2>Problems</h2>${notes || "<p>No problems were found.</p>"}</section>`;
  }
  const rows = numbered.map(({ n, problem: p, where }) => `<tr id="problem-${n}">
<td>${n}</td><td><code>${esc(p.kind)}</code></td><td>${esc(where) || "—"}</td><td>${num(p.segment) !== null ? `segment ${id(p.segment)}` : "—"}</td><td>${num(p.frame) !== null ? `frame ${id(p.frame)}` : "—"}</td><td>${num(p.entry) !== null ? `entry ${id(p.entry)}` : "—"}</td><td class="file">${p.file ? esc(p.file) : "—"}</td><td>${esc(p.message)}</td>
</tr>`);
  return `<section id="problems">
<h2>Problems</h2>
<table class="grid problems">
<thead><tr><th>#</th><th>kind</th><th>in</th><th>segment</th><th>frame</th><th>audit entry</th><th>file</th><th>what was found</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
${notes}
</section>`;
}

// ---- 4. timelines and segment tables -------------------------------------------------

/** A segment placed on the frame axis: [from, to) in frame numbers. */
interface Span {
  seg: SegmentResult;
  from: number;
  to: number;
  /** True when the manifest is missing and the place was inferred from the neighbours. */
  inferred: boolean;
}

function bySequence(segments: SegmentResult[]): SegmentResult[] {
  return [...segments].sort((a, b) => (num(a.sequence) ?? 0) - (num(b.sequence) ?? 0));
}

/** Places every segment on the frame axis; a segment without a manifest fills the space its neighbours leave. */
function place(segments: SegmentResult[]): Span[] {
  const known = segments.map((s) => {
    const first = num(s.first_frame), n = num(s.frame_count);
    return first !== null && n !== null ? { from: first, to: first + Math.max(0, n) } : null;
  });
  return segments.map((seg, i) => {
    const k = known[i];
    if (k) return { seg, ...k, inferred: false };
    let from = 0, to = 0;
    for (let j = i - 1; j >= 0; j--) if (known[j]) { from = known[j]!.to; break; }
    to = from;
    for (let j = i + 1; j < segments.length; j++) if (known[j]) { to = Math.max(from, known[j]!.from); break; }
    return { seg, from, to, inferred: true };
  });
}

function timelinesSection(report: VerifyReport, recordings: RecordingResult[], numberOf: Map<Problem, number>): string {
  const parts = recordings.map((r, i) => {
    const segments = bySequence(r.segments ?? []);
    const spans = place(segments);
    return `<section class="timeline" id="timeline-${i + 1}">
<h3>Recording ${i + 1}: timeline over frame numbers</h3>
${recordingTimeline(r, i, spans, numberOf)}
${segmentTable(report, r, segments)}
</section>`;
  });
  return `<section id="timelines">
<h2>Timeline and segments</h2>
<p class="small legend"><span class="swatch good-fill"></span> segment without problems <span class="swatch bad-fill"></span> segment with problems <span class="swatch tick"></span> bad frame <span class="swatch gap-fill"></span> missing segments</p>
${parts.join("\n")}
</section>`;
}

/** The first problem that names this segment, for the block's link. */
function firstProblem(problems: Problem[], sequence: number, numberOf: Map<Problem, number>): number | undefined {
  const p = problems.find((q) => q.segment === sequence);
  return p ? numberOf.get(p) : undefined;
}

interface Block {
  from: number;
  to: number;
  ok: boolean;
  first: number;
  last: number;
  link?: number;
}

function recordingTimeline(r: RecordingResult, index: number, spans: Span[], numberOf: Map<Problem, number>): string {
  const gaps = r.gaps ?? [];
  let lo = Infinity, hi = -Infinity;
  for (const s of spans) { lo = Math.min(lo, s.from); hi = Math.max(hi, s.to); }
  for (const g of gaps) if (g.frames) { lo = Math.min(lo, g.frames[0]); hi = Math.max(hi, g.frames[1] + 1); }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  if (hi <= lo) hi = lo + 1;
  const x = (f: number) => ((f - lo) / (hi - lo)) * W;
  const f2 = (v: number) => (Math.round(v * 10) / 10).toString();
  const problems = r.problems ?? [];
  const BAR_Y = 20, BAR_H = 36;
  const out: string[] = [];
  const hatch = `hatch-${index + 1}`;
  out.push(`<svg class="bar" viewBox="0 0 ${W} 84" width="100%" role="img" aria-label="timeline of recording ${index + 1}">`);
  out.push(`<defs><pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#444" stroke-width="2.5"/></pattern></defs>`);
  out.push(`<rect x="0" y="${BAR_Y}" width="${W}" height="${BAR_H}" fill="#f4f4f4" stroke="#999" stroke-width="0.5"/>`);

  // Blocks: one per segment, or runs of neighbouring segments of one state when there are many.
  const blocks: Block[] = [];
  for (const s of spans) {
    const seq = num(s.seg.sequence) ?? 0;
    const ok = s.seg.ok === true;
    const prev = blocks[blocks.length - 1];
    if (spans.length > MAX_SEGMENT_BLOCKS && prev && prev.ok === ok && prev.to === s.from && prev.last + 1 === seq) {
      prev.to = s.to;
      prev.last = seq;
      continue;
    }
    blocks.push({ from: s.from, to: s.to, ok, first: seq, last: seq, link: ok ? undefined : firstProblem(problems, seq, numberOf) });
  }
  for (const b of blocks) {
    const x0 = x(b.from), width = Math.max(x(b.to) - x0, 1);
    const name = b.first === b.last ? `segment ${b.first}` : `segments ${b.first}–${b.last}`;
    const title = `${name}: frames ${range(b.from, b.to - 1)}${b.ok ? "" : ", problems found"}`;
    let block = `<rect class="${b.ok ? "seg-ok" : "seg-bad"}" x="${f2(x0)}" y="${BAR_Y}" width="${f2(width)}" height="${BAR_H}" fill="${b.ok ? "#81c784" : "#e53935"}" stroke="${b.ok ? "#fff" : "#000"}" stroke-width="${b.ok ? 1 : 1.5}"><title>${title}</title></rect>`;
    const label = String(b.first === b.last ? b.first : `${b.first}–${b.last}`);
    if (width >= 8 + 7 * label.length) {
      block += `<text x="${f2(x0 + width / 2)}" y="${BAR_Y + BAR_H / 2 + 5}" text-anchor="middle" font-size="13" fill="${b.ok ? "#1b3d1d" : "#fff"}" font-weight="${b.ok ? 400 : 700}">${esc(label)}</text>`;
    }
    out.push(b.link ? `<a href="#problem-${b.link}">${block}</a>` : block);
  }

  // Gaps: hatched where their frames are known, a narrow hatched mark between the neighbours otherwise.
  for (const g of gaps) {
    let x0: number, width: number;
    if (g.frames) {
      x0 = x(g.frames[0]);
      width = Math.max(x(g.frames[1] + 1) - x0, 3);
    } else {
      const before = g.sequences ? spans.filter((s) => (num(s.seg.sequence) ?? 0) < g.sequences![0]).pop() : undefined;
      x0 = before ? x(before.to) - 1.5 : 0;
      width = 3;
    }
    out.push(`<rect class="gap" x="${f2(x0)}" y="${BAR_Y - 6}" width="${f2(width)}" height="${BAR_H + 12}" fill="url(#${hatch})" stroke="#000" stroke-width="1"><title>${gapText(g)}</title></rect>`);
  }

  // Bad frames: a tick at each, one per half unit of width, at most MAX_TICKS.
  const drawnAt = new Set<number>();
  let marked = 0, notDrawn = 0, listed = 0, unlisted = 0;
  for (const s of spans) {
    for (const f of s.seg.bad_frames ?? []) {
      listed++;
      const fx = x(f + 0.5);
      const bucket = Math.round(fx * 2);
      if (drawnAt.has(bucket)) { marked++; continue; }
      if (drawnAt.size >= MAX_TICKS) { notDrawn++; continue; }
      drawnAt.add(bucket);
      marked++;
      out.push(`<line class="bad-frame" x1="${f2(fx)}" y1="${BAR_Y - 8}" x2="${f2(fx)}" y2="${BAR_Y + BAR_H + 8}" stroke="#8b0000" stroke-width="2"><title>frame ${id(f)}, segment ${id(s.seg.sequence)}</title></line>`);
    }
    unlisted += num(s.seg.bad_frames_more) ?? 0;
  }

  if (!r.final) {
    out.push(`<line x1="${W - 1}" y1="${BAR_Y - 10}" x2="${W - 1}" y2="${BAR_Y + BAR_H + 10}" stroke="#b71c1c" stroke-width="2" stroke-dasharray="4 3"><title>no final segment: cut short</title></line>`);
  }
  out.push(`<text x="0" y="${BAR_Y + BAR_H + 24}" font-size="13" fill="#333">frame ${id(lo)}</text>`);
  out.push(`<text x="${W}" y="${BAR_Y + BAR_H + 24}" font-size="13" fill="#333" text-anchor="end">frame ${id(hi - 1)}${r.final ? " (final)" : " (no final segment)"}</text>`);
  out.push(`</svg>`);

  const notes: string[] = [];
  for (const g of gaps) notes.push(`<li class="gap-note">${gapText(g)}</li>`);
  if (!r.final) notes.push(`<li class="badtext">cut short: no final segment (power loss, or the last segments are missing)</li>`);
  if (listed + unlisted > 0) {
    const more = notDrawn + unlisted;
    notes.push(`<li>${plural(listed + unlisted, "bad frame")} (red ticks)${more > 0 ? `; ${count(more)} more not drawn${unlisted > 0 ? ` (${count(unlisted)} of them not listed in the report)` : ""}` : ""}</li>`);
  }
  const inferred = spans.filter((s) => s.inferred).length;
  if (inferred > 0) notes.push(`<li>${plural(inferred, "segment")} without a manifest drawn where ${inferred === 1 ? "its" : "their"} neighbours leave room</li>`);
  return out.join("\n") + (notes.length > 0 ? `\n<ul class="notes">${notes.join("")}</ul>` : "");
}

function yesNo(v: boolean | null, yes: string, no: string, none = "—"): string {
  return v === null || v === undefined ? none : v ? yes : `<span class="badtext">${no}</span>`;
}

function badFramesCell(seg: SegmentResult): string {
  const bad = seg.bad_frames ?? [];
  const more = (num(seg.bad_frames_more) ?? 0) + Math.max(0, bad.length - MAX_LISTED_FRAMES);
  if (bad.length === 0 && more === 0) return "";
  const listed = bad.slice(0, MAX_LISTED_FRAMES).map((f) => `frame ${id(f)}`).join(", ");
  return `<span class="badtext">${listed}${more > 0 ? ` and ${count(more)} more` : ""}</span>`;
}

function segmentTable(report: VerifyReport, r: RecordingResult, segments: SegmentResult[]): string {
  // Gap rows go where the missing sequence numbers would be.
  const rows: { key: number; html: string }[] = [];
  const full = report.mode === "full";
  for (const s of segments) {
    const missing = [s.age_file === null ? "no .age file" : "", s.manifest_file === null ? "no manifest" : ""].filter(Boolean).join(", ");
    const frames = num(s.first_frame) !== null && num(s.frame_count) !== null
      ? range(s.first_frame, num(s.first_frame)! + num(s.frame_count)! - 1) : "—";
    rows.push({
      key: num(s.sequence) ?? 0,
      html: `<tr class="${s.ok ? "" : "bad"}"><td>segment ${id(s.sequence)}${s.final ? " (final)" : ""}${missing ? `<br><span class="badtext">${missing}</span>` : ""}</td>`
        + `<td>${frames}</td><td class="num">${count(s.frame_count)}</td><td class="time">${utc(s.first_time_us)}<br>${utc(s.last_time_us)}</td>`
        + `<td class="num">${count(s.age_bytes)}</td><td>${yesNo(s.manifest_ok, "ok", "FAILED")}</td><td>${yesNo(s.file_ok, "ok", "FAILED")}</td>`
        + `<td>${full ? yesNo(s.decrypted, "yes", "NO") : "not tried"}</td><td class="num">${full ? count(s.frames_verified) : "—"}</td><td>${badFramesCell(s)}</td></tr>`,
    });
  }
  for (const g of r.gaps ?? []) {
    let key = Infinity;
    if (g.sequences) key = g.sequences[0] - 0.5;
    else if (g.frames) {
      const next = segments.find((s) => (num(s.first_frame) ?? -Infinity) > g.frames![0]);
      key = next ? (num(next.sequence) ?? 0) - 0.5 : Infinity;
    }
    rows.push({ key, html: `<tr class="gap-row"><td colspan="10">${gapText(g)}</td></tr>` });
  }
  rows.sort((a, b) => a.key - b.key);
  return `<table class="grid segments">
<thead><tr><th>segment</th><th>frames</th><th>count</th><th>first and last capture (UTC)</th><th>.age bytes</th><th>manifest signature</th><th>file size and SHA-256</th><th>decrypted</th><th>frames verified</th><th>bad frames</th></tr></thead>
<tbody>
${rows.map((row) => row.html).join("\n")}
</tbody>
</table>`;
}

// ---- 5. clips ---------------------------------------------------------------------

function clipsSection(report: VerifyReport, clips: ClipResult[], numberOf: Map<Problem, number>): string {
  const cards = clips.map((c, i) => {
    const first = num(c.first_frame) ?? 0, n = Math.max(1, num(c.frame_count) ?? 1);
    const last = first + n - 1;
    const problems = c.problems ?? [];
    return `<section class="card ${c.intact ? "ok" : "bad"}" id="clip-${i + 1}">
<h3>Clip ${i + 1}: ${c.intact ? '<span class="good">intact</span>' : `<span class="badtext">${plural(problems.length, "problem")}</span>`}</h3>
<table class="facts">
<tr><th>File</th><td class="file">${esc(c.file)}</td></tr>
<tr><th>Recording id</th><td>${code(c.recording)}</td></tr>
${deviceRows(report, c)}
${timeRow(c.first_time_us, c.last_time_us)}
<tr><th>Frames</th><td>numbers ${range(first, last)} (${plural(n, "frame")}); asked for at export: ${range(c.requested?.[0], c.requested?.[1])}; ${count(c.frames_verified)} verified one by one</td></tr>
${(c.bad_frames ?? []).length > 0 ? `<tr><th>Bad frames</th><td class="badtext">${c.bad_frames.slice(0, MAX_LISTED_FRAMES).map((f) => `frame ${id(f)}`).join(", ")}${c.bad_frames.length > MAX_LISTED_FRAMES ? ` and ${count(c.bad_frames.length - MAX_LISTED_FRAMES)} more` : ""}</td></tr>` : ""}
</table>
${clipBar(c, i, first, last, problems, numberOf)}
</section>`;
  });
  return `<section id="clips">
<h2>Clips</h2>
<p class="small">A clip file is not encrypted and carries every frame's signed record: it is checked frame by frame with the device key alone.</p>
${cards.join("\n")}
</section>`;
}

function clipBar(c: ClipResult, index: number, first: number, last: number, problems: Problem[], numberOf: Map<Problem, number>): string {
  const lo = first, hi = last + 1;
  const x = (f: number) => Math.min(W, Math.max(0, ((f - lo) / (hi - lo)) * W));
  const f2 = (v: number) => (Math.round(v * 10) / 10).toString();
  const out: string[] = [];
  const link = problems[0] ? numberOf.get(problems[0]) : undefined;
  const bar = `<rect x="0" y="14" width="${W}" height="28" fill="${c.intact ? "#81c784" : "#e53935"}" stroke="#000" stroke-width="${c.intact ? 0.5 : 1.5}"><title>clip frames ${range(first, last)}</title></rect>`;
  out.push(`<svg class="bar" viewBox="0 0 ${W} 66" width="100%" role="img" aria-label="frames of clip ${index + 1}">`);
  out.push(link ? `<a href="#problem-${link}">${bar}</a>` : bar);
  const req = c.requested;
  if (req && num(req[0]) !== null && num(req[1]) !== null) {
    const x0 = x(req[0]), x1 = x(req[1] + 1);
    out.push(`<rect x="${f2(x0)}" y="8" width="${f2(Math.max(x1 - x0, 2))}" height="40" fill="none" stroke="#0d47a1" stroke-width="2" stroke-dasharray="6 3"><title>asked for at export: frames ${range(req[0], req[1])}</title></rect>`);
  }
  const drawnAt = new Set<number>();
  let notDrawn = 0;
  for (const f of c.bad_frames ?? []) {
    const fx = x(f + 0.5), bucket = Math.round(fx * 2);
    if (drawnAt.has(bucket)) continue;
    if (drawnAt.size >= MAX_TICKS) { notDrawn++; continue; }
    drawnAt.add(bucket);
    out.push(`<line class="bad-frame" x1="${f2(fx)}" y1="6" x2="${f2(fx)}" y2="50" stroke="#8b0000" stroke-width="2"><title>frame ${id(f)}</title></line>`);
  }
  out.push(`<text x="0" y="62" font-size="13" fill="#333">frame ${id(first)}</text><text x="${W}" y="62" font-size="13" fill="#333" text-anchor="end">frame ${id(last)}</text>`);
  out.push(`</svg>`);
  const note = `<p class="small">Dashed outline: the frames asked for at export (a clip starts at the keyframe at or before the first).${notDrawn > 0 ? ` ${count(notDrawn)} bad frames not drawn.` : ""}</p>`;
  return out.join("\n") + "\n" + note;
}

// ---- 6. audit logs ------------------------------------------------------------------

const HELD_TO: Record<string, string> = {
  recordings: `<span class="warn">the key of the recordings beside it (no <code>--device</code> given): compare the fingerprint with the force's register of cameras</span>`,
  log: `<span class="warn">self-declared by the log's entries (no <code>--device</code> given): compare the fingerprint with the force's register of cameras</span>`,
};

function auditSection(report: VerifyReport, logs: AuditLogResult[], numberOf: Map<Problem, number>): string {
  const cards = logs.map((a, i) => {
    const problems = (a.problems ?? []).length + (num(a.problems_more) ?? 0);
    const kinds = (a.kinds ?? []).map((k) => `<tr><td class="num">${id(k.kind)}</td><td>${esc(k.name)}</td><td class="num">${count(k.count)}</td></tr>`).join("\n");
    const breaks = a.breaks ?? [];
    const links = (a.problems ?? []).filter((p) => p.kind === "audit-chain").slice(0, 20)
      .map((p) => `<a href="#problem-${numberOf.get(p)}">entry ${id(p.entry)}</a>`).join(", ");
    const chain = breaks.length === 0
      ? `<span class="good">unbroken</span>: every index one above the last, every entry naming its predecessor's hash`
      : `<span class="badtext">broken at ${breaks.length === 1 ? "entry" : "entries"} ${breaks.slice(0, 20).map((b) => id(b)).join(", ")}${breaks.length > 20 ? ` and ${count(breaks.length - 20)} more` : ""}</span>${links ? ` (${links})` : ""}`;
    const device = a.device_from === "--device" ? deviceRows(report, a)
      : `<tr><th>Device</th><td>${code(a.device_key)}<br>fingerprint <code class="fp">${esc(a.fingerprint)}</code><br><span class="small">hex ${code(a.device)}</span></td></tr>
<tr><th>Device key</th><td>${HELD_TO[a.device_from] ?? esc(a.device_from)}</td></tr>`;
    const checked = (a.recordings_checked ?? []).length;
    return `<section class="card ${a.intact ? "ok" : "bad"}" id="audit-${i + 1}">
<h3>Audit log ${i + 1}: ${a.intact ? '<span class="good">intact</span>' : `<span class="badtext">${plural(problems, "problem")}</span>`}</h3>
<table class="facts">
<tr><th>File</th><td class="file">${esc(a.file)}</td></tr>
${device}
<tr><th>Entries</th><td>${plural(num(a.entries) ?? 0, "entry", "entries")} (${count(a.bytes)} bytes); ${count(a.entries_verified)} signed by the device${num(a.first_index) !== null ? `; indexes ${range(a.first_index, a.last_index)}` : ""}</td></tr>
<tr><th>Time (UTC)</th><td>${utc(a.first_time_us)} to ${utc(a.last_time_us)}<br><span class="small">the camera's clock when each entry was written: informational</span></td></tr>
<tr><th>Chain</th><td>${chain}</td></tr>
<tr><th>Segments</th><td>${plural(num(a.segments_committed) ?? 0, "segment")} committed by the log, ${count(a.segments_matched)} of them present; ${plural(checked, "recording")} checked against it${a.whole_device ? " (the device's whole store was given)" : ""}</td></tr>
${notesRow(a.notes)}</table>
<table class="grid kinds">
<thead><tr><th>kind</th><th>entries signed by the device</th><th>count</th></tr></thead>
<tbody>
${kinds || `<tr><td colspan="3">none</td></tr>`}
</tbody>
</table>
</section>`;
  });
  return `<section id="audit">
<h2>Audit logs</h2>
<p class="small">A camera's audit log is a chain of entries, each signed by the device key and naming the hash of the one before it: an entry edited, removed or moved breaks the chain where it was. Its "segment committed" entries name the segments the camera sealed, which are checked against the segments present.</p>
${cards.join("\n")}
</section>`;
}

// ---- 7. re-verifying without sealcam ---------------------------------------------------

function howToSection(report: VerifyReport): string {
  const recipient = (report.identities ?? [])[0];
  return `<section id="how-to" class="howto">
<h2>How to re-verify independently</h2>
<p>None of this needs sealcam: stock <code>age</code>, <code>sha256sum</code> and any Ed25519 library, applied with the rules in step 7. The full specification is <code>docs/FORMAT.md</code> in sealcam's source ("How to verify a recording by hand"); integers below are unsigned little-endian, times are µs since the Unix epoch (UTC), offsets are in bytes.</p>
<ol>
<li><strong>Device key.</strong> Each manifest's <code>device</code> member holds the 32-byte Ed25519 public key in hex. Its <code>sealcamdev1…</code> form is Bech32 (BIP 173, HRP <code>sealcamdev</code>) of those bytes; its fingerprint is the first 8 bytes of SHA-256(key) in hex, in groups of four. Compare it with the force's register of cameras.</li>
<li><strong>Files.</strong> Each segment is <code>&lt;recording&gt;-&lt;seq&gt;.age</code> with <code>&lt;recording&gt;-&lt;seq&gt;.manifest.json</code> (seq zero-padded to six digits, from 000000). <code>sha256sum X.age</code> must equal <code>age_sha256</code>, and its size in bytes <code>age_bytes</code>.</li>
<li><strong>Manifest signature.</strong> Rebuild the 187-byte signed message from the members: <code>sealcam/v1/segment-manifest</code> (27 ASCII bytes) at 0, device key 27 (32), recording id 59 (16), sequence 75 (4), flags 79 (4, bit 0 = final, bit 1 = pre-event start), first frame 83 (8), frame count 91 (8), first capture time 99 (8), last capture time 107 (8), .age size 115 (8), .age SHA-256 123 (32), previous manifest hash 155 (32). <code>signature</code> (128 hex) must verify over it. The manifest hash is SHA-256 of the message; each segment's <code>previous_manifest</code> is the previous committed segment's hash (64 zeros for the first); sequence numbers run on from 0 and exactly the last segment is <code>final</code>. A recording whose first segment present has <code>pre_event_start</code> (and 64 zeros as <code>previous_manifest</code>) begins there: the segments before it were pre-event buffer that expired on the camera, never evidence, and its header's chain value has no predecessor to be checked against; the flag anywhere else is a fault.</li>
<li><strong>Decrypt.</strong> <code>age -d -i force.key X.age &gt; X.evidence</code>${recipient ? `, with the identity whose recipient is ${code(recipient)}` : " (the force's identity file; without it the frames cannot be checked)"}.</li>
<li><strong>Evidence stream.</strong> A 128-byte header: magic <code>SCAMSEG1</code> at 0, device key 8 (32), recording id 40 (16), sequence 56 (4), first frame number 64 (8), open time 72 (8), chain value 80 (32: the record hash of the recording's previous frame, zeros before frame 0); offsets 60 (4) and 112 (16) are zero. Then frame entries: <code>0x46</code>, length <i>n</i> (8), the frame (<i>n</i> bytes, an H.264 access unit), the 176-byte record, a 64-byte signature. Record: device key 0 (32), recording id 32 (16), frame number 48 (8), capture time 56 (8), flags 64 (4, bit 0 = keyframe), segment sequence 68 (4), <i>n</i> 72 (8), SHA-512 of the frame 80 (64), previous record hash 144 (32). The signed message is <code>sealcam/v1/frame-record</code> (23 bytes) followed by the record, 199 bytes; the <strong>record hash</strong> is its SHA-256. Check: SHA-512 of the frame, the fields against the header, frame numbers one apart from the header's first frame, each previous record hash equal to the previous frame's record hash (the header's chain value for the first), capture times never decreasing, the signature.</li>
<li><strong>Trailer.</strong> Last entry: <code>0x54</code>, the 160-byte trailer, a 64-byte signature, then nothing. Trailer: device key 0 (32), recording id 32 (16), sequence 48 (4), flags 52 (4, bit 0 = final), first frame 56 (8), frame count 64 (8), first capture time 72 (8), last capture time 80 (8), close time 88 (8), SHA-256 of the 128-byte header 96 (32), record hash of the last frame 128 (32). Signed message: <code>sealcam/v1/segment-trailer</code> (26 bytes) followed by the trailer, 186 bytes. The manifest's first frame, frame count, times and final flag must agree with the header and trailer, and each segment's header (first frame, chain value) must continue the previous segment's trailer: a break is a missing segment.</li>
<li><strong>Ed25519, strictly</strong> (<code>docs/DESIGN.md</code>, "Ed25519 verification rules"), for a 64-byte signature <code>R ‖ S</code> under key <code>A</code>: <code>S</code> &lt; L (the group order); <code>A</code> and <code>R</code> canonical point encodings (<i>y</i> &lt; <i>p</i>, no negative zero); neither of small order; and the cofactorless equation: the encoding of [S]B − [k]A equals <code>R</code>, with k = SHA-512(R ‖ A ‖ message) mod L. A library that skips these checks may accept signatures sealcam refuses.</li>
<li><strong>Audit log</strong> (<code>audit.log</code>): 200-byte entries, nothing else. Entry: device key 0 (32), index 32 (8), kind 40 (4), zero 44 (4), time 48 (8), a 56 (8), b 64 (8), ref 72 (32), previous entry hash 104 (32), then a 64-byte signature over <code>sealcam/v1/audit-entry</code> (22 bytes) followed by those 136 bytes; the <strong>entry hash</strong> is SHA-256 of that message. Each signature verifies under the device key (step 7), indexes rise by one, and each entry names its predecessor's hash (zeros for index 0; a log may start above 0 when older entries were removed after the dock's receipt). Kind 14 (segment committed) carries the manifest hash of a segment in <code>ref</code>, its sequence in a and frame count in b.</li>
<li><strong>Clips</strong> (<code>.sealclip</code>, not encrypted): a 128-byte header (magic <code>SCAMCLP1</code> 0, device key 8 (32), recording id 40 (16), first frame 56 (8), frame count 64 (8), first and last frame asked for 72 and 80 (8 each), chain value 88 (32), zero 120 (8)), frame entries exactly as above, then the end entry <code>0x45</code>, frame count (8), SHA-256 of every byte before it (32), and nothing after. The first frame is a keyframe; the header and end entry are not signed, every record is.</li>
</ol>
</section>`;
}

// ---- 8. footer -----------------------------------------------------------------------

function footer(report: VerifyReport): string {
  const inputs = (report.inputs ?? []).map((s) => `<li class="file">${esc(s)}</li>`).join("");
  return `<footer id="footer">
<table class="facts">
<tr><th>Tool</th><td>${esc(report.tool)} (report format ${esc(report.format)})</td></tr>
<tr><th>Checked at</th><td>${esc(report.checked_at)}</td></tr>
<tr><th>Mode</th><td>${report.mode === "full" ? "full: decrypted and checked frame by frame" : "manifests only: frames not checked"}</td></tr>
<tr><th>Identities</th><td>${(report.identities ?? []).map(code).join("<br>") || "none"}</td></tr>
<tr><th>Device given</th><td>${report.pinned_device ? code(report.pinned_device) : "none (<code>--device</code> not given)"}</td></tr>
<tr><th>Inputs</th><td>${inputs ? `<ul class="inputs">${inputs}</ul>` : "none"}</td></tr>
</table>
<p class="small">This page is self-contained: no scripts, no network access, nothing outside this file. It renders the checks that sealcam made; anyone can repeat them as described above.</p>
</footer>`;
}

// ---- the stylesheet ----------------------------------------------------------------

// Light backgrounds only (court bundles are printed), widths that fit A4, and
// colours kept when printing: the verdict and the timeline carry meaning in them.
const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 15px/1.45 system-ui, "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: #111; background: #fff; margin: 0 auto; padding: 16px 20px 40px; max-width: 60rem; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.5em; border-bottom: 2px solid #333; padding-bottom: 2px; }
h3 { font-size: 1.08em; margin: 1.1em 0 0.4em; }
code { font: 0.9em/1.3 "DejaVu Sans Mono", Consolas, monospace; overflow-wrap: anywhere; }
.small { font-size: 0.85em; color: #333; }
.good { color: #1b5e20; font-weight: 600; }
.badtext { color: #b71c1c; font-weight: 600; }
.warn { color: #8a4b00; }
.verdict { border: 4px solid; border-radius: 6px; padding: 10px 18px 12px; margin: 0 0 10px; }
.verdict p { margin: 0; }
.verdict .title { font-size: 0.9em; letter-spacing: 0.04em; text-transform: uppercase; color: #333; }
.verdict-word { font-size: 2.6em; font-weight: 800; letter-spacing: 0.03em; line-height: 1.15; }
.verdict-scope { font-size: 1.1em; font-weight: 700; color: #8a4b00; }
.verdict-detail { font-size: 1.05em; }
.verdict.ok { border-color: #2e7d32; background: #eef7ee; }
.verdict.ok .verdict-word { color: #1b5e20; }
.verdict.bad { border-color: #c62828; background: #fdeeee; }
.verdict.bad .verdict-word { color: #b71c1c; }
.verdict.none { border-color: #777; background: #f5f5f5; }
.mode { border-left: 4px solid #555; padding: 4px 10px; margin: 8px 0; }
.mode.manifests { border-color: #e65100; background: #fff6ec; }
.card { border: 1px solid #bbb; border-left: 6px solid #2e7d32; padding: 2px 12px 8px; margin: 10px 0; break-inside: avoid; }
.card.bad { border-left-color: #c62828; }
table { border-collapse: collapse; width: 100%; }
.facts th { text-align: left; vertical-align: top; width: 9.5em; padding: 3px 8px 3px 0; font-weight: 600; }
.facts td { padding: 3px 0; vertical-align: top; overflow-wrap: anywhere; }
.grid { font-size: 0.85em; margin: 8px 0; }
.grid th, .grid td { border: 1px solid #bbb; padding: 3px 5px; text-align: left; vertical-align: top; }
.grid thead th { background: #eee; }
.grid tr.bad td { background: #fdeeee; }
.grid tr.gap-row td { background: repeating-linear-gradient(45deg, #fff 0 6px, #e6e6e6 6px 12px); font-weight: 700; }
.grid td.num { text-align: right; white-space: nowrap; }
.problems td:nth-child(-n+6), .segments td:nth-child(-n+2) { white-space: nowrap; }
.grid td.time { white-space: nowrap; font-size: 0.92em; }
.file { overflow-wrap: anywhere; word-break: break-all; font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.9em; }
.problems tr:target td { outline: 2px solid #b71c1c; }
svg.bar { display: block; margin: 6px 0 2px; font-family: system-ui, "DejaVu Sans", Arial, sans-serif; }
.notes { margin: 4px 0 8px; padding-left: 1.3em; }
.gap-note { font-weight: 700; }
.legend .swatch { display: inline-block; width: 1.1em; height: 0.8em; border: 1px solid #000; vertical-align: -1px; margin: 0 3px 0 10px; }
.legend .swatch:first-child { margin-left: 0; }
.good-fill { background: #81c784; }
.bad-fill { background: #e53935; }
.tick { width: 3px !important; background: #8b0000; border: 0 !important; }
.gap-fill { background: repeating-linear-gradient(45deg, #fff 0 3px, #444 3px 5px); }
.howto ol { padding-left: 1.4em; }
.howto li { margin: 0.35em 0; }
.inputs { margin: 0; padding-left: 1.2em; }
footer { margin-top: 2em; border-top: 2px solid #333; padding-top: 6px; font-size: 0.9em; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .verdict, .card, svg.bar, .grid tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
`;
