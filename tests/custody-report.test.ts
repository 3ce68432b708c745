// The HTML report (host/custody/html.ts), read the way people will read it:
// opened from a file in Debian's chromium, offline. Reports of an intact and
// a tampered recording are built here from realistic values; the page must put
// the verdict at the top, name the failing frame and segment and the missing
// segments, make no request but for itself, and run nothing that hostile file
// names smuggle in. A 12-hour report must stay small. Screenshots go to
// build/artefacts/ for people to look at.
//
// The last test runs the real commands: keygen, record the fixture, report it
// intact, flip a byte in a segment and report it again.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { renderReportHtml, MAX_TICKS, REPORT_CSP } from "../host/custody/html.ts";
import { REPORT_FORMAT, type Problem, type RecordingResult, type SegmentResult, type VerifyReport } from "../host/custody/model.ts";
import { formatDevicePublicKey, deviceFingerprint, formatRecipient } from "../host/keys/index.ts";
import { BROWSER_SKIP, Browser, type Loaded } from "./helpers/browser.ts";
import { ROOT, sealcamWith } from "./helpers/cli.ts";

const ARTEFACTS = join(ROOT, "build", "artefacts");
const HOSTILE = "<img src=x onerror=alert(1)>";

// One chromium for the whole file, started by the first test that needs it.
let launched: Promise<Browser> | undefined;
const browser = () => (launched ??= Browser.launch());
after(async () => { if (launched) await (await launched).close(); });
const open = async (file: string) => (await browser()).open(file);

// ---- realistic reports ------------------------------------------------------------

interface Plan {
  segments: number;
  framesPerSegment: number;
  mode: "full" | "manifests";
  /** Sequence numbers left out (removed or lost segments). */
  missing?: number[];
  /** Frames whose bytes were altered: frame number → problem. */
  badFrames?: number[];
  /** The last present segment is not final. */
  cutShort?: boolean;
  /** Where the files are, as given on the command line. */
  folder?: string;
}

const START_US = Date.UTC(2025, 2, 14, 9, 26, 53) * 1000 + 120_417;
const FRAME_US = 33_333;

function device() {
  const key = new Uint8Array(randomBytes(32));
  return { device: Buffer.from(key).toString("hex"), device_key: formatDevicePublicKey(key), fingerprint: deviceFingerprint(key) };
}

function buildRecording(plan: Plan): RecordingResult {
  const recording = randomBytes(16).toString("hex");
  const folder = plan.folder ?? "/evidence/2025-03-14/PC4127";
  const name = (seq: number) => `${folder}/${recording}-${String(seq).padStart(6, "0")}`;
  const missing = new Set(plan.missing ?? []);
  const bad = new Set(plan.badFrames ?? []);
  const full = plan.mode === "full";
  const n = plan.framesPerSegment;
  const last = plan.segments - 1;
  const segments: SegmentResult[] = [];
  const problems: Problem[] = [];
  for (let seq = 0; seq < plan.segments; seq++) {
    if (missing.has(seq)) continue;
    const first = seq * n;
    const badFrames = full ? [...bad].filter((f) => f >= first && f < first + n).sort((a, b) => a - b) : [];
    for (const frame of badFrames) {
      problems.push({ kind: "frame-hash", recording, segment: seq, frame, file: `${name(seq)}.age`, message: `frame ${frame}: its bytes are not what its record signed (SHA-512 differs)` });
    }
    segments.push({
      sequence: seq, age_file: `${name(seq)}.age`, manifest_file: `${name(seq)}.manifest.json`,
      first_frame: first, frame_count: n, first_time_us: START_US + first * FRAME_US, last_time_us: START_US + (first + n - 1) * FRAME_US,
      final: seq === last && !plan.cutShort, pre_event_start: false, age_bytes: 1_184_311 + seq * 977,
      manifest_hash: randomBytes(32).toString("hex"), manifest_ok: true, file_ok: true,
      decrypted: full ? true : null, frames_verified: full ? n - badFrames.length : 0,
      bad_frames: badFrames.slice(0, 1000), bad_frames_more: Math.max(0, badFrames.length - 1000), ok: badFrames.length === 0,
    });
  }
  // One gap per run of missing sequence numbers, named by the segment after it.
  const gaps: RecordingResult["gaps"] = [];
  for (let seq = 0; seq < plan.segments; seq++) {
    if (!missing.has(seq) || missing.has(seq - 1)) continue;
    let end = seq;
    while (missing.has(end + 1)) end++;
    gaps.push({ sequences: [seq, end], frames: [seq * n, (end + 1) * n - 1] });
    const next = segments.find((s) => s.sequence === end + 1);
    if (next) next.ok = false;
    problems.push({
      kind: "segment-gap", recording, segment: end + 1, file: next?.manifest_file ?? undefined,
      message: `segments ${seq}–${end} (frames ${seq * n}–${(end + 1) * n - 1}) are missing before segment ${end + 1}`,
    });
  }
  if (plan.cutShort) problems.push({ kind: "not-final", recording, message: "no segment is final: the recording was cut short or its last segments are missing" });
  const present = segments.length;
  const lastSeg = segments[present - 1];
  return {
    recording, ...device(), device_pinned: false,
    first_time_us: segments[0].first_time_us, last_time_us: lastSeg.last_time_us,
    first_frame: segments[0].first_frame, last_frame: lastSeg.first_frame! + lastSeg.frame_count! - 1,
    frames_declared: present * n, frames_verified: segments.reduce((sum, s) => sum + s.frames_verified, 0),
    final: lastSeg.final, pre_event_start: null, notes: [], segments, gaps, problems: problems.slice(0, 1000), problems_more: Math.max(0, problems.length - 1000),
    intact: problems.length === 0,
  };
}

