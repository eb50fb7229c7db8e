// What this plan's own writes left in the account: whether an action the saved plan lists is already
// in effect (made by this plan, before a crash), and whether a precondition field that moved moved
// only by this plan's own actions. compare.ts asks; the answers never say yes to someone else's write.
import { ownValue } from "../records.js";
import type { Action, Precondition, SecretChange } from "../plan/model.js";
import { equivalentPolicies, partitionOf } from "../plan/policy.js";
import type { ReplicaKms } from "../plan/replicas.js";
import { sameKmsKey } from "../state/kms.js";
import type { LiveSecret } from "../state/model.js";
import { TAG_MANAGED_BY, TAG_PROTECTED } from "../state/ownership.js";
import { replicaInEffect } from "./replica-effect.js";
import { rotationInEffect } from "./rotation-effect.js";
import { type TokenContext, valueToken } from "./tokens.js";

/**
 * A secret restored by this plan whose restored value already is the manifest's: the planner could
 * not read the value while it was pending deletion, so it planned a write the fresh plan no longer
 * needs. The precondition comparison still holds its version to the one it was deleted with (or ours).
 */
export function restoredInSync(sc: SecretChange): boolean {
  return sc.actions.some((a) => a.type === "restore");
}

/** The live secret already shows this action's effect, made by this plan. */
export function inEffect(
  a: Action,
  sc: SecretChange,
  l: LiveSecret | undefined,
  ctx: TokenContext,
  kms: { primary: Readonly<Record<string, string>>; replicas: ReplicaKms },
): boolean {
  if (!l) return false;
  switch (a.type) {
    case "create":
    case "update-value":
      return !l.pendingDeletion && l.versionId === valueToken(ctx, sc, a.type);
    case "restore":
      return !l.pendingDeletion;
    case "delete":
      return l.pendingDeletion;
    case "adopt":
      return l.tags[TAG_MANAGED_BY] === ctx.scopeId;
    case "tag":
      return Object.entries(a.tags).every(([k, v]) => ownValue(l.tags, k) === v.after);
    case "untag":
      return Object.keys(a.tags).every((k) => !Object.hasOwn(l.tags, k));
    case "update-metadata":
      return (
        (a.description === undefined || l.description === a.description.after) &&
        (a.kmsKeyId?.after === undefined || sameKmsKey(a.kmsKeyId.after, l.kmsKeyId, kms.primary))
      );
    case "put-policy":
      return l.policy !== undefined && l.policy !== null && equivalentPolicies(l.policy, a.after, partitionOf(l.arn));
    case "delete-policy":
      return l.policy === null;
    case "add-replica":
    case "remove-replica":
      return replicaInEffect(a, sc, l, kms.replicas);
    case "enable-rotation":
    case "update-rotation":
      return rotationInEffect(a, l);
    case "cancel-rotation":
      return !l.rotation?.enabled;
  }
}

type Observed = Exclude<Precondition, { state: "absent" }> | { state: "absent" };
const ANY = Symbol("any");
type Expected = { [K in keyof Fields]: Fields[K] | typeof ANY };
interface Fields {
  state: Precondition["state"];
  versionId: string | null;
  managedBy: string | null;
  protected: boolean;
  description: string;
  kmsKeyId: string | null;
}

function fields(p: Observed): Fields {
  if (p.state === "absent")
    return { state: "absent", versionId: null, managedBy: null, protected: false, description: "", kmsKeyId: null };
  const { valueOwner: _, ...rest } = p;
  return rest;
}

/**
 * Each field of what the account shows now must be what the plan was made against, or what this
 * plan's own actions make of it (a crash may have left some done and others not).
 */
export function comparePreconditions(sc: SecretChange, now: Precondition, ctx: TokenContext): string[] {
  const before = fields(sc.precondition);
  const after: Expected = { ...before };
  for (const a of sc.actions) {
    switch (a.type) {
      case "create":
        Object.assign(after, {
          state: "present",
          versionId: valueToken(ctx, sc, "create"),
          managedBy: a.tags[TAG_MANAGED_BY] ?? null,
          protected: a.tags[TAG_PROTECTED] === "true",
          description: a.description,
          kmsKeyId: ANY, // reported as an ARN or as given; the action comparison covers the key
        });
        break;
      case "update-value":
        after.versionId = valueToken(ctx, sc, "update-value");
        break;
      case "restore":
        after.state = "present";
        break;
      case "delete":
        after.state = "pending-deletion";
        break;
      case "tag":
        if (a.tags[TAG_MANAGED_BY]) after.managedBy = a.tags[TAG_MANAGED_BY].after;
        if (a.tags[TAG_PROTECTED]) after.protected = a.tags[TAG_PROTECTED].after === "true";
        break;
      case "untag":
        if (TAG_MANAGED_BY in a.tags) after.managedBy = null;
        if (TAG_PROTECTED in a.tags) after.protected = false;
        break;
      case "update-metadata":
        if (a.description) after.description = a.description.after;
        if (a.kmsKeyId) after.kmsKeyId = ANY;
        break;
      default:
        break;
    }
  }
  // A scheduled rotation may have run since the plan: only a plan writing the value holds its version.
  if (sc.precondition.state !== "absent" && sc.precondition.valueOwner === "rotation" && after.versionId === before.versionId)
    after.versionId = ANY;
  const observed = fields(now);
  const out: string[] = [];
  for (const k of Object.keys(observed) as (keyof Fields)[]) {
    const v = observed[k];
    if (v === before[k] || v === after[k] || after[k] === ANY) continue;
    out.push(`planned against ${k} ${show(before[k])}, the account now shows ${show(v)}`);
  }
  return out;
}

function show(v: unknown): string {
  return v === null ? "none" : JSON.stringify(v);
}
