// Rotation enabled on the account but not declared (issue 12, item 3): reported as drift of its own,
// the value never written back, --detailed-exitcode 2; saved plans carry it; rendered with what to do.
import { describe, expect, it } from "vitest";
import { parseSavedPlan } from "../../src/apply/saved-plan.js";
import type { Plan, TargetPlan } from "../../src/plan/model.js";
import { hasChanges } from "../../src/plan/model.js";
import { planTarget } from "../../src/plan/planner.js";
import { renderMarkdown } from "../../src/plan/render-markdown.js";
import { renderText } from "../../src/plan/render-text.js";
import { hasDrift } from "../../src/plan/undeclared-rotation.js";
import type { LiveSecret } from "../../src/state/model.js";
import type { DesiredSecret } from "../../src/manifest/model.js";
import { desiredState, liveOf, liveState, secret, str } from "./fixtures.js";

const LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:rotate-db";
const rotating = { enabled: true, lambdaArn: LAMBDA, rules: { automaticallyAfterDays: 30 } };

const planFor = (d: DesiredSecret[], l: LiveSecret[]): TargetPlan => planTarget(desiredState(d), liveState(l));
const asPlan = (t: TargetPlan): Plan => ({
  formatVersion: 2,
  planId: "00000000-0000-4000-8000-000000000000",
  createdAt: "2026-01-01T00:00:00Z",
  targets: [t],
});

describe("rotation enabled outside sopsync", () => {
  const d = secret("db");
  /** Rotated since: a new version, with a value that is not the manifest's. */
  const rotated = liveOf(d, { rotation: rotating, versionId: "rotated-v2", value: { string: "rotated" } });

  it("is drift with no value write, and counts as a change for the exit code", () => {
    const t = planFor([d], [rotated]);
    const c = t.changes[0];
    expect(c?.actions).toEqual([]);
    expect(c?.drift).toEqual([{ kind: "rotation-enabled-outside", lambdaArn: LAMBDA }]);
    expect(t.summary).toMatchObject({ noop: 0, update: 0, drift: 1 });
    // A scheduled rotation between plan and apply must not make the plan stale.
    expect(c?.precondition).toMatchObject({ valueOwner: "rotation" });
    const p = asPlan(t);
    expect(hasChanges(p)).toBe(false);
    expect(hasDrift(p)).toBe(true);
  });

  it("writes no value even when the manifest's value changed, and never records rotation's version as ours", () => {
    const t = planFor([secret("db", { value: str("new"), tags: { team: "x" } })], [rotated]);
    const types = t.changes[0]?.actions.map((a) => a.type);
    expect(types).toEqual(["tag"]);
    const tag = t.changes[0]?.actions[0];
    expect(tag?.type === "tag" && Object.keys(tag.tags)).toEqual(["team"]);
    expect(t.changes[0]?.drift).toHaveLength(1);
  });

  it("is not drift when the manifest declares rotation, or when rotation is off", () => {
    const external = planFor([secret("db", { rotation: { mode: "external" } })], [rotated]);
    expect(external.changes[0]).not.toHaveProperty("drift");
    const off = planFor([d], [liveOf(d, { rotation: { enabled: false, lambdaArn: LAMBDA } })]);
    expect(off.changes[0]).not.toHaveProperty("drift");
    expect(off.summary).toMatchObject({ noop: 1 });
    expect(off.summary).not.toHaveProperty("drift");
  });

  it("is rendered with what to declare, in text and markdown, and read back from a saved plan", () => {
    const p = asPlan(planFor([d], [rotated]));
    const text = renderText(p);
    expect(text).toContain("! db: drift, nothing written");
    expect(text).toContain(`rotation was enabled outside sopsync (lambda ${LAMBDA})`);
    expect(text).toMatch(
      /declare `rotation:` \(its settings\) or `rotation: external` to keep it, or `rotation: none` to cancel it/,
    );
    expect(text).toMatch(/No changes\. 1 secret\(s\) drifted outside sopsync/);
    const md = renderMarkdown(p);
    expect(md).toMatch(/- `db`: \*\*drift, nothing written\*\*: rotation was enabled outside sopsync/);
    expect(md).not.toContain("**No changes.** The account matches the manifest.");
    expect(md).toContain("| drifted | in sync |");
    expect(md).toMatch(/\| 0 \| 0 \| 0 \| 0 \| 0 \| 1 \| 0 \|/);
    const saved = JSON.parse(JSON.stringify(p)) as Plan;
    expect(parseSavedPlan(saved, "plan.json")).toEqual(saved);
    const bad = structuredClone(saved);
    (bad.targets[0]?.changes[0]?.drift?.[0] as { lambdaArn: string }).lambdaArn = "x\n::error::y";
    expect(() => parseSavedPlan(bad, "plan.json")).toThrow(/drift\.0\.lambdaArn/);
  });
});
