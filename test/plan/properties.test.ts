// Properties of the planner over random desired/live pairs: applying the plan to a model of the
// account yields the desired state, planning again then finds nothing to do, and nothing without
// our ownership tag is ever written or deleted unless it is declared for adoption.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Replica, StoredValue } from "../../src/aws/port.js";
import { SopsyncError } from "../../src/errors.js";
import type { DesiredSecret, DesiredState, DesiredValue } from "../../src/manifest/model.js";
import { toStoredValue, valuesEqual } from "../../src/manifest/values.js";
import type { TargetPlan } from "../../src/plan/model.js";
import { type PlanOptions, planTarget } from "../../src/plan/planner.js";
import type { LiveSecret, LiveState } from "../../src/state/model.js";
import { isAwsTag, ownershipOf, TAG_MANAGED_BY, TAG_PROTECTED, TAG_VERSION } from "../../src/state/ownership.js";
import { ACCOUNT, desiredState, REGION, SCOPE } from "./fixtures.js";

/** The account as it really is: every attribute known (the reader sees a subset). */
interface TrueSecret {
  name: string;
  value: StoredValue;
  versionId: string;
  description: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  pendingDeletion: boolean;
  policy: unknown | null;
  replicas: Replica[];
}
type Account = Map<string, TrueSecret>;

const NAMES = ["a", "b", "c", "d", "e", "f"];
const POLICIES = [
  { Version: "2012-10-17", Statement: [] },
  { Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }] },
];
const REGIONS = ["us-east-1", "us-west-2", "ap-south-1"];
const KEYS = ["alias/k1", "alias/k2"];

const valueArb: fc.Arbitrary<DesiredValue> = fc.oneof(
  fc.string({ maxLength: 6 }).map((text) => ({ kind: "string" as const, text })),
  fc
    .dictionary(fc.constantFrom("user", "pw", "port"), fc.oneof(fc.string({ maxLength: 4 }), fc.integer()))
    .map((data) => ({ kind: "json" as const, data })),
  fc.uint8Array({ maxLength: 4 }).map((bytes) => ({ kind: "binary" as const, bytes })),
);
const tagsArb = fc.dictionary(fc.constantFrom("team", "tier", "env"), fc.constantFrom("x", "y"));
const replicasArb = fc.uniqueArray(
  fc.record({ region: fc.constantFrom(...REGIONS), kmsKeyId: fc.option(fc.constantFrom(...KEYS), { nil: undefined }) }),
  {
    selector: (r) => r.region,
    maxLength: 2,
  },
);

const desiredSecretArb = (name: string): fc.Arbitrary<DesiredSecret> =>
  fc.record({
    name: fc.constant(name),
    value: valueArb,
    description: fc.constantFrom("", "d1", "d2"),
    kmsKeyId: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
    tags: tagsArb,
    policy: fc.constantFrom(undefined, null, ...POLICIES),
    replicas: fc.option(replicasArb, { nil: undefined }),
    recoveryWindowDays: fc.constant(7),
    protect: fc.boolean(),
    adopt: fc.boolean(),
    at: fc.constant({ file: "m.yaml", line: 1, col: 1 }),
  });

const trueSecretArb = (name: string): fc.Arbitrary<TrueSecret> =>
  fc.record({
    name: fc.constant(name),
    value: valueArb.map(toStoredValue),
    versionId: fc.constantFrom("v1", "v2"),
    description: fc.constantFrom("", "d1", "old"),
    kmsKeyId: fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
    tags: fc
      .tuple(
        tagsArb,
        fc.constantFrom<Record<string, string>>({}, { [TAG_MANAGED_BY]: SCOPE }, { [TAG_MANAGED_BY]: "other" }),
        fc.constantFrom<Record<string, string>>({}, { [TAG_VERSION]: "v1" }, { [TAG_PROTECTED]: "true" }, { "aws:sys": "s" }),
      )
      .map(([a, b, c]) => ({ ...a, ...b, ...c })),
    pendingDeletion: fc.boolean(),
    policy: fc.constantFrom(null, ...POLICIES),
    replicas: replicasArb,
  });

const caseArb = fc
  .tuple(fc.subarray(NAMES), fc.subarray(NAMES), fc.boolean(), fc.boolean())
  .chain(([declared, existing, adoptAll, allowMassDelete]) =>
    fc.record({
      desired: fc.tuple(...declared.map(desiredSecretArb)).map((ss) => desiredState(ss, { recoveryWindowDays: 7 })),
      account: fc.tuple(...existing.map(trueSecretArb)).map((ss) => new Map(ss.map((s) => [s.name, s]))),
      options: fc.constant<PlanOptions>({ adoptAll, allowMassDelete }),
    }),
  );

/** What readLiveState reports for the account: values and policies only where it reads them. */
function observe(account: Account, desired: DesiredState): LiveState {
  const declared = new Map(desired.secrets.map((s) => [s.name, s]));
  const secrets = new Map<string, LiveSecret>();
  for (const t of account.values()) {
    const d = declared.get(t.name);
    secrets.set(t.name, {
      name: t.name,
      arn: `arn:${t.name}`,
      description: t.description,
      kmsKeyId: t.kmsKeyId,
      tags: { ...t.tags },
      pendingDeletion: t.pendingDeletion,
      versionId: t.versionId,
      value: d && !t.pendingDeletion ? t.value : undefined,
      policy: d?.policy !== undefined && !t.pendingDeletion ? t.policy : undefined,
      replicas: d?.replicas !== undefined ? t.replicas.map((r) => ({ ...r })) : undefined,
    });
  }
  return { region: REGION, account: ACCOUNT, secrets };
}

