// Parsing a sops file's text into `yaml` Documents and separating the `sops` metadata block.
import {
  type Document,
  type DocumentOptions,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type ParseOptions,
  parseAllDocuments,
  type ScalarTag,
  Scalar,
  type SchemaOptions,
  type ToJSOptions,
  visit,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import { SopsyncError } from "../errors.js";
import type { FileFormat } from "./goyaml.js";

export function formatOf(fileName: string): FileFormat {
  return /\.json$/i.test(fileName) ? "json" : "yaml";
}

export function position(text: string, offset: number | undefined): string {
  if (offset === undefined) return "";
  const lc = new LineCounter();
  let start = 0;
  for (;;) {
    lc.addNewLine(start);
    const next = text.indexOf("\n", start);
    if (next < 0 || next >= offset) break;
    start = next + 1;
  }
  const p = lc.linePos(offset);
  return `${p.line}:${p.col}`;
}

/**
 * Tags whose meaning goyaml.ts decides, kept by the `yaml` package as plain strings with their tag:
 * - `!!merge`: yaml.v3 (and so sops) reads `<<` as an ordinary key named "<<", never merges, and writes
 *   it back as `!!merge <<`; the `yaml` package would resolve `!!merge <<` (and a plain `<<` under
 *   `%YAML 1.1`) to a Symbol that toJS() merges into the enclosing mapping.
 * - `!!timestamp` and `!!binary`: the `yaml` package rejects the whole file when their text does not
 *   fit, where yaml.v3 decodes such a scalar as null.
 */
const STRING_TAGS: ScalarTag[] = ["merge", "timestamp", "binary"].map((name) => ({
  tag: `tag:yaml.org,2002:${name}`,
  default: false,
  identify: () => false,
  resolve: (text: string) => text,
}));
/** Parse options for sops YAML: core schema whatever a %YAML directive says, and no merge keys. */
export const SOPS_YAML_OPTIONS = {
  intAsBigInt: true,
  prettyErrors: false,
  schema: "core",
  merge: false,
  resolveKnownTags: true,
  customTags: STRING_TAGS,
} as const satisfies ParseOptions & DocumentOptions & SchemaOptions;

/**
 * doc.toJS() with `<<` as an ordinary key, as sops reads it, however the document was parsed (a `yaml`
 * default parse resolves `!!merge <<` to a Symbol key that toJS() merges).
 */
export function toJSWithoutMerge(doc: Document, options?: ToJSOptions): unknown {
  // A document parsed with SOPS_YAML_OPTIONS already reads so: the copy (most of the cost) is not needed.
  if (!doc.schema.tags.some((t) => t.tag === MERGE_TAG && t.default)) {
    const data = plainToJS(doc.contents);
    if (data !== NOT_PLAIN) return data;
  }
  const copy = doc.clone();
  copy.setSchema("1.2", { schema: "core", merge: false, customTags: STRING_TAGS });
  visit(copy, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && typeof key.value === "symbol") {
        const plain = new Scalar("<<");
        plain.range = key.range;
        pair.key = plain;
      }
    },
  });
  return copy.toJS(options);
}

/**
 * parseAllDocuments(text, SOPS_YAML_OPTIONS), without the `yaml` package's duplicate-key check: that
 * compares each key with every key before it in its mapping, quadratic in a mapping's size (about half
 * a second for a `secrets:` mapping of 5,000 entries). The check has no other effect than its
 * DUPLICATE_KEY error, so the documents are composed without it and searched for a duplicate in one
 * pass; only a file that has one (or may: a NaN key) is parsed again with the check, for its errors
 * exactly as the package reports them. Throws what parseAllDocuments throws.
 */
export function parseSopsYaml(text: string): Document[] {
  const docs = parseAllDocuments(text, { ...SOPS_YAML_OPTIONS, uniqueKeys: false }) as unknown as Document[];
  if (!Array.isArray(docs)) return docs;
  if (docs.some((doc) => hasEqualKeys(doc.contents))) return parseAllDocuments(text, SOPS_YAML_OPTIONS) as unknown as Document[];
  for (const doc of docs) doc.options.uniqueKeys = true; // as parsed with the check
  return docs;
}

/**
 * Whether a mapping in `node` holds two keys the `yaml` package calls equal (the same node, or scalars
 * whose values are ===). A Map's key equality is === except that NaN equals NaN, so it finds every such
 * pair (and a pair of NaN keys, which the package allows: the caller then parses again, with the check).
 */
function hasEqualKeys(node: unknown): boolean {
  if (isMap(node) || isSeq(node)) {
    const items = node.items as unknown[];
    if (isMap(node) && (items.length > SMALL_MAP ? setHasEqualKeys(items) : scanHasEqualKeys(items))) return true;
    for (const item of items) {
      if (isPair(item)) {
        if (hasEqualKeys(item.key) || hasEqualKeys(item.value)) return true;
      } else if (hasEqualKeys(item)) return true;
    }
  }
  return false;
}

