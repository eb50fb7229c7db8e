// Whether the account already shows a saved plan's replica action (compare.ts, for a re-run after a
// crash or after the plan ran to the end). Pure.
import type { Action, SecretChange } from "../plan/model.js";
import type { ReplicaKms } from "../plan/replicas.js";
import { sameKmsKey } from "../state/kms.js";
import type { LiveSecret } from "../state/model.js";

type ReplicaAction = Extract<Action, { type: "add-replica" | "remove-replica" }>;

export function replicaInEffect(a: ReplicaAction, change: SecretChange, l: LiveSecret, kms: ReplicaKms): boolean {
  // A primary pending deletion has no replicas: AWS refuses to delete a replicated one
  // (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html).
  if (a.type === "remove-replica" && l.pendingDeletion) return true;
  if (l.replicas === undefined) return false;
  const live = l.replicas.find((r) => r.region === a.region);
  if (a.type === "add-replica") {
    // A failed replica is not the effect of an add (it is what a re-add is planned for).
    return (
      live !== undefined &&
      live.status !== "Failed" &&
      (!a.kmsKeyId || sameKmsKey(a.kmsKeyId, live.kmsKeyId, kms[a.region] ?? {}))
    );
  }
  if (!live) return true;
  // Removed and added again by this same change (a failed replica, or one under another key): the
  // removal is in effect when the addition is.
  const readd = change.actions.find((x): x is ReplicaAction => x.type === "add-replica" && x.region === a.region);
  return readd !== undefined && replicaInEffect(readd, change, l, kms);
}
