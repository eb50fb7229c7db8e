// Rotation against moto: `rotation:` enables, updates and cancels it (RotateSecret with
// RotateImmediately false, CancelRotateSecret), and a value rotation owns is never written back. moto
// records the settings and an AWSPENDING version without running the function; the tests play the
// function by writing a new AWSCURRENT.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutSecretValueCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROTATION_TOKEN_PREFIX } from "../../src/apply/tokens.js";
import type { Plan } from "../../src/plan/model.js";
import { createString, describe as describeSecret, getString, smClient } from "../helpers/aws.js";
import { createRotationFunction } from "../helpers/aws-lambda.js";
import { assertNoCanary, allOutput, runCli } from "../helpers/cli.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";
import { type AgeKey, generateAgeKey, sopsEncrypt } from "../helpers/tools.js";

const CANARIES = { initial: "canary-rot-initial-4242", rotated: "canary-rot-rotated-5151", changed: "canary-rot-changed-6161" };

describe("rotation against moto", () => {
  let moto: Moto;
  let dir: string;
  let key: AgeKey;
  let env: Record<string, string>;
  let lambdaArn: string;
  let n = 0;
  const sm = () => smClient(moto.endpoint);
  const manifest = (secrets: string) => {
    const sub = join(dir, `m${n++}`);
    mkdirSync(sub);
    const text = `sopsync: 1\ntarget:\n  region: ${TEST_REGION}\nscope:\n  id: rot-it\n  prefix: app/\nsecrets:\n${secrets}`;
    return sopsEncrypt(text, { recipients: [key.recipient], dir: sub, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  };
  const rotating = (extra: string, value = CANARIES.initial) =>
    manifest(`  app/db:\n    value: ${value}\n    rotation: ${extra}\n`);
  const plan = (file: string, ...args: string[]) => runCli(["plan", "--detailed-exitcode", ...args, file], { env });
  const apply = async (file: string) => {
    const r = await runCli(["apply", "--yes", file], { env });
    expect(r.code, r.stderr).toBe(0);
  };
  const jsonPlan = async (file: string) => JSON.parse((await runCli(["plan", "--format", "json", file], { env })).stdout) as Plan;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), "sopsync-rotation-it-"));
    key = generateAgeKey(dir);
    env = { ...moto.env, SOPS_AGE_KEY_FILE: key.file };
  });
  beforeEach(async () => {
    await moto.reset();
    lambdaArn = await createRotationFunction(moto.endpoint, "rotate-db");
  });
  afterAll(async () => {
    assertNoCanary(allOutput, CANARIES);
    await moto?.stop();
  });

  it("enables rotation after create without rotating, updates it, re-plans clean, and `none` cancels it", async () => {
    const file = rotating(`{ lambdaArn: "${lambdaArn}", afterDays: 30 }`);
    const first = await plan(file);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stdout).toContain(`rotation: enabled with ${lambdaArn}, every 30 day(s)`);
    expect(first.stdout).toContain("first rotation on schedule (RotateImmediately: false)");
    expect(first.stdout).toContain("lambda:InvokeFunction");
    await apply(file);
    const d = await describeSecret(sm(), "app/db");
    expect(d.RotationEnabled).toBe(true);
    expect(d.RotationLambdaARN).toBe(lambdaArn);
    expect(d.RotationRules?.AutomaticallyAfterDays).toBe(30);
    // Not rotated: the manifest's value is current; the pending version is the rotation's, not sopsync's.
    expect(await getString(sm(), "app/db")).toBe(CANARIES.initial);
    const pending = Object.entries(d.VersionIdsToStages ?? {}).find(([, s]) => s.includes("AWSPENDING"))?.[0];
    expect(pending?.startsWith(ROTATION_TOKEN_PREFIX)).toBe(true);
    const again = await plan(file);
    expect(again.code, again.stdout).toBe(0);

    const updated = rotating(`{ lambdaArn: "${lambdaArn}", afterDays: 10 }`);
    const u = await plan(updated);
    expect(u.code, u.stderr).toBe(2);
    expect(u.stdout).toContain("rotation: settings changed (RotateImmediately: false)");
    await apply(updated);
    expect((await describeSecret(sm(), "app/db")).RotationRules?.AutomaticallyAfterDays).toBe(10);
    const updatedAgain = await plan(updated);
    expect(updatedAgain.code, updatedAgain.stdout).toBe(0);

    // Absent `rotation:` never cancels.
    const absent = manifest(`  app/db:\n    value: ${CANARIES.initial}\n`);
    expect((await jsonPlan(absent)).targets[0]?.changes[0]?.actions.map((a) => a.type) ?? []).not.toContain("cancel-rotation");

    const none = rotating("none");
    const c = await plan(none);
    expect(c.code, c.stderr).toBe(2);
    expect(c.stdout).toContain("rotation: cancelled (rotation: none)");
    await apply(none);
    expect((await describeSecret(sm(), "app/db")).RotationEnabled).toBe(false);
    const clean = await plan(none);
    expect(clean.code, clean.stdout).toBe(0);
  });

  it("a rotated value is owned by rotation: plan is clean, says so, and a manifest change is only a note", async () => {
    const file = rotating(`{ lambdaArn: "${lambdaArn}", afterDays: 30 }`);
    await apply(file);
    // The manifest moves on before any rotation: ignored, not a change.
    const changed = rotating(`{ lambdaArn: "${lambdaArn}", afterDays: 30 }`, CANARIES.changed);
    const ignored = await plan(changed);
    expect(ignored.code, ignored.stdout).toBe(0);
    expect(ignored.stdout).toContain("ignored: rotation owns the value; remove `rotation:` to manage it here");

    // The function's work: a new AWSCURRENT.
    await sm().send(new PutSecretValueCommand({ SecretId: "app/db", SecretString: CANARIES.rotated }));
    const r = await plan(file);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/value owned by rotation, last rotated \S+/);
    const p = await jsonPlan(file);
    expect(p.targets[0]?.changes[0]?.notes?.[0]?.kind).toBe("value-owned-by-rotation");
    await apply(file);
    expect(await getString(sm(), "app/db")).toBe(CANARIES.rotated);
  });

  it("`rotation: external` leaves the settings and the value alone", async () => {
    await createString(sm(), "app/db", CANARIES.rotated, { "sopsync:managed-by": "rot-it" });
    await sm().send(
      new RotateSecretCommand({
        SecretId: "app/db",
        RotationLambdaARN: lambdaArn,
        RotationRules: { AutomaticallyAfterDays: 7 },
        RotateImmediately: false,
      }),
    );
    const file = rotating("external");
    const r = await plan(file);
    expect(r.code, r.stdout).toBe(0);
    await apply(file);
    const d = await describeSecret(sm(), "app/db");
    expect(d.RotationEnabled).toBe(true);
    expect(d.RotationRules?.AutomaticallyAfterDays).toBe(7);
    expect(await getString(sm(), "app/db")).toBe(CANARIES.rotated);
  });
});
