// Reads the live state for one manifest with as few calls as the quotas allow: one ListSecrets page
// per 100 secrets in scope, one BatchGetSecretValue per 20 declared values, and per-secret calls only
// for secrets that declare a policy or replicas, and for owned secrets leaving the manifest (their
// replicas go first). For N declared secrets in sync without policies or
// replicas that is ceil(N/100) + ceil(N/20) + 1 (GetCallerIdentity). Values are read while the
// listing pages in: each page tells which declared secrets exist and are not pending deletion.
// Above 1,000 names under a prefix its listing runs as parallel chains (list-split.ts): a few more
// calls, at most twice the pages, so that the pages are not the round trips of one long chain.
import { chunk, limiter, mapConcurrent } from "../aws/pacing.js";
import { AwsCallError, type FetchedValue, type ListedSecret, type SecretsPort } from "../aws/port.js";
import { QuotaPacers } from "../aws/quotas.js";
import { SopsyncError } from "../errors.js";
import type { DesiredState } from "../manifest/model.js";
import { RESERVED_NAME_PREFIX } from "../manifest/schema.js";
import type { LiveSecret, LiveState } from "./model.js";
import { sameKmsKeyAsWritten } from "./kms.js";
import { owningServiceOf } from "./owning-service.js";
import { readVersionDates } from "./version-dates.js";
import { splitListing, VALUES_PER_FILTER } from "./list-split.js";
import { leavingOwned, replicaOf, resolveReplicaKmsKeys } from "./replicas.js";
import { TAG_MANAGED_BY } from "./ownership.js";

export interface ReadOptions {
  /**
   * A ceiling on calls per second in any one quota family; each family is otherwise paced at its own
   * share of its quota (aws/quotas.ts).
   */
  readRps?: number;
  /** The target's pacers, when a run shares them between reading and writing (quotas are per account and Region). */
  pacers?: QuotaPacers;
  concurrency?: number;
  /** The caller's account when already known (a run asks STS once per credential set). */
  account?: string;
  /** Declared names per listing chain before a prefix's listing is split; NAMES_PER_CHAIN by default. */
  namesPerChain?: number;
}

function readPacers(opts: ReadOptions): QuotaPacers {
  return opts.pacers ?? new QuotaPacers({ ceiling: opts.readRps });
}

/**
 * Declared names per listing chain before a prefix's listing is split (10 pages of 100): below it,
 * one chain; above, about one chain per `concurrency`th of the names.
 */
const NAMES_PER_CHAIN = 1000;
/** BatchGetSecretValue takes at most 20 ids. */
const IDS_PER_BATCH = 20;

export async function readLiveState(port: SecretsPort, desired: DesiredState, opts: ReadOptions = {}): Promise<LiveState> {
  const pacers = readPacers(opts);
  const concurrency = opts.concurrency ?? 8;
  let account = opts.account;
  if (account === undefined) {
    await pacers.take("GetCallerIdentity");
    account = await port.callerAccount();
  }
  // The account guard, before anything is read: the wrong account's secrets are none of our business.
  if (desired.target.account && desired.target.account !== account) {
    throw new SopsyncError(
      "GUARD",
      `${desired.file}: target.account is ${desired.target.account} but the credentials are for account ${account}; refusing to run`,
    );
  }

  const declaredNames = new Set(desired.secrets.map((s) => s.name));
  // Never ask for the value of a secret pending deletion: AWS refuses it, and it is restored first.
  // Nor of a replica or a service's secret: neither is managed here (declaring one is a plan error).
  const readable = (page: readonly ListedSecret[]) =>
    page
      .filter((l) => declaredNames.has(l.name) && !l.deletedDate && !replicaOf(l, port.region) && !owningServiceOf(l))
      .map((l) => l.name);
  const values = valueReader(port, pacers, concurrency);
  const listing: Listing = {
    port,
    pacers,
    concurrency,
    perChain: opts.namesPerChain ?? NAMES_PER_CHAIN,
    onPage: (page) => values.add(readable(page)),
    pace: () => pacers.take("ListSecrets"),
  };
  const listed = await listInScope(listing, desired);
  // Also for a port that does not report pages; names already handed over are not read twice.
  values.add(readable(listed));

  const secrets = new Map<string, LiveSecret>();
  // The apply lock is sopsync's own, never a secret of any scope (a prefix like "sopsync-" lists it).
  for (const l of listed) if (!l.name.startsWith(RESERVED_NAME_PREFIX)) secrets.set(l.name, fromListed(l, port.region));
  for (const v of await values.finish()) {
    const live = secrets.get(v.name);
    if (!live) continue;
    if (v.value === null) {
      live.noCurrentValue = true;
      live.versionId = undefined;
      continue;
    }
    live.value = v.value;
    // BatchGetSecretValue is current; ListSecrets' version map can lag behind on AWS.
    live.versionId = v.versionId;
  }

  await readVersionDates(port, desired, secrets, pacers.pacer("ListSecretVersionIds"), concurrency);

  const declared = desired.secrets.filter((s) => secrets.has(s.name));
  const detailed = declared.filter((s) => s.policy !== undefined || s.replicas !== undefined);
  await mapConcurrent(detailed, concurrency, async (s) => {
    const live = secrets.get(s.name);
    if (!live || live.replicaOf || live.owningService) return;
    // DescribeSecret answers for a secret pending deletion; the policy calls may not, so a restored
    // secret's policy stays unknown and the planner writes the declared one unconditionally.
    if (s.policy !== undefined && !live.pendingDeletion) {
      await pacers.take("GetResourcePolicy");
      live.policy = (await port.getResourcePolicy(s.name)) ?? null;
    }
    if (s.replicas !== undefined) {
      await pacers.take("DescribeSecret");
      live.replicas = (await port.describeSecret(s.name)).replicas;
    }
  });

  await mapConcurrent(leavingOwned(secrets, declaredNames, desired.scope.id), concurrency, async (live) => {
    await pacers.take("DescribeSecret");
    live.replicas = (await port.describeSecret(live.name)).replicas;
  });

  const kmsKeyArns = await resolveKmsKeys(port, desired, secrets, pacers);
  const replicaKmsKeyArns = await resolveReplicaKmsKeys(port, desired, secrets, pacers.pacer("DescribeKey"));
  return { region: port.region, account, secrets, kmsKeyArns, replicaKmsKeyArns };
}

