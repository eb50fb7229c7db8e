// Reading .sops.yaml creation rules as sops 3.11's config/config.go does (pure parsing, plus the
// upward lookup on a real folder tree), and the pure re-keying plan built from a rule.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { creationRuleFor, loadCreationRule, lookupConfigFile, pathForMatching } from "../../src/sops/creation-rules.js";
import type { KeyGroup, SopsMetadata } from "../../src/sops/metadata.js";
import { diffKeyGroups, exposures, planRekey } from "../../src/sops/rekey.js";
import { tempDir } from "./helpers.js";

// Syntactically valid age recipients (bech32 charset); no private key exists for them here.
const A = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const B = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";
const C = "age1yubikey1qwv7xwu3qd3n7ttshcl4t58ahhegf7fcy4p5q3hq9w0l4rwrtwsc3mwl2qr";
const D = "age1qwv7xwu3qd3n7ttshcl4t58ahhegf7fcy4p5q3hq9w0l4rwrtwsc3mwl2qr";
const KMS1 = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const KMS2 = "arn:aws:kms:us-east-1:123456789012:alias/sops";
const ROLE = "arn:aws:iam::123456789012:role/sops";
const CONFIG = "/repo/.sops.yaml";

const rule = (yaml: string, file = "/repo/secrets.yaml") => creationRuleFor(yaml, CONFIG, file);

describe("creation rules", () => {
  it("matches path_regex against the path relative to the config's folder, first match wins", () => {
    const yaml = `creation_rules:
  - path_regex: ^prod/.*\\.yaml$
    age: ${A}
  - path_regex: \\.yaml$
    age: ${B}
`;
    expect(rule(yaml, "/repo/prod/secrets.yaml")?.index).toBe(1);
    expect(rule(yaml, "/repo/dev/secrets.yaml")?.index).toBe(2);
    expect(rule(yaml, "/repo/secrets.json")).toBeUndefined();
    // Outside the config's folder the absolute path is matched (sops trims only its own folder).
    expect(pathForMatching(CONFIG, "/elsewhere/prod/x.yaml")).toBe("/elsewhere/prod/x.yaml");
    expect(rule(yaml, "/elsewhere/prod/x.yaml")?.index).toBe(2);
    // RE2 escapes a JavaScript `u` regexp rejects still match as in sops.
    expect(
      rule(`creation_rules:\n  - path_regex: ^secrets\\-prod\\.yaml$\n    age: ${A}\n`, "/repo/secrets-prod.yaml")?.index,
    ).toBe(1);
    // An unanchored regexp matches anywhere, like Go's MatchString.
    expect(rule(`creation_rules:\n  - path_regex: cret\n    age: ${A}\n`)?.index).toBe(1);
  });

  it("a rule without path_regex matches every file", () => {
    expect(rule(`creation_rules:\n  - age: ${A}\n`)?.keyGroups).toEqual([[{ kind: "age", recipient: A, enc: "" }]]);
  });

  it("age and kms as comma-separated strings (blanks skipped) or lists; ARN+role; aws_profile", () => {
    const fromString = rule(`creation_rules:
  - age: " ${A} , ${B},"
    kms: "${KMS1}+${ROLE}, ${KMS2}"
    aws_profile: prod
`);
    const fromList = rule(`creation_rules:
  - age: [${A}, ${B}]
    kms:
      - ${KMS1}+${ROLE}
      - ${KMS2}
    aws_profile: prod
`);
    const expected: KeyGroup[] = [
      [
        { kind: "age", recipient: A, enc: "" },
        { kind: "age", recipient: B, enc: "" },
        { kind: "kms", arn: KMS1, role: ROLE, enc: "", aws_profile: "prod" },
        { kind: "kms", arn: KMS2, enc: "", aws_profile: "prod" },
      ],
    ];
    expect(fromString?.keyGroups).toEqual(expected);
    expect(fromList?.keyGroups).toEqual(expected);
  });

  it("key_groups with kms context, role and profile, merge, duplicates dropped, shamir_threshold", () => {
    const r = rule(`creation_rules:
  - shamir_threshold: 2
    key_groups:
      - age: [${A}, ${A}]
        kms:
          - arn: ${KMS1}
            role: ${ROLE}
            context: { app: sopsync, env: prod }
            aws_profile: ops
      - merge:
          - age: ["${B}"]
          - kms: [{ arn: ${KMS2} }]
`);
    expect(r?.shamirThreshold).toBe(2);
    expect(r?.keyGroups).toEqual([
      [
        { kind: "age", recipient: A, enc: "" },
        { kind: "kms", arn: KMS1, enc: "", role: ROLE, context: { app: "sopsync", env: "prod" }, aws_profile: "ops" },
      ],
      [
        { kind: "age", recipient: B, enc: "" },
        { kind: "kms", arn: KMS2, enc: "" },
      ],
    ]);
  });

  it("names what sopsync cannot encrypt for instead of dropping it", () => {
    expect(() => rule(`creation_rules:\n  - pgp: ABCDEF\n    age: ${A}\n`)).toThrow(/pgp keys, which sopsync cannot encrypt for/);
    expect(() => rule(`creation_rules:\n  - key_groups:\n      - gcp_kms: [{ resource_id: x }]\n`)).toThrow(/gcp_kms/);
    expect(() => rule(`creation_rules:\n  - age: ${C}\n`)).toThrow(/not an age X25519 recipient/);
  });

  it("rejects configs sops rejects, with the config's path", () => {
    expect(() => rule("stores: {}\n")).toThrow(`${CONFIG} does not contain any creation rule`);
    expect(() => rule(`creation_rules:\n  - path_regex: "("\n    age: ${A}\n`)).toThrow(/not a valid regexp/);
    expect(() => rule(`creation_rules:\n  - age: [1, 2]\n`)).toThrow(/invalid config at creation_rules.0.age/);
    expect(() => rule("creation_rules:\n  - path_regex: x\n", "/repo/x")).toThrow(/no age or kms keys/);
    expect(() => rule(`creation_rules:\n  - key_groups:\n      - age: [${A}]\n      - {}\n`)).toThrow(/an empty key group/);
  });

  it("finds .sops.yaml in a parent folder, warns about a .sops.yml, and takes --config / SOPS_CONFIG first", async () => {
    const root = tempDir("sopsync-rules-");
    const deep = join(root, "a", "b");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(root, ".sops.yaml"), `creation_rules:\n  - path_regex: ^a/b/s\\.yaml$\n    age: ${A}\n`);
    writeFileSync(join(root, "a", ".sops.yml"), "creation_rules: []\n");
    const found = await lookupConfigFile(deep);
    expect(found.path).toBe(join(root, ".sops.yaml"));
    expect(found.warning).toContain(".sops.yml");

    const viaLookup = await loadCreationRule("s.yaml", { cwd: deep, env: {} });
    expect(viaLookup.rule?.keyGroups).toEqual([[{ kind: "age", recipient: A, enc: "" }]]);
    expect(viaLookup.matchedPath).toBe("a/b/s.yaml");

    const other = join(root, "other.yaml");
    writeFileSync(other, `creation_rules:\n  - age: ${B}\n`);
    const viaEnv = await loadCreationRule("s.yaml", { cwd: deep, env: { SOPS_CONFIG: other } });
    expect(viaEnv.rule?.keyGroups[0]?.[0]).toMatchObject({ recipient: B });
    const viaFlag = await loadCreationRule("s.yaml", { cwd: deep, configPath: "../../.sops.yaml", env: { SOPS_CONFIG: other } });
    expect(viaFlag.rule?.keyGroups[0]?.[0]).toMatchObject({ recipient: A });
  });
});

