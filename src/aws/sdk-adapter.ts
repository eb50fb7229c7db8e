// SecretsPort over the AWS SDK v3. Credentials, region and endpoints come from the SDK's default
// chain and the standard AWS_ENDPOINT_URL_* variables, so the same code talks to AWS and to moto.
import type { ListSecretsCommandInput, SecretsManagerClientConfig, SecretListEntry } from "@aws-sdk/client-secrets-manager";
import type { STSClient } from "@aws-sdk/client-sts";
import { ownRecord } from "../records.js";
import { kmsKeyResolver } from "./kms-keys.js";
import { DEFAULT_MAX_ATTEMPTS, SopsyncRetryStrategy } from "./retry.js";
import { type Instrumented, instrument, sdkError } from "./sdk-client.js";
import { QUIET_SDK_LOGGER } from "../sdk-logger.js";
import { sopsyncUserAgent, type UserAgentOptions } from "../user-agent.js";
import { parseDuration } from "../duration.js";
import { AwsCallError, type FetchedValue, type ListedSecret, type SecretsPort, type StoredValue } from "./port.js";
import type { LiveRotation } from "./port.js";

export interface SdkPortOptions {
  region?: string;
  profile?: string;
  credentials?: SecretsManagerClientConfig["credentials"];
  /** SDK attempts per call for throttling and transient errors, the first included (default 10). */
  maxAttempts?: number;
  /**
   * Attempts per call when the endpoint cannot be reached (refused, unresolved, no answer in time),
   * the first included (default 3).
   */
  unreachableAttempts?: number;
  /**
   * Time an attempt may take, from sending to the whole answer, before it is abandoned and retried
   * (default 20 s, or SOPSYNC_REQUEST_TIMEOUT).
   */
  requestTimeoutMs?: number;
  /** Time to establish a connection before the attempt is abandoned (default 5 s, at most the request timeout). */
  connectTimeoutMs?: number;
  /** Called once per HTTP request sent, for call accounting. */
  onRequest?: (operation: string) => void;
  /** Added to every request's user agent after `sopsync/<version>` (see src/user-agent.ts). */
  userAgent?: UserAgentOptions;
}

function toStored(s: { SecretString?: string; SecretBinary?: Uint8Array }): StoredValue {
  if (s.SecretString !== undefined) return { string: s.SecretString };
  if (s.SecretBinary !== undefined) return { binary: s.SecretBinary };
  return { string: "" };
}

function valueInput(v: StoredValue): { SecretString?: string; SecretBinary?: Uint8Array } {
  return v.binary !== undefined ? { SecretBinary: v.binary } : { SecretString: v.string };
}

function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Tag keys are anyone's (`constructor`, `__proto__`): a record without a prototype holds them all. */
function tagMap(list: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return ownRecord((list ?? []).flatMap((t) => (t.Key === undefined ? [] : [[t.Key, t.Value ?? ""] as const])));
}

function currentOf(stages: Record<string, string[]> | undefined): string | undefined {
  return Object.entries(stages ?? {}).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
}

/** Absent when rotation was never enabled, so a secret without it reads as before. */
function rotationOf(e: {
  RotationEnabled?: boolean;
  RotationLambdaARN?: string;
  RotationRules?: { AutomaticallyAfterDays?: number; ScheduleExpression?: string; Duration?: string };
  LastRotatedDate?: Date;
}): { rotation?: LiveRotation } {
  if (!e.RotationEnabled && !e.RotationLambdaARN && !e.LastRotatedDate) return {};
  const r = e.RotationRules;
  const rules = r && {
    ...(r.AutomaticallyAfterDays !== undefined ? { automaticallyAfterDays: r.AutomaticallyAfterDays } : {}),
    ...(r.ScheduleExpression ? { scheduleExpression: r.ScheduleExpression } : {}),
    ...(r.Duration ? { duration: r.Duration } : {}),
  };
  return {
    rotation: {
      enabled: e.RotationEnabled === true,
      ...(e.RotationLambdaARN ? { lambdaArn: e.RotationLambdaARN } : {}),
      ...(rules ? { rules } : {}),
      ...(e.LastRotatedDate ? { lastRotatedDate: e.LastRotatedDate } : {}),
    },
  };
}

