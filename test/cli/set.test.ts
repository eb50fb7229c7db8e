// `sopsync set` as a user runs it, checked by the reference sops: values the file's rule would leave in
// plaintext are refused, the whole manifest is validated before saving, types are kept or asked for,
// --file and --binary store exact bytes. No output ever holds a value.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSet } from "../../src/cli/commands/set.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sopsDecryptData, sopsEncryptFile, tempDir } from "../sops/helpers.js";

const CANARY = "canary-set-4b1e-do-not-print";

const MANIFEST = `sopsync: 1
target:
  region: eu-west-1
scope:
  id: platform-prod
  prefix: prod/
secrets:
  prod/db:
    description: Primary database
    value:
      username: app
      password: ${CANARY}-pw
      port: 5432
      ratio: 0.25
      enabled: true
  prod/api-token:
    value: ${CANARY}-token
`;

type Secrets = Record<string, { value?: unknown; binary?: string }>;

describe("sopsync set", () => {
  let key: AgeKey;
  let env: Record<string, string>;

  beforeAll(() => {
    key = generateAgeKey(tempDir());
    env = { SOPS_AGE_KEY: key.identity };
  });

  afterAll(() => {
    assertNoCanary(allOutput, { canary: CANARY });
  });

  /** A manifest encrypted by sops with these rule flags (none: sops's default `_unencrypted` suffix). */
  function manifest(ruleArgs: string[], text = MANIFEST): { dir: string; file: string } {
    const dir = tempDir("sopsync-set-");
    // sops's command line has no comment-regex flags: those rules come from a creation rule.
    if (ruleArgs[0] === "--encrypted-comment-regex") {
      writeFileSync(
        join(dir, ".sops.yaml"),
        `creation_rules:\n  - age: ${key.recipient}\n    encrypted_comment_regex: "${ruleArgs[1]}"\n`,
      );
      const file = sopsEncryptFile(dir, "secrets.yaml", text, []);
      expect(readFileSync(file, "utf8")).toContain("encrypted_comment_regex: sops:enc");
      return { dir, file };
    }
    return { dir, file: sopsEncryptFile(dir, "secrets.yaml", text, ["--age", key.recipient, ...ruleArgs]) };
  }
  const regexRule = ["--encrypted-regex", "^(value|binary)$"];
  const secretsOf = (file: string, dir: string) => (sopsDecryptData(file, dir, env)[0] as { secrets: Secrets }).secrets;

  describe("values the file's rule would leave in plaintext", () => {
    const cases: [string, string[], string[], string, RegExp][] = [
      [
        "sops's default rule, a secret named ..._unencrypted",
        [],
        ["prod/db_unencrypted"],
        "secrets.prod/db_unencrypted.value",
        /ends with the file's unencrypted_suffix '_unencrypted' \(sops's default rule\)/,
      ],
      [
        "sops's default rule, a key named ..._unencrypted",
        [],
        ["prod/db", "note_unencrypted"],
        "secrets.prod/db.value.note_unencrypted",
        /the key 'note_unencrypted' ends with/,
      ],
      [
        "encrypted_suffix",
        ["--encrypted-suffix", "_secret"],
        ["prod/api-token"],
        "secrets.prod/api-token.value",
        /no key on its path ends with the file's encrypted_suffix '_secret'/,
      ],
      [
        "encrypted_regex that covers value only, and --binary",
        ["--encrypted-regex", "^value$"],
        ["prod/tls", "--binary", "BINARY"],
        "secrets.prod/tls.binary",
        /no key on its path matches the file's encrypted_regex '\^value\$'/,
      ],
      [
        "encrypted_comment_regex without the marker comment",
        ["--encrypted-comment-regex", "sops:enc"],
        ["prod/api-token"],
        "secrets.prod/api-token.value",
        /no comment before it matches the file's encrypted_comment_regex 'sops:enc'/,
      ],
    ];
    for (const [title, rule, args, path, why] of cases) {
      it(`${title}: refused, nothing written; --allow-plaintext writes it with a warning`, async () => {
        const { dir, file } = manifest(rule);
        const before = readFileSync(file);
        const binFile = join(dir, "tls.bin");
        writeFileSync(binFile, Buffer.from(`${CANARY}-bin`));
        const argv = ["set", file, ...args.map((a) => (a === "BINARY" ? binFile : a))];
        const input = `${CANARY}-new\n`;
        const refused = await runCli(argv, { env, input });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`${file}: ${path} would be stored in plaintext`);
        expect(refused.stderr).toMatch(why);
        expect(refused.stderr).toContain("--allow-plaintext");
        expect(readFileSync(file).equals(before)).toBe(true);

        const allowed = await runCli([...argv, "--allow-plaintext"], { env, input });
        expect(allowed.code, allowed.stderr).toBe(0);
        expect(allowed.stderr).toContain(`warning: ${file}: ${path} is stored in plaintext (--allow-plaintext)`);
        // Stored as asked, in clear, and sops reads the file (MAC included).
        const text = readFileSync(file, "utf8");
        expect(text).toContain(args.includes("BINARY") ? Buffer.from(`${CANARY}-bin`).toString("base64") : `${CANARY}-new`);
        const secret = secretsOf(file, dir)[args[0] as string]!;
        if (args.includes("BINARY")) expect(secret.binary).toBe(Buffer.from(`${CANARY}-bin`).toString("base64"));
        else if (args[1]) expect((secret.value as Record<string, unknown>)[args[1]]).toBe(`${CANARY}-new`);
        else expect(secret.value).toBe(`${CANARY}-new`);
      });
    }

    it("the same set under a covering rule is encrypted, with no warning", async () => {
      const { dir, file } = manifest(
        ["--encrypted-comment-regex", "sops:enc"],
        MANIFEST.replace("  prod/api-token:", "  # sops:enc\n  prod/api-token:"),
      );
      const r = await runCli(["set", file, "prod/api-token"], { env, input: `${CANARY}-covered` });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain("warning");
      expect(readFileSync(file, "utf8")).not.toContain(`${CANARY}-covered`);
      expect(secretsOf(file, dir)["prod/api-token"]!.value).toBe(`${CANARY}-covered`);
    });
  });

  describe("the whole manifest is validated before saving", () => {
    it("a name with a space or outside scope.prefix is refused with file:line:col, nothing written", async () => {
      const { file } = manifest(regexRule);
      const before = readFileSync(file);
      const space = await runCli(["set", file, "prod/bad name"], { env, input: `${CANARY}-x` });
      expect(space.code).toBe(1);
      expect(space.stderr).toMatch(new RegExp(`${file}:\\d+:\\d+: secret names are 1-512 characters`));
      expect(space.stderr).toContain("nothing was written");
      const outside = await runCli(["set", file, "staging/db"], { env, input: `${CANARY}-x` });
      expect(outside.code).toBe(1);
      expect(outside.stderr).toMatch(new RegExp(`${file}:\\d+:\\d+: secret name is outside scope.prefix 'prod/'`));
      expect(readFileSync(file).equals(before)).toBe(true);
    });

    it("a problem elsewhere in the file (a misspelt valeu:) refuses any set until it is fixed", async () => {
      const text = MANIFEST.replace("  prod/api-token:\n    value:", "  prod/api-token:\n    valeu:");
      const { file } = manifest(regexRule, text);
      const before = readFileSync(file);
      const r = await runCli(["set", file, "prod/db", "password"], { env, input: `${CANARY}-x` });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${file}:17:9: unknown key 'valeu' in secrets.prod/api-token`));
      expect(readFileSync(file).equals(before)).toBe(true);
    });
  });

  describe("types", () => {
    it("an existing key keeps its type; a new key is a string; --type string overrides", async () => {
      const { dir, file } = manifest(regexRule);
      const set = (k: string, v: string, type?: "string") =>
        runSet(file, "prod/db", k, { kind: "text", text: v, ...(type ? { type } : {}) }, { env, warn: () => {} });
      await set("port", "5555");
      await set("ratio", "0.5");
      await set("enabled", "false");
      await set("replicas", "3");
      let value = secretsOf(file, dir)["prod/db"]!.value as Record<string, unknown>;
      expect(value).toMatchObject({ port: 5555, ratio: 0.5, enabled: false, replicas: "3", username: "app" });
      await set("port", "5432", "string");
      value = secretsOf(file, dir)["prod/db"]!.value as Record<string, unknown>;
      expect(value.port).toBe("5432");
      // Now a string, it stays one.
      await set("port", "6000");
      expect((secretsOf(file, dir)["prod/db"]!.value as Record<string, unknown>).port).toBe("6000");
    });

    it("--type number|bool|json store that type; json keeps 64-bit integers whole", async () => {
      const { dir, file } = manifest(regexRule);
      const run = (args: string[], input: string) => runCli(["set", file, ...args], { env, input });
      expect((await run(["prod/db", "pool", "--type", "number"], "12\n")).code).toBe(0);
      expect((await run(["prod/db", "tls", "--type", "bool"], "true")).code).toBe(0);
      const json = `{"hosts":["a","b"],"limits":{"max":9223372036854775807,"ratio":1.5},"on":true,"none":null}`;
      expect((await run(["prod/db", "extra", "--type", "json"], json)).code).toBe(0);
      expect((await run(["prod/config", "--type", "json"], `{"k":"${CANARY}-json","n":1}`)).code).toBe(0);
      const secrets = secretsOf(file, dir);
      expect(secrets["prod/db"]!.value).toMatchObject({
        pool: 12,
        tls: true,
        extra: { hosts: ["a", "b"], limits: { max: 9223372036854775807n, ratio: 1.5 }, on: true, none: null },
      });
      expect(secrets["prod/config"]!.value).toEqual({ k: `${CANARY}-json`, n: 1 });
    });

    it("an invalid value for the type is an error naming the type, and nothing is written", async () => {
      const { file } = manifest(regexRule);
      const before = readFileSync(file);
      const cases: [string[], string, RegExp][] = [
        [["prod/db", "port"], `${CANARY}-nan`, /not a number \(type number/],
        [["prod/db", "pool", "--type", "number"], "12abc", /not a number \(type number/],
        [["prod/db", "enabled"], "yes", /not a bool \(type bool: true or false\)/],
        [["prod/db", "extra", "--type", "json"], `{"a": ${CANARY}}`, /not valid JSON \(type json\)/],
      ];
      for (const [args, input, message] of cases) {
        const r = await runCli(["set", file, ...args], { env, input });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toContain(input);
      }
      const bad = await runCli(["set", file, "prod/db", "port", "--type", "float"], { env, input: "1" });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/Allowed choices are string, number, bool, json/);
      expect(readFileSync(file).equals(before)).toBe(true);
    });

    it("a number stored as a different string is warned about, without its digits", async () => {
      const { dir, file } = manifest(regexRule);
      const r = await runCli(["set", file, "prod/db", "ratio"], { env, input: "0.7500" });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        `${file}: warning: secrets.prod/db.value.ratio: the number with trailing zeros after the point is stored as a different string`,
      );
      expect(r.stderr).not.toMatch(/0\.75/);
      expect((secretsOf(file, dir)["prod/db"]!.value as Record<string, unknown>).ratio).toBe(0.75);
    });
  });

  describe("--file and --binary", () => {
    it("--file stores the file's exact text: trailing newlines, CRLF, a BOM, leading spaces", async () => {
      const { dir, file } = manifest(regexRule);
      const text = `\uFEFF  ${CANARY}-file\r\nsecond line\n\n`;
      const valueFile = join(dir, "value.txt");
      writeFileSync(valueFile, text);
      const r = await runCli(["set", file, "prod/api-token", "--file", valueFile], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(secretsOf(file, dir)["prod/api-token"]!.value).toBe(text);
      const key = await runCli(["set", file, "prod/db", "password", "--file", valueFile], { env });
      expect(key.code, key.stderr).toBe(0);
      expect((secretsOf(file, dir)["prod/db"]!.value as Record<string, unknown>).password).toBe(text);
      expect(readFileSync(file, "utf8")).not.toContain(CANARY);
    });

    it("--file that is not UTF-8 is refused, pointing to --binary", async () => {
      const { dir, file } = manifest(regexRule);
      const valueFile = join(dir, "value.bin");
      writeFileSync(valueFile, Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
      const r = await runCli(["set", file, "prod/api-token", "--file", valueFile], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("not UTF-8 text; store it with --binary");
    });

    it("--binary stores the bytes as the secret's base64 binary, replacing its value; the manifest validates", async () => {
      const { dir, file } = manifest(regexRule);
      const bytes = Buffer.concat([randomBytes(300), Buffer.from(CANARY)]);
      const binFile = join(dir, "tls.der");
      writeFileSync(binFile, bytes);
      const r = await runCli(["set", file, "prod/api-token", "--binary", binFile], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("its value removed");
      const secret = secretsOf(file, dir)["prod/api-token"]!;
      expect(secret.value).toBeUndefined();
      expect(Buffer.from(secret.binary as string, "base64").equals(bytes)).toBe(true);
      expect(readFileSync(file, "utf8")).not.toContain(bytes.toString("base64"));
      const v = await runCli(["validate", file], { env });
      expect(v.code, v.stderr).toBe(0);
      // A value set again replaces the binary.
      expect((await runCli(["set", file, "prod/api-token"], { env, input: `${CANARY}-back` })).code).toBe(0);
      expect(secretsOf(file, dir)["prod/api-token"]).toEqual({ value: `${CANARY}-back` });
      const withKey = await runCli(["set", file, "prod/db", "cert", "--binary", binFile], { env });
      expect(withKey.code).toBe(1);
      expect(withKey.stderr).toContain("--binary sets the whole secret");
    });
  });
});
