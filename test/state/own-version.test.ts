// sopsync's own versions told apart by their VersionId: the token format, its generation, and the
// rule that reads both (with the sopsync:version tag of secrets written before the format). Pure.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { replacingToken, requestToken, rotationToken, sameWrite, tokenContext } from "../../src/apply/tokens.js";
import { currentVersionAuthor, isOwnCurrentVersion, ownGeneration, tagMayRecord } from "../../src/state/own-version.js";
import { TAG_VERSION } from "../../src/state/ownership.js";

const ctx = tokenContext("0b6c6a36-5d0e-4c39-9a43-7f2f0b5d2f11", {
  target: { account: "123456789012", region: "eu-west-1" },
  scope: { id: "team-a" },
});
/** A version id of generation `gen`, as a chain of writes from different plans makes it. */
function v(gen: number, seed = "x"): string {
  const replaces = gen === 1 ? null : v(gen - 1, `${seed}p`);
  return requestToken({ ...ctx, planId: `${ctx.planId}-${seed}` }, "app/db", "update-value", replaces);
}

describe("the token of a value write", () => {
  it("is 32..64 characters of sopsync's form, its generation one more than the version it replaces", () => {
    const first = requestToken(ctx, "app/db", "create", null);
    expect(first).toMatch(/^sopsync-g1-[0-9a-f]{40}$/);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const second = requestToken(ctx, "app/db", "update-value", first);
    expect(ownGeneration(second)).toBe(2);
    // A version not in sopsync's form (a UUID, a rotation's) starts again at 1.
    expect(ownGeneration(requestToken(ctx, "app/db", "update-value", randomUUID()))).toBe(1);
    const huge = requestToken(ctx, "app/db", "update-value", `sopsync-g99999999999998-${"a".repeat(40)}`);
    expect(huge.length).toBeLessThanOrEqual(64);
    expect(ownGeneration(huge)).toBe(99999999999999);
  });

  it("is the same for the same plan, target, secret and action, and differs in each of them", () => {
    const t = requestToken(ctx, "app/db", "update-value", null);
    expect(requestToken({ ...ctx }, "app/db", "update-value", null)).toBe(t);
    const others = [
      requestToken({ ...ctx, planId: "other" }, "app/db", "update-value", null),
      requestToken({ ...ctx, account: "210987654321" }, "app/db", "update-value", null),
      requestToken({ ...ctx, region: "us-east-1" }, "app/db", "update-value", null),
      requestToken({ ...ctx, scopeId: "team-b" }, "app/db", "update-value", null),
      requestToken(ctx, "app/other", "update-value", null),
      requestToken(ctx, "app/db", "create", null),
    ];
    expect(new Set([t, ...others]).size).toBe(7);
  });

  it("keeps its hash when re-based on another current version (rotate of a generated value)", () => {
    const t = requestToken(ctx, "app/db", "rotate-generated");
    const rebased = replacingToken(t, `sopsync-g4-${"b".repeat(40)}`);
    expect(ownGeneration(rebased)).toBe(5);
    expect(sameWrite(rebased, t)).toBe(true);
    expect(sameWrite(rebased, requestToken(ctx, "app/other", "rotate-generated"))).toBe(false);
  });

  it("is never the form of a rotation's token, an SDK's UUID or another tool's id", () => {
    expect(ownGeneration(rotationToken(ctx, "app/db", "enable-rotation"))).toBeUndefined();
    expect(ownGeneration(randomUUID())).toBeUndefined();
    expect(ownGeneration("sopsync-g0-0123456789abcdef0123456789abcdef01234567")).toBeUndefined();
    expect(ownGeneration("sopsync-g1-0123456789ABCDEF0123456789abcdef01234567")).toBeUndefined();
    expect(ownGeneration("xsopsync-g1-0123456789abcdef0123456789abcdef01234567")).toBeUndefined();
  });
});

