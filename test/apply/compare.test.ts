// The saved-plan comparison, pure: a saved plan against a fresh plan of the same manifest over the
// account as it is now. Equal when nothing moved, and when what moved is this plan's own writes (a
// re-run after a crash); a difference otherwise, named per secret.
import { describe, expect, it } from "vitest";
import { comparePlans, targetKey } from "../../src/apply/compare.js";
import { requestToken, tokenContext } from "../../src/apply/tokens.js";
import type { Plan } from "../../src/plan/model.js";
import { plan } from "../../src/plan/plan.js";
import type { LiveState } from "../../src/state/model.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import { desiredState, liveOf, liveSecret, liveState, secret, str } from "../plan/fixtures.js";

const PLAN_ID = "0b6c6a36-5d0e-4c39-9a43-7f2f0b5d2f11";
const id = { planId: PLAN_ID, createdAt: "2026-11-30T00:00:00.000Z" };
const desired = desiredState([
  secret("a", { value: str("new-a") }), // update-value
  secret("b"), // create
  secret("d", { value: str("new-d") }), // restore + update-value
  secret("e"), // in sync
]);
const planTimeLive = (): LiveState =>
  liveState([
    liveSecret("a", { versionId: "va" }),
    liveSecret("c", { versionId: "vc" }), // owned, not declared: delete
    liveSecret("d", { versionId: "vd", pendingDeletion: true, value: undefined }),
    liveSecret("e"),
  ]);

function planAgainst(live: LiveState): { p: Plan; lives: Map<string, LiveState> } {
  const p = plan([{ desired, live }], id);
  return { p, lives: new Map([[targetKey(p.targets[0] as Plan["targets"][number]), live]]) };
}

const saved = planAgainst(planTimeLive()).p;
const tokens = tokenContext(PLAN_ID, saved.targets[0] as Plan["targets"][number]);
/** The token of this plan's write, replacing the version it was planned against (all unmarked here: generation 1). */
const token = (name: string, action: string) => requestToken(tokens, name, action, null);
const compare = (live: LiveState, s: Plan = saved) => {
  const fresh = planAgainst(live);
  return comparePlans(s, fresh.p, fresh.lives);
};

describe("saved plan against a fresh plan", () => {
  it("is equal when nothing moved", () => {
    expect(saved.targets[0]?.changes.map((c) => [c.name, c.actions.map((a) => a.type)])).toEqual([
      ["a", ["update-value"]],
      ["b", ["create"]],
      ["c", ["delete"]],
      ["d", ["restore", "update-value"]],
      ["e", []],
    ]);
    expect(compare(planTimeLive()).differences).toEqual([]);
  });

  it("is equal after a crash that left part of it done, with nothing left to resume besides the plan", () => {
    const live = planTimeLive();
    // a: value written by this plan (its id is the record; an older sopsync's tag stays); b: created;
    // c: deleted; d: restored only.
    live.secrets.set(
      "a",
      liveSecret("a", {
        value: { string: "new-a" },
        versionId: token("a", "update-value"),
        tags: { [TAG_MANAGED_BY]: "team-a", [TAG_VERSION]: "va" },
      }),
    );
    live.secrets.set(
      "b",
      liveOf(secret("b"), {
        versionId: token("b", "create"),
        tags: { [TAG_MANAGED_BY]: "team-a" },
      }),
    );
    live.secrets.set("c", liveSecret("c", { versionId: "vc", pendingDeletion: true }));
    live.secrets.set("d", liveSecret("d", { versionId: "vd", value: { string: "old-d" } }));
    const fresh = planAgainst(live);
    const r = comparePlans(saved, fresh.p, fresh.lives);
    expect(r.differences).toEqual([]);
    // No version tag was cut off: a's write was its one call, and the fresh plan has nothing for it.
    expect(fresh.p.targets[0]?.changes.find((c) => c.name === "a")?.actions).toEqual([]);
  });

  it("is equal after a crash between a value write and a tag change; the fresh plan's tag records no version", () => {
    const d = desiredState([secret("a", { value: str("new-a"), tags: { team: "x" } })]);
    const live0 = liveState([liveSecret("a", { versionId: "va" })]);
    const s = plan([{ desired: d, live: live0 }], id);
    expect(s.targets[0]?.changes[0]?.actions.map((a) => a.type)).toEqual(["update-value", "tag"]);
    // The value landed; the tags did not. The version is sopsync's by its id: the tag records nothing.
    const live1 = liveState([liveSecret("a", { versionId: token("a", "update-value"), value: { string: "new-a" } })]);
    const f = plan([{ desired: d, live: live1 }], id);
    expect(f.targets[0]?.changes[0]?.actions).toEqual([{ type: "tag", tags: { team: { after: "x" } } }]);
    const lives = new Map([[targetKey(f.targets[0] as Plan["targets"][number]), live1]]);
    expect(comparePlans(s, f, lives).differences).toEqual([]);
  });

  it("refuses what moved under it: an out-of-band version, a restore + rewrite by someone else, a new owner", () => {
    const live = planTimeLive();
    live.secrets.set("a", liveSecret("a", { versionId: "by-hand" }));
    live.secrets.set("d", liveSecret("d", { versionId: "theirs", value: { string: "theirs" } }));
    live.secrets.set(
      "e",
      liveSecret("e", { tags: { [TAG_MANAGED_BY]: "team-a", "sopsync:protected": "true", [TAG_VERSION]: "v1" } }),
    );
    const r = compare(live).differences.join("\n");
    expect(r).toMatch(/a: planned against versionId "va", the account now shows "by-hand"/);
    expect(r).toMatch(/d: planned against versionId "vd", the account now shows "theirs"/);
    expect(r).toMatch(/e: would untag, which the saved plan does not/);
  });

  it("refuses a plan whose id was used before: its token is already the current version, yet the value differs", () => {
    const live = planTimeLive();
    live.secrets.set("a", liveSecret("a", { versionId: token("a", "update-value"), value: { string: "older" } }));
    expect(compare(live).differences.join("\n")).toMatch(/a: its current version carries this plan's request token/);
  });

  it("refuses edits of the saved plan: an added delete, a changed field, a dropped change", () => {
    const forged = structuredClone(saved);
    const t = forged.targets[0] as Plan["targets"][number];
    t.changes.push({ name: "other/x", precondition: { state: "absent" }, actions: [{ type: "delete", recoveryWindowDays: 7 }] });
    const c = t.changes.find((x) => x.name === "c");
    if (c) c.actions = [{ type: "delete", recoveryWindowDays: 9 }];
    t.changes = t.changes.filter((x) => x.name !== "b");
    const r = compare(planTimeLive(), forged).differences.join("\n");
    expect(r).toMatch(/other\/x: the saved plan's delete is not what the manifest and the account call for now/);
    expect(r).toMatch(/c: delete differs/);
    expect(r).toMatch(/b: would create, which the saved plan does not/);
  });

  it("refuses a target the manifests do not have, and a manifest that changed", () => {
    const forged = structuredClone(saved);
    const t = forged.targets[0] as Plan["targets"][number];
    forged.targets.push({ ...structuredClone(t), scope: { id: "someone-else" } });
    t.manifests = [{ file: "m.yaml", sha256: "cd".repeat(32) }];
    const r = compare(planTimeLive(), forged).differences.join("\n");
    expect(r).toMatch(/someone-else: in the saved plan, but not a target of these manifests/);
    expect(r).toMatch(/the manifests differ/);
  });
});