/**
 * The secrets the plan must see: with a prefix, everything under it (so unmanaged ones are listed),
 * in parallel chains when the prefix holds many names; without, the ones carrying our ownership tag,
 * plus the declared names not among them, looked up by exact name, 10 per call. Never the whole account.
 */
async function listInScope(l: Listing, desired: DesiredState): Promise<ListedSecret[]> {
  const { port, concurrency, onPage, pace } = l;
  // Under a prefix every declared name is listed (validation keeps names inside it).
  if (desired.scope.prefix)
    return listUnder(
      l,
      desired.scope.prefix,
      desired.secrets.map((s) => s.name),
    );
  // tag-value is a prefix match on any tag: keep exactly our scope's secrets.
  const ours = (page: readonly ListedSecret[]) => page.filter((s) => s.tags[TAG_MANAGED_BY] === desired.scope.id);
  const found = ours(
    await port.listSecrets({ tagKey: TAG_MANAGED_BY, tagValue: desired.scope.id }, (page) => onPage(ours(page)), pace),
  );
  const seen = new Set(found.map((s) => s.name));
  const missing = desired.secrets.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length === 0) return found;
  const more = await mapConcurrent(chunk(missing, VALUES_PER_FILTER), concurrency, (names) =>
    port.listSecrets({ names }, onPage, pace),
  );
  return [...found, ...more.flat()];
}

/** How one read lists: its port and pacers, calls in flight, names per chain, and who sees each page. */
interface Listing {
  port: SecretsPort;
  pacers: QuotaPacers;
  concurrency: number;
  perChain: number;
  onPage: (page: ListedSecret[]) => void;
  /** Awaited before each ListSecrets page: chains page at once, against one quota. */
  pace: () => Promise<void>;
}

/** Everything under `prefix`: its chains page in parallel, and each name a split left out is asked for by name. */
async function listUnder(l: Listing, prefix: string, declared: readonly string[]): Promise<ListedSecret[]> {
  const { port, pacers, concurrency, onPage, pace } = l;
  const split = splitListing(prefix, declared, Math.max(l.perChain, Math.ceil(declared.length / concurrency)));
  const run = limiter(concurrency);
  const [chains, exact] = await Promise.all([
    Promise.all(split.chains.map((namePrefixes) => run(() => port.listSecrets({ namePrefixes }, onPage, pace)))),
    Promise.all(split.exactNames.map((name) => run(() => listedByName(port, name, pacers)))),
  ]);
  const found = exact.filter((s) => s !== undefined);
  onPage(found);
  return [...chains.flat(), ...found];
}

/**
 * DescribeSecret of one name, as ListSecrets would have listed it; undefined when there is no such
 * secret. An id ending in "-" and six characters may be taken as a partial ARN of another secret
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html), so the
 * name answered must be the one asked.
 */
