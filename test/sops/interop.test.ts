// Files written by the reference sops binary decrypt in sopsync to exactly what `sops -d` prints.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SopsyncError } from "../../src/errors.js";
import { decryptFile } from "../../src/sops/index.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { ALL_TYPES_YAML, CANARY, COMMENT_RULES_YAML, JSON_DOC, MANIFEST_YAML, MULTI_DOC_YAML } from "./fixtures.js";
import { dataOf, sopsDecryptData, sopsEncryptFile, tempDir } from "./helpers.js";

interface Case {
  name: string;
  file: string;
  plaintext: string;
  args: (keys: AgeKey[]) => string[];
  /** sops.yaml content when the case needs key groups. */
  config?: (keys: AgeKey[]) => string;
  expectInMetadata?: string[];
}

const age = (keys: AgeKey[]) => ["--age", keys[0]!.recipient];

const rule = (extra: string) => (k: AgeKey[]) => `creation_rules:\n  - age: ${k[0]!.recipient}\n    ${extra}\n`;

const CASES: Case[] = [
  { name: "all value types (YAML)", file: "all.yaml", plaintext: ALL_TYPES_YAML, args: age },
  { name: "JSON", file: "doc.json", plaintext: JSON_DOC, args: age },
  {
    name: "encrypted_regex",
    file: "manifest.yaml",
    plaintext: MANIFEST_YAML,
    args: (k) => [...age(k), "--encrypted-regex", "^(value|binary)$"],
    expectInMetadata: ["encrypted_regex"],
  },
  {
    name: "unencrypted_regex",
    file: "ur.yaml",
    plaintext: ALL_TYPES_YAML,
    args: (k) => [...age(k), "--unencrypted-regex", "^(description|region)$"],
    expectInMetadata: ["unencrypted_regex"],
  },
  {
    name: "encrypted_suffix",
    file: "es.yaml",
    plaintext: "db_secret:\n  a: 1\n  b: [x, y]\nopen: 2\nother_secret: s\n",
    args: (k) => [...age(k), "--encrypted-suffix", "_secret"],
    expectInMetadata: ["encrypted_suffix: _secret"],
  },
  {
    name: "custom unencrypted_suffix",
    file: "us.yaml",
    plaintext: "a_plain: 1\nb: 2\nnest_plain:\n  x: y\n",
    args: (k) => [...age(k), "--unencrypted-suffix", "_plain"],
    expectInMetadata: ["unencrypted_suffix: _plain"],
  },
  // These three rules exist only in .sops.yaml creation rules (sops ignores unknown flags after the subcommand).
  {
    name: "encrypted_comment_regex",
    file: "ecr.yaml",
    plaintext: COMMENT_RULES_YAML,
    args: () => [],
    config: rule("encrypted_comment_regex: sops:enc"),
    expectInMetadata: ["encrypted_comment_regex: sops:enc"],
  },
  {
    name: "unencrypted_comment_regex",
    file: "ucr.yaml",
    plaintext: COMMENT_RULES_YAML,
    args: () => [],
    config: rule("unencrypted_comment_regex: sops:enc"),
    expectInMetadata: ["unencrypted_comment_regex: sops:enc"],
  },
  {
    name: "mac_only_encrypted",
    file: "mac-only.yaml",
    plaintext: MANIFEST_YAML,
    args: () => [],
    config: rule('encrypted_regex: "^(value|binary)$"\n    mac_only_encrypted: true'),
    expectInMetadata: ["mac_only_encrypted: true"],
  },
  {
    // RE2 accepts escaped punctuation that a JavaScript `u` regexp rejects.
    name: "encrypted_regex with an RE2-only escape (\\-)",
    file: "re2-escape.yaml",
    plaintext: MANIFEST_YAML,
    args: () => [],
    config: rule("encrypted_regex: '^(val\\-?ue|binary)$'"),
    expectInMetadata: ["encrypted_regex: ^(val\\-?ue|binary)$"],
  },
  { name: "multi-document YAML", file: "multi.yaml", plaintext: MULTI_DOC_YAML, args: age },
  {
    name: "several age recipients",
    file: "multi-recipient.yaml",
    plaintext: MANIFEST_YAML,
    args: (k) => ["--age", k.map((x) => x.recipient).join(",")],
  },
  {
    name: "two key groups with Shamir threshold 2 of 3",
    file: "shamir.yaml",
    plaintext: ALL_TYPES_YAML,
    args: () => [],
    expectInMetadata: ["shamir_threshold: 2", "key_groups"],
    config: (k) =>
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n${k.map((x) => `      - age: [${x.recipient}]\n`).join("")}`,
  },
];

describe("sops-written files decrypt to what sops -d prints", () => {
  let dir: string;
  let keys: AgeKey[];
  let allKeysEnv: Record<string, string>;
  const paths = new Map<string, string>();

  beforeAll(() => {
    dir = tempDir();
    keys = [generateAgeKey(dir), generateAgeKey(dir), generateAgeKey(dir)];
    allKeysEnv = { SOPS_AGE_KEY: keys.map((k) => k.identity).join("\n") };
    for (const c of CASES) {
      const caseDir = tempDir();
      if (c.config) writeFileSync(join(caseDir, ".sops.yaml"), c.config(keys));
      const path = sopsEncryptFile(caseDir, c.file, c.plaintext, c.args(keys));
      const text = readFileSync(path, "utf8");
      // Guard against sops silently ignoring an option: the rule must be recorded in the metadata.
      for (const marker of c.expectInMetadata ?? []) expect(text).toContain(marker);
      paths.set(c.name, path);
    }
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const path = paths.get(c.name)!;
      const expected = sopsDecryptData(path, dir, allKeysEnv);
      const got = await decryptFile(path, { env: allKeysEnv });
      expect(dataOf(got.documents)).toEqual(expected);
      expect(got.format).toBe(c.file.endsWith(".json") ? "json" : "yaml");
    });
  }

  it("keeps int64 precision and Go value types", async () => {
    const got = await decryptFile(paths.get("all value types (YAML)")!, { env: allKeysEnv });
    const value = got.documents[0]!.getIn(["secrets", "prod/db", "value"], true) as { toJS(): Record<string, unknown> };
    const v = (got.documents[0]!.toJS() as { secrets: Record<string, { value: Record<string, unknown> }> }).secrets["prod/db"]!
      .value;
    expect(value).toBeTruthy();
    expect(v.huge).toBe(9223372036854775807n);
    expect(v.port).toBe(5432);
    expect(v.exp).toBe(1500);
    expect(v.when).toBe("2024-01-02T00:00:00Z");
    expect(v.stamp).toBe("2024-03-04T05:06:07.5+02:00");
    expect(v.quoted_number).toBe("5432");
    expect(v["2024"]).toBe("numeric-looking key");
  });

  it("node ranges point into the original encrypted text", async () => {
    const got = await decryptFile(paths.get("encrypted_regex")!, { env: allKeysEnv });
    const node = got.documents[0]!.getIn(["secrets", "prod/db", "value", "password"], true) as {
      range: [number, number, number];
    };
    expect(got.text.slice(node.range[0], node.range[1])).toMatch(/^ENC\[AES256_GCM,/);
  });

  it("decrypts with any single recipient's key, every identity tried", async () => {
    const path = paths.get("several age recipients")!;
    for (const k of keys) {
      const env = { SOPS_AGE_KEY: `${generateAgeKey(dir).identity}\n${k.identity}` };
      await expect(decryptFile(path, { env })).resolves.toBeTruthy();
    }
  });

  it("Shamir: any 2 of the 3 groups suffice, 1 does not", async () => {
    const path = paths.get("two key groups with Shamir threshold 2 of 3")!;
    await expect(
      decryptFile(path, { env: { SOPS_AGE_KEY: `${keys[0]!.identity}\n${keys[2]!.identity}` } }),
    ).resolves.toBeTruthy();
    const err = await decryptFile(path, { env: { SOPS_AGE_KEY: keys[1]!.identity } }).catch((e) => e);
    expect(err).toBeInstanceOf(SopsyncError);
    expect(err.code).toBe("SOPS_DECRYPT");
    expect(err.message).toContain("need 2 of 3");
  });

  it("no key that fits: names the file and the recipients it expects", async () => {
    const path = paths.get("all value types (YAML)")!;
    const stranger = generateAgeKey(dir);
    const err = await decryptFile(path, { env: { SOPS_AGE_KEY: stranger.identity } }).catch((e) => e);
    expect(err.code).toBe("SOPS_DECRYPT");
    expect(err.message).toContain(path);
    expect(err.message).toContain(keys[0]!.recipient);
    expect(err.message).not.toContain(CANARY);
    expect(err.message).not.toContain(stranger.identity);
  });
});
