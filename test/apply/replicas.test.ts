// Replicas on the apply side, pure: a saved plan's replica actions against the account after a crash
// or a finished run (compare.ts), the read-back of replica statuses (verify-replicas.ts), and the
// saved-plan schema for the plan's replica fields.
import { describe, expect, it } from "vitest";
import { comparePlans, targetKey } from "../../src/apply/compare.js";
import { parseSavedPlan } from "../../src/apply/saved-plan.js";
import { replicaReadBack } from "../../src/apply/verify-replicas.js";
import type { SecretDetails } from "../../src/aws/port.js";
import type { Plan, SecretChange } from "../../src/plan/model.js";
import { plan } from "../../src/plan/plan.js";
import type { LiveState } from "../../src/state/model.js";
import { desiredState, liveOf, liveState, secret } from "../plan/fixtures.js";

const PLAN_ID = "4f3c6a36-5d0e-4c39-9a43-7f2f0b5d2f12";
const id = { planId: PLAN_ID, createdAt: "2026-11-30T00:00:00.000Z" };
const US = "us-east-1";
const KEY = `arn:aws:kms:${US}:123456789012:key/1111aaaa-0000-0000-0000-000000000001`;
const OLD_KEY = `arn:aws:kms:${US}:123456789012:key/2222bbbb-0000-0000-0000-000000000002`;
const keys = { [US]: { "alias/rep": KEY } };

const declared = secret("a", { replicas: [{ region: US, kmsKeyId: "alias/rep" }] });
const others = Array.from({ length: 8 }, (_, i) => secret(`o${i}`));

function planned(d: ReturnType<typeof secret>[], live: LiveState): { p: Plan; lives: Map<string, LiveState> } {
  const p = plan([{ desired: desiredState(d), live }], id);
  return { p, lives: new Map([[targetKey(p.targets[0] as Plan["targets"][number]), live]]) };
}
const live = (a: Parameters<typeof liveOf>[1], extra = others.map((o) => liveOf(o))) =>
  liveState([liveOf(declared, a), ...extra], { replicaKmsKeyArns: keys });

describe("saved replica actions against the account now", () => {
  it("a failed replica's remove and add are in effect once it is back and not failed", () => {
    const saved = planned([declared, ...others], live({ replicas: [{ region: US, kmsKeyId: "alias/rep", status: "Failed" }] })).p;
    expect(saved.targets[0]?.changes.find((c) => c.name === "a")?.actions.map((a) => a.type)).toEqual([
      "remove-replica",
      "add-replica",
    ]);
    const after = planned([declared, ...others], live({ replicas: [{ region: US, kmsKeyId: KEY, status: "InProgress" }] }));
    expect(comparePlans(saved, after.p, after.lives).differences).toEqual([]);
    // Still failed: the fresh plan re-adds it again, which is what the saved plan says.
    const still = planned([declared, ...others], live({ replicas: [{ region: US, kmsKeyId: "alias/rep", status: "Failed" }] }));
    expect(comparePlans(saved, still.p, still.lives).differences).toEqual([]);
  });

  it("a key change's remove and add are in effect once the replica is under the declared key", () => {
    const keysBoth = { [US]: { "alias/rep": KEY } };
    const before = liveState(
      [liveOf(declared, { replicas: [{ region: US, kmsKeyId: OLD_KEY }] }), ...others.map((o) => liveOf(o))],
      {
        replicaKmsKeyArns: keysBoth,
      },
    );
    const saved = planned([declared, ...others], before).p;
    const after = planned([declared, ...others], live({ replicas: [{ region: US, kmsKeyId: KEY, status: "InSync" }] }));
    expect(comparePlans(saved, after.p, after.lives).differences).toEqual([]);
    // Removed but not yet added again (a crash between the two): the fresh plan adds it, as saved.
    const between = planned([declared, ...others], live({ replicas: [] }));
    expect(comparePlans(saved, between.p, between.lives).differences).toEqual([]);
  });

  it("removing the replicas of a deleted secret is in effect once it is pending deletion", () => {
    const leaving = liveOf(secret("gone"), { replicas: [{ region: US, status: "InSync" }] });
    const saved = planned(others, liveState([leaving, ...others.map((o) => liveOf(o))])).p;
    expect(saved.targets[0]?.changes.find((c) => c.name === "gone")?.actions.map((a) => a.type)).toEqual([
      "remove-replica",
      "delete",
    ]);
    // Pending deletion: its replicas are not read, and it has none (AWS refuses to delete a replicated one).
    const done = planned(
      others,
      liveState([{ ...leaving, pendingDeletion: true, replicas: undefined }, ...others.map((o) => liveOf(o))]),
    );
    expect(comparePlans(saved, done.p, done.lives).differences).toEqual([]);
    // Replica removed, delete not yet run: the fresh plan deletes, as saved.
    const half = planned(others, liveState([{ ...leaving, replicas: [] }, ...others.map((o) => liveOf(o))]));
    expect(comparePlans(saved, half.p, half.lives).differences).toEqual([]);
  });

  it("a saved add of a replica that is there but failed is not in effect", () => {
    const saved = planned([declared, ...others], live({ replicas: [] })).p;
    const failed = planned([declared, ...others], live({ replicas: [{ region: US, kmsKeyId: KEY, status: "Failed" }] }));
    expect(comparePlans(saved, failed.p, failed.lives).differences).toEqual([
      expect.stringMatching(/a: would also remove-replica us-east-1/),
    ]);
  });
});

