// The request-rate quotas sopsync paces itself below, one pacer per quota family: AWS throttles each
// family on its own, per account and Region, so a family with a low quota (resource policies) must
// not borrow the pace of one with a high quota (values), and two families must not wait on each
// other. The reader and the executor both pace through QuotaPacers.
import { Pacer } from "./pacing.js";

/** Every operation sopsync paces, by the name AWS uses for it. */
export type PacedOperation =
  | "GetResourcePolicy"
  | "PutResourcePolicy"
  | "DeleteResourcePolicy"
  | "ValidateResourcePolicy"
  | "DescribeSecret"
  | "GetSecretValue"
  | "PutSecretValue"
  | "UpdateSecret"
  | "UpdateSecretVersionStage"
  | "ReplicateSecretToRegions"
  | "RemoveRegionsFromReplication"
  | "StopReplicationToReplica"
  | "RestoreSecret"
  | "RotateSecret"
  | "CancelRotateSecret"
  | "TagResource"
  | "UntagResource"
  | "BatchGetSecretValue"
  | "CreateSecret"
  | "DeleteSecret"
  | "ListSecrets"
  | "ListSecretVersionIds"
  | "DescribeKey"
  | "GetRandomPassword"
  | "GetCallerIdentity";

export interface QuotaFamily {
  name: string;
  /** Calls per second AWS allows the family, per account and Region (the default quota). */
  quota: number;
  operations: readonly PacedOperation[];
  /** The page that states the quota. */
  doc: string;
}

const SECRETS_MANAGER = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html";

/**
 * The families as Secrets Manager's quota table lists them (SECRETS_MANAGER above), for the calls
 * sopsync makes or may make, plus the two calls it makes to other services. DescribeSecret and GetSecretValue: the table lists their
 * combined rate as 10,000/s; AWS announced 40,000/s for DescribeSecret alone in March 2025. Paced as
 * one family at the combined rate, sopsync stays below the quota under either reading.
 */
export const QUOTA_FAMILIES: readonly QuotaFamily[] = [
  {
    name: "resource policies",
    quota: 50,
    operations: ["DeleteResourcePolicy", "GetResourcePolicy", "PutResourcePolicy", "ValidateResourcePolicy"],
    doc: SECRETS_MANAGER,
  },
  { name: "describe and get value", quota: 10_000, operations: ["DescribeSecret", "GetSecretValue"], doc: SECRETS_MANAGER },
  {
    name: "value, metadata and replication writes",
    quota: 50,
    operations: [
      "PutSecretValue",
      "RemoveRegionsFromReplication",
      "ReplicateSecretToRegions",
      "StopReplicationToReplica",
      "UpdateSecret",
      "UpdateSecretVersionStage",
    ],
    doc: SECRETS_MANAGER,
  },
  { name: "restore", quota: 50, operations: ["RestoreSecret"], doc: SECRETS_MANAGER },
  { name: "rotation", quota: 50, operations: ["RotateSecret", "CancelRotateSecret"], doc: SECRETS_MANAGER },
  { name: "tags", quota: 50, operations: ["TagResource", "UntagResource"], doc: SECRETS_MANAGER },
  { name: "batch get values", quota: 100, operations: ["BatchGetSecretValue"], doc: SECRETS_MANAGER },
  { name: "create", quota: 50, operations: ["CreateSecret"], doc: SECRETS_MANAGER },
  { name: "random password", quota: 50, operations: ["GetRandomPassword"], doc: SECRETS_MANAGER },
  { name: "delete", quota: 50, operations: ["DeleteSecret"], doc: SECRETS_MANAGER },
  { name: "list", quota: 100, operations: ["ListSecrets"], doc: SECRETS_MANAGER },
  // Not among the combined rates the table lists: paced at the control plane's 50/s, the lowest rate
  // it gives any call sopsync makes.
  { name: "list versions", quota: 50, operations: ["ListSecretVersionIds"], doc: SECRETS_MANAGER },
  {
    name: "kms DescribeKey",
    quota: 2_000,
    operations: ["DescribeKey"],
    doc: "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html",
  },
  {
    // Shared with AssumeRole and the other STS calls made with AWS credentials.
    name: "sts",
    quota: 600,
    operations: ["GetCallerIdentity"],
    doc: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
  },
];

/**
 * The share of each quota sopsync takes: quotas are per account and Region, so the rest stays with
 * whatever else uses the account at the same time (applications reading values, other pipelines).
 */
export const QUOTA_SHARE = 0.8;

const byOperation = new Map<string, QuotaFamily>(QUOTA_FAMILIES.flatMap((f) => f.operations.map((op) => [op, f])));

export function familyOf(operation: PacedOperation): QuotaFamily {
  const f = byOperation.get(operation);
  if (!f) throw new Error(`no quota family for ${operation}`);
  return f;
}

/** Calls per second sopsync starts in the operation's family: QUOTA_SHARE of its quota. */
export function pacedRate(operation: PacedOperation): number {
  return familyOf(operation).quota * QUOTA_SHARE;
}

export interface QuotaPacerOptions {
  /** No family is called faster than this (calls per second), whatever its quota. */
  ceiling?: number;
  /**
   * Every family at this rate, whatever its quota: only for seeding a local emulator (the benchmark),
   * where AWS's quotas do not apply.
   */
  rate?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** One pacer per quota family, created on first use; one set per target (account and Region). */
export class QuotaPacers {
  private readonly pacers = new Map<QuotaFamily, Pacer>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: QuotaPacerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The pacer of the operation's family. */
  pacer(operation: PacedOperation): Pacer {
    const family = familyOf(operation);
    let p = this.pacers.get(family);
    if (!p) {
      const rate = this.opts.rate ?? Math.min(family.quota * QUOTA_SHARE, this.opts.ceiling ?? Number.POSITIVE_INFINITY);
      p = new Pacer(rate, this.now, this.sleep);
      this.pacers.set(family, p);
    }
    return p;
  }

  /**
   * Waits for the operation's family slot, and for a slot of each pacer in `also` (a budget of the
   * caller's own, like apply's --max-rps): one start time that honours all of them.
   */
  take(operation: PacedOperation, ...also: Pacer[]): Promise<void> {
    return Pacer.takeAll([this.pacer(operation), ...also], this.now, this.sleep);
  }
}
