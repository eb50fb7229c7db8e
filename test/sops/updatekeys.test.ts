// sopsync updatekeys as a user runs it when people join or leave: the real sops reads every result
// with the new recipients' keys, and a removed recipient's key no longer opens the file.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runUpdateKeys } from "../../src/cli/commands/updatekeys.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sops, sopsDecryptData, sopsEncryptFile, tempDir } from "./helpers.js";

const CANARY = "canary-rekey-51d0e7-do-not-print";
const PLAINTEXT = `sopsync: 1
scope:
  id: platform
secrets:
  prod/db:
    description: Primary database
    value:
      username: app
      password: ${CANARY}
  prod/api-token:
    value: ${CANARY}-token
`;
const ENCRYPTED_REGEX = ["--encrypted-regex", "^(value|binary)$"];

type Manifest = { secrets: Record<string, { value: unknown }> };

/** The ENC[...] values of the data part (everything before the sops block), in file order. */
function dataCiphertexts(text: string): string[] {
  const data = text.slice(0, text.search(/^sops:/m));
  return data.match(/ENC\[AES256_GCM,[^\]]+\]/g) ?? [];
}
const macOf = (text: string) => /^ {4}mac: (.+)$/m.exec(text)?.[1];
const lastModifiedOf = (text: string) => /^ {4}lastmodified: (.+)$/m.exec(text)?.[1];

