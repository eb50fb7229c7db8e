// Pure: live secrets -> the plaintext of a manifest that adopts them, written so that the first plan
// shows nothing but the adoption and the ownership tag. A value that would not come back from the
// manifest byte-for-byte (or semantically, for JSON) is kept as an exact string instead.
import YAML from "yaml";
import type { ListedSecret, StoredValue } from "../aws/port.js";
import type { DesiredValue } from "../manifest/model.js";
import { SECRET_NAME } from "../manifest/schema.js";
import { valuesEqual } from "../manifest/values.js";
import { isRecord, ownRecord } from "../records.js";
import { isAwsTag, isSopsyncTag, TAG_MANAGED_BY } from "../state/ownership.js";
import { owningServiceOf, serviceSecretSkipReason } from "../state/owning-service.js";
import { importedRotation } from "./rotation.js";

export interface ImportInput {
  scope: { id: string; prefix: string };
  target: { region: string; account: string };
  /** Every secret ListSecrets returned under the prefix. */
  listed: readonly ListedSecret[];
  /** AWSCURRENT values by name (secrets pending deletion have none); null: the secret has no AWSCURRENT. */
  values: ReadonlyMap<string, StoredValue | null>;
}

export interface Skipped {
  name: string;
  reason: string;
}

export interface ImportResult {
  /** The manifest's plaintext YAML; every `value`/`binary` is encrypted before it is written. */
  plaintext: string;
  imported: string[];
  skipped: Skipped[];
}

type SecretEntry = {
  description?: string;
  value?: unknown;
  binary?: string;
  kmsKeyId?: string;
  tags?: Record<string, string>;
  rotation?: unknown;
  adopt: true;
};

/**
 * Secrets that cannot be adopted as they are, and why (names only: never a value). `region`: the
 * target's, to tell a replica of a primary elsewhere (it carries its primary's tags).
 */
export function skipReason(l: ListedSecret, value: StoredValue | null | undefined, region?: string): string | undefined {
  // "A replica secret can't be updated independently from its primary secret"
  // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html).
  if (region && l.primaryRegion && l.primaryRegion !== region)
    return `a replica of the secret in ${l.primaryRegion}; it is managed with its primary, in a manifest for ${l.primaryRegion}`;
  const service = owningServiceOf(l);
  if (service) return serviceSecretSkipReason(service);
  const owner = l.tags[TAG_MANAGED_BY];
  if (owner !== undefined) return `already managed by sopsync scope '${owner}'`;
  if (l.deletedDate) return "scheduled for deletion";
  if (!SECRET_NAME.test(l.name)) return "the name has characters a manifest does not allow";
  // A name ending in '-' and six characters is kept: AWS accepts it, validation warns about it.
  // Nothing to import, and no value to invent: an empty one is refused by AWS and by validation, and
  // any other would be written on the first apply, which should change nothing but ownership.
  if (value === null)
    return "it has no current value (no AWSCURRENT version); give it one in AWS and import again, or declare it by hand with the value to write and adopt: true";
  if (!value) return "its value could not be read";
  const tags = Object.keys(userTags(l.tags));
  if (tags.length > 48) return `it has ${tags.length} tags; sopsync needs room for its 2 ownership tags (AWS allows 50)`;
  return undefined;
}

/** The tags a manifest declares: AWS's own and sopsync's are not the user's to write. */
export function userTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !isAwsTag(k) && !isSopsyncTag(k)));
}

/** How a stored value is written in the manifest: a mapping when that round-trips, else exact. */
export function manifestValue(v: StoredValue): { value: unknown } | { binary: string } {
  if (v.binary !== undefined) return { binary: Buffer.from(v.binary).toString("base64") };
  const mapping = asMapping(v.string);
  if (mapping !== undefined) return { value: mapping };
  return { value: v.string };
}

function asMapping(text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    // YAML 1.2 reads JSON and keeps integers beyond 2^53 exact (intAsBigInt), as the comparer does.
    JSON.parse(text);
    data = YAML.parse(text, { intAsBigInt: true, uniqueKeys: true });
  } catch {
    return undefined;
  }
  if (!isRecord(data) || !mappingSafe(data)) return undefined;
  // The proof: the manifest's reading of the mapping equals the stored JSON, as plan compares them.
  const reread = YAML.parse(stringifyManifest({ v: data }), { intAsBigInt: true }).v as unknown;
  const desired: DesiredValue = { kind: "json", data: reread };
  return valuesEqual(desired, { string: text }) ? data : undefined;
}

/**
 * Only what sops stores and types back unchanged: non-empty mappings and lists of strings, booleans
 * and int64 / finite numbers. Nulls and empty containers stay in an exact string.
 */
function mappingSafe(x: unknown): boolean {
  if (typeof x === "string" || typeof x === "boolean") return true;
  if (typeof x === "number") return Number.isFinite(x);
  if (typeof x === "bigint") return x >= -(2n ** 63n) && x < 2n ** 63n;
  if (Array.isArray(x)) return x.length > 0 && x.every(mappingSafe);
  if (isRecord(x)) return Object.keys(x).length > 0 && Object.values(x).every(mappingSafe);
  return false;
}

/** Keys a YAML 1.1 reader would not read back as the same string (`on`, `no`, `1e3`, `~`). */
const AMBIGUOUS_KEY = /^(y|n|yes|no|on|off|true|false|null|~|[-+.\d][-+.\deE_:xXoObB]*)$/i;

/**
 * YAML with every string value double-quoted, so no string is re-typed on the way back (a date,
 * a number, `yes`), keys quoted where a YAML 1.1 reader would re-type them, and no line folding.
 */
export function stringifyManifest(data: unknown): string {
  const doc = new YAML.Document(data);
  YAML.visit(doc, {
    Pair(_, pair) {
      if (YAML.isScalar(pair.key) && AMBIGUOUS_KEY.test(String(pair.key.value))) pair.key.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN", lineWidth: 0, indent: 2 });
}

export function buildImport(input: ImportInput): ImportResult {
  // Secret names are anyone's: `secrets["__proto__"] = ...` on a plain object would drop the secret.
  const secrets = ownRecord<SecretEntry>();
  const imported: string[] = [];
  const skipped: Skipped[] = [];
  for (const l of [...input.listed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const value = input.values.get(l.name);
    const reason = skipReason(l, value, input.target.region);
    if (reason || !value) {
      skipped.push({ name: l.name, reason: reason ?? "its value could not be read" });
      continue;
    }
    const tags = userTags(l.tags);
    secrets[l.name] = {
      ...(l.description ? { description: l.description } : {}),
      ...manifestValue(value),
      ...(l.kmsKeyId ? { kmsKeyId: l.kmsKeyId } : {}),
      ...(Object.keys(tags).length ? { tags } : {}),
      ...importedRotation(l),
      adopt: true,
    };
    imported.push(l.name);
  }
  const doc = {
    sopsync: 1,
    target: { region: input.target.region, account: input.target.account },
    scope: { id: input.scope.id, prefix: input.scope.prefix },
    secrets,
  };
  const header = `# Imported by 'sopsync import --prefix ${input.scope.prefix}'. Each secret has adopt: true, so the first\n# apply only adds the ownership tag; remove 'adopt' afterwards if you like.\n`;
  return { plaintext: header + stringifyManifest(doc), imported, skipped };
}

/** A scope id from a prefix: "prod/payments/" -> "prod-payments". */
export function scopeIdFromPrefix(prefix: string): string {
  const id = prefix
    .replace(/[^A-Za-z0-9_.=+@-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 128);
  return id || "imported";
}
