// A saved plan is untrusted input: whoever can edit plan.json controls it. Each row of the table
// below is one edit of a real saved plan — the attacks of issue 10 among them — and each must be
// refused with zero writes to secrets on the wire (the lock's own calls aside), before the untouched
// plan is applied to show the table is not refusing everything.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { Plan, TargetPlan } from "../../src/plan/model.js";
import { getString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import type { Moto } from "../helpers/moto.js";
import { startProxiedMoto, stopProxiedMoto, writePlanFile } from "../apply/cli-fixtures.js";
import { sopsEncrypt } from "../helpers/tools.js";

const CANARY = "canary-forgery-7d02e1";
const POLICY_A =
  '{ Version: "2012-10-17", Statement: [{ Effect: Deny, Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "secretsmanager:DeleteSecret", Resource: "*" }] }';
const POLICY_B =
  '{ Version: "2012-10-17", Statement: [{ Effect: Deny, Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "secretsmanager:*", Resource: "*" }] }';
const PUBLIC_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }],
};

/** round "a": the seed; "b": s1 rewritten; "c": the reviewed change (s1 again, s7 gone, new created, policy changed). */
function manifestText(round: "a" | "b" | "c"): string {
  const lines = [
    "sopsync: 1",
    "target:",
    "  region: eu-west-1",
    "scope:",
    "  id: forge",
    "  prefix: f/",
    "defaults:",
    "  recoveryWindowDays: 7",
    "  tags: { team: forge }",
    "secrets:",
  ];
  lines.push("  f/s0:", `    value: "${CANARY}-s0"`, "    protect: true");
  lines.push("  f/s1:", `    value: "${CANARY}-s1-${round}"`);
  for (const i of [2, 3, 4, 5, 6]) lines.push(`  f/s${i}:`, `    value: "${CANARY}-s${i}"`);
  if (round !== "c") lines.push("  f/s7:", `    value: "${CANARY}-s7"`);
  else lines.push("  f/new:", `    value: "${CANARY}-new"`, "    tags: { tier: web }");
  lines.push("  f/pol:", `    value: "${CANARY}-pol"`, `    policy: ${round === "c" ? POLICY_B : POLICY_A}`);
  return `${lines.join("\n")}\n`;
}

type Edit = (p: Plan) => void;
const target = (p: Plan): TargetPlan => p.targets[0] as TargetPlan;
const change = (p: Plan, name: string) => {
  const c = target(p).changes.find((x) => x.name === name);
  if (!c) throw new Error(`no change for ${name} in the saved plan`);
  return c;
};

