// `sopsync init` as a user runs it: the key from SOPS_AGE_RECIPIENTS (as sops reads it), every value it
// inferred said with its source and how to change it, the next commands, and a .sops.yaml rule that
// the real sops and `sopsync updatekeys` apply to secrets.yaml and to no other file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sops, sopsDecryptData, sopsEncryptFile, tempDir } from "../sops/helpers.js";

type Manifest = { target: { region: string }; scope: { id: string; prefix: string } };

/** A fresh folder called `name` inside a temp dir, with no AWS settings of its own. */
function folder(name: string): string {
  const dir = join(tempDir("sopsync-init-"), name);
  mkdirSync(dir);
  return dir;
}

/** The CLI in `dir` with HOME there, so neither the user's key file nor ~/.aws apply. */
const init = (dir: string, env: Record<string, string>, args: string[] = []) =>
  runCli(["init", ...args], { cwd: dir, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, ".config"), ...env } });

describe("init", () => {
  let alice: AgeKey;
  let bob: AgeKey;

  beforeAll(() => {
    alice = generateAgeKey(tempDir());
    bob = generateAgeKey(tempDir());
  });

  it("encrypts for SOPS_AGE_RECIPIENTS and says every value it inferred, then the next commands", async () => {
    const dir = folder("Payments API");
    const r = await init(dir, { SOPS_AGE_RECIPIENTS: `${alice.recipient}, ${bob.recipient}` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      `Created secrets.yaml (encrypted, with one example secret) and .sops.yaml in ${dir}.

Inferred:
  target.region  us-east-1 (the default: no AWS_REGION, AWS_DEFAULT_REGION or region in AWS profile 'default')
                 to change: sopsync edit secrets.yaml (or set AWS_REGION and run init in a new folder)
  scope.id       payments-api (from the folder name 'Payments API'): the owner tag of every secret this manifest manages
  scope.prefix   payments-api/ (from the folder name): secret names must start with it
                 to change either: sopsync edit secrets.yaml, before the first apply
  encrypted for  ${alice.recipient},${bob.recipient} (from SOPS_AGE_RECIPIENTS)
                 to change: edit the rule in .sops.yaml, then sopsync updatekeys secrets.yaml

Next:
  sopsync edit secrets.yaml  # replace the example secret with yours
  sopsync validate           # check it, offline
  sopsync plan               # what would change in AWS
`,
    );
    // Either recipient opens it (one key group), and the manifest holds what was said.
    for (const key of [alice, bob]) {
      const m = sopsDecryptData(join(dir, "secrets.yaml"), dir, { SOPS_AGE_KEY: key.identity })[0] as Manifest;
      expect(m.target.region).toBe("us-east-1");
      expect(m.scope).toEqual({ id: "payments-api", prefix: "payments-api/" });
    }
    expect(readFileSync(join(dir, ".sops.yaml"), "utf8")).toContain(`age: ${alice.recipient},${bob.recipient}\n`);
  });

  it("takes the region from AWS_REGION, then AWS_DEFAULT_REGION, then the profile, and says which", async () => {
    const dir = folder("svc");
    mkdirSync(join(dir, ".aws"));
    writeFileSync(join(dir, ".aws", "config"), "[default]\nregion = ap-south-1\n[profile dev]\nregion = eu-north-1\n");
    const cases: [Record<string, string>, string, string][] = [
      [{ AWS_REGION: "eu-west-3", AWS_DEFAULT_REGION: "eu-west-2" }, "eu-west-3", "from AWS_REGION"],
      [{ AWS_DEFAULT_REGION: "eu-west-2" }, "eu-west-2", "from AWS_DEFAULT_REGION"],
      [{ AWS_PROFILE: "dev" }, "eu-north-1", "from the region of AWS profile 'dev'"],
      [{}, "ap-south-1", "from the region of AWS profile 'default'"],
    ];
    for (const [i, [env, region, from]] of cases.entries()) {
      const sub = join(dir, `case-${i}`);
      mkdirSync(sub);
      const r = await runCli(["init"], { cwd: sub, env: { HOME: dir, SOPS_AGE_RECIPIENTS: alice.recipient, ...env } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`\n  target.region  ${region} (${from})\n`);
      const m = sopsDecryptData(join(sub, "secrets.yaml"), sub, { SOPS_AGE_KEY: alice.identity })[0] as Manifest;
      expect(m.target.region).toBe(region);
    }
  });

  it("--age wins over SOPS_AGE_RECIPIENTS; without either, the age key found is named with its source", async () => {
    const withFlag = folder("a");
    const r1 = await init(withFlag, { SOPS_AGE_RECIPIENTS: bob.recipient }, ["--age", alice.recipient]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toContain(`  encrypted for  ${alice.recipient} (from --age)\n`);

    const found = folder("b");
    const r2 = await init(found, { SOPS_AGE_KEY_FILE: alice.file });
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toContain(`  encrypted for  ${alice.recipient} (from the age key in SOPS_AGE_KEY_FILE ${alice.file})\n`);
  });

  it("a SOPS_AGE_RECIPIENTS entry that is not a recipient is named; nothing is written", async () => {
    const dir = folder("c");
    const r = await init(dir, { SOPS_AGE_RECIPIENTS: `${alice.recipient},ssh-ed25519 AAAA` });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe("Error: SOPS_AGE_RECIPIENTS must be an age recipient (age1...), got ssh-ed25519 AAAA");
    expect(() => readFileSync(join(dir, ".sops.yaml"))).toThrow();
  });

  it("the .sops.yaml rule is for secrets.yaml only: the real sops and updatekeys pick it there, not for other.yaml", async () => {
    const dir = folder("rules");
    const env = { SOPS_AGE_KEY: alice.identity };
    expect((await init(dir, { SOPS_AGE_RECIPIENTS: alice.recipient })).code).toBe(0);

    // sops encrypt: a new plaintext secrets.yaml takes the rule (recipient and encrypted_regex) ...
    renameSync(join(dir, "secrets.yaml"), join(dir, "from-init.yaml"));
    writeFileSync(join(dir, "secrets.yaml"), "s:\n  value: x\n  description: readable\n");
    const ok = sops(["encrypt", "--in-place", "secrets.yaml"], { cwd: dir, env });
    expect(ok.status, ok.stderr).toBe(0);
    const encrypted = readFileSync(join(dir, "secrets.yaml"), "utf8");
    expect(encrypted).toContain("description: readable");
    expect(encrypted).toContain(alice.recipient);
    // ... but not a secrets.yaml in a subfolder (the path is matched relative to the config's folder) ...
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "secrets.yaml"), "s:\n  value: x\n");
    const nested = sops(["encrypt", "--in-place", "secrets.yaml"], { cwd: join(dir, "sub"), env });
    expect(nested.status).not.toBe(0);
    expect(nested.stderr).toContain("no matching creation rules found");
    // ... and another YAML file in the folder (CI config, compose file) matches no rule.
    writeFileSync(join(dir, "other.yaml"), "a:\n  value: x\n");
    const other = sops(["encrypt", "--in-place", "other.yaml"], { cwd: dir, env });
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain("no matching creation rules found");

    // updatekeys: a recipient added to the rule reaches secrets.yaml; other.yaml (encrypted elsewhere) is refused.
    const config = join(dir, ".sops.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replace(alice.recipient, `${alice.recipient},${bob.recipient}`));
    const up = await runCli(["updatekeys", "--yes", "secrets.yaml"], { cwd: dir, env: { HOME: dir, ...env } });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`Recipients of secrets.yaml (creation rule 1 of ${config})`);
    expect(sopsDecryptData(join(dir, "secrets.yaml"), dir, { SOPS_AGE_KEY: bob.identity })[0]).toMatchObject({
      s: { value: "x" },
    });

    const elsewhere = tempDir();
    sopsEncryptFile(elsewhere, "other.yaml", "a:\n  value: x\n", ["--age", alice.recipient]);
    renameSync(join(elsewhere, "other.yaml"), join(dir, "other.yaml"));
    const refused = await runCli(["updatekeys", "--yes", "other.yaml"], { cwd: dir, env: { HOME: dir, ...env } });
    expect(refused.code).toBe(1);
    expect(refused.stderr.split("\n")[0]).toBe(
      `Error: no creation rule in ${config} matches other.yaml (path_regex is matched against the path relative to the config's folder); nothing was changed`,
    );
    expect(sops(["updatekeys", "-y", "other.yaml"], { cwd: dir, env }).stderr).toContain("no matching creation rules found");
  });
});
