// samePlan decides whether apply may run the pull request's saved plan: only when it would do exactly
// what a fresh plan of the merged manifest does.
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { samePlan } from "../../scripts/gitops/plans.mjs";

const base = (): Plan => ({
  formatVersion: 1,
  planId: "a",
  createdAt: "2026-01-01T00:00:00Z",
  targets: [
    {
      manifest: { file: "secrets.yaml", sha256: "ab".repeat(32) },
      target: { account: "123456789012", region: "eu-west-1" },
      scope: { id: "prod", prefix: "prod/" },
      changes: [
        {
          name: "prod/a",
          precondition: { state: "absent" },
          actions: [{ type: "create", valueKind: "string", description: "", tags: { "sopsync:managed-by": "prod" } }],
        },
        { name: "prod/b", precondition: { state: "present", versionId: "v1" }, actions: [] },
      ],
      unmanaged: [],
      summary: { create: 1, update: 0, restore: 0, adopt: 0, delete: 0, noop: 1 },
    },
  ],
});

describe("samePlan", () => {
  it("ignores plan id, time, file name and key order", () => {
    const b = JSON.parse(JSON.stringify(base())) as Plan;
    b.planId = "b";
    b.createdAt = "2026-02-02T00:00:00Z";
    const t = b.targets[0];
    if (!t) throw new Error("no target");
    t.manifest.file = "./secrets.yaml";
    t.target = { region: "eu-west-1", account: "123456789012" };
    expect(samePlan(base(), b)).toBe(true);
  });

  it("differs on an added action, another precondition, another manifest hash or another account", () => {
    const mutations: ((p: Plan) => void)[] = [
      (p) => p.targets[0]?.changes[1]?.actions.push({ type: "delete", recoveryWindowDays: 7 }),
      (p) => {
        const c = p.targets[0]?.changes[0];
        if (c) c.precondition = { state: "pending-deletion" };
      },
      (p) => {
        const t = p.targets[0];
        if (t) t.manifest.sha256 = "cd".repeat(32);
      },
      (p) => {
        const t = p.targets[0];
        if (t) t.target.account = "000000000000";
      },
      (p) => p.targets.push(JSON.parse(JSON.stringify(p.targets[0]))),
    ];
    for (const [i, mutate] of mutations.entries()) {
      const b = base();
      mutate(b);
      expect(samePlan(base(), b), `mutation ${i}`).toBe(false);
    }
  });
});
