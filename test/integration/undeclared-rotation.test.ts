// Rotation enabled outside sopsync (issue 12, item 3) through the CLI, against moto behind the test
// proxy, with the AWS-behaviour layer and without it: a managed secret whose manifest declares no
// `rotation:` gets rotation from someone else (RotateSecret with RotateImmediately false: moto records
// the settings without running the function) and a rotated value (the function's work, played by a
// PutSecretValue straight to moto). The plan reports it as its own drift, exits 2 with
// --detailed-exitcode, and neither plan nor apply ever writes the value back: no PutSecretValue or
// UpdateSecret reaches the wire, even when the manifest's value changes too.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PutSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { getString, smClient } from "../helpers/aws.js";
import { documentedAws, type Rule, settle } from "../helpers/aws-behaviour.js";
import { createRotationFunction } from "../helpers/aws-lambda.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";

const CANARIES = {
  initial: "canary-undecl-initial-31a7",
  rotated: "canary-undecl-rotated-8c02",
  changed: "canary-undecl-new-d4e9",
};

describe.each([
  ["with the AWS-behaviour layer", true],
  ["on moto as it is", false],
])("rotation enabled outside sopsync %s", (_label, withLayer) => {
  let w: ProxiedMoto;
  let rules: Rule[] | undefined;
  let n = 0;
  const manifest = (value: string) => {
    const dir = join(w.dir, `m${n++}`);
    mkdirSync(dir);
    const text = `sopsync: 1\ntarget:\n  region: ${TEST_REGION}\nscope:\n  id: undecl\n  prefix: app/\nsecrets:\n  app/db:\n    value: ${value}\n`;
    return sopsEncrypt(text, { recipients: [w.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  };
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });
  const direct = () => smClient(w.moto.endpoint);

  beforeAll(async () => {
    rules = withLayer ? documentedAws() : undefined;
    w = await startProxiedMoto("undeclared-rotation", rules ? { behaviour: rules } : {});
  });
  afterAll(async () => {
    assertNoCanary(allOutput, CANARIES);
    await stopProxiedMoto(w);
  });
  beforeEach(() => w.moto.reset());

  it("is reported as drift (exit 2) and its value is never written back by plan or apply", async () => {
    const file = manifest(CANARIES.initial);
    const created = await cli("apply", "--yes", file);
    expect(created.code, created.stdout + created.stderr).toBe(0);

    // Someone else turns rotation on, and the function rotates the value.
    const lambdaArn = await createRotationFunction(w.moto.endpoint, "rotate-db");
    await direct().send(
      new RotateSecretCommand({
        SecretId: "app/db",
        RotationLambdaARN: lambdaArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
    await direct().send(new PutSecretValueCommand({ SecretId: "app/db", SecretString: CANARIES.rotated }));
    settle(rules);
    w.proxy.resetStats();

    const plan = await cli("plan", "--detailed-exitcode", file);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toContain("! app/db: drift, nothing written");
    expect(plan.stdout).toContain(`rotation was enabled outside sopsync (lambda ${lambdaArn})`);
    expect(plan.stdout).toContain("`rotation: none` to cancel it");
    const json = JSON.parse((await cli("plan", "--format", "json", file)).stdout) as Plan;
    expect(json.targets[0]?.changes[0]?.actions).toEqual([]);
    expect(json.targets[0]?.changes[0]?.drift?.[0]).toMatchObject({ kind: "rotation-enabled-outside", lambdaArn });
    const md = await cli("plan", "--format", "markdown", file);
    expect(md.stdout).toMatch(/- `app\/db`: \*\*drift, nothing written\*\*: rotation was enabled outside sopsync/);

    const applied = await cli("apply", "--yes", file);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    // The manifest's value changes as well: still never written while the rotation is undeclared.
    const changed = manifest(CANARIES.changed);
    const again = await cli("plan", "--detailed-exitcode", changed);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stdout).not.toMatch(/update-value/);
    const appliedChanged = await cli("apply", "--yes", changed);
    expect(appliedChanged.code, appliedChanged.stdout + appliedChanged.stderr).toBe(0);

    expect(w.proxy.stats.byOperation.PutSecretValue ?? 0).toBe(0);
    expect(w.proxy.stats.byOperation.UpdateSecret ?? 0).toBe(0);
    expect(await getString(direct(), "app/db")).toBe(CANARIES.rotated);
  });
});
