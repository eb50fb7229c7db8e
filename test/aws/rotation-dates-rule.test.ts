// The rotation dates rule (aws-rotation-dates.ts) against moto: through the proxy a version's
// CreatedDate is when it was made and LastRotatedDate appears only once a rotation completed; straight
// to moto, CreatedDate is the time of the call and LastRotatedDate is set by RotateSecret alone.
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smClient } from "../helpers/aws.js";
import { rotationDates } from "../helpers/aws-rotation-dates.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { type Moto, startMoto } from "../helpers/moto.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("AWS-behaviour rule: version creation dates and LastRotatedDate", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  const rule = rotationDates();

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    proxy = await startFaultProxy({ target: moto.endpoint, behaviour: [rule] });
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it("reports when each version was made, and LastRotatedDate only after a completed rotation", async () => {
    const sm = smClient(proxy.endpoint);
    const direct = smClient(moto.endpoint);
    const first = await sm.send(new CreateSecretCommand({ Name: "d/a", SecretString: "one" }));
    await pause(1100);
    const second = await sm.send(new PutSecretValueCommand({ SecretId: "d/a", SecretString: "two" }));
    const createdOf = async (client: ReturnType<typeof smClient>) =>
      Object.fromEntries(
        ((await client.send(new ListSecretVersionIdsCommand({ SecretId: "d/a" }))).Versions ?? []).map((v) => [
          v.VersionId,
          v.CreatedDate?.getTime() ?? 0,
        ]),
      );
    const layered = await createdOf(sm);
    expect(layered[second.VersionId ?? ""] - layered[first.VersionId ?? ""]).toBeGreaterThanOrEqual(1000);
    const raw = await createdOf(direct);
    expect(raw[first.VersionId ?? ""]).toBe(raw[second.VersionId ?? ""]);

    // Without a function moto moves AWSCURRENT itself; either way it records LastRotatedDate at once.
    await sm.send(new RotateSecretCommand({ SecretId: "d/a", RotationRules: { AutomaticallyAfterDays: 30 } }));
    const listed = async (client: ReturnType<typeof smClient>) =>
      (await client.send(new ListSecretsCommand({}))).SecretList?.find((s) => s.Name === "d/a");
    expect((await direct.send(new DescribeSecretCommand({ SecretId: "d/a" }))).LastRotatedDate).toBeDefined();
    expect((await sm.send(new DescribeSecretCommand({ SecretId: "d/a" }))).LastRotatedDate).toBeUndefined();
    expect((await listed(sm))?.LastRotatedDate).toBeUndefined();
    const before = Date.now();
    rule.rotationCompleted("d/a");
    const last = (await listed(sm))?.LastRotatedDate?.getTime() ?? 0;
    expect(Math.abs(last - before)).toBeLessThan(1000);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: "d/a" }))).LastRotatedDate?.getTime()).toBe(last);
  });
});
