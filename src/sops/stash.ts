// sops's IV stash (aes/cipher.go): a value decrypted at a path and encrypted again unchanged at the
// same path reuses its IV, so the ciphertext is identical and `git diff` shows only real changes.
import { plaintextBytes, type SopsValue } from "./cipher.js";

export class IvStash {
  private readonly byValue = new Map<string, string>();
  /** Remembered but not yet keyed: most decryptions (validate, plan) never encrypt again. */
  private pending: [aad: string, v: SopsValue, ciphertext: string][] = [];

  private static key(aad: string, v: SopsValue): string {
    return `${aad}\u0000${v.type}\u0000${plaintextBytes(v).toString("base64")}`;
  }

  remember(aad: string, v: SopsValue, ciphertext: string): void {
    this.pending.push([aad, v, ciphertext]);
  }

  /** The previous ciphertext of exactly this value at this path, if any. */
  lookup(aad: string, v: SopsValue): string | undefined {
    // In the order remembered, so the last ciphertext of a value at a path wins, as it always has.
    for (const [a, value, ciphertext] of this.pending) this.byValue.set(IvStash.key(a, value), ciphertext);
    this.pending = [];
    return this.byValue.get(IvStash.key(aad, v));
  }
}
