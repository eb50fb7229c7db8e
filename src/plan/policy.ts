// Resource policies compared by what they mean, not how they are spelled. Secrets Manager hands a
// policy back in its own form (a one-element list as a scalar, an account id as its root ARN), so a
// textual comparison would plan a PutResourcePolicy on every run. Only spellings the IAM policy
// reference documents as equal are folded together; anything else, however harmless it looks, counts
// as a difference (a needless write is recoverable, a missed change is not). Pure.
import { isRecord } from "../records.js";
import { canonicalJson } from "./canonical.js";

/**
 * The partition of an ARN (`arn:aws-cn:...` -> `aws-cn`), defaulting to `aws`: a bare account id
 * names that account's root in the partition the policy lives in.
 */
export function partitionOf(arn: string | undefined): string {
  const m = /^arn:([a-z-]+):/.exec(arn ?? "");
  return m?.[1] ?? "aws";
}

/** The two policies grant and deny the same; see normalPolicy for what is folded together. */
export function equivalentPolicies(a: unknown, b: unknown, partition = "aws"): boolean {
  return canonicalJson(normalPolicy(a, partition)) === canonicalJson(normalPolicy(b, partition));
}

/**
 * One spelling per meaning:
 * - a one-element list and its lone value are the same wherever the grammar takes a list: "If the
 *   element takes an array ... but only one value is included, the brackets are optional" — Statement,
 *   principal map entries, Action/NotAction, Resource/NotResource and condition values
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html);
 * - those lists are sets: several principals, actions or resources match if any one does (a logical
 *   OR), and several values of one condition key are tested for any match, so order and repeats do
 *   not matter (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html);
 * - statements are a set too: a request is denied if any statement denies it and allowed if any allows
 *   it, whatever their order (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow);
 * - an account id and its root ARN "behave the same way", and the service may store the one as the
 *   other; `"Principal": "*"` and `{ "AWS": "*" }` are equivalent
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html);
 * - a condition value written as a number or boolean is the same as its quoted text ("Quotation marks
 *   are optional for numeric and Boolean values", the grammar page).
 * Kept as written: Version (an absent one is not the same as either version: policy variables depend
 * on it), Id, Sid (not meaning, but AWS keeps them, so they never cause a difference by themselves),
 * the case of action names and condition keys, and anything this reader does not know.
 */
export function normalPolicy(policy: unknown, partition = "aws"): unknown {
  if (!isRecord(policy)) return policy;
  const out: Record<string, unknown> = { ...policy };
  const statements = policy.Statement;
  if (Array.isArray(statements) || isRecord(statements)) {
    out.Statement = asSet(listOf(statements).map((s) => normalStatement(s, partition)));
  }
  return out;
}

function normalStatement(s: unknown, partition: string): unknown {
  if (!isRecord(s)) return s;
  const out: Record<string, unknown> = { ...s };
  for (const key of ["Principal", "NotPrincipal"] as const) {
    if (!(key in s)) continue;
    const p = key === "Principal" && s[key] === "*" ? { AWS: "*" } : s[key];
    out[key] = isRecord(p)
      ? mapValues(p, (v, type) => asSet(listOf(v).map((x) => (type === "AWS" ? accountRoot(x, partition) : x))))
      : p;
  }
  for (const key of ["Action", "NotAction", "Resource", "NotResource"] as const) {
    if (key in s) out[key] = asSet(listOf(s[key]));
  }
  if (isRecord(s.Condition)) {
    out.Condition = mapValues(s.Condition, (block) =>
      isRecord(block) ? mapValues(block, (values) => asSet(listOf(values).map(conditionText))) : block,
    );
  }
  return out;
}

/** `123456789012` -> `arn:<partition>:iam::123456789012:root`; any other principal as written. */
function accountRoot(principal: unknown, partition: string): unknown {
  return typeof principal === "string" && /^\d{12}$/.test(principal) ? `arn:${partition}:iam::${principal}:root` : principal;
}

function conditionText(v: unknown): unknown {
  return typeof v === "number" || typeof v === "boolean" ? String(v) : v;
}

function listOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

/** Sorted, without repeats: the order a set's members were written in carries no meaning. */
function asSet(items: readonly unknown[]): unknown[] {
  const byText = new Map(items.map((x) => [canonicalJson(x), x]));
  return [...byText.keys()].sort().map((k) => byText.get(k));
}

// Keys come from the policy document: fromEntries defines them, so `__proto__` stays a plain key.
function mapValues(o: Record<string, unknown>, fn: (v: unknown, key: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v, k)]));
}

/**
 * `live` spelled like `desired` wherever the two mean the same, for a plan's `before`: the diff then
 * shows only what changes the meaning, not AWS's respelling of what the manifest already says.
 * Statements are paired by meaning first, then by Sid, then by position; within a pair, each element
 * that means the same takes the manifest's spelling.
 */
export function alignPolicy(live: unknown, desired: unknown, partition = "aws"): unknown {
  if (equivalentPolicies(live, desired, partition)) return desired;
  if (!isRecord(live) || !isRecord(desired)) return live;
  const out: Record<string, unknown> = { ...live };
  const liveStatements = live.Statement;
  const wanted = desired.Statement;
  if ((Array.isArray(liveStatements) || isRecord(liveStatements)) && (Array.isArray(wanted) || isRecord(wanted))) {
    const aligned = alignStatements(listOf(liveStatements), listOf(wanted), partition);
    out.Statement = !Array.isArray(wanted) && aligned.length === 1 ? aligned[0] : aligned;
  }
  return out;
}

function alignStatements(live: unknown[], desired: unknown[], partition: string): unknown[] {
  const same = (a: unknown, b: unknown) => equivalentPolicies({ Statement: [a] }, { Statement: [b] }, partition);
  const pairs = new Map<number, number>(); // live index -> desired index
  const taken = new Set<number>();
  const pair = (match: (l: unknown, d: unknown, li: number, di: number) => boolean) => {
    live.forEach((l, li) => {
      if (pairs.has(li)) return;
      const di = desired.findIndex((d, i) => !taken.has(i) && match(l, d, li, i));
      if (di >= 0) {
        pairs.set(li, di);
        taken.add(di);
      }
    });
  };
  pair((l, d) => same(l, d));
  pair((l, d) => isRecord(l) && isRecord(d) && l.Sid !== undefined && l.Sid === d.Sid);
  pair((_l, _d, li, di) => li === di);
  const placed = live.map((l, li) => {
    const di = pairs.get(li);
    return { at: di ?? desired.length + li, statement: di === undefined ? l : alignStatement(l, desired[di], same) };
  });
  return placed.sort((a, b) => a.at - b.at).map((p) => p.statement);
}

function alignStatement(live: unknown, desired: unknown, same: (a: unknown, b: unknown) => boolean): unknown {
  if (same(live, desired)) return desired;
  if (!isRecord(live) || !isRecord(desired)) return live;
  // Each element alone in an otherwise empty statement: equal there means equal in meaning.
  return mapValues(live, (v, k) => (Object.hasOwn(desired, k) && same({ [k]: v }, { [k]: desired[k] }) ? desired[k] : v));
}
