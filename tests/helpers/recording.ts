// A model of a recording for the camera tests: it remembers every frame the
// module accepted (number, time, keyframe, segment, bytes) and the clock at
// each call, computes the record chain FORMAT.md prescribes on its own, and
// checks the committed segments against it: manifests, both identities with
// typage (and the age CLI when asked), the parsed evidence streams, every
// signature, the chains of records and manifests.
import assert from "node:assert/strict";
import { hkdfSync } from "node:crypto";
import { x25519, ed25519 } from "@noble/curves/ed25519.js";
import type { Build } from "../../host/engine/index.ts";
import { CameraHarness, configBlock, OK, KIB, type CameraConfig } from "./camera.ts";
import {
  DOMAIN, sha256, sha512, hex, ed25519Verify, parseEvidence, parseManifest, decryptTypage, decryptAgeCli,
  type EvidenceStream, type Manifest,
} from "./evidence.ts";

const seeded = (label: string): Uint8Array => new Uint8Array(sha256(Buffer.from(label)));

/** Two force identities (X25519 scalars) and their recipients. */
export const FORCE = [seeded("sealcam test force identity 1"), seeded("sealcam test force identity 2")];
export const RECIPIENTS = FORCE.map((s) => x25519.getPublicKey(s));
/** The device seed and the public key RFC 8032 derives from it (noble). */
export const DEVICE_SEED = seeded("sealcam test device seed");
export const DEVICE_PK = ed25519.getPublicKey(DEVICE_SEED);

const ZERO32 = Buffer.alloc(32);

/** A configuration block: the test device, both recipients, 2 s segments, 64 MiB size limit. */
export function config(over: Partial<CameraConfig> = {}): Uint8Array {
  return configBlock({ seed: DEVICE_SEED, durationUs: 2_000_000n, sizeBytes: 64n << 20n, recipients: RECIPIENTS, ...over });
}

/** A session on a configured camera of `build`, entropy seeded with `seed`. */
export async function camera(build: Build, cfg: Uint8Array = config(), seed?: string): Promise<Session> {
  const h = await CameraHarness.create(build, seed);
  assert.equal(h.init(cfg), OK);
  return new Session(h);
}

export interface ModelFrame {
  number: bigint;
  time: bigint;
  key: boolean;
  sequence: number;
  bytes: Uint8Array;
}

export interface CheckedSegment {
  sequence: number;
  manifest: Manifest;
  stream: EvidenceStream;
  plain: Uint8Array;
}

/** Drives a harness and keeps the model of what it accepted. */
export class Session {
  readonly h: CameraHarness;
  readonly frames: ModelFrame[] = [];
  /** Microseconds the clock runs ahead of each frame's capture time. */
  clockLead = 777n;

  constructor(h: CameraHarness) {
    this.h = h;
  }

  /** Sequence number of the segment most recently opened (event 2). */
  openSequence(): number {
    const e = [...this.h.events].reverse().find(([kind]) => kind === 2);
    assert.ok(e, "no segment was opened");
    return Number(e[1]);
  }

  /** Feeds one frame; on OK it joins the model. Returns the code. */
  frame(time: bigint, bytes: Uint8Array, key: boolean, piece = 64 * KIB): number {
    const number = this.h.framesRecorded();
    this.h.clock = time + this.clockLead;
    const rc = this.h.frame(time, bytes, key, piece);
    if (rc === OK) {
      assert.equal(this.h.framesRecorded(), number + 1n);
      this.frames.push({ number, time, key, sequence: this.openSequence(), bytes });
    } else {
      assert.equal(this.h.framesRecorded(), number, "a refused frame must not take a number");
    }
    return rc;
  }

