// Hand-written cases for every action and guard of design §4.
import { describe, expect, it } from "vitest";
import { SopsyncError } from "../../src/errors.js";
import type { Action, SecretChange } from "../../src/plan/model.js";
import { plan } from "../../src/plan/plan.js";
import { type PlanOptions, planTarget } from "../../src/plan/planner.js";
import { TAG_MANAGED_BY, TAG_PROTECTED, TAG_VERSION } from "../../src/state/ownership.js";
import { ACCOUNT, desiredState, json, liveOf, liveSecret, liveState, SCOPE, secret, str } from "./fixtures.js";
import type { DesiredSecret } from "../../src/manifest/model.js";
import type { LiveSecret } from "../../src/state/model.js";

function planOne(d: DesiredSecret[], l: LiveSecret[], opts: PlanOptions = {}, over = {}) {
  return planTarget(desiredState(d, over), liveState(l), opts);
}
function change(p: ReturnType<typeof planOne>, name: string): SecretChange {
  const c = p.changes.find((x) => x.name === name);
  if (!c) throw new Error(`no change for ${name}`);
  return c;
}
const types = (c: SecretChange) => c.actions.map((a) => a.type);
function errorOf(fn: () => unknown): SopsyncError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SopsyncError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("planner: create", () => {
  it("creates an absent secret with ownership tags, then replicas and policy", () => {
    const d = secret("a", {
      description: "d",
      kmsKeyId: "alias/k",
      tags: { team: "x" },
      protect: true,
      replicas: [{ region: "us-east-1" }],
      policy: { Version: "2012-10-17", Statement: [] },
    });
    const c = change(planOne([d], []), "a");
    expect(c.precondition).toEqual({ state: "absent" });
    expect(c.actions).toEqual<Action[]>([
      {
        type: "create",
        valueKind: "string",
        description: "d",
        kmsKeyId: "alias/k",
        tags: { team: "x", [TAG_MANAGED_BY]: SCOPE, [TAG_PROTECTED]: "true" },
      },
      { type: "add-replica", region: "us-east-1", kmsKeyId: undefined },
      { type: "put-policy", after: { Version: "2012-10-17", Statement: [] }, blockPublicPolicy: true },
    ]);
  });

  it("attaches no policy for policy: null and no replicas for []", () => {
    expect(types(change(planOne([secret("a", { policy: null, replicas: [] })], []), "a"))).toEqual(["create"]);
  });
});

describe("planner: values", () => {
  it("is a noop when in sync; JSON key order, whitespace and number spelling are not drift", () => {
    const d = secret("a", { value: json({ b: 1, a: { y: [1, 2], x: "s" }, big: 12345678901234567890n }) });
    const l = liveOf(d, { value: { string: '{ "a": {"x":"s", "y":[1,2]},\n "b": 1.0, "big": 12345678901234567890 }' } });
    const p = planOne([d], [l]);
    expect(change(p, "a").actions).toEqual([]);
    expect(p.summary).toMatchObject({ noop: 1, update: 0 });
  });

  it("a 64-bit integer differing in the last digit is drift", () => {
    const d = secret("a", { value: json({ id: 12345678901234567891n }) });
    expect(types(change(planOne([d], [liveOf(d, { value: { string: '{"id":12345678901234567890}' } })]), "a"))).toEqual([
      "update-value",
    ]);
  });

  it("compares strings exactly and binaries byte-wise", () => {
    const s = secret("s", { value: str("abc") });
    const b = secret("b", { value: { kind: "binary", bytes: new Uint8Array([1, 2, 3]) } });
    const p = planOne(
      [s, b],
      [liveOf(s, { value: { string: "abc " } }), liveOf(b, { value: { binary: new Uint8Array([1, 2, 4]) } })],
    );
    expect(change(p, "s").actions).toEqual([
      { type: "update-value", valueKind: "string", cause: "manifest-changed", keys: undefined },
    ]);
    expect(types(change(p, "b"))).toEqual(["update-value"]);
    const same = planOne([b], [liveOf(b, { value: { binary: new Uint8Array([1, 2, 3]) } })]);
    expect(change(same, "b").actions).toEqual([]);
  });

  it("diffs JSON values key by key, names only", () => {
    const d = secret("a", { value: json({ keep: 1, changed: "new", added: true }) });
    const c = change(planOne([d], [liveOf(d, { value: { string: '{"keep":1,"changed":"old","legacy":0}' } })]), "a");
    expect(c.actions).toEqual([
      {
        type: "update-value",
        valueKind: "json",
        cause: "manifest-changed",
        keys: [
          { key: "added", change: "added" },
          { key: "changed", change: "changed" },
          { key: "legacy", change: "removed" },
        ],
      },
    ]);
  });

  it("attributes drift: manifest changed, changed outside sopsync, or unknown", () => {
    const d = secret("a", { value: str("new") });
    const mine = liveOf(d, { value: { string: "old" }, versionId: "v1", tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_VERSION]: "v1" } });
    const outside = liveOf(d, {
      value: { string: "old" },
      versionId: "v2",
      tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_VERSION]: "v1" },
    });
    const untracked = liveOf(d, { value: { string: "old" }, versionId: "v2", tags: { [TAG_MANAGED_BY]: SCOPE } });
    const cause = (l: LiveSecret) => (change(planOne([d], [l]), "a").actions[0] as { cause: string }).cause;
    expect(cause(mine)).toBe("manifest-changed");
    expect(cause(outside)).toBe("changed-outside");
    expect(cause(untracked)).toBe("unknown");
  });
});