/** A mapping this small is compared pair by pair: a Set for each of thousands of small mappings costs more. */
const SMALL_MAP = 8;

const keyOfPair = (item: unknown): unknown => {
  if (!isPair(item)) return NO_KEY;
  return isScalar(item.key) ? item.key.value : item.key;
};
const NO_KEY = Symbol("no key");

function setHasEqualKeys(items: unknown[]): boolean {
  const seen = new Set<unknown>();
  for (const item of items) {
    const k = keyOfPair(item);
    if (k === NO_KEY) continue;
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/** The Set's equality (SameValueZero: === except that NaN equals NaN), pair by pair. */
function scanHasEqualKeys(items: unknown[]): boolean {
  for (let i = 1; i < items.length; i++) {
    const k = keyOfPair(items[i]);
    if (k === NO_KEY) continue;
    for (let j = 0; j < i; j++) {
      const other = keyOfPair(items[j]);
      if (other !== NO_KEY && (k === other || (Number.isNaN(k) && Number.isNaN(other)))) return true;
    }
  }
  return false;
}

const MERGE_TAG = "tag:yaml.org,2002:merge";

const NOT_PLAIN = Symbol("not plain");

/**
 * doc.toJS() of the contents of a document whose schema merges nothing, in one pass; NOT_PLAIN (left
 * to the copy) unless every node is a plain mapping, list or scalar and every key a scalar whose value
 * is a string, number, bigint, boolean or null (no alias, no list holding a pair, no key toJS would
 * stringify through the schema). What toJS does for such nodes: a scalar gives its value (bigints kept), a mapping an object
 * whose keys are String(key) ("" for null), a key already "in" the object (a duplicate, __proto__,
 * toString) defined as an own property; a list an array. Anchors only count aliases, and there are none.
 */
function plainToJS(node: unknown): unknown {
  if (node === null || node === undefined) return node;
  if (isScalar(node)) return node.value;
  const proto = Object.getPrototypeOf(node);
  if (proto === YAMLSeq.prototype) {
    const items = (node as YAMLSeq).items as unknown[];
    const out: unknown[] = [];
    for (const item of items) {
      if (isPair(item)) return NOT_PLAIN;
      const v = plainToJS(item);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out.push(v);
    }
    return out;
  }
  if (proto !== YAMLMap.prototype) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const item of (node as YAMLMap).items as unknown[]) {
    if (!isPair(item)) return NOT_PLAIN;
    const key = item.key;
    if (!isScalar(key) || "addToJSMap" in key) return NOT_PLAIN;
    const k = key.value;
    if (k !== null && typeof k !== "string" && typeof k !== "number" && typeof k !== "bigint" && typeof k !== "boolean")
      return NOT_PLAIN;
    const v = plainToJS(item.value);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    const name = k === null ? "" : String(k);
    if (name in out) Object.defineProperty(out, name, { value: v, writable: true, enumerable: true, configurable: true });
    else out[name] = v;
  }
  return out;
}

export function parseDocuments(text: string, fileName: string): Document[] {
  let docs: Document[];
  try {
    docs = parseSopsYaml(text);
  } catch (e) {
    throw new SopsyncError("SOPS_FORMAT", `${fileName}: cannot parse the file: ${(e as Error).message}`);
  }
  if (!Array.isArray(docs)) docs = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      // yaml's messages quote source lines, which may hold plaintext: report the position and code only.
      throw new SopsyncError(
        "SOPS_FORMAT",
        `${fileName}:${position(text, err.pos[0])}: invalid ${formatOf(fileName).toUpperCase()} (${err.code})`,
      );
    }
  }
  return docs;
}

/** Removes the top-level `sops` key from every document and returns the first one's value as plain JS. */
export function extractMetadata(docs: Document[], fileName: string): unknown {
  let found: unknown;
  docs.forEach((doc, i) => {
    const root = doc.contents;
    if (!isMap(root)) return;
    const map = root as YAMLMap;
    const index = map.items.findIndex((p) => isScalar(p.key) && p.key.value === "sops");
    if (index < 0) return;
    const [pair] = map.items.splice(index, 1);
    // Comments written just above `sops:` belong to the data (sops attaches them to the branch's end).
    const before = (pair?.key as { commentBefore?: string | null } | undefined)?.commentBefore;
    if (before) map.comment = map.comment ? `${map.comment}\n${before}` : before;
    if (i === 0 && pair) found = (pair.value as { toJS?: (d: Document) => unknown } | null)?.toJS?.(doc) ?? null;
  });
  if (found === undefined) {
    throw new SopsyncError("SOPS_FORMAT", `${fileName}: not a sops-encrypted file (no top-level \`sops\` metadata)`);
  }
  return found;
}
