// The sops value codec: ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] with a 32-byte IV and the key path
// as additional authenticated data. Pure: no I/O, the IV comes in from the caller when reusing one.
import { isUtf8 } from "node:buffer";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { formatGoBool, formatGoFloat, isInt64, parseGoBool, parseGoFloat, parseGoInt } from "./gofmt.js";

/** A typed plaintext value, as sops's Go tree holds it. */
export type SopsValue =
  | { type: "str"; value: string }
  | { type: "int"; value: bigint }
  | { type: "float"; value: number }
  | { type: "bool"; value: boolean }
  /** Go time.Time, held as its MarshalText form (RFC 3339 with nanoseconds), which is what sops -d prints. */
  | { type: "time"; value: string }
  | { type: "bytes"; value: Uint8Array }
  | { type: "comment"; value: string };

export type SopsType = SopsValue["type"];

export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const IV_SIZE = 32;
const TAG_SIZE = 16;
// Same pattern as sops (aes/cipher.go): greedy groups, anchored at the start only.
const ENC_PATTERN = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class ValueFormatError extends Error {}

function checkBase64(b64: string, name: string): void {
  if (!BASE64.test(b64) || b64.length % 4 !== 0) throw new ValueFormatError(`value has invalid base64 in ${name}`);
}

export function parseEncrypted(text: string): EncryptedValue {
  const m = ENC_PATTERN.exec(text);
  if (!m) throw new ValueFormatError("value does not match sops' ENC[AES256_GCM,...] format");
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string];
  checkBase64(data, "data");
  checkBase64(iv, "iv");
  checkBase64(tag, "tag");
  const parsed = { data: Buffer.from(data, "base64"), iv: Buffer.from(iv, "base64"), tag: Buffer.from(tag, "base64"), type };
  if (parsed.iv.length === 0) throw new ValueFormatError("value has an empty IV");
  if (parsed.tag.length !== TAG_SIZE) throw new ValueFormatError("value has a tag that is not 16 bytes");
  return parsed;
}

/** The bytes sops encrypts for a value (and, except for comments, feeds to the MAC). */
export function plaintextBytes(v: SopsValue): Buffer {
  switch (v.type) {
    case "str":
    case "comment":
    case "time":
      return Buffer.from(v.value, "utf8");
    case "int":
      return Buffer.from(v.value.toString(10));
    case "float":
      return Buffer.from(formatGoFloat(v.value));
    case "bool":
      return Buffer.from(formatGoBool(v.value));
    case "bytes":
      return Buffer.from(v.value);
  }
}

/** sops stores empty strings (and empty comments/bytes) as "" without encrypting them. */
export function isEmptyValue(v: SopsValue): boolean {
  return v.type === "str" || v.type === "comment" ? v.value === "" : v.type === "bytes" && v.value.length === 0;
}

export function encryptValue(v: SopsValue, key: Uint8Array, aad: string, iv: Uint8Array = randomBytes(IV_SIZE)): string {
  if (isEmptyValue(v)) return "";
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_SIZE });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plaintextBytes(v)), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${Buffer.from(iv).toString("base64")},tag:${tag.toString("base64")},type:${v.type}]`;
}

export class AuthenticationError extends Error {}

/** Decrypts one value. Throws ValueFormatError (malformed, unknown type) or AuthenticationError (wrong key/AAD, tampered). */
export function decryptValue(text: string, key: Uint8Array, aad: string): SopsValue {
  if (text === "") return { type: "str", value: "" };
  const enc = parseEncrypted(text);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, enc.iv, { authTagLength: TAG_SIZE });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(enc.tag);
    const head = decipher.update(enc.data);
    const tail = decipher.final(); // empty for GCM: the whole plaintext came from update
    plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    throw new AuthenticationError("authentication failed (wrong data key, moved or tampered value)");
  }
  return typedValue(plain, enc.type);
}

function typedValue(plain: Buffer, type: string): SopsValue {
  const text = plain.toString("utf8");
  switch (type) {
    case "str":
      // sops holds a Go string, which may be any bytes (a !!binary value): refuse rather than alter it.
      if (!isUtf8(plain)) throw new ValueFormatError("the value is not UTF-8 text (a !!binary value?); sopsync cannot hold it");
      return { type, value: text };
    case "comment":
      return { type, value: text };
    case "bytes":
      return { type, value: new Uint8Array(plain) };
    case "time":
      return { type, value: text };
    case "int": {
      const v = parseGoInt(text);
      if (v === undefined || !isInt64(v)) throw new ValueFormatError("decrypted int value is not a valid int64");
      return { type, value: v };
    }
    case "float": {
      const v = parseGoFloat(text);
      if (v === undefined) throw new ValueFormatError("decrypted float value is not a valid number");
      return { type, value: v };
    }
    case "bool": {
      const v = parseGoBool(text);
      if (v === undefined) throw new ValueFormatError("decrypted bool value is not a valid boolean");
      return { type, value: v };
    }
    default:
      throw new ValueFormatError(`unsupported value type '${type.slice(0, 20)}'`);
  }
}