describe("re-keying plan", () => {
  const age = (recipient: string) => ({ kind: "age" as const, recipient, enc: "" });
  const meta = (keyGroups: KeyGroup[], shamirThreshold = 0): SopsMetadata => ({
    keyGroups,
    usesKeyGroups: keyGroups.length > 1,
    shamirThreshold,
    lastModified: "2024-01-01T00:00:00Z",
    mac: "",
    macOnlyEncrypted: false,
    version: "3.11.0",
    rule: { kind: "unencrypted_suffix", value: "_unencrypted" },
  });

  it("diffs group by group; order inside a group is no change", () => {
    expect(diffKeyGroups([[age(A), age(B)]], [[age(B), age(A)]])).toEqual([{ common: [age(B), age(A)], added: [], removed: [] }]);
    expect(
      planRekey(meta([[{ ...age(A), enc: "x" }, age(B)]]), { keyGroups: [[age(B), age(A)]], shamirThreshold: 0 }).changed,
    ).toBe(false);
    const p = planRekey(meta([[age(A), age(B)]]), { keyGroups: [[age(A), age(D)]], shamirThreshold: 0 });
    expect(p.changed).toBe(true);
    expect(p.diffs[0]?.removed).toEqual([age(B)]);
  });

  it("a KMS key with another encryption context, role or profile is another recipient", () => {
    const k = { kind: "kms" as const, arn: KMS1, enc: "" };
    for (const other of [
      { ...k, context: { app: "x" } },
      { ...k, role: ROLE },
      { ...k, aws_profile: "p" },
    ]) {
      expect(planRekey(meta([[k]]), { keyGroups: [[other]], shamirThreshold: 0 }).changed).toBe(true);
    }
    expect(
      planRekey(meta([[{ ...k, created_at: "2024-01-01T00:00:00Z" }]]), { keyGroups: [[k]], shamirThreshold: 0 }).changed,
    ).toBe(false);
  });

  it("threshold: the rule's when set, else the file's, at most the number of groups; a change alone is a change", () => {
    const file = meta([[age(A)], [age(B)], [age(C)]], 2);
    const same = { keyGroups: file.keyGroups, shamirThreshold: 0 };
    expect(planRekey(file, same)).toMatchObject({ changed: false, thresholdBefore: 2, thresholdAfter: 2 });
    expect(planRekey(file, { ...same, shamirThreshold: 3 })).toMatchObject({ changed: true, thresholdAfter: 3 });
    expect(planRekey(file, { keyGroups: [[age(A)], [age(B)]], shamirThreshold: 5 }).thresholdAfter).toBe(2);
    expect(planRekey(file, { keyGroups: [[age(A)]], shamirThreshold: 0 }).thresholdAfter).toBe(0);
    expect(() => planRekey(meta([[age(A)]]), { keyGroups: [[age(A)], [age(B)]], shamirThreshold: 1 })).toThrow(/at least 2/);
  });

  it("exposure: a key in one group of a Shamir file holds one share; in enough groups, the whole key", () => {
    const single = meta([[age(A), age(B)]]);
    expect(exposures(single, [age(B)])).toEqual([{ key: age(B), groupsHeld: 1, needed: 1 }]);
    const shamir = meta([[age(A)], [age(B), age(C)], [age(C)]], 2);
    expect(exposures(shamir, [age(B), age(C), age(C)])).toEqual([
      { key: age(B), groupsHeld: 1, needed: 2 },
      { key: age(C), groupsHeld: 2, needed: 2 },
    ]);
  });
});
