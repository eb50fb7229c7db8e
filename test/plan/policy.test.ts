// Resource policies compared for IAM equivalence (src/plan/policy.ts): the spellings the IAM policy
// reference documents as equal are no change, in examples and for random policies in the form AWS
// hands them back (test/helpers/aws-policy-form.ts, written apart from the code under test); a random
// change of meaning is always a change, and the plan's `before` never changes what the live policy means.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Action } from "../../src/plan/model.js";
import { planTarget } from "../../src/plan/planner.js";
import { alignPolicy, equivalentPolicies, normalPolicy, partitionOf } from "../../src/plan/policy.js";
import { awsPolicyForm, awsPolicyText } from "../helpers/aws-policy-form.js";
import { seededRandom } from "../helpers/fault-proxy.js";
import { desiredState, liveOf, liveState, secret } from "./fixtures.js";

const ACCOUNT = "123456789012";
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ROLE = "arn:aws:iam::111122223333:role/reader";

const stmt = (over: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Principal: { AWS: ROLE },
  Action: "secretsmanager:GetSecretValue",
  Resource: "*",
  ...over,
});
const doc = (...statements: unknown[]) => ({ Version: "2012-10-17", Statement: statements });

describe("equivalentPolicies: what the IAM policy reference documents as the same", () => {
  it.each([
    ["a one-element Action list and its value", doc(stmt({ Action: ["secretsmanager:GetSecretValue"] })), doc(stmt())],
    ["a one-element principal list and its value", doc(stmt({ Principal: { AWS: [ROLE] } })), doc(stmt())],
    ["a one-element Resource list and its value", doc(stmt({ Resource: ["*"] })), doc(stmt())],
    ["a Statement object and a one-element list", { Version: "2012-10-17", Statement: stmt() }, doc(stmt())],
    ["an account id and its root ARN", doc(stmt({ Principal: { AWS: ACCOUNT } })), doc(stmt({ Principal: { AWS: ROOT } }))],
    ['"Principal": "*" and { "AWS": "*" }', doc(stmt({ Principal: "*" })), doc(stmt({ Principal: { AWS: "*" } }))],
    [
      "principals, actions and resources in another order or repeated",
      doc(stmt({ Principal: { AWS: [ROLE, ACCOUNT, ROLE] }, Action: ["b:B", "a:A"] })),
      doc(stmt({ Principal: { AWS: [ROOT, ROLE] }, Action: ["a:A", "b:B", "a:A"] })),
    ],
    [
      "condition values as a set, a lone value as a one-element list, a boolean as its text",
      doc(stmt({ Condition: { StringEquals: { "aws:PrincipalTag/team": ["b", "a"] }, Bool: { "aws:SecureTransport": true } } })),
      doc(
        stmt({
          Condition: { StringEquals: { "aws:PrincipalTag/team": ["a", "b", "a"] }, Bool: { "aws:SecureTransport": ["true"] } },
        }),
      ),
    ],
    [
      "statements in another order",
      doc(stmt({ Sid: "A" }), stmt({ Sid: "B", Effect: "Deny" })),
      doc(stmt({ Sid: "B", Effect: "Deny" }), stmt({ Sid: "A" })),
    ],
    [
      "key order and whitespace (parsed JSON)",
      JSON.parse('{"Statement":[{"Resource":"*","Action":"a:A"}],"Version":"2012-10-17"}'),
      doc({ Action: "a:A", Resource: "*" }),
    ],
  ])("%s", (_what, a, b) => {
    expect(equivalentPolicies(a, b)).toBe(true);
    expect(equivalentPolicies(b, a)).toBe(true);
  });

  it.each([
    ["an absent Version and 2012-10-17 (absent changes how policy variables are read)", { Statement: [stmt()] }, doc(stmt())],
    ["2008-10-17 and 2012-10-17", { Version: "2008-10-17", Statement: [stmt()] }, doc(stmt())],
    ["another action", doc(stmt({ Action: "secretsmanager:*" })), doc(stmt())],
    ["one more principal", doc(stmt({ Principal: { AWS: [ROLE, ROOT] } })), doc(stmt())],
    ["Allow and Deny", doc(stmt({ Effect: "Deny" })), doc(stmt())],
    ["a condition added", doc(stmt({ Condition: { Bool: { "aws:SecureTransport": "true" } } })), doc(stmt())],
    [
      "another condition value",
      doc(stmt({ Condition: { StringEquals: { k: "a" } } })),
      doc(stmt({ Condition: { StringEquals: { k: "b" } } })),
    ],
    ["Principal and NotPrincipal", doc(stmt({ Principal: undefined, NotPrincipal: { AWS: ROLE } })), doc(stmt())],
    [
      'NotPrincipal "*" is not folded (only Principal\'s is documented)',
      doc(stmt({ NotPrincipal: "*" })),
      doc(stmt({ NotPrincipal: { AWS: "*" } })),
    ],
    ["a Sid changed (kept as written: AWS keeps it)", doc(stmt({ Sid: "A" })), doc(stmt({ Sid: "B" }))],
    ["an action name's case (not folded)", doc(stmt({ Action: "SecretsManager:GetSecretValue" })), doc(stmt())],
    [
      "an account id in another partition's root ARN",
      doc(stmt({ Principal: { AWS: ACCOUNT } })),
      doc(stmt({ Principal: { AWS: `arn:aws-cn:iam::${ACCOUNT}:root` } })),
    ],
    ["a policy and none", doc(stmt()), null],
  ])("not: %s", (_what, a, b) => {
    expect(equivalentPolicies(a, b)).toBe(false);
  });

  it("reads a bare account id in the secret's partition", () => {
    expect(partitionOf(`arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:x-AbCdEf`)).toBe("aws-cn");
    expect(partitionOf(undefined)).toBe("aws");
    const cn = doc(stmt({ Principal: { AWS: `arn:aws-cn:iam::${ACCOUNT}:root` } }));
    expect(equivalentPolicies(doc(stmt({ Principal: { AWS: ACCOUNT } })), cn, "aws-cn")).toBe(true);
  });

  it("keeps a key named __proto__ as a key", () => {
    const a = JSON.parse(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"__proto__":"x"}}}]}',
    );
    const b = JSON.parse(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"__proto__":"y"}}}]}',
    );
    expect(equivalentPolicies(a, b)).toBe(false);
    expect(JSON.stringify(normalPolicy(a))).toContain("__proto__");
  });
});

