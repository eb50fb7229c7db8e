// KMS keys have four names: key id, key ARN, alias name and alias ARN. The manifest may use any of
// them and Secrets Manager reports whichever it stored (AWS returns the key ARN or alias ARN; moto
// echoes the input), so "different text" is not "different key".

/** The key Secrets Manager uses when none is named; DescribeSecret then omits KmsKeyId. */
export const DEFAULT_SECRETS_KEY = "alias/aws/secretsmanager";

/** Equal without asking KMS: same text, or one is the ARN form of the other. */
export function sameKmsKeyAsWritten(declared: string, live: string | undefined): boolean {
  if (live === undefined) return declared === DEFAULT_SECRETS_KEY || declared.endsWith(`:${DEFAULT_SECRETS_KEY}`);
  if (declared === live) return true;
  const tail = (ref: string) =>
    ref.startsWith("arn:") ? ref.split(":").slice(5).join(":") : ref.startsWith("alias/") ? ref : `key/${ref}`;
  return tail(declared) === tail(live);
}

/** Equal as written, or both resolve (kms:DescribeKey, done by the reader) to the same key ARN. */
export function sameKmsKey(declared: string, live: string | undefined, resolved: Readonly<Record<string, string>> = {}): boolean {
  if (sameKmsKeyAsWritten(declared, live)) return true;
  if (live === undefined) return false;
  const arn = (ref: string) => resolved[ref] ?? (/^arn:[^:]+:kms:/.test(ref) ? ref : undefined);
  const a = arn(declared);
  return a !== undefined && a === arn(live);
}
