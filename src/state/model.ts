// The live state: what the account holds, in the same terms as the desired state.
import type { LiveReplica, LiveRotation, StoredValue } from "../aws/port.js";

export interface LiveSecret {
  name: string;
  arn: string;
  description: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** Scheduled for deletion (DeletedDate set). Its value is not read. */
  pendingDeletion: boolean;
  /** AWSCURRENT VersionId: the precondition a saved plan is checked against. */
  versionId?: string;
  /**
   * Every labelled version and its staging labels (ListSecrets' SecretVersionsToStages): tells
   * sopsync's latest write from an older one moved back to AWSCURRENT (state/own-version.ts).
   */
  versionStages?: Record<string, string[]>;
  /** AWSCURRENT value; undefined when not read (pending deletion, or not declared), or when there is none. */
  value?: StoredValue;
  /**
   * The secret has no AWSCURRENT version (CreateSecret without a value is legal): a state, not an
   * error. A declared one gets its value written.
   */
  noCurrentValue?: boolean;
  /** Rotation as ListSecrets reports it; undefined when it was never enabled. */
  rotation?: LiveRotation;
  /**
   * When the AWSCURRENT version was created (ListSecretVersionIds), for drift attribution with
   * rotation; read only where it decides something (state/version-dates.ts), else undefined.
   */
  versionCreated?: Date;
  /** undefined = not read; null = none attached. */
  policy?: unknown | null;
  /**
   * undefined = not read (DescribeSecret: ListSecrets does not carry them). Read for declared secrets
   * that declare `replicas:` and for owned secrets leaving the manifest.
   */
  replicas?: LiveReplica[];
  /**
   * The primary's region when this secret is a replica of a secret in another region (ListSecrets'
   * PrimaryRegion). A replica "can't be updated independently from its primary secret"
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html): never managed,
   * whatever its tags (they are its primary's).
   */
  replicaOf?: string;
  /** The AWS service that created the secret (state/owning-service.ts): never managed, whatever its tags. */
  owningService?: string;
}

export interface LiveState {
  region: string;
  account: string;
  /** Every secret in scope (by prefix, or carrying an ownership tag, or declared), by name. */
  secrets: Map<string, LiveSecret>;
  /**
   * KMS key references (key id, alias, alias ARN) resolved to key ARNs with kms:DescribeKey, so the
   * planner can tell the same key named two ways from a different key. Only filled for references
   * that did not already match as written.
   */
  kmsKeyArns?: Record<string, string>;
  /** The same for replica keys, per replica region: a key reference names a key only within its region. */
  replicaKmsKeyArns?: Record<string, Record<string, string>>;
}
