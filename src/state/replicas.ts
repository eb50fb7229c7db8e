// What the reader needs to know about replicas, beyond what ListSecrets carries.
// - ListSecrets reports PrimaryRegion but not a primary's replicas (SecretListEntry has no
//   ReplicationStatus: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html),
//   so replicas come from DescribeSecret, read only where the plan needs them.
// - A replica's KMS key is named in the replica's region, so it is resolved there.
import type { Pacer } from "../aws/pacing.js";
import type { ListedSecret, SecretsPort } from "../aws/port.js";
import type { DesiredState } from "../manifest/model.js";
import { ownRecord } from "../records.js";
import { sameKmsKeyAsWritten } from "./kms.js";
import type { LiveSecret } from "./model.js";
import { ownershipOf } from "./ownership.js";

/** The primary's region when the listed secret is a replica of a secret in another region. */
export function replicaOf(l: Pick<ListedSecret, "primaryRegion">, region: string): string | undefined {
  return l.primaryRegion && l.primaryRegion !== region ? l.primaryRegion : undefined;
}

/**
 * Owned secrets the plan deletes: "You can't delete a primary secret that is replicated to other
 * Regions. You must first delete the replicas using RemoveRegionsFromReplication"
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html), so their
 * replicas must be known. One DescribeSecret per deletion; a plan without deletions makes none.
 */
export function leavingOwned(
  live: ReadonlyMap<string, LiveSecret>,
  declared: ReadonlySet<string>,
  scopeId: string,
): LiveSecret[] {
  return [...live.values()].filter(
    (l) =>
      !declared.has(l.name) && !l.pendingDeletion && !l.replicaOf && !l.owningService && ownershipOf(l.tags, scopeId) === "ours",
  );
}

const KEY_ARN = /^arn:[^:]+:kms:[^:]*:\d*:key\//;

/**
 * Per replica region, the key references (declared and live) that do not match as written, resolved
 * to key ARNs with kms:DescribeKey in that region: one call per distinct (region, reference). A failed
 * replica is not compared (it is added again whatever its key).
 */
export async function resolveReplicaKmsKeys(
  port: SecretsPort,
  desired: DesiredState,
  live: ReadonlyMap<string, LiveSecret>,
  pacer: Pacer,
): Promise<Record<string, Record<string, string>>> {
  const refs = new Map<string, Set<string>>();
  for (const d of desired.secrets) {
    const have = live.get(d.name)?.replicas ?? [];
    for (const w of d.replicas ?? []) {
      const h = have.find((r) => r.region === w.region);
      // Live undefined is the AWS managed key: a named key differs from it without asking.
      if (!h?.kmsKeyId || w.kmsKeyId === undefined || h.status === "Failed" || sameKmsKeyAsWritten(w.kmsKeyId, h.kmsKeyId))
        continue;
      const set = refs.get(w.region) ?? new Set<string>();
      set.add(w.kmsKeyId);
      set.add(h.kmsKeyId);
      refs.set(w.region, set);
    }
  }
  const out = ownRecord<Record<string, string>>();
  for (const region of [...refs.keys()].sort()) {
    const arns = ownRecord<string>();
    for (const ref of [...(refs.get(region) ?? [])].sort()) {
      if (KEY_ARN.test(ref)) continue; // already a key ARN
      await pacer.take();
      const arn = await port.describeKey(ref, region);
      if (arn) arns[ref] = arn;
    }
    out[region] = arns;
  }
  return out;
}
