// The one comparison between a saved plan and a fresh plan of the same manifests against the account
// as it is now. A saved plan is untrusted input (anyone who can edit the file controls it), so apply
// carries out the fresh plan, and only when it does exactly what the saved plan said: same targets,
// same manifests, and per secret the same actions with the same fields apply acts on (display-only
// fields — a drift cause, the changed key names — are not compared). An action the saved plan lists
// that the fresh plan no longer needs counts as equal only when the account already shows that
// action's effect, made by this plan (a re-run after a crash); anything else is a difference.
// docs/apply.md lists the compared fields. Pure.
import { canonicalJson } from "../plan/canonical.js";
import type { Action, Plan, SecretChange, TargetPlan } from "../plan/model.js";
import { preconditionOf } from "../plan/planner.js";
import { describeSelection, sameSelection } from "../plan/selection.js";
import type { ReplicaKms } from "../plan/replicas.js";
import type { LiveSecret, LiveState } from "../state/model.js";
import { comparePreconditions, inEffect, restoredInSync } from "./own-effects.js";
import { sameWrite, type TokenContext, tokenContext, valueToken } from "./tokens.js";

export interface Comparison {
  /** Why the saved plan cannot be applied; empty when it can. */
  differences: string[];
}

/** Identifies a target across plans: the lock, the tokens and the comparison all use it. */
export function targetKey(t: Pick<TargetPlan, "target" | "scope">): string {
  return `${t.target.account}/${t.target.region}/${t.scope.id}`;
}

/** The fields of an action that apply acts on, or that say what it was planned against. */
function appliedFields(a: Action): unknown {
  if (a.type === "update-value") return { type: a.type, valueKind: a.valueKind };
  return a;
}

/** Actions are matched by type, and replica actions by region too. */
function actionKey(a: Action): string {
  return a.type === "add-replica" || a.type === "remove-replica" ? `${a.type} ${a.region}` : a.type;
}

export function comparePlans(saved: Plan, fresh: Plan, lives: ReadonlyMap<string, LiveState>): Comparison {
  const differences: string[] = [];
  // A subset plan is compared with a fresh plan of the same subset, never with one of every secret.
  if (!sameSelection(saved.only, fresh.only)) {
    const said = (only?: readonly string[]) => (only ? describeSelection(only) : "every secret");
    differences.push(`the saved plan covers ${said(saved.only)}, the fresh plan ${said(fresh.only)}`);
  }
  const freshBy = new Map(fresh.targets.map((t) => [targetKey(t), t]));
  const savedKeys = new Set<string>();
  for (const s of saved.targets) {
    const key = targetKey(s);
    if (savedKeys.has(key)) {
      differences.push(`${key}: listed twice in the saved plan`);
      continue;
    }
    savedKeys.add(key);
    const f = freshBy.get(key);
    const live = lives.get(key);
    if (!f || !live) {
      differences.push(`${key}: in the saved plan, but not a target of these manifests`);
      continue;
    }
    differences.push(...compareTarget(s, f, live, tokenContext(saved.planId, s)).map((d) => `${describeTarget(s)}: ${d}`));
  }
  for (const f of fresh.targets) {
    if (!savedKeys.has(targetKey(f)))
      differences.push(`${describeTarget(f)}: a target of these manifests, missing from the saved plan`);
  }
  return { differences };
}

function describeTarget(t: Pick<TargetPlan, "target" | "scope">): string {
  return `account ${t.target.account}, ${t.target.region}, scope ${t.scope.id}`;
}

function compareTarget(s: TargetPlan, f: TargetPlan, live: LiveState, ctx: TokenContext): string[] {
  const out: string[] = [];
  const refs = (t: TargetPlan) => t.manifests.map((m) => `${m.file}@${m.sha256}`).sort();
  if (canonicalJson(refs(s)) !== canonicalJson(refs(f))) {
    out.push(
      `the manifests differ: the plan was made from ${s.manifests.map((m) => m.file).join(", ")}; ` +
        "a manifest changed since (its SHA-256 differs) or another set of files was given",
    );
  }
  if ((s.scope.prefix ?? "") !== (f.scope.prefix ?? "")) out.push("the scope's prefix differs");

  const savedChanges = new Map<string, SecretChange>();
  for (const c of s.changes) {
    if (c.actions.length === 0) continue;
    if (savedChanges.has(c.name)) out.push(`${c.name}: listed twice`);
    savedChanges.set(c.name, c);
  }
  const freshChanges = new Map(f.changes.filter((c) => c.actions.length > 0).map((c) => [c.name, c]));
  const names = [...new Set([...savedChanges.keys(), ...freshChanges.keys()])].sort();
  for (const name of names) {
    const sc = savedChanges.get(name);
    const fc = freshChanges.get(name);
    const l = live.secrets.get(name);
    if (!sc) {
      out.push(`${name}: would ${fc?.actions.map((a) => a.type).join(", ")}, which the saved plan does not`);
      continue;
    }
    const keys = { primary: live.kmsKeyArns ?? {}, replicas: live.replicaKmsKeyArns ?? {} };
    out.push(...compareChange(sc, fc?.actions ?? [], l, ctx, keys).map((d) => `${name}: ${d}`));
  }
  return out;
}

function compareChange(
  sc: SecretChange,
  freshActions: readonly Action[],
  l: LiveSecret | undefined,
  ctx: TokenContext,
  kms: { primary: Readonly<Record<string, string>>; replicas: ReplicaKms },
): string[] {
  const out: string[] = [];
  const freshBy = new Map(freshActions.map((a) => [actionKey(a), a]));
  const seen = new Set<string>();
  for (const a of sc.actions) {
    const key = actionKey(a);
    if (seen.has(key)) {
      out.push(`${key} listed twice`);
      continue;
    }
    seen.add(key);
    const fa = freshBy.get(key);
    if (fa) {
      if (canonicalJson(appliedFields(a)) !== canonicalJson(appliedFields(fa)))
        out.push(`${key} differs from what the manifest and the account call for now`);
      // Any generation: a reused plan id derives the same hash whatever version it replaces.
      if (
        (a.type === "create" || a.type === "update-value") &&
        l?.versionId &&
        sameWrite(l.versionId, valueToken(ctx, sc, a.type))
      ) {
        out.push(
          "its current version carries this plan's request token although the value differs: the plan id was already used",
        );
      }
    } else if (!inEffect(a, sc, l, ctx, kms) && !(a.type === "update-value" && restoredInSync(sc))) {
      out.push(`the saved plan's ${key} is not what the manifest and the account call for now`);
    }
  }
  for (const [key, fa] of freshBy) {
    if (!seen.has(key)) out.push(`would also ${actionKey(fa)}, which the saved plan does not`);
  }
  out.push(...comparePreconditions(sc, preconditionOf(l), ctx));
  return out;
}
