// The shipped JSON Schema is generated from the validator's own definition and must be current.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { manifestJsonSchemaText } from "../../src/manifest/json-schema.js";
import { checkManifest, isValueForm, manifestCheck, secretSchema } from "../../src/manifest/schema.js";
import { projectRoot } from "../helpers/tools.js";
import { problems } from "./validate-text.js";

describe("schema/manifest.schema.json", () => {
  const shipped = readFileSync(join(projectRoot, "schema/manifest.schema.json"), "utf8");

  it("equals the schema generated from src/manifest/schema.ts (run: npx tsx scripts/gen-schema.ts)", () => {
    expect(shipped).toBe(manifestJsonSchemaText());
  });

  it("is the file package.json exports as ./schema.json, and describes the manifest's keys", () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
    expect(pkg.exports["./schema.json"]).toBe("./schema/manifest.schema.json");
    const schema = JSON.parse(shipped);
    expect(schema.required).toEqual(["sopsync", "scope"]);
    expect(schema.additionalProperties).toBe(false);
    const secret = schema.properties.secrets.anyOf[0].additionalProperties;
    expect(Object.keys(secret.properties).sort()).toEqual([
      "adopt",
      "allowPublicPolicy",
      "binary",
      "description",
      "generate",
      "kmsKeyId",
      "policy",
      "protect",
      "recoveryWindowDays",
      "replicas",
      "rotation",
      "tags",
      "value",
    ]);
    expect(secret.additionalProperties).toBe(false);
  });
});

describe("a secret's value, checked outside the schema library (manifestCheck + isValueForm)", () => {
  const union = secretSchema.shape.value.unwrap();

  it("accepts exactly what secretSchema's value union accepts", () => {
    const samples: unknown[] = [
      "",
      "x",
      0,
      -0,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2n ** 70n,
      true,
      null,
      undefined,
      [],
      [1, { a: 2 }],
      {},
      { a: 1 },
      Object.create(null),
      new Date(0),
      new Map(),
      new Uint8Array(2),
      () => 1,
      Symbol("s"),
    ];
    for (const v of samples) expect([v, isValueForm(v)]).toEqual([v, union.safeParse(v).success]);
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withNullPrototype: true, withDate: true, withMap: true }), (v) => {
        expect(isValueForm(v)).toBe(union.safeParse(v).success);
      }),
    );
  });

  it("reports a value of no accepted form where the union did, with its words", () => {
    const text = (v: string) =>
      `sopsync: 1\nscope: {id: s}\nsecrets:\n  a:\n    value: ${v}\n  b:\n    value: ok\n    bogus: 1\n`;
    for (const v of ["~", ".nan", ".inf", "-.inf"]) {
      expect(problems(text(v))).toEqual([
        "m.yaml:5:12: secrets.a.value: expected a string, number, boolean, mapping or list",
        "m.yaml:8:5: unknown key 'bogus' in secrets.b",
      ]);
    }
    expect(problems(text("{constructor: c}"))).toEqual(["m.yaml:8:5: unknown key 'bogus' in secrets.b"]);
  });
});

describe("checkManifest: zod is given only the secrets that are more than a value", () => {
  /** Data with every mapping as its own keys in order, so key order is compared too. */
  const ordered = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(ordered);
    if (x !== null && typeof x === "object") return Object.keys(x).map((k) => [k, ordered((x as never)[k])]);
    return typeof x === "bigint" ? `${x}n` : x;
  };
  const same = (data: unknown) => {
    const fast = checkManifest(data);
    const full = manifestCheck.safeParse(data);
    expect(fast.success).toBe(full.success);
    if (fast.success && full.success) expect(ordered(fast.data)).toEqual(ordered(full.data));
    else expect(fast.error?.issues).toEqual(full.error?.issues);
  };

  it("answers what manifestCheck answers: data in order when valid, the same issues when not", () => {
    const base = { sopsync: 1, scope: { id: "s" } };
    same({ ...base, secrets: { b: { value: "x" }, a: { value: { k: 1 } }, "2": { value: [1] }, "1": { value: 3n } } });
    same({ ...base, secrets: { a: { value: "x", tags: { t: "v" } }, b: { value: "y" } } });
    same({ ...base, secrets: { a: { value: Number.NaN }, b: { value: "y", bogus: 1 }, c: { value: "z" }, d: "no" } });
    same({ ...base, secrets: { a: { value: "x" } }, bogus: 1 });
    same({ ...base, secrets: null });
    same({ ...base, secrets: [{ value: "x" }] });
    same({ ...base, secrets: Object.assign(Object.create(null), { a: { value: "x" } }) });
    same("not a manifest");
    same({ ...base, secrets: JSON.parse('{"__proto__": {"value": "x"}, "a": {"value": "y"}, "b": {"value": "z", "x": 1}}') });
  });

  it("answers what manifestCheck answers for generated manifests (fast-check)", () => {
    const value = fc.oneof(
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(fc.string(), fc.integer()),
      fc.array(fc.integer()),
    );
    const secret = fc.oneof(
      value.map((v) => ({ value: v })),
      fc.record({ value, tags: fc.dictionary(fc.constantFrom("a", "b", "aws:x", ""), fc.constantFrom("v", "")) }),
      fc.record({ value, protect: fc.oneof(fc.boolean(), fc.constant("yes")) }),
      fc.record({ binary: fc.string() }),
      fc.constant({}),
      fc.constant("text"),
    );
    const manifest = fc.record({
      sopsync: fc.constantFrom(1, 2),
      scope: fc.constantFrom({ id: "s" }, { id: "" }),
      secrets: fc.dictionary(fc.constantFrom("a", "b", "c", "1", "toString", "x/y"), secret),
    });
    fc.assert(fc.property(manifest, same), { numRuns: 300 });
  });
});
