// Re-running a saved plan after a crash. Every write this plan makes carries a token derived from
// (plan id, secret, action), so its effect is recognisable in the live state: a version whose id is
// our token, a secret already pending deletion, a secret already restored. Those writes are skipped
// rather than sent again — sending them again is not always harmless on AWS: CreateSecret on an
// existing name fails with ResourceExistsException even with the same token, and DeleteSecret on a
// secret pending deletion fails with InvalidRequestException.
import type { Action, Plan, Precondition, SecretChange } from "../plan/model.js";
import type { LiveSecret } from "../state/model.js";
import { TAG_VERSION } from "../state/ownership.js";
import { requestToken } from "./tokens.js";

/** True when the live secret already shows this action's effect, made by this plan. */
export function alreadyApplied(plan: Plan, change: SecretChange, action: Action, live: LiveSecret | undefined): boolean {
  const ours = (type: Action["type"]) => live?.versionId === requestToken(plan.planId, change.name, type);
  switch (action.type) {
    case "create":
      return live !== undefined && !live.pendingDeletion && ours("create");
    case "update-value":
      return live !== undefined && !live.pendingDeletion && ours("update-value");
    case "restore":
      return live !== undefined && !live.pendingDeletion;
    case "delete":
      return live?.pendingDeletion === true;
    case "tag":
      return live !== undefined && Object.entries(action.tags).every(([k, v]) => live.tags[k] === v.after);
    case "untag":
      return live !== undefined && Object.keys(action.tags).every((k) => !(k in live.tags));
    case "update-metadata":
      return live !== undefined && action.kmsKeyId === undefined && live.description === action.description?.after;
    case "add-replica":
      // Asking for a replica region twice is an error on AWS; replicas are read for secrets declaring them.
      return (
        live?.replicas?.some((r) => r.region === action.region && (!action.kmsKeyId || r.kmsKeyId === action.kmsKeyId)) === true
      );
    case "remove-replica":
      if (live?.replicas === undefined) return false;
      // Gone already — or removed and added back with the new key, which this plan also asked for.
      return (
        !live.replicas.some((r) => r.region === action.region) ||
        change.actions.some(
          (a) => a.type === "add-replica" && a.region === action.region && alreadyApplied(plan, change, a, live),
        )
      );
    default:
      // Policies and adoption: setting them again is harmless.
      return false;
  }
}

/** After a re-run skips a value write: its version tag may still be missing (a crash in between). */
export function versionTagMissing(plan: Plan, name: string, live: LiveSecret | undefined): boolean {
  return live?.tags[TAG_VERSION] !== requestToken(plan.planId, name, "update-value");
}

/** The live state as a precondition, to compare with the one a change was planned against. */
export function observedPrecondition(l: LiveSecret | undefined): Precondition {
  if (!l) return { state: "absent" };
  if (l.pendingDeletion) return { state: "pending-deletion" };
  return { state: "present", versionId: l.versionId ?? null };
}

/**
 * The live state differs from the plan's precondition only by what this plan's own writes did
 * (a re-run after a crash): not staleness.
 */
export function leftByThisPlan(plan: Plan, change: SecretChange, live: LiveSecret | undefined): boolean {
  if (live === undefined) return false;
  const types = new Set(change.actions.map((a) => a.type));
  if (types.has("delete") && live.pendingDeletion) return true;
  if (types.has("restore") && change.precondition.state === "pending-deletion" && !live.pendingDeletion) return true;
  return !live.pendingDeletion && change.actions.some((a) => live.versionId === requestToken(plan.planId, change.name, a.type));
}
