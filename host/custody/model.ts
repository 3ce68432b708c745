// What the custody tools find, as data: `sealcam verify --json` prints a
// VerifyReport, the text summary and the HTML report render one, and the tests
// read one. Every problem names where it is: the segment (by sequence number)
// and, when one frame is at fault, the frame (by frame number).
//
// The JSON form is part of sealcam's interface (README, "sealcam verify"):
// members are only ever added, never renamed or removed, within a `format`.

export const REPORT_FORMAT = "sealcam-verify/1";

/**
 * What kind of problem. Each names one check of FORMAT.md ("How to verify a
 * recording by hand") that failed; `message` says it in words.
 */
export type ProblemKind =
  // Files and names.
  | "age-missing" //          a manifest without its .age file
  | "manifest-missing" //     an .age file without its manifest
  | "file-name" //            the file name's recording or sequence disagree with the manifest
  | "duplicate-segment" //    two segments with the same recording and sequence
  // Without decrypting (the manifests).
  | "manifest-signature" //   the manifest's signature does not verify under the recording's device key
  | "device-mismatch" //      a segment signed by a different device key from the recording's
  | "age-size" //             the .age file's size is not the manifest's age_bytes
  | "age-hash" //             the .age file's SHA-256 is not the manifest's age_sha256
  | "manifest-chain" //       previous_manifest is not the hash of the previous committed segment
  | "segment-gap" //          sequence numbers or frame numbers missing between two segments
  | "not-final" //            no segment of the recording is final: cut short or its last segments are missing
  | "final-not-last" //       a segment follows the one marked final
  | "pre-event" //            a pre_event_start manifest that is not the recording's first present segment, or names a previous manifest
  // With the force identity (decrypting).
  | "identity" //             the identity does not open this segment (it opens others)
  | "decrypt" //              the age file does not decrypt: header, MAC, a chunk's tag, truncation
  | "stream" //               the evidence stream is malformed: header, entry type, lengths, trailing bytes
  | "frame-number" //         a frame is missing, repeated or out of order
  | "frame-hash" //           the frame's bytes are not what its record signed (the frame was altered)
  | "frame-record" //         a record field disagrees (device, recording, segment, length, flags, time order)
  | "frame-signature" //      a record's signature does not verify
  | "frame-chain" //          a record's previous-record hash is not the previous frame's record hash
  | "trailer" //              the trailer disagrees with the stream or its signature does not verify
  | "manifest-stream" //      the manifest disagrees with the decrypted stream
  // Clips.
  | "clip" //                 a clip file's structure (header, count, end) is wrong
  // The audit log (FORMAT.md, "The audit log"); `entry` names the entry by index.
  | "audit-file" //           the log is not a whole number of 200-byte entries (truncated or padded), or empty
  | "audit-device" //         entries that name another device key than the log is held to
  | "audit-signature" //      an entry's signature does not verify under the device key (edited or forged)
  | "audit-entry" //          an entry's reserved bytes are not zero, or its kind is unknown
  | "audit-chain" //          an index that does not rise by one, or a previous hash that is not its predecessor's: a removed, moved or edited entry, or a fork
  | "audit-missing-segment" // a "segment committed" entry whose segment is not among the files (committed on the camera, missing from the store)
  | "audit-unlogged-segment" // a segment present with no "segment committed" entry, where the log covers its time
  | "audit-segment-mismatch" // a "segment committed" entry whose sequence or frame count is not its manifest's
  // Output.
  | "unlisted"; //            a segment or clip holds problems beyond the listing bounds (decrypt/export refusals)

export interface Problem {
  kind: ProblemKind;
  /** Recording id (32 hex) the problem belongs to, when known. */
  recording?: string;
  /** Segment sequence number, when one segment is at fault. */
  segment?: number;
  /** Frame number, when one frame is at fault. */
  frame?: number;
  /** The file the problem was found in, as given on the command line or found in a folder. */
  file?: string;
  /** Audit log entry index, when one entry (or the first of a run) is at fault. */
  entry?: number;
  /** One line, in words a custodian can act on. */
  message: string;
}

/** One segment of a recording, as found and checked. */
export interface SegmentResult {
  sequence: number;
  /** The .age file and the manifest (null when missing). */
  age_file: string | null;
  manifest_file: string | null;
  /** From the manifest (null when it is missing). */
  first_frame: number | null;
  frame_count: number | null;
  first_time_us: number | null;
  last_time_us: number | null;
  final: boolean;
  /** The manifest's pre_event_start flag: the recording's evidence begins here (false when it is missing). */
  pre_event_start: boolean;
  age_bytes: number | null;
  /** Manifest hash (SHA-256 of the signed message rebuilt from the manifest), 64 hex; null without a manifest. */
  manifest_hash: string | null;
  /** The manifest's signature verified under the recording's device key. */
  manifest_ok: boolean;
  /** The .age file's size and SHA-256 match the manifest. */
  file_ok: boolean;
  /** null without an identity; true when the segment decrypted to its end. */
  decrypted: boolean | null;
  /** Frames whose every check passed (0 without an identity). */
  frames_verified: number;
  /** Frame numbers with a problem (the first 1000; `bad_frames_more` counts the rest). */
  bad_frames: number[];
  bad_frames_more: number;
  /** True when no problem names this segment. */
  ok: boolean;
}

