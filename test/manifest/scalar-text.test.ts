// A scalar `value` becomes the SecretString `sops decrypt --extract` prints for it: the text yaml.v3
// gives the value sops decoded (7 for 007, 1e-07 for 1e-7, 2024-01-02T00:00:00Z for 2024-01-02), not
// the spelling and not JavaScript's number text. Checked against the real sops on named and generated
// spellings, encrypted (the usual `^(value|binary)$` rule) and in one batch per sops call.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { isMap, isScalar, parseDocument, Scalar } from "yaml";
import { loadManifest } from "../../src/manifest/load.js";
import { toStoredValue } from "../../src/manifest/values.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sops, sopsEncryptFile, tempDir } from "../sops/helpers.js";
import { problems } from "./validate-text.js";

const NAMED = [
  "007",
  "0777",
  "0o17",
  "0x1F",
  "0b101",
  "1_000",
  "+12",
  "-0",
  "9223372036854775807",
  "1.50",
  "1.0",
  "-0.0",
  "0.1",
  ".5",
  "1.",
  "1e3",
  "1E-7",
  "1e21",
  "1e-4",
  "1e-5",
  "123456789.123456789",
  "999999.0",
  "1000000.0",
  "1234567.0",
  "3.14159265358979",
  "5e-324",
  "1.7976931348623157e308",
  "1e-400",
  "true",
  "True",
  "FALSE",
  "yes",
  "off",
  "~x",
  "2024-01-02",
  "2024-1-2",
  "2024-01-02T03:04:05Z",
  "2024-01-02 03:04:05",
  "2024-01-02T03:04:05.120+02:00",
  "2024-01-02T03:04:05",
  "1.7976931348623157e309",
  "0x",
  "08",
  "09.5",
  "1:30",
  "abc",
  "'quoted 007'",
  '"1.50"',
];

/** Each spelling as its own secret; returns the file and the names in order. */
function manifest(spellings: readonly string[]): string {
  const secrets = spellings.map((s, i) => `  s${i}:\n    value: ${s}\n`).join("");
  return `sopsync: 1\nscope: { id: text }\nsecrets:\n${secrets}`;
}

/** What `sops decrypt` prints for each secret's value: the plain text of a plain scalar, else the string. */
function sopsTexts(path: string, dir: string, key: AgeKey): string[] {
  const r = sops(["decrypt", path], { cwd: dir, env: { SOPS_AGE_KEY_FILE: key.file } });
  if (r.status !== 0) throw new Error(`sops decrypt failed: ${r.stderr}`);
  const secrets = parseDocument(r.stdout).get("secrets", true);
  if (!isMap(secrets)) throw new Error("no secrets in sops output");
  return secrets.items.map((pair) => {
    const value = (pair.value as { get(k: string, keep: true): unknown }).get("value", true);
    if (!isScalar(value)) throw new Error("value is not a scalar");
    return value.type === Scalar.PLAIN ? String(value.source) : String(value.value);
  });
}

describe("a scalar value's SecretString is what sops decrypt --extract prints", () => {
  let dir: string;
  let key: AgeKey;

  beforeAll(() => {
    dir = tempDir();
    key = generateAgeKey(dir);
  });

  async function compare(spellings: readonly string[], file: string): Promise<void> {
    const path = sopsEncryptFile(dir, file, manifest(spellings), [
      "--age",
      key.recipient,
      "--encrypted-regex",
      "^(value|binary)$",
    ]);
    const expected = sopsTexts(path, dir, key);
    const desired = await loadManifest(path, { env: { SOPS_AGE_KEY_FILE: key.file, HOME: dir } });
    const byName = new Map(desired.secrets.map((s) => [s.name, toStoredValue(s.value).string]));
    const got = spellings.map((_, i) => byName.get(`s${i}`));
    const rows = spellings.map((s, i) => ({ spelling: s, sops: expected[i], sopsync: got[i] }));
    expect(rows.filter((r) => r.sops !== r.sopsync)).toEqual([]);
  }

  it("named spellings: leading zeros, bases, underscores, float forms and exponents, bools, timestamps", async () => {
    await compare(NAMED, "named.yaml");
  });

  it("one sample check: 1e-7 is 1e-07 and 007 is 7, as Go prints them", async () => {
    const path = sopsEncryptFile(dir, "two.yaml", manifest(["1e-7", "007"]), ["--age", key.recipient]);
    const extract = (n: string) =>
      sops(["decrypt", "--extract", `["secrets"]["${n}"]["value"]`, path], {
        cwd: dir,
        env: { SOPS_AGE_KEY_FILE: key.file },
      }).stdout.trimEnd();
    expect([extract("s0"), extract("s1")]).toEqual(["1e-07", "7"]);
    const desired = await loadManifest(path, { env: { SOPS_AGE_KEY_FILE: key.file, HOME: dir } });
    expect(desired.secrets.map((s) => toStoredValue(s.value).string)).toEqual(["1e-07", "7"]);
  });

  it("generated numbers in many spellings (fast-check), one sops call per batch", async () => {
    const spelling = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => String(v)),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v.toExponential()),
      fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((v) => v.toFixed(3)),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map((v) => `${v}.0`),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => v.toString()),
      fc.nat({ max: 0o7777 }).map((v) => `0${v.toString(8)}`),
      fc.nat().map((v) => `0x${v.toString(16)}`),
    );
    const batches = fc.sample(fc.array(spelling, { minLength: 150, maxLength: 200 }), { numRuns: 4, seed: 13 });
    for (const [i, batch] of batches.entries()) await compare(batch, `generated-${i}.yaml`);
  });

  it("an unquoted policy Version (a timestamp to yaml.v3) is a validation error with the fix, not an AWS refusal", async () => {
    const text = `sopsync: 1\nscope: { id: text }\nsecrets:\n  a:\n    value: x\n    policy:\n      Version: 2012-10-17\n      Statement: []\n`;
    const path = sopsEncryptFile(dir, "policy.yaml", text, ["--age", key.recipient, "--encrypted-regex", "^(value|binary)$"]);
    const err = await loadManifest(path, { env: { SOPS_AGE_KEY_FILE: key.file, HOME: dir } }).catch((e) => e);
    expect(err.code).toBe("MANIFEST_INVALID");
    // The position is the encrypted file's, where sops put the key.
    expect(err.message).toContain(
      `${path}:8:22: secrets.a: policy Version 2012-10-17 unquoted is read as a timestamp (YAML, as sops reads it); quote it: Version: "2012-10-17"`,
    );
    const quoted = text.replace("Version: 2012-10-17", 'Version: "2012-10-17"');
    const ok = sopsEncryptFile(dir, "policy-ok.yaml", quoted, ["--age", key.recipient, "--encrypted-regex", "^(value|binary)$"]);
    const desired = await loadManifest(ok, { env: { SOPS_AGE_KEY_FILE: key.file, HOME: dir } });
    expect(desired.secrets[0]?.policy).toEqual({ Version: "2012-10-17", Statement: [] });
  });

  it("any other policy Version is named with the two the policy language knows", () => {
    expect(
      problems(`sopsync: 1\nscope: { id: t }\nsecrets:\n  a:\n    value: x\n    policy: { Version: "2012-10-18" }\n`),
    ).toEqual(['m.yaml:6:24: secrets.a: policy Version must be "2012-10-17" or "2008-10-17"']);
  });
});
