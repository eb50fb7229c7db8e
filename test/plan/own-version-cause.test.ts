// The update-value cause read from the VersionIds (state/own-version.ts) by the planner, and the plan's
// actions for a secret sopsync wrote in its own version form: no tag ever records such a version.
import { describe, expect, it } from "vitest";
import { requestToken } from "../../src/apply/tokens.js";
import type { SecretChange } from "../../src/plan/model.js";
import { planTarget } from "../../src/plan/planner.js";
import type { LiveSecret } from "../../src/state/model.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import { ACCOUNT, desiredState, liveOf, liveState, REGION, SCOPE, secret, str } from "./fixtures.js";

const ctx = { planId: "p", account: ACCOUNT, region: REGION, scopeId: SCOPE };
const g1 = requestToken({ ...ctx, planId: "p1" }, "a", "create", null);
const g2 = requestToken({ ...ctx, planId: "p2" }, "a", "update-value", g1);
const d = secret("a", { value: str("new"), tags: {} });
/** A secret sopsync wrote in its own form: no sopsync:version tag. */
const live = (over: Partial<LiveSecret>): LiveSecret =>
  liveOf(d, { value: { string: "old" }, tags: { [TAG_MANAGED_BY]: SCOPE }, ...over });
const only = (l: LiveSecret): SecretChange => {
  const c = planTarget(desiredState([d]), liveState([l])).changes[0];
  if (!c) throw new Error("no change");
  return c;
};
const cause = (l: LiveSecret) => {
  const a = only(l).actions.find((x) => x.type === "update-value");
  return a?.type === "update-value" ? a.cause : undefined;
};

describe("the update-value cause, from the VersionIds", () => {
  it("sopsync's latest version current: the manifest changed, and only the value is written", () => {
    const l = live({ versionId: g2, versionStages: { [g2]: ["AWSCURRENT"], [g1]: ["AWSPREVIOUS"] } });
    expect(cause(l)).toBe("manifest-changed");
    expect(only(l).actions.map((a) => a.type)).toEqual(["update-value"]);
  });

  it("AWSCURRENT moved back to an older sopsync version: changed outside", () => {
    expect(cause(live({ versionId: g1, versionStages: { [g1]: ["AWSCURRENT"], [g2]: ["AWSPREVIOUS"] } }))).toBe(
      "changed-outside",
    );
  });

  it("someone else's version on a secret sopsync wrote: changed outside; on one it never wrote: unknown", () => {
    const uuid = "6f1d3a52-0c4e-4b8a-9d2f-1a2b3c4d5e6f";
    expect(cause(live({ versionId: uuid, versionStages: { [uuid]: ["AWSCURRENT"], [g2]: ["AWSPREVIOUS"] } }))).toBe(
      "changed-outside",
    );
    expect(cause(live({ versionId: uuid, versionStages: { [uuid]: ["AWSCURRENT"] } }))).toBe("unknown");
  });

  it("a secret written before the form: its tag still decides, and is never written or removed", () => {
    const old = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    const tagged = live({
      versionId: old,
      tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_VERSION]: old },
      versionStages: { [old]: ["AWSCURRENT"] },
    });
    expect(cause(tagged)).toBe("manifest-changed");
    expect(only(tagged).actions.map((a) => a.type)).toEqual(["update-value"]);
    // In sync: nothing at all, the old tag stays.
    expect(only({ ...tagged, value: { string: "new" } }).actions).toEqual([]);
  });
});
