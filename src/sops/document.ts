// Parsing a sops file's text into `yaml` Documents and separating the `sops` metadata block.
import {
  type Document,
  type DocumentOptions,
  isMap,
  isScalar,
  LineCounter,
  type ParseOptions,
  parseAllDocuments,
  type ScalarTag,
  Scalar,
  type SchemaOptions,
  type ToJSOptions,
  visit,
  type YAMLMap,
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

export function parseDocuments(text: string, fileName: string): Document[] {
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, SOPS_YAML_OPTIONS) as unknown as Document[];
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