describe("alignPolicy: the plan's before, in the manifest's spelling where it means the same", () => {
  it("respells only what means the same, so the diff shows the change alone", () => {
    const desired = doc(stmt({ Sid: "Read", Principal: { AWS: [ACCOUNT] }, Action: ["secretsmanager:GetSecretValue"] }));
    const live = awsPolicyForm(doc(stmt({ Sid: "Read", Principal: { AWS: [ACCOUNT] }, Action: ["secretsmanager:*"] })));
    const before = alignPolicy(live, desired) as { Statement: Record<string, unknown>[] };
    expect(before.Statement[0]?.Principal).toEqual({ AWS: [ACCOUNT] });
    expect(before.Statement[0]?.Action).toBe("secretsmanager:*");
    expect(equivalentPolicies(before, live)).toBe(true);
  });
});

// Random policies over a small vocabulary, so that respellings and collisions happen often.
const principalId = fc.constantFrom(ACCOUNT, ROOT, ROLE, "arn:aws:iam::444455556666:user/u", "*");
const oneOrMany = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.array(a, { minLength: 1, maxLength: 3 }));
const principal = fc.oneof(
  fc.constant("*"),
  fc.record({ AWS: oneOrMany(principalId) }),
  fc.record({ Service: oneOrMany(fc.constantFrom("lambda.amazonaws.com", "ecs.amazonaws.com")) }),
);
const condition = fc.record(
  {
    StringEquals: fc.record({ "aws:PrincipalTag/team": oneOrMany(fc.constantFrom("a", "b", "c")) }),
    Bool: fc.record({ "aws:SecureTransport": fc.constantFrom<unknown>(true, "true", false, ["false"]) }),
  },
  { requiredKeys: [] },
);
// Deny statements never use wildcards: a fresh grant added below is then never shadowed by one.
const allow = fc.record(
  {
    Sid: fc.constantFrom("A", "B", "C"),
    Effect: fc.constant("Allow"),
    Principal: principal,
    Action: oneOrMany(fc.constantFrom("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:*", "*")),
    Resource: oneOrMany(fc.constantFrom("*", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/*")),
    Condition: condition,
  },
  { requiredKeys: ["Effect", "Principal", "Action", "Resource"] },
);
const deny = fc.record({
  Effect: fc.constant("Deny"),
  Principal: fc.record({ AWS: oneOrMany(fc.constantFrom(ROLE, "arn:aws:iam::444455556666:user/u")) }),
  Action: oneOrMany(fc.constantFrom("secretsmanager:PutResourcePolicy", "secretsmanager:DeleteSecret")),
  Resource: fc.constant("*"),
});
const policyArb = fc.record(
  {
    Version: fc.constantFrom("2012-10-17", "2008-10-17"),
    Statement: fc.oneof(fc.array(fc.oneof(allow, deny), { minLength: 1, maxLength: 4 }), allow),
  },
  { requiredKeys: ["Statement"] },
);

/** The same policy spelled another way, in ways the IAM reference documents as equal. */
function respell(p: unknown, seed: number): unknown {
  const rnd = seededRandom(seed);
  const pick = () => rnd() < 0.5;
  const shuffle = <T>(xs: T[]) =>
    xs
      .map((x) => [rnd(), x] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, x]) => x);
  const list = (v: unknown): unknown => {
    const xs = shuffle(Array.isArray(v) ? [...v] : [v]);
    if (pick() && xs.length > 0) xs.push(xs[0]); // a repeat
    return xs.length === 1 && pick() ? xs[0] : xs;
  };
  const id = (x: unknown) => (x === ROOT && pick() ? ACCOUNT : x === ACCOUNT && pick() ? ROOT : x);
  const statement = (s: Record<string, unknown>) => {
    const out: Record<string, unknown> = { ...s };
    const pr = s.Principal;
    if (pr === "*" && pick()) out.Principal = { AWS: "*" };
    else if (pr && typeof pr === "object")
      out.Principal = Object.fromEntries(Object.entries(pr).map(([k, v]) => [k, list(Array.isArray(v) ? v.map(id) : id(v))]));
    for (const k of ["Action", "Resource"]) out[k] = list(s[k]);
    if (s.Condition && typeof s.Condition === "object")
      out.Condition = Object.fromEntries(
        Object.entries(s.Condition).map(([op, block]) => [
          op,
          Object.fromEntries(
            Object.entries(block as Record<string, unknown>).map(([k, v]) => {
              const vs = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === "boolean" && pick() ? String(x) : x));
              return [k, list(vs)];
            }),
          ),
        ]),
      );
    return Object.fromEntries(shuffle(Object.entries(out)));
  };
  const q = p as { Version?: string; Statement: unknown };
  const statements = Array.isArray(q.Statement) ? q.Statement : [q.Statement];
  const respelled = shuffle(statements.map((s) => statement(s as Record<string, unknown>)));
  return { ...q, Statement: respelled.length === 1 && pick() ? respelled[0] : respelled };
}

