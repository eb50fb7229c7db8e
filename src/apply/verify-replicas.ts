// Read-back of replica changes: DescribeSecret's ReplicationStatus after apply. A replica that was
// asked for must be there and InSync or InProgress ("InProgress, which indicates that Secrets Manager
// is in the process of creating the replica"); Failed means the apply did not take effect, whatever
// the ReplicateSecretToRegions call answered
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html).
import type { SecretDetails } from "../aws/port.js";
import type { SecretChange } from "../plan/model.js";

/** Secrets whose replicas this apply changed: the ones read back with DescribeSecret. */
export function changesReplicas(c: SecretChange): boolean {
  return c.actions.some((a) => a.type === "add-replica" || a.type === "remove-replica");
}

/** What differs between the replicas the change asked for and what DescribeSecret reports. */
export function replicaReadBack(c: SecretChange, d: SecretDetails): string[] {
  const problems: string[] = [];
  const live = new Map(d.replicas.map((r) => [r.region, r]));
  const added = new Set<string>();
  for (const a of c.actions) {
    if (a.type !== "add-replica") continue;
    added.add(a.region);
    const r = live.get(a.region);
    if (!r) problems.push(`the replica in ${a.region} is missing`);
    else if (r.status === "Failed")
      problems.push(`the replica in ${a.region} failed${r.statusMessage ? `: ${JSON.stringify(r.statusMessage)}` : ""}`);
    else if (r.status !== undefined && r.status !== "InSync" && r.status !== "InProgress")
      problems.push(`the replica in ${a.region} is ${JSON.stringify(r.status)}`);
  }
  for (const a of c.actions) {
    if (a.type === "remove-replica" && !added.has(a.region) && live.has(a.region))
      problems.push(`the replica in ${a.region} is still there`);
  }
  return problems;
}
