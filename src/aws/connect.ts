// Builds the SecretsPort for a manifest's target: region and profile from the manifest when set,
// else the SDK's default chain; `roleArn` assumed through STS first.
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { Target } from "../manifest/model.js";
import type { SecretsPort } from "./port.js";
import { createSdkPort, type SdkPortOptions } from "./sdk-adapter.js";
import { sopsyncUserAgent } from "./user-agent.js";

export async function connect(
  target: Target,
  extra: Pick<SdkPortOptions, "onRequest" | "maxAttempts" | "userAgent"> = {},
): Promise<SecretsPort> {
  let credentials: SdkPortOptions["credentials"];
  if (target.roleArn) {
    const sts = new STSClient({
      region: target.region,
      profile: target.profile,
      customUserAgent: sopsyncUserAgent(extra.userAgent),
    });
    const roleArn = target.roleArn;
    credentials = async () => {
      const r = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sopsync" }));
      const c = r.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    };
  }
  return createSdkPort({ region: target.region, profile: target.profile, credentials, ...extra });
}
