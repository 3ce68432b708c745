// Keys: Bech32 text forms, age X25519 identities and recipients, and
// sealcam's key files (the camera's device key, the force's identity).
// docs/FORMAT.md, "Key files", specifies every byte.
export { encode as bech32Encode, decode as bech32Decode } from "./bech32.ts";
export {
  IDENTITY_HRP, RECIPIENT_HRP, X25519_KEY_BYTES, type IdentityLine,
  generateIdentity, formatIdentity, parseIdentity, formatRecipient, parseRecipient,
  parseIdentityFile, readIdentityFile, recipientOf,
} from "./age.ts";
export {
  DEVICE_KEY_HRP, DEVICE_PUBLIC_HRP, SEED_BYTES, DEVICE_PUBLIC_BYTES, SECRET_FILE_MODE, PUBLIC_FILE_MODE,
  type DeviceKeyFile, type KeyFileSpec,
  generateDeviceSeed, formatDeviceKey, parseDeviceKey, formatDevicePublicKey, parseDevicePublicKey,
  devicePublicKey, deviceFingerprint, deviceKeyFileText, forceIdentityFileText,
  parseDeviceKeyFile, readDeviceKey, loadDeviceKey,
  writeKeyFile, writeKeyFiles, writeDeviceKey, writeForceIdentity,
} from "./device.ts";
export {
  PROVISIONING_KEY_HRP, PROVISIONING_PUBLIC_HRP, DOCK_PUBLIC_HRP, PROVISIONING_SEED_BYTES, ED25519_PUBLIC_BYTES, PROVISIONING_KEY_BANNER,
  type ProvisioningKeyFile,
  generateProvisioningSeed, formatProvisioningKey, parseProvisioningKey, formatProvisioningPublicKey, parseProvisioningPublicKey,
  formatDockPublicKey, parseDockPublicKey, provisioningPublicKey, provisioningKeyFileText,
  parseProvisioningKeyFile, readProvisioningKey, loadProvisioningKey, writeProvisioningKey,
} from "./provisioning.ts";
export {
  DOCK_KEY_HRP, DOCK_SEED_BYTES, DOCK_KEY_BANNER, DOCK_KEY_KIND, type DockKeyFile,
  generateDockSeed, formatDockKey, parseDockKey, dockPublicKey, dockKeyFileText,
  parseDockKeyFile, readDockKey, loadDockKey, writeDockKey,
} from "./dock.ts";