/** What GetResourcePolicy gives back for `p`, through the text the service answers with. */
const fromAws = (p: unknown) => JSON.parse(awsPolicyText(awsPolicyForm(p)));

const FRESH_PRINCIPAL = "arn:aws:iam::999999999999:role/fresh";
const FRESH_ACTION = "secretsmanager:ListSecretVersionIds";

/** A change that grants something no statement granted or denied before: always a change of meaning. */
function changeMeaning(p: unknown, kind: number): unknown {
  const q = structuredClone(p) as { Statement: unknown };
  const statements = (Array.isArray(q.Statement) ? q.Statement : [q.Statement]) as Record<string, unknown>[];
  const target = statements.find((s) => s.Effect === "Allow" && s.Condition === undefined && typeof s.Principal === "object");
  if (kind === 1 && target) {
    const pr = target.Principal as Record<string, unknown>;
    const key = Object.keys(pr)[0] as string;
    pr[key] = [...(Array.isArray(pr[key]) ? pr[key] : [pr[key]]), FRESH_PRINCIPAL];
  } else if (kind === 2 && target && !["*", "secretsmanager:*"].some((a) => [target.Action].flat().includes(a))) {
    target.Action = [...[target.Action].flat(), FRESH_ACTION];
  } else {
    statements.push({ Effect: "Allow", Principal: { AWS: FRESH_PRINCIPAL }, Action: FRESH_ACTION, Resource: "*" });
  }
  return { ...q, Statement: statements };
}

function planPolicy(desired: unknown, live: unknown): Action[] {
  const d = secret("app/s", { policy: desired });
  const plan = planTarget(desiredState([d]), liveState([liveOf(d, { policy: live })]));
  return plan.changes[0]?.actions ?? [];
}

describe("properties over random policies", () => {
  it("a policy is equivalent to the form AWS returns it in and to any documented respelling; the planner plans nothing", () => {
    fc.assert(
      fc.property(policyArb, fc.integer(), (p, seed) => {
        expect(equivalentPolicies(p, awsPolicyForm(p))).toBe(true);
        const live = fromAws(respell(p, seed));
        expect(equivalentPolicies(p, live)).toBe(true);
        expect(planPolicy(p, live)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("a change of meaning is always a put-policy, whose before means what is attached", () => {
    fc.assert(
      fc.property(policyArb, fc.integer(), fc.integer({ min: 0, max: 2 }), (p, seed, kind) => {
        const changed = changeMeaning(p, kind);
        const live = fromAws(respell(p, seed));
        expect(equivalentPolicies(changed, live)).toBe(false);
        const actions = planPolicy(changed, live);
        expect(actions).toHaveLength(1);
        const put = actions[0] as Extract<Action, { type: "put-policy" }>;
        expect(put).toMatchObject({ type: "put-policy", after: changed, blockPublicPolicy: true });
        expect(equivalentPolicies(put.before, live)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("planner: BlockPublicPolicy", () => {
  it("blocks public policies unless the secret says allowPublicPolicy, on create and on update", () => {
    const pol = doc(stmt({ Principal: "*" }));
    const created = planTarget(desiredState([secret("a", { policy: pol })]), liveState([])).changes[0]?.actions;
    expect(created?.find((a) => a.type === "put-policy")).toMatchObject({ blockPublicPolicy: true });
    const allowed = secret("a", { policy: pol, allowPublicPolicy: true });
    const updated = planTarget(desiredState([allowed]), liveState([liveOf(allowed, { policy: null })])).changes[0]?.actions;
    expect(updated).toEqual([{ type: "put-policy", after: pol, blockPublicPolicy: false }]);
  });

  it("the flag alone is no change: the attached policy is the same (AWS does not report the flag)", () => {
    const pol = doc(stmt());
    const d = secret("a", { policy: pol, allowPublicPolicy: true });
    expect(planTarget(desiredState([d]), liveState([liveOf(d)])).changes[0]?.actions).toEqual([]);
  });
});
