// `npm start` until the simulator exists: the crypto core doing the real work
// of a short capture, end to end, with timings. Each synthetic frame is hashed
// and its record signed (a hash chain), the frames and records are sealed to a
// force key in 64 KiB chunks (X25519 + HKDF-SHA-256 + ChaCha20-Poly1305 with a
// chunk counter and a last-chunk flag, the shape of age's STREAM), then the
// "custodian" opens them with the force's secret and checks every signature
// and the chain, and finally shows that a flipped bit and an altered frame
// are both caught. The byte layout here is a demonstration, not sealcam's
// evidence format (that is docs/FORMAT.md, from the capture issue on).
import { randomBytes } from "node:crypto";
import { instantiateV8 } from "../engine/index.ts";
import { Crypto } from "../engine/crypto.ts";

const CHUNK = 65536;
const enc = new TextEncoder();

export interface DemoOptions {
  frames: number;
  frameBytes: number;
  print?: (line: string) => void;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

function nonceFor(counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(7, counter); // 11-byte big-endian counter (low 32 bits used here)
  n[11] = last ? 1 : 0;
  return n;
}

function timed<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e9];
}

/** A record: "demo-frame" || frame number || length || SHA-256(frame) || previous link. */
function record(c: Crypto, n: number, frame: Uint8Array, prev: Uint8Array): Uint8Array {
  return concat([enc.encode("demo-frame"), u64(n), u64(frame.length), c.sha256(frame), prev]);
}

function deriveKey(c: Crypto, shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array): Uint8Array {
  return c.hkdfSha256(shared, concat([ephemeral, recipient]), enc.encode("sealcam demo payload key"), 32);
}

/** Runs the demo; true when the honest capture verifies and both tamperings are caught. */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const print = options.print ?? ((line: string) => console.log(line));
  const c = new Crypto(await instantiateV8("release"));
  const memoryBefore = c.instance.memory.buffer.byteLength;
  print(`sealcam demo: the firmware module (V8, ${memoryBefore / 1024} KiB fixed memory) on ${options.frames} frames of ${options.frameBytes} bytes`);

  // Keys: the camera's signing key and the force's X25519 identity (only its public half is on the camera).
  const device = c.ed25519Keypair(randomBytes(32));
  const forceSecret = randomBytes(32);
  const forcePublic = c.x25519Public(forceSecret);
  print(`  device key    ${Buffer.from(device.publicKey).toString("hex")}`);
  print(`  force key     ${Buffer.from(forcePublic).toString("hex")}`);

  // Capture: hash, chain and sign every frame.
  const frames = Array.from({ length: options.frames }, () => new Uint8Array(randomBytes(options.frameBytes)));
  let prev: Uint8Array = new Uint8Array(32);
  const [stream, signSeconds] = timed(() => {
    const parts: Uint8Array[] = [];
    frames.forEach((frame, n) => {
      const rec = record(c, n, frame, prev);
      const sig = c.ed25519Sign(device.secretKey, rec);
      prev = c.sha256(concat([rec, sig]));
      parts.push(u64(frame.length), frame, rec, sig);
    });
    return concat(parts);
  });
  print(`  hash + sign   ${options.frames} records in ${(signSeconds * 1e3).toFixed(1)} ms (${((signSeconds / options.frames) * 1e6).toFixed(0)} µs per frame)`);

  // Seal to the force: ephemeral X25519, HKDF, then ChaCha20-Poly1305 chunk by chunk.
  const [sealed, sealSeconds] = timed(() => {
    const ephemeral = randomBytes(32);
    const ephemeralPublic = c.x25519Public(ephemeral);
    const key = deriveKey(c, c.x25519(ephemeral, forcePublic).shared, ephemeralPublic, forcePublic);
    const chunks: Uint8Array[] = [];
    for (let at = 0, i = 0; at < stream.length || i === 0; at += CHUNK, i++) {
      const last = at + CHUNK >= stream.length;
      chunks.push(c.aeadEncrypt(key, nonceFor(i, last), stream.subarray(at, at + CHUNK), new Uint8Array(0)));
    }
    key.fill(0);
    return { ephemeralPublic, chunks };
  });
  print(`  seal          ${(stream.length / 1e6).toFixed(2)} MB in ${sealed.chunks.length} chunks, ${(sealSeconds * 1e3).toFixed(1)} ms (${(stream.length / sealSeconds / 1e6).toFixed(0)} MB/s with copies in and out)`);

  // Custody: open with the force's secret, then check every record and signature.
  const open = (chunks: Uint8Array[]): { stream?: Uint8Array; error?: string } => {
    const key = deriveKey(c, c.x25519(forceSecret, sealed.ephemeralPublic).shared, sealed.ephemeralPublic, forcePublic);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const plain = c.aeadDecrypt(key, nonceFor(i, i === chunks.length - 1), chunks[i], new Uint8Array(0));
      if (typeof plain === "number") return { error: `chunk ${i}: authentication tag does not match` };
      parts.push(plain);
    }
    return { stream: concat(parts) };
  };
  const verify = (plain: Uint8Array): string | undefined => {
    let at = 0;
    let link: Uint8Array = new Uint8Array(32);
    for (let n = 0; at < plain.length; n++) {
      const len = Number(new DataView(plain.buffer, plain.byteOffset + at, 8).getBigUint64(0, true));
      const frame = plain.subarray(at + 8, at + 8 + len);
      at += 8 + len;
      const rec = record(c, n, frame, link);
      const stored = plain.subarray(at, at + rec.length);
      const sig = plain.subarray(at + rec.length, at + rec.length + 64);
      at += rec.length + 64;
      if (Buffer.compare(rec, stored) !== 0) return `frame ${n}: frame bytes do not match their signed record`;
      const code = c.ed25519Verify(device.publicKey, rec, sig);
      if (code !== 0) return `frame ${n}: signature does not verify (code ${code})`;
      link = c.sha256(concat([rec, sig]));
    }
    return undefined;
  };
  const [opened, openSeconds] = timed(() => open(sealed.chunks));
  const [problem, verifySeconds] = timed(() => (opened.stream ? verify(opened.stream) : opened.error));
  print(`  open          ${(openSeconds * 1e3).toFixed(1)} ms (${(stream.length / openSeconds / 1e6).toFixed(0)} MB/s with copies in and out)`);
  print(`  verify        ${options.frames} signatures and the chain in ${(verifySeconds * 1e3).toFixed(1)} ms: ${problem ?? "intact"}`);

  // Tampering: a flipped ciphertext bit, and a frame altered then re-sealed by someone with the key.
  const flipped = sealed.chunks.map((ch) => ch.slice());
  flipped[flipped.length - 1][0] ^= 1;
  const flipResult = open(flipped).error;
  print(`  bit flip      ${flipResult ?? "NOT DETECTED"}`);
  const altered = opened.stream!.slice();
  const target = Math.min(options.frames - 1, 2);
  const link0 = new Uint8Array(32);
  const perFrame = 8 + options.frameBytes + record(c, 0, new Uint8Array(0), link0).length + 64;
  altered[perFrame * target + 8 + Math.min(100, options.frameBytes - 1)] ^= 0x40;
  const alterResult = verify(altered);
  print(`  altered frame ${alterResult ?? "NOT DETECTED"}`);

  const memoryAfter = c.instance.memory.buffer.byteLength;
  print(`  module memory ${memoryBefore} bytes before, ${memoryAfter} after`);
  const ok = problem === undefined && flipResult !== undefined && alterResult !== undefined && memoryAfter === memoryBefore;
  print(ok ? "demo: intact capture verified; both tamperings detected" : "demo: FAILED");
  return ok;
}
