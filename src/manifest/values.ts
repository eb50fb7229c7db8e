// How manifest values become Secrets Manager payloads, and how stored payloads compare to them.
import YAML from "yaml";
import { isRecord } from "../records.js";
import type { DesiredValue, StoredValue } from "./model.js";

/** JSON text for manifest data; int64 values decoded by sops as BigInt keep every digit. */
export function toJson(data: unknown): string {
  if (typeof data === "bigint") return data.toString();
  if (data instanceof Date) return JSON.stringify(data.toISOString());
  if (Array.isArray(data)) return `[${data.map(toJson).join(",")}]`;
  if (data !== null && typeof data === "object") {
    // A loop, not entries().map().join(): validation sizes every mapping value of a manifest this way.
    let out = "";
    for (const k of Object.keys(data))
      out += `${out ? "," : ""}${JSON.stringify(k)}:${toJson((data as Record<string, unknown>)[k])}`;
    return `{${out}}`;
  }
  return JSON.stringify(data ?? null);
}

/** The scalar's text as sops -d would print it. */
export function scalarText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v === null || v === undefined) return "";
  return String(v);
}

export function toStoredValue(v: DesiredValue): StoredValue {
  switch (v.kind) {
    case "json":
      return { string: toJson(v.data) };
    case "string":
      return { string: v.text };
    case "binary":
      return { binary: v.bytes };
  }
}

export function storedSize(v: StoredValue): number {
  return v.binary !== undefined ? v.binary.byteLength : Buffer.byteLength(v.string, "utf8");
}

/** Parses JSON keeping integers beyond 2^53 exact, so 64-bit ids compare correctly. */
function parseJsonExact(text: string): unknown {
  const parsed = JSON.parse(text);
  // Node 20's JSON.parse cannot hand out source text; YAML 1.2 reads JSON and can keep big ints.
  return /\d{16,}/.test(text) ? YAML.parse(text, { intAsBigInt: true, uniqueKeys: false }) : parsed;
}

function canonical(data: unknown): string {
  if (typeof data === "number" && Number.isInteger(data)) return String(data);
  if (typeof data === "bigint") return data.toString();
  if (Array.isArray(data)) return `[${data.map(canonical).join(",")}]`;
  if (data instanceof Date) return JSON.stringify(data.toISOString());
  if (data !== null && typeof data === "object") {
    const keys = Object.keys(data as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((data as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(data ?? null);
}

/** Semantic equality: JSON by parsed content (key order, whitespace and number spelling are not drift). */
export function valuesEqual(desired: DesiredValue, live: StoredValue): boolean {
  switch (desired.kind) {
    case "string":
      return live.string === desired.text;
    case "binary":
      return live.binary !== undefined && Buffer.from(live.binary).equals(Buffer.from(desired.bytes));
    case "json": {
      if (live.string === undefined) return false;
      let parsed: unknown;
      try {
        parsed = parseJsonExact(live.string);
      } catch {
        return false;
      }
      return canonical(parsed) === canonical(desired.data);
    }
  }
}

export type KeyChange = { key: string; change: "added" | "changed" | "removed" };

/**
 * Top-level key differences between a JSON desired value and the live value, or undefined when
 * they cannot be compared key by key (either side not a JSON object). Names only, never values.
 */
export function keyDiff(desired: DesiredValue, live: StoredValue | undefined): KeyChange[] | undefined {
  if (desired.kind !== "json" || live?.string === undefined) return undefined;
  const d = desired.data;
  let l: unknown;
  try {
    l = parseJsonExact(live.string);
  } catch {
    return undefined;
  }
  if (!isRecord(d) || !isRecord(l)) return undefined;
  const out: KeyChange[] = [];
  // Own keys only: `"constructor" in l` is true for any object.
  for (const key of Object.keys(d)) {
    if (!Object.hasOwn(l, key)) out.push({ key, change: "added" });
    else if (canonical(d[key]) !== canonical(l[key])) out.push({ key, change: "changed" });
  }
  for (const key of Object.keys(l)) if (!Object.hasOwn(d, key)) out.push({ key, change: "removed" });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
