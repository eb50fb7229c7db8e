// A saved plan survives its apply being killed right after any kind of write reached AWS: for each
// action type in turn, the CLI applying `plan.json` is SIGKILLed when the proxy sees that action's
// first request for the secret under test. The request still goes on to moto after the client died
// (the write landed, the client never heard), and the killed apply leaves its lock held. After
// force-unlock, `apply plan.json` must accept its own half-done work as "already applied by this
// plan" (exit 0, not 3), finish the rest without redoing the landed write, and leave the account
// equal to the manifest (`plan --detailed-exitcode` exits 0) with at most one new version per value
// write, each the token-derived id.
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applySucceeded } from "../../src/apply/outcome.js";
import { valueToken } from "../../src/apply/tokens.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import type { Action, Plan } from "../../src/plan/model.js";
import { forceUnlock, readLock } from "../../src/run/lock.js";
import { openTargets } from "../../src/run/targets.js";
import { applyRun } from "../../src/run/workflow.js";
import { getString, smClient, tagsOf } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type FaultProxy, LOCK_SECRET_PREFIX, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { awsEnv, MOTO_ACCOUNT, type Moto, TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";
import { startProxiedMoto, stopProxiedMoto, versionsOf } from "../apply/cli-fixtures.js";

const CANARY = "canary-resume-7d21e4";
const SCOPE = "resume";
const X = "r/x";
const REPLICA_REGION = "us-east-1";
const policy = (action: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Read", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` }, Action: action, Resource: "*" },
    ],
  });

interface SecretSpec {
  value: string;
  description?: string;
  tags?: Record<string, string>;
  /** JSON text, or null for "no policy"; omitted: not managed. */
  policy?: string | null;
  replicas?: string[];
}
type Secrets = Record<string, SecretSpec>;

function manifestYaml(secrets: Secrets): string {
  const lines = [
    "sopsync: 1",
    "target:",
    `  region: ${TEST_REGION}`,
    "scope:",
    `  id: ${SCOPE}`,
    "  prefix: r/",
    "defaults:",
    "  recoveryWindowDays: 7",
    "  tags: { team: resume-test }",
    "secrets:",
  ];
  for (const [name, s] of Object.entries(secrets)) {
    lines.push(`  ${name}:`, `    value: ${JSON.stringify(s.value)}`);
    if (s.description !== undefined) lines.push(`    description: ${JSON.stringify(s.description)}`);
    if (s.tags) lines.push(`    tags: ${JSON.stringify(s.tags)}`);
    if (s.policy !== undefined) lines.push(`    policy: ${s.policy ?? "null"}`);
    if (s.replicas) lines.push(`    replicas: [${s.replicas.map((r) => `{ region: ${r} }`).join(", ")}]`);
  }
  return `${lines.join("\n")}\n`;
}

const v = (label: string) => `${CANARY}-${label}`;
/** In sync in every case: enough owned secrets that deleting one stays under the 25% guard. */
const fillers: Secrets = { "r/f1": { value: v("f1") }, "r/f2": { value: v("f2") }, "r/f3": { value: v("f3") } };
/** The other secrets' changes, so the kill lands in the middle of a run rather than at its only write. */
const otherBefore: Secrets = { ...fillers, "r/keep": { value: v("keep-1") } };
const otherAfter: Secrets = { ...fillers, "r/keep": { value: v("keep-2") }, "r/new": { value: v("new") } };

interface Case {
  label: string;
  action: Action["type"];
  /** The request to die on: this operation's first one for r/x. */
  op: string;
  /** Applied with the CLI to set the scene. */
  base: Secrets;
  /** Out-of-band changes after that, with the SDK straight to moto. */
  arrange?: (sm: SecretsManagerClient) => Promise<void>;
  target: Secrets;
  flags?: string[];
  /** What the live r/x must show at the end, beyond what a clean re-plan proves. */
  check?: (sm: SecretsManagerClient) => Promise<void>;
  /** The restored value already is the manifest's: the plan's value write is not needed after the crash. */
  restoredInSync?: boolean;
}