  /** The record FORMAT.md prescribes for a model frame, given the previous record hash. */
  record(f: ModelFrame, previous: Uint8Array): Buffer {
    const r = Buffer.alloc(176);
    Buffer.from(DEVICE_PK).copy(r, 0);
    Buffer.from(this.h.recordingId()).copy(r, 32);
    r.writeBigUInt64LE(f.number, 48);
    r.writeBigUInt64LE(f.time, 56);
    r.writeUInt32LE(f.key ? 1 : 0, 64);
    r.writeUInt32LE(f.sequence, 68);
    r.writeBigUInt64LE(BigInt(f.bytes.length), 72);
    sha512(f.bytes).copy(r, 80);
    Buffer.from(previous).copy(r, 144);
    return r;
  }

  /** Record hash of every model frame, by number (the chain, computed here). */
  chain(): Map<bigint, Buffer> {
    const out = new Map<bigint, Buffer>();
    let previous: Uint8Array = ZERO32;
    for (const f of this.frames) {
      assert.equal(f.number, BigInt(out.size), "model frames are numbered from 0 without gaps");
      const hash = sha256(DOMAIN.record, this.record(f, previous));
      out.set(f.number, hash);
      previous = hash;
    }
    return out;
  }

  /**
   * Checks every committed segment (see the file comment). `final`: the last
   * committed segment must carry the final flag. `cli`: also decrypt with the
   * age CLI. `preEventStart`: the sequence whose manifest must carry flag
   * bit 1 and a zero previous manifest hash (no other may carry the bit).
   * Returns the segments, parsed.
   */
  async verify(opts: { final?: boolean; cli?: boolean; preEventStart?: number } = {}): Promise<CheckedSegment[]> {
    const { h } = this;
    assert.deepEqual(h.violations, [], "storage protocol");
    const pk = Buffer.from(h.publicKey());
    assert.ok(pk.equals(Buffer.from(DEVICE_PK)), "device public key = RFC 8032 key of the seed");
    const recording = Buffer.from(h.recordingId());
    const chain = this.chain();
    const model = new Map(this.frames.map((f) => [f.number, f]));
    const out: CheckedSegment[] = [];
    let previousManifest: Buffer = ZERO32;
    for (const [i, seg] of h.committed.entries()) {
      const where = `segment ${seg.sequence}`;
      const m = parseManifest(seg.manifest!);
      assert.ok(ed25519Verify(pk, m.message, m.signature), `${where}: manifest signature`);
      assert.ok(m.device.equals(pk) && m.recording.equals(recording), `${where}: manifest device and recording`);
      assert.equal(seg.recording, hex(recording));
      assert.equal(m.sequence, seg.sequence, `${where}: manifest sequence = storage_open's`);
      assert.equal(m.ageBytes, BigInt(seg.age.length), `${where}: age_bytes`);
      assert.ok(m.ageSha256.equals(sha256(seg.age)), `${where}: age_sha256`);
      const preEventStart = seg.sequence === opts.preEventStart;
      assert.equal((m.flags & 2) !== 0, preEventStart, `${where}: pre-event start flag`);
      if (preEventStart) previousManifest = ZERO32;
      assert.ok(m.previous.equals(previousManifest), `${where}: previous manifest hash`);
      previousManifest = m.hash;

      const plain = await decryptTypage(seg.age, FORCE[0]);
      assert.ok(Buffer.from(await decryptTypage(seg.age, FORCE[1])).equals(plain), `${where}: identity 2 alone`);
      if (opts.cli) {
        for (const id of FORCE) assert.ok(decryptAgeCli(seg.age, id).equals(plain), `${where}: age CLI`);
      }

      const s = parseEvidence(plain);
      const { header, frames, trailer } = s;
      assert.ok(header.device.equals(pk) && header.recording.equals(recording), `${where}: header device and recording`);
      assert.equal(header.sequence, seg.sequence);
      assert.equal(header.firstFrame, m.firstFrame);
      assert.ok(header.chain.equals(header.firstFrame === 0n ? ZERO32 : chain.get(header.firstFrame - 1n)!), `${where}: chain value`);
      assert.ok(frames.length > 0, `${where}: at least one frame`);
      let previous = header.chain;
      frames.forEach((f, k) => {
        const number = header.firstFrame + BigInt(k);
        const mf = model.get(number);
        assert.ok(mf, `${where}: frame ${number} was accepted by the module`);
        assert.equal(f.number, number, `${where}: frame numbers consecutive`);
        assert.ok(f.bytes.equals(Buffer.from(mf.bytes)), `${where}: frame ${number} bytes`);
        assert.ok(f.record.equals(this.record(mf, previous)), `${where}: frame ${number} record`);
        assert.ok(f.sha512.equals(sha512(f.bytes)) && f.length === BigInt(f.bytes.length));
        assert.ok(f.hash.equals(chain.get(number)!), `${where}: frame ${number} record hash`);
        assert.ok(ed25519Verify(pk, Buffer.concat([DOMAIN.record, f.record]), f.signature), `${where}: frame ${number} signature`);
        previous = f.hash;
      });
      const first = frames[0];
      const last = frames[frames.length - 1];
      const isFinal = opts.final !== false && i === h.committed.length - 1;
      assert.ok(trailer.device.equals(pk) && trailer.recording.equals(recording), `${where}: trailer device and recording`);
      assert.equal(trailer.sequence, seg.sequence);
      assert.equal(trailer.flags, isFinal ? 1 : 0, `${where}: final flag`);
      assert.equal(trailer.firstFrame, header.firstFrame);
      assert.equal(trailer.count, BigInt(frames.length));
      assert.equal(trailer.firstTime, first.time);
      assert.equal(trailer.lastTime, last.time);
      assert.ok(trailer.headerHash.equals(sha256(header.bytes)), `${where}: header hash`);
      assert.ok(trailer.lastRecord.equals(last.hash), `${where}: last record hash`);
      assert.ok(ed25519Verify(pk, Buffer.concat([DOMAIN.trailer, trailer.bytes]), trailer.signature), `${where}: trailer signature`);
      assert.equal(m.flags & 1, trailer.flags, `${where}: manifest and trailer final flags`);
      assert.deepEqual([m.firstFrame, m.count, m.firstTime, m.lastTime], [trailer.firstFrame, trailer.count, trailer.firstTime, trailer.lastTime]);
      out.push({ sequence: seg.sequence, manifest: m, stream: s, plain });
    }
    return out;
  }
}

