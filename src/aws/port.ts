// The narrow interface between sopsync and AWS: only the calls sopsync makes, in sopsync's terms.
// Implemented once over the AWS SDK (sdk-adapter.ts); tests run it against moto.

import type { PasswordOptions, StoredValue } from "../manifest/model.js";
import type { RotationRules } from "../manifest/model.js";

export type { StoredValue };

export interface ListedSecret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Set when the secret is scheduled for deletion. */
  deletedDate?: Date;
  /** RotationEnabled, RotationLambdaARN, RotationRules and LastRotatedDate; absent when never enabled. */
  rotation?: LiveRotation;
  /** VersionId carrying the AWSCURRENT stage, as ListSecrets reports it (may lag on AWS). */
  currentVersionId?: string;
  /** Every labelled version and its staging labels (SecretVersionsToStages), as ListSecrets reports them. */
  versionStages?: Record<string, string[]>;
  primaryRegion?: string;
  /** The service that created the secret (e.g. `rds`); sopsync never writes such a secret. */
  owningService?: string;
}

/** A secret's rotation as the account reports it (ListSecrets, DescribeSecret). */
export interface LiveRotation {
  enabled: boolean;
  lambdaArn?: string;
  rules?: RotationRules;
  lastRotatedDate?: Date;
}

export interface FetchedValue {
  name: string;
  versionId: string;
  value: StoredValue;
}

export interface Replica {
  region: string;
  kmsKeyId?: string;
}

/**
 * A replica as DescribeSecret reports it (ReplicationStatus). Status is InSync, InProgress or Failed,
 * with a message such as "Secret with this name already exists in this region"
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html).
 */
export interface LiveReplica extends Replica {
  status?: string;
  statusMessage?: string;
}

/** DescribeSecret: current, where ListSecrets "might not reflect changes from the last five minutes". */
export interface SecretDetails {
  name: string;
  arn?: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  replicas: LiveReplica[];
  /** Set when the secret is scheduled for deletion. */
  deletedDate?: Date;
  /** VersionId carrying AWSCURRENT. */
  currentVersionId?: string;
  rotation?: LiveRotation;
  /** Every labelled version and its staging labels. */
  versionStages: Record<string, string[]>;
  primaryRegion?: string;
  owningService?: string;
}

export interface ListFilter {
  /** Only names starting with one of these (at most 10: AWS allows 10 values per filter). */
  namePrefixes?: string[];
  /** Only secrets with this tag key. */
  tagKey?: string;
  /** Only secrets with a tag whose value starts with this (ANDed with tagKey, as AWS does). */
  tagValue?: string;
  /** Only these exact names (at most 10: AWS allows 10 values per filter). */
  names?: string[];
}

export interface SecretsPort {
  readonly region: string;
  callerAccount(): Promise<string>;
  /**
   * Every secret matching the filter, including those pending deletion. `onPage` sees each page as
   * it arrives, so a caller can start on it while the next one is fetched; `pace` is awaited before
   * each page is asked for (several listings may page at once, and each page counts against the quota).
   */
  listSecrets(filter: ListFilter, onPage?: (page: ListedSecret[]) => void, pace?: () => Promise<void>): Promise<ListedSecret[]>;
  /** AWSCURRENT values for up to 20 secrets; ids not returned are in `errors`. */
  batchGetValues(ids: string[]): Promise<{ values: FetchedValue[]; errors: { id: string; code: string; message: string }[] }>;
  getValue(id: string): Promise<FetchedValue>;
  /** Fails with ResourceNotFoundException when there is no such secret. */
  describeSecret(id: string): Promise<SecretDetails>;
  /** The resource policy as parsed JSON, or undefined when none is attached. */
  getResourcePolicy(id: string): Promise<unknown | undefined>;
  /**
   * kms:DescribeKey: the key ARN a key id, key ARN, alias name or alias ARN names; undefined if none.
   * `region` (default: the port's) is where the name is looked up: a replica's key is in its region.
   */
  describeKey(keyRef: string, region?: string): Promise<string | undefined>;
  /**
   * ListSecretVersionIds: when the version was created; undefined when it is not listed. Optional: a
   * port without it attributes no drift to rotation.
   */
  versionCreatedDate?(id: string, versionId: string): Promise<Date | undefined>;

  /**
   * GetRandomPassword: a password made by Secrets Manager with these options. The result is a secret
   * value: it goes straight into a write and nowhere else.
   */
  getRandomPassword(options: PasswordOptions): Promise<string>;

  createSecret(input: {
    name: string;
    value: StoredValue;
    token: string;
    description?: string;
    kmsKeyId?: string;
    tags: Record<string, string>;
    replicas?: Replica[];
  }): Promise<{ arn: string; versionId: string }>;
  /** `stages` omitted: the new version becomes AWSCURRENT (AWS's default). */
  putSecretValue(input: { id: string; value: StoredValue; token: string; stages?: string[] }): Promise<{ versionId: string }>;
  /**
   * Moves a staging label. AWS fails the call when the label is attached to a version other than
   * `removeFrom`: a compare-and-set, which the apply lock is built on.
   */
  updateSecretVersionStage(input: { id: string; stage: string; moveTo?: string; removeFrom?: string }): Promise<void>;
  /**
   * With `value` (and `token`, its VersionId), also writes a new version and moves AWSCURRENT to it,
   * encrypted under `kmsKeyId` when one is given.
   */
  updateSecret(input: {
    id: string;
    description?: string;
    kmsKeyId?: string;
    value?: StoredValue;
    token?: string;
  }): Promise<void>;
  tagResource(id: string, tags: Record<string, string>): Promise<void>;
  untagResource(id: string, keys: string[]): Promise<void>;
  /**
   * `blockPublicPolicy`: AWS refuses a policy granting broad access. Without it, public policies are
   * not blocked ("By default, public policies aren't blocked",
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html).
   */
  putResourcePolicy(id: string, policy: unknown, opts: { blockPublicPolicy: boolean }): Promise<void>;
  deleteResourcePolicy(id: string): Promise<void>;
  replicateToRegions(id: string, replicas: Replica[]): Promise<void>;
  removeRegionsFromReplication(id: string, regions: string[]): Promise<void>;
  deleteSecret(id: string, recoveryWindowDays: number): Promise<{ deletionDate?: Date }>;
  restoreSecret(id: string): Promise<void>;
  /**
   * RotateSecret. With `lambdaArn` and `rules`, sets (or changes) the rotation; without, rotates now
   * with the settings the secret has. `token` becomes the id of the version the rotation makes.
   */
  rotateSecret(input: {
    id: string;
    token: string;
    lambdaArn?: string;
    rules?: RotationRules;
    rotateImmediately?: boolean;
  }): Promise<void>;
  cancelRotateSecret(id: string): Promise<void>;
}

/** An AWS error reduced to what sopsync reports: the service's code and message. */
export class AwsCallError extends Error {
  constructor(
    readonly operation: string,
    readonly awsCode: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(`${operation}: ${awsCode}: ${message}`);
    this.name = "AwsCallError";
  }
}
