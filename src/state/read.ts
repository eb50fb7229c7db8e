// Reads the live state for one manifest with as few calls as the quotas allow: one ListSecrets page
// per 100 secrets in scope, one BatchGetSecretValue per 20 declared values, and per-secret calls only
// for secrets that declare a policy or replicas. For N declared secrets in sync without policies or
// replicas that is ceil(N/100) + ceil(N/20) + 1 (GetCallerIdentity).
import { chunk, mapConcurrent, Pacer } from "../aws/pacing.js";
import type { FetchedValue, ListedSecret, SecretsPort } from "../aws/port.js";
import { SopsyncError } from "../errors.js";
import type { DesiredState } from "../manifest/model.js";
import type { LiveSecret, LiveState } from "./model.js";
import { sameKmsKeyAsWritten } from "./kms.js";
import { TAG_MANAGED_BY } from "./ownership.js";

export interface ReadOptions {
  /** Calls per second for the read families (AWS allows 100/s each; stay well below). */
  readRps?: number;
  concurrency?: number;
}

/** AWS accepts at most 10 values in one ListSecrets filter. */
const NAMES_PER_LIST = 10;
/** BatchGetSecretValue takes at most 20 ids. */
const IDS_PER_BATCH = 20;

export async function readLiveState(port: SecretsPort, desired: DesiredState, opts: ReadOptions = {}): Promise<LiveState> {
  const pacer = new Pacer(opts.readRps ?? 50);
  const concurrency = opts.concurrency ?? 8;
  await pacer.take();
  const account = await port.callerAccount();
  // The account guard, before anything is read: the wrong account's secrets are none of our business.
  if (desired.target.account && desired.target.account !== account) {
    throw new SopsyncError(
      "GUARD",
      `${desired.file}: target.account is ${desired.target.account} but the credentials are for account ${account}; refusing to run`,
    );
  }

  const secrets = new Map<string, LiveSecret>();
  for (const l of await listInScope(port, desired, pacer, concurrency)) secrets.set(l.name, fromListed(l));

  const declared = desired.secrets.filter((s) => secrets.has(s.name));
  // Never ask for the value of a secret pending deletion: AWS refuses it, and it is restored first.
  const readable = declared.filter((s) => !secrets.get(s.name)?.pendingDeletion).map((s) => s.name);
  await mapConcurrent(chunk(readable, IDS_PER_BATCH), concurrency, async (ids) => {
    for (const v of await fetchBatch(port, ids, pacer)) {
      const live = secrets.get(v.name);
      if (!live) continue;
      live.value = v.value;
      // BatchGetSecretValue is current; ListSecrets' version map can lag behind on AWS.
      live.versionId = v.versionId;
    }
  });

  const detailed = declared.filter((s) => s.policy !== undefined || s.replicas !== undefined);
  await mapConcurrent(detailed, concurrency, async (s) => {
    const live = secrets.get(s.name);
    if (!live) return;
    // DescribeSecret answers for a secret pending deletion; the policy calls may not, so a restored
    // secret's policy stays unknown and the planner writes the declared one unconditionally.
    if (s.policy !== undefined && !live.pendingDeletion) {
      await pacer.take();
      live.policy = (await port.getResourcePolicy(s.name)) ?? null;
    }
    if (s.replicas !== undefined) {
      await pacer.take();
      live.replicas = (await port.describeSecret(s.name)).replicas;
    }
  });

  const kmsKeyArns = await resolveKmsKeys(port, desired, secrets, pacer);
  return { region: port.region, account, secrets, kmsKeyArns };
}

/**
 * The secrets the plan must see: with a prefix, everything under it (so unmanaged ones are listed);
 * without, the ones carrying our ownership tag, plus the declared names not among them, looked up by
 * exact name, 10 per call. Never the whole account.
 */
async function listInScope(port: SecretsPort, desired: DesiredState, pacer: Pacer, concurrency: number): Promise<ListedSecret[]> {
  await pacer.take();
  const found = desired.scope.prefix
    ? await port.listSecrets({ namePrefix: desired.scope.prefix })
    : (await port.listSecrets({ tagKey: TAG_MANAGED_BY, tagValue: desired.scope.id })).filter(
        // tag-value is a prefix match on any tag: keep exactly our scope's secrets.
        (s) => s.tags[TAG_MANAGED_BY] === desired.scope.id,
      );
  const seen = new Set(found.map((s) => s.name));
  const missing = desired.secrets.filter((s) => !seen.has(s.name)).map((s) => s.name);
  // Under a prefix every declared name was already listed (validation keeps names inside it).
  if (desired.scope.prefix || missing.length === 0) return found;
  const more = await mapConcurrent(chunk(missing, NAMES_PER_LIST), concurrency, async (names) => {
    await pacer.take();
    return port.listSecrets({ names });
  });
  return [...found, ...more.flat()];
}

/**
 * AWSCURRENT values of the named secrets (none pending deletion), 20 per BatchGetSecretValue, paced
 * like readLiveState. `sopsync import` reads every secret under a prefix with it.
 */
export async function readValues(port: SecretsPort, names: readonly string[], opts: ReadOptions = {}): Promise<FetchedValue[]> {
  const pacer = new Pacer(opts.readRps ?? 50);
  const batches = await mapConcurrent(chunk(names, IDS_PER_BATCH), opts.concurrency ?? 8, (ids) => fetchBatch(port, ids, pacer));
  return batches.flat();
}

/** One BatchGetSecretValue; if the batch fails as a whole, each id is read on its own. */
async function fetchBatch(port: SecretsPort, ids: string[], pacer: Pacer): Promise<FetchedValue[]> {
  await pacer.take();
  let values: FetchedValue[];
  let failed: string[];
  try {
    const r = await port.batchGetValues(ids);
    values = r.values;
    failed = r.errors.map((e) => e.id);
  } catch {
    values = [];
    failed = ids;
  }
  for (const id of failed) {
    await pacer.take();
    values.push(await port.getValue(id));
  }
  return values;
}

/**
 * Resolves each KMS key reference that does not match its counterpart as written (alias vs id vs
 * ARN) to a key ARN, one kms:DescribeKey per distinct reference.
 */
async function resolveKmsKeys(
  port: SecretsPort,
  desired: DesiredState,
  live: ReadonlyMap<string, LiveSecret>,
  pacer: Pacer,
): Promise<Record<string, string>> {
  const refs = new Set<string>();
  for (const d of desired.secrets) {
    const l = live.get(d.name);
    // Live undefined is the AWS managed key: a named key differs from it without asking.
    if (!l?.kmsKeyId || d.kmsKeyId === undefined || sameKmsKeyAsWritten(d.kmsKeyId, l.kmsKeyId)) continue;
    refs.add(d.kmsKeyId);
    refs.add(l.kmsKeyId);
  }
  const arns: Record<string, string> = {};
  for (const ref of [...refs].sort()) {
    if (/^arn:[^:]+:kms:[^:]*:\d*:key\//.test(ref)) continue; // already a key ARN
    await pacer.take();
    const arn = await port.describeKey(ref);
    if (arn) arns[ref] = arn;
  }
  return arns;
}

function fromListed(l: ListedSecret): LiveSecret {
  return {
    name: l.name,
    arn: l.arn,
    description: l.description ?? "",
    kmsKeyId: l.kmsKeyId,
    tags: l.tags,
    pendingDeletion: l.deletedDate !== undefined,
    versionId: l.currentVersionId,
  };
}
