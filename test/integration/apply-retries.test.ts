// The SDK adapter's retries, proven on the wire: through the fault proxy to a real moto, throttling,
// 5xx and connection resets (also after the service did the work) are retried until each call lands
// once; LimitExceededException is a quota and is not retried.
import { ListSecretVersionIdsCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { smClient } from "../helpers/aws.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { awsEnv, type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";

describe("SDK retries through the fault proxy", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let limitFor: string | undefined;
  let stallFirst: { op: string; ms: number; done: boolean } | undefined;

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    proxy = await startFaultProxy({
      target: moto.endpoint,
      seed: 7,
      onRequest: async ({ operation }) => {
        if (stallFirst && !stallFirst.done && operation === stallFirst.op) {
          stallFirst.done = true;
          await new Promise((r) => setTimeout(r, stallFirst?.ms));
        }
        return limitFor ? { status: 400, type: limitFor, message: "You have exceeded the number of secrets" } : undefined;
      },
    });
    // The SDK finds the endpoint the way it does for users: AWS_ENDPOINT_URL_* (this test process only).
    Object.assign(process.env, awsEnv(proxy.endpoint));
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    proxy.resetStats();
    limitFor = undefined;
    stallFirst = undefined;
  });

  const port = (onRequest?: (op: string) => void) => createSdkPort({ region: TEST_REGION, onRequest });

  it("every call succeeds once despite 30% throttling, 10% 5xx and 10% resets", async () => {
    proxy.setFaults({ throttleRate: 0.3, errorRate: 0.1, resetRate: 0.1 });
    const attempts: string[] = [];
    const p = await port((op) => attempts.push(op));
    const names = Array.from({ length: 40 }, (_, i) => `r/s${i}`);
    await Promise.all(
      names.map((name, i) =>
        p.createSecret({
          name,
          value: { string: `v${i}` },
          token: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
          tags: {},
        }),
      ),
    );
    await Promise.all(
      names.map((name, i) =>
        p.putSecretValue({
          id: name,
          value: { string: `w${i}` },
          token: `11111111-0000-4000-8000-${String(i).padStart(12, "0")}`,
        }),
      ),
    );
    const f = proxy.stats.faults;
    expect(f.throttle).toBeGreaterThan(0);
    expect(f.error).toBeGreaterThan(0);
    expect(f.resetBefore + f.resetAfter).toBeGreaterThan(0);
    // Each attempt the SDK sent reached the proxy.
    expect(attempts.length).toBe(proxy.stats.requests);
    expect(attempts.length).toBeGreaterThan(80);
    const sm = smClient(moto.endpoint);
    for (const [i, name] of names.entries()) {
      const v = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true }));
      expect(v.Versions?.length, name).toBe(2);
      expect(v.Versions?.find((x) => x.VersionStages?.includes("AWSCURRENT"))?.VersionId).toBe(
        `11111111-0000-4000-8000-${String(i).padStart(12, "0")}`,
      );
    }
  });

  it("LimitExceededException is not retried", async () => {
    limitFor = "LimitExceededException";
    const p = await port();
    const err = await p
      .createSecret({ name: "r/q", value: { string: "x" }, token: "22222222-0000-4000-8000-000000000000", tags: {} })
      .catch((e) => e);
    expect(err).toMatchObject({ awsCode: "LimitExceededException" });
    expect(proxy.stats.byOperation.CreateSecret).toBe(1);
  });

  it("ThrottlingException is retried until maxAttempts, then reported", async () => {
    limitFor = "ThrottlingException";
    const p = await createSdkPort({ region: TEST_REGION, maxAttempts: 3 });
    const err = await p
      .createSecret({ name: "r/t", value: { string: "x" }, token: "33333333-0000-4000-8000-000000000000", tags: {} })
      .catch((e) => e);
    expect(err).toMatchObject({ awsCode: "ThrottlingException" });
    expect(proxy.stats.byOperation.CreateSecret).toBe(3);
  });

  it("an attempt that gets no answer times out and is retried; the late original does not make a second version", async () => {
    stallFirst = { op: "PutSecretValue", ms: 1500, done: false };
    const p = await createSdkPort({ region: TEST_REGION, requestTimeoutMs: 500 });
    await p.createSecret({ name: "r/slow", value: { string: "a" }, token: "44444444-0000-4000-8000-000000000000", tags: {} });
    const token = "55555555-0000-4000-8000-000000000000";
    await p.putSecretValue({ id: "r/slow", value: { string: "b" }, token });
    expect(proxy.stats.byOperation.PutSecretValue).toBe(2);
    await new Promise((r) => setTimeout(r, 1500)); // let the stalled original reach moto
    expect(proxy.stats.forwarded).toBe(3);
    const v = await smClient(moto.endpoint).send(
      new ListSecretVersionIdsCommand({ SecretId: "r/slow", IncludeDeprecated: true }),
    );
    expect(v.Versions?.map((x) => x.VersionId).sort()).toEqual(["44444444-0000-4000-8000-000000000000", token]);
  });
});
