// The AWS-behaviour rules of aws-secret-rules.ts against moto: through the proxy the wire behaves as
// the API reference documents; straight to moto it does not (which is why each rule exists).
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UpdateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { smClient } from "../helpers/aws.js";
import { type Next, settle } from "../helpers/aws-behaviour.js";
import {
  batchErrorsPerSecret,
  clearedDescriptions,
  laggingListing,
  noValueWritesWhilePendingDeletion,
} from "../helpers/aws-secret-rules.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { type Moto, startMoto } from "../helpers/moto.js";

describe("AWS-behaviour rules for secrets", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  const lag = laggingListing({ listings: 2 });
  const rules = [lag, clearedDescriptions(), noValueWritesWhilePendingDeletion(), batchErrorsPerSecret()];
  const viaProxy = () => smClient(proxy.endpoint);
  const direct = () => smClient(moto.endpoint);
  const names = async (sm: ReturnType<typeof smClient>) =>
    ((await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ?? []).map((s) => s.Name).sort();

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    proxy = await startFaultProxy({ target: moto.endpoint, behaviour: rules });
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    settle(rules);
  });

  it('UpdateSecret with Description "" clears it through the layer; moto alone keeps it', async () => {
    await direct().send(new CreateSecretCommand({ Name: "r/d", SecretString: "v", Description: "old" }));
    await viaProxy().send(new UpdateSecretCommand({ SecretId: "r/d", Description: "" }));
    expect((await viaProxy().send(new DescribeSecretCommand({ SecretId: "r/d" }))).Description).toBeUndefined();
    settle(rules);
    const listed = (await viaProxy().send(new ListSecretsCommand({}))).SecretList?.find((s) => s.Name === "r/d");
    expect(listed?.Description).toBeUndefined();
    expect((await direct().send(new DescribeSecretCommand({ SecretId: "r/d" }))).Description).toBe("old");
    await viaProxy().send(new UpdateSecretCommand({ SecretId: "r/d", Description: "new" }));
    expect((await viaProxy().send(new DescribeSecretCommand({ SecretId: "r/d" }))).Description).toBe("new");
  });

  it("PutSecretValue on a secret scheduled for deletion is refused through the layer; moto alone stores it", async () => {
    await direct().send(new CreateSecretCommand({ Name: "r/p", SecretString: "v" }));
    await direct().send(new DeleteSecretCommand({ SecretId: "r/p", RecoveryWindowInDays: 7 }));
    await expect(viaProxy().send(new PutSecretValueCommand({ SecretId: "r/p", SecretString: "w" }))).rejects.toMatchObject({
      name: "InvalidRequestException",
    });
    await expect(direct().send(new PutSecretValueCommand({ SecretId: "r/p", SecretString: "w" }))).resolves.toBeDefined();
  });

  it("BatchGetSecretValue reports a secret without a current value in Errors and returns the others", async () => {
    await direct().send(new CreateSecretCommand({ Name: "r/empty" }));
    await direct().send(new CreateSecretCommand({ Name: "r/full", SecretString: "v" }));
    const input = { SecretIdList: ["r/empty", "r/full"] };
    await expect(direct().send(new BatchGetSecretValueCommand(input))).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    const r = await viaProxy().send(new BatchGetSecretValueCommand(input));
    expect(r.SecretValues?.map((v) => v.Name)).toEqual(["r/full"]);
    expect(r.Errors?.map((e) => [e.SecretId, e.ErrorCode])).toEqual([["r/empty", "ResourceNotFoundException"]]);
  });

  it("ListSecrets shows the state before a write for the next listings; DescribeSecret is current", async () => {
    await direct().send(new CreateSecretCommand({ Name: "r/old", SecretString: "v", Tags: [{ Key: "t", Value: "1" }] }));
    await viaProxy().send(new CreateSecretCommand({ Name: "r/new", SecretString: "v" }));
    await viaProxy().send(new TagResourceCommand({ SecretId: "r/old", Tags: [{ Key: "t", Value: "2" }] }));
    await viaProxy().send(new TagResourceCommand({ SecretId: "r/old", Tags: [{ Key: "u", Value: "3" }] }));
    const tagsOfOld = async () =>
      (await viaProxy().send(new ListSecretsCommand({}))).SecretList?.find((s) => s.Name === "r/old")?.Tags ?? [];
    expect(await names(viaProxy())).toEqual(["r/old"]);
    expect(await tagsOfOld()).toEqual([{ Key: "t", Value: "1" }]);
    expect((await viaProxy().send(new DescribeSecretCommand({ SecretId: "r/new" }))).Name).toBe("r/new");
    // Two listings served stale: the third is current.
    expect(await names(viaProxy())).toEqual(["r/new", "r/old"]);
    expect(await names(direct())).toEqual(["r/new", "r/old"]);
    await viaProxy().send(new DeleteSecretCommand({ SecretId: "r/new", RecoveryWindowInDays: 7 }));
    const listedNew = async () => (await viaProxy().send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList;
    expect((await listedNew())?.find((s) => s.Name === "r/new")?.DeletedDate).toBeUndefined();
    settle(rules);
    expect((await listedNew())?.find((s) => s.Name === "r/new")?.DeletedDate).toBeInstanceOf(Date);
  });
});

describe("laggingListing's time window", () => {
  it("serves the listing from before a write until the window ends", async () => {
    let t = 0;
    const rule = laggingListing({ ms: 1000, now: () => t });
    const next: Next = async (req) => {
      if (req.operation === "ListSecrets") return { status: 200, body: { SecretList: [{ Name: "x" }] } };
      if (req.operation === "DescribeSecret") return { status: 400, body: { __type: "ResourceNotFoundException" } };
      return { status: 200, body: {} };
    };
    const list = async () => (await rule.handle({ operation: "ListSecrets", body: {} }, next)).body.SecretList;
    await rule.handle({ operation: "CreateSecret", body: { Name: "x" } }, next);
    expect(await list()).toEqual([]);
    t = 999;
    expect(await list()).toEqual([]);
    t = 1000;
    expect(await list()).toEqual([{ Name: "x" }]);
  });
});
