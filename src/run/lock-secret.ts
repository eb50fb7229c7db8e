// The lock secret of one scope: its name, its two fixed versions, the tags that name the holder, and
// bringing it into existence on first use (or back from pending deletion). It holds no secret data.
//
//   version FREE_VERSION  AWSCURRENT while nobody holds the lock (AWSPREVIOUS otherwise)
//   version HELD_VERSION  always SOPSYNC_HELD; AWSCURRENT while the lock is held
//
// Both versions always carry a label, so AWS never deprecates (and later removes) either of them;
// taking and releasing the lock only moves AWSCURRENT between them and never creates a version.
import { AwsCallError, type SecretsPort } from "../aws/port.js";
import { RESERVED_NAME_PREFIX as LOCK_PREFIX } from "../manifest/schema.js";

export { LOCK_PREFIX };

/** ClientRequestTokens of the two versions: fixed (32-64 characters), so every apply names the same two. */
export const FREE_VERSION = "sopsync-lock-free-00000000000000";
export const HELD_VERSION = "sopsync-lock-held-00000000000000";
/** A version with no label is deprecated by AWS; this one keeps HELD_VERSION labelled while the lock is free. */
export const HELD_LABEL = "SOPSYNC_HELD";
export const AWSCURRENT = "AWSCURRENT";

/** Marks the secret as sopsync's lock of that scope; never `sopsync:managed-by`, it is not a managed secret. */
export const TAG_LOCK = "sopsync:lock";

export interface LockHolder {
  id: string;
  planId?: string;
  who?: string;
  since?: string;
  commit?: string;
}

const HOLDER_TAG: Record<keyof LockHolder, string> = {
  id: "sopsync:lock-id",
  planId: "sopsync:lock-plan",
  who: "sopsync:lock-who",
  since: "sopsync:lock-since",
  commit: "sopsync:lock-commit",
};
export const HOLDER_TAG_KEYS: readonly string[] = Object.values(HOLDER_TAG);

/**
 * Scope ids may hold ':', which secret names may not (names allow letters, digits and /_+=.@-).
 * '=' becomes "=3D" and ':' "=3A", so distinct scopes never share a lock.
 */
export function lockSecretName(scopeId: string): string {
  return LOCK_PREFIX + scopeId.replace(/[=:]/g, (c) => (c === "=" ? "=3D" : "=3A"));
}

/**
 * Tag values allow at most 256 characters of letters, digits, spaces and _ . : / = + - @. Also applied
 * to what is read back, since anyone allowed to tag the lock secret could put anything there.
 */
export function tagSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9 _.:/=+@-]/g, "_").slice(0, 256);
}

/** Every holder key is written, empty when unknown, so no earlier holder's detail can survive. */
export function holderTags(h: LockHolder): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [field, key] of Object.entries(HOLDER_TAG)) tags[key] = tagSafe(h[field as keyof LockHolder] ?? "");
  return tags;
}

/** Undefined when the holder is not recorded (see docs/apply.md, "Locking"). */
export function holderFromTags(tags: Record<string, string>): LockHolder | undefined {
  const id = tagSafe(tags[HOLDER_TAG.id] ?? "");
  if (!id) return undefined;
  const h: LockHolder = { id };
  for (const field of ["planId", "who", "since", "commit"] as const) {
    const v = tagSafe(tags[HOLDER_TAG[field]] ?? "");
    if (v) h[field] = v;
  }
  return h;
}

export function isAwsCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof AwsCallError && codes.includes(err.awsCode);
}

export interface LockSecretState {
  /**
   * incomplete: created, but the held version is missing (a first use stopped half-way).
   * foreign: a secret by that name that sopsync did not make into a lock, or one someone changed.
   */
  kind: "absent" | "free" | "held" | "incomplete" | "foreign";
  /** Scheduled for deletion: it is ours, so it is restored rather than recreated. */
  deleted: boolean;
  holder?: LockHolder;
  reason?: string;
}

/** One DescribeSecret: current, where ListSecrets may lag minutes behind. */
export async function inspectLock(port: SecretsPort, scopeId: string): Promise<LockSecretState> {
  const name = lockSecretName(scopeId);
  let d: Awaited<ReturnType<SecretsPort["describeSecret"]>>;
  try {
    d = await port.describeSecret(name);
  } catch (err) {
    if (isAwsCode(err, "ResourceNotFoundException")) return { kind: "absent", deleted: false };
    throw err;
  }
  const deleted = d.deletedDate !== undefined;
  if (d.tags[TAG_LOCK] !== scopeId) {
    return { kind: "foreign", deleted, reason: `it lacks the tag ${TAG_LOCK}=${tagSafe(scopeId)}` };
  }
  const current = d.currentVersionId;
  if (current === HELD_VERSION) return { kind: "held", deleted, holder: holderFromTags(d.tags) };
  if (current !== FREE_VERSION) {
    return {
      kind: "foreign",
      deleted,
      reason: `AWSCURRENT is on version ${tagSafe(current ?? "(none)")}, not on one of the lock's two versions`,
    };
  }
  return { kind: d.versionStages[HELD_VERSION] ? "free" : "incomplete", deleted };
}

function lockValue(scopeId: string, version: "free" | "held"): string {
  return JSON.stringify({ sopsync: "apply lock", scope: scopeId, version });
}

/**
 * First use. Two applies may both get here: the loser's CreateSecret fails with
 * ResourceExistsException (or, same token and value, is answered as a repeat) and it carries on.
 */
export async function createLockSecret(port: SecretsPort, scopeId: string): Promise<void> {
  try {
    await port.createSecret({
      name: lockSecretName(scopeId),
      token: FREE_VERSION,
      value: { string: lockValue(scopeId, "free") },
      description: `sopsync's apply lock for scope ${tagSafe(scopeId)}: no secret data (see sopsync docs, "Locking")`,
      tags: { [TAG_LOCK]: scopeId },
    });
  } catch (err) {
    // InvalidRequestException: a secret by that name is scheduled for deletion; the caller looks again.
    if (!isAwsCode(err, "ResourceExistsException", "InvalidRequestException")) throw err;
  }
  await addHeldVersion(port, scopeId);
}

/**
 * With an explicit label AWSCURRENT stays on the free version. Repeating it (a racing first use, an
 * SDK retry) is harmless: "If a version with this value already exists and the version SecretString
 * and SecretBinary values are the same as those in the request, then the request is ignored."
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
export async function addHeldVersion(port: SecretsPort, scopeId: string): Promise<void> {
  await port.putSecretValue({
    id: lockSecretName(scopeId),
    token: HELD_VERSION,
    value: { string: lockValue(scopeId, "held") },
    stages: [HELD_LABEL],
  });
}

export async function restoreLockSecret(port: SecretsPort, scopeId: string): Promise<void> {
  try {
    await port.restoreSecret(lockSecretName(scopeId));
  } catch (err) {
    // Already restored by a concurrent apply.
    if (!isAwsCode(err, "InvalidRequestException")) throw err;
  }
}
