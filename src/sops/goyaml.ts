// How sops (gopkg.in/yaml.v3 decoding into interface{}) types a YAML scalar. The `yaml` package follows
// the YAML 1.2 core schema, which differs in corners (0777 octal, 1_000, timestamps, 0b101), and the
// MAC covers the Go-typed value, so unencrypted leaves and values to encrypt are typed here.
import type { Scalar } from "yaml";
import type { SopsValue } from "./cipher.js";
import { goTimestampText, parseGoFloat } from "./gofmt.js";

const STR_TAG = "tag:yaml.org,2002:str";
const INT_TAG = "tag:yaml.org,2002:int";
const FLOAT_TAG = "tag:yaml.org,2002:float";
const BOOL_TAG = "tag:yaml.org,2002:bool";
const NULL_TAG = "tag:yaml.org,2002:null";
const TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp";
const BINARY_TAG = "tag:yaml.org,2002:binary";

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's strconv.ParseInt(s, 0, 64)-style parse: sign, 0x/0o/0b prefixes, a leading 0 meaning octal. */
function parseGoIntBase0(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const [, sign, body] = m as unknown as [string, string, string];
  let v: bigint;
  if (/^0[oO]/.test(body)) v = BigInt(`0o${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  return sign === "-" ? -v : v;
}

export class UnsupportedScalarError extends Error {}

/** The value sops would hold for this scalar: null for YAML null. */
export function goYamlValue(node: Scalar): SopsValue | null {
  if (typeof node.source !== "string") {
    const typed = typeOfJsValue(node.value);
    if (typed !== undefined) return typed;
  }
  const source = typeof node.source === "string" ? node.source : String(node.value ?? "");
  const tag = node.tag;
  const quoted = node.type !== undefined && node.type !== "PLAIN";
  if (tag === STR_TAG || tag === BINARY_TAG) return { type: "str", value: String(node.value ?? "") };
  if (quoted && (tag === undefined || tag === "!")) return { type: "str", value: String(node.value ?? "") };
  const text = quoted ? String(node.value ?? "") : source;
  const resolved = resolvePlain(text, tag);
  if (resolved === undefined) return { type: "str", value: String(node.value ?? "") };
  return resolved;
}

function resolvePlain(text: string, tag: string | undefined): SopsValue | null | undefined {
  if (tag === NULL_TAG || (tag === undefined && ["", "~", "null", "Null", "NULL"].includes(text))) return null;
  if (tag === undefined || tag === BOOL_TAG) {
    if (["true", "True", "TRUE"].includes(text)) return { type: "bool", value: true };
    if (["false", "False", "FALSE"].includes(text)) return { type: "bool", value: false };
  }
  if (tag === undefined || tag === FLOAT_TAG) {
    if ([".nan", ".NaN", ".NAN"].includes(text)) return { type: "float", value: Number.NaN };
    if ([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].includes(text)) return { type: "float", value: Infinity };
    if (["-.inf", "-.Inf", "-.INF"].includes(text)) return { type: "float", value: -Infinity };
  }
  if (tag !== undefined && ![INT_TAG, FLOAT_TAG, TIMESTAMP_TAG].includes(tag)) return undefined;
  if (!/^[-+.0-9]/.test(text)) return undefined;
  if (tag === undefined || tag === TIMESTAMP_TAG) {
    const t = goTimestampText(text);
    if (t !== undefined) return { type: "time", value: t };
  }
  const plain = text.replaceAll("_", "");
  const int = parseGoIntBase0(plain);
  if (int !== undefined && tag !== FLOAT_TAG) {
    if (int <= INT64_MAX && int >= -INT64_MAX - 1n) return { type: "int", value: int };
    // yaml.v3 yields uint64 here, which sops cannot encrypt ("unsupported type uint64").
    if (int > 0n && int <= UINT64_MAX) throw new UnsupportedScalarError("integer out of int64 range (sops cannot handle uint64)");
  }
  if (YAML_STYLE_FLOAT.test(plain) || (tag === FLOAT_TAG && parseGoFloat(plain) !== undefined)) {
    const f = parseGoFloat(plain);
    if (f !== undefined) return { type: "float", value: f };
  }
  return undefined;
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
    const resolved = resolvePlain(s, undefined);
    return resolved !== undefined;
  } catch {
    return true;
  }
}
