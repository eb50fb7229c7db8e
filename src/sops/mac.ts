// The sops MAC: SHA-512 over the typed plaintext of the leaves in walk order, uppercase hex, stored
// encrypted with the data key and AAD = lastmodified formatted as RFC 3339 without fractions.
import { createHash, type Hash } from "node:crypto";
import { plaintextBytes, type SopsValue } from "./cipher.js";
import { goTimestampText } from "./gofmt.js";

// sha256("sops"): sops's MACOnlyEncryptedInitialization, so the two MAC modes never collide.
const MAC_ONLY_ENCRYPTED_SEED = createHash("sha256").update("sops").digest();

export class MacAccumulator {
  private readonly hash: Hash = createHash("sha512");
  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_SEED);
  }

  /** Adds one leaf (never a comment; sops skips those). */
  add(v: SopsValue, encrypted: boolean): void {
    if (v.type === "comment") return;
    if (this.macOnlyEncrypted && !encrypted) return;
    // ToBytes(time.Time) is MarshalText: re-normalise in case the stored text is not canonical.
    const value = v.type === "time" ? { ...v, value: canonicalTime(v.value) } : v;
    // A string is hashed as its UTF-8 bytes, which is what plaintextBytes would copy into a Buffer first.
    if (value.type === "str" || value.type === "time") this.hash.update(value.value, "utf8");
    else this.hash.update(plaintextBytes(value));
  }

  digest(): string {
    return this.hash.digest("hex").toUpperCase();
  }
}

function canonicalTime(text: string): string {
  try {
    return goTimestampText(text) ?? text;
  } catch {
    return text; // a time Go cannot print never reaches here from sops; hash what was decrypted
  }
}
