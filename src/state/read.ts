// Reads the live state for one manifest with as few calls as the quotas allow: one ListSecrets page
// per 100 secrets, one BatchGetSecretValue per 20 declared values, and the per-secret calls only for
// secrets that declare a policy or replicas.
import { chunk, mapConcurrent, Pacer } from "../aws/pacing.js";
import type { FetchedValue, ListedSecret, SecretsPort } from "../aws/port.js";
import type { DesiredState } from "../manifest/model.js";
import type { LiveSecret, LiveState } from "./model.js";
import { TAG_MANAGED_BY } from "./ownership.js";

export interface ReadOptions {
  /** Calls per second for the read families (AWS allows 100/s each; stay well below). */
  readRps?: number;
  concurrency?: number;
}

export async function readLiveState(port: SecretsPort, desired: DesiredState, opts: ReadOptions = {}): Promise<LiveState> {
  const pacer = new Pacer(opts.readRps ?? 50);
  const concurrency = opts.concurrency ?? 8;
  const account = await port.callerAccount();

  const listed = await listInScope(port, desired, pacer);
  const secrets = new Map<string, LiveSecret>();
  for (const l of listed) secrets.set(l.name, fromListed(l));

  const declared = desired.secrets.filter((s) => secrets.has(s.name));
  const readable = declared.filter((s) => !secrets.get(s.name)?.pendingDeletion).map((s) => s.name);
  const batches = chunk(readable, 20);
  await mapConcurrent(batches, concurrency, async (ids) => {
    for (const v of await fetchBatch(port, ids, pacer)) {
      const live = secrets.get(v.name);
      if (!live) continue;
      live.value = v.value;
      live.versionId = v.versionId;
    }
  });

  const detailed = declared.filter((s) => s.policy !== undefined || s.replicas.length > 0);
  await mapConcurrent(detailed, concurrency, async (s) => {
    const live = secrets.get(s.name);
    if (!live || live.pendingDeletion) return;
    if (s.policy !== undefined) {
      await pacer.take();
      live.policy = (await port.getResourcePolicy(s.name)) ?? null;
    }
    if (s.replicas.length > 0) {
      await pacer.take();
      live.replicas = (await port.describeSecret(s.name)).replicas;
    }
  });

  return { region: port.region, account, secrets };
}

async function listInScope(port: SecretsPort, desired: DesiredState, pacer: Pacer): Promise<ListedSecret[]> {
  await pacer.take();
  if (desired.scope.prefix) return port.listSecrets({ namePrefix: desired.scope.prefix });
  // Without a prefix the scope is: everything that carries an ownership tag, plus declared names.
  const owned = await port.listSecrets({ tagKey: TAG_MANAGED_BY });
  const seen = new Set(owned.map((s) => s.name));
  const missing = desired.secrets.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length === 0) return owned;
  await pacer.take();
  const all = await port.listSecrets({});
  const wanted = new Set(missing);
  return [...owned, ...all.filter((s) => wanted.has(s.name))];
}

/** One BatchGetSecretValue; if the batch fails as a whole, each id is read on its own. */
async function fetchBatch(port: SecretsPort, ids: string[], pacer: Pacer): Promise<FetchedValue[]> {
  await pacer.take();
  try {
    const r = await port.batchGetValues(ids);
    if (r.errors.length === 0) return r.values;
    const failed = new Set(r.errors.map((e) => e.id));
    const retried = await Promise.all(ids.filter((id) => failed.has(id)).map((id) => port.getValue(id)));
    return [...r.values, ...retried];
  } catch {
    const out: FetchedValue[] = [];
    for (const id of ids) {
      await pacer.take();
      out.push(await port.getValue(id));
    }
    return out;
  }
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
