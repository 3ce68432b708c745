// Capture: where frames come from. H.264 Annex B streams (a file, stdin, a
// live ffmpeg pattern, the committed fixture) split into access units, one
// coded picture each, with capture times. The rest of sealcam sees only this.
export { splitAnnexB, AnnexBSplitter, DEFAULT_MAX_ACCESS_UNIT_BYTES, type AccessUnit, type SplitOptions } from "./annexb.ts";
export { openSource, FIXTURE, type CaptureSource, type SourceKind, type SourceOptions, type TimedAccessUnit } from "./sources.ts";
