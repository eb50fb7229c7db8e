// The saved-plan comparison for resource policies: what apply sends (BlockPublicPolicy) is compared, a
// plan from before the field is refused, and a policy this plan already put counts as done even when
// the account hands it back in AWS's own spelling (a re-run after a crash).
import { describe, expect, it } from "vitest";
import { comparePlans, targetKey } from "../../src/apply/compare.js";
import type { Action, Plan } from "../../src/plan/model.js";
import { plan } from "../../src/plan/plan.js";
import type { LiveState } from "../../src/state/model.js";
import { awsPolicyForm } from "../helpers/aws-policy-form.js";
import { desiredState, liveOf, liveState, secret } from "../plan/fixtures.js";

const id = { planId: "5a1e0c1d-3b7a-4c55-9f0e-2d8b6c4a7e10", createdAt: "2026-11-30T00:00:00.000Z" };
const POLICY = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: ["123456789012"] }, Action: ["secretsmanager:GetSecretValue"], Resource: "*" },
  ],
};
const d = secret("p", { policy: POLICY });
const desired = desiredState([d]);

function planAgainst(live: LiveState): { p: Plan; lives: Map<string, LiveState> } {
  const p = plan([{ desired, live }], id);
  return { p, lives: new Map([[targetKey(p.targets[0] as Plan["targets"][number]), live]]) };
}
const noPolicy = () => liveState([liveOf(d, { policy: null })]);
const putOf = (p: Plan) => p.targets[0]?.changes[0]?.actions[0] as Extract<Action, { type: "put-policy" }>;

function compareWith(edit: (a: Extract<Action, { type: "put-policy" }>) => void, live = noPolicy()) {
  const saved = structuredClone(planAgainst(noPolicy()).p);
  edit(putOf(saved));
  const fresh = planAgainst(live);
  return comparePlans(saved, fresh.p, fresh.lives).differences;
}

describe("saved plan: put-policy", () => {
  it("is equal when nothing moved; BlockPublicPolicy is part of what is compared", () => {
    expect(putOf(planAgainst(noPolicy()).p)).toEqual({ type: "put-policy", after: POLICY, blockPublicPolicy: true });
    expect(compareWith(() => {})).toEqual([]);
    const unblocked = compareWith((a) => {
      a.blockPublicPolicy = false;
    });
    expect(unblocked).toEqual([
      "account 123456789012, eu-west-1, scope team-a: p: put-policy differs from what the manifest and the account call for now",
    ]);
  });

  it("refuses a plan made before the field (it cannot say what apply would send)", () => {
    expect(compareWith((a) => delete a.blockPublicPolicy)).toHaveLength(1);
  });

  it("counts a policy this plan already put as done, in whatever spelling AWS hands it back", () => {
    const done = liveState([liveOf(d, { policy: awsPolicyForm(POLICY) })]);
    expect(planAgainst(done).p.targets[0]?.changes[0]?.actions).toEqual([]);
    expect(compareWith(() => {}, done)).toEqual([]);
  });
});