function toListed(e: SecretListEntry): ListedSecret {
  return {
    name: e.Name ?? "",
    arn: e.ARN ?? "",
    description: e.Description || undefined,
    kmsKeyId: e.KmsKeyId || undefined,
    tags: tagMap(e.Tags),
    deletedDate: e.DeletedDate,
    ...rotationOf(e),
    currentVersionId: currentOf(e.SecretVersionsToStages),
    ...(e.SecretVersionsToStages ? { versionStages: e.SecretVersionsToStages } : {}),
    primaryRegion: e.PrimaryRegion,
    ...(e.OwningService ? { owningService: e.OwningService } : {}),
  };
}

/**
 * The per-attempt timeout: well under a minute, since Secrets Manager answers in well under a second;
 * SOPSYNC_REQUEST_TIMEOUT (e.g. `5s`) changes it for a slow link or a test.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** The per-attempt timeout in force: the one given, else SOPSYNC_REQUEST_TIMEOUT, else the default. */
export function attemptTimeoutMs(given?: number): number {
  if (given !== undefined) return given;
  const v = process.env.SOPSYNC_REQUEST_TIMEOUT;
  const ms = v ? parseDuration(v) : 0;
  return ms > 0 ? ms : DEFAULT_REQUEST_TIMEOUT_MS;
}

