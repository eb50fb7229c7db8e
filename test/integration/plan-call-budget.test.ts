// The call budget of issue 4: planning N declared secrets that are in sync, with no policies or
// replicas, makes at most ceil(N/100) + ceil(N/20) + 3 requests — counted on the wire at N = 1,000.
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapConcurrent } from "../../src/aws/pacing.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import type { DesiredState } from "../../src/manifest/model.js";
import { planTarget } from "../../src/plan/planner.js";
import { readLiveState } from "../../src/state/read.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import { smClient } from "../helpers/aws.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const N = 1000;
const SCOPE = "budget";
const name = (i: number) => `svc/item-${String(i).padStart(4, "0")}`;
const storedValue = (i: number) => JSON.stringify({ user: `u${i}`, n: i });

function desired(count: number, prefix?: string): DesiredState {
  return {
    file: "budget.yaml",
    manifests: [{ file: "budget.yaml", sha256: "0".repeat(64) }],
    target: {},
    scope: { id: SCOPE, prefix },
    recoveryWindowDays: 7,
    secrets: Array.from({ length: count }, (_, i) => ({
      name: name(i),
      // Different key order and spacing from what is stored: still in sync.
      value: { kind: "json" as const, data: { n: i, user: `u${i}` } },
      description: "",
      tags: {},
      recoveryWindowDays: 7,
      protect: false,
      adopt: false,
      at: { file: "budget.yaml", line: 1, col: 1 },
    })),
  };
}

async function countedPlan(d: DesiredState) {
  const calls = new Map<string, number>();
  const port = await createSdkPort({ region: TEST_REGION, onRequest: (op) => calls.set(op, (calls.get(op) ?? 0) + 1) });
  const live = await readLiveState(port, d);
  const plan = planTarget(d, live, {});
  const total = [...calls.values()].reduce((a, b) => a + b, 0);
  return { plan, calls: Object.fromEntries([...calls].sort()), total };
}

describe(`call budget at N = ${N}`, () => {
  let moto: Moto;
  const budget = Math.ceil(N / 100) + Math.ceil(N / 20) + 3;

  beforeAll(async () => {
    moto = await startMoto();
    const sm = smClient(moto.endpoint);
    await mapConcurrent(
      Array.from({ length: N }, (_, i) => i),
      16,
      (i) =>
        sm.send(
          new CreateSecretCommand({
            Name: name(i),
            SecretString: storedValue(i),
            Tags: [
              { Key: TAG_MANAGED_BY, Value: SCOPE },
              { Key: TAG_VERSION, Value: "seeded" },
            ],
          }),
        ),
    );
    // Noise the reader must not page through: secrets of nobody and of another scope.
    await mapConcurrent(
      Array.from({ length: 150 }, (_, i) => i),
      16,
      (i) =>
        sm.send(
          new CreateSecretCommand({
            Name: `other/x-${i}`,
            SecretString: "x",
            Tags: i % 2 ? [{ Key: TAG_MANAGED_BY, Value: "someone-else" }] : [],
          }),
        ),
    );
  }, 300_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it("with scope.prefix: in sync within ceil(N/100) + ceil(N/20) + 3 requests", async () => {
    const r = await countedPlan(desired(N, "svc/"));
    expect(r.plan.summary).toMatchObject({ noop: N, create: 0, update: 0, delete: 0 });
    expect(r.calls).toEqual({ BatchGetSecretValueCommand: 50, GetCallerIdentityCommand: 1, ListSecretsCommand: 10 });
    expect(r.total).toBeLessThanOrEqual(budget);
    console.log(`N=${N} with prefix: ${r.total} requests (budget ${budget})`, r.calls);
  });

  it("without scope.prefix: lists by ownership tag, not the whole account", async () => {
    const r = await countedPlan(desired(N));
    expect(r.plan.summary).toMatchObject({ noop: N, create: 0, update: 0, delete: 0 });
    expect(r.plan.unmanaged).toEqual([]);
    expect(r.calls).toEqual({ BatchGetSecretValueCommand: 50, GetCallerIdentityCommand: 1, ListSecretsCommand: 10 });
    expect(r.total).toBeLessThanOrEqual(budget);
    console.log(`N=${N} without prefix: ${r.total} requests (budget ${budget})`, r.calls);
  });

  it("without scope.prefix, declared names not yet owned are looked up 10 per call", async () => {
    // 25 new names plus one that exists unmanaged: 3 exact-name lookups, no full listing.
    const d = desired(N);
    const extra = Array.from({ length: 25 }, (_, i) => ({
      ...(d.secrets[0] as DesiredState["secrets"][number]),
      name: `new/n-${i}`,
    }));
    extra.push({ ...(d.secrets[0] as DesiredState["secrets"][number]), name: "other/x-0", adopt: true });
    const r = await countedPlan({ ...d, secrets: [...d.secrets, ...extra].sort((a, b) => (a.name < b.name ? -1 : 1)) });
    expect(r.plan.summary).toMatchObject({ noop: N, create: 25, adopt: 1 });
    expect(r.calls.ListSecretsCommand).toBe(10 + 3);
    expect(r.calls.BatchGetSecretValueCommand).toBe(51);
  });
});
