// Builds the SecretsPort for a manifest's target: region and profile from the manifest when set,
// else the SDK's default chain; `roleArn` assumed through STS first.
import type { Target } from "../manifest/model.js";
import type { SecretsPort } from "./port.js";
import { DEFAULT_MAX_ATTEMPTS, SopsyncRetryStrategy } from "./retry.js";
import { attemptTimeoutMs, createSdkPort, DEFAULT_CONNECT_TIMEOUT_MS, type SdkPortOptions } from "./sdk-adapter.js";
import { instrument, sdkError } from "./sdk-client.js";
import { QUIET_SDK_LOGGER } from "../sdk-logger.js";
import { regionError, withSetupErrors } from "./setup-errors.js";
import { sopsyncUserAgent } from "../user-agent.js";

export async function connect(
  target: Target,
  extra: Pick<SdkPortOptions, "onRequest" | "maxAttempts" | "userAgent" | "requestTimeoutMs" | "unreachableAttempts"> = {},
): Promise<SecretsPort> {
  let credentials: SdkPortOptions["credentials"];
  if (target.roleArn) {
    // Loaded here, not at the top: most runs assume no role, and the SDK is most of sopsync's start-up.
    const { AssumeRoleCommand, STSClient } = await import("@aws-sdk/client-sts");
    const sts = new STSClient({
      region: target.region,
      profile: target.profile,
      customUserAgent: sopsyncUserAgent(extra.userAgent),
      logger: QUIET_SDK_LOGGER,
      retryStrategy: new SopsyncRetryStrategy({
        maxAttempts: extra.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        unreachableAttempts: extra.unreachableAttempts,
      }),
      requestHandler: {
        connectionTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
        requestTimeout: attemptTimeoutMs(extra.requestTimeoutMs),
        throwOnRequestTimeout: true,
      },
    });
    const observed = instrument(sts, extra.onRequest);
    const roleArn = target.roleArn;
    credentials = async () => {
      const r = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sopsync" })).catch((err) => {
        throw sdkError("AssumeRole", err, observed.endpoint());
      });
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
  const port = await createSdkPort({ region: target.region, profile: target.profile, credentials, ...extra }).catch((err) => {
    throw regionError(err, target) ?? err;
  });
  return withSetupErrors(port, target);
}
