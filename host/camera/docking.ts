// The camera's side of docking: what the dock client (host/dock/client.ts)
// needs of a camera, answered by the real recorder and the flash store. The
// module answers the dock's hello and checks every receipt (docs/ABI.md
// "Dock and receipts"); the flash store holds the queue of committed
// segments and the audit log. The client deletes a segment only after the
// module has accepted its receipt.
import type { DockingCamera } from "../dock/client.ts";
import type { FlashStore } from "../flash/store.ts";
import { manifestBlob } from "../evidence/manifest.ts";
import type { Recorder } from "./recorder.ts";

/** The camera's clock, where the host can set it (µs since the Unix epoch). */
export interface SettableClock {
  now(): bigint;
  set(us: bigint): void;
}

export interface DockingCameraOptions {
  /**
   * The camera's clock: once the module has authenticated the dock, a camera
   * clock more than `clockToleranceUs` away from the time in the dock's signed
   * hello is set to it, and the change is logged (audit kind 13, old and new).
   */
  clock?: SettableClock;
  /** Default 2 s. */
  clockToleranceUs?: bigint;
}

/** Offset of the dock's time in its hello (FORMAT.md "Dock hello"). */
const HELLO_TIME = 64;

/** A DockingCamera over a configured recorder and the flash store it records into. */
export function dockingCamera(recorder: Recorder, store: FlashStore, options: DockingCameraOptions = {}): DockingCamera {
  const tolerance = options.clockToleranceUs ?? 2_000_000n;
  return {
    device: recorder.devicePublicKey,
    dockAuth: (hello) => {
      const answer = recorder.dockAuth(hello);
      // Only a hello the module accepted (signed by the pinned dock) sets the clock.
      const clock = options.clock;
      if (clock) {
        const dockTime = Buffer.from(hello.buffer, hello.byteOffset, hello.byteLength).readBigUInt64LE(HELLO_TIME);
        const old = clock.now();
        const off = dockTime > old ? dockTime - old : old - dockTime;
        if (off > tolerance) {
          clock.set(dockTime);
          recorder.auditNote(13, old, dockTime);
        }
      }
      return answer;
    },
    checkReceipt: (receipt, subject) => recorder.checkReceipt(receipt, subject),
    auditNote: (kind, a, b, ref) => recorder.auditNote(kind, a, b, ref),
    queue: () => store.list().map((s) => ({ id: s.id, blob: manifestBlob(s.manifest), manifest: s.manifest })),
    readAge: (id, offset) => store.readAgeChunks(id, offset),
    deleteSegment: (id) => store.delete(id),
    auditEntries: (fromIndex) => store.audit.entries(fromIndex),
    trimAudit: (index) => void store.audit.trim(index),
  };
}
