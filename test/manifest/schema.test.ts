// The shipped JSON Schema is generated from the validator's own definition and must be current.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { manifestJsonSchemaText } from "../../src/manifest/json-schema.js";
import { isValueForm, secretSchema } from "../../src/manifest/schema.js";
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
