// Writing a generated value (`generate:`). The value is made by GetRandomPassword right before the
// write that carries it and goes nowhere else: not into the plan, a log, an error message or a file.
//
// Idempotency: each write carries the plan's token, and a version with that token can't be given a
// different value ("You can't modify an existing version", API_PutSecretValue). So a write that fails
// is checked against the secret's versions: holding the token means an earlier attempt of this run
// (an SDK retry after a lost answer, or a resumed apply that generated again) already landed, and no
// second value is written. A crash between GetRandomPassword and the write leaves nothing behind: the
// next attempt generates a new value, which is fine since none was stored.
import { AwsCallError, type SecretsPort } from "../aws/port.js";
import type { QuotaPacers } from "../aws/quotas.js";
import { composeKeys, liveMapping } from "../manifest/generate.js";
import type { DesiredSecret, StoredValue } from "../manifest/model.js";
import { toJson } from "../manifest/values.js";
import { TAG_MANAGED_BY } from "../state/ownership.js";
import { replacingToken, sameWrite } from "./tokens.js";

/** Paces one call in its quota family (the executor's pacers), then makes it. */
export type Paced = <T>(operation: "GetRandomPassword" | "GetSecretValue", fn: () => Promise<T>) => Promise<T>;

function statics(d: DesiredSecret): Record<string, unknown> {
  return d.value.kind === "json" && d.value.data !== null && typeof d.value.data === "object"
    ? (d.value.data as Record<string, unknown>)
    : {};
}

async function generateKeys(keys: readonly string[], d: DesiredSecret, port: SecretsPort, paced: Paced) {
  const out: Record<string, string> = {};
  const g = d.generate;
  if (g?.form !== "keys") return out;
  for (const k of keys) out[k] = await paced("GetRandomPassword", () => port.getRandomPassword(g.keys[k] ?? {}));
  return out;
}

/** A brand-new value: the whole password, or the static keys plus every generated key. */
export async function freshValue(d: DesiredSecret, port: SecretsPort, paced: Paced): Promise<StoredValue> {
  const g = d.generate;
  if (!g) throw new AwsCallError("GetRandomPassword", "InternalError", `'${d.name}' declares no generated value`);
  if (g.form === "whole") {
    return { string: await paced("GetRandomPassword", () => port.getRandomPassword(g.options)) };
  }
  return { string: toJson(composeKeys(g, statics(d), undefined, await generateKeys(Object.keys(g.keys), d, port, paced))) };
}

/**
 * The value to write again: the live one as it is (whole form), or the manifest's static keys with the
 * live generated keys kept, generating only those it lacks. Without a readable current value, a fresh one.
 */
export async function rewrittenValue(d: DesiredSecret, port: SecretsPort, paced: Paced): Promise<StoredValue> {
  const g = d.generate;
  if (!g) throw new AwsCallError("GetRandomPassword", "InternalError", `'${d.name}' declares no generated value`);
  const current = await paced("GetSecretValue", () =>
    port.getValue(d.name).then(
      (v): StoredValue | undefined => v.value,
      (err) => {
        if (err instanceof AwsCallError && err.awsCode === "ResourceNotFoundException") return undefined;
        throw err;
      },
    ),
  );
  if (!current) return freshValue(d, port, paced);
  if (g.form === "whole") return current;
  const live = liveMapping(current.string);
  const missing = Object.keys(g.keys).filter((k) => typeof live?.[k] !== "string");
  return { string: toJson(composeKeys(g, statics(d), live, await generateKeys(missing, d, port, paced))) };
}

/**
 * Runs a write carrying `token`; when it fails and the secret already holds a version with that token,
 * an earlier attempt landed (see the top of this file) and the failure is this one's value differing.
 */
export async function writeOnce(port: SecretsPort, name: string, token: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    const details = await port.describeSecret(name).catch(() => undefined);
    if (details && Object.hasOwn(details.versionStages, token)) return;
    throw err;
  }
}

/**
 * A freshly generated value put as a new current version under `token` (`sopsync rotate` for a
 * generated secret without rotation). The caller derives `token` from one run id per `rotate`
 * (requestToken with the run id as plan id), so every retry of that run carries the same token: the
 * value is generated once per call and the same value goes out on every SDK retry, and a repeat after
 * it landed is recognised by the token. Only a secret this scope owns is written. The token takes the
 * generation of a write replacing the current version (tokens.ts), so drift reports attribute the new
 * version to sopsync with no tag written: one write call. Returns the id of the version written.
 */
export async function putFreshValue(
  port: SecretsPort,
  d: DesiredSecret,
  token: string,
  scopeId: string,
  pacers?: QuotaPacers,
): Promise<string> {
  const paced: Paced = async (op, fn) => {
    await pacers?.take(op);
    return fn();
  };
  await pacers?.take("DescribeSecret");
  const details = await port.describeSecret(d.name);
  if (details.tags[TAG_MANAGED_BY] !== scopeId || details.deletedDate)
    throw new AwsCallError(
      "PutSecretValue",
      "NotOwned",
      `'${d.name}' is not a current secret of scope '${scopeId}'; nothing was written`,
    );
  // Already written by an earlier call with this token (its generation counted the version it replaced).
  const landed = Object.keys(details.versionStages).find((v) => sameWrite(v, token));
  if (landed) return landed;
  const own = replacingToken(token, details.currentVersionId);
  const value = await freshValue(d, port, paced);
  await pacers?.take("PutSecretValue");
  await writeOnce(port, d.name, own, () => port.putSecretValue({ id: d.name, value, token: own }));
  return own;
}
