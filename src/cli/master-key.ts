// The --age / --kms flags of `init` and `import`: which master key a new manifest is encrypted for,
// and the one encryption rule new manifests get.
import { identityToRecipient } from "age-encryption";
import { SopsyncError } from "../errors.js";
import { isAgeRecipient, loadAgeIdentities } from "../sops/keys/age.js";
import { isKmsArn } from "../sops/keys/kms.js";
import type { KeyEntry } from "../sops/metadata.js";

/** Only values are encrypted: names, descriptions and tags stay readable in pull requests. */
export const MANIFEST_ENCRYPTED_REGEX = "^(value|binary)$";

/** --kms ARN, else --age RECIPIENT, else the recipient of the first age key sops would find. */
export async function chooseMasterKey(o: { age?: string; kms?: string }, env: NodeJS.ProcessEnv): Promise<KeyEntry> {
  if (o.age && o.kms) throw new SopsyncError("USAGE", "pass either --age or --kms, not both");
  if (o.kms) {
    if (!isKmsArn(o.kms))
      throw new SopsyncError("USAGE", `--kms must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got ${o.kms}`);
    return { kind: "kms", arn: o.kms, enc: "" };
  }
  const own = (await loadAgeIdentities(env)).identities.find((i) => i.startsWith("AGE-SECRET-KEY-1"));
  const recipient = o.age ?? (own ? await identityToRecipient(own) : undefined);
  if (!recipient) {
    throw new SopsyncError(
      "USAGE",
      "no key given: pass --age RECIPIENT or --kms ARN (or make an age key available via SOPS_AGE_KEY_FILE)",
    );
  }
  if (!isAgeRecipient(recipient)) throw new SopsyncError("USAGE", `--age must be an age recipient (age1...), got ${recipient}`);
  return { kind: "age", recipient: recipient.trim(), enc: "" };
}