describe("who wrote AWSCURRENT", () => {
  const stages = (current: string, ...others: string[]) => ({
    [current]: ["AWSCURRENT"],
    ...Object.fromEntries(others.map((o, i) => [o, [i === 0 ? "AWSPREVIOUS" : "custom"]])),
  });

  it("sopsync's latest write: marked, and no labelled version carries a higher generation", () => {
    const [g1, g2] = [v(1), v(2)];
    expect(currentVersionAuthor({ versionId: g2, tags: {}, versionStages: stages(g2, g1) })).toBe("own");
    expect(isOwnCurrentVersion({ versionId: g2, tags: {}, versionStages: stages(g2, g1) })).toBe(true);
    // Without the stages (a port that does not report them) the mark alone decides.
    expect(currentVersionAuthor({ versionId: g1, tags: {} })).toBe("own");
  });

  it("moved back: AWSCURRENT moved to an older sopsync version leaves the newer one labelled AWSPREVIOUS", () => {
    const [g1, g2, g3] = [v(1), v(2), v(3)];
    expect(currentVersionAuthor({ versionId: g2, tags: {}, versionStages: stages(g2, g3) })).toBe("moved-back");
    expect(currentVersionAuthor({ versionId: g1, tags: {}, versionStages: stages(g1, g3, g2) })).toBe("moved-back");
    expect(isOwnCurrentVersion({ versionId: g1, tags: {}, versionStages: stages(g1, g3) })).toBe(false);
  });

  it("moved back past someone else's version that sopsync then overwrote: AWSPREVIOUS out of line", () => {
    // g5, then someone's UUID, then sopsync again (generation 1, replacing the UUID), then AWSCURRENT
    // moved back to g5: the newer sopsync version has the lower generation, but sits in AWSPREVIOUS.
    const g5 = v(5);
    const after = requestToken(ctx, "app/db", "update-value", randomUUID());
    expect(currentVersionAuthor({ versionId: g5, tags: {}, versionStages: stages(g5, after) })).toBe("moved-back");
    // Its direct predecessor in AWSPREVIOUS is the ordinary case; so is a version not sopsync's.
    expect(currentVersionAuthor({ versionId: g5, tags: {}, versionStages: stages(g5, v(4)) })).toBe("own");
    expect(currentVersionAuthor({ versionId: g5, tags: {}, versionStages: stages(g5, randomUUID()) })).toBe("own");
    // A lagging listing (its AWSCURRENT still the older version) is not read as a roll-back.
    const g6 = v(6);
    expect(currentVersionAuthor({ versionId: g6, tags: {}, versionStages: stages(g5, v(4)) })).toBe("own");
  });

  it("someone else's write (a UUID, a rotation) on a secret sopsync wrote before", () => {
    const uuid = randomUUID();
    expect(currentVersionAuthor({ versionId: uuid, tags: {}, versionStages: stages(uuid, v(2)) })).toBe("other");
    const rotated = rotationToken(ctx, "app/db", "enable-rotation");
    expect(currentVersionAuthor({ versionId: rotated, tags: {}, versionStages: stages(rotated, v(1)) })).toBe("other");
    expect(currentVersionAuthor({ versionId: uuid, tags: { [TAG_VERSION]: "older" }, versionStages: stages(uuid) })).toBe(
      "other",
    );
  });

  it("a secret written before the format: the tag's version is sopsync's until a marked version exists", () => {
    const old = randomUUID();
    expect(currentVersionAuthor({ versionId: old, tags: { [TAG_VERSION]: old }, versionStages: stages(old) })).toBe("own");
    // sopsync wrote a marked version since, and AWSCURRENT was moved back to the tagged one.
    expect(currentVersionAuthor({ versionId: old, tags: { [TAG_VERSION]: old }, versionStages: stages(old, v(1)) })).toBe(
      "moved-back",
    );
    // Marked versions written since, the old tag left in place: the mark decides.
    const g1 = v(1);
    expect(currentVersionAuthor({ versionId: g1, tags: { [TAG_VERSION]: old }, versionStages: stages(g1, old) })).toBe("own");
  });

  it("nothing recorded: an adopted secret sopsync never wrote", () => {
    const uuid = randomUUID();
    expect(currentVersionAuthor({ versionId: uuid, tags: {}, versionStages: stages(uuid, randomUUID()) })).toBe("unrecorded");
  });

  it("the tag may record an adopted version only while no version in sopsync's form is labelled", () => {
    const uuid = randomUUID();
    expect(tagMayRecord({ versionId: uuid, tags: {}, versionStages: stages(uuid) })).toBe(true);
    expect(tagMayRecord({ versionId: uuid, tags: { [TAG_VERSION]: uuid }, versionStages: stages(uuid) })).toBe(false);
    expect(tagMayRecord({ versionId: uuid, tags: {}, versionStages: stages(uuid, v(1)) })).toBe(false);
    expect(tagMayRecord({ versionId: v(1), tags: {}, versionStages: stages(v(1)) })).toBe(false);
  });
});
