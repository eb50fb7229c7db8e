import { describe, expect, it } from "vitest";
import { problems, validate } from "./validate-text.js";

const head = "sopsync: 1\nscope:\n  id: test\n";

describe("values AWS refuses", () => {
  it("refuses an empty value and an empty binary, each at its position; a one-character value is fine", () => {
    expect(
      problems(`${head}secrets:
  a: { value: "" }
  b:
    value: ''
  c: { binary: "" }
  d: { binary: "  " }
  e: { value: x }
  f: { value: {} }
`),
    ).toEqual([
      "m.yaml:5:15: `value` is empty; Secrets Manager needs at least 1 character",
      "m.yaml:7:12: `value` is empty; Secrets Manager needs at least 1 character",
      "m.yaml:8:16: `binary` is empty; Secrets Manager needs at least 1 byte",
      "m.yaml:9:16: `binary` is empty; Secrets Manager needs at least 1 byte",
    ]);
  });
});

describe("a secret's own recovery window", () => {
  it("is marked as the secret's own only when the secret declares it", () => {
    const d = validate(`${head}defaults: { recoveryWindowDays: 9 }
secrets:
  a: { value: x, recoveryWindowDays: 21 }
  b: { value: x }
`);
    expect(d.secrets.map((s) => [s.name, s.recoveryWindowDays, s.recoveryWindowOwn ?? false])).toEqual([
      ["a", 21, true],
      ["b", 9, false],
    ]);
  });

  it("counts its tag against the 50 AWS allows", () => {
    const tags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "v"]));
    const yaml = JSON.stringify(tags);
    expect(validate(`${head}secrets:\n  a: { value: x, tags: ${yaml} }\n`).secrets).toHaveLength(1);
    expect(problems(`${head}secrets:\n  a: { value: x, recoveryWindowDays: 9, tags: ${yaml} }\n`)).toEqual([
      expect.stringMatching(
        /^m\.yaml:5:\d+: .*48 tags with defaults\.tags merged; at most 47 \(AWS allows 50 including sopsync's own\)$/,
      ),
    ]);
  });
});