function buildReport(plan: Plan): VerifyReport {
  const r = buildRecording(plan);
  const full = plan.mode === "full";
  return {
    format: REPORT_FORMAT, tool: "sealcam 0.1.0", checked_at: "2025-03-15T08:02:11Z", mode: plan.mode,
    identities: full ? [formatRecipient(new Uint8Array(randomBytes(32)))] : [], pinned_device: null,
    inputs: [plan.folder ?? "/evidence/2025-03-14/PC4127"], recordings: [r], clips: [], audit_logs: [], problems: [], intact: r.intact,
  };
}

const intactReport = () => buildReport({ segments: 12, framesPerSegment: 30, mode: "full" });
/** Frame 97 altered (segment 3), segments 6–7 removed, and no final segment. */
const tamperedReport = () => buildReport({ segments: 12, framesPerSegment: 30, mode: "full", badFrames: [97], missing: [6, 7], cutShort: true });

// ---- checks ---------------------------------------------------------------------

/** A PNG's width and height, after checking its signature and IHDR. */
function pngSize(file: string): { width: number; height: number; bytes: number } {
  const b = readFileSync(file);
  assert.ok(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file}: PNG signature`);
  assert.equal(b.subarray(12, 16).toString("latin1"), "IHDR", `${file}: IHDR first`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bytes: b.length };
}

async function screenshot(loaded: Loaded, name: string): Promise<void> {
  mkdirSync(ARTEFACTS, { recursive: true });
  const file = join(ARTEFACTS, name);
  await loaded.page.screenshot({ path: file, fullPage: true });
  const png = pngSize(file);
  assert.ok(png.width >= 800 && png.height >= 1000, `${name}: ${png.width}×${png.height} is too small for a full page`);
  assert.ok(png.bytes > 20_000, `${name}: ${png.bytes} bytes is too little for a rendered report`);
}

/** The page asked for nothing but its own file, logged no error (a CSP violation is one) and opened no dialog. */
function assertOffline(loaded: Loaded, file: string): void {
  assert.deepEqual(loaded.requests, [pathToFileURL(file).href], "requests other than the page itself");
  assert.deepEqual(loaded.consoleErrors, [], "console errors");
  assert.deepEqual(loaded.dialogs, [], "dialogs opened");
}

async function assertVerdictAtTop(loaded: Loaded, word: string): Promise<void> {
  const verdict = loaded.page.locator(".verdict-word");
  assert.equal((await verdict.textContent())?.trim(), word);
  assert.ok(await verdict.isVisible(), "verdict visible");
  const box = await verdict.boundingBox();
  assert.ok(box && box.y < 150 && box.height >= 30, `verdict at the top and large: ${JSON.stringify(box)}`);
}

// ---- the page as text -------------------------------------------------------------

describe("renderReportHtml", () => {
  it("writes one self-contained document: CSP, no scripts, no references outside the page", () => {
    for (const html of [renderReportHtml(intactReport()), renderReportHtml(tamperedReport())]) {
      assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
      assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`));
      assert.equal(REPORT_CSP, "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
      assert.doesNotMatch(html, /<script|<link|<img|<iframe|<object|@import|url\((?!#)/i);
      const refs = [...html.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1]);
      assert.ok(refs.every((r) => r.startsWith("#problem-")), `only links inside the page: ${refs.filter((r) => !r.startsWith("#")).join(", ")}`);
      assert.doesNotMatch(html.replace(REPORT_CSP, ""), /\b(?:https?|ftp|file|data|javascript):/i, "no URLs");
      assert.match(html, /@media print/);
      assert.match(html, /@page \{ size: A4/);
    }
  });

  it("puts the verdict first and names the failing frame, its segment, the gap and the missing end", () => {
    const report = tamperedReport();
    const html = renderReportHtml(report);
    const verdictAt = html.indexOf("PROBLEMS FOUND", html.indexOf("<body>"));
    assert.ok(verdictAt > 0 && verdictAt < html.indexOf('id="recordings"'), "the verdict comes before the recordings");
    assert.match(html, /3 problems/);
    assert.doesNotMatch(html.slice(html.indexOf("<body>")), />INTACT</);
    const row = html.match(/<tr id="problem-(\d+)">((?:(?!<\/tr>)[\s\S])*frame-hash[\s\S]*?)<\/tr>/);
    assert.ok(row, "a problem row for the frame-hash problem");
    assert.match(row[2], /segment 3/);
    assert.match(row[2], /frame 97/);
    assert.match(html, /href="#problem-\d+"/, "the red segment links to its problem");
    assert.match(html, /missing: segments 6–7, frames 180–239/);
    assert.match(html, /cut short: no final segment/);
    assert.equal((html.match(/class="bad-frame"/g) ?? []).length, 1, "one bad-frame tick");
    assert.match(html, new RegExp(report.recordings[0].device_key));
    assert.match(html, new RegExp(report.recordings[0].fingerprint));
    assert.match(html, /self-declared by the files/);
  });

  it("says INTACT for an intact recording, and that manifests alone cannot vouch for frames", () => {
    const full = renderReportHtml(intactReport());
    assert.match(full, /<p class="verdict-word">INTACT<\/p>/);
    assert.match(full, /Checked frame by frame<\/strong>, decrypted with <code>age1/);
    assert.doesNotMatch(full, /PROBLEMS FOUND|frames not checked/);
    const manifests = renderReportHtml(buildReport({ segments: 12, framesPerSegment: 30, mode: "manifests" }));
    assert.match(manifests, /<p class="verdict-word">INTACT<\/p>/);
    assert.match(manifests, /Manifests only: frames not checked, no identity given/);
    assert.match(manifests, /cannot vouch for the frames/);
    assert.match(manifests, /the frames were not checked/);
    // A report that says intact but lists a problem is not shown as intact.
    const contradictory = tamperedReport();
    contradictory.intact = true;
    assert.match(renderReportHtml(contradictory), /<p class="verdict-word">PROBLEMS FOUND<\/p>/);
  });

  it("escapes hostile strings and shows control and bidi characters as escapes", () => {
    const report = tamperedReport();
    const spoof = "evidence\u202Egpj.age";
    report.inputs.push(HOSTILE, `"><svg onload=alert(2)>`);
    report.recordings[0].problems[0].file = HOSTILE;
    report.recordings[0].problems[0].message = `</style><script>alert(3)</script> in ${spoof}`;
    report.problems.push({ kind: "manifest-missing", file: `x' onmouseover='alert(4)`, message: "an .age file without its manifest\n<b>bold</b>" });
    report.tool = "<i>sealcam</i>";
    const html = renderReportHtml(report);
    assert.doesNotMatch(html, /<img|<script|<svg onload|<b>|<i>sealcam|<\/style><script|onmouseover='/);
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(html.includes("evidence\\u{202e}gpj.age"), "the right-to-left override is shown, not obeyed");
    assert.ok(html.includes("manifest\\u{a}&lt;b&gt;bold"), "a newline in a message is shown as an escape");
  });

  it("stays small for a 12-hour shift: 720 segments, 1.3 M frames, thousands of bad frames", () => {
    const intact = renderReportHtml(buildReport({ segments: 720, framesPerSegment: 1800, mode: "full" }));
    assert.ok(intact.length < 400_000, `intact 12-hour report is ${intact.length} bytes`);
    assert.match(intact, /1,296,000 declared/);
    assert.equal((intact.match(/class="seg-ok"/g) ?? []).length, 1, "720 good segments drawn as one run");
    // Every 2,000th frame of the shift altered, and every 13th of segments 100–129.
    const bad = new Set<number>();
    for (let f = 1000; f < 720 * 1800; f += 2000) bad.add(f);
    for (let f = 100 * 1800; f < 130 * 1800; f += 13) bad.add(f);
    const badFrames = [...bad].sort((a, b) => a - b);
    const report = buildReport({ segments: 720, framesPerSegment: 1800, mode: "full", badFrames, missing: [400, 401, 402] });
    const shown = report.recordings[0].segments.reduce((sum, s) => sum + s.bad_frames.length, 0);
    assert.ok(report.recordings[0].problems_more > 2000 && shown > 4000);
    const tampered = renderReportHtml(report);
    assert.ok(tampered.length < 800_000, `tampered 12-hour report is ${tampered.length} bytes`);
    const ticks = (tampered.match(/class="bad-frame"/g) ?? []).length;
    assert.equal(ticks, MAX_TICKS, "bad-frame ticks are capped");
    // The problems beyond the first 1,000 are counted, not listed, and so are the undrawn ticks.
    assert.match(tampered, new RegExp(`${report.recordings[0].problems_more.toLocaleString("en-US")} more problems not listed`));
    assert.match(tampered, new RegExp(`${shown.toLocaleString("en-US")} bad frames \\(red ticks\\); [\\d,]+ more not drawn`));
    assert.match(tampered, /missing: segments 400–402, frames 720000–725399/);
    assert.ok(tampered.includes(`frame ${badFrames[0]}`), "the first bad frame is named");
    const blocks = (tampered.match(/class="seg-(?:ok|bad)"/g) ?? []).length;
    assert.ok(blocks < 300, `${blocks} timeline blocks for 717 segments`);
  });
});

