// The --age / --kms flags of `init` and `import`: which master key a new manifest is encrypted for,
// and the one encryption rule new manifests get.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { identityToRecipient } from "age-encryption";
import { SopsyncError } from "../errors.js";
import { encryptText } from "../sops/encrypt.js";
import { isAgeRecipient, loadAgeIdentities, userConfigDir } from "../sops/keys/age.js";
import { isKmsArn } from "../sops/keys/kms.js";
import type { KeyEntry } from "../sops/metadata.js";

/** Only values are encrypted: names, descriptions and tags stay readable in pull requests. */
export const MANIFEST_ENCRYPTED_REGEX = "^(value|binary)$";

/**
 * A new manifest's plaintext encrypted for the chosen key, with only values encrypted. A KMS key that
 * is missing, refused or out of reach is said as such, naming the key: it was the user's --kms.
 */
export async function encryptNewManifest(plaintext: string, file: string, keys: readonly KeyEntry[]): Promise<string> {
  try {
    return await encryptText(plaintext, file, {
      keyGroups: [[...keys]],
      rule: { kind: "encrypted_regex", value: MANIFEST_ENCRYPTED_REGEX },
    });
  } catch (err) {
    const [key] = keys;
    if (key?.kind !== "kms" || err instanceof SopsyncError) throw err;
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

/** The master keys of a new manifest (one key group) and where they came from, for init/import to say. */
export interface ChosenKeys {
  keys: KeyEntry[];
  /** "--age", "--kms", "SOPS_AGE_RECIPIENTS" or "the age key in SOPS_AGE_KEY_FILE PATH", ... */
  source: string;
}

/** The recipients or ARN, comma-separated, as a .sops.yaml rule and messages name them. */
export function keyList(keys: readonly KeyEntry[]): string {
  return keys.map((k) => (k.kind === "age" ? k.recipient : k.kind === "kms" ? k.arn : "")).join(",");
}

/**
 * --kms ARN, else --age RECIPIENT[,RECIPIENT...], else SOPS_AGE_RECIPIENTS (comma-separated, the variable
 * sops reads for --age), else the recipient of the first age key sops would find.
 */
export async function chooseMasterKey(o: { age?: string; kms?: string }, env: NodeJS.ProcessEnv): Promise<ChosenKeys> {
  if (o.age && o.kms) throw new SopsyncError("USAGE", "pass either --age or --kms, not both");
  if (o.kms) {
    if (!isKmsArn(o.kms))
      throw new SopsyncError("USAGE", `--kms must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got ${o.kms}`);
    return { keys: [{ kind: "kms", arn: o.kms, enc: "" }], source: "--kms" };
  }
  if (o.age) return { keys: ageRecipients(o.age, "--age"), source: "--age" };
  if (env.SOPS_AGE_RECIPIENTS?.trim()) {
    return { keys: ageRecipients(env.SOPS_AGE_RECIPIENTS, "SOPS_AGE_RECIPIENTS"), source: "SOPS_AGE_RECIPIENTS" };
  }
  const own = (await loadAgeIdentities(env)).identities.find((i) => i.startsWith("AGE-SECRET-KEY-1"));
  if (!own) {
    throw new SopsyncError(
      "USAGE",
      "no key given: pass --age RECIPIENT or --kms ARN, or set SOPS_AGE_RECIPIENTS (or make an age key available via SOPS_AGE_KEY_FILE)",
    );
  }
  return {
    keys: [{ kind: "age", recipient: await identityToRecipient(own), enc: "" }],
    source: await identitySource(own, env),
  };
}

/** age.MasterKeysFromRecipients: a comma-separated list, each entry trimmed. */
function ageRecipients(list: string, from: string): KeyEntry[] {
  const recipients = list
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  if (recipients.length === 0) throw new SopsyncError("USAGE", `${from} names no age recipient`);
  for (const r of recipients) {
    if (!isAgeRecipient(r)) throw new SopsyncError("USAGE", `${from} must be an age recipient (age1...), got ${r}`);
  }
  return [...new Set(recipients)].map((recipient) => ({ kind: "age", recipient, enc: "" }));
}

/** Where the identity init used was found, in the order sops looks (src/sops/keys/age.ts). */
async function identitySource(identity: string, env: NodeJS.ProcessEnv): Promise<string> {
  const holds = async (file: string) => (await readFile(file, "utf8").catch(() => "")).includes(identity);
  if (env.SOPS_AGE_KEY?.includes(identity)) return "the age key in SOPS_AGE_KEY";
  if (env.SOPS_AGE_KEY_FILE && (await holds(env.SOPS_AGE_KEY_FILE)))
    return `the age key in SOPS_AGE_KEY_FILE ${env.SOPS_AGE_KEY_FILE}`;
  const defaultFile = join(userConfigDir(env), "sops", "age", "keys.txt");
  if (env.SOPS_AGE_KEY_CMD && !(await holds(defaultFile))) return "the age key SOPS_AGE_KEY_CMD printed";
  return `the age key in ${defaultFile}`;
}
