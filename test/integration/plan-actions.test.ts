// plan through the CLI against moto, for every action and for drift made out of band with the SDK:
// value, description, tags, policy, a deleted secret. Manifests are encrypted by the real sops.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutResourcePolicyCommand,
  ReplicateSecretToRegionsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { createString, putString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { MOTO_ACCOUNT, type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";
import { type AgeKey, generateAgeKey, sopsEncrypt } from "../helpers/tools.js";

// Built from a string: a regex literal with the ESC control character is easy to misread.
const ESC = String.fromCharCode(27);
const ANSI_ESC = new RegExp(`${ESC}\\[`);
const ANSI_CODE = new RegExp(`${ESC}\\[\\d+m`);

const CANARIES = {
  dbPassword: "canary-plan-db-5c0ffee1",
  token: "canary-plan-token-a11ce",
  outOfBand: "canary-plan-oob-b0b0b0",
  legacy: "canary-plan-legacy-77",
  other: "canary-plan-other-scope-31",
  keyed: "canary-plan-kms-9a9a",
};

const POLICY = `{ Version: "2012-10-17", Statement: [{ Sid: ReadOnly, Effect: Allow, Principal: { AWS: "arn:aws:iam::${MOTO_ACCOUNT}:root" }, Action: "secretsmanager:GetSecretValue", Resource: "*" }] }`;

const base = (extra = "") => `sopsync: 1
target:
  region: ${TEST_REGION}
scope:
  id: plan-it
  prefix: app/
defaults:
  recoveryWindowDays: 7
  tags: { team: platform }
secrets:
  app/db:
    description: Primary database
    value:
      username: app
      password: ${CANARIES.dbPassword}
      port: 5432
    tags: { tier: data }
  app/token:
    value: ${CANARIES.token}
    protect: true
  app/policy:
    value: p
    policy: ${POLICY}
  app/k1: { value: k }
  app/k2: { value: k }
  app/k3: { value: k }
${extra}`;

describe("plan against moto: every action, out-of-band drift, guards", () => {
  let moto: Moto;
  let dir: string;
  let key: AgeKey;
  let env: Record<string, string>;
  const files: string[] = [];
  const sm = () => smClient(moto.endpoint);
  let n = 0;
  const manifest = (text: string) => {
    // Each in its own directory as secrets.yaml: the name the project's .sops.yaml rule expects.
    const sub = join(dir, `m${n++}`);
    mkdirSync(sub);
    const f = sopsEncrypt(text, { recipients: [key.recipient], dir: sub, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
    files.push(f);
    return f;
  };
  const plan = (...args: string[]) => runCli(["plan", ...args], { env });
  const jsonPlan = async (...args: string[]): Promise<Plan> => {
    const r = await plan("--format", "json", ...args);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Plan;
  };
  const actionsOf = (p: Plan, name: string) => p.targets[0]?.changes.find((c) => c.name === name)?.actions.map((a) => a.type);

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), "sopsync-plan-it-"));
    key = generateAgeKey(dir);
    env = { ...moto.env, SOPS_AGE_KEY_FILE: key.file };
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("plans creates on an empty account, exits 2 with --detailed-exitcode, and saves a plan without values", async () => {
    const file = manifest(base());
    const out = join(dir, "plan.json");
    const r = await plan("--detailed-exitcode", "--out", out, file);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(
      /\+ app\/db: create\n\s+create \(json value\)\n\s+description: "Primary database"\n\s+tag team = "platform"\n\s+tag tier = "data"\n\s+tag sopsync:managed-by = "plan-it"/,
    );
    expect(r.stdout).toMatch(/\+ app\/policy: create[\s\S]*?put-policy|policy:/);
    expect(r.stdout).toContain("Plan: 6 to create, 0 to update, 0 to delete, 0 in sync.");
    expect(r.stderr).toContain(`Saved the plan to ${out}`);
    const saved = JSON.parse(readFileSync(out, "utf8")) as Plan;
    expect(saved.formatVersion).toBe(2);
    expect(saved.planId).toMatch(/^[0-9a-f-]{36}$/);
    expect(saved.targets[0]?.target).toEqual({ account: MOTO_ACCOUNT, region: TEST_REGION });
    expect(saved.targets[0]?.manifests[0]?.sha256).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
    expect(saved.targets[0]?.changes.every((c) => c.precondition.state === "absent")).toBe(true);
    allOutput.push(readFileSync(out, "utf8"));

    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stderr).toBe(0);
    const again = await plan("--detailed-exitcode", file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("No changes. 6 secret(s) in sync.");
  });

  it("shows drift made outside sopsync: value, description, tags, policy and a deleted secret", async () => {
    const file = manifest(base());
    await putString(sm(), "app/token", CANARIES.outOfBand);
    await sm().send(new UpdateSecretCommand({ SecretId: "app/db", Description: "edited by hand" }));
    await sm().send(
      new TagResourceCommand({
        SecretId: "app/db",
        Tags: [
          { Key: "tier", Value: "gold" },
          { Key: "extra", Value: "1" },
        ],
      }),
    );
    await sm().send(new UntagResourceCommand({ SecretId: "app/db", TagKeys: ["team"] }));
    await sm().send(
      new PutResourcePolicyCommand({
        SecretId: "app/policy",
        ResourcePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadOnly",
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` },
              Action: "secretsmanager:*",
              Resource: "*",
            },
          ],
        }),
      }),
    );
    await sm().send(new DeleteSecretCommand({ SecretId: "app/k1", RecoveryWindowInDays: 7 }));

    const r = await plan("--detailed-exitcode", file);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(
      /~ app\/token: update-value\n\s+value: changed outside sopsync since the last apply\n\s+\(value changed\)/,
    );
    expect(r.stdout).toMatch(/~ app\/db: update-metadata\n\s+description: "edited by hand" -> "Primary database"\n\s+[~+] tag/);
    expect(r.stdout).toMatch(/~ tag tier: "gold" -> "data"/);
    expect(r.stdout).toMatch(/\+ tag team = "platform"/);
    expect(r.stdout).toMatch(/- tag extra = "1"/);
    expect(r.stdout).toMatch(
      /~ app\/policy: put-policy\n\s+policy:\n\s+@@[^\n]*\n[\s\S]*?-\s+"Action": "secretsmanager:\*",\n\s+\+\s+"Action": "secretsmanager:GetSecretValue"/,
    );
    expect(r.stdout).toMatch(
      /↻ app\/k1: restore, update-value\n\s+restore: the secret is scheduled for deletion.*\n\s+value: not readable while pending deletion; written again after the restore/,
    );

    const p = await jsonPlan(file);
    expect(actionsOf(p, "app/k1")).toEqual(["restore", "update-value"]);
    expect(p.targets[0]?.changes.find((c) => c.name === "app/k1")?.precondition).toMatchObject({
      state: "pending-deletion",
      managedBy: "plan-it",
      protected: false,
    });
    expect(p.targets[0]?.summary).toMatchObject({ restore: 1, update: 3, noop: 2 });

    const md = await plan("--format", "markdown", file);
    expect(md.stdout.startsWith("<!-- sopsync:plan-it -->")).toBe(true);
    expect(md.stdout).toContain("| 0 | 3 | 1 | 0 | 0 | 0 | 2 |");

    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stderr).toBe(0);
    const clean = await plan("--detailed-exitcode", file);
    expect(clean.code, clean.stdout).toBe(0);
  });

  it("attributes a pending manifest change as 'manifest changed' and diffs JSON keys", async () => {
    const file = manifest(base().replace("      port: 5432\n", "      host: db.internal\n"));
    const r = await plan(file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/~ app\/db: update-value\n\s+value: manifest changed\n\s+\+ host \(added\)\n\s+- port \(removed\)/);
  });

  it("refuses to take over an unmanaged secret without adopt, adopts with --adopt or adopt: true", async () => {
    await createString(sm(), "app/legacy", CANARIES.legacy, { owner: "ops" });
    const file = manifest(base(`  app/legacy:\n    value: ${CANARIES.legacy}\n`));
    const refused = await plan(file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${file}:`);
    expect(refused.stderr).toMatch(
      /secrets\.yaml:\d+:\d+: secret 'app\/legacy' already exists and is not managed by sopsync; set 'adopt: true'/,
    );
    const adopted = await jsonPlan("--adopt", file);
    expect(actionsOf(adopted, "app/legacy")).toEqual(["adopt", "tag", "untag"]);
    const declared = await jsonPlan(manifest(base(`  app/legacy:\n    value: ${CANARIES.legacy}\n    adopt: true\n`)));
    expect(actionsOf(declared, "app/legacy")).toEqual(["adopt", "tag", "untag"]);
    expect(declared.targets[0]?.unmanaged).toEqual([]);
    // Not declared: listed, untouched.
    const listed = await plan(manifest(base()));
    expect(listed.stdout).toContain("· app/legacy: unmanaged, not touched");
  });

  it("always refuses a secret owned by another scope", async () => {
    await createString(sm(), "app/theirs", CANARIES.other, { "sopsync:managed-by": "someone-else" });
    const r = await plan("--adopt", manifest(base(`  app/theirs:\n    value: x\n    adopt: true\n`)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/secret 'app\/theirs' is managed by another scope \('someone-else'\); sopsync never takes it over/);
  });

  it("plans deletes with the recovery window, and enforces protect, --max-deletes and the account guard", async () => {
    const withoutK3 = manifest(base().replace("  app/k3: { value: k }\n", ""));
    const p = await jsonPlan(withoutK3);
    expect(p.targets[0]?.changes.find((c) => c.name === "app/k3")?.actions).toEqual([
      { type: "delete", recoveryWindowDays: 7, recoveryWindowFrom: "defaults" },
    ]);
    const capped = await plan("--max-deletes", "0", withoutK3);
    expect(capped.code).toBe(1);
    expect(capped.stderr).toMatch(/deletes 1 secrets, more than --max-deletes 0/);
    expect((await plan("--max-deletes", "0", "--allow-mass-delete", withoutK3)).code).toBe(0);

    const withoutToken = manifest(base().replace(/ {2}app\/token:\n.*\n.*\n/, ""));
    const prot = await plan("--allow-mass-delete", withoutToken);
    expect(prot.code).toBe(1);
    expect(prot.stderr).toMatch(/no longer declares protected secret\(s\) app\/token/);

    await createString(sm(), "e/owned", "x", { "sopsync:managed-by": "empty-scope" });
    const empty = await plan(manifest("sopsync: 1\nscope: { id: empty-scope, prefix: e/ }\nsecrets: {}\n"));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/declares no secrets but 1 owned secret\(s\) exist; pass --allow-mass-delete/);

    const wrong = await plan(
      manifest(base().replace(`  region: ${TEST_REGION}\n`, `  region: ${TEST_REGION}\n  account: "999999999999"\n`)),
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `target.account is 999999999999 but the credentials are for account ${MOTO_ACCOUNT}; refusing to run`,
    );
  });

  it("treats one KMS key named by alias and by key ARN as the same key", async () => {
    const kms = new KMSClient({
      region: TEST_REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    const k = await kms.send(new CreateKeyCommand({}));
    const other = await kms.send(new CreateKeyCommand({}));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/plan-it", TargetKeyId: k.KeyMetadata?.KeyId }));
    // What AWS reports for a secret encrypted with this key: the key's ARN, whatever name was used.
    await sm().send(
      new CreateSecretCommand({
        Name: "app/keyed",
        SecretString: CANARIES.keyed,
        KmsKeyId: k.KeyMetadata?.Arn,
        Tags: [
          { Key: "sopsync:managed-by", Value: "plan-it" },
          { Key: "team", Value: "platform" },
        ],
      }),
    );
    await sm().send(
      new CreateSecretCommand({
        Name: "app/keyed2",
        SecretString: CANARIES.keyed,
        KmsKeyId: other.KeyMetadata?.Arn,
        Tags: [
          { Key: "sopsync:managed-by", Value: "plan-it" },
          { Key: "team", Value: "platform" },
        ],
      }),
    );
    const extra = `  app/keyed:\n    value: ${CANARIES.keyed}\n    kmsKeyId: alias/plan-it\n  app/keyed2:\n    value: ${CANARIES.keyed}\n    kmsKeyId: alias/plan-it\n`;
    const p = await jsonPlan("--allow-mass-delete", manifest(base(extra)));
    expect(actionsOf(p, "app/keyed")).toEqual([]);
    // A key change writes the value again under the new key (issue 11), which records its own version.
    expect(actionsOf(p, "app/keyed2")).toEqual(["update-metadata", "update-value"]);
    expect(p.targets[0]?.changes.find((c) => c.name === "app/keyed2")?.actions[0]).toEqual({
      type: "update-metadata",
      kmsKeyId: { before: other.KeyMetadata?.Arn, after: "alias/plan-it" },
    });
  });

  it("plans policy removal (policy: null) and replica changes against what DescribeSecret reports", async () => {
    await sm().send(new ReplicateSecretToRegionsCommand({ SecretId: "app/k2", AddReplicaRegions: [{ Region: "us-west-2" }] }));
    const text = base()
      .replace("  app/k2: { value: k }\n", "  app/k2: { value: k, replicas: [{ region: us-east-1 }] }\n")
      .replace("  app/k3: { value: k }\n", "  app/k3: { value: k, replicas: [{ region: us-east-1 }] }\n")
      .replace(`    policy: ${POLICY}\n`, "    policy: null\n");
    const r = await plan("--allow-mass-delete", manifest(text));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/~ app\/policy: delete-policy\n\s+policy: removed\n\s+@@[^\n]*\n\s+-\{/);
    expect(r.stdout).toMatch(
      /~ app\/k2: remove-replica, add-replica\n\s+- replica us-west-2 \(deleted at once[^\n]*\n\s+\+ replica us-east-1/,
    );
    expect(r.stdout).toMatch(/~ app\/k3: add-replica\n\s+\+ replica us-east-1/);
    // Omitted replicas are not managed: the replica made by hand is not removed.
    const omitted = await jsonPlan("--allow-mass-delete", manifest(base()));
    expect(actionsOf(omitted, "app/k2")).toEqual([]);
  });

  it("plans several manifests in one run, one section per target", async () => {
    const second = manifest(
      `sopsync: 1\nscope: { id: other-team, prefix: ops/ }\nsecrets:\n  ops/one: { value: "${CANARIES.token}-ops" }\n`,
    );
    const first = manifest(base());
    const out = join(dir, "multi.json");
    const text = await plan("--out", out, first, second);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${first} -> account ${MOTO_ACCOUNT}, ${TEST_REGION} (scope plan-it)`);
    expect(text.stdout).toContain(`${second} -> account ${MOTO_ACCOUNT}, ${TEST_REGION} (scope other-team)`);
    expect(text.stdout).toMatch(/\+ ops\/one: create/);
    const saved = JSON.parse(readFileSync(out, "utf8")) as Plan;
    expect(saved.targets.map((t) => t.scope.id)).toEqual(["other-team", "plan-it"]); // sorted by (account, region, scope)
    allOutput.push(readFileSync(out, "utf8"));
    // Several targets: one fleet comment, each target's details under its own summary line.
    const md = await plan("--format", "markdown", first, second);
    expect(md.stdout.startsWith("<!-- sopsync-fleet -->\n")).toBe(true);
    expect(md.stdout).toContain("<summary><code>plan-it</code> · account");
    expect(md.stdout).toContain("<summary><code>other-team</code> · account");
  });

  it("validate reports every problem of every manifest with file:line:col", async () => {
    const bad = manifest(
      `sopsync: 1\nscope: { id: plan-it, prefix: app/ }\nsecrets:\n  app/x-AbCdEf: { value: "${CANARIES.token}" }\n  elsewhere: { value: v, recoveryWindowDays: 3, colour: red }\n`,
    );
    const good = manifest(base());
    const r = await runCli(["validate", bad, good], { env });
    expect(r.code).toBe(1);
    // Positions are in the encrypted file as sops wrote it (block style), the file the user edits.
    expect(r.stderr).toContain(`${bad}: 3 problems in the manifest`);
    // AWS accepts a name ending in '-' and six characters, and advises against it: a warning.
    expect(r.stderr).not.toContain(`${bad}:6:5`);
    expect(r.stderr).toContain(`${bad}:8:5: secret name is outside scope.prefix 'app/'`);
    expect(r.stderr).toContain(`${bad}:10:29: secrets.elsewhere.recoveryWindowDays: recovery window is 7..30 days`);
    expect(r.stderr).toContain(`${bad}:11:9: unknown key 'colour' in secrets.elsewhere`);
    expect(r.stdout).toContain(`${good}: ok (6 secrets, scope plan-it)`);

    // sops itself refuses duplicate keys, so they only come from editing the encrypted file by hand.
    const lines = readFileSync(good, "utf8").split("\n");
    const at = lines.findIndex((l) => l.includes("description: Primary database"));
    lines.splice(at + 1, 0, lines[at] as string);
    const dup = join(dir, "dup", "secrets.yaml");
    mkdirSync(join(dir, "dup"));
    writeFileSync(dup, lines.join("\n"));
    const d = await runCli(["validate", dup], { env });
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(`Error: ${dup}:${at + 2}:9: duplicate key 'description': each key may appear once in a mapping`);
  });

  it("colours the text plan only when asked (FORCE_COLOR), never with NO_COLOR or when piped", async () => {
    const file = manifest(base());
    const forced = await runCli(["plan", file], { env: { ...env, NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(forced.stdout).toMatch(ANSI_CODE);
    const piped = await runCli(["plan", file], { env: { ...env, NO_COLOR: "" } });
    expect(piped.stdout).not.toMatch(ANSI_ESC);
    const md = await runCli(["plan", "--format", "markdown", file], { env: { ...env, NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(md.stdout).not.toMatch(ANSI_ESC);
  });

  it("no secret value, nor its hash or encoding, appeared in any output or saved plan", () => {
    expect(allOutput.length).toBeGreaterThan(20);
    assertNoCanary(allOutput, CANARIES);
    const derived: Record<string, string> = {};
    for (const [label, v] of Object.entries(CANARIES)) {
      derived[`${label} sha256`] = createHash("sha256").update(v).digest("hex");
      derived[`${label} sha1`] = createHash("sha1").update(v).digest("hex");
      derived[`${label} md5`] = createHash("md5").update(v).digest("hex");
      derived[`${label} base64`] = Buffer.from(v).toString("base64");
    }
    assertNoCanary(allOutput, derived);
    expect(files.length).toBeGreaterThan(5);
  });
});