/** A run of frames and sequence numbers that no present segment holds. */
export interface Gap {
  /** Missing sequence numbers, first and last (inclusive); equal for one. */
  sequences: [number, number] | null;
  /** Missing frame numbers, first and last (inclusive), when known. */
  frames: [number, number] | null;
}

export interface RecordingResult {
  recording: string;
  /** Device public key: 64 hex, its sealcamdev1… form and its fingerprint. */
  device: string;
  device_key: string;
  fingerprint: string;
  /** True when the key was given with --device and every segment matched it. */
  device_pinned: boolean;
  /** Capture times of the first and last frame (µs since the epoch), when known. */
  first_time_us: number | null;
  last_time_us: number | null;
  /** Frame numbers covered by the present segments' manifests. */
  first_frame: number | null;
  last_frame: number | null;
  /** Frames the manifests declare, and frames checked one by one (with an identity). */
  frames_declared: number;
  frames_verified: number;
  /** True when the last present segment is final. */
  final: boolean;
  /**
   * Where the evidence begins when the recording's first present segment is a
   * pre-event start (its manifest's pre_event_start, FORMAT.md): that segment
   * and its first frame. Earlier segments were pre-event buffer that expired
   * on the camera, never evidence, so they are not missing. null otherwise.
   */
  pre_event_start: { segment: number; frame: number } | null;
  /** Information for the reader that is not a problem (one line each). */
  notes: string[];
  segments: SegmentResult[];
  gaps: Gap[];
  problems: Problem[];
  /** Problems not listed (5000 per recording are, at most 100 of them per segment). */
  problems_more: number;
  intact: boolean;
}

/** A clip evidence file (FORMAT.md, "The clip evidence file"), as checked. */
export interface ClipResult {
  file: string;
  recording: string;
  device: string;
  device_key: string;
  fingerprint: string;
  device_pinned: boolean;
  first_frame: number;
  frame_count: number;
  first_time_us: number | null;
  last_time_us: number | null;
  /** The frame range asked for at export (the clip starts at the keyframe at or before it). */
  requested: [number, number];
  frames_verified: number;
  bad_frames: number[];
  problems: Problem[];
  /** Problems not listed (the first 5000 are, at most 100 per segment for recordings). */
  problems_more: number;
  intact: boolean;
}

/** Entries of one kind in an audit log (ABI.md, "The audit log", lists the kinds). */
export interface AuditKindCount {
  kind: number;
  /** The kind's name ("segment committed"); "unknown" outside 1–16. */
  name: string;
  count: number;
}

/** A device audit log (`audit.log`, FORMAT.md "The audit log"), as checked. */
export interface AuditLogResult {
  file: string;
  /** The device key the log is held to: 64 hex, its sealcamdev1… form and its fingerprint. */
  device: string;
  device_key: string;
  fingerprint: string;
  /** True when the key was given with --device and every entry matched it. */
  device_pinned: boolean;
  /** Where the key came from: --device, the recordings verified with the log, or the log's own entries. */
  device_from: "--device" | "recordings" | "log";
  /** Size of the file in bytes, and whole 200-byte entries in it. */
  bytes: number;
  entries: number;
  /** Entries whose device and signature checked out (the rest are problems). */
  entries_verified: number;
  /** Index and module time of the first and last verified entry (null when none). */
  first_index: number | null;
  last_index: number | null;
  first_time_us: number | null;
  last_time_us: number | null;
  /** Verified entries by kind, in kind order; kinds that do not occur are left out. */
  kinds: AuditKindCount[];
  /** Indexes where the chain breaks (the first 1000). */
  breaks: number[];
  /** Recordings held against the log (same device): their segments are cross-checked with its "segment committed" entries. */
  recordings_checked: string[];
  /** Every recording of the device was given (the log's own folder was a PATH, no --recording): a committed segment of any recording must be present. */
  whole_device: boolean;
  /** "segment committed" entries, and how many of them name a segment present among the files. */
  segments_committed: number;
  segments_matched: number;
  /** Information for the reader that is not a problem (one line each). */
  notes: string[];
  problems: Problem[];
  /** Problems not listed (the first 5000 are). */
  problems_more: number;
  intact: boolean;
}

export interface VerifyReport {
  format: typeof REPORT_FORMAT;
  /** sealcam's version and when the check ran (ISO 8601 UTC). */
  tool: string;
  checked_at: string;
  /** "manifests": without an identity; "full": decrypted and checked frame by frame. */
  mode: "manifests" | "full";
  /** The recipient (age1…) of each identity used, when decrypting. */
  identities: string[];
  /** The device key given with --device (sealcamdev1…), if any. */
  pinned_device: string | null;
  inputs: string[];
  recordings: RecordingResult[];
  clips: ClipResult[];
  /** Audit logs found among the inputs (a file named audit.log, in a folder given, or in the device folder above one). */
  audit_logs: AuditLogResult[];
  /** Problems that belong to no recording, clip or audit log. */
  problems: Problem[];
  /** True when every recording, clip and audit log is intact and no other problem was found. */
  intact: boolean;
}
