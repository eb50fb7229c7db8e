// The plan: plain, versioned JSON data (it survives JSON.parse(JSON.stringify(plan))). It holds
// names, metadata and the live preconditions each change was planned against — never a value, a
// value's hash or its length. docs/plan-format.md documents it; bump PLAN_FORMAT_VERSION on any
// incompatible change.
import type { ManifestRef, PasswordOptions, RotationRules } from "../manifest/model.js";
import type { KeyChange } from "../manifest/values.js";

export const PLAN_FORMAT_VERSION = 2;

export type ValueKind = "json" | "string" | "binary";

/**
 * What the planner saw live, for everything ownership and safety depend on. A saved plan is refused
 * when the account no longer shows it (or what this plan's own writes made of it), and apply re-reads
 * each secret with DescribeSecret right before writing it and refuses the secret if it moved on.
 */
export type Precondition =
  | { state: "absent" }
  | {
      state: "present" | "pending-deletion";
      /** AWSCURRENT VersionId (kept while pending deletion). */
      versionId: string | null;
      /** The `sopsync:managed-by` tag; null when there is none. */
      managedBy: string | null;
      /** The `sopsync:protected` tag is "true". */
      protected: boolean;
      description: string;
      /** As Secrets Manager reports it; null for the AWS managed key. */
      kmsKeyId: string | null;
      /**
       * "rotation": the secret's rotation owns its value, so `versionId` is not held against the
       * account unless the plan writes the value (a scheduled rotation may run between plan and apply).
       */
      valueOwner?: "rotation";
    };

/** Why a value differs, for display only; apply never decides on it. */
export type DriftCause =
  /** The live value is the one sopsync last wrote: the manifest moved on. */
  | "manifest-changed"
  /** Someone wrote a new version since sopsync's last apply. */
  | "changed-outside"
  /** No record of sopsync's last write (adopted, or tag missing). */
  | "unknown"
  /** Pending deletion: the value cannot be read, so it is written again after the restore. */
  | "not-readable"
  /** The secret has no current value (no AWSCURRENT version, e.g. created without one). */
  | "no-current-value"
  /**
   * The value is the manifest's, but the KMS key changes: the value is written again as a new version,
   * so AWSCURRENT is encrypted under the new key only (UpdateSecret alone keeps it readable with the old key).
   */
  | "kms-key-changed"
  /**
   * Rotation is on and the current version is not sopsync's: it was created no later than the
   * secret's LastRotatedDate, so its rotation wrote it (plan/attribution.ts). A later one is
   * "changed-outside".
   */
  | "rotated";

/**
 * How a created secret's value is generated: the whole SecretString with these options, or (`keys`)
 * these JSON keys added to the manifest's static keys. The value itself is made at apply, by AWS.
 */
export type GeneratePlan = PasswordOptions & { keys?: Record<string, PasswordOptions> };

export type Action =
  | {
      type: "create";
      valueKind: ValueKind;
      description: string;
      kmsKeyId?: string;
      tags: Record<string, string>;
      /** Set when the value (or some of its keys) is generated at create. */
      generate?: GeneratePlan;
    }
  | { type: "update-value"; valueKind: ValueKind; cause: DriftCause; keys?: KeyChange[] }
  | {
      type: "update-metadata";
      description?: { before: string; after: string };
      kmsKeyId?: { before?: string; after?: string };
    }
  | { type: "tag"; tags: Record<string, { before?: string; after: string }> }
  | { type: "untag"; tags: Record<string, string> }
  | {
      type: "put-policy";
      /** The attached policy, spelled like `after` wherever the two mean the same (plan/policy.ts). */
      before?: unknown;
      after: unknown;
      /**
       * Sent as PutResourcePolicy's BlockPublicPolicy: true unless the secret says allowPublicPolicy.
       * Always set by this planner; absent in plans made before it (apply then blocks).
       */
      blockPublicPolicy?: boolean;
    }
  /** `before` is undefined when it could not be read (the secret was pending deletion). */
  | { type: "delete-policy"; before: unknown }
  | { type: "add-replica"; region: string; kmsKeyId?: string }
  | { type: "remove-replica"; region: string }
  | { type: "restore" }
  | { type: "adopt" }
  | {
      type: "delete";
      recoveryWindowDays: number;
      /**
       * Where the window comes from: the secret's own, recorded in its sopsync:recovery-window-days
       * tag while the manifest declared it, or the manifest's defaults (no tag: older secrets too).
       * Always set by this planner; absent in plans made before it.
       */
      recoveryWindowFrom?: "secret" | "defaults";
    }
  /**
   * RotateSecret with RotationLambdaARN and RotationRules: turns rotation on. `rotateImmediately` is
   * sent as given (false unless the manifest asks): AWS rotates at once otherwise.
   */
  | { type: "enable-rotation"; lambdaArn: string; rules: RotationRules; rotateImmediately: boolean }
  /** RotateSecret with the new settings; never rotates at once (RotateImmediately: false). */
  | {
      type: "update-rotation";
      before: { lambdaArn?: string; rules?: RotationRules };
      lambdaArn: string;
      rules: RotationRules;
      rotateImmediately: false;
    }
  /** CancelRotateSecret (`rotation: none`). */
  | { type: "cancel-rotation"; lambdaArn?: string };

