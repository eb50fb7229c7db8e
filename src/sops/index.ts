// The SOPS layer: read and write files exactly as the reference sops binary does (files of sops 3.2–3.13 tested).
export { decryptFile, decryptText, type DecryptedFile, type DecryptOptions } from "./decrypt.js";
export type { SopsMetadata, KeyGroup, KeyEntry, AgeKeyEntry, KmsKeyEntry, EncryptionRule } from "./metadata.js";
export type { SopsValue } from "./cipher.js";
export { encryptText, type NewFileOptions } from "./encrypt.js";
export { setSecret, updateFile } from "./write.js";
