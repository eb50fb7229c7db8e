// States AWS has that sopsync must handle (issue 11), through the CLI against moto behind the test
// proxy, with the AWS-behaviour layer and without it: a secret's own recovery window recorded and
// used when it leaves the manifest; a secret without a current value planned and written, and skipped
// by import; a KMS key change that writes the value again, under the new key, in the same call.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TAG_MANAGED_BY, TAG_RECOVERY_WINDOW } from "../../src/state/ownership.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { smClient, tagsOf } from "../helpers/aws.js";
import { documentedAws, type Rule } from "../helpers/aws-behaviour.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";

const CANARIES = { kept: "canary-kms-kept-61c2", empty: "canary-empty-filled-0d9e", theirs: "canary-adopted-7b41" };
const DAY = 86_400_000;

const head = (defaults = "") => `sopsync: 1
target:
  region: ${TEST_REGION}
scope:
  id: states
  prefix: st/
${defaults}secrets:
`;

describe.each([
  ["with the AWS-behaviour layer", true],
  ["on moto as it is", false],
])("AWS states %s", (_label, withLayer) => {
  let w: ProxiedMoto;
  /** What apply sent, per operation and secret (kept in memory, never printed: it holds values). */
  const sent: { operation: string; body: Record<string, unknown> }[] = [];
  let dropResponseOf: string | undefined;
  const record: Rule = {
    name: "records requests (test instrument, not AWS behaviour)",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html",
    handle(req, next) {
      sent.push(req);
      return next(req);
    },
  };
  let n = 0;
  const write = (text: string) => {
    const dir = join(w.dir, `m${n++}`);
    mkdirSync(dir);
    return sopsEncrypt(text, { recipients: [w.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  };
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });
  const sm = () => smClient(w.proxy.endpoint);
  const direct = () => smClient(w.moto.endpoint);

  beforeAll(async () => {
    w = await startProxiedMoto("states", {
      behaviour: withLayer ? [record, ...documentedAws()] : [record],
      onRequest: ({ operation }) => {
        if (operation !== dropResponseOf) return undefined;
        dropResponseOf = undefined;
        return "drop-response";
      },
    });
  });
  afterAll(() => stopProxiedMoto(w));
  beforeEach(async () => {
    await w.moto.reset();
    sent.length = 0;
  });

  it("records a secret's own recovery window and uses it when the secret leaves the manifest", async () => {
    const before = write(`${head("defaults: { recoveryWindowDays: 8 }\n")}  st/own:
    value: a
    recoveryWindowDays: 21
  st/plain:
    value: b
  st/kept:
    value: c
`);
    const applied = await cli("apply", "--yes", before);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(tagsOf((await sm().send(new DescribeSecretCommand({ SecretId: "st/own" }))).Tags)[TAG_RECOVERY_WINDOW]).toBe("21");
    expect(tagsOf((await sm().send(new DescribeSecretCommand({ SecretId: "st/plain" }))).Tags)).not.toHaveProperty(
      TAG_RECOVERY_WINDOW,
    );

    const after = write(`${head("defaults: { recoveryWindowDays: 8 }\n")}  st/kept:
    value: c
`);
    const plan = await cli("plan", after, "--allow-mass-delete");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/st\/own: delete\n.*21-day recovery window \(the secret's own, recorded when sopsync wrote it\)/);
    expect(plan.stdout).toMatch(/st\/plain: delete\n.*8-day recovery window \(defaults\.recoveryWindowDays\)/);
    const started = Date.now();
    const deleted = await cli("apply", "--yes", "--allow-mass-delete", after);
    expect(deleted.code, deleted.stdout + deleted.stderr).toBe(0);
    const scheduled = async (id: string) =>
      ((await sm().send(new DescribeSecretCommand({ SecretId: id }))).DeletedDate?.getTime() ?? 0) - started;
    expect(Math.round((await scheduled("st/own")) / DAY)).toBe(21);
    expect(Math.round((await scheduled("st/plain")) / DAY)).toBe(8);
  });

  it("plans and writes the value of a secret without one, ours or adopted; import skips it, saying why", async () => {
    await direct().send(new CreateSecretCommand({ Name: "st/ours", Tags: [{ Key: TAG_MANAGED_BY, Value: "states" }] }));
    await direct().send(new CreateSecretCommand({ Name: "st/theirs" }));
    await direct().send(new CreateSecretCommand({ Name: "st/full", SecretString: CANARIES.kept }));

    const imported = await cli("import", "--prefix", "st/", "--out", join(w.dir, `import-${n++}.yaml`), "--age", w.recipient);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toMatch(/Imported 1 secret\(s\)/);
    expect(imported.stderr).toMatch(/skipped st\/theirs: it has no current value \(no AWSCURRENT version\)/);

    const file = write(`${head()}  st/ours:
    value: ${CANARIES.empty}
  st/theirs:
    value: ${CANARIES.theirs}
    adopt: true
`);
    const plan = await cli("plan", "--detailed-exitcode", file);
    expect(plan.code, plan.stderr).toBe(2);
    const why = "value: the secret has no current value \\(no AWSCURRENT version\\); the manifest's is written";
    expect(plan.stdout).toMatch(new RegExp(`~ st/ours: update-value\\n\\s+${why}`));
    expect(plan.stdout).toMatch(new RegExp(`st/theirs: adopt, update-value[\\s\\S]*?${why}`));

    const applied = await cli("apply", "--yes", file);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect((await sm().send(new GetSecretValueCommand({ SecretId: "st/ours" }))).SecretString).toBe(CANARIES.empty);
    expect((await sm().send(new GetSecretValueCommand({ SecretId: "st/theirs" }))).SecretString).toBe(CANARIES.theirs);
    const again = await cli("plan", "--detailed-exitcode", file);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it("a KMS key change writes the value again under the new key, in the same UpdateSecret; a lost answer is no failure", async () => {
    const kms = new KMSClient({
      region: TEST_REGION,
      endpoint: w.moto.endpoint,
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
    const keyArn = async () => (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
    const [a, b] = [await keyArn(), await keyArn()];
    const withKey = (key: string) => write(`${head()}  st/k:\n    value: ${CANARIES.kept}\n    kmsKeyId: ${key}\n`);

    const first = await cli("apply", "--yes", withKey(a));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const versionBefore = (await sm().send(new GetSecretValueCommand({ SecretId: "st/k" }))).VersionId;

    const file = withKey(b);
    const plan = await cli("plan", file);
    expect(plan.stdout).toMatch(/~ st\/k: update-metadata, update-value/);
    expect(plan.stdout).toContain(`kmsKeyId: "${a}" -> "${b}"`);
    expect(plan.stdout).toContain("value: written again as a new version under the new KMS key, so only that key decrypts it");
    expect(plan.stdout).not.toMatch(/\(value changed\)/);

    sent.length = 0;
    dropResponseOf = "UpdateSecret"; // moto does the work, the answer is lost, the SDK sends it again
    const applied = await cli("apply", "--yes", file);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const forSecret = sent.filter((r) => r.body.SecretId === "st/k" || r.body.Name === "st/k");
    const updates = forSecret.filter((r) => r.operation === "UpdateSecret");
    expect(updates).toHaveLength(2); // the first, whose answer was lost, and the SDK's retry
    for (const u of updates) {
      expect(u.body.KmsKeyId).toBe(b);
      expect(typeof u.body.SecretString).toBe("string");
      expect(typeof u.body.ClientRequestToken).toBe("string");
    }
    expect(forSecret.filter((r) => r.operation === "PutSecretValue")).toEqual([]);

    const d = await sm().send(new DescribeSecretCommand({ SecretId: "st/k" }));
    expect(d.KmsKeyId).toBe(b);
    const current = Object.entries(d.VersionIdsToStages ?? {}).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
    expect(current).toBe(updates[0]?.body.ClientRequestToken);
    expect(current).not.toBe(versionBefore);
    expect(d.VersionIdsToStages?.[versionBefore ?? ""]).toEqual(["AWSPREVIOUS"]);
    expect((await sm().send(new GetSecretValueCommand({ SecretId: "st/k" }))).SecretString).toBe(CANARIES.kept);
    const again = await cli("plan", "--detailed-exitcode", file);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it("no secret value appeared in any output", () => {
    assertNoCanary(allOutput, CANARIES);
  });
});
