// parseSopsYaml composes without the `yaml` package's quadratic duplicate-key check and parses again
// with it only when a mapping has equal keys. Whatever the text, it must give what
// parseAllDocuments(text, SOPS_YAML_OPTIONS) gives: the same errors at the same offsets, the same nodes.
import fc from "fast-check";
import { type Document, isPair, isScalar, parseAllDocuments, parseDocument, Scalar, visit } from "yaml";
import { describe, expect, it } from "vitest";
import { parseSopsYaml, SOPS_YAML_OPTIONS, toJSWithoutMerge } from "../../src/sops/document.js";

/** Everything a reader of the documents sees: errors, warnings, every node's kind, value and range, the text. */
function shape(docs: Document[]): unknown {
  return docs.map((doc) => {
    const nodes: unknown[] = [];
    visit(doc, (key, node) => {
      if (isPair(node)) nodes.push(["pair", key]);
      else if (node === null) nodes.push([key, null]);
      else
        nodes.push([
          key,
          (node as { constructor: { name: string } }).constructor.name,
          (node as { value?: unknown }).value,
          (node as { range?: unknown }).range,
        ]);
    });
    return {
      errors: doc.errors.map((e) => [e.code, e.pos, e.message]),
      warnings: doc.warnings.map((e) => [e.code, e.pos, e.message]),
      options: doc.options,
      nodes,
      text: doc.errors.length ? undefined : String(doc),
    };
  });
}

const reference = (text: string) => parseAllDocuments(text, SOPS_YAML_OPTIONS) as unknown as Document[];

describe("parseSopsYaml", () => {
  const cases: Record<string, string> = {
    "no duplicates": "a: 1\nb:\n  c: [1, 2]\n  d: {e: f}\n",
    "a duplicate at the top": "a: 1\nb: 2\na: 3\n",
    "a duplicate in a nested mapping": "secrets:\n  x:\n    value: 1\n    value: 2\n  y: {}\n",
    "a duplicate in a flow mapping": "tags: { a: 1, b: 2, a: 3 }\n",
    "a duplicate under a list": "l:\n  - a: 1\n    a: 2\n  - b\n",
    "a duplicate in a mapping used as a key": "? {a: 1, a: 2}\n: v\n",
    "a duplicate in the second document": "a: 1\n---\nb: 1\nb: 2\n",
    "equal keys spelled differently (1 and 0x1, ~ and null, 'a' and a)": "1: a\n0x1: b\n~: c\nnull: d\n'a': e\na: f\n",
    "a string and a number that read alike are not equal": '"1": a\n1: b\n',
    "NaN keys, which the package allows": ".nan: 1\n.NaN: 2\n",
    "a tagged duplicate": "!!str a: 1\na: 2\n",
    "a duplicate after a comment line": "a: 1\n# note\na: 2\n",
    "an explicit key duplicated": "? a\n: 1\n? a\n: 2\n",
    "a key without a value duplicated": "? a\n? a\n",
    "a duplicate beside another error": "a: 1\n\tb: 2\na: 3\n",
    "a merge key twice": "<<: {a: 1}\n<<: {b: 2}\n",
    "a duplicate in a mapping of more than eight keys": `${Array.from({ length: 12 }, (_, i) => `k${i}: ${i}`).join("\n")}\nk3: again\n`,
    "NaN keys in a mapping of more than eight keys": `${Array.from({ length: 12 }, (_, i) => `k${i}: ${i}`).join("\n")}\n.nan: 1\n.NaN: 2\n`,
    "more than eight distinct keys, 1 and 1.0 among them": `${Array.from({ length: 12 }, (_, i) => `k${i}: ${i}`).join("\n")}\n1: a\n1.0: b\n`,
    "an empty file": "",
    "a comment only": "# nothing\n",
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`gives what parseAllDocuments gives: ${name}`, () => {
      expect(shape(parseSopsYaml(text))).toEqual(shape(reference(text)));
    });
  }

  it("reports the duplicate key the package reports, at its offset", () => {
    const [doc] = parseSopsYaml("a: 1\nb: 2\na: 3\n");
    expect(doc?.errors.map((e) => [e.code, e.pos[0]])).toEqual([["DUPLICATE_KEY", 10]]);
  });

  it("gives what parseAllDocuments gives for generated mappings with colliding keys (fast-check)", () => {
    const key = fc.constantFrom(
      "a",
      "'a'",
      '"a"',
      "b",
      "1",
      "0x1",
      "01",
      "'1'",
      "~",
      "null",
      ".nan",
      "true",
      "True",
      "1.0",
      "!!str a",
      "<<",
    );
    const value = fc.constantFrom("1", "x", "{}", "[]", "~");
    const line = fc.tuple(key, value).map(([k, v]) => `${k}: ${v}`);
    const block = fc.array(line, { minLength: 1, maxLength: 6 });
    const text = fc
      .tuple(block, block, fc.boolean())
      .map(([top, inner, flow]) =>
        [...top, flow ? `m: {${inner.join(", ")}}` : `m:\n${inner.map((l) => `  ${l}`).join("\n")}`].join("\n"),
      );
    fc.assert(
      fc.property(text, (t) => {
        expect(shape(parseSopsYaml(t))).toEqual(shape(reference(t)));
      }),
      { numRuns: 300 },
    );
  });
});

