// Prints the `sops:` block the way sops (yaml.v3, indent 4) lays it out, so that rewriting a file
// changes only the lines whose content changed (lastmodified, mac) and not the whole metadata.
import { stringify } from "yaml";

type Value = string | number | boolean | Value[] | { [k: string]: Value } | null | undefined;

function scalar(v: string | number | boolean, forceQuotes: boolean): string {
  if (forceQuotes && typeof v === "string") return JSON.stringify(v);
  return stringify(v, { lineWidth: 0 }).trimEnd();
}

const QUOTED_KEYS = new Set(["lastmodified", "created_at"]);

/** A mapping with logical indent `l`: keys at column l (the first behind "- " when it is a list item). */
function mapping(obj: Record<string, Value>, l: number, inListItem: boolean, out: string[]): void {
  let first = true;
  for (const [key, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    const prefix = inListItem ? (first ? `${" ".repeat(l)}- ` : " ".repeat(l + 2)) : " ".repeat(l);
    first = false;
    const k = scalar(key, false);
    if (v === null) out.push(`${prefix}${k}: null`);
    else if (Array.isArray(v)) {
      if (v.length === 0) out.push(`${prefix}${k}: []`);
      else {
        out.push(`${prefix}${k}:`);
        for (const item of v) {
          if (item && typeof item === "object" && !Array.isArray(item)) mapping(item, l + 4, true, out);
          else out.push(`${" ".repeat(l + 4)}- ${scalar(item as string, false)}`);
        }
      }
    } else if (typeof v === "object") {
      out.push(`${prefix}${k}:`);
      mapping(v, l + 4, false, out);
    } else if (typeof v === "string" && v.includes("\n")) {
      out.push(`${prefix}${k}: |${v.endsWith("\n") ? "" : "-"}`);
      for (const line of v.replace(/\n$/, "").split("\n")) out.push(line === "" ? "" : `${" ".repeat(l + 4)}${line}`);
    } else out.push(`${prefix}${k}: ${scalar(v, QUOTED_KEYS.has(key))}`);
  }
}

export function renderSopsBlock(meta: Record<string, unknown>): string {
  const out = ["sops:"];
  mapping(meta as Record<string, Value>, 4, false, out);
  return `${out.join("\n")}\n`;
}
