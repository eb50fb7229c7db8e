// Replicas in the planner (issue 11, items 1, 2, 3 and 10): replicas of primaries in other regions are
// listed and never touched; a replicated secret leaving the manifest loses its replicas first, and
// each removal is a deletion for the guards; replica statuses; replica keys compared as keys.
import { describe, expect, it } from "vitest";
import type { LiveReplica } from "../../src/aws/port.js";
import { SopsyncError } from "../../src/errors.js";
import type { DesiredSecret } from "../../src/manifest/model.js";
import type { TargetPlan } from "../../src/plan/model.js";
import { type PlanOptions, planTarget } from "../../src/plan/planner.js";
import { renderMarkdown } from "../../src/plan/render-markdown.js";
import { renderText } from "../../src/plan/render-text.js";
import type { LiveSecret, LiveState } from "../../src/state/model.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { desiredState, liveOf, liveSecret, liveState, SCOPE, secret } from "./fixtures.js";

const US = "us-east-1";
const KEY = `arn:aws:kms:${US}:123456789012:key/1111aaaa-0000-0000-0000-000000000001`;
const OTHER_KEY = `arn:aws:kms:${US}:123456789012:key/2222bbbb-0000-0000-0000-000000000002`;

function planFor(d: DesiredSecret[], l: LiveSecret[], opts: PlanOptions = {}, live: Partial<LiveState> = {}): TargetPlan {
  return planTarget(desiredState(d, { scope: { id: SCOPE, prefix: "app/" } }), liveState(l, live), opts);
}
function actionsOf(p: TargetPlan, name: string) {
  return p.changes.find((c) => c.name === name)?.actions;
}
function errorOf(fn: () => unknown): SopsyncError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SopsyncError) return e;
    throw e;
  }
  throw new Error("expected an error");
}
const problemsOf = (e: SopsyncError) => e.problems.map((p) => p.message);

/** A replica, in our region, of a primary in us-east-1: it carries the primary's tags, ours among them. */
const replicaHere = (name: string) => liveSecret(name, { replicaOf: US, tags: { [TAG_MANAGED_BY]: SCOPE, team: "x" } });

describe("replicas of primaries in other regions (item 1)", () => {
  it("are listed as replicas, never deleted, adopted or counted as owned", () => {
    const p = planFor([secret("app/a")], [liveSecret("app/a"), replicaHere("app/r"), liveSecret("app/u", { tags: {} })]);
    expect(p.changes.map((c) => c.name)).toEqual(["app/a"]);
    expect(p.replicaSecrets).toEqual([{ name: "app/r", primaryRegion: US }]);
    expect(p.unmanaged).toEqual(["app/u"]);
    expect(p.summary).toMatchObject({ delete: 0, noop: 1 });
    const plan = { formatVersion: 2 as const, planId: "x", createdAt: "x", targets: [p] };
    expect(renderText(plan)).toMatch(/· app\/r: replica of us-east-1, not touched/);
    expect(renderMarkdown(plan)).toMatch(
      /1 replica\(s\) of secrets in other regions, not touched[\s\S]*- `app\/r`: replica of `us-east-1`/,
    );
    // An empty manifest with only a replica in scope owns nothing: no mass-deletion guard.
    expect(planFor([], [replicaHere("app/r")]).changes).toEqual([]);
  });

  it("is absent from the plan when there are none", () => {
    expect(planFor([secret("app/a")], [liveSecret("app/a")])).not.toHaveProperty("replicaSecrets");
  });

  it("declaring one is a plan error naming its primary's region, even with adopt", () => {
    const e = errorOf(() => planFor([secret("app/r", { adopt: true })], [replicaHere("app/r")], { adoptAll: true }));
    expect(problemsOf(e)).toEqual([
      expect.stringMatching(/'app\/r' is a replica of the secret in us-east-1.*manifest for us-east-1/),
    ]);
  });
});