describe("updatekeys", () => {
  let a: AgeKey;
  let b: AgeKey;
  let c: AgeKey;

  beforeAll(() => {
    const keys = tempDir("sopsync-rekey-keys-");
    a = generateAgeKey(keys);
    b = generateAgeKey(keys);
    c = generateAgeKey(keys);
  });

  const only = (k: AgeKey) => ({ SOPS_AGE_KEY_FILE: k.file });
  const canaries = () => ({ value: CANARY, a: a.identity, b: b.identity, c: c.identity });

  /** A file sops encrypted for `recipients` (in a folder without .sops.yaml), copied to dir/name. */
  function encryptedCopy(dir: string, name: string, recipients: AgeKey[], args = ENCRYPTED_REGEX): string {
    const plaintext = name.endsWith(".json") ? JSON.stringify({ secrets: { "prod/db": { value: CANARY } } }) : PLAINTEXT;
    const made = sopsEncryptFile(tempDir(), basename(name), plaintext, [
      "--age",
      recipients.map((k) => k.recipient).join(","),
      ...args,
    ]);
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    copyFileSync(made, file);
    return file;
  }

  /** A manifest encrypted by sops for `recipients` next to a .sops.yaml holding `config` (none if empty). */
  function setup(
    recipients: AgeKey[],
    config: string,
    name = "secrets.yaml",
    args = ENCRYPTED_REGEX,
  ): { dir: string; file: string } {
    const dir = tempDir("sopsync-rekey-");
    const file = encryptedCopy(dir, name, recipients, args);
    if (config) writeFileSync(join(dir, ".sops.yaml"), config);
    return { dir, file };
  }

  /** A file sops encrypted for key groups [a] and [c] (threshold 2); its .sops.yaml then wants [a] and [b]. */
  function setupShamir(): { dir: string; file: string } {
    const dir = tempDir("sopsync-rekey-shamir-");
    const groups = (x: AgeKey, y: AgeKey) =>
      `creation_rules:\n  - encrypted_regex: ^(value|binary)$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${x.recipient}]\n      - age: [${y.recipient}]\n`;
    writeFileSync(join(dir, ".sops.yaml"), groups(a, c));
    writeFileSync(join(dir, "secrets.yaml"), PLAINTEXT);
    const enc = sops(["encrypt", "--in-place", "secrets.yaml"], { cwd: dir });
    if (enc.status !== 0) throw new Error(`sops encrypt failed: ${enc.stderr}`);
    writeFileSync(join(dir, ".sops.yaml"), groups(a, b));
    return { dir, file: join(dir, "secrets.yaml") };
  }

  function expectOpensWith(file: string, dir: string, key: AgeKey): void {
    const data = sopsDecryptData(file, dir, only(key))[0] as Manifest;
    expect(data.secrets["prod/db"]?.value).toEqual({ username: "app", password: CANARY });
    expect(data.secrets["prod/api-token"]?.value).toBe(`${CANARY}-token`);
  }

  function expectSopsRefuses(file: string, dir: string, key: AgeKey): void {
    const r = sops(["decrypt", file], { cwd: dir, env: only(key) });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain(CANARY);
  }

  it("adds a recipient: the same data key re-wrapped, values, MAC and lastmodified byte-identical", async () => {
    const { dir, file } = setup(
      [a],
      `creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: "${a.recipient}, ${b.recipient}"\n`,
    );
    // A layout sops still reads (two-space indent, a quoted plain value; same values, same MAC):
    // re-keying must not reformat the data.
    const made = readFileSync(file, "utf8");
    const at = made.search(/^sops:/m);
    const relaid = made
      .slice(0, at)
      .replace(/^( +)/gm, (m) => " ".repeat(m.length / 2))
      .replace("description: Primary database", "description: 'Primary database'");
    writeFileSync(file, relaid + made.slice(at));
    const before = readFileSync(file, "utf8");
    expectOpensWith(file, dir, a);
    expectSopsRefuses(file, dir, b);

    const r = await runCli(["updatekeys", "secrets.yaml", "--yes"], { cwd: dir, env: only(a) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`+ age ${b.recipient} (added)`);
    expect(r.stdout).not.toContain("(removed)");

    const after = readFileSync(file, "utf8");
    expect(after).not.toBe(before);
    expect(dataCiphertexts(after)).toEqual(dataCiphertexts(before));
    expect(dataCiphertexts(after).length).toBe(3);
    // Everything above the sops block is byte-identical: a git diff shows only the key groups.
    expect(after.slice(0, after.search(/^sops:/m))).toBe(before.slice(0, before.search(/^sops:/m)));
    expect(macOf(after)).toBe(macOf(before));
    expect(lastModifiedOf(after)).toBe(lastModifiedOf(before));
    expectOpensWith(file, dir, b);
    expectOpensWith(file, dir, a);
    assertNoCanary([r.stdout, r.stderr], canaries());
  });

  it("removes a recipient: sops no longer opens the file with its key; lists what it could read; prints no secret", async () => {
    const { dir, file } = setup([a, b], `creation_rules:\n  - path_regex: secrets\\.yaml$\n    age:\n      - ${a.recipient}\n`);
    expectOpensWith(file, dir, b);
    const before = readFileSync(file, "utf8");

    const r = await runCli(["updatekeys", "secrets.yaml", "--yes"], { cwd: dir, env: only(a) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`- age ${b.recipient} (removed)`);
    expect(r.stdout).toMatch(
      new RegExp(
        `age ${b.recipient} could recover the data key on its own, so it could read every encrypted value in secrets.yaml: prod/db, prod/api-token`,
      ),
    );
    expect(r.stdout).toContain("Rotate those secret values");
    expect(r.stdout).toContain("--rotate-data-key");

    expectSopsRefuses(file, dir, b);
    expectOpensWith(file, dir, a);
    const after = readFileSync(file, "utf8");
    expect(after).not.toContain(b.recipient);
    expect(dataCiphertexts(after)).toEqual(dataCiphertexts(before));
    expect(macOf(after)).toBe(macOf(before));
    assertNoCanary([r.stdout, r.stderr], canaries());
  });

  it("--rotate-data-key: every ciphertext and the MAC change, sops reads the same data", async () => {
    const { dir, file } = setup([a, b], `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${a.recipient}\n`);
    const before = readFileSync(file, "utf8");
    const dataBefore = sopsDecryptData(file, dir, only(a));

    const r = await runCli(["updatekeys", "secrets.yaml", "--rotate-data-key", "--yes"], { cwd: dir, env: only(b) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`- age ${b.recipient} (removed)`);
    expect(r.stdout).toContain("Rotated the data key");
    expect(r.stdout).not.toContain("The data key itself is unchanged");

    const after = readFileSync(file, "utf8");
    const [old, now] = [dataCiphertexts(before), dataCiphertexts(after)];
    expect(now.length).toBe(old.length);
    for (const ct of now) expect(old).not.toContain(ct);
    expect(macOf(after)).not.toBe(macOf(before));
    expect(sopsDecryptData(file, dir, only(a))).toEqual(dataBefore);
    expectSopsRefuses(file, dir, b);
    assertNoCanary([r.stdout, r.stderr], canaries());
  });

  it("--rotate-data-key without any .sops.yaml keeps the file's recipients", async () => {
    const { dir, file } = setup([a, b], "");
    const before = readFileSync(file, "utf8");
    const r = await runCli(["updatekeys", "secrets.yaml", "--rotate-data-key", "--yes"], { cwd: dir, env: only(a) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("keeping the current recipients");
    const after = readFileSync(file, "utf8");
    for (const ct of dataCiphertexts(after)) expect(dataCiphertexts(before)).not.toContain(ct);
    expectOpensWith(file, dir, a);
    expectOpensWith(file, dir, b);
  });

  it("no change: says so and leaves the file untouched", async () => {
    const { dir, file } = setup([a, b], `creation_rules:\n  - age: ${b.recipient},${a.recipient},\n`);
    const before = readFileSync(file);
    const r = await runCli(["updatekeys", "secrets.yaml"], { cwd: dir, env: only(a) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("already has these recipients; nothing to change");
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("refuses off a terminal without --yes, after showing the change, and writes nothing", async () => {
    const { dir, file } = setup([a], `creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: ${b.recipient}\n`);
    const before = readFileSync(file);
    const r = await runCli(["updatekeys", "secrets.yaml"], { cwd: dir, env: only(a) });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`+ age ${b.recipient} (added)`);
    expect(r.stderr).toContain("updatekeys needs --yes when not run on a terminal; nothing was changed");
    expect(readFileSync(file).equals(before)).toBe(true);
    expectSopsRefuses(file, dir, b);
  });

  it("on a terminal, a no at the prompt writes nothing and a yes re-keys", async () => {
    const { dir, file } = setup([a], `creation_rules:\n  - age: ${a.recipient},${b.recipient}\n`);
    const before = readFileSync(file);
    const quiet = { cwd: dir, env: only(a), interactive: true, out: () => undefined, err: () => undefined };
    const questions: string[] = [];
    const ask = (answer: boolean) => async (q: string) => {
      questions.push(q);
      return answer;
    };
    await expect(runUpdateKeys(file, { ...quiet, ask: ask(false) })).rejects.toMatchObject({ code: "ABORTED" });
    expect(readFileSync(file).equals(before)).toBe(true);
    // A save made while the prompt waits is never overwritten.
    const edited = async (q: string) => {
      questions.push(q);
      writeFileSync(file, `${before.toString()}# saved meanwhile\n`);
      return true;
    };
    await expect(runUpdateKeys(file, { ...quiet, ask: edited })).rejects.toThrow(/changed while updatekeys was running/);
    expect(readFileSync(file, "utf8")).toBe(`${before.toString()}# saved meanwhile\n`);
    writeFileSync(file, before);
    await runUpdateKeys(file, { ...quiet, ask: ask(true) });
    expect(questions).toHaveLength(3);
    expectOpensWith(file, dir, b);
  });

  it("no matching creation rule, or no config at all: a clear error and nothing written", async () => {
    const { dir, file } = setup([a], `creation_rules:\n  - path_regex: ^other/.*\\.yaml$\n    age: ${b.recipient}\n`);
    const before = readFileSync(file);
    const r = await runCli(["updatekeys", "secrets.yaml", "--yes"], { cwd: dir, env: only(a) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no creation rule in ${join(dir, ".sops.yaml")} matches secrets.yaml`);
    expect(readFileSync(file).equals(before)).toBe(true);

    const bare = setup([a], "");
    const r2 = await runCli(["updatekeys", "secrets.yaml", "--yes"], { cwd: bare.dir, env: { ...only(a), HOME: bare.dir } });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("no .sops.yaml found in the current directory or its parents");
    // Run from elsewhere, a config beside the file is not used (as with sops), but named in the hint.
    const r3 = await runCli(["updatekeys", file, "--yes"], { cwd: bare.dir, env: only(a) });
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain(`${join(dir, ".sops.yaml")} is not used`);
  });

  it("finds the config in a parent folder and matches the path relative to it", async () => {
    const dir = tempDir("sopsync-rekey-");
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^prod/secrets\\.yaml$\n    age: ${a.recipient},${c.recipient}\n  - age: ${b.recipient}\n`,
    );
    const file = encryptedCopy(dir, "prod/secrets.yaml", [a]);
    const r = await runCli(["updatekeys", "secrets.yaml", "--yes"], { cwd: join(dir, "prod"), env: only(a) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`creation rule 1 of ${join(dir, ".sops.yaml")}`);
    expect(r.stdout).toContain(`+ age ${c.recipient} (added)`);
    expectOpensWith(file, dir, c);
  });

  it("key groups with Shamir: a removed group's key is reported as holding one share, and sops reads the result", async () => {
    const { dir, file } = setupShamir();
    const r = await runCli(["updatekeys", "secrets.yaml", "--yes"], {
      cwd: dir,
      env: { SOPS_AGE_KEY: `${a.identity}\n${c.identity}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`- age ${c.recipient} (removed)`);
    expect(r.stdout).toContain(`+ age ${b.recipient} (added)`);
    expect(r.stdout).toContain(`age ${c.recipient} held 1 of the 2 key shares needed: alone it could read nothing`);
    const both = sopsDecryptData(file, dir, { SOPS_AGE_KEY: `${a.identity}\n${b.identity}` })[0] as Manifest;
    expect(both.secrets["prod/db"]?.value).toEqual({ username: "app", password: CANARY });
    expectSopsRefuses(file, dir, a);
    expect(sops(["decrypt", file], { cwd: dir, env: { SOPS_AGE_KEY: `${a.identity}\n${c.identity}` } }).status).not.toBe(0);
    assertNoCanary([r.stdout, r.stderr], canaries());
  });

  it("a JSON file keeps its values byte-identical and sops reads it with the new key", async () => {
    const { dir, file } = setup(
      [a],
      `creation_rules:\n  - path_regex: \\.json$\n    age: [${b.recipient}]\n`,
      "secrets.json",
      [],
    );
    const before = readFileSync(file, "utf8");
    const r = await runCli(["updatekeys", "secrets.json", "--yes"], { cwd: dir, env: only(a) });
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(file, "utf8");
    expect(after.slice(0, after.indexOf('"sops"'))).toBe(before.slice(0, before.indexOf('"sops"')));
    const out = sops(["decrypt", file], { cwd: dir, env: only(b) });
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ secrets: { "prod/db": { value: CANARY } } });
    expectSopsRefuses(file, dir, a);
  });

  it("no output of any run held a secret value or key material", () => {
    expect(allOutput.length).toBeGreaterThan(0);
    assertNoCanary(allOutput, canaries());
  });
});

describe("updatekeys with AWS KMS (moto)", () => {
  let moto: Moto;
  let arn: string;
  let a: AgeKey;

  beforeAll(async () => {
    moto = await startMoto();
    const kms = new KMSClient({ region: TEST_REGION });
    arn = (await kms.send(new CreateKeyCommand({ Description: "sopsync updatekeys test" }))).KeyMetadata?.Arn ?? "";
    kms.destroy();
    a = generateAgeKey(tempDir("sopsync-rekey-keys-"));
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it("moves a file from an age key to a KMS key with an encryption context; sops opens it through KMS alone", async () => {
    const dir = tempDir("sopsync-rekey-kms-");
    const file = sopsEncryptFile(dir, "secrets.yaml", PLAINTEXT, ["--age", a.recipient, ...ENCRYPTED_REGEX]);
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${arn}\n            context: { app: sopsync }\n`,
    );
    const r = await runCli(["updatekeys", "secrets.yaml", "--yes"], {
      cwd: dir,
      env: { ...moto.env, SOPS_AGE_KEY_FILE: a.file },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`+ kms ${arn} (context app=sopsync) (added)`);
    expect(r.stdout).toContain(`- age ${a.recipient} (removed)`);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/context:\n\s+app: sopsync/);
    expect(text).not.toContain(a.recipient);
    const data = sopsDecryptData(file, dir, moto.env)[0] as Manifest;
    expect(data.secrets["prod/db"]?.value).toEqual({ username: "app", password: CANARY });
    // Without the context KMS refuses: the context is part of who can unwrap the key.
    writeFileSync(file, text.replace(/\n\s+context:\n\s+app: sopsync/, ""));
    expect(sops(["decrypt", file], { cwd: dir, env: moto.env }).status).not.toBe(0);
    assertNoCanary([r.stdout, r.stderr], { value: CANARY, a: a.identity });
  });
});
