// How sops types a YAML scalar. sops decodes every scalar with yaml.v3 into interface{} (stores/yaml
// nodeToTreeValue: node.Decode), and the MAC covers Go's text of that typed value (sops.go ToBytes), so
// a leaf must be typed here exactly as yaml.v3 types it. The `yaml` package's YAML 1.2 core schema
// differs in many corners (0777 octal, 1_000, 0b101, timestamps, overflow), so its types are not used.
//
// This is a port of go.yaml.in/yaml/v3 v3.0.4 (the gopkg.in/yaml.v3 line that sops 3.11 uses):
// resolve.go (resolveTable, resolveMap, resolve, parseTimestamp) and decode.go ((*decoder).scalar,
// Node.indicatedString, (*parser).scalar). The Go number and time parsers it calls are in gofmt.ts.
import { isUtf8 } from "node:buffer";
import type { Scalar } from "yaml";
import type { SopsValue } from "./cipher.js";
import { goParseDecimalFloat, goParseInt, goParseUint, goTimestampText, isInt64, TimeMarshalError } from "./gofmt.js";

const NULL = "!!null";
const BOOL = "!!bool";
const STR = "!!str";
const INT = "!!int";
const FLOAT = "!!float";
const TIMESTAMP = "!!timestamp";
const BINARY = "!!binary";
const MERGE = "!!merge";

/** A Go value yaml.v3 can produce for a scalar; uint64 is kept apart because sops cannot handle it. */
type GoValue = SopsValue | null | { type: "uint64"; value: bigint };

interface Resolved {
  tag: string;
  value: GoValue;
}

/** resolveMapList: exact spellings looked up before anything else (no yes/no/on/off: that is YAML 1.1). */
const RESOLVE_MAP = new Map<string, Resolved>();
for (const [value, tag, spellings] of [
  [{ type: "bool", value: true }, BOOL, ["true", "True", "TRUE"]],
  [{ type: "bool", value: false }, BOOL, ["false", "False", "FALSE"]],
  [null, NULL, ["", "~", "null", "Null", "NULL"]],
  [{ type: "float", value: Number.NaN }, FLOAT, [".nan", ".NaN", ".NAN"]],
  [{ type: "float", value: Infinity }, FLOAT, [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]],
  [{ type: "float", value: -Infinity }, FLOAT, ["-.inf", "-.Inf", "-.INF"]],
  [{ type: "str", value: "<<" }, MERGE, ["<<"]],
] as [GoValue, string, string[]][]) {
  for (const s of spellings) RESOLVE_MAP.set(s, { tag, value });
}

/** resolveTable: the first character says which resolution is tried ('S'ign, 'D'igit, 'M'ap, '.'). */
function hintOf(text: string): "S" | "D" | "M" | "." | undefined {
  if (text === "") return "M"; // yaml.v3 uses 'N' and finds "" in the map
  const c = text[0] as string;
  if (c === "+" || c === "-") return "S";
  if (c >= "0" && c <= "9") return "D";
  if ("yYnNtTfFoO~".includes(c)) return "M";
  if (c === ".") return ".";
  return undefined;
}

const int = (value: bigint): GoValue => (isInt64(value) ? { type: "int", value } : { type: "uint64", value });

/**
 * The integer forms tried for a 'D'igit or 'S'ign scalar after the timestamp, in yaml.v3's order, on the
 * text with every `_` removed. ParseInt with base 0 reads 0x/0X, 0o/0O, 0b/0B and a leading 0 (legacy
 * octal, so 017 is 15 and 08 is not an int); values above int64 are uint64; then the float form; then
 * yaml.v3's own 0b/-0b and 0o/-0o branches (base given, so the digits may carry a sign: 0b-1 is -1).
 * Base 60 (1:30) is not in yaml.v3.
 */
const NUMBER_FORMS: ((plain: string) => GoValue | undefined)[] = [
  (p) => maybe(goParseInt(p, 0), int),
  (p) => maybe(goParseUint(p, 0), int),
  (p) =>
    /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(p)
      ? maybe(goParseDecimalFloat(p), (value) => ({ type: "float", value }))
      : undefined,
  (p) => (p.startsWith("0b") ? (maybe(goParseInt(p.slice(2), 2), int) ?? maybe(goParseUint(p.slice(2), 2), int)) : undefined),
  (p) => (p.startsWith("-0b") ? maybe(goParseInt(`-${p.slice(3)}`, 2), int) : undefined),
  (p) => (p.startsWith("0o") ? (maybe(goParseInt(p.slice(2), 8), int) ?? maybe(goParseUint(p.slice(2), 8), int)) : undefined),
  (p) => (p.startsWith("-0o") ? maybe(goParseInt(`-${p.slice(3)}`, 8), int) : undefined),
];

function maybe<T>(v: T | undefined, f: (v: T) => GoValue): GoValue | undefined {
  return v === undefined ? undefined : f(v);
}

/** Tags resolve() resolves; any other tag (!!binary, !!merge, !local, ...) keeps the text as a string. */
const RESOLVABLE = new Set(["", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP]);

export class UnsupportedScalarError extends Error {}

/** A tagged scalar whose text does not fit its tag: yaml.v3's Decode fails and sops keeps a nil. */
class DecodeFailure extends Error {}