describe("a hand-edited saved plan is refused, writing nothing", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  let manifest: string;
  let saved: Plan;
  let earlierPlanId: string;
  const sm = () => smClient(moto.endpoint);
  const results: { edit: string; code: number; secretWrites: number; lockWrites: number; said: string }[] = [];

  const write = (round: "a" | "b" | "c") =>
    sopsEncrypt(manifestText(round), {
      recipients: [recipient],
      dir,
      name: "secrets.yaml",
      extraArgs: ["--encrypted-regex", "^(value|binary)$"],
    });
  async function cli(args: string[]) {
    proxy.resetStats();
    const r = await runCli(args, { env, cwd: dir });
    const secretWrites = proxy.writes({ excludeLock: true });
    return { ...r, secretWrites, lockWrites: proxy.writes() - secretWrites };
  }

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("forgery", {}));
    manifest = write("a");
    expect((await cli(["apply", "--yes", manifest])).code).toBe(0);
    // Another scope's secret outside the prefix, and an unmanaged one inside it.
    await sm().send(
      new CreateSecretCommand({ Name: "other/x", SecretString: "theirs", Tags: [{ Key: "sopsync:managed-by", Value: "other" }] }),
    );
    await sm().send(new CreateSecretCommand({ Name: "f/unmanaged", SecretString: "nobody's" }));
    // An earlier saved plan that rewrote f/s1: its id is one a forger could reuse.
    write("b");
    expect((await cli(["plan", "--out", "earlier.json", manifest])).code).toBe(0);
    earlierPlanId = (JSON.parse(readFileSync(join(dir, "earlier.json"), "utf8")) as Plan).planId;
    expect((await cli(["apply", "earlier.json"])).code).toBe(0);

    write("c");
    const planned = await cli(["plan", "--out", "plan.json", manifest]);
    expect(planned.code, planned.stderr).toBe(0);
    saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    expect(
      target(saved)
        .changes.filter((c) => c.actions.length)
        .map((c) => [c.name, c.actions.map((a) => a.type)]),
    ).toEqual([
      ["f/new", ["create"]],
      ["f/pol", ["put-policy"]],
      ["f/s1", ["update-value"]],
      ["f/s7", ["delete"]],
    ]);
  }, 120_000);
  afterAll(() => stopProxiedMoto({ moto, proxy }));

  const forgeries: [string, Edit, RegExp][] = [
    [
      "add: delete another scope's secret outside the prefix, precondition absent",
      (p) =>
        target(p).changes.push({
          name: "other/x",
          precondition: { state: "absent" },
          actions: [{ type: "delete", recoveryWindowDays: 7 }],
        }),
      /other\/x: the saved plan's delete is not what the manifest and the account call for now/,
    ],
    [
      "add: update-metadata of an unmanaged secret with its real version",
      (p) =>
        target(p).changes.push({
          name: "f/unmanaged",
          precondition: { state: "present", versionId: null, managedBy: null, protected: false, description: "", kmsKeyId: null },
          actions: [{ type: "update-metadata", description: { before: "", after: "mine now" } }],
        }),
      /f\/unmanaged: the saved plan's update-metadata is not what/,
    ],
    [
      "add: untag sopsync:protected",
      (p) => change(p, "f/s0").actions.push({ type: "untag", tags: { "sopsync:protected": "true" } }),
      /f\/s0: the saved plan's untag is not what/,
    ],
    [
      "add: tag handing sopsync:managed-by to another scope",
      (p) => change(p, "f/s2").actions.push({ type: "tag", tags: { "sopsync:managed-by": { before: "forge", after: "other" } } }),
      /f\/s2: the saved plan's tag is not what/,
    ],
    [
      "policy: the reviewed policy swapped for a public one",
      (p) => {
        const a = change(p, "f/pol").actions[0];
        if (a?.type === "put-policy") a.after = PUBLIC_POLICY;
      },
      /f\/pol: put-policy differs/,
    ],
    [
      "policy: BlockPublicPolicy turned off for a secret that does not allow public policies",
      (p) => {
        const a = change(p, "f/pol").actions[0];
        if (a?.type === "put-policy") a.blockPublicPolicy = false;
      },
      /f\/pol: put-policy differs/,
    ],
    [
      "drop a change",
      (p) => {
        target(p).changes = target(p).changes.filter((c) => c.name !== "f/s1");
      },
      /f\/s1: would update-value, which the saved plan does not/,
    ],
    [
      "alter an action field: value kind",
      (p) => {
        const a = change(p, "f/s1").actions[0];
        if (a?.type === "update-value") a.valueKind = "binary";
      },
      /f\/s1: update-value differs/,
    ],
    [
      "recovery window 7 -> 30",
      (p) => {
        const a = change(p, "f/s7").actions[0];
        if (a?.type === "delete") a.recoveryWindowDays = 30;
      },
      /f\/s7: delete differs/,
    ],
    [
      "name: the update moved to another secret",
      (p) => {
        change(p, "f/s1").name = "f/s3";
      },
      /f\/s3: the saved plan's update-value is not what/,
    ],
    [
      "tags of a create",
      (p) => {
        const a = change(p, "f/new").actions[0];
        if (a?.type === "create") a.tags.tier = "db";
      },
      /f\/new: create differs/,
    ],
    [
      "precondition: another version",
      (p) => {
        const c = change(p, "f/s1");
        if (c.precondition.state !== "absent") c.precondition.versionId = "11111111-2222-3333-4444-555555555555";
      },
      /f\/s1: planned against versionId "11111111-2222-3333-4444-555555555555"/,
    ],
    [
      "planId: reuse of the plan that wrote the current version",
      (p) => {
        p.planId = earlierPlanId;
      },
      /f\/s1: its current version carries this plan's request token although the value differs: the plan id was already used/,
    ],
    [
      "planId: a workflow command smuggled in",
      (p) => {
        p.planId = `${p.planId}\n::add-mask::x`;
      },
      /not a valid sopsync plan \(was it edited\?\)\n\s+at planId: a UUID/,
    ],
    [
      "createdAt: not a time",
      (p) => {
        p.createdAt = "yesterday\n::error::forged";
      },
      /at createdAt: /,
    ],
    [
      "target: another account",
      (p) => {
        target(p).target.account = "111111111111";
      },
      /111111111111\/eu-west-1\/forge: in the saved plan, but not a target of these manifests/,
    ],
    [
      "scope: another id",
      (p) => {
        target(p).scope.id = "other";
      },
      /123456789012\/eu-west-1\/other: in the saved plan, but not a target/,
    ],
    [
      "scope: a wider prefix",
      (p) => {
        target(p).scope.prefix = "";
      },
      /at targets\.0\.scope\.prefix/,
    ],
    [
      "options: a widening option slipped into the file",
      (p) => {
        (p as unknown as Record<string, unknown>).options = { allowMassDelete: true, adoptAll: true };
        (p as unknown as Record<string, unknown>)["x\n::add-mask::y"] = 1;
      },
      /at \(top\): unknown field\(s\) "options"/,
    ],
    [
      "manifest: another file's hash",
      (p) => {
        (target(p).manifests[0] as { sha256: string }).sha256 = "0".repeat(64);
      },
      /the manifests differ/,
    ],
  ];

  it.each(forgeries)("%s", async (edit, forge, said) => {
    const forged = structuredClone(saved);
    forge(forged);
    writePlanFile(dir, "forged.json", forged);
    const r = await cli(["apply", "forged.json"]);
    results.push({
      edit,
      code: r.code,
      secretWrites: r.secretWrites,
      lockWrites: r.lockWrites,
      said: r.stderr.split("\n").slice(0, 2).join(" | "),
    });
    expect([1, 3], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(said);
    expect(r.secretWrites).toBe(0);
    // Nothing a plan file holds reaches the log as a workflow command.
    expect(`${r.stdout}\n${r.stderr}`.split("\n").filter((l) => l.startsWith("::"))).toEqual([]);
  });

  it("files given after a plan must be its own manifests", async () => {
    mkdirSync(join(dir, "other"), { recursive: true });
    const other = sopsEncrypt(manifestText("c"), {
      recipients: [recipient],
      dir: join(dir, "other"),
      extraArgs: ["--encrypted-regex", "^(value|binary)$"],
    });
    const r = await cli(["apply", "plan.json", other]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the plan was made from \S*secrets\.yaml, not from \S*other\/secrets\.yaml/);
    expect(r.secretWrites + r.lockWrites).toBe(0);
  });

  it("the untouched plan applies (its manifest named another way), and the forgeries left the account as it was", async () => {
    expect(await getString(sm(), "other/x")).toBe("theirs");
    const r = await cli(["apply", "plan.json", "./secrets.yaml"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.secretWrites).toBeGreaterThan(0);
    expect(await getString(sm(), "f/s1")).toBe(`${CANARY}-s1-c`);
    expect(await getString(sm(), "other/x")).toBe("theirs");
    console.log(
      `forgery table (${results.length} edits):\n${results.map((x) => `  ${x.edit}: exit ${x.code}, ${x.secretWrites} writes to secrets, ${x.lockWrites} lock calls — ${x.said}`).join("\n")}`,
    );
    assertNoCanary(allOutput, { canary: CANARY });
  });
});