export async function createSdkPort(opts: SdkPortOptions = {}): Promise<SecretsPort> {
  // Loaded on the first port, not at the top: commands that never call AWS (validate, set, edit)
  // import this module through shared code, and the SDK is most of sopsync's start-up.
  const {
    BatchGetSecretValueCommand,
    CancelRotateSecretCommand,
    CreateSecretCommand,
    DeleteResourcePolicyCommand,
    DeleteSecretCommand,
    DescribeSecretCommand,
    GetRandomPasswordCommand,
    GetResourcePolicyCommand,
    GetSecretValueCommand,
    ListSecretsCommand,
    ListSecretVersionIdsCommand,
    PutResourcePolicyCommand,
    PutSecretValueCommand,
    RemoveRegionsFromReplicationCommand,
    ReplicateSecretToRegionsCommand,
    RestoreSecretCommand,
    RotateSecretCommand,
    SecretsManagerClient,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateSecretCommand,
    UpdateSecretVersionStageCommand,
  } = await import("@aws-sdk/client-secrets-manager");
  const requestTimeout = attemptTimeoutMs(opts.requestTimeoutMs);
  const common = {
    region: opts.region,
    profile: opts.profile,
    credentials: opts.credentials,
    customUserAgent: sopsyncUserAgent(opts.userAgent),
    logger: QUIET_SDK_LOGGER, // no SDK console warnings in sopsync's output
    // Standard backoff with jitter, not "adaptive": sopsync paces its own calls, and adaptive mode's
    // client-side rate limiter would also treat a LimitExceededException (a quota) as throttling.
    retryStrategy: new SopsyncRetryStrategy({
      maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      unreachableAttempts: opts.unreachableAttempts,
    }),
    // A connection that never answers becomes a TimeoutError, retried a few times (retry.ts).
    requestHandler: {
      connectionTimeout: Math.min(opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, requestTimeout),
      requestTimeout,
      throwOnRequestTimeout: true,
    },
  };
  const sm = new SecretsManagerClient(common);
  const smClient = instrument(sm, opts.onRequest);
  // STS is loaded and its client made when the account is first asked for (a manifest that names
  // target.account never asks).
  let sts: STSClient | undefined;
  let stsClient: Instrumented | undefined;
  /** Wraps SDK errors into AwsCallError so callers never see SDK internals (or request bodies). */
  const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const endpoint = operation === "GetCallerIdentity" ? stsClient?.endpoint() : smClient.endpoint();
      throw sdkError(operation, err, endpoint);
    }
  };
  // The region the SDK settles on (argument, env, profile), resolved once for plans and guards.
  const region = opts.region ?? (await sm.config.region());

  const port: SecretsPort = {
    region,
    async callerAccount() {
      const r = await call("GetCallerIdentity", async () => {
        const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
        sts ??= new STSClient(common);
        stsClient ??= instrument(sts, opts.onRequest);
        return sts.send(new GetCallerIdentityCommand({}));
      });
      return r.Account ?? "";
    },
    async listSecrets(filter, onPage, pace) {
      const Filters: ListSecretsCommandInput["Filters"] = [];
      const prefixes = filter.namePrefixes;
      if (prefixes && prefixes.length > 10) throw new Error("ListSecrets takes at most 10 name prefixes");
      if (prefixes) Filters.push({ Key: "name", Values: prefixes });
      if (filter.tagKey) Filters.push({ Key: "tag-key", Values: [filter.tagKey] });
      if (filter.tagValue) Filters.push({ Key: "tag-value", Values: [filter.tagValue] });
      // Name filters are prefix matches: ask for the names, keep the exact ones below.
      const exact = filter.names ? new Set(filter.names) : undefined;
      if (filter.names) Filters.push({ Key: "name", Values: filter.names.slice(0, 10) });
      const out: ListedSecret[] = [];
      let NextToken: string | undefined;
      do {
        await pace?.();
        const r = await call("ListSecrets", () =>
          sm.send(
            new ListSecretsCommand({
              IncludePlannedDeletion: true,
              MaxResults: 100,
              NextToken,
              Filters: Filters.length ? Filters : undefined,
            }),
          ),
        );
        const page: ListedSecret[] = [];
        for (const e of r.SecretList ?? []) {
          // The name filter is a prefix match on AWS but moto also matches words inside names.
          if (prefixes && !prefixes.some((p) => e.Name?.startsWith(p))) continue;
          if (exact && !exact.has(e.Name ?? "")) continue;
          page.push(toListed(e));
        }
        onPage?.(page);
        out.push(...page);
        NextToken = r.NextToken;
      } while (NextToken);
      return out;
    },
    async batchGetValues(ids) {
      const r = await call("BatchGetSecretValue", () => sm.send(new BatchGetSecretValueCommand({ SecretIdList: ids })));
      const values: FetchedValue[] = (r.SecretValues ?? []).map((v) => ({
        name: v.Name ?? "",
        versionId: v.VersionId ?? "",
        value: toStored(v),
      }));
      const errors = (r.Errors ?? []).map((e) => ({
        id: e.SecretId ?? "",
        code: e.ErrorCode ?? "Error",
        message: e.Message ?? "",
      }));
      return { values, errors };
    },
    async getValue(id) {
      const r = await call("GetSecretValue", () => sm.send(new GetSecretValueCommand({ SecretId: id })));
      return { name: r.Name ?? id, versionId: r.VersionId ?? "", value: toStored(r) };
    },
    async describeSecret(id) {
      const r = await call("DescribeSecret", () => sm.send(new DescribeSecretCommand({ SecretId: id })));
      return {
        name: r.Name ?? id,
        arn: r.ARN,
        description: r.Description || undefined,
        kmsKeyId: r.KmsKeyId || undefined,
        tags: tagMap(r.Tags),
        replicas: (r.ReplicationStatus ?? []).map((s) => ({
          region: s.Region ?? "",
          kmsKeyId: s.KmsKeyId || undefined,
          status: s.Status,
          statusMessage: s.StatusMessage,
        })),
        deletedDate: r.DeletedDate,
        ...rotationOf(r),
        currentVersionId: currentOf(r.VersionIdsToStages),
        versionStages: r.VersionIdsToStages ?? {},
        primaryRegion: r.PrimaryRegion,
        ...(r.OwningService ? { owningService: r.OwningService } : {}),
      };
    },
    async getResourcePolicy(id) {
      const r = await call("GetResourcePolicy", () => sm.send(new GetResourcePolicyCommand({ SecretId: id })));
      return r.ResourcePolicy ? JSON.parse(r.ResourcePolicy) : undefined;
    },
    describeKey: kmsKeyResolver(common, opts.onRequest),
    async versionCreatedDate(id, versionId) {
      let NextToken: string | undefined;
      do {
        const r = await call("ListSecretVersionIds", () =>
          sm.send(new ListSecretVersionIdsCommand({ SecretId: id, MaxResults: 100, NextToken })),
        );
        const found = r.Versions?.find((v) => v.VersionId === versionId);
        if (found) return found.CreatedDate;
        NextToken = r.NextToken || undefined;
      } while (NextToken);
      return undefined;
    },
    async getRandomPassword(o) {
      const r = await call("GetRandomPassword", () =>
        sm.send(
          new GetRandomPasswordCommand({
            PasswordLength: o.length,
            ExcludeCharacters: o.excludeCharacters,
            ExcludeNumbers: o.excludeNumbers,
            ExcludePunctuation: o.excludePunctuation,
            ExcludeUppercase: o.excludeUppercase,
            ExcludeLowercase: o.excludeLowercase,
            IncludeSpace: o.includeSpace,
            RequireEachIncludedType: o.requireEachIncludedType,
          }),
        ),
      );
      if (!r.RandomPassword) throw new AwsCallError("GetRandomPassword", "EmptyAnswer", "no password in the answer");
      return r.RandomPassword;
    },
    async createSecret(input) {
      const r = await call("CreateSecret", () =>
        sm.send(
          new CreateSecretCommand({
            Name: input.name,
            ClientRequestToken: input.token,
            Description: input.description,
            KmsKeyId: input.kmsKeyId,
            Tags: tagList(input.tags),
            AddReplicaRegions: input.replicas?.map((r) => ({ Region: r.region, KmsKeyId: r.kmsKeyId })),
            ...valueInput(input.value),
          }),
        ),
      );
      return { arn: r.ARN ?? "", versionId: r.VersionId ?? input.token };
    },
    async putSecretValue(input) {
      const r = await call("PutSecretValue", () =>
        sm.send(
          new PutSecretValueCommand({
            SecretId: input.id,
            ClientRequestToken: input.token,
            VersionStages: input.stages,
            ...valueInput(input.value),
          }),
        ),
      );
      return { versionId: r.VersionId ?? input.token };
    },
    async updateSecretVersionStage(input) {
      await call("UpdateSecretVersionStage", () =>
        sm.send(
          new UpdateSecretVersionStageCommand({
            SecretId: input.id,
            VersionStage: input.stage,
            MoveToVersionId: input.moveTo,
            RemoveFromVersionId: input.removeFrom,
          }),
        ),
      );
    },
    async updateSecret(input) {
      await call("UpdateSecret", () =>
        sm.send(
          new UpdateSecretCommand({
            SecretId: input.id,
            Description: input.description,
            KmsKeyId: input.kmsKeyId,
            ...(input.value ? { ClientRequestToken: input.token, ...valueInput(input.value) } : {}),
          }),
        ),
      );
    },
    async tagResource(id, tags) {
      await call("TagResource", () => sm.send(new TagResourceCommand({ SecretId: id, Tags: tagList(tags) })));
    },
    async untagResource(id, keys) {
      await call("UntagResource", () => sm.send(new UntagResourceCommand({ SecretId: id, TagKeys: keys })));
    },
    async putResourcePolicy(id, policy, { blockPublicPolicy }) {
      await call("PutResourcePolicy", () =>
        sm.send(
          new PutResourcePolicyCommand({
            SecretId: id,
            ResourcePolicy: JSON.stringify(policy),
            BlockPublicPolicy: blockPublicPolicy,
          }),
        ),
      );
    },
    async deleteResourcePolicy(id) {
      await call("DeleteResourcePolicy", () => sm.send(new DeleteResourcePolicyCommand({ SecretId: id })));
    },
    async replicateToRegions(id, replicas) {
      await call("ReplicateSecretToRegions", () =>
        sm.send(
          new ReplicateSecretToRegionsCommand({
            SecretId: id,
            AddReplicaRegions: replicas.map((r) => ({ Region: r.region, KmsKeyId: r.kmsKeyId })),
          }),
        ),
      );
    },
    async removeRegionsFromReplication(id, regions) {
      await call("RemoveRegionsFromReplication", () =>
        sm.send(new RemoveRegionsFromReplicationCommand({ SecretId: id, RemoveReplicaRegions: regions })),
      );
    },
    async deleteSecret(id, recoveryWindowDays) {
      const r = await call("DeleteSecret", () =>
        sm.send(new DeleteSecretCommand({ SecretId: id, RecoveryWindowInDays: recoveryWindowDays })),
      );
      return { deletionDate: r.DeletionDate };
    },
    async restoreSecret(id) {
      await call("RestoreSecret", () => sm.send(new RestoreSecretCommand({ SecretId: id })));
    },
    async rotateSecret(input) {
      const r = input.rules;
      await call("RotateSecret", () =>
        sm.send(
          new RotateSecretCommand({
            SecretId: input.id,
            ClientRequestToken: input.token,
            RotationLambdaARN: input.lambdaArn,
            RotationRules: r && {
              AutomaticallyAfterDays: r.automaticallyAfterDays,
              ScheduleExpression: r.scheduleExpression,
              Duration: r.duration,
            },
            RotateImmediately: input.rotateImmediately,
          }),
        ),
      );
    },
    async cancelRotateSecret(id) {
      await call("CancelRotateSecret", () => sm.send(new CancelRotateSecretCommand({ SecretId: id })));
    },
  };
  return port;
}
