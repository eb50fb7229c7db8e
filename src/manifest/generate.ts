// Generated values (`generate:`): made by GetRandomPassword at create, never in the manifest, a plan
// or any output, and owned by AWS afterwards. Here: the manifest's spec, and how a stored value is
// put together from static keys and generated ones. Pure; the AWS call is the executor's.
import type { DesiredSecret, GenerateSpec, PasswordOptions, StoredValue } from "./model.js";
import { isRecord } from "../records.js";
import { keyDiff, valuesEqual } from "./values.js";

type PasswordDoc = PasswordOptions & { keys?: Record<string, PasswordOptions> };

/** The validated `generate:` entry as the desired state holds it (validate.ts checked the combinations). */
export function generateSpec(g: PasswordDoc | undefined): GenerateSpec | undefined {
  if (!g) return undefined;
  if (g.keys) return { form: "keys", keys: { ...g.keys } };
  return { form: "whole", options: { ...g } };
}

/** The live JSON mapping, or undefined when the stored value is not one. */
export function liveMapping(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The generated keys of a "keys" spec the live mapping lacks (or holds as something other than text). */
export function missingGeneratedKeys(spec: GenerateSpec, live: Record<string, unknown> | undefined): string[] {
  if (spec.form !== "keys") return [];
  return Object.keys(spec.keys).filter((k) => typeof live?.[k] !== "string");
}

/**
 * The mapping to store: the manifest's static keys, then each generated key from `generated` (freshly
 * made) or else from the live value (kept: it belongs to AWS). Keys that are neither are dropped:
 * the manifest is the whole truth for the static part.
 */
export function composeKeys(
  spec: Extract<GenerateSpec, { form: "keys" }>,
  statics: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  generated: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...statics };
  for (const k of Object.keys(spec.keys)) {
    const v = Object.hasOwn(generated, k) ? generated[k] : live?.[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Whether a stored value is what the manifest asks for. A generated value is compared with nothing
 * from the manifest: the whole form only has to exist; the keys form must hold the manifest's static
 * keys exactly and every generated key (whatever its value).
 */
export function storedMatches(d: DesiredSecret, stored: StoredValue): boolean {
  const g = d.generate;
  if (!g) return valuesEqual(d.value, stored);
  if (g.form === "whole") return stored.string !== undefined && stored.string.length > 0;
  const diff = keyDiff(d.value, stored);
  if (!diff) return false;
  const generated = new Set(Object.keys(g.keys));
  return (
    diff.every((k) => generated.has(k.key) && k.change === "removed") &&
    missingGeneratedKeys(g, liveMapping(stored.string)).length === 0
  );
}

/** Options that leave GetRandomPassword no character to use: AWS would refuse them at apply. */
export function excludesEveryType(o: Record<string, unknown>): boolean {
  return (
    o.excludeNumbers === true &&
    o.excludePunctuation === true &&
    o.excludeUppercase === true &&
    o.excludeLowercase === true &&
    o.includeSpace !== true
  );
}