/** Carries a plan out on the model the way the executor and AWS would. */
function applyToModel(account: Account, plan: TargetPlan, desired: DesiredState, planId: string): Account {
  const out: Account = new Map([...account].map(([k, v]) => [k, structuredClone(v)]));
  const byName = new Map(desired.secrets.map((s) => [s.name, s]));
  for (const change of plan.changes) {
    for (const a of change.actions) {
      const token = `${planId}:${change.name}:${a.type}`;
      const s = out.get(change.name);
      const d = byName.get(change.name);
      if (a.type === "create") {
        if (s || !d) throw new Error(`create of existing or undeclared ${change.name}`);
        out.set(change.name, {
          name: change.name,
          value: toStoredValue(d.value),
          versionId: token,
          description: a.description,
          kmsKeyId: a.kmsKeyId,
          tags: { ...a.tags, [TAG_VERSION]: token },
          pendingDeletion: false,
          policy: null,
          replicas: [],
        });
        continue;
      }
      if (!s) throw new Error(`${a.type} on absent ${change.name}`);
      if (s.pendingDeletion && a.type !== "restore" && a.type !== "delete")
        throw new Error(`${a.type} on ${change.name} pending deletion`);
      switch (a.type) {
        case "restore":
          s.pendingDeletion = false;
          break;
        case "adopt":
          break;
        case "update-value":
          if (!d) throw new Error("update-value without desired");
          s.value = toStoredValue(d.value);
          s.versionId = token;
          s.tags[TAG_VERSION] = token;
          break;
        case "update-metadata":
          if (a.description) s.description = a.description.after;
          if (a.kmsKeyId) s.kmsKeyId = a.kmsKeyId.after;
          break;
        case "tag":
          for (const [k, v] of Object.entries(a.tags)) s.tags[k] = v.after;
          break;
        case "untag":
          for (const k of Object.keys(a.tags)) delete s.tags[k];
          break;
        case "put-policy":
          s.policy = a.after;
          break;
        case "delete-policy":
          s.policy = null;
          break;
        case "add-replica":
          if (s.replicas.some((r) => r.region === a.region)) throw new Error(`replica ${a.region} exists`);
          s.replicas.push({ region: a.region, kmsKeyId: a.kmsKeyId });
          break;
        case "remove-replica":
          s.replicas = s.replicas.filter((r) => r.region !== a.region);
          break;
        case "delete":
          s.pendingDeletion = true;
          break;
      }
    }
  }
  return out;
}

/** The plan, or undefined when it is refused with one of the planner's own errors. */
function tryPlan(desired: DesiredState, live: LiveState, options: PlanOptions): TargetPlan | undefined {
  try {
    return planTarget(desired, live, options);
  } catch (e) {
    if (e instanceof SopsyncError && (e.code === "OWNERSHIP" || e.code === "GUARD")) return undefined;
    throw e;
  }
}

const withoutVersion = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).filter(([k]) => k !== TAG_VERSION && !isAwsTag(k)));
const sortedJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

describe("planner properties", () => {
  it("applying the plan yields the desired state, and planning again finds no changes", () => {
    let planned = 0;
    fc.assert(
      fc.property(caseArb, ({ desired, account, options }) => {
        const p = tryPlan(desired, observe(account, desired), options);
        if (!p) return;
        planned++;
        const after = applyToModel(account, p, desired, "p1");
        for (const d of desired.secrets) {
          const s = after.get(d.name);
          expect(s, d.name).toBeDefined();
          if (!s) continue;
          expect(s.pendingDeletion).toBe(false);
          expect(valuesEqual(d.value, s.value)).toBe(true);
          expect(s.description).toBe(d.description);
          if (d.kmsKeyId !== undefined) expect(s.kmsKeyId).toBe(d.kmsKeyId);
          expect(withoutVersion(s.tags)).toEqual({
            ...d.tags,
            [TAG_MANAGED_BY]: SCOPE,
            ...(d.protect ? { [TAG_PROTECTED]: "true" } : {}),
          });
          if (d.policy !== undefined) expect(sortedJson(s.policy)).toBe(sortedJson(d.policy));
          if (d.replicas !== undefined)
            expect(s.replicas.map((r) => r.region).sort()).toEqual(d.replicas.map((r) => r.region).sort());
        }
        const declared = new Set(desired.secrets.map((s) => s.name));
        for (const [name, before] of account) {
          if (declared.has(name)) continue;
          const s = after.get(name);
          if (ownershipOf(before.tags, SCOPE) === "ours") expect(s?.pendingDeletion, name).toBe(true);
          else expect(s).toEqual(before);
        }
        const again = planTarget(desired, observe(after, desired), { ...options, allowMassDelete: true });
        expect(again.changes.filter((c) => c.actions.length > 0)).toEqual([]);
      }),
      { numRuns: 400 },
    );
    expect(planned).toBeGreaterThan(50);
  });

  it("never writes or deletes a secret without our ownership tag unless it is declared for adoption", () => {
    fc.assert(
      fc.property(caseArb, ({ desired, account, options }) => {
        const p = tryPlan(desired, observe(account, desired), options);
        if (!p) return;
        const declared = new Map(desired.secrets.map((s) => [s.name, s]));
        for (const c of p.changes) {
          if (c.actions.length === 0) continue;
          const before = account.get(c.name);
          if (!before) {
            expect(c.actions[0]?.type).toBe("create");
            continue;
          }
          const owner = ownershipOf(before.tags, SCOPE);
          if (owner === "ours") continue;
          expect(owner, c.name).toBe("unmanaged");
          const d = declared.get(c.name);
          expect(d?.adopt || options.adoptAll).toBe(true);
          expect(c.actions.map((a) => a.type)).toContain("adopt");
          expect(c.actions.map((a) => a.type)).not.toContain("delete");
        }
      }),
      { numRuns: 400 },
    );
  });
});
