// Entropy sources for the module's `entropy` import. A camera uses the
// system's (node:crypto). The seeded stream exists so that tests and
// cross-engine comparisons can replay a recording byte for byte (ABI.md:
// "a host that injects a seeded entropy stream and a fixed clock gets
// byte-identical output"); it makes every file key predictable, so it is
// never for evidence.
import { createCipheriv, createHash, randomFillSync } from "node:crypto";

/** Fills `out` from the operating system's CSPRNG. */
export function systemEntropy(out: Uint8Array): void {
  randomFillSync(out);
}

/**
 * A deterministic stream: the ChaCha20 keystream under key = SHA-256(seed),
 * nonce zero. Each call continues where the last stopped. NOT for evidence.
 */
export function seededEntropy(seed: string): (out: Uint8Array) => void {
  const key = createHash("sha256").update(`sealcam test entropy:${seed}`).digest();
  const cipher = createCipheriv("chacha20", key, Buffer.alloc(16));
  return (out: Uint8Array) => {
    out.set(cipher.update(Buffer.alloc(out.length)));
  };
}