const cases: Case[] = [
  {
    label: "create",
    action: "create",
    op: "CreateSecret",
    base: otherBefore,
    target: { ...otherAfter, [X]: { value: v("x-2") } },
  },
  {
    label: "update-value",
    action: "update-value",
    op: "PutSecretValue",
    base: { ...otherBefore, [X]: { value: v("x-1") } },
    target: { ...otherAfter, [X]: { value: v("x-2") } },
  },
  {
    // The tag change runs after the value write; a crash between them leaves the tag change to the
    // re-run, which carries no sopsync:version (the value's version id is the record).
    label: "update-value with a tag change",
    action: "update-value",
    op: "PutSecretValue",
    base: { ...otherBefore, [X]: { value: v("x-1"), tags: { tier: "bronze" } } },
    target: { ...otherAfter, [X]: { value: v("x-2"), tags: { tier: "gold" } } },
    check: async (sm) => {
      expect(tagsOf((await sm.send(new DescribeSecretCommand({ SecretId: X }))).Tags).tier).toBe("gold");
    },
  },
  {
    label: "restore",
    action: "restore",
    op: "RestoreSecret",
    base: { ...otherBefore, [X]: { value: v("x-1") } },
    arrange: async (sm) => {
      await sm.send(new DeleteSecretCommand({ SecretId: X, RecoveryWindowInDays: 7 }));
    },
    // The usual way into a restore: a secret dropped from the manifest and declared again as it was.
    target: { ...otherAfter, [X]: { value: v("x-1") } },
    // The plan writes the value blindly (unreadable while pending deletion); once restored it reads
    // as the manifest's, so the resumed run has nothing left to write to it.
    restoredInSync: true,
  },
  {
    label: "delete",
    action: "delete",
    op: "DeleteSecret",
    base: { ...otherBefore, [X]: { value: v("x-1") } },
    target: otherAfter,
    check: async (sm) => {
      expect((await sm.send(new DescribeSecretCommand({ SecretId: X }))).DeletedDate).toBeDefined();
    },
  },
  {
    label: "tag",
    action: "tag",
    op: "TagResource",
    base: { ...otherBefore, [X]: { value: v("x-1"), tags: { tier: "bronze" } } },
    target: { ...otherAfter, [X]: { value: v("x-1"), tags: { tier: "gold" } } },
    check: async (sm) => {
      expect(tagsOf((await sm.send(new DescribeSecretCommand({ SecretId: X }))).Tags).tier).toBe("gold");
    },
  },
  {
    label: "untag",
    action: "untag",
    op: "UntagResource",
    base: { ...otherBefore, [X]: { value: v("x-1"), tags: { tier: "bronze", legacy: "yes" } } },
    target: { ...otherAfter, [X]: { value: v("x-1"), tags: { tier: "bronze" } } },
    check: async (sm) => {
      expect(tagsOf((await sm.send(new DescribeSecretCommand({ SecretId: X }))).Tags)).not.toHaveProperty("legacy");
    },
  },
  {
    label: "update-metadata",
    action: "update-metadata",
    op: "UpdateSecret",
    base: { ...otherBefore, [X]: { value: v("x-1"), description: "before" } },
    target: { ...otherAfter, [X]: { value: v("x-1"), description: "after" } },
    check: async (sm) => {
      expect((await sm.send(new DescribeSecretCommand({ SecretId: X }))).Description).toBe("after");
    },
  },
  {
    label: "put-policy",
    action: "put-policy",
    op: "PutResourcePolicy",
    base: { ...otherBefore, [X]: { value: v("x-1"), policy: policy("secretsmanager:DescribeSecret") } },
    target: { ...otherAfter, [X]: { value: v("x-1"), policy: policy("secretsmanager:GetSecretValue") } },
    check: async (sm) => {
      const p = (await sm.send(new GetResourcePolicyCommand({ SecretId: X }))).ResourcePolicy;
      expect(JSON.parse(p ?? "{}")).toEqual(JSON.parse(policy("secretsmanager:GetSecretValue")));
    },
  },
  {
    label: "delete-policy",
    action: "delete-policy",
    op: "DeleteResourcePolicy",
    base: { ...otherBefore, [X]: { value: v("x-1"), policy: policy("secretsmanager:DescribeSecret") } },
    target: { ...otherAfter, [X]: { value: v("x-1"), policy: null } },
    check: async (sm) => {
      expect((await sm.send(new GetResourcePolicyCommand({ SecretId: X }))).ResourcePolicy).toBeFalsy();
    },
  },
  {
    label: "add-replica",
    action: "add-replica",
    op: "ReplicateSecretToRegions",
    base: { ...otherBefore, [X]: { value: v("x-1"), replicas: [] } },
    target: { ...otherAfter, [X]: { value: v("x-1"), replicas: [REPLICA_REGION] } },
    check: async (sm) => {
      const d = await sm.send(new DescribeSecretCommand({ SecretId: X }));
      expect((d.ReplicationStatus ?? []).map((r) => r.Region)).toEqual([REPLICA_REGION]);
    },
  },
  {
    label: "remove-replica",
    action: "remove-replica",
    op: "RemoveRegionsFromReplication",
    base: { ...otherBefore, [X]: { value: v("x-1"), replicas: [REPLICA_REGION] } },
    target: { ...otherAfter, [X]: { value: v("x-1"), replicas: [] } },
    check: async (sm) => {
      const d = await sm.send(new DescribeSecretCommand({ SecretId: X }));
      expect(d.ReplicationStatus ?? []).toEqual([]);
    },
  },
  {
    // Adopting writes nothing of its own: the ownership tag (the tag action) is what takes the
    // secret over, so that is the write to die on.
    label: "adopt",
    action: "adopt",
    op: "TagResource",
    base: otherBefore,
    arrange: async (sm) => {
      await sm.send(new CreateSecretCommand({ Name: X, SecretString: v("x-1"), Tags: [{ Key: "owner", Value: "ops" }] }));
    },
    target: { ...otherAfter, [X]: { value: v("x-1") } },
    flags: ["--adopt"],
    check: async (sm) => {
      const tags = tagsOf((await sm.send(new DescribeSecretCommand({ SecretId: X }))).Tags);
      expect(tags["sopsync:managed-by"]).toBe(SCOPE);
      expect(tags).not.toHaveProperty("owner");
    },
  },
];