/** yaml.v3 resolve(tag, in): the implicit tag and Go value of a scalar's text. */
function resolve(tag: string, text: string): Resolved {
  if (!RESOLVABLE.has(tag)) return { tag, value: { type: "str", value: text } };
  const resolved = resolveImplicit(tag, text);
  // A scalar tagged with a type it does not resolve to cannot be decoded, except an int read as !!float.
  if (tag === "" || tag === resolved.tag || tag === STR) return resolved;
  if (tag === FLOAT && resolved.tag === INT && resolved.value?.type === "int") {
    return { tag: FLOAT, value: { type: "float", value: Number(resolved.value.value) } };
  }
  throw new DecodeFailure(`cannot decode ${resolved.tag} as ${tag}`);
}

function resolveImplicit(tag: string, text: string): Resolved {
  const hint = hintOf(text);
  if (hint === undefined || tag === STR) return { tag: STR, value: { type: "str", value: text } };
  const mapped = RESOLVE_MAP.get(text);
  if (mapped) return mapped;
  if (hint === ".") {
    const f = goParseDecimalFloat(text);
    if (f !== undefined) return { tag: FLOAT, value: { type: "float", value: f } };
  }
  if (hint === "D" || hint === "S") {
    // Only plain or !!timestamp-tagged text is tried as a timestamp.
    if (tag === "" || tag === TIMESTAMP) {
      const t = goTimestampText(text);
      if (t !== undefined) return { tag: TIMESTAMP, value: { type: "time", value: t } };
    }
    const plain = text.replaceAll("_", "");
    for (const form of NUMBER_FORMS) {
      const v = form(plain);
      if (v !== undefined) return { tag: v?.type === "float" ? FLOAT : INT, value: v };
    }
  }
  return { tag: STR, value: { type: "str", value: text } };
}

/** yaml.v3's short form of a tag ("tag:yaml.org,2002:int" -> "!!int"); "" for none or the non-specific "!". */
function shortTag(tag: string | undefined): string {
  if (tag === undefined || tag === "!") return "";
  const prefix = "tag:yaml.org,2002:";
  return tag.startsWith(prefix) ? `!!${tag.slice(prefix.length)}` : tag;
}

/** The Go value of a parsed scalar, as Node.Decode into interface{} gives it. */
function decodeScalar(text: string, tag: string | undefined, quoted: boolean): GoValue {
  const explicit = shortTag(tag);
  // Node.indicatedString: a !!str tag, or quoted/block style without a specific tag. A specific tag
  // wins over quotes (!!int "12" is an int).
  if (explicit === STR || (explicit === "" && quoted)) return { type: "str", value: text };
  // (*parser).node: an untagged plain scalar gets resolve("", text)'s tag (a plain << gets !!merge).
  const nodeTag = explicit !== "" ? explicit : text === "<<" ? MERGE : resolve("", text).tag;
  let resolved: Resolved;
  try {
    resolved = resolve(nodeTag, text);
  } catch (e) {
    if (e instanceof DecodeFailure) return null;
    throw e;
  }
  if (resolved.tag === BINARY) {
    const bytes = decodeStdBase64(text);
    if (bytes === undefined) return null;
    if (!isUtf8(bytes)) throw new UnsupportedScalarError("a !!binary value is not UTF-8 text; sopsync cannot hold it");
    return { type: "str", value: bytes.toString("utf8") };
  }
  return resolved.value;
}

/** encoding/base64 StdEncoding.DecodeString: padded standard alphabet; CR and LF are ignored. */
function decodeStdBase64(text: string): Buffer | undefined {
  const s = text.replace(/[\r\n]/g, "");
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(={0,2})$/.test(s)) return undefined;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : undefined;
}

function toSops(v: GoValue): SopsValue | null {
  if (v?.type === "uint64") throw new UnsupportedScalarError("integer out of int64 range (sops cannot handle uint64)");
  return v;
}

/** The value sops would hold for this scalar: null for YAML null (and for a tagged scalar yaml.v3 cannot decode). */
export function goYamlValue(node: Scalar): SopsValue | null {
  if (typeof node.source !== "string") {
    const typed = typeOfJsValue(node.value);
    if (typed !== undefined) return typed;
  }
  const text = typeof node.source === "string" ? node.source : String(node.value ?? "");
  const quoted = node.type !== undefined && node.type !== "PLAIN";
  try {
    return toSops(decodeScalar(text, node.tag, quoted));
  } catch (e) {
    if (e instanceof TimeMarshalError) throw new UnsupportedScalarError(e.message);
    throw e;
  }
}

export type FileFormat = "yaml" | "json";

/** sops's JSON store decodes with encoding/json: every number is a float64, nothing else is typed. */
export function goJsonValue(node: Scalar): SopsValue | null {
  const v = node.value;
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return { type: "bool", value: v };
  if (typeof v === "number" || typeof v === "bigint") {
    const source = typeof node.source === "string" && node.type === "PLAIN" ? node.source : String(v);
    return { type: "float", value: Number(source) };
  }
  return { type: "str", value: String(v) };
}

export function typeScalar(node: Scalar, format: FileFormat): SopsValue | null {
  return format === "json" ? goJsonValue(node) : goYamlValue(node);
}

/** A scalar built in code (not parsed from text) is typed by its JavaScript value. */
function typeOfJsValue(v: unknown): SopsValue | null | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return { type: "int", value: v };
  if (typeof v === "number") return Number.isInteger(v) ? { type: "int", value: BigInt(v) } : { type: "float", value: v };
  if (typeof v === "boolean") return { type: "bool", value: v };
  if (typeof v === "string") return { type: "str", value: v };
  return undefined;
}

/** True when a string written as a plain YAML scalar would be read back by sops as something else. */
export function plainWouldRetype(s: string): boolean {
  try {
    return resolve("", s).tag !== STR;
  } catch {
    return true;
  }
}