// ---- the page in a browser -----------------------------------------------------------

describe("the HTML report in chromium", { skip: BROWSER_SKIP }, () => {
  let work: string;
  before(() => { work = mkdtempSync(join(tmpdir(), "sealcam-report-")); });
  after(() => rmSync(work, { recursive: true, force: true }));

  const write = (name: string, html: string) => {
    const file = join(work, name);
    writeFileSync(file, html);
    return file;
  };

  it("shows an intact recording as INTACT at the top, offline", async () => {
    const file = write("intact.html", renderReportHtml(intactReport()));
    const loaded = await open(file);
    await assertVerdictAtTop(loaded, "INTACT");
    assert.equal(await loaded.page.getByText("PROBLEMS FOUND").count(), 0);
    assert.ok(await loaded.page.getByText("No problems were found.").isVisible());
    assert.equal(await loaded.page.locator("rect.seg-ok").count(), 12, "one green block per segment");
    assert.ok(await loaded.page.getByText(/^segment 11 \(final\)$/).isVisible());
    await screenshot(loaded, "report-intact.png");
    assertOffline(loaded, file);
  });

  it("shows a tampered recording: PROBLEMS FOUND, frame 97 of segment 3, the gap, the cut end", async () => {
    const file = write("tampered.html", renderReportHtml(tamperedReport()));
    const loaded = await open(file);
    const { page } = loaded;
    await assertVerdictAtTop(loaded, "PROBLEMS FOUND");
    assert.ok(await page.getByText("3 problems in 1 recording", { exact: false }).isVisible());
    const row = page.locator('tr[id^="problem-"]', { hasText: "frame-hash" });
    assert.equal(await row.count(), 1);
    assert.ok(await row.getByText("frame 97", { exact: true }).isVisible(), "frame 97 shown in the problem's row");
    assert.ok(await row.getByText("segment 3", { exact: true }).isVisible(), "segment 3 shown in the problem's row");
    assert.ok(await page.locator("li.gap-note", { hasText: "missing: segments 6–7, frames 180–239" }).isVisible(), "the gap under the timeline");
    assert.ok(await page.locator("tr.gap-row", { hasText: "missing: segments 6–7, frames 180–239" }).isVisible(), "the gap in the segment table");
    assert.equal(await page.locator("rect.gap").count(), 1, "the gap drawn");
    assert.ok(await page.getByText(/^cut short: no final segment/).first().isVisible());
    assert.equal(await page.locator("line.bad-frame").count(), 1, "one red tick");
    // The tick lies in segment 3's red block; the hatched gap between segments 5 and 8.
    const block = (name: RegExp) => page.locator("rect.seg-ok, rect.seg-bad", { has: page.locator("title", { hasText: name }) });
    const tick = await page.locator("line.bad-frame").boundingBox();
    const b3 = await block(/^segment 3:/).boundingBox();
    assert.ok(tick && b3 && tick.x >= b3.x && tick.x <= b3.x + b3.width, "the tick lies in segment 3's block");
    assert.match(await block(/^segment 3:/).getAttribute("class") ?? "", /seg-bad/);
    const [b5, gap, b8] = [await block(/^segment 5:/).boundingBox(), await page.locator("rect.gap").boundingBox(), await block(/^segment 8:/).boundingBox()];
    assert.ok(b5 && gap && b8 && Math.abs(gap.x - (b5.x + b5.width)) < 2 && Math.abs(gap.x + gap.width - b8.x) < 2, "the gap fills the space between segments 5 and 8");
    // Following the red block's link lands on the problem.
    const href = await block(/^segment 3:/).locator("xpath=..").getAttribute("href");
    assert.match(href ?? "", /^#problem-\d+$/);
    await screenshot(loaded, "report-tampered.png");
    assertOffline(loaded, file);
  });

  it("creates no element from hostile file names", async () => {
    const report = tamperedReport();
    report.recordings[0].problems[0].file = HOSTILE;
    report.recordings[0].segments[3].age_file = HOSTILE;
    report.inputs.push(HOSTILE);
    report.problems.push({ kind: "age-missing", file: `"><svg onload=alert(2)>`, message: `<script>alert(3)</script>` });
    const file = write("hostile.html", renderReportHtml(report));
    const loaded = await open(file);
    const { page } = loaded;
    assert.equal(await page.locator("img, script, iframe, object, embed, [onerror], [onload], [onmouseover]").count(), 0);
    assert.equal(await page.locator("svg").count(), 1, "only the timeline's svg");
    assert.ok(await page.locator("#problems").getByText(HOSTILE, { exact: true }).first().isVisible(), "the name is shown as text");
    assert.ok(await page.getByText("<script>alert(3)</script>", { exact: true }).isVisible());
    assertOffline(loaded, file);
  });
});

// ---- end to end: the real commands ---------------------------------------------------

/** The offset of the age payload: just after the header's `--- <MAC>` line. */
function payloadStart(age: Buffer): number {
  const mac = age.indexOf("\n--- ");
  assert.ok(mac > 0, "age header MAC line");
  return age.indexOf("\n", mac + 1) + 1;
}

describe("sealcam report --html, end to end", { skip: BROWSER_SKIP }, () => {
  let work: string;
  before(() => { work = mkdtempSync(join(tmpdir(), "sealcam-report-e2e-")); });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("reports a recorded fixture intact, and a flipped byte in segment 2 as a problem there", async () => {
    const run = (...args: string[]) => sealcamWith({ cwd: work, timeoutMs: 60_000 }, ...args);
    const keys = join(work, "K"), rec = join(work, "R"), bad = join(work, "R-tampered");
    let r = run("keygen", "--out", keys);
    assert.equal(r.code, 0, `keygen: ${r.err}`);
    const recipient = readFileSync(join(keys, "force.pub"), "utf8").trim();
    r = run("record", "--recipient", recipient, "--out", rec, "--device-key", join(keys, "device.key"));
    assert.equal(r.code, 0, `record: ${r.err}`);
    const ages = readdirSync(rec).filter((f) => f.endsWith(".age")).sort();
    assert.ok(ages.length >= 3, `the fixture records at least 3 segments, got ${ages.length}`);

    cpSync(rec, bad, { recursive: true });
    const target = join(bad, ages[2]);
    const age = readFileSync(target);
    const start = payloadStart(age);
    const middle = start + Math.floor((age.length - start) / 2);
    age[middle] ^= 0x01;
    writeFileSync(target, age);

    const goodHtml = join(work, "intact.html"), badHtml = join(work, "tampered.html");
    r = run("report", rec, "--identity", join(keys, "force.key"), "--html", goodHtml);
    assert.equal(r.code, 0, `report of the untouched recording: exit ${r.code}, ${r.err.trim()}`);
    r = run("report", bad, "--identity", join(keys, "force.key"), "--html", badHtml);
    assert.equal(r.code, 1, `report of the tampered recording: exit ${r.code}, ${r.err.trim()}`);
    assert.ok(existsSync(badHtml) && statSync(badHtml).size > 0, "the tampered report is written too");

    const intact = await open(goodHtml);
    await assertVerdictAtTop(intact, "INTACT");
    assertOffline(intact, goodHtml);

    const tampered = await open(badHtml);
    await assertVerdictAtTop(tampered, "PROBLEMS FOUND");
    // A row's text runs its cells together, so the segment is matched as a whole cell.
    const page = tampered.page;
    const naming = (segment: RegExp) => page.locator('tr[id^="problem-"]').filter({ has: page.getByText(segment) });
    assert.ok(await naming(/^segment 2$/).count() >= 1, "a problem names segment 2");
    assert.ok(await naming(/^segment 2$/).first().isVisible());
    assert.equal(await naming(/^segment [01]$/).count(), 0, "segments 0 and 1 are intact");
    assert.equal(await page.locator("rect.seg-bad").count(), 1, "one red block on the timeline");
    assert.match(await page.locator("rect.seg-bad title").textContent() ?? "", /^segment 2:/);
    assertOffline(tampered, badHtml);
  });
});