/**
 * The secrets of each segment opening, recomputed from the entropy draws of a
 * single recording without entropy failures (draw 0 is the recording id,
 * then per segment: file key, one ephemeral per recipient, payload nonce):
 * file key, ephemeral secrets, X25519 shared secrets, wrap keys, header MAC
 * key, payload key. None may stay in module memory once its segment is closed
 * or aborted.
 */
export function openingSecrets(draws: Buffer[], recipients: Uint8Array[] = RECIPIENTS): Buffer[][] {
  const n = recipients.length;
  const out: Buffer[][] = [];
  for (let i = 1; i + n + 2 <= draws.length; i += n + 2) {
    const group = draws.slice(i, i + n + 2);
    const [fileKey, ...rest] = group;
    const nonce = rest[n];
    assert.equal(fileKey.length, 16);
    assert.equal(nonce.length, 16);
    const secrets: Buffer[] = [fileKey];
    rest.slice(0, n).forEach((eph, k) => {
      assert.equal(eph.length, 32);
      const shared = Buffer.from(x25519.getSharedSecret(eph, recipients[k]));
      const salt = Buffer.concat([x25519.getPublicKey(eph), recipients[k]]);
      secrets.push(eph, shared, hkdf(shared, salt, "age-encryption.org/v1/X25519"));
    });
    secrets.push(hkdf(fileKey, Buffer.alloc(0), "header"), hkdf(fileKey, nonce, "payload"));
    out.push(secrets);
  }
  return out;
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from(info), 32));
}
