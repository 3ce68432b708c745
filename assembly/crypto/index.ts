// The crypto core: one primitive per file, re-exported here.
export * from "./sha256";
export * from "./sha512";
export * from "./hmac";
export * from "./hkdf";
export * from "./chacha20";
export * from "./poly1305";
export * from "./aead";
export * from "./x25519";
export * from "./ed25519";