export type ActionType = Action["type"];

/** A replica that is not InSync, as DescribeSecret reported it. Display only: apply never decides on it. */
export interface ReplicaNote {
  region: string;
  /** `InProgress` (no change: being created) or `Failed` (its message says why). */
  status: string;
  /** AWS's StatusMessage. */
  message?: string;
}

export interface SecretChange {
  name: string;
  /** In the order apply runs them. Empty means in sync (noop). */
  actions: Action[];
  precondition: Precondition;
  /** Replicas not in sync; absent when there are none or they were not read. */
  replicaStatus?: ReplicaNote[];
  /** Display only, never a change: apply and the saved-plan comparison ignore them. */
  notes?: ChangeNote[];
  /**
   * Drift the plan reports but writes nothing for (undeclared-rotation.ts). Not an action: apply does
   * nothing for it and the saved-plan comparison ignores it, but it counts as a change for
   * --detailed-exitcode. Absent when there is none.
   */
  drift?: DriftNote[];
}

/**
 * "rotation-enabled-outside": rotation is enabled on the account (`lambdaArn`: RotationLambdaARN) but
 * the manifest declares no `rotation:`; the value is never written back.
 */
export type DriftNote = {
  kind: "rotation-enabled-outside";
  lambdaArn?: string;
  /** Who wrote the current value when it is not sopsync's (plan/attribution.ts); absent when unknown or sopsync's. */
  value?: "rotated" | "changed-outside";
};

/**
 * Something the plan does not act on but a reader should know. "value-owned-by-rotation": the live value
 * is not the manifest's because rotation owns it (`lastRotated`: LastRotatedDate, ISO 8601).
 * "value-change-ignored": the manifest's value changed, but rotation owns the value.
 */
export type ChangeNote =
  /** `value`: who wrote the current value (plan/attribution.ts); absent when unknown. */
  | { kind: "value-owned-by-rotation"; lastRotated?: string; value?: "rotated" | "changed-outside" }
  | { kind: "value-change-ignored" };

export interface PlanSummary {
  create: number;
  update: number;
  restore: number;
  adopt: number;
  delete: number;
  noop: number;
  /** Secrets with drift but no action (SecretChange.drift): not in sync, nothing written. Absent when 0. */
  drift?: number;
}

export interface TargetPlan {
  /** One manifest, or several sharing (account, region, scope.id): one desired state. */
  manifests: ManifestRef[];
  target: { account: string; region: string };
  scope: { id: string; prefix?: string };
  /** Declared or owned secrets, sorted by name; secrets in sync appear with no actions. */
  changes: SecretChange[];
  /** In scope, not ours and not declared: listed, never touched. */
  unmanaged: string[];
  /**
   * In scope, but replicas of a primary in another region: never managed, whatever their tags (they
   * carry their primary's). Absent when there are none.
   */
  replicaSecrets?: { name: string; primaryRegion: string }[];
  /**
   * In scope, but created by another AWS service (OwningService, e.g. `rds`): never written, adopted
   * or deleted, whatever their tags. Absent when there are none.
   */
  serviceSecrets?: { name: string; owningService: string }[];
  summary: PlanSummary;
  /**
   * Set when the plan covers a subset (`Plan.only`): `selected` of the `total` secrets this target
   * declares or owns. Display only: the comparison of a saved plan with a fresh one ignores it.
   */
  subset?: { selected: number; total: number };
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  planId: string;
  createdAt: string;
  /**
   * `--only` patterns (plan/selection.ts) when the plan covers only the secrets they match: the others
   * were not read and are not changed, deleted included. Absent for a plan of every secret. A saved
   * plan is applied with its own selection.
   */
  only?: string[];
  targets: TargetPlan[];
}

export function hasChanges(plan: Plan): boolean {
  return plan.targets.some((t) => t.changes.some((c) => c.actions.length > 0));
}
