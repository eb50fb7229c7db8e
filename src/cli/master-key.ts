// The --age / --kms flags of `init` and `import`: which master key a new manifest is encrypted for,
// and the one encryption rule new manifests get.
import { identityToRecipient } from "age-encryption";
import { SopsyncError } from "../errors.js";
import { encryptText } from "../sops/encrypt.js";
import { isAgeRecipient, loadAgeIdentities } from "../sops/keys/age.js";
import { isKmsArn } from "../sops/keys/kms.js";
import type { KeyEntry } from "../sops/metadata.js";

/** Only values are encrypted: names, descriptions and tags stay readable in pull requests. */
export const MANIFEST_ENCRYPTED_REGEX = "^(value|binary)$";

/**
 * A new manifest's plaintext encrypted for the chosen key, with only values encrypted. A KMS key that
 * is missing, refused or out of reach is said as such, naming the key: it was the user's --kms.
 */
export async function encryptNewManifest(plaintext: string, file: string, key: KeyEntry): Promise<string> {
  try {
    return await encryptText(plaintext, file, {
      keyGroups: [[key]],
      rule: { kind: "encrypted_regex", value: MANIFEST_ENCRYPTED_REGEX },
    });
  } catch (err) {
    if (key.kind !== "kms" || err instanceof SopsyncError) throw err;
    throw new SopsyncError("KMS_KEY", `--kms ${key.arn}: ${kmsReason(err)}`, { cause: err });
  }
}

function kmsReason(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string };
  const name = e.name ?? "";
  const text = `${name} ${e.code ?? ""} ${e.message ?? ""}`;
  if (name === "NotFoundException")
    return "the key does not exist in that account and region: check the ARN (`aws kms describe-key --key-id ARN`)";
  if (name === "DisabledException" || name === "KMSInvalidStateException")
    return "the key is disabled or pending deletion: enable it, or pass another key";
  if (name === "AccessDeniedException")
    return "access denied: your credentials need kms:Encrypt on this key (and kms:Decrypt to read the manifest)";
  if (name === "CredentialsProviderError")
    return "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or log in with `aws sso login`";
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|TimeoutError/.test(text))
    return "AWS KMS is unreachable: check the network, and AWS_ENDPOINT_URL_KMS if set";
  return `AWS KMS refused the key (${name || "Error"}): check the ARN and your access to it`;
}

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
