// Drift attribution with rotation (issue 12, item 5) through the CLI, against moto behind the test
// proxy with the AWS-behaviour layer: only the layer reports version creation dates and LastRotatedDate
// as AWS does (aws-rotation-dates.ts; moto answers the time of the call and sets LastRotatedDate when
// RotateSecret is called). Rotation is turned on outside sopsync; the tests play the rotation function
// (a new AWSCURRENT, then the rotation completes) and a manual write, in both orders: a current version
// created no later than LastRotatedDate was rotated, a later one was written by someone else.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PutSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { smClient } from "../helpers/aws.js";
import { documentedAws, type Rule, settle } from "../helpers/aws-behaviour.js";
import { createRotationFunction } from "../helpers/aws-lambda.js";
import { type RotationDates, rotationDatesRuleOf } from "../helpers/aws-rotation-dates.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";

const CANARIES = { initial: "canary-attr-initial-0b7c", rotated: "canary-attr-rotated-9e13", manual: "canary-attr-manual-55fa" };
const tick = () => new Promise((r) => setTimeout(r, 30));

describe("drift attribution with rotation, with the AWS-behaviour layer", () => {
  let w: ProxiedMoto;
  let rules: Rule[];
  let dates: RotationDates;
  let file: string;
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });
  /** Through the proxy, so the layer records when each version was created. */
  const write = (value: string) =>
    smClient(w.proxy.endpoint).send(new PutSecretValueCommand({ SecretId: "app/db", SecretString: value }));

  beforeAll(async () => {
    rules = documentedAws();
    dates = rotationDatesRuleOf(rules);
    w = await startProxiedMoto("rotation-attribution", { behaviour: rules });
    const dir = join(w.dir, "m");
    mkdirSync(dir);
    const text = `sopsync: 1\ntarget:\n  region: ${TEST_REGION}\nscope:\n  id: attr\n  prefix: app/\nsecrets:\n  app/db:\n    value: ${CANARIES.initial}\n`;
    file = sopsEncrypt(text, { recipients: [w.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  });
  afterAll(async () => {
    assertNoCanary(allOutput, CANARIES);
    await stopProxiedMoto(w);
  });
  beforeEach(async () => {
    await w.moto.reset();
    const created = await cli("apply", "--yes", file);
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const lambdaArn = await createRotationFunction(w.moto.endpoint, "rotate-db");
    await smClient(w.proxy.endpoint).send(
      new RotateSecretCommand({
        SecretId: "app/db",
        RotationLambdaARN: lambdaArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
        RotateImmediately: false,
      }),
    );
  });

  const driftOf = async () => {
    settle(rules);
    const r = await cli("plan", "--format", "json", file);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as Plan).targets[0]?.changes[0]?.drift?.[0];
  };

  it("rotation, then a manual write: changed outside sopsync", async () => {
    await write(CANARIES.rotated);
    await tick();
    dates.rotationCompleted("app/db");
    await tick();
    await write(CANARIES.manual);
    expect(await driftOf()).toMatchObject({ kind: "rotation-enabled-outside", value: "changed-outside" });
    const text = await cli("plan", file);
    expect(text.stdout).toContain("value: changed outside sopsync after the last rotation");
  });

  it("a manual write, then rotation: rotated", async () => {
    await write(CANARIES.manual);
    await tick();
    await write(CANARIES.rotated);
    await tick();
    dates.rotationCompleted("app/db");
    expect(await driftOf()).toMatchObject({ kind: "rotation-enabled-outside", value: "rotated" });
    const md = await cli("plan", "--format", "markdown", file);
    expect(md.stdout).toContain("value: rotated by the secret's rotation");
  });

  it("no rotation completed yet: a new value is someone else's", async () => {
    await write(CANARIES.manual);
    expect(await driftOf()).toMatchObject({ value: "changed-outside" });
  });
});
