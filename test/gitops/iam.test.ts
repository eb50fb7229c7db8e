// The IAM policies in docs/iam/ cover every AWS call sopsync makes (read from the SDK adapter, so a
// new call without a policy line fails here), the plan role cannot write, and every write the apply
// role may make to a secret is tied to the sopsync:managed-by tag — or, for the apply lock, to the
// lock secrets alone and their sopsync:lock tag.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../helpers/tools.js";

interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
const policy = (name: string): Statement[] => JSON.parse(readFileSync(join(projectRoot, "docs/iam", name), "utf8")).Statement;
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const allowed = (stmts: Statement[]) => new Set(stmts.filter((s) => s.Effect === "Allow").flatMap(actions));

/** The IAM action of every SDK command the adapter sends (KMS key lookups are in their own file). */
function calls(): string[] {
  const src = ["src/aws/sdk-adapter.ts", "src/aws/kms-keys.ts"].map((f) => readFileSync(join(projectRoot, f), "utf8")).join("\n");
  const service: Record<string, string> = { GetCallerIdentity: "sts", DescribeKey: "kms" };
  return [...new Set([...src.matchAll(/new (\w+)Command\(/g)].map((m) => m[1] as string))].map(
    (op) => `${service[op] ?? "secretsmanager"}:${op}`,
  );
}

/** A statement reaching the apply lock's secrets (`sopsync-lock/<scope>`) and nothing else. */
const isLockStatement = (s: Statement) =>
  (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).every((r) => /:secret:sopsync-lock\/[^*]*\*?$/.test(r));

/**
 * Bool and BoolIfExists as IAM evaluates them: a key missing from the request context makes a
 * condition false, except with ...IfExists, which is then true; all conditions must hold
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists).
 */
function conditionsHold(condition: Record<string, Record<string, unknown>>, context: Record<string, string>): boolean {
  return Object.entries(condition).every(([operator, keys]) => {
    if (operator !== "Bool" && operator !== "BoolIfExists") throw new Error(`operator ${operator} not modelled here`);
    return Object.entries(keys).every(([key, want]) => {
      const have = context[key];
      if (have === undefined) return operator === "BoolIfExists";
      return [want].flat().some((w) => String(w).toLowerCase() === have);
    });
  });
}

const READS = /^(secretsmanager:(List|BatchGet|Get|Describe)|kms:(Decrypt|DescribeKey)$|sts:GetCallerIdentity$)/;

describe("docs/iam policies", () => {
  it("the apply role allows every call sopsync makes", () => {
    const apply = allowed(policy("apply-role.json"));
    const all = calls();
    expect(all.length).toBeGreaterThanOrEqual(17);
    for (const c of all) expect(apply.has(c), c).toBe(true);
  });

  it("the plan role allows every read and nothing else", () => {
    const plan = allowed(policy("plan-role.json"));
    // GetRandomPassword writes nothing and reads nothing of the account: only apply needs it (generated values).
    const planCalls = calls().filter((x) => READS.test(x) && x !== "secretsmanager:GetRandomPassword");
    for (const c of planCalls) expect(plan.has(c), c).toBe(true);
    for (const a of plan) expect(READS.test(a), a).toBe(true);
  });

  it("every secret write the apply role allows is conditioned on the ownership tag, or on the lock's", () => {
    for (const s of policy("apply-role.json").filter((x) => x.Effect === "Allow")) {
      const writes = actions(s).filter((a) => a.startsWith("secretsmanager:") && !READS.test(a));
      if (writes.length === 0) continue;
      expect(s.Resource, s.Sid).not.toBe("*");
      const tag = isLockStatement(s) ? "sopsync:lock" : "sopsync:managed-by";
      expect(JSON.stringify(s.Condition ?? {}), s.Sid).toMatch(new RegExp(`(aws:RequestTag|secretsmanager:ResourceTag)/${tag}"`));
    }
  });

  it("the apply role may take and release the lock, on the lock secrets only, and tag them with holder keys only", () => {
    const stmts = policy("apply-role.json").filter((x) => x.Effect === "Allow" && isLockStatement(x));
    const lockActions = new Set(stmts.flatMap(actions));
    for (const a of [
      "CreateSecret",
      "PutSecretValue",
      "UpdateSecretVersionStage",
      "TagResource",
      "UntagResource",
      "DescribeSecret",
      "RestoreSecret",
    ]) {
      expect(lockActions.has(`secretsmanager:${a}`), a).toBe(true);
    }
    expect(lockActions.has("secretsmanager:DeleteSecret")).toBe(false);
    // CreateSecret with tags needs TagResource too: the lock tag itself on creation, holder keys after.
    for (const s of stmts.filter((x) => actions(x).some((a) => /TagResource$/.test(a)))) {
      const keys =
        s.Condition?.["ForAllValues:StringLike"]?.["aws:TagKeys"] ?? s.Condition?.["ForAllValues:StringEquals"]?.["aws:TagKeys"];
      expect([["sopsync:lock-*"], ["sopsync:lock"]], s.Sid).toContainEqual(keys);
    }
  });

  it("the apply role denies PutResourcePolicy unless the request blocks public policies, also when it leaves the flag out", () => {
    const denies = policy("apply-role.json").filter(
      (s) => s.Effect === "Deny" && actions(s).includes("secretsmanager:PutResourcePolicy"),
    );
    const denied = (context: Record<string, string>) => denies.some((s) => conditionsHold(s.Condition ?? {}, context));
    // AWS does not block public policies when BlockPublicPolicy is left out (API_PutResourcePolicy).
    expect(denied({})).toBe(true);
    expect(denied({ "secretsmanager:BlockPublicPolicy": "false" })).toBe(true);
    expect(denied({ "secretsmanager:BlockPublicPolicy": "true" })).toBe(false);
  });

  it("a KMS key change: GenerateDataKey and Decrypt on the new key, Decrypt on the previous one, through Secrets Manager only", () => {
    const kms = policy("apply-role.json").filter((s) => s.Effect === "Allow" && actions(s).some((a) => a.startsWith("kms:")));
    const through = (s: Statement) =>
      JSON.stringify(s.Condition?.StringEquals?.["kms:ViaService"] ?? "").startsWith('"secretsmanager.');
    const onKeys = (s: Statement) =>
      (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).every((r) => /:kms:[^:]*:\d+:key\//.test(r));
    const write = kms.find((s) => actions(s).includes("kms:GenerateDataKey") && actions(s).includes("kms:Decrypt"));
    const previous = kms.find((s) => /KeyChange/.test(s.Sid) && actions(s).includes("kms:Decrypt"));
    for (const s of [write, previous]) {
      expect(s).toBeDefined();
      expect(through(s as Statement), s?.Sid).toBe(true);
      expect(onKeys(s as Statement), s?.Sid).toBe(true);
    }
    // The page says the same, with its source.
    const page = readFileSync(join(projectRoot, "docs/iam/README.md"), "utf8");
    expect(page).toMatch(/the \*\*new\*\* key \| `kms:GenerateDataKey`, `kms:Decrypt`/);
    expect(page).toMatch(/the \*\*previous\*\* key \| `kms:Decrypt`/);
    expect(page).toContain("https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html");
    expect(page).toContain(previous?.Sid.slice(0, 30));
  });

  it("the plan role cannot touch the lock (plan never takes it)", () => {
    for (const s of policy("plan-role.json")) expect(JSON.stringify(s.Resource), s.Sid).not.toContain("sopsync-lock/");
  });
});
