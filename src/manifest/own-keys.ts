// Secret names, tag keys and JSON keys are the user's: `__proto__` and `constructor` are names like any
// other. zod (4.1) does not treat them so: a record skips a `__proto__` key altogether (neither checked
// nor returned), and a mapping holding a `constructor` key is "not a record" at all. So the document
// goes through zod with those keys under stand-in names that no key of the document uses, and comes
// back with the real names, in records without a prototype (see src/records.ts).
import { isPlainRecord, ownRecord } from "../records.js";

const SPECIAL = ["__proto__", "constructor"] as const;

/** Special key -> its stand-in for one document, and back. */
export interface StandIns {
  readonly to: ReadonlyMap<string, string>;
  readonly from: ReadonlyMap<string, string>;
  /** Whether the document uses a special key at all; when not, zod can read it as it is. */
  readonly used: boolean;
}

const STAND_IN_START = "__sopsync_";

/** The keys of `data` that matter here: the special ones, and any that may clash with a stand-in. */
function collectKeys(data: unknown, into: Set<string>): void {
  if (Array.isArray(data)) for (const v of data) collectKeys(v, into);
  else if (isPlainRecord(data))
    for (const k of Object.keys(data)) {
      if (k.startsWith("__") || k === "constructor") into.add(k);
      collectKeys(data[k], into);
    }
}

/**
 * Stand-ins that pass every rule the real names pass (tag key characters and length, not reserved)
 * and that no key of `data` already uses.
 */
export function standInsFor(data: unknown): StandIns {
  const used = new Set<string>();
  collectKeys(data, used);
  const special = SPECIAL.some((key) => used.has(key));
  const to = new Map<string, string>();
  for (const key of SPECIAL) {
    let standIn = `${STAND_IN_START}${key.replace(/_/g, "")}__`;
    while (used.has(standIn)) standIn += "_";
    used.add(standIn);
    to.set(key, standIn);
  }
  return { to, from: new Map([...to].map(([k, s]) => [s, k])), used: special };
}

function renameKeys(data: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(data)) return data.map((v) => renameKeys(v, names));
  if (!isPlainRecord(data)) return data; // scalars, Date, BigInt, bytes: as they are
  // ownRecord's loop, without an entry array per key (this copies every mapping of the manifest).
  const out = ownRecord<unknown>();
  for (const k of Object.keys(data)) out[names.get(k) ?? k] = renameKeys(data[k], names);
  return out;
}

/**
 * A deep copy with the special keys under their stand-ins, for zod; the data itself when it has none
 * (zod reads a mapping with or without a prototype alike, and never changes its input).
 */
export function hideSpecialKeys(data: unknown, s: StandIns): unknown {
  return s.used ? renameKeys(data, s.to) : data;
}

/** A deep copy of zod's output with the real names back; every mapping without a prototype. */
export function restoreSpecialKeys<T>(data: T, s: StandIns): T {
  return renameKeys(data, s.from) as T;
}

/** An issue path or key as the user wrote it. */
export function realKey<K>(key: K, s: StandIns): K | string {
  return typeof key === "string" ? (s.from.get(key) ?? key) : key;
}