describe("a replicated secret leaving the manifest (item 2)", () => {
  const replicated = (n: number) =>
    liveSecret("app/gone", { replicas: Array.from({ length: n }, (_, i) => ({ region: `us-west-${i + 1}`, status: "InSync" })) });
  const owned = Array.from({ length: 12 }, (_, i) => secret(`app/s${i}`));
  const ownedLive = owned.map((d) => liveOf(d));

  it("removes each replica, then deletes it", () => {
    const p = planFor(owned, [...ownedLive, replicated(2)]);
    expect(actionsOf(p, "app/gone")).toEqual([
      { type: "remove-replica", region: "us-west-1" },
      { type: "remove-replica", region: "us-west-2" },
      expect.objectContaining({ type: "delete" }),
    ]);
    expect(p.summary.delete).toBe(1);
    const text = renderText({ formatVersion: 2, planId: "x", createdAt: "x", targets: [p] });
    expect(text).toMatch(/- app\/gone: delete\n\s+- replica us-west-1 \(deleted at once, no recovery window\)\n/);
  });

  it("counts each replica removal as a deletion for --max-deletes and the 25% rule", () => {
    expect(errorOf(() => planFor(owned, [...ownedLive, replicated(2)], { maxDeletes: 2 })).message).toMatch(
      /deletes 3 secrets, more than --max-deletes 2; 2 of them replica removals/,
    );
    expect(() => planFor(owned, [...ownedLive, replicated(2)], { maxDeletes: 3 })).not.toThrow();
    // 5 deletions of 13 secrets and 4 replicas: more than a quarter.
    expect(errorOf(() => planFor(owned, [...ownedLive, replicated(4)])).message).toMatch(
      /deletes 5 of 17 owned secrets and replicas \(more than 25%; 4 of them replica removals/,
    );
    expect(() => planFor(owned, [...ownedLive, replicated(4)], { allowMassDelete: true })).not.toThrow();
  });

  it("a declared secret dropping replicas counts them too", () => {
    const d = secret("app/a", { replicas: [] });
    const l = liveOf(d, { replicas: [{ region: "us-west-1" }, { region: "us-west-2" }] });
    expect(errorOf(() => planFor([d, ...owned], [l, ...ownedLive], { maxDeletes: 1 })).message).toMatch(
      /more than --max-deletes 1/,
    );
  });
});

describe("replica status (item 3)", () => {
  const d = secret("app/a", { replicas: [{ region: US }] });
  const withReplica = (r: LiveReplica) => liveOf(d, { replicas: [r] });

  it("InProgress is shown, not a change", () => {
    const p = planFor([d], [withReplica({ region: US, status: "InProgress" })]);
    expect(actionsOf(p, "app/a")).toEqual([]);
    expect(p.changes[0]?.replicaStatus).toEqual([{ region: US, status: "InProgress" }]);
    expect(p.summary.noop).toBe(1);
    const plan = { formatVersion: 2 as const, planId: "x", createdAt: "x", targets: [p] };
    expect(renderText(plan)).toMatch(/· app\/a: replica us-east-1: replication in progress/);
    expect(renderMarkdown(plan)).toMatch(/- `app\/a`: replica us-east-1: replication in progress/);
    expect(planFor([d], [withReplica({ region: US, status: "InSync" })]).changes[0]).not.toHaveProperty("replicaStatus");
  });

  it("a Failed replica is added again (remove, then add), with AWS's message shown", () => {
    const failed = { region: US, status: "Failed", statusMessage: "kms:Decrypt denied\non the primary key" };
    const p = planFor([d], [withReplica(failed)]);
    expect(actionsOf(p, "app/a")).toEqual([
      { type: "remove-replica", region: US },
      { type: "add-replica", region: US, kmsKeyId: undefined },
    ]);
    // One printable line: a saved plan refuses control characters.
    expect(p.changes[0]?.replicaStatus).toEqual([
      { region: US, status: "Failed", message: "kms:Decrypt denied on the primary key" },
    ]);
    const text = renderText({ formatVersion: 2, planId: "x", createdAt: "x", targets: [p] });
    expect(text).toMatch(/replica us-east-1: replication failed: "kms:Decrypt denied on the primary key"/);
  });

  it("a replica failed because its name is taken in that region is a plan error, never an overwrite", () => {
    const taken = { region: US, status: "Failed", statusMessage: "Secret with this name already exists in this region" };
    const e = errorOf(() => planFor([d], [withReplica(taken)]));
    expect(problemsOf(e)).toEqual([
      expect.stringMatching(
        /'app\/a': its replica in us-east-1 failed: .*already exists.*Another secret of this name exists in us-east-1.*never overwrites/,
      ),
    ]);
    // Dropping the region clears the failed entry: a removal, nothing else.
    expect(actionsOf(planFor([secret("app/a", { replicas: [] })], [withReplica(taken)]), "app/a")).toEqual([
      { type: "remove-replica", region: US },
    ]);
  });
});

describe("replica KMS keys (item 10)", () => {
  const declared = (kmsKeyId: string) => secret("app/a", { replicas: [{ region: US, kmsKeyId }] });
  const live = (kmsKeyId: string) => liveOf(declared(kmsKeyId), { replicas: [{ region: US, kmsKeyId, status: "InSync" }] });

  it("an alias and the key's ARN, resolved in the replica's region, are the same key: no change", () => {
    const keys = { [US]: { "alias/rep": KEY } };
    expect(actionsOf(planFor([declared("alias/rep")], [live(KEY)], {}, { replicaKmsKeyArns: keys }), "app/a")).toEqual([]);
    expect(actionsOf(planFor([declared(KEY)], [live("alias/rep")], {}, { replicaKmsKeyArns: keys }), "app/a")).toEqual([]);
    // Key id vs key ARN, and alias vs alias ARN, match as written.
    expect(actionsOf(planFor([declared(KEY.split("/")[1] as string)], [live(KEY)]), "app/a")).toEqual([]);
    expect(actionsOf(planFor([declared("alias/rep")], [live(`arn:aws:kms:${US}:123456789012:alias/rep`)]), "app/a")).toEqual([]);
  });

  it("the same alias resolved in another region says nothing about this one", () => {
    // The primary region's resolution of alias/rep must not be used for the replica's.
    const p = () =>
      planFor([declared("alias/rep")], [live(OTHER_KEY)], {}, { kmsKeyArns: { "alias/rep": OTHER_KEY }, replicaKmsKeyArns: {} });
    expect(problemsOf(errorOf(p))).toEqual([
      expect.stringMatching(/kmsKeyId "alias\/rep" of its replica in us-east-1 names no KMS key/),
    ]);
  });

  it("another key is a remove and an add", () => {
    const keys = { [US]: { "alias/rep": KEY } };
    expect(actionsOf(planFor([declared("alias/rep")], [live(OTHER_KEY)], {}, { replicaKmsKeyArns: keys }), "app/a")).toEqual([
      { type: "remove-replica", region: US },
      { type: "add-replica", region: US, kmsKeyId: "alias/rep" },
    ]);
  });
});
