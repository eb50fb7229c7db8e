// Records keyed by names users choose (secret names, tag keys, JSON keys). A plain `{}` inherits from
// Object.prototype: `tags["constructor"]` is a function there, `"toString" in tags` is true, and
// assigning `__proto__` replaces the prototype instead of adding a key. Records without a prototype
// have none of that and still serialise as plain JSON objects.

/** A record with no prototype, filled from `entries` in order (later keys win). */
export function ownRecord<V>(...sources: Iterable<readonly [string, V]>[]): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const entries of sources) for (const [k, v] of entries) out[k] = v;
  return out;
}

/** A mapping (parsed YAML or JSON): an object that is not a list. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/** A mapping with Object's prototype or none (what zod's record takes): not a Date, bytes or class instance. */
export function isPlainRecord(x: unknown): x is Record<string, unknown> {
  if (!isRecord(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** `r[key]` when it is the record's own key; never something inherited. */
export function ownValue<V>(r: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(r, key) ? r[key] : undefined;
}
