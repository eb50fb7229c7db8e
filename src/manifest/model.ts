// The desired state: what one manifest says the account should hold, with defaults merged.
// Values live only in memory; nothing here is ever written to a plan.
import type { Problem } from "../errors.js";

/** A secret value as the manifest declares it. */
export type DesiredValue =
  /** `value:` mapping or list: stored as JSON, compared semantically. */
  | { kind: "json"; data: unknown }
  /** `value:` scalar: stored as SecretString exactly. */
  | { kind: "string"; text: string }
  /** `binary:` base64: stored as SecretBinary, compared byte-wise. */
  | { kind: "binary"; bytes: Uint8Array };

/** A secret's payload exactly as Secrets Manager stores it: what a desired value becomes when written. */
export type StoredValue = { string: string; binary?: undefined } | { binary: Uint8Array; string?: undefined };

export interface Position {
  file: string;
  line: number;
  col: number;
}

export interface ReplicaSpec {
  region: string;
  kmsKeyId?: string;
}

/** GetRandomPassword's options (API_GetRandomPassword), as the manifest spells them. Never a value. */
export interface PasswordOptions {
  length?: number;
  excludeCharacters?: string;
  excludeNumbers?: boolean;
  excludePunctuation?: boolean;
  excludeUppercase?: boolean;
  excludeLowercase?: boolean;
  includeSpace?: boolean;
  requireEachIncludedType?: boolean;
}

/**
 * A value made by AWS at create and owned by AWS afterwards: the whole SecretString, or some keys of a
 * JSON mapping whose other keys (`value`) stay the manifest's.
 */
export type GenerateSpec = { form: "whole"; options: PasswordOptions } | { form: "keys"; keys: Record<string, PasswordOptions> };

export interface DesiredSecret {
  name: string;
  /**
   * With `generate` of form "keys": the static keys only. With form "whole": an empty string that is
   * never written or compared (the value is AWS's).
   */
  value: DesiredValue;
  generate?: GenerateSpec;
  /** Undeclared means empty: the manifest is the whole truth for what it declares. */
  description: string;
  /** Omitted: not managed (a new secret gets the AWS managed key `aws/secretsmanager`). */
  kmsKeyId?: string;
  /** defaults.tags merged with the secret's own tags; ownership tags are added by the planner. */
  tags: Record<string, string>;
  /** Omitted (undefined): not managed, whatever is attached stays. `null`: none (an attached one is removed). */
  policy?: unknown;
  /** The policy is attached without BlockPublicPolicy, so it may grant broad access (off unless declared). */
  allowPublicPolicy?: boolean;
  /** Omitted (undefined): not managed. A list (`[]` too): exactly these replica regions. */
  replicas?: ReplicaSpec[];
  recoveryWindowDays: number;
  /**
   * The secret declares its own `recoveryWindowDays` (not only defaults): it is recorded on the secret
   * (sopsync:recovery-window-days) and used when the secret leaves the manifest.
   */
  recoveryWindowOwn?: boolean;
  protect: boolean;
  adopt: boolean;
  /**
   * Omitted: not declared. Declared (config or `external`), rotation owns the value: the manifest's is
   * only the initial one, written at create. `none`: rotation must be off.
   */
  rotation?: RotationSpec;
  at: Position;
}

/** RotateSecret's RotationRules, as AWS reports them back. */
export interface RotationRules {
  automaticallyAfterDays?: number;
  scheduleExpression?: string;
  duration?: string;
}

export type RotationSpec =
  | { mode: "managed"; lambdaArn: string; rules: RotationRules; rotateImmediately: boolean }
  | { mode: "external" }
  | { mode: "none" };

export interface Target {
  region?: string;
  account?: string;
  profile?: string;
  roleArn?: string;
}

export interface Scope {
  id: string;
  prefix?: string;
}

/** A manifest file and the SHA-256 (hex) of its encrypted bytes: binds a saved plan to the exact file. */
export interface ManifestRef {
  file: string;
  sha256: string;
}

export interface DesiredState {
  /** For messages: the manifest's file name (several, comma-separated, for a scope split over files). */
  file: string;
  /** The manifests this state comes from: one, or several sharing (account, region, scope.id). */
  manifests: ManifestRef[];
  target: Target;
  scope: Scope;
  /** Used for secrets that leave the manifest (they are not declared, so they have no own window). */
  recoveryWindowDays: number;
  secrets: DesiredSecret[];
  /** Things AWS accepts but advises against (a name ending like an ARN suffix), each at its place. */
  warnings?: Problem[];
}

export const DEFAULT_RECOVERY_WINDOW_DAYS = 30;
