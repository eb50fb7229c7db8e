// AWS KMS key source: the data key (or a Shamir share) wrapped with KMS Encrypt, with the entry's
// encryption context, optionally through an assumed role and/or a named shared-config profile.
// The SDK picks up endpoints (AWS_ENDPOINT_URL_KMS / _STS) and credentials from its default chain.
import { hostname } from "node:os";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { KmsKeyEntry } from "../metadata.js";
import { QUIET_SDK_LOGGER } from "../../sdk-logger.js";
import { sopsyncUserAgent } from "../../user-agent.js";

const ARN_REGION = /^arn:aws[\w-]*:kms:([^:]+):\d+:(key|alias)\/.+$/;

export function regionOfArn(arn: string): string | undefined {
  return ARN_REGION.exec(arn)?.[1];
}

export function isKmsArn(s: string): boolean {
  return ARN_REGION.test(s);
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

// sops names the session "sops@<hostname>", keeping only characters STS accepts.
function sessionName(): string {
  return `sops@${hostname()}`.replace(/[^\w+=,.@-]/g, "").slice(0, 64);
}

// The SDK clients are loaded when a KMS key is used, not when sops is: an age-only manifest never needs
// them, and they are most of sopsync's start-up. Their user agent names sopsync's version and the
// commit, as every sopsync request does; not the plan id, which decrypting a manifest does not know.
async function assumeRole(entry: KmsKeyEntry, region: string): Promise<Credentials> {
  const { AssumeRoleCommand, STSClient } = await import("@aws-sdk/client-sts");
  const sts = new STSClient({
    region,
    logger: QUIET_SDK_LOGGER,
    customUserAgent: sopsyncUserAgent(),
    ...(entry.aws_profile ? { profile: entry.aws_profile } : {}),
  });
  try {
    const r = await sts.send(new AssumeRoleCommand({ RoleArn: entry.role, RoleSessionName: sessionName() }));
    const c = r.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
    };
  } finally {
    sts.destroy();
  }
}

async function clientFor(entry: KmsKeyEntry): Promise<KMSClient> {
  const region = regionOfArn(entry.arn);
  if (!region) throw new Error(`not a KMS key ARN: ${entry.arn}`);
  const credentials = entry.role ? await assumeRole(entry, region) : undefined;
  const { KMSClient } = await import("@aws-sdk/client-kms");
  return new KMSClient({
    region,
    logger: QUIET_SDK_LOGGER,
    customUserAgent: sopsyncUserAgent(),
    ...(entry.aws_profile && !credentials ? { profile: entry.aws_profile } : {}),
    ...(credentials ? { credentials } : {}),
  });
}

export async function kmsDecrypt(entry: KmsKeyEntry): Promise<Uint8Array> {
  const client = await clientFor(entry);
  const { DecryptCommand } = await import("@aws-sdk/client-kms");
  try {
    const r = await client.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(entry.enc, "base64"),
        KeyId: entry.arn,
        ...(entry.context ? { EncryptionContext: entry.context } : {}),
      }),
    );
    if (!r.Plaintext) throw new Error("KMS Decrypt returned no plaintext");
    return r.Plaintext;
  } finally {
    client.destroy();
  }
}

export async function kmsEncrypt(entry: Omit<KmsKeyEntry, "enc">, data: Uint8Array): Promise<string> {
  const client = await clientFor({ ...entry, enc: "" });
  const { EncryptCommand } = await import("@aws-sdk/client-kms");
  try {
    const r = await client.send(
      new EncryptCommand({ KeyId: entry.arn, Plaintext: data, ...(entry.context ? { EncryptionContext: entry.context } : {}) }),
    );
    if (!r.CiphertextBlob) throw new Error("KMS Encrypt returned no ciphertext");
    return Buffer.from(r.CiphertextBlob).toString("base64");
  } finally {
    client.destroy();
  }
}
