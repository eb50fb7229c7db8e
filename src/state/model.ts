// The live state: what the account holds, in the same terms as the desired state.
import type { Replica, StoredValue } from "../aws/port.js";

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
  /** AWSCURRENT value; undefined when not read (pending deletion, or not declared). */
  value?: StoredValue;
  /** undefined = not read; null = none attached. */
  policy?: unknown | null;
  /** undefined = not read. */
  replicas?: Replica[];
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
}
