// Where an unquoted scalar under `secrets.*.value` is stored as a different string than it is written.
// sops types plain scalars as yaml.v3 does (007 is the integer 7, 1.50 the float 1.5, 0x1F is 31,
// 2024-01-02 a timestamp, TRUE the bool true) and encrypts the typed value, so once a file is encrypted
// the spelling is gone. Only `edit` (and `set` for numbers) still sees it, so they warn before encrypting.
//
// Decision: a warning names the file, line, column and key path and says what kind of spelling changes
// (a leading zero, trailing zeros, an exponent, ...), but never prints the written or the stored text.
// These are secret values: even one the file's rule leaves in plaintext is a secret's value, and an
// output line is copied into CI logs and chat where a file is not. The kind of change plus the line
// is enough to find it and quote it.
import type { Document, Node, Scalar } from "yaml";
import { isMap, isPair, isScalar, isSeq } from "yaml";
import type { SopsValue } from "../sops/cipher.js";
import { jsValue } from "../sops/decrypt.js";
import { type FileFormat, typeScalar } from "../sops/goyaml.js";
import { scalarText, toJson } from "./values.js";

export interface SpellingNote {
  /** Key path from the document root, e.g. ["secrets", "prod/db", "value", "port"]; list items by index. */
  path: (string | number)[];
  line: number;
  col: number;
  /** Why the stored string differs; never contains the value. */
  reason: string;
}

/** `file:line:col: warning: secrets.X.value.k: ...; quote it to keep it as written` */
export function formatSpellingNote(file: string, n: SpellingNote): string {
  return `${file}:${n.line}:${n.col}: warning: ${n.path.join(".")}: ${n.reason}; quote it to keep it as written`;
}

/** Unquoted scalars under any `secrets.NAME.value` whose stored string differs from their text. */
export function spellingNotes(doc: Document, text: string, format: FileFormat): SpellingNote[] {
  const notes: SpellingNote[] = [];
  const secrets = isMap(doc.contents) ? doc.contents.get("secrets", true) : undefined;
  if (!isMap(secrets)) return notes;
  for (const pair of secrets.items) {
    if (!isPair(pair) || !isScalar(pair.key) || !isMap(pair.value)) continue;
    const value = pair.value.get("value", true);
    const path = ["secrets", String(pair.key.value), "value"];
    if (value) visit(value as Node, path, true, text, format, notes);
  }
  return notes;
}

function visit(node: Node, path: (string | number)[], top: boolean, text: string, format: FileFormat, out: SpellingNote[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isPair(pair) && isScalar(pair.key) && pair.value)
        visit(pair.value as Node, [...path, String(pair.key.value)], false, text, format, out);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (item) visit(item as Node, [...path, i], false, text, format, out);
    });
    return;
  }
  if (!isScalar(node) || !node.range) return;
  const written = text.slice(node.range[0], node.range[1]);
  const reason = scalarSpelling(node, written, top, format);
  if (reason) out.push({ path, ...lineCol(text, node.range[0]), reason });
}

/** The reason an unquoted, untagged scalar written as `written` is stored differently, or undefined. */
export function scalarSpelling(node: Scalar, written: string, top: boolean, format: FileFormat): string | undefined {
  if (node.type !== "PLAIN" || node.tag !== undefined) return undefined;
  let typed: SopsValue | null;
  try {
    typed = typeScalar(node, format);
  } catch {
    return undefined; // not encryptable at all: the write itself reports it
  }
  if (typed === null) return undefined;
  if (storedText(typed, top) === written) return undefined;
  return spellingReason(written, typed, top);
}

/** The text this value has inside the SecretString: the scalar's text, or its JSON token in a mapping. */
export function storedText(typed: SopsValue, top: boolean): string {
  // Strings and timestamps are compared unquoted: JSON quoting is not a spelling change.
  if (typed.type === "str" || typed.type === "time") return typed.value;
  const js = jsValue(typed);
  return top ? scalarText(js) : toJson(js);
}

/** What kind of change turns `written` into the stored text of `typed`; names no digit of it. */
export function spellingReason(written: string, typed: SopsValue, top: boolean, subject = "an unquoted number"): string {
  const differs = (what: string, how: string) => `${what} is stored as a different string (${how})`;
  const number = subject;
  switch (typed.type) {
    case "int":
    case "float": {
      const w = written.trim();
      if (/^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(w))
        return top
          ? differs("an unquoted .inf or .nan", "the float's text")
          : differs("an unquoted .inf or .nan", "null: JSON has no infinity or NaN");
      if (w.startsWith("+")) return differs(number, "without its '+'");
      if (w.includes("_")) return differs(number, "without its '_' digit separators");
      if (/^-?0[xX]/.test(w)) return differs("an unquoted hexadecimal number", "in decimal");
      if (/^-?0[oO]/.test(w)) return differs("an unquoted 0o octal number", "in decimal");
      if (/^-?0[bB]/.test(w)) return differs("an unquoted 0b binary number", "in decimal");
      if (/^-?0[0-7]+$/.test(w)) return differs(`${number} with a leading zero`, "read as octal, in decimal");
      if (/^-?0\d/.test(w)) return differs(`${number} with a leading zero`, "without the zero");
      if (/[eE]/.test(w)) return differs(`${number} in exponent notation`, "rewritten in its shortest form");
      if (/^-?\./.test(w)) return differs(`${number} starting with '.'`, "with a 0 before the point");
      if (/\.(\d*?)0+$/.test(w) || w.endsWith("."))
        return differs(`${number} with trailing zeros after the point`, "without them");
      if (w === "-0" || /^-0\.0*$/.test(w)) return differs("an unquoted negative zero", "without the sign");
      if ((w.match(/\d/g) ?? []).length > 15) return differs(`${number} with more digits than a 64-bit float keeps`, "rounded");
      return differs(number, "in its shortest form");
    }
    case "bool":
      return differs("an unquoted True/TRUE/False/FALSE", "in lowercase");
    case "time":
      return differs("an unquoted date or timestamp", "as an RFC 3339 timestamp");
    default:
      if (/\n/.test(written)) return differs("an unquoted value written over several lines", "joined into one line");
      return differs("an unquoted value", "as YAML reads it");
  }
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - before.lastIndexOf("\n") };
}