describe("replica read-back", () => {
  const change = (actions: SecretChange["actions"]): SecretChange => ({ name: "a", actions, precondition: { state: "absent" } });
  const details = (replicas: SecretDetails["replicas"]): SecretDetails => ({ name: "a", tags: {}, replicas, versionStages: {} });
  const add = { type: "add-replica", region: US } as const;

  it("InSync and InProgress replicas took effect; Failed, missing and left-over ones did not", () => {
    expect(replicaReadBack(change([add]), details([{ region: US, status: "InSync" }]))).toEqual([]);
    expect(replicaReadBack(change([add]), details([{ region: US, status: "InProgress" }]))).toEqual([]);
    expect(
      replicaReadBack(
        change([add]),
        details([{ region: US, status: "Failed", statusMessage: "Secret with this name already exists in this region" }]),
      ),
    ).toEqual(['the replica in us-east-1 failed: "Secret with this name already exists in this region"']);
    expect(replicaReadBack(change([add]), details([]))).toEqual(["the replica in us-east-1 is missing"]);
    const remove = { type: "remove-replica", region: "us-west-2" } as const;
    expect(replicaReadBack(change([remove]), details([{ region: "us-west-2", status: "InSync" }]))).toEqual([
      "the replica in us-west-2 is still there",
    ]);
    // Removed and added again: only the addition is checked.
    expect(
      replicaReadBack(change([{ type: "remove-replica", region: US }, add]), details([{ region: US, status: "InSync" }])),
    ).toEqual([]);
  });
});

describe("saved plans carry the replica fields", () => {
  const withReplicaFields = (): Plan => {
    const p = planned(
      [secret("a", { replicas: [{ region: US }] })],
      liveState([
        liveOf(secret("a"), { replicas: [{ region: US, status: "InProgress" }] }),
        liveOf(secret("r"), { replicaOf: US }),
      ]),
    ).p;
    return JSON.parse(JSON.stringify(p)) as Plan;
  };

  it("reads replicaStatus and replicaSecrets back", () => {
    const p = withReplicaFields();
    expect(p.targets[0]?.replicaSecrets).toEqual([{ name: "r", primaryRegion: US }]);
    expect(p.targets[0]?.changes[0]?.replicaStatus).toEqual([{ region: US, status: "InProgress" }]);
    expect(parseSavedPlan(p, "plan.json")).toEqual(p);
  });

  it("refuses a status message with a control character, or an unknown field", () => {
    const p = withReplicaFields();
    const note = p.targets[0]?.changes[0]?.replicaStatus?.[0] as { message?: string };
    note.message = "line\n::error::x";
    expect(() => parseSavedPlan(p, "plan.json")).toThrow(/replicaStatus\.0\.message/);
    const q = withReplicaFields();
    (q.targets[0]?.replicaSecrets?.[0] as Record<string, unknown>).extra = 1;
    expect(() => parseSavedPlan(q, "plan.json")).toThrow(/unknown field/);
  });
});
