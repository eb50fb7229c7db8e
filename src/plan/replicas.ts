// Replica planning. A replica removal deletes the replica at once ("When you delete a replica, it is
// deleted immediately": https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html),
// so a replica is removed only when the manifest no longer wants it, when it failed, or when its key
// really is another key — never for another spelling of the same key. Pure.
import type { LiveReplica } from "../aws/port.js";
import type { DesiredSecret } from "../manifest/model.js";
import { sameKmsKey } from "../state/kms.js";
import type { LiveSecret } from "../state/model.js";
import type { Action, ReplicaNote } from "./model.js";

/** Per replica region, key references resolved there (LiveState.replicaKmsKeyArns). */
export type ReplicaKms = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * A replica that failed because its region already holds a secret of that name: the API reference's
 * own example message, "Secret with this name already exists in this region"
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets_troubleshoot.html).
 * Adding it again would fail the same way, and ForceOverwriteReplicaSecret would overwrite someone
 * else's secret: sopsync never sends it.
 */
export function nameTaken(r: LiveReplica): boolean {
  return r.status === "Failed" && /already exists/i.test(r.statusMessage ?? "");
}

const KEY_ARN = /^arn:[^:]+:kms:[^:]*:\d*:key\//;

/** The actions that make `have` the declared replicas, and why the plan cannot (plan errors). */
export function planReplicas(
  want: NonNullable<DesiredSecret["replicas"]>,
  have: readonly LiveReplica[],
  kms: ReplicaKms,
): { actions: Action[]; problems: string[] } {
  const problems: string[] = [];
  const haveBy = new Map(have.map((r) => [r.region, r]));
  const wantBy = new Map(want.map((r) => [r.region, r]));
  /** Re-added: failed (whatever its key), or encrypted with another key than the declared one. */
  const readd = new Set<string>();
  for (const w of want) {
    const h = haveBy.get(w.region);
    if (!h) continue;
    if (h.status === "Failed") {
      if (nameTaken(h)) {
        problems.push(
          `its replica in ${h.region} failed: ${JSON.stringify(h.statusMessage)}. Another secret of this name exists in ${h.region}; ` +
            "sopsync never overwrites it (ForceOverwriteReplicaSecret): rename or remove that secret, or drop the region",
        );
      } else readd.add(w.region);
      continue;
    }
    if (w.kmsKeyId === undefined) continue;
    const resolved = kms[w.region] ?? {};
    if (sameKmsKey(w.kmsKeyId, h.kmsKeyId, resolved)) continue;
    // Unresolved, "different" may only be another spelling: never delete a replica on that guess.
    if (h.kmsKeyId !== undefined && !KEY_ARN.test(w.kmsKeyId) && !Object.hasOwn(resolved, w.kmsKeyId)) {
      problems.push(`kmsKeyId ${JSON.stringify(w.kmsKeyId)} of its replica in ${w.region} names no KMS key in ${w.region}`);
      continue;
    }
    readd.add(w.region);
  }
  const actions: Action[] = [];
  for (const h of have) {
    // A replica whose name is taken holds nothing of ours; removing it only clears the failed entry.
    if (!wantBy.has(h.region) || readd.has(h.region)) actions.push({ type: "remove-replica", region: h.region });
  }
  for (const w of want) {
    if (!haveBy.has(w.region) || readd.has(w.region))
      actions.push({ type: "add-replica", region: w.region, kmsKeyId: w.kmsKeyId });
  }
  return { actions, problems };
}

/** Before deleting a primary: "First delete the replicas, then delete the primary secret". */
export function removeAllReplicas(l: LiveSecret): Action[] {
  return (l.replicas ?? []).map((r) => ({ type: "remove-replica", region: r.region }));
}

/**
 * Replicas not InSync, for display (a change's `replicaStatus`, absent when none): InProgress is no
 * change, Failed is explained by its message.
 */
export function replicaStatusOf(l: LiveSecret | undefined): { replicaStatus?: ReplicaNote[] } {
  const notes: ReplicaNote[] = (l?.replicas ?? [])
    .filter((r) => r.status !== undefined && r.status !== "InSync")
    .map((r) => ({
      region: r.region,
      status: r.status ?? "",
      ...(r.statusMessage ? { message: oneLine(r.statusMessage) } : {}),
    }));
  return notes.length ? { replicaStatus: notes } : {};
}

/** AWS's message as one printable line of at most 4,096 characters, as a saved plan requires. */
function oneLine(s: string): string {
  const chars = [...s].map((ch) => {
    const c = ch.codePointAt(0) ?? 0;
    return c < 0x20 || c === 0x7f ? " " : ch;
  });
  return chars.join("").slice(0, 4096);
}
