// The common case of an age stanza, opened with Node's own crypto: an armored age file whose data key
// is wrapped for X25519 identities (age-encryption.org/v1, https://age-encryption.org/v1). Loading the
// age-encryption package costs about 0.1 s of CPU (it loads its post-quantum and NIST-curve code for
// every file, whatever its recipients), so this path answers without it. It answers only with a payload
// that authenticated end to end (the stanza's AEAD tag, the header's HMAC, the payload's AEAD tag);
// whatever it does not fully understand, or that does not decrypt, is left to the package (age.ts), so
// errors and edge cases stay the package's.
import {
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";

// DER prefixes of an X25519 key (RFC 8410): a PKCS #8 private key and an SPKI public key, each
// followed by the 32 raw bytes. Node imports raw X25519 keys only in these wrappings.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const;

/** BIP 173 bech32 (not bech32m, which age does not use): prefix and bytes, or undefined when invalid. */
export function bech32Decode(s: string): { prefix: string; bytes: Buffer } | undefined {
  const lower = s.toLowerCase();
  if (s !== lower && s !== s.toUpperCase()) return undefined; // mixed case is invalid
  const sep = lower.lastIndexOf("1");
  if (sep < 1 || lower.length - sep - 1 < 6) return undefined;
  const prefix = lower.slice(0, sep);
  const words: number[] = [];
  for (const c of lower.slice(sep + 1)) {
    const w = BECH32.indexOf(c);
    if (w < 0) return undefined;
    words.push(w);
  }
  let chk = 1;
  const step = (v: number) => {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i] as number;
  };
  for (let i = 0; i < prefix.length; i++) {
    const code = prefix.charCodeAt(i);
    if (code < 33 || code > 126) return undefined;
    step(code >>> 5);
  }
  step(0);
  for (let i = 0; i < prefix.length; i++) step(prefix.charCodeAt(i) & 31);
  for (const w of words) step(w);
  if (chk !== 1) return undefined;
  // 5-bit words to bytes; leftover bits must be fewer than 5 and zero (no padding beyond the last byte).
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words.slice(0, -6)) {
    acc = (acc << 5) | w;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) return undefined;
  return { prefix, bytes: Buffer.from(bytes) };
}

/** The 32-byte scalar of an X25519 identity (AGE-SECRET-KEY-1…), or undefined when it is not one. */
export function x25519Scalar(identity: string): Buffer | undefined {
  if (!identity.startsWith("AGE-SECRET-KEY-1")) return undefined;
  const decoded = bech32Decode(identity);
  return decoded?.prefix === "age-secret-key-" && decoded.bytes.length === 32 ? decoded.bytes : undefined;
}

interface Stanza {
  args: string[];
  body: Buffer;
}

interface Header {
  stanzas: Stanza[];
  /** The header up to and including "---", which the HMAC covers. */
  macked: Buffer;
  mac: Buffer;
  payload: Buffer;
}

/** Unpadded base64 as age writes it (canonical: it must re-encode to the same text). */
function base64NoPad(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64").replace(/=+$/, "") === text ? bytes : undefined;
}

const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const END = "-----END AGE ENCRYPTED FILE-----";

/** The armored file's bytes: padded base64 in lines of 64 columns (the last one shorter or equal). */
function dearmor(text: string): Buffer | undefined {
  const lines = text.trim().split("\n");
  if (lines.length < 3 || lines[0] !== BEGIN || lines[lines.length - 1] !== END) return undefined;
  const body = lines.slice(1, -1);
  if (body.some((l, i) => (i < body.length - 1 ? l.length !== 64 : l.length === 0 || l.length > 64))) return undefined;
  const b64 = body.join("");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(b64, "base64");
  return bytes.toString("base64") === b64 ? bytes : undefined;
}

