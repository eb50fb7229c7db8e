// kms:DescribeKey in any region. An alias names a key only within its region ("The alias must be unique
// in the account and Region, but you can have aliases with the same name in different Regions":
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html), and a replica's key is in
// the replica's region (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicaRegionType.html),
// so each region gets its own KMS client, made on first use: a plan without replica keys makes none.
import type { KMSClient, KMSClientConfig } from "@aws-sdk/client-kms";
import { type Instrumented, instrument, sdkError } from "./sdk-client.js";

export type DescribeKey = (keyRef: string, region?: string) => Promise<string | undefined>;

/** `config` is the port's own client configuration; `region` undefined means its region. */
export function kmsKeyResolver(config: KMSClientConfig, onRequest?: (operation: string) => void): DescribeKey {
  const clients = new Map<string, KMSClient>();
  const endpoints = new Map<string, Instrumented>();
  // The KMS SDK is loaded with the first client: most plans name no key, and it is slow to load.
  const clientFor = async (region: string | undefined): Promise<KMSClient> => {
    const { KMSClient } = await import("@aws-sdk/client-kms");
    const key = region ?? "";
    let client = clients.get(key);
    if (!client) {
      client = new KMSClient(region === undefined ? config : { ...config, region });
      endpoints.set(key, instrument(client, onRequest));
      clients.set(key, client);
    }
    return client;
  };
  return async (keyRef, region) => {
    try {
      const client = await clientFor(region);
      const { DescribeKeyCommand } = await import("@aws-sdk/client-kms");
      const r = await client.send(new DescribeKeyCommand({ KeyId: keyRef }));
      return r.KeyMetadata?.Arn;
    } catch (err) {
      if ((err as { name?: string }).name === "NotFoundException") return undefined;
      throw sdkError("DescribeKey", err, endpoints.get(region ?? "")?.endpoint());
    }
  };
}
