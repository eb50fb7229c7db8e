// Replicas end to end (issue 11, items 1, 2, 3 and 10): the CLI against moto through the fault proxy,
// with the AWS-behaviour layer (replicas InProgress for a while, the documented name-conflict message,
// replica keys reported as given) and without it (moto as it is), from manifests encrypted by sops.
// Arranging and checking goes straight to moto with the SDK, one client per region.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { getString } from "../helpers/aws.js";
import { documentedAws, type Rule, settle } from "../helpers/aws-behaviour.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { sopsEncrypt } from "../helpers/tools.js";

const PRIMARY = "eu-west-1";
const REPLICA = "us-east-1";
const CANARY = "canary-replica-7e1a";
const SCOPE = "rep";

interface Declared {
  value: string;
  replicas?: { region: string; kmsKeyId?: string }[];
}

function manifestText(region: string, secrets: Record<string, Declared>): string {
  const lines = ["sopsync: 1", "target:", `  region: ${region}`, "scope:", `  id: ${SCOPE}`, "  prefix: app/", "secrets:"];
  if (Object.keys(secrets).length === 0) lines[lines.length - 1] = "secrets: {}";
  for (const [name, s] of Object.entries(secrets)) {
    lines.push(`  ${name}:`, `    value: ${JSON.stringify(s.value)}`);
    if (s.replicas) {
      const list = s.replicas.map((r) => `{ region: ${r.region}${r.kmsKeyId ? `, kmsKeyId: "${r.kmsKeyId}"` : ""} }`);
      lines.push(`    replicas: [${list.join(", ")}]`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function client(w: ProxiedMoto, region: string) {
  const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
  return {
    sm: new SecretsManagerClient({ region, endpoint: w.moto.endpoint, credentials }),
    kms: new KMSClient({ region, endpoint: w.moto.endpoint, credentials }),
  };
}

/** Several tests against one moto (reset before each), through a proxy with or without the layer. */
function harness(name: string, layered: boolean) {
  const h = {} as {
    w: ProxiedMoto;
    manifest: (region: string, secrets: Record<string, Declared>) => string;
    /** What a user does by waiting: listings that lag catch up. */
    wait: () => void;
  };
  let n = 0;
  beforeAll(async () => {
    const rules: Rule[] | undefined = layered ? documentedAws() : undefined;
    h.w = await startProxiedMoto(name, rules ? { behaviour: rules } : {});
    h.wait = () => settle(rules);
    h.manifest = (region, secrets) => {
      // Each in its own directory as secrets.yaml, values encrypted like the recommended .sops.yaml.
      const dir = join(h.w.dir, `m${n++}`);
      mkdirSync(dir);
      return sopsEncrypt(manifestText(region, secrets), {
        recipients: [h.w.recipient],
        dir,
        extraArgs: ["--encrypted-regex", "^(value|binary)$"],
      });
    };
  });
  afterAll(() => stopProxiedMoto(h.w ?? {}));
  beforeEach(() => h.w.moto.reset());
  return h;
}

async function cli(w: ProxiedMoto, ...args: string[]) {
  return runCli(args, { env: w.env, cwd: w.dir });
}

async function jsonPlan(w: ProxiedMoto, file: string, ...extra: string[]): Promise<Plan> {
  const r = await cli(w, "plan", "--format", "json", ...extra, file);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Plan;
}

const keepers = (k: number): Record<string, Declared> =>
  Object.fromEntries(Array.from({ length: k }, (_, i) => [`app/keep-${i}`, { value: `${CANARY}-keep-${i}` }]));

for (const layered of [true, false]) {
  describe(`replicas ${layered ? "with the AWS-behaviour layer" : "on moto as it is"}`, () => {
    const h = harness(layered ? "replicas-layer" : "replicas-moto", layered);

    it("a manifest for the replica's region, same scope, never touches the replica (the issue's reproduction)", async () => {
      const { w } = h;
      const shared = { value: `${CANARY}-shared`, replicas: [{ region: REPLICA }] };
      const eu = await cli(w, "apply", "--yes", h.manifest(PRIMARY, { "app/shared": shared, ...keepers(1) }));
      expect(eu.code, eu.stdout + eu.stderr).toBe(0);
      h.wait();

      // The replica in us-east-1 carries its primary's tags, ours among them: still not ours there.
      const us = h.manifest(REPLICA, { "app/us-only": { value: `${CANARY}-us` } });
      const p = await jsonPlan(w, us);
      const t = p.targets[0];
      expect(t?.target.region).toBe(REPLICA);
      expect(t?.changes.map((c) => [c.name, c.actions.map((a) => a.type)])).toEqual([["app/us-only", ["create"]]]);
      expect(t?.replicaSecrets).toEqual([{ name: "app/shared", primaryRegion: PRIMARY }]);
      const text = await cli(w, "plan", us);
      expect(text.stdout).toMatch(/· app\/shared: replica of eu-west-1, not touched/);

      const applied = await cli(w, "apply", "--yes", us);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      const replica = await client(w, REPLICA).sm.send(new DescribeSecretCommand({ SecretId: "app/shared" }));
      expect(replica.PrimaryRegion).toBe(PRIMARY);
      expect(replica.DeletedDate).toBeUndefined();
      expect(await getString(client(w, PRIMARY).sm, "app/shared")).toBe(`${CANARY}-shared`);

      // Declaring it in the replica's region is a plan error naming the primary's region.
      const declared = await cli(w, "plan", h.manifest(REPLICA, { "app/shared": { value: `${CANARY}-other` } }));
      expect(declared.code).toBe(1);
      expect(declared.stderr).toMatch(/'app\/shared' is a replica of the secret in eu-west-1.*manifest for eu-west-1/);
      assertNoCanary(allOutput, { canary: CANARY });
    });

    it("a replicated secret leaving the manifest: its replica is removed, then it is deleted; a re-plan is empty", async () => {
      const { w } = h;
      const gone = { value: `${CANARY}-gone`, replicas: [{ region: REPLICA }] };
      const first = await cli(w, "apply", "--yes", h.manifest(PRIMARY, { "app/gone": gone, ...keepers(7) }));
      expect(first.code, first.stdout + first.stderr).toBe(0);
      h.wait();

      const without = h.manifest(PRIMARY, keepers(7));
      // The replica removal counts as a deletion: two deletions against --max-deletes 1.
      const guarded = await cli(w, "plan", "--max-deletes", "1", without);
      expect(guarded.code).toBe(1);
      expect(guarded.stderr).toMatch(/deletes 2 secrets, more than --max-deletes 1; 1 of them replica removals/);

      const text = await cli(w, "plan", without);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        /- app\/gone: delete\n\s+- replica us-east-1 \(deleted at once, no recovery window\)\n\s+delete: no longer in the manifest/,
      );
      const applied = await cli(w, "apply", "--yes", without);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      const primary = await client(w, PRIMARY).sm.send(new DescribeSecretCommand({ SecretId: "app/gone" }));
      expect(primary.DeletedDate).toBeDefined();
      expect(primary.ReplicationStatus ?? []).toEqual([]);
      await expect(client(w, REPLICA).sm.send(new DescribeSecretCommand({ SecretId: "app/gone" }))).rejects.toThrow();
      h.wait();

      const again = await cli(w, "plan", "--detailed-exitcode", without);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      assertNoCanary(allOutput, { canary: CANARY });
    });

    it("a replica failing on a name taken in its region: read-back reports it, plan refuses, the other secret stays", async () => {
      const { w } = h;
      const theirs = client(w, REPLICA).sm;
      await theirs.send(new CreateSecretCommand({ Name: "app/taken", SecretString: `${CANARY}-theirs` }));
      const m = h.manifest(PRIMARY, { "app/taken": { value: `${CANARY}-ours`, replicas: [{ region: REPLICA }] } });

      const applied = await cli(w, "apply", "--yes", m);
      expect(applied.code).toBe(1);
      expect(applied.stdout).toMatch(/! app\/taken: read-back: the replica in us-east-1 failed: "[^"]*already exists[^"]*"/);
      // Not called applied: AWS answered, but the replica did not take.
      expect(applied.stdout).toMatch(/Apply: 0 applied, 1 failed/);
      if (layered) expect(applied.stdout).toContain('"Secret with this name already exists in this region"');
      h.wait();

      const planned = await cli(w, "plan", m);
      expect(planned.code).toBe(1);
      expect(planned.stderr).toMatch(
        /'app\/taken': its replica in us-east-1 failed: .*already exists.*Another secret of this name exists in us-east-1.*never overwrites/,
      );
      // Never overwritten (no ForceOverwriteReplicaSecret): the secret in us-east-1 is still theirs.
      const other = await theirs.send(new DescribeSecretCommand({ SecretId: "app/taken" }));
      expect(other.PrimaryRegion).toBeUndefined();
      expect(await getString(theirs, "app/taken")).toBe(`${CANARY}-theirs`);

      // Dropping the region clears the failed entry, and the plan converges.
      const dropped = h.manifest(PRIMARY, { "app/taken": { value: `${CANARY}-ours`, replicas: [] } });
      const fixed = await cli(w, "apply", "--yes", dropped);
      expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
      h.wait();
      expect((await cli(w, "plan", "--detailed-exitcode", dropped)).code).toBe(0);
      assertNoCanary(allOutput, { canary: CANARY });
    });
  });
}

describe("replicas with the AWS-behaviour layer only", () => {
  // moto reports a replica InSync at once and every replica's key as alias/aws/secretsmanager,
  // whatever key it was made with: these two behaviours exist only through the layer.
  const h = harness("replicas-layer-only", true);

  it("a replica still InProgress after apply is shown in the plan, not a change", async () => {
    const { w } = h;
    const m = h.manifest(PRIMARY, { "app/fresh": { value: `${CANARY}-fresh`, replicas: [{ region: REPLICA }] } });
    const applied = await cli(w, "apply", "--yes", m);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).not.toMatch(/read-back/);
    // Listings catch up; the replica is still being made (it is InProgress for reads, not for time).
    h.wait();
    const p = await cli(w, "plan", "--detailed-exitcode", m);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toMatch(/· app\/fresh: replica us-east-1: replication in progress/);
    const later = await cli(w, "plan", "--detailed-exitcode", m);
    expect(later.code).toBe(0);
    expect(later.stdout).not.toMatch(/in progress/);
  });

  it("a replica key named by alias or by key ARN is one key: nothing to plan", async () => {
    const { w } = h;
    const kms = client(w, REPLICA).kms;
    const key = await kms.send(new CreateKeyCommand({ Description: "replica key" }));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/replica-key", TargetKeyId: key.KeyMetadata?.KeyId }));
    const arn = key.KeyMetadata?.Arn ?? "";
    // The same alias name in the primary's region names another key: resolving there would mislead.
    const euKms = client(w, PRIMARY).kms;
    const euKey = await euKms.send(new CreateKeyCommand({ Description: "primary-region key" }));
    await euKms.send(new CreateAliasCommand({ AliasName: "alias/replica-key", TargetKeyId: euKey.KeyMetadata?.KeyId }));

    const byArn = h.manifest(PRIMARY, { "app/keyed": { value: `${CANARY}-k`, replicas: [{ region: REPLICA, kmsKeyId: arn }] } });
    const applied = await cli(w, "apply", "--yes", byArn);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    h.wait();
    // Let the replica settle (InProgress for two reads).
    await cli(w, "plan", byArn);

    const byAlias = h.manifest(PRIMARY, {
      "app/keyed": { value: `${CANARY}-k`, replicas: [{ region: REPLICA, kmsKeyId: "alias/replica-key" }] },
    });
    const p = await cli(w, "plan", "--detailed-exitcode", byAlias);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toMatch(/No changes/);

    // Another key in that region is a real change: remove and add again.
    const other = await kms.send(new CreateKeyCommand({ Description: "another key" }));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/another", TargetKeyId: other.KeyMetadata?.KeyId }));
    const changed = await jsonPlan(
      w,
      h.manifest(PRIMARY, { "app/keyed": { value: `${CANARY}-k`, replicas: [{ region: REPLICA, kmsKeyId: "alias/another" }] } }),
      "--allow-mass-delete",
    );
    expect(changed.targets[0]?.changes[0]?.actions).toEqual([
      { type: "remove-replica", region: REPLICA },
      { type: "add-replica", region: REPLICA, kmsKeyId: "alias/another" },
    ]);
    assertNoCanary(allOutput, { canary: CANARY });
  });
});
