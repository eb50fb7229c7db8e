// Drift attribution with rotation (issue 12, item 5): a current version that is not sopsync's, on a
// secret with rotation enabled, created no later than LastRotatedDate was rotated; a later one was
// written by someone else. The planner's cause and the drift entry say which.
import { describe, expect, it } from "vitest";
import { rotationAttribution } from "../../src/plan/attribution.js";
import { needsVersionDate } from "../../src/state/version-dates.js";
import { planTarget } from "../../src/plan/planner.js";
import { renderText } from "../../src/plan/render-text.js";
import { desiredState, liveOf, liveState, secret } from "./fixtures.js";

const at = (s: string) => new Date(`2026-01-01T${s}Z`);
const rotation = {
  enabled: true,
  lambdaArn: "arn:aws:lambda:eu-west-1:123456789012:function:r",
  lastRotatedDate: at("10:00:00"),
};
const d = secret("db");
const other = (created: Date | undefined, over = {}) =>
  liveOf(d, { rotation, versionId: "theirs", versionCreated: created, value: { string: "other" }, ...over });

describe("rotation attribution", () => {
  it("not later than LastRotatedDate is rotated, later is someone else's", () => {
    expect(rotationAttribution(other(at("09:59:59")))).toBe("rotated");
    expect(rotationAttribution(other(at("10:00:00")))).toBe("rotated");
    expect(rotationAttribution(other(at("10:00:01")))).toBe("changed-outside");
    // No rotation completed yet: any new version is someone else's.
    expect(rotationAttribution(other(at("09:00:00"), { rotation: { enabled: true } }))).toBe("changed-outside");
  });

  it("says nothing for sopsync's own version, without rotation, or without the date", () => {
    expect(rotationAttribution(liveOf(d, { rotation, versionCreated: at("09:00:00") }))).toBeUndefined();
    expect(rotationAttribution(other(at("09:00:00"), { rotation: { enabled: false } }))).toBeUndefined();
    expect(rotationAttribution(other(undefined))).toBeUndefined();
  });

  it("the date is needed only for a rotating secret whose current version is not sopsync's", () => {
    expect(needsVersionDate(other(undefined))).toBe(true);
    expect(needsVersionDate(liveOf(d, { rotation }))).toBe(false);
    expect(needsVersionDate(liveOf(d, { versionId: "theirs" }))).toBe(false);
    expect(needsVersionDate(other(undefined, { pendingDeletion: true }))).toBe(false);
  });

  it("goes into the drift entry of an undeclared rotation", () => {
    const t = planTarget(desiredState([d]), liveState([other(at("09:00:00"))]));
    expect(t.changes[0]?.drift).toEqual([{ kind: "rotation-enabled-outside", lambdaArn: rotation.lambdaArn, value: "rotated" }]);
    const later = planTarget(desiredState([d]), liveState([other(at("11:00:00"))]));
    expect(later.changes[0]?.drift?.[0]?.value).toBe("changed-outside");
  });

  it("is the cause of a value write once rotation is cancelled (rotation: none)", () => {
    const t = planTarget(desiredState([secret("db", { rotation: { mode: "none" } })]), liveState([other(at("09:00:00"))]));
    const write = t.changes[0]?.actions.find((a) => a.type === "update-value");
    expect(write).toMatchObject({ cause: "rotated" });
  });
});

describe("rotation attribution for a declared rotation", () => {
  it("the note says whether the value was rotated or changed outside sopsync after the last rotation", () => {
    const declared = secret("db", { rotation: { mode: "external" } });
    const planned = (created: Date) => planTarget(desiredState([declared]), liveState([other(created)]));
    expect(planned(at("09:00:00")).changes[0]?.notes).toEqual([
      { kind: "value-owned-by-rotation", lastRotated: rotation.lastRotatedDate.toISOString(), value: "rotated" },
    ]);
    const later = planned(at("11:00:00"));
    expect(later.changes[0]?.notes?.[0]).toMatchObject({ value: "changed-outside" });
    expect(later.changes[0]?.actions).toEqual([]);
    const text = renderText({ formatVersion: 2, planId: "p", createdAt: "c", targets: [later] });
    expect(text).toContain("the current value was changed outside sopsync after the last rotation");
  });
});
