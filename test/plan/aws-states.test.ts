// Planner cases for states AWS has and moto shows too (issue 11): a secret's own recovery window
// recorded and used when it leaves the manifest, a secret without a current value, and a KMS key
// change that writes the value again under the new key.
import { describe, expect, it } from "vitest";
import { actionLines } from "../../src/plan/describe.js";
import type { SecretChange } from "../../src/plan/model.js";
import { planTarget } from "../../src/plan/planner.js";
import { TAG_MANAGED_BY, TAG_RECOVERY_WINDOW, TAG_VERSION } from "../../src/state/ownership.js";
import { desiredState, liveOf, liveSecret, liveState, SCOPE, secret } from "./fixtures.js";

function changeOf(p: ReturnType<typeof planTarget>, name: string): SecretChange {
  const c = p.changes.find((x) => x.name === name);
  if (!c) throw new Error(`no change for ${name}`);
  return c;
}

describe("a secret's own recovery window", () => {
  const own = secret("a", { recoveryWindowDays: 21, recoveryWindowOwn: true });

  it("is recorded in a sopsync: tag on create, and not when the secret relies on defaults", () => {
    const p = planTarget(desiredState([own, secret("b", { recoveryWindowDays: 9 })]), liveState([]));
    const tags = (n: string) => {
      const a = changeOf(p, n).actions[0];
      return a?.type === "create" ? a.tags : {};
    };
    expect(tags("a")).toEqual({ [TAG_MANAGED_BY]: SCOPE, [TAG_RECOVERY_WINDOW]: "21" });
    expect(tags("b")).toEqual({ [TAG_MANAGED_BY]: SCOPE });
  });

  it("is recorded on an existing secret, changed with the manifest, and removed when the secret drops it", () => {
    const before = liveOf(secret("a"));
    expect(changeOf(planTarget(desiredState([own]), liveState([before])), "a").actions).toEqual([
      { type: "tag", tags: { [TAG_RECOVERY_WINDOW]: { after: "21" } } },
    ]);
    const recorded = liveOf(own);
    expect(changeOf(planTarget(desiredState([own]), liveState([recorded])), "a").actions).toEqual([]);
    const longer = secret("a", { recoveryWindowDays: 30, recoveryWindowOwn: true });
    expect(changeOf(planTarget(desiredState([longer]), liveState([recorded])), "a").actions).toEqual([
      { type: "tag", tags: { [TAG_RECOVERY_WINDOW]: { before: "21", after: "30" } } },
    ]);
    expect(changeOf(planTarget(desiredState([secret("a")]), liveState([recorded])), "a").actions).toEqual([
      { type: "untag", tags: { [TAG_RECOVERY_WINDOW]: "21" } },
    ]);
  });

  it("is used when the secret leaves the manifest; without the tag (older secrets), the defaults are", () => {
    const keep = ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"].map((n) => secret(n));
    const live = [
      ...keep.map((d) => liveOf(d)),
      liveSecret("gone-own", { tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_VERSION]: "v1", [TAG_RECOVERY_WINDOW]: "21" } }),
      liveSecret("gone-old"),
      // Edited by hand to something AWS would refuse: the defaults, not a window outside 7..30.
      liveSecret("gone-odd", { tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_RECOVERY_WINDOW]: "3" } }),
    ];
    const p = planTarget(desiredState(keep, { recoveryWindowDays: 9 }), liveState(live));
    expect(changeOf(p, "gone-own").actions).toEqual([{ type: "delete", recoveryWindowDays: 21, recoveryWindowFrom: "secret" }]);
    expect(changeOf(p, "gone-old").actions).toEqual([{ type: "delete", recoveryWindowDays: 9, recoveryWindowFrom: "defaults" }]);
    expect(changeOf(p, "gone-odd").actions).toEqual([{ type: "delete", recoveryWindowDays: 9, recoveryWindowFrom: "defaults" }]);
    const [own21] = changeOf(p, "gone-own").actions;
    const [old9] = changeOf(p, "gone-old").actions;
    if (!own21 || !old9) throw new Error("no delete");
    expect(actionLines(own21).join("\n")).toMatch(/21-day recovery window \(the secret's own, recorded when sopsync wrote it\)/);
    expect(actionLines(old9).join("\n")).toMatch(/9-day recovery window \(defaults\.recoveryWindowDays\)/);
  });
});

describe("a secret without a current value", () => {
  it("is planned as update-value, saying why; its precondition has no version", () => {
    const d = secret("a");
    const p = planTarget(
      desiredState([d]),
      liveState([liveOf(d, { value: undefined, versionId: undefined, noCurrentValue: true })]),
    );
    const c = changeOf(p, "a");
    expect(c.actions).toEqual([{ type: "update-value", valueKind: "string", cause: "no-current-value" }]);
    expect(c.precondition).toMatchObject({ state: "present", versionId: null });
    const [a] = c.actions;
    if (!a) throw new Error("no action");
    expect(actionLines(a)[0]).toBe("value: the secret has no current value (no AWSCURRENT version); the manifest's is written");
  });
});

describe("a KMS key change", () => {
  const keyA = "arn:aws:kms:eu-west-1:123456789012:key/aaaa";
  const keyB = "arn:aws:kms:eu-west-1:123456789012:key/bbbb";

  it("writes the unchanged value again as a new version under the new key, and says so", () => {
    const d = secret("a", { kmsKeyId: keyB });
    const c = changeOf(planTarget(desiredState([d]), liveState([liveOf(d, { kmsKeyId: keyA })])), "a");
    expect(c.actions).toEqual([
      { type: "update-metadata", kmsKeyId: { before: keyA, after: keyB } },
      { type: "update-value", valueKind: "string", cause: "kms-key-changed" },
    ]);
    const rewrite = c.actions[1];
    if (!rewrite) throw new Error("no rewrite");
    // The same value: no "(value changed)" line.
    expect(actionLines(rewrite)).toEqual([
      "value: written again as a new version under the new KMS key, so only that key decrypts it",
    ]);
  });

  it("keeps the drift cause when the value changes anyway, and never records the old version alongside", () => {
    const d = secret("a", { kmsKeyId: keyB });
    const live = liveOf(d, { kmsKeyId: keyA, value: { string: "other" }, tags: { [TAG_MANAGED_BY]: SCOPE } });
    const c = changeOf(planTarget(desiredState([d]), liveState([live])), "a");
    expect(c.actions).toEqual([
      { type: "update-metadata", kmsKeyId: { before: keyA, after: keyB } },
      { type: "update-value", valueKind: "string", cause: "unknown" },
    ]);
    // In sync but without a version record: the rewrite's version id is the record, no tag action.
    const unrecorded = liveOf(d, { kmsKeyId: keyA, tags: { [TAG_MANAGED_BY]: SCOPE } });
    const c2 = changeOf(planTarget(desiredState([d]), liveState([unrecorded])), "a");
    expect(c2.actions.map((a) => a.type)).toEqual(["update-metadata", "update-value"]);
  });

  it("is no rewrite when the key is the same one spelled another way", () => {
    const d = secret("a", { kmsKeyId: "alias/k" });
    const p = planTarget(desiredState([d]), liveState([liveOf(d, { kmsKeyId: keyA })], { kmsKeyArns: { "alias/k": keyA } }));
    expect(changeOf(p, "a").actions).toEqual([]);
  });
});
