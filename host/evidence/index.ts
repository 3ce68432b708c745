// Evidence formats read and written by the host (docs/FORMAT.md).
export {
  MANIFEST_FORMAT, MANIFEST_DOMAIN, MANIFEST_MESSAGE_BYTES, MANIFEST_SIGNATURE_BYTES, MANIFEST_BLOB_BYTES,
  manifestFromBlob, manifestMessage, manifestSignature, manifestBlob, manifestHash, manifestJson,
  validateManifest, parseManifest, type Manifest,
} from "./manifest.ts";
export {
  AUDIT_ENTRY_BYTES, AUDIT_BODY_BYTES, AUDIT_DOMAIN, AUDIT_KINDS, HOST_AUDIT_KINDS,
  decodeAuditEntry, auditEntryMessage, auditEntryHash, type AuditEntry,
} from "./audit.ts";
