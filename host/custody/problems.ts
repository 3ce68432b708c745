// The problems a verification finds, within bounds: how many are listed per
// recording, per segment and per clip, how many bad frame numbers are named,
// and the order a report lists them in. Shared by recording.ts and clip.ts.
import type { Problem } from "./model.ts";

/**
 * Problems listed per recording and per segment, and bad frame numbers per
 * segment; the rest are counted. The per-segment bound keeps junk in one
 * place (a thousand copies of one manifest) from crowding out what is wrong
 * elsewhere.
 */
export const PROBLEMS_LISTED = 5000;
export const PROBLEMS_PER_SEGMENT = 100;
export const BAD_FRAMES_LISTED = 1000;

/** Collects a recording's or a clip's problems within the listing bounds. */
export class ProblemList {
  readonly listed: Problem[] = [];
  more = 0;
  count = 0;
  private readonly perSegment = new Map<number, number>();
  add(p: Problem): void {
    this.count++;
    // Problems of no one segment (a clip's, a recording's own) have only the overall bound.
    const key = p.segment ?? -1;
    const n = key < 0 ? 0 : this.perSegment.get(key) ?? 0;
    if (this.listed.length < PROBLEMS_LISTED && n < PROBLEMS_PER_SEGMENT) {
      this.listed.push(p);
      this.perSegment.set(key, n + 1);
    } else this.more++;
  }
}

/**
 * Problems in the order a reader follows a recording: by segment, and within
 * one the segment's own (file, manifest, gaps before it) before its frames.
 * The sort is stable, so frames stay in stream order.
 */
export function orderProblems(list: Problem[]): Problem[] {
  const seg = (p: Problem) => p.segment ?? -1;
  return [...list].sort((a, b) => seg(a) - seg(b) || Number(a.frame !== undefined && a.kind.startsWith("frame")) - Number(b.frame !== undefined && b.kind.startsWith("frame")));
}
