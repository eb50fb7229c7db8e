// Rotation in the planner: the settings actions a `rotation:` calls for, and a value rotation owns
// (noted, never written back).
import { describe, expect, it } from "vitest";
import { comparePreconditions } from "../../src/apply/own-effects.js";
import { preconditionDifference } from "../../src/apply/recheck.js";
import { ROTATION_TOKEN_PREFIX, requestToken, rotationToken } from "../../src/apply/tokens.js";
import type { RotationSpec } from "../../src/manifest/model.js";
import { hasChanges, type Plan } from "../../src/plan/model.js";
import { planTarget, preconditionOf } from "../../src/plan/planner.js";
import { renderText } from "../../src/plan/render-text.js";
import { TAG_VERSION } from "../../src/state/ownership.js";
import { desiredState, liveOf, liveState, secret, str } from "./fixtures.js";

const LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:rotate";
const managed = (over: Partial<Extract<RotationSpec, { mode: "managed" }>> = {}): RotationSpec => ({
  mode: "managed",
  lambdaArn: LAMBDA,
  rules: { automaticallyAfterDays: 30 },
  rotateImmediately: false,
  ...over,
});
const on = { enabled: true, lambdaArn: LAMBDA, rules: { automaticallyAfterDays: 30 } };

function planFor(rotation: RotationSpec | undefined, live: Parameters<typeof liveOf>[1] = {}, value = "v") {
  const d = secret("a", { value: str(value), ...(rotation ? { rotation } : {}) });
  const l = liveOf(secret("a", { value: str("v") }), live);
  return planTarget(desiredState([d]), liveState([l])).changes[0]!;
}

describe("planner: rotation settings", () => {
  it("enables rotation after create, without rotating at once unless asked", () => {
    const d = secret("a", { rotation: managed() });
    const c = planTarget(desiredState([d]), liveState([])).changes[0]!;
    expect(c.actions.map((a) => a.type)).toEqual(["create", "enable-rotation"]);
    expect(c.actions[1]).toEqual({
      type: "enable-rotation",
      lambdaArn: LAMBDA,
      rules: { automaticallyAfterDays: 30 },
      rotateImmediately: false,
    });
  });

  it("enables, updates (never immediately) and leaves matching settings alone", () => {
    expect(planFor(managed({ rotateImmediately: true })).actions).toEqual([
      { type: "enable-rotation", lambdaArn: LAMBDA, rules: { automaticallyAfterDays: 30 }, rotateImmediately: true },
    ]);
    expect(planFor(managed(), { rotation: on }).actions).toEqual([]);
    // AWS may report a days rule as a schedule: the same rule.
    expect(
      planFor(managed(), { rotation: { enabled: true, lambdaArn: LAMBDA, rules: { scheduleExpression: "rate(30 days)" } } })
        .actions,
    ).toEqual([]);
    const u = planFor(
      managed({ rules: { scheduleExpression: "cron(0 4 ? * MON *)", duration: "3h" }, rotateImmediately: true }),
      {
        rotation: on,
      },
    );
    expect(u.actions).toEqual([
      {
        type: "update-rotation",
        before: { lambdaArn: LAMBDA, rules: { automaticallyAfterDays: 30 } },
        lambdaArn: LAMBDA,
        rules: { scheduleExpression: "cron(0 4 ? * MON *)", duration: "3h" },
        rotateImmediately: false,
      },
    ]);
  });

  it("cancels only for `rotation: none`; absent and `external` never touch the settings", () => {
    expect(planFor({ mode: "none" }, { rotation: on }).actions).toEqual([{ type: "cancel-rotation", lambdaArn: LAMBDA }]);
    expect(planFor({ mode: "none" }).actions).toEqual([]);
    expect(planFor({ mode: "external" }, { rotation: on }).actions).toEqual([]);
    expect(planFor({ mode: "external" }).actions).toEqual([]);
    expect(planFor(undefined, { rotation: on }).actions.map((a) => a.type)).not.toContain("cancel-rotation");
  });
});

describe("planner: rotation owns the value", () => {
  const rotated = {
    versionId: "rotated-1",
    value: { string: "new" },
    rotation: { ...on, lastRotatedDate: new Date("2026-11-01T00:00:00Z") },
  };

  it("a rotated value is noted, never written back, and not a change", () => {
    const c = planFor(managed(), rotated);
    expect(c.actions).toEqual([]);
    expect(c.notes).toEqual([{ kind: "value-owned-by-rotation", lastRotated: "2026-11-01T00:00:00.000Z" }]);
    expect(c.precondition).toMatchObject({ valueOwner: "rotation", versionId: "rotated-1" });
    const p: Plan = { formatVersion: 2, planId: "p", createdAt: "t", targets: [] };
    expect(hasChanges(p)).toBe(false);
    const text = renderText({
      ...p,
      targets: [
        planTarget(
          desiredState([secret("a", { value: str("v"), rotation: managed() })]),
          liveState([liveOf(secret("a", { value: str("v") }), rotated)]),
        ),
      ],
    });
    expect(text).toContain("value owned by rotation, last rotated 2026-11-01T00:00:00.000Z");
    expect(text).toContain("No changes.");
  });

  it("`external` owns the value too; a rotated version is never recorded as sopsync's", () => {
    const c = planFor({ mode: "external" }, { ...rotated, description: "old" });
    expect(c.actions.map((a) => a.type)).toEqual(["update-metadata"]);
  });

  it("a manifest change of a rotation-owned value is an ignored note", () => {
    const c = planFor(managed(), { rotation: on }, "changed");
    expect(c.actions).toEqual([]);
    expect(c.notes).toEqual([{ kind: "value-change-ignored" }]);
  });

  it("`rotation: none` manages the value again, cancelling first", () => {
    const c = planFor({ mode: "none" }, { ...rotated, tags: { "sopsync:managed-by": "team-a", [TAG_VERSION]: "v1" } });
    expect(c.actions.map((a) => a.type)).toEqual(["update-value", "cancel-rotation"]);
    expect(c.notes).toBeUndefined();
  });

  it("a rotation between plan and apply does not make the plan stale", () => {
    const c = planFor(managed(), { rotation: on });
    const now = { ...preconditionOf(liveOf(secret("a"), { versionId: "rotated-2" })) };
    expect(preconditionDifference(c.precondition, now)).toBeUndefined();
    const ctx = { planId: "p", account: "123456789012", region: "eu-west-1", scopeId: "team-a" };
    expect(comparePreconditions(c, now, ctx)).toEqual([]);
    const plain = planFor(undefined);
    expect(preconditionDifference(plain.precondition, now)).toContain("new version");
  });
});

describe("rotation tokens", () => {
  it("never look like sopsync's own value versions", () => {
    const ctx = { planId: "p", account: "123456789012", region: "eu-west-1", scopeId: "s" };
    const t = rotationToken(ctx, "a", "enable-rotation");
    expect(t.startsWith(ROTATION_TOKEN_PREFIX)).toBe(true);
    expect(t.length).toBeGreaterThanOrEqual(32);
    expect(t.length).toBeLessThanOrEqual(64);
    expect(t).not.toMatch(/^[0-9a-f]{8}-/);
    expect(requestToken(ctx, "a", "update-value")).not.toContain(ROTATION_TOKEN_PREFIX);
  });
});
