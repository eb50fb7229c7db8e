// Direct AWS SDK access for tests: arrange live state and inspect what sopsync wrote.
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type Tag,
} from "@aws-sdk/client-secrets-manager";
import { TEST_REGION } from "./moto.js";

export function smClient(endpoint: string): SecretsManagerClient {
  return new SecretsManagerClient({
    region: TEST_REGION,
    endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
}

export async function getString(sm: SecretsManagerClient, id: string): Promise<string | undefined> {
  return (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
}

export async function getBinary(sm: SecretsManagerClient, id: string): Promise<Uint8Array | undefined> {
  return (await sm.send(new GetSecretValueCommand({ SecretId: id }))).SecretBinary;
}

export async function describe(sm: SecretsManagerClient, id: string) {
  return sm.send(new DescribeSecretCommand({ SecretId: id }));
}

export function tagsOf(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

export async function putString(sm: SecretsManagerClient, id: string, value: string): Promise<void> {
  await sm.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
}

export async function createString(sm: SecretsManagerClient, name: string, value: string, tags: Record<string, string> = {}) {
  await sm.send(
    new CreateSecretCommand({
      Name: name,
      SecretString: value,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

export async function listNames(sm: SecretsManagerClient): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const r = await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true, NextToken, MaxResults: 100 }));
    for (const s of r.SecretList ?? []) names.push(s.Name ?? "");
    NextToken = r.NextToken;
  } while (NextToken);
  return names.sort();
}
