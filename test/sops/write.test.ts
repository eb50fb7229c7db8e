// Files written by sopsync open in sops (MAC verified), and updates keep unchanged ciphertexts.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/sops/index.js";
import { encryptText } from "../../src/sops/encrypt.js";
import { parseTyped, setSecret, setSecretValue, updateFile } from "../../src/sops/write.js";
import { type Document, parseDocument } from "yaml";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { ALL_TYPES_YAML, CANARY, COMMENT_RULES_YAML, JSON_DOC, MANIFEST_YAML, MULTI_DOC_YAML } from "./fixtures.js";
import { dataOf, sops, sopsDecryptData, sopsEncryptFile, tempDir } from "./helpers.js";

const encLines = (text: string) => text.split("\n").filter((l) => l.includes("ENC[") && !/^\s*mac:/.test(l));

describe("sopsync-written files", () => {
  let dir: string;
  let keys: AgeKey[];
  let env: Record<string, string>;

  beforeAll(() => {
    dir = tempDir();
    keys = [generateAgeKey(dir), generateAgeKey(dir), generateAgeKey(dir)];
    env = { SOPS_AGE_KEY: keys.map((k) => k.identity).join("\n") };
  });

  const ageGroup = (ks: AgeKey[]) => ks.map((k) => ({ kind: "age" as const, recipient: k.recipient, enc: "" }));

  const cases: [
    string,
    string,
    string,
    Parameters<typeof encryptText>[2] | ((k: AgeKey[]) => Parameters<typeof encryptText>[2]),
  ][] = [
    ["all types", "all.yaml", ALL_TYPES_YAML, (k) => ({ keyGroups: [ageGroup([k[0]!])] })],
    ["JSON", "doc.json", JSON_DOC, (k) => ({ keyGroups: [ageGroup([k[0]!])] })],
    [
      "encrypted_regex",
      "m.yaml",
      MANIFEST_YAML,
      (k) => ({ keyGroups: [ageGroup([k[0]!])], rule: { kind: "encrypted_regex", value: "^(value|binary)$" } }),
    ],
    [
      "mac_only_encrypted",
      "mo.yaml",
      MANIFEST_YAML,
      (k) => ({
        keyGroups: [ageGroup([k[0]!])],
        rule: { kind: "encrypted_regex", value: "^(value|binary)$" },
        macOnlyEncrypted: true,
      }),
    ],
    [
      "encrypted_comment_regex",
      "ecr.yaml",
      COMMENT_RULES_YAML,
      (k) => ({ keyGroups: [ageGroup([k[0]!])], rule: { kind: "encrypted_comment_regex", value: "sops:enc" } }),
    ],
    ["multi-document", "multi.yaml", MULTI_DOC_YAML, (k) => ({ keyGroups: [ageGroup(k)] })],
    ["Shamir 2 of 3", "shamir.yaml", ALL_TYPES_YAML, (k) => ({ keyGroups: k.map((x) => ageGroup([x])), shamirThreshold: 2 })],
  ];

  for (const [name, file, plaintext, options] of cases) {
    it(`${name}: sops -d reads it and agrees with sopsync`, async () => {
      const path = join(tempDir(), file);
      writeFileSync(path, await encryptText(plaintext, file, typeof options === "function" ? options(keys) : options));
      const expected = sopsDecryptData(path, dir, env);
      expect(dataOf((await decryptFile(path, { env })).documents)).toEqual(expected);
      // The plaintext itself, read by sops, gives the same data (types preserved through encryption).
      const plainPath = join(tempDir(), file);
      writeFileSync(plainPath, plaintext);
      const plainView = sops(["decrypt", "--input-type", file.endsWith(".json") ? "json" : "yaml", plainPath], { cwd: dir, env });
      expect(plainView.status).not.toBe(0); // sops refuses plaintext; compare against our own reading instead
    });
  }

  it("set changes exactly one value: other ciphertexts and comments stay byte-identical", async () => {
    const caseDir = tempDir();
    const path = sopsEncryptFile(caseDir, "secrets.yaml", `# keep me\n${MANIFEST_YAML}`, [
      "--age",
      keys[0]!.recipient,
      "--encrypted-regex",
      "^(value|binary)$",
    ]);
    const before = readFileSync(path, "utf8");
    await setSecret(path, "prod/api-token", undefined, `${CANARY}-new`, { env });
    const after = readFileSync(path, "utf8");
    const changed = encLines(after).filter((l) => !encLines(before).includes(l));
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/^\s+value: ENC\[/);
    expect(after).not.toContain(CANARY);
    expect(after.startsWith("# keep me\n")).toBe(true);
    const data = sopsDecryptData(path, dir, env)[0] as { secrets: Record<string, { value: unknown }> };
    expect(data.secrets["prod/api-token"]!.value).toBe(`${CANARY}-new`);
    expect(data.secrets["prod/db"]!.value).toEqual({ username: "app", password: CANARY, port: 5432 });
  });

  it("set with KEY sets one key of a mapping value and can create a new secret", async () => {
    const caseDir = tempDir();
    const path = sopsEncryptFile(caseDir, "secrets.yaml", MANIFEST_YAML, [
      "--age",
      keys[0]!.recipient,
      "--encrypted-regex",
      "^(value|binary)$",
    ]);
    await setSecret(path, "prod/db", "password", "rotated", { env });
    await setSecret(path, "prod/new", "api_key", "k1", { env });
    const data = sopsDecryptData(path, dir, env)[0] as { secrets: Record<string, { value: unknown; description?: string }> };
    expect(data.secrets["prod/db"]!.value).toEqual({ username: "app", password: "rotated", port: 5432 });
    expect(data.secrets["prod/db"]!.description).toBe("Primary database");
    expect(data.secrets["prod/new"]!.value).toEqual({ api_key: "k1" });
  });

  it("an unchanged rewrite keeps every ciphertext, including comments and floats", async () => {
    const caseDir = tempDir();
    const path = sopsEncryptFile(caseDir, "all.yaml", ALL_TYPES_YAML, ["--age", keys[0]!.recipient]);
    const before = readFileSync(path, "utf8");
    await updateFile(path, () => undefined, { env });
    const after = readFileSync(path, "utf8");
    const beforeLines = encLines(before).map((l) => l.replace(/^[\s-]+/, "").replace(/^#/, ""));
    const afterLines = new Set(encLines(after).map((l) => l.replace(/^[\s-]+/, "").replace(/^#/, "")));
    for (const l of beforeLines) expect(afterLines.has(l)).toBe(true);
    expect(sopsDecryptData(path, dir, env)).toEqual(dataOf((await decryptFile(path, { env })).documents));
  });
});

describe("setSecretValue and parseTyped (no file)", () => {
  const doc = (text: string) => parseDocument(text, { intAsBigInt: false }) as unknown as Document;

  it("strings yaml.v3 would read as another type are written quoted, so sops reads them back as strings", () => {
    const d = doc("secrets:\n  prod/x:\n");
    for (const [k, v] of [
      ["date", "2024-01-02"],
      ["octal", "0777"],
      ["num", "5432"],
      ["bool", "true"],
      ["plain", "abc"],
    ])
      setSecretValue(d, "prod/x", k, { kind: "text", text: v as string }, "f");
    expect(d.toString()).toBe(
      'secrets:\n  prod/x:\n    value:\n      date: "2024-01-02"\n      octal: "0777"\n      num: "5432"\n      bool: "true"\n      plain: abc\n',
    );
  });

  it("an existing key keeps its type; --type overrides; value and binary replace each other", () => {
    const d = doc("secrets:\n  prod/x:\n    value:\n      port: 5432\n      on: true\n      list: [1]\n");
    expect(setSecretValue(d, "prod/x", "port", "5555", "f").type).toBe("number");
    expect(setSecretValue(d, "prod/x", "on", "false", "f").type).toBe("bool");
    expect(setSecretValue(d, "prod/x", "list", "[2, 3]", "f").type).toBe("json");
    expect(d.toJS().secrets["prod/x"].value).toEqual({ port: 5555, on: false, list: [2, 3] });
    expect(setSecretValue(d, "prod/x", "port", { kind: "text", text: "5555", type: "string" }, "f").type).toBe("string");
    expect(d.toJS().secrets["prod/x"].value.port).toBe("5555");
    const bin = setSecretValue(d, "prod/x", undefined, { kind: "binary", bytes: new Uint8Array([1, 2, 255]) }, "f");
    expect(bin).toEqual({ path: ["secrets", "prod/x", "binary"], type: "binary", replaced: "value" });
    expect(d.toJS().secrets["prod/x"]).toEqual({ binary: "AQL/" });
    expect(setSecretValue(d, "prod/x", undefined, "back", "f").replaced).toBe("binary");
    expect(d.toJS().secrets["prod/x"]).toEqual({ value: "back" });
  });

  it("parseTyped accepts each type's forms and names the type, never the value, when it cannot", () => {
    expect(parseTyped("  12 \n", "number", "w")).toBe(12);
    expect(parseTyped("-1.5e3", "number", "w")).toBe(-1500);
    expect(parseTyped("9223372036854775807", "number", "w")).toBe(9223372036854775807n);
    expect(parseTyped("true\n", "bool", "w")).toBe(true);
    expect(parseTyped(' {"a":[1,"x"],"big":12345678901234567890} ', "json", "w")).toEqual({
      a: [1, "x"],
      big: 12345678901234567890n,
    });
    expect(parseTyped(" keep \n", "string", "w")).toBe(" keep \n");
    for (const [text, type, message] of [
      ["0x1F", "number", /w: the value is not a number \(type number/],
      ["1e400", "number", /not a number/],
      ["9223372036854775808", "number", /at most 64-bit integers/],
      ["yes", "bool", /not a bool \(type bool: true or false\)/],
      [`{${CANARY}}`, "json", /not valid JSON \(type json\)/],
    ] as const) {
      expect(() => parseTyped(text, type, "w")).toThrow(message);
      try {
        parseTyped(text, type, "w");
      } catch (e) {
        expect((e as Error).message).not.toContain(text);
      }
    }
  });
});
