// The service-owned secrets rule (aws-owning-service.ts) against moto: through the proxy a registered
// name carries OwningService in ListSecrets and DescribeSecret, as AWS reports a service's secret;
// straight to moto it does not (moto's API cannot make one).
import { CreateSecretCommand, DescribeSecretCommand, ListSecretsCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smClient } from "../helpers/aws.js";
import { serviceOwnedSecrets } from "../helpers/aws-owning-service.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { type Moto, startMoto } from "../helpers/moto.js";

describe("AWS-behaviour rule: secrets owned by a service", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  const rule = serviceOwnedSecrets();

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    proxy = await startFaultProxy({ target: moto.endpoint, behaviour: [rule] });
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it("reports OwningService for registered names only, through the layer only", async () => {
    const direct = smClient(moto.endpoint);
    await direct.send(new CreateSecretCommand({ Name: "o/rds", SecretString: "v" }));
    await direct.send(new CreateSecretCommand({ Name: "o/mine", SecretString: "v" }));
    rule.own("o/rds", "rds");
    const owning = async (sm: ReturnType<typeof smClient>) =>
      Object.fromEntries(((await sm.send(new ListSecretsCommand({}))).SecretList ?? []).map((s) => [s.Name, s.OwningService]));
    expect(await owning(smClient(proxy.endpoint))).toEqual({ "o/rds": "rds", "o/mine": undefined });
    expect((await smClient(proxy.endpoint).send(new DescribeSecretCommand({ SecretId: "o/rds" }))).OwningService).toBe("rds");
    expect(await owning(direct)).toEqual({ "o/rds": undefined, "o/mine": undefined });
    expect((await direct.send(new DescribeSecretCommand({ SecretId: "o/rds" }))).OwningService).toBeUndefined();
    rule.clear();
    expect(await owning(smClient(proxy.endpoint))).toEqual({ "o/rds": undefined, "o/mine": undefined });
  });
});
