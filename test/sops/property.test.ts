// Property: random documents encrypted by sopsync decrypt back to the same data, and the reference
// sops agrees on a sample of them.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { formatGoFloat } from "../../src/sops/gofmt.js";
import { decryptText } from "../../src/sops/index.js";
import { encryptText } from "../../src/sops/encrypt.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { dataOf, normalise, sopsDecryptData, tempDir } from "./helpers.js";

const key = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" }).filter((k) => k !== "sops" && !k.includes("\n"));
const scalar = fc.oneof(
  fc.string({ maxLength: 40, unit: "grapheme" }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double({ min: -1e15, max: 1e15, noNaN: true }).filter((d) => !Object.is(d, -0)),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("list"), tie("map")),
  list: fc.array(tie("node"), { maxLength: 4 }),
  map: fc.dictionary(key, tie("node"), { maxKeys: 4 }),
})).node;
const documentArb = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6 });

// Strings and keys are double-quoted so the YAML text means the same to yaml and to Go's yaml.v3.
const toYaml = (doc: unknown) =>
  stringify(doc, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "QUOTE_DOUBLE", lineWidth: 0 });

describe("property: sopsync round trip", () => {
  let age: AgeKey;
  let env: Record<string, string>;

  beforeAll(() => {
    age = generateAgeKey(tempDir());
    env = { SOPS_AGE_KEY: age.identity };
  });

  const keyGroups = () => [[{ kind: "age" as const, recipient: age.recipient, enc: "" }]];

  it("decrypts back to the same data", async () => {
    await fc.assert(
      fc.asyncProperty(documentArb, async (doc) => {
        const text = await encryptText(toYaml(doc), "p.yaml", { keyGroups: keyGroups() });
        const got = await decryptText(text, "p.yaml", { env });
        expect(dataOf(got.documents)).toEqual([normalise(doc)]);
      }),
      { numRuns: 40 },
    );
  });

  it("sops -d agrees on a sample", async () => {
    const dir = tempDir();
    const samples = fc.sample(documentArb, { numRuns: 6, seed: 42 });
    for (const [i, doc] of samples.entries()) {
      const path = join(dir, `s${i}.yaml`);
      writeFileSync(path, await encryptText(toYaml(doc), path, { keyGroups: keyGroups() }));
      const ours = await decryptText(readFileSync(path, "utf8"), path, { env });
      expect(sopsDecryptData(path, dir, env)).toEqual(dataOf(ours.documents));
    }
  });

  it("formats floats like Go's strconv.FormatFloat(v, 'f', -1, 64)", () => {
    expect(formatGoFloat(1500)).toBe("1500");
    expect(formatGoFloat(0.1)).toBe("0.1");
    expect(formatGoFloat(1e21)).toBe("1000000000000000000000");
    expect(formatGoFloat(1e-7)).toBe("0.0000001");
    expect(formatGoFloat(-2.5e-3)).toBe("-0.0025");
    expect(formatGoFloat(123456789.125)).toBe("123456789.125");
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        expect(Object.is(Number(formatGoFloat(d)), d)).toBe(true);
        expect(formatGoFloat(d)).not.toMatch(/e/i);
      }),
      { numRuns: 300 },
    );
  });
});
