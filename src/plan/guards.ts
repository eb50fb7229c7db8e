// Plan-time guards: each turns a dangerous plan into a clear error before anything is written.
import { SopsyncError } from "../errors.js";
import type { DesiredState } from "../manifest/model.js";
import type { LiveState } from "../state/model.js";
import { ownershipOf, TAG_PROTECTED } from "../state/ownership.js";
import type { TargetPlan } from "./model.js";

export interface GuardOptions {
  /** Most deletions one plan may hold (`--max-deletes`, default 10). */
  maxDeletes?: number;
  /** Lifts the count guards (`--allow-mass-delete`); never lifts `protect`. */
  allowMassDelete?: boolean;
}

/**
 * For a plan of some secrets only (`--only`), the scope as a whole: the planner sees only the selected
 * secrets, but the guards weigh a deletion against every secret the manifest declares and the scope owns.
 */
export interface WholeScope {
  /** Secrets declared or owned (the `total` of "3 of 40 secrets"). */
  total: number;
  /** Secrets the manifests declare. */
  declared: number;
  /** Owned secrets, as the guards count them (not pending deletion, not a replica or a service's). */
  owned: number;
}

export const DEFAULT_MAX_DELETES = 10;
const MAX_DELETE_SHARE = 0.25;

export function checkGuards(
  desired: DesiredState,
  live: LiveState,
  plan: TargetPlan,
  opts: GuardOptions,
  whole?: WholeScope,
): void {
  const file = desired.file;
  if (desired.target.account && desired.target.account !== live.account) {
    throw new SopsyncError(
      "GUARD",
      `${file}: target.account is ${desired.target.account} but the credentials are for account ${live.account}; refusing to run`,
    );
  }
  const deleted = plan.changes.filter((c) => c.actions.some((a) => a.type === "delete")).map((c) => c.name);
  // A replica removal deletes the replica at once, without a recovery window
  // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-secret.html): a deletion.
  const replicasRemoved = plan.changes.flatMap((c) => c.actions).filter((a) => a.type === "remove-replica").length;
  const deletions = deleted.length + replicasRemoved;
  const protectedNames = deleted.filter((n) => live.secrets.get(n)?.tags[TAG_PROTECTED] === "true");
  if (protectedNames.length) {
    throw new SopsyncError(
      "GUARD",
      `${file}: the manifest no longer declares protected secret(s) ${protectedNames.join(", ")}; ` +
        "put them back, or first apply them with 'protect: false'",
    );
  }
  if (opts.allowMassDelete) return;
  const owned = [...live.secrets.values()].filter(
    (s) => !s.pendingDeletion && !s.replicaOf && !s.owningService && ownershipOf(s.tags, desired.scope.id) === "ours",
  );
  const ownedCount = whole?.owned ?? owned.length;
  if ((whole?.declared ?? desired.secrets.length) === 0 && ownedCount > 0) {
    throw new SopsyncError(
      "GUARD",
      `${file}: the manifest declares no secrets but ${ownedCount} owned secret(s) exist; pass --allow-mass-delete to delete them all`,
    );
  }
  const max = opts.maxDeletes ?? DEFAULT_MAX_DELETES;
  const replicaNote = replicasRemoved ? `; ${replicasRemoved} of them replica removals, each deleted at once` : "";
  if (deletions > max) {
    throw new SopsyncError(
      "GUARD",
      `${file}: the plan deletes ${deletions} secrets, more than --max-deletes ${max}${replicaNote}`,
    );
  }
  // Replicas count on both sides: the owned secrets' replicas the plan read are owned too.
  const ownedReplicas = owned.reduce((n, s) => n + (s.replicas?.length ?? 0), 0);
  const population = ownedCount + ownedReplicas;
  if (deletions > 1 && deletions > population * MAX_DELETE_SHARE) {
    const what = ownedReplicas || replicasRemoved ? "owned secrets and replicas" : "owned secrets";
    throw new SopsyncError(
      "GUARD",
      `${file}: the plan deletes ${deletions} of ${population} ${what} (more than 25%${replicaNote}); pass --allow-mass-delete if that is intended`,
    );
  }
}