async function listedByName(port: SecretsPort, name: string, pacers: QuotaPacers): Promise<ListedSecret | undefined> {
  await pacers.take("DescribeSecret");
  try {
    // DescribeSecret says all ListSecrets would, and the replicas besides.
    const { replicas: _, arn, ...listed } = await port.describeSecret(name);
    return listed.name === name ? { ...listed, arn: arn ?? "" } : undefined;
  } catch (err) {
    if (err instanceof AwsCallError && err.awsCode === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

/** A secret's AWSCURRENT value, or `value: null` when it has none: CreateSecret without a value is legal. */
export type ReadValue = FetchedValue | { name: string; versionId?: undefined; value: null };

/**
 * AWSCURRENT values of the named secrets (none pending deletion), 20 per BatchGetSecretValue, paced
 * like readLiveState. `sopsync import` reads every secret under a prefix with it.
 */
export async function readValues(port: SecretsPort, names: readonly string[], opts: ReadOptions = {}): Promise<ReadValue[]> {
  const reader = valueReader(port, readPacers(opts), opts.concurrency ?? 8);
  reader.add(names);
  return reader.finish();
}

/** Reads values 20 per BatchGetSecretValue as names are handed over; a short last batch on finish. */
function valueReader(port: SecretsPort, pacers: QuotaPacers, concurrency: number) {
  const run = limiter(concurrency);
  const seen = new Set<string>();
  const buffer: string[] = [];
  const batches: Promise<ReadValue[]>[] = [];
  const dispatch = (ids: string[]) => {
    const batch = run(() => fetchBatch(port, ids, pacers));
    batch.catch(() => {}); // rethrown by finish(); not an unhandled rejection meanwhile
    batches.push(batch);
  };
  return {
    add(names: readonly string[]) {
      for (const n of names) {
        if (seen.has(n)) continue;
        seen.add(n);
        buffer.push(n);
      }
      while (buffer.length >= IDS_PER_BATCH) dispatch(buffer.splice(0, IDS_PER_BATCH));
    },
    async finish(): Promise<ReadValue[]> {
      if (buffer.length) dispatch(buffer.splice(0));
      return (await Promise.all(batches)).flat();
    },
  };
}

/** One BatchGetSecretValue; if the batch fails as a whole, each id is read on its own. */
async function fetchBatch(port: SecretsPort, ids: string[], pacers: QuotaPacers): Promise<ReadValue[]> {
  await pacers.take("BatchGetSecretValue");
  let values: ReadValue[];
  let failed: string[];
  try {
    const r = await port.batchGetValues(ids);
    values = r.values;
    failed = r.errors.map((e) => e.id);
  } catch {
    values = [];
    failed = ids;
  }
  for (const id of failed) values.push(await readOne(port, id, pacers));
  return values;
}

/**
 * GetSecretValue for a secret the batch did not return. A secret without AWSCURRENT is reported in the
 * batch's Errors, and GetSecretValue fails with ResourceNotFoundException ("can't find the specified
 * secret value for staging label: AWSCURRENT",
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html), as for a
 * secret deleted since it was listed: DescribeSecret tells the two apart, without reading the message.
 */
async function readOne(port: SecretsPort, id: string, pacers: QuotaPacers): Promise<ReadValue> {
  await pacers.take("GetSecretValue");
  try {
    return await port.getValue(id);
  } catch (err) {
    if (!(err instanceof AwsCallError && err.awsCode === "ResourceNotFoundException")) throw err;
    await pacers.take("DescribeSecret");
    const d = await port.describeSecret(id).catch(() => undefined);
    if (!d || d.deletedDate || d.currentVersionId !== undefined) throw err;
    return { name: d.name, value: null };
  }
}

/**
 * Resolves each KMS key reference that does not match its counterpart as written (alias vs id vs
 * ARN) to a key ARN, one kms:DescribeKey per distinct reference.
 */
async function resolveKmsKeys(
  port: SecretsPort,
  desired: DesiredState,
  live: ReadonlyMap<string, LiveSecret>,
  pacers: QuotaPacers,
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
    await pacers.take("DescribeKey");
    const arn = await port.describeKey(ref);
    if (arn) arns[ref] = arn;
  }
  return arns;
}

function fromListed(l: ListedSecret, region: string): LiveSecret {
  const primary = replicaOf(l, region);
  const service = owningServiceOf(l);
  return {
    ...(primary ? { replicaOf: primary } : {}),
    ...(service ? { owningService: service } : {}),
    name: l.name,
    arn: l.arn,
    description: l.description ?? "",
    kmsKeyId: l.kmsKeyId,
    tags: l.tags,
    pendingDeletion: l.deletedDate !== undefined,
    ...(l.rotation ? { rotation: l.rotation } : {}),
    versionId: l.currentVersionId,
    ...(l.versionStages ? { versionStages: l.versionStages } : {}),
  };
}
