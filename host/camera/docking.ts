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

/** A DockingCamera over a configured recorder and the flash store it records into. */
export function dockingCamera(recorder: Recorder, store: FlashStore): DockingCamera {
  return {
    device: recorder.devicePublicKey,
    dockAuth: (hello) => recorder.dockAuth(hello),
    checkReceipt: (receipt, subject) => recorder.checkReceipt(receipt, subject),
    auditNote: (kind, a, b, ref) => recorder.auditNote(kind, a, b, ref),
    queue: () => store.list().map((s) => ({ id: s.id, blob: manifestBlob(s.manifest), manifest: s.manifest })),
    readAge: (id, offset) => store.readAgeChunks(id, offset),
    deleteSegment: (id) => store.delete(id),
    auditEntries: (fromIndex) => store.audit.entries(fromIndex),
    trimAudit: (index) => void store.audit.trim(index),
  };
}