describe("apply resumes after a SIGKILL right after each action type's write landed", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let root: string;
  let recipient: string;
  let env: Record<string, string>;
  const sm = () => smClient(moto.endpoint);
  /** The run to kill at its first `op` request for `secret`. */
  let victim: { op: string; secret: string; child?: ChildProcess; exited?: Promise<unknown>; killed: boolean } | undefined;
  /** Write requests per "Operation secret", from the last resetStats on. */
  let writesBy = new Map<string, number>();
  const timings: string[] = [];
  /** Every version id of a secret, deprecated ones included; none for a secret that does not exist. */
  const versionIds = async (name: string) => {
    // Asked with DescribeSecret first: moto answers ListSecretVersionIds on a missing secret with an
    // HTML page rather than ResourceNotFoundException.
    try {
      await sm().send(new DescribeSecretCommand({ SecretId: name }));
    } catch (err) {
      if ((err as Error).name === "ResourceNotFoundException") return [];
      throw err;
    }
    return (await versionsOf(sm(), name)).map((x) => x.id);
  };

  beforeAll(async () => {
    ({
      moto,
      proxy,
      dir: root,
      recipient,
      env,
    } = await startProxiedMoto("resume", {
      onRequest: async ({ operation, secret }) => {
        if (WRITE_OPERATIONS.has(operation) && !secret?.startsWith(LOCK_SECRET_PREFIX)) {
          const key = `${operation} ${secret}`;
          writesBy.set(key, (writesBy.get(key) ?? 0) + 1);
        }
        if (!victim || victim.killed || operation !== victim.op || secret !== victim.secret) return undefined;
        victim.killed = true;
        victim.child?.kill("SIGKILL");
        await victim.exited;
        // Forwarded after the client is gone: the write lands, nobody hears about it.
        return undefined;
      },
    }));
    // This process's own calls (scene setting, lock inspection) go straight to moto.
    Object.assign(process.env, awsEnv(moto.endpoint), { SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE });
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    victim = undefined;
    await moto.reset();
  });

  it.each(cases)("$label: killed after its write landed, re-run resumes and converges", async (c) => {
    const started = Date.now();
    const dir = mkdtempSync(join(root, "case-"));
    // Each as secrets.yaml in its own folder: the name the project's .sops.yaml rule matches.
    const manifest = (sub: string, secrets: Secrets) => {
      mkdirSync(join(dir, sub));
      return sopsEncrypt(manifestYaml(secrets), {
        recipients: [recipient],
        dir: join(dir, sub),
        extraArgs: ["--encrypted-regex", "^(value|binary)$"],
      });
    };
    const cli = (args: string[]) => runCli(args, { env, cwd: dir });
    const flags = c.flags ?? [];

    // The scene is set in-process (straight to moto): only the runs under test pay for a CLI start.
    const seeded = await applyRun(await openTargets([manifest("base", c.base)]), undefined, { planOptions: {} });
    expect(seeded.results?.every(applySucceeded), "seeding").toBe(true);
    await c.arrange?.(sm());
    const target = manifest("target", c.target);
    const names = [...new Set([...Object.keys(c.base), ...Object.keys(c.target), X])];
    const before = new Map<string, string[]>();
    for (const n of names) before.set(n, await versionIds(n));

    const planned = await cli(["plan", ...flags, "--out", "plan.json", target]);
    expect(planned.code, planned.stderr).toBe(0);
    allOutput.push(readFileSync(join(dir, "plan.json"), "utf8"));
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    const changes = saved.targets[0]?.changes ?? [];
    const xActions = changes.find((ch) => ch.name === X)?.actions.map((a) => a.type) ?? [];
    expect(xActions, `the plan for ${X}`).toContain(c.action);
    expect(changes.filter((ch) => ch.name !== X && ch.actions.length > 0).length).toBeGreaterThan(0);

    const v: NonNullable<typeof victim> = { op: c.op, secret: X, killed: false };
    victim = v;
    const killed = await runCli(["apply", ...flags, "plan.json"], {
      env,
      cwd: dir,
      onSpawn: (child) => {
        v.child = child;
        v.exited = new Promise((resolve) => child.once("exit", resolve));
      },
    });
    expect(v.killed, `the apply finished before its ${c.op} on ${X}: ${killed.stdout}${killed.stderr}`).toBe(true);
    expect(killed.code).toBe(-1);
    victim = undefined;

    const port = await createSdkPort({ region: TEST_REGION });
    const lock = await readLock(port, SCOPE);
    expect(lock.state).toBe("held");
    await forceUnlock(port, SCOPE, lock.holder?.id as string);

    proxy.resetStats();
    writesBy = new Map();
    const resumed = await cli(["apply", ...flags, "plan.json"]);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    // The write that landed is recognised as done, not made again.
    expect(writesBy.get(`${c.op} ${X}`) ?? 0, `${c.op} on ${X} repeated`).toBe(0);

    const again = await cli(["plan", ...flags, "--detailed-exitcode", target]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    await c.check?.(sm());
    if (c.target[X] && c.action !== "delete") expect(await getString(sm(), X)).toBe(c.target[X].value);

    // No duplicate versions: each secret gained one version per value write of the plan, whose id
    // is the token for that write, and nothing else.
    const ctx = { planId: saved.planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: SCOPE };
    for (const n of names) {
      const now = await versionIds(n);
      const added = now.filter((id) => !before.get(n)?.includes(id));
      const change = changes.find((ch) => ch.name === n);
      const writes = (change?.actions ?? []).filter((a) => a.type === "create" || a.type === "update-value");
      const expected = (c.restoredInSync && n === X) || !change ? [] : writes.map((a) => valueToken(ctx, change, a.type));
      expect(added, `new versions of ${n}`).toEqual(expected);
    }
    timings.push(`${c.label} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });

  it("no secret value appeared in any output or saved plan", () => {
    console.log(`resume timings: ${timings.join(", ")}`);
    expect(allOutput.length).toBeGreaterThan(cases.length * 4);
    assertNoCanary(allOutput, { canary: CANARY });
  });
});