describe("planner: metadata and tags", () => {
  it("updates the description; an omitted description means empty", () => {
    const d = secret("a");
    expect(change(planOne([d], [liveOf(d, { description: "old" })]), "a").actions).toEqual([
      { type: "update-metadata", description: { before: "old", after: "" } },
    ]);
  });

  it("compares KMS keys by identity: alias, id and ARN of one key are not drift; another key is", () => {
    const keyArn = "arn:aws:kms:eu-west-1:123456789012:key/1111-2222";
    const d = secret("a", { kmsKeyId: "alias/platform" });
    const viaArn = planTarget(
      desiredState([d]),
      liveState([liveOf(d, { kmsKeyId: keyArn })], { kmsKeyArns: { "alias/platform": keyArn } }),
    );
    expect(change(viaArn, "a").actions).toEqual([]);
    const aliasArn = planOne([d], [liveOf(d, { kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:alias/platform" })]);
    expect(change(aliasArn, "a").actions).toEqual([]);
    const byId = planOne([secret("b", { kmsKeyId: "1111-2222" })], [liveOf(secret("b"), { kmsKeyId: keyArn })]);
    expect(change(byId, "b").actions).toEqual([]);
    const other = planTarget(
      desiredState([d]),
      liveState([liveOf(d, { kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/9999" })], {
        kmsKeyArns: { "alias/platform": keyArn },
      }),
    );
    expect(change(other, "a").actions).toEqual([
      { type: "update-metadata", kmsKeyId: { before: "arn:aws:kms:eu-west-1:123456789012:key/9999", after: "alias/platform" } },
      { type: "update-value", valueKind: "string", cause: "kms-key-changed" },
    ]);
    // Omitted kmsKeyId: not managed.
    expect(change(planOne([secret("c")], [liveOf(secret("c"), { kmsKeyId: keyArn })]), "c").actions).toEqual([]);
    // The AWS managed key is reported as no key at all.
    expect(
      change(
        planOne([secret("e", { kmsKeyId: "alias/aws/secretsmanager" })], [liveOf(secret("e"), { kmsKeyId: undefined })]),
        "e",
      ).actions,
    ).toEqual([]);
  });

  it("tags and untags; never touches aws: tags or sopsync:version; drops sopsync:protected when protect goes", () => {
    const d = secret("a", { tags: { keep: "1", changed: "new", added: "x" } });
    const l = liveOf(d, {
      tags: {
        keep: "1",
        changed: "old",
        stale: "s",
        "aws:cloudformation:stack-name": "st",
        [TAG_MANAGED_BY]: SCOPE,
        [TAG_VERSION]: "v1",
        [TAG_PROTECTED]: "true",
      },
    });
    expect(change(planOne([d], [l]), "a").actions).toEqual([
      { type: "tag", tags: { changed: { before: "old", after: "new" }, added: { before: undefined, after: "x" } } },
      { type: "untag", tags: { stale: "s", [TAG_PROTECTED]: "true" } },
    ]);
  });

  it("keeps sopsync: tags it does not know, in any case (a newer sopsync's)", () => {
    const d = secret("a");
    const l = liveOf(d, {
      tags: {
        [TAG_MANAGED_BY]: SCOPE,
        [TAG_VERSION]: "v1",
        "sopsync:future": "1",
        "SOPSYNC:other": "2",
        "Sopsync:protected": "true",
        stale: "s",
      },
    });
    expect(change(planOne([d], [l]), "a").actions).toEqual([{ type: "untag", tags: { stale: "s" } }]);
    const { stale: _, ...unknownOnly } = l.tags;
    expect(change(planOne([d], [liveOf(d, { tags: unknownOnly })]), "a").actions).toEqual([]);
  });
});

describe("planner: policies and replicas", () => {
  const pol = (sid: string) => ({
    Version: "2012-10-17",
    Statement: [{ Sid: sid, Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }],
  });

  it("omitted policy is not managed; null removes one; a different one is put; key order is not drift", () => {
    const l = (p: unknown) => liveSecret("a", { policy: p });
    expect(change(planOne([secret("a")], [l(pol("x"))]), "a").actions).toEqual([]);
    expect(change(planOne([secret("a", { policy: null })], [l(pol("x"))]), "a").actions).toEqual([
      { type: "delete-policy", before: pol("x") },
    ]);
    expect(change(planOne([secret("a", { policy: null })], [l(null)]), "a").actions).toEqual([]);
    expect(change(planOne([secret("a", { policy: pol("y") })], [l(pol("x"))]), "a").actions).toEqual([
      { type: "put-policy", before: pol("x"), after: pol("y"), blockPublicPolicy: true },
    ]);
    expect(change(planOne([secret("a", { policy: pol("y") })], [l(null)]), "a").actions).toEqual([
      { type: "put-policy", before: undefined, after: pol("y"), blockPublicPolicy: true },
    ]);
    const reordered = {
      Statement: [{ Resource: "*", Action: "*", Principal: "*", Effect: "Deny", Sid: "y" }],
      Version: "2012-10-17",
    };
    expect(change(planOne([secret("a", { policy: pol("y") })], [l(reordered)]), "a").actions).toEqual([]);
  });

  it("adds and removes replicas; a replica's key changes by remove and add; omitted is not managed", () => {
    const live = liveSecret("a", { replicas: [{ region: "us-east-1" }, { region: "us-west-2", kmsKeyId: "alias/old" }] });
    const d = secret("a", { replicas: [{ region: "us-west-2", kmsKeyId: "alias/new" }, { region: "ap-south-1" }] });
    // Two keys, as kms:DescribeKey resolves them in us-west-2 (test/plan/replicas.test.ts: key spellings).
    const keys = {
      "us-west-2": { "alias/old": "arn:aws:kms:us-west-2:1:key/old", "alias/new": "arn:aws:kms:us-west-2:1:key/new" },
    };
    // Two replica removals in a scope of one secret: lifted, the guards are tested below.
    const p = planTarget(desiredState([d]), liveState([live], { replicaKmsKeyArns: keys }), { allowMassDelete: true });
    expect(change(p, "a").actions).toEqual([
      { type: "remove-replica", region: "us-east-1" },
      { type: "remove-replica", region: "us-west-2" },
      { type: "add-replica", region: "us-west-2", kmsKeyId: "alias/new" },
      { type: "add-replica", region: "ap-south-1", kmsKeyId: undefined },
    ]);
    expect(change(planOne([secret("a")], [live]), "a").actions).toEqual([]);
    expect(types(change(planOne([secret("a", { replicas: [] })], [live], { allowMassDelete: true }), "a"))).toEqual([
      "remove-replica",
      "remove-replica",
    ]);
  });
});

describe("planner: restore, adopt, ownership, delete, unmanaged", () => {
  it("restores a declared secret pending deletion, then reconciles it", () => {
    const d = secret("a", { description: "new" });
    const c = change(planOne([d], [liveOf(d, { pendingDeletion: true, value: undefined, description: "old" })]), "a");
    expect(c.precondition).toEqual({
      state: "pending-deletion",
      versionId: "v1",
      managedBy: "team-a",
      protected: false,
      description: "old",
      kmsKeyId: null,
    });
    expect(types(c)).toEqual(["restore", "update-metadata", "update-value"]);
    expect(c.actions[2]).toMatchObject({ type: "update-value", cause: "not-readable" });
  });

  it("adopts an unmanaged secret with adopt: true or --adopt, and writes the ownership tag", () => {
    const unmanaged = liveSecret("a", { tags: { owner: "ops" }, value: { string: "value-of-a" } });
    const byFlag = planOne([secret("a")], [unmanaged], { adoptAll: true });
    expect(change(byFlag, "a").actions).toEqual([
      { type: "adopt" },
      // The version in place is recorded, so later drift on it is attributed.
      {
        type: "tag",
        tags: { [TAG_MANAGED_BY]: { before: undefined, after: SCOPE }, [TAG_VERSION]: { before: undefined, after: "v1" } },
      },
      { type: "untag", tags: { owner: "ops" } },
    ]);
    expect(byFlag.summary.adopt).toBe(1);
    expect(types(change(planOne([secret("a", { adopt: true })], [unmanaged]), "a"))).toEqual(["adopt", "tag", "untag"]);
  });

  it("records an unrecorded version only in a TagResource sent anyway, never as a write of its own", () => {
    const d = secret("a");
    const unrecorded = liveOf(d, { versionId: "v7" }); // tag says v1
    expect(change(planOne([d], [unrecorded]), "a").actions).toEqual([]);
    // A description change is an UpdateSecret: a TagResource for the version alone would be a second call.
    expect(change(planOne([{ ...d, description: "new" }], [unrecorded]), "a").actions).toEqual([
      { type: "update-metadata", description: { before: "", after: "new" } },
    ]);
    expect(change(planOne([{ ...d, tags: { team: "x" } }], [unrecorded]), "a").actions).toEqual([
      { type: "tag", tags: { team: { after: "x" }, [TAG_VERSION]: { before: "v1", after: "v7" } } },
    ]);
    // Never once a version in sopsync's own format is labelled: a tag is always older than those.
    const marked = "sopsync-g3-0123456789abcdef0123456789abcdef01234567";
    const after = liveOf(d, { versionId: "v7", versionStages: { v7: ["AWSCURRENT"], [marked]: ["AWSPREVIOUS"] } });
    expect(change(planOne([{ ...d, tags: { team: "x" } }], [after]), "a").actions).toEqual([
      { type: "tag", tags: { team: { after: "x" } } },
    ]);
  });

  it("refuses a declared unmanaged secret without adopt, with the manifest position", () => {
    const e = errorOf(() => planOne([secret("a", { at: { file: "m.yaml", line: 7, col: 3 } })], [liveSecret("a", { tags: {} })]));
    expect(e.code).toBe("OWNERSHIP");
    expect(e.problems).toEqual([
      {
        file: "m.yaml",
        line: 7,
        col: 3,
        message:
          "secret 'a' already exists and is not managed by sopsync; set 'adopt: true' on it (or pass --adopt) to take it over",
      },
    ]);
  });

  it("always refuses a secret owned by another scope, even with adopt", () => {
    const e = errorOf(() =>
      planOne([secret("a", { adopt: true })], [liveSecret("a", { tags: { [TAG_MANAGED_BY]: "team-b" } })], { adoptAll: true }),
    );
    expect(e.code).toBe("OWNERSHIP");
    expect(e.problems[0]?.message).toMatch(/managed by another scope \('team-b'\)/);
  });

  it("deletes owned secrets that left the manifest with the manifest's recovery window; skips those already pending", () => {
    const owned = [
      liveSecret("k1"),
      liveSecret("k2"),
      liveSecret("k3"),
      liveSecret("k4"),
      liveSecret("gone"),
      liveSecret("leaving", { pendingDeletion: true }),
    ];
    const p = planOne(
      ["k1", "k2", "k3", "k4"].map((n) => secret(n)),
      owned,
      {},
      { recoveryWindowDays: 9 },
    );
    expect(change(p, "gone")).toEqual({
      name: "gone",
      precondition: { state: "present", versionId: "v1", managedBy: SCOPE, protected: false, description: "", kmsKeyId: null },
      actions: [{ type: "delete", recoveryWindowDays: 9, recoveryWindowFrom: "defaults" }],
    });
    expect(p.changes.map((c) => c.name)).toEqual(["gone", "k1", "k2", "k3", "k4"]);
  });

  it("lists unmanaged secrets in scope (prefix) but never plans for them", () => {
    const p = planOne(
      [secret("app/a")],
      [
        liveOf(secret("app/a")),
        liveSecret("app/other", { tags: {} }),
        liveSecret("app/theirs", { tags: { [TAG_MANAGED_BY]: "team-b" } }),
        liveSecret("elsewhere", { tags: {} }),
      ],
      {},
      { scope: { id: SCOPE, prefix: "app/" } },
    );
    expect(p.unmanaged).toEqual(["app/other", "app/theirs"]);
    expect(p.changes.map((c) => c.name)).toEqual(["app/a"]);
  });
});

describe("planner: guards", () => {
  const owned = (n: number) => Array.from({ length: n }, (_, i) => liveSecret(`s${String(i).padStart(2, "0")}`));
  const keep = (n: number, from = 0) => Array.from({ length: n }, (_, i) => secret(`s${String(i + from).padStart(2, "0")}`));

  it("refuses to delete a protected secret, even with --allow-mass-delete", () => {
    const e = errorOf(() =>
      planOne(keep(3), [...owned(3), liveSecret("p", { tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_PROTECTED]: "true" } })], {
        allowMassDelete: true,
      }),
    );
    expect(e.code).toBe("GUARD");
    expect(e.message).toMatch(/protected secret\(s\) p/);
  });

  it("refuses more deletions than --max-deletes unless lifted", () => {
    const live = owned(40);
    const desired = keep(29, 11); // 11 of 40 deleted: 27.5% > 25%, and > 10
    expect(errorOf(() => planOne(desired, live)).message).toMatch(/deletes 11 secrets, more than --max-deletes 10/);
    expect(errorOf(() => planOne(desired, live, { maxDeletes: 20 })).message).toMatch(
      /deletes 11 of 40 owned secrets \(more than 25%\)/,
    );
    expect(planOne(desired, live, { allowMassDelete: true }).summary.delete).toBe(11);
    expect(planOne(keep(30, 10), live).summary.delete).toBe(10); // 10 of 40: at both limits, allowed
  });

  it("applies the 25% rule from two deletions on: one deletion is never mass deletion", () => {
    expect(planOne(keep(2), owned(3)).summary.delete).toBe(1); // 1 of 3
    expect(errorOf(() => planOne(keep(4), owned(6))).message).toMatch(/deletes 2 of 6/);
    expect(planOne(keep(6), owned(8)).summary.delete).toBe(2); // exactly 25%
  });

  it("refuses an empty manifest while owned secrets exist, unless lifted", () => {
    expect(errorOf(() => planOne([], owned(1))).message).toMatch(/declares no secrets but 1 owned secret/);
    expect(planOne([], owned(1), { allowMassDelete: true }).summary.delete).toBe(1);
    expect(planOne([], []).changes).toEqual([]);
  });

  it("refuses a manifest for another account", () => {
    const e = errorOf(() => planOne([secret("a")], [], {}, { target: { account: "999999999999" } }));
    expect(e.code).toBe("GUARD");
    expect(e.message).toMatch(new RegExp(`target.account is 999999999999 but the credentials are for account ${ACCOUNT}`));
  });
});

describe("plan", () => {
  it("is deterministic, plain JSON, and holds no values", () => {
    const canary = "canary-plan-value-4411";
    const ds = [secret("b", { value: str(canary) }), secret("a", { value: json({ pw: canary }) }), secret("c")];
    const live = [
      liveSecret("z"),
      liveOf(secret("c"), { value: { string: canary } }),
      liveSecret("b", { value: { string: `${canary}-old` } }),
    ];
    const make = (l: LiveSecret[]) =>
      plan([{ desired: desiredState(ds), live: liveState(l) }], { planId: "p1", createdAt: "2026-01-01T00:00:00Z" });
    const p = make(live);
    expect(make([...live].reverse())).toEqual(p);
    expect(JSON.parse(JSON.stringify(p))).toEqual(JSON.parse(JSON.stringify(p)));
    expect(p.targets[0]?.changes.map((c) => c.name)).toEqual(["a", "b", "c", "z"]);
    expect(JSON.stringify(p)).not.toContain(canary);
    expect(p).toMatchObject({
      formatVersion: 2,
      planId: "p1",
      targets: [{ manifests: [{ file: "m.yaml" }], target: { account: ACCOUNT } }],
    });
  });
});