// toJSWithoutMerge's copying path, on its own: the reference its answers are held against.
function copiedToJS(doc: Document): unknown {
  const copy = doc.clone();
  copy.setSchema("1.2", { schema: "core", merge: false, customTags: SOPS_YAML_OPTIONS.customTags });
  visit(copy, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === "symbol") {
        const plain = new Scalar("<<");
        plain.range = pair.key.range;
        pair.key = plain;
      }
    },
  });
  return copy.toJS({ maxAliasCount: 100 });
}

describe("toJSWithoutMerge", () => {
  const texts = [
    "a: 1\nb: {c: [1, 2, {d: e}]}\n",
    "a:\n  <<: {k: v}\n  x: 1\n",
    "a:\n  !!merge <<: {k: v}\n  x: 1\n",
    "%YAML 1.1\n---\na:\n  <<: {k: v}\n",
    "base: &b {k: v}\nuse:\n  <<: *b\n  x: 1\n",
    "? [1, 2]\n: v\n",
    "1: a\n~: b\ntrue: c\n1.5: d\n",
    "s: !!set {a, b}\no: !!omap [{a: 1}]\n",
    "t: !!timestamp 2024-01-02\n",
    "- <<: {a: b}\n- c\n",
  ];
  const parsers: Record<string, (t: string) => Document> = {
    sops: (t) => parseSopsYaml(t)[0] as Document,
    "yaml default": (t) => parseDocument(t) as unknown as Document,
    "yaml 1.1 with merge": (t) => parseDocument(t, { version: "1.1", merge: true }) as unknown as Document,
  };
  for (const [how, parse] of Object.entries(parsers)) {
    it(`gives what the copy gives, parsed by ${how}`, () => {
      for (const t of texts) expect([t, toJSWithoutMerge(parse(t), { maxAliasCount: 100 })]).toEqual([t, copiedToJS(parse(t))]);
    });
  }
});

/** Data with every mapping as its own keys in order, so key order and own-ness are compared too. */
function ordered(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(ordered);
  if (x !== null && typeof x === "object") return Object.keys(x).map((k) => [k, Object.hasOwn(x, k), ordered((x as never)[k])]);
  return typeof x === "bigint" ? `${x}n` : x;
}

describe("toJSWithoutMerge of a document that merges nothing (one pass, not the package's toJS)", () => {
  it("gives doc.toJS()'s data, keys in order and own: duplicates, __proto__, toString, null and number keys", () => {
    const texts = [
      "a: 1\nb: {c: [1, 2, {d: e}]}\nc: ~\n",
      "__proto__: {x: 1}\ntoString: 2\nconstructor: 3\n",
      "~: a\n1: b\n0x10: c\ntrue: d\n1.5: e\n9007199254740993: f\n",
      "l: [a, b: c, {d: e}]\n",
      "s: !!set {a, b}\no: !!omap [{a: 1}]\n",
      "base: &b {k: v}\nuse: *b\n",
      "",
      "- 1\n- x\n",
    ];
    for (const t of texts) {
      const [doc] = parseAllDocuments(t, { ...SOPS_YAML_OPTIONS, uniqueKeys: false }) as unknown as Document[];
      if (!doc) continue;
      expect([t, ordered(toJSWithoutMerge(doc))]).toEqual([t, ordered(doc.toJS({ maxAliasCount: 100 }))]);
    }
  });

  it("gives doc.toJS()'s data for generated documents (fast-check)", () => {
    const key = fc.constantFrom("a", "b", "'a'", "1", "~", "true", "__proto__", "toString", "hasOwnProperty", "1.5");
    const scalar = fc.constantFrom("1", "x", "~", "-0", "0o17", "9007199254740993", "'q'", ".nan", "2024-01-02");
    const value = fc.oneof(
      scalar,
      fc.constant("{}"),
      fc.constant("[]"),
      fc.array(scalar, { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
    );
    const line = fc.tuple(key, value).map(([k, v]) => `${k}: ${v}`);
    const block = fc.array(line, { minLength: 1, maxLength: 6 });
    const text = fc
      .tuple(block, block)
      .map(([top, inner]) => [...top, `m:\n${inner.map((l) => `  ${l}`).join("\n")}`].join("\n"));
    fc.assert(
      fc.property(text, (t) => {
        const [doc] = parseAllDocuments(t, { ...SOPS_YAML_OPTIONS, uniqueKeys: false }) as unknown as Document[];
        if (!doc) return;
        expect(ordered(toJSWithoutMerge(doc))).toEqual(ordered(doc.toJS({ maxAliasCount: 100 })));
      }),
      { numRuns: 300 },
    );
  });
});
