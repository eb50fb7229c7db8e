// Secrets owned by an AWS service (issue 12, item 4): listed as `owned by <service>`, never written,
// adopted or deleted whatever their tags; declaring one is a plan error naming the service; saved plans
// carry the list; import skips them with that reason.
import { describe, expect, it } from "vitest";
import { parseSavedPlan } from "../../src/apply/saved-plan.js";
import type { ListedSecret } from "../../src/aws/port.js";
import { SopsyncError } from "../../src/errors.js";
import { skipReason } from "../../src/import/build.js";
import type { DesiredSecret } from "../../src/manifest/model.js";
import type { Plan, TargetPlan } from "../../src/plan/model.js";
import { type PlanOptions, planTarget } from "../../src/plan/planner.js";
import { renderMarkdown } from "../../src/plan/render-markdown.js";
import { renderText } from "../../src/plan/render-text.js";
import type { LiveSecret } from "../../src/state/model.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { desiredState, liveSecret, liveState, SCOPE, secret } from "./fixtures.js";

function planFor(d: DesiredSecret[], l: LiveSecret[], opts: PlanOptions = {}): TargetPlan {
  return planTarget(desiredState(d, { scope: { id: SCOPE, prefix: "app/" } }), liveState(l), opts);
}
const asPlan = (t: TargetPlan): Plan => ({
  formatVersion: 2,
  planId: "00000000-0000-4000-8000-000000000000",
  createdAt: "2026-01-01T00:00:00Z",
  targets: [t],
});

/** An RDS master-user secret that also carries our ownership tag: the tag never makes it ours. */
const rdsSecret = (name: string) => liveSecret(name, { owningService: "rds", tags: { [TAG_MANAGED_BY]: SCOPE } });

describe("secrets owned by an AWS service", () => {
  it("are listed as owned by the service and never deleted or counted as owned", () => {
    const p = planFor([secret("app/a")], [liveSecret("app/a"), rdsSecret("app/rds-master"), liveSecret("app/u", { tags: {} })]);
    expect(p.changes.map((c) => c.name)).toEqual(["app/a"]);
    expect(p.serviceSecrets).toEqual([{ name: "app/rds-master", owningService: "rds" }]);
    expect(p.unmanaged).toEqual(["app/u"]);
    expect(p.summary).toMatchObject({ delete: 0, noop: 1 });
    expect(renderText(asPlan(p))).toMatch(/· app\/rds-master: owned by rds, not touched/);
    expect(renderMarkdown(asPlan(p))).toMatch(
      /1 secret\(s\) owned by AWS services, not touched[\s\S]*- `app\/rds-master`: owned by `rds`/,
    );
    // An empty manifest with only a service's secret in scope owns nothing: no mass-deletion guard.
    expect(planFor([], [rdsSecret("app/rds-master")]).changes).toEqual([]);
  });

  it("is absent from the plan when there are none", () => {
    expect(planFor([secret("app/a")], [liveSecret("app/a")])).not.toHaveProperty("serviceSecrets");
  });

  it("declaring one is a plan error naming the service, even with adopt", () => {
    let error: unknown;
    try {
      planFor([secret("app/rds-master", { adopt: true })], [rdsSecret("app/rds-master")], { adoptAll: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SopsyncError);
    expect((error as SopsyncError).problems.map((x) => x.message)).toEqual([
      expect.stringMatching(/'app\/rds-master' is owned by rds \(OwningService\).*never writes, adopts or deletes it/),
    ]);
  });

  it("is carried by saved plans, and an unknown field or a free-text service is refused", () => {
    const p = JSON.parse(JSON.stringify(asPlan(planFor([], [rdsSecret("app/rds-master")])))) as Plan;
    expect(parseSavedPlan(p, "plan.json")).toEqual(p);
    const extra = structuredClone(p);
    (extra.targets[0]?.serviceSecrets?.[0] as Record<string, unknown>).extra = 1;
    expect(() => parseSavedPlan(extra, "plan.json")).toThrow(/unknown field/);
    const text = structuredClone(p);
    (text.targets[0]?.serviceSecrets?.[0] as { owningService: string }).owningService = "rds\n::error::x";
    expect(() => parseSavedPlan(text, "plan.json")).toThrow(/serviceSecrets\.0\.owningService/);
  });

  it("import skips one with the service named, whatever its tags", () => {
    const l: ListedSecret = { name: "app/rds-master", arn: "arn", tags: {}, owningService: "rds" };
    expect(skipReason(l, { string: "x" }, "eu-west-1")).toMatch(/^owned by rds \(OwningService\)/);
    expect(skipReason({ ...l, tags: { [TAG_MANAGED_BY]: "other" } }, undefined)).toMatch(/^owned by rds/);
  });
});
