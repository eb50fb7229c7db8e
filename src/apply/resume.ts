// Re-running a saved plan after a crash. Every write this plan makes carries a token derived from
// (plan id, secret, action), so its effect is recognisable in the live state: a version whose id is
// our token, a secret already pending deletion, a secret already restored. Those writes are skipped
// rather than sent again — sending them again is not always harmless on AWS: CreateSecret on an
// existing name fails with ResourceExistsException even with the same token, and DeleteSecret on a
// secret pending deletion fails with InvalidRequestException.
import type { Action, Plan, Precondition, SecretChange } from "../plan/model.js";
import type { LiveSecret } from "../state/model.js";
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
    default:
      // Metadata, tags, policies and replicas are set to a state, not appended: repeating them is harmless.
      return false;
  }
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
