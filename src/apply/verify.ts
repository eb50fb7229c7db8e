// Read-back after apply: the values just written, through BatchGetSecretValue (ListSecrets can lag
// minutes behind on AWS). A value must equal the manifest and, where this plan wrote it, its current
// version must be the one this plan made; replicas this plan changed are read back too
// (verify-replicas.ts), and so are description, KMS key, tags, deletion and policy presence
// (verify-metadata.ts). Reports names and what differs, never values.
import { chunk, mapConcurrent } from "../aws/pacing.js";
import type { SecretsPort } from "../aws/port.js";
import type { QuotaPacers } from "../aws/quotas.js";
import type { DesiredSecret } from "../manifest/model.js";
import { storedMatches } from "../manifest/generate.js";
import type { SecretChange } from "../plan/model.js";
import { type TokenContext, valueToken } from "./tokens.js";
import { changesMetadata, changesPolicy, keyResolver, metadataReadBack, policyReadBack } from "./verify-metadata.js";
import { changesReplicas, replicaReadBack } from "./verify-replicas.js";

export interface ReadBackProblem {
  name: string;
  problem: string;
}

/** BatchGetSecretValue takes at most 20 ids. */
const IDS_PER_BATCH = 20;

export async function verifyWrites(
  port: SecretsPort,
  tokens: TokenContext,
  changes: readonly SecretChange[],
  desired: ReadonlyMap<string, DesiredSecret>,
  pacers?: QuotaPacers,
): Promise<ReadBackProblem[]> {
  const expectedVersion = new Map<string, string | undefined>();
  for (const c of changes) {
    const wrote = c.actions.find((a) => a.type === "create" || a.type === "update-value");
    if (wrote) expectedVersion.set(c.name, valueToken(tokens, c, wrote.type));
    else if (c.actions.some((a) => a.type === "restore")) expectedVersion.set(c.name, undefined);
  }
  const problems: ReadBackProblem[] = [];
  for (const ids of chunk([...expectedVersion.keys()], IDS_PER_BATCH)) {
    let r: Awaited<ReturnType<SecretsPort["batchGetValues"]>>;
    try {
      r = await port.batchGetValues(ids);
    } catch (err) {
      for (const id of ids) problems.push({ name: id, problem: `could not read back: ${(err as Error).message}` });
      continue;
    }
    for (const e of r.errors) problems.push({ name: e.id, problem: `could not read back: ${e.code}` });
    for (const v of r.values) {
      const d = desired.get(v.name);
      const version = expectedVersion.get(v.name);
      if (d && !storedMatches(d, v.value)) problems.push({ name: v.name, problem: "the stored value differs from the manifest" });
      else if (version !== undefined && v.versionId !== version) {
        problems.push({ name: v.name, problem: `the current version is ${v.versionId}, not ${version} written by this apply` });
      }
    }
  }
  // One DescribeSecret per secret whose metadata, tags, deletion or replicas changed (current where
  // ListSecrets lags, and the only call that carries replicas); one GetResourcePolicy per secret whose
  // policy was put or deleted. A value-only change costs nothing more.
  const resolve = keyResolver(port);
  const described = (c: SecretChange) => changesReplicas(c) || changesMetadata(c);
  await mapConcurrent(
    changes.filter((c) => described(c) || changesPolicy(c)),
    8,
    async (c) => {
      try {
        if (described(c)) {
          await pacers?.take("DescribeSecret");
          const d = await port.describeSecret(c.name);
          const found = [...replicaReadBack(c, d), ...(changesMetadata(c) ? await metadataReadBack(c, d, resolve) : [])];
          for (const problem of found) problems.push({ name: c.name, problem });
        }
        if (changesPolicy(c)) {
          await pacers?.take("GetResourcePolicy");
          const attached = (await port.getResourcePolicy(c.name)) !== undefined;
          for (const problem of policyReadBack(c, attached)) problems.push({ name: c.name, problem });
        }
      } catch (err) {
        problems.push({ name: c.name, problem: `could not read back: ${(err as Error).message}` });
      }
    },
  );
  return problems;
}
