// The quota families (src/aws/quotas.ts): the table as Secrets Manager's quota page lists it, every
// call sopsync makes paced in its family, families independent of each other, and the reader pacing
// policy reads at their family's rate (a fake clock, so times are exact).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Pacer } from "../../src/aws/pacing.js";
import { familyOf, type PacedOperation, pacedRate, QUOTA_FAMILIES, QuotaPacers } from "../../src/aws/quotas.js";
import { readLiveState } from "../../src/state/read.js";
import { memoryPort } from "../apply/memory-port.js";
import { desiredState, secret } from "../plan/fixtures.js";
import { projectRoot } from "../helpers/tools.js";

/** A clock that moves only when someone sleeps: each take's start time is exact. */
function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
}

describe("quota families", () => {
  it("are the families of the Secrets Manager quota table, each operation in exactly one", () => {
    const ops = QUOTA_FAMILIES.flatMap((f) => f.operations);
    expect(new Set(ops).size).toBe(ops.length);
    const sameFamily = (a: PacedOperation, b: PacedOperation) => familyOf(a) === familyOf(b);
    expect(sameFamily("GetResourcePolicy", "PutResourcePolicy")).toBe(true);
    expect(sameFamily("GetResourcePolicy", "DeleteResourcePolicy")).toBe(true);
    expect(sameFamily("PutSecretValue", "UpdateSecret")).toBe(true);
    expect(sameFamily("ReplicateSecretToRegions", "RemoveRegionsFromReplication")).toBe(true);
    expect(sameFamily("TagResource", "UntagResource")).toBe(true);
    expect(sameFamily("DescribeSecret", "GetSecretValue")).toBe(true);
    expect(sameFamily("PutSecretValue", "TagResource")).toBe(false);
    expect(sameFamily("CreateSecret", "PutSecretValue")).toBe(false);
    expect(sameFamily("ListSecrets", "BatchGetSecretValue")).toBe(false);
    expect(sameFamily("GetResourcePolicy", "DescribeSecret")).toBe(false);
    expect(familyOf("GetResourcePolicy").quota).toBe(50);
    expect(familyOf("ListSecrets").quota).toBe(100);
    expect(familyOf("BatchGetSecretValue").quota).toBe(100);
    for (const f of QUOTA_FAMILIES) expect(f.doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it("paces each family at 80% of its quota", () => {
    expect(pacedRate("GetResourcePolicy")).toBe(40);
    expect(pacedRate("PutSecretValue")).toBe(40);
    expect(pacedRate("ListSecrets")).toBe(80);
    expect(pacedRate("BatchGetSecretValue")).toBe(80);
    expect(pacedRate("DescribeSecret")).toBe(8000);
  });

  it("has a family for every Secrets Manager, KMS and STS call the SDK adapter makes", () => {
    const src = ["src/aws/sdk-adapter.ts", "src/aws/kms-keys.ts"]
      .map((f) => readFileSync(join(projectRoot, f), "utf8"))
      .join("\n");
    const commands = [...new Set([...src.matchAll(/new (\w+)Command\(/g)].map((m) => m[1] as string))];
    expect(commands.length).toBeGreaterThanOrEqual(17);
    for (const op of commands) expect(() => familyOf(op as PacedOperation), op).not.toThrow();
  });
});

describe("QuotaPacers", () => {
  it("spaces calls of one family at its rate; another family does not wait for it", async () => {
    const clock = fakeClock();
    const pacers = new QuotaPacers(clock);
    const starts: Record<string, number[]> = {};
    const take = async (op: PacedOperation) => {
      await pacers.take(op);
      starts[op] = [...(starts[op] ?? []), clock.now()];
    };
    await take("GetResourcePolicy");
    await take("PutResourcePolicy");
    await take("GetResourcePolicy");
    await take("ListSecrets");
    expect(starts.GetResourcePolicy).toEqual([0, 50]);
    expect(starts.PutResourcePolicy).toEqual([25]);
    expect(starts.ListSecrets).toEqual([50]); // its own family: free at once
  });

  it("a ceiling slows every family to it; a budget of the caller's own is honoured with the family", async () => {
    const clock = fakeClock();
    const slow = new QuotaPacers({ ...clock, ceiling: 10 });
    await slow.take("BatchGetSecretValue");
    await slow.take("BatchGetSecretValue");
    expect(clock.now()).toBe(100);
    const budget = new Pacer(5, clock.now, clock.sleep);
    const pacers = new QuotaPacers(clock);
    const t0 = clock.now();
    await pacers.take("CreateSecret", budget);
    await pacers.take("TagResource", budget); // another family, same budget: 200 ms later
    expect(clock.now() - t0).toBe(200);
  });

  it("paces nothing at an explicit rate above every quota (seeding a local emulator)", async () => {
    const clock = fakeClock();
    const unpaced = new QuotaPacers({ ...clock, rate: 1e9 });
    for (let i = 0; i < 100; i++) await unpaced.take("CreateSecret");
    expect(clock.now()).toBeLessThan(1);
  });
});

describe("readLiveState paces each quota family", () => {
  it("reads policies at the policy family's rate, 40/s, apart from the other reads", async () => {
    const port = memoryPort();
    const names = Array.from({ length: 6 }, (_, i) => `app/p${i}`);
    for (const name of names) {
      port.secrets.set(name, {
        name,
        tags: { "sopsync:managed-by": "team-a" },
        versions: [{ id: `v-${name}`, value: { string: "x" } }],
        policy: { Version: "2012-10-17", Statement: [] },
      });
    }
    const clock = fakeClock();
    const policyReads: number[] = [];
    const getResourcePolicy = port.getResourcePolicy.bind(port);
    port.getResourcePolicy = (id) => {
      policyReads.push(clock.now());
      return getResourcePolicy(id);
    };
    const desired = desiredState(
      names.map((n) => secret(n, { policy: { Version: "2012-10-17", Statement: [] } })),
      { scope: { id: "team-a", prefix: "app/" } },
    );
    await readLiveState(port, desired, { pacers: new QuotaPacers(clock), concurrency: 1 });
    const gaps = policyReads.slice(1).map((t, i) => t - (policyReads[i] as number));
    expect(policyReads).toHaveLength(6);
    expect(gaps).toEqual([25, 25, 25, 25, 25]);
  });
});