/** The v1 header: stanzas (`-> args` then body lines of 64 columns, the last shorter), `--- MAC`. */
function parseHeader(file: Buffer): Header | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const nl = file.indexOf(0x0a, at);
    if (nl < 0) return undefined;
    const text = file.toString("latin1", at, nl);
    at = nl + 1;
    return text;
  };
  if (line() !== "age-encryption.org/v1") return undefined;
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = at;
    const l = line();
    if (l === undefined) return undefined;
    if (l.startsWith("--- ")) {
      const mac = base64NoPad(l.slice(4));
      if (!mac || mac.length !== 32) return undefined;
      return { stanzas, macked: file.subarray(0, start + 3), mac, payload: file.subarray(at) };
    }
    if (!l.startsWith("-> ")) return undefined;
    const args = l.slice(3).split(" ");
    if (args.some((a) => a === "" || !/^[\x21-\x7e]+$/.test(a))) return undefined;
    const chunks: Buffer[] = [];
    for (;;) {
      const b = line();
      if (b === undefined || b.length > 64) return undefined;
      const bytes = base64NoPad(b);
      if (!bytes) return undefined;
      chunks.push(bytes);
      if (b.length < 64) break;
    }
    stanzas.push({ args, body: Buffer.concat(chunks) });
  }
}

const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));

/** ChaCha20-Poly1305 open; undefined when the tag does not verify. */
function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = d.update(sealed.subarray(0, sealed.length - 16));
  try {
    d.final();
  } catch {
    return undefined;
  }
  return out;
}

interface X25519Identity {
  key: KeyObject;
  /** Its public key, the second half of the HKDF salt. */
  recipient: Buffer;
}

function x25519Identity(scalar: Buffer): X25519Identity {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  return { key, recipient: spki.subarray(SPKI_PREFIX.length) };
}

/** The file key from an X25519 stanza for this identity; undefined when it is not for it. */
function unwrap(id: X25519Identity, share: Buffer, body: Buffer): Buffer | undefined {
  const peer = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, share]), format: "der", type: "spki" });
  const secret = diffieHellman({ privateKey: id.key, publicKey: peer });
  if (secret.every((b) => b === 0)) return undefined;
  const wrapKey = hkdf(secret, Buffer.concat([share, id.recipient]), "age-encryption.org/v1/X25519");
  return open(wrapKey, Buffer.alloc(12), body);
}

/**
 * The decrypted payload of an armored age file, when every identity is an X25519 one, the first
 * stanza one of them opens (identities in order, stanzas in order, as the package tries them) gives a
 * file key that authenticates the header, and the payload is one authenticated STREAM chunk (a data
 * key is 32 bytes). Otherwise undefined: the caller asks the age-encryption package, which says why.
 */
export function openX25519(armored: string, identities: readonly string[]): Uint8Array | undefined {
  try {
    const scalars = identities.map(x25519Scalar);
    if (scalars.length === 0 || scalars.some((s) => s === undefined)) return undefined;
    const file = dearmor(armored);
    const header = file && parseHeader(file);
    if (!header) return undefined;
    const x25519: { share: Buffer; body: Buffer }[] = [];
    for (const s of header.stanzas) {
      if (s.args[0] !== "X25519") continue;
      const share = s.args.length === 2 ? base64NoPad(s.args[1] as string) : undefined;
      if (!share || share.length !== 32 || s.body.length !== 32) return undefined; // the package refuses it
      x25519.push({ share, body: s.body });
    }
    let fileKey: Buffer | undefined;
    for (const scalar of scalars as Buffer[]) {
      const id = x25519Identity(scalar);
      for (const s of x25519) {
        fileKey = unwrap(id, s.share, s.body);
        if (fileKey) break;
      }
      if (fileKey) break;
    }
    if (!fileKey || fileKey.length !== 16) return undefined;
    const mac = createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header"))
      .update(header.macked)
      .digest();
    if (!timingSafeEqual(mac, header.mac)) return undefined;
    // STREAM: a 16-byte nonce, then chunks of 64 KiB + tag; the only chunk is the last one (flag 1).
    const { payload } = header;
    if (payload.length < 16 + 16 || payload.length > 16 + 65536 + 16) return undefined;
    const streamKey = hkdf(fileKey, payload.subarray(0, 16), "payload");
    const nonce = Buffer.alloc(12);
    nonce[11] = 1;
    const plain = open(streamKey, nonce, payload.subarray(16));
    // An empty last chunk is allowed only for an empty file; a data key never is one.
    return plain && plain.length > 0 ? new Uint8Array(plain) : undefined;
  } catch {
    return undefined;
  }
}
