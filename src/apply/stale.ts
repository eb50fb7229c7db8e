// A saved plan is applied only while the manifest and the account are as they were when it was
// made; otherwise nothing is written and the user is told what changed.
import { SopsyncError } from "../errors.js";
import type { DesiredState } from "../manifest/model.js";
import type { Plan, Precondition, SecretChange, TargetPlan } from "../plan/model.js";
import type { LiveSecret, LiveState } from "../state/model.js";
import { requestToken } from "./tokens.js";

function describe(p: Precondition): string {
  if (p.state === "present") return `present at version ${p.versionId ?? "(none)"}`;
  return p.state;
}

function observed(l: LiveSecret | undefined): Precondition {
  if (!l) return { state: "absent" };
  if (l.pendingDeletion) return { state: "pending-deletion" };
  return { state: "present", versionId: l.versionId ?? null };
}

export async function checkStale(plan: Plan, target: TargetPlan, desired: DesiredState, live: LiveState): Promise<void> {
  const reasons: string[] = [];
  if (desired.manifestSha256 !== target.manifest.sha256) {
    reasons.push(`${desired.file} changed since the plan was made`);
  }
  if (live.account !== target.target.account || live.region !== target.target.region) {
    reasons.push(`the plan is for account ${target.target.account} in ${target.target.region}, the credentials are for ${live.account} in ${live.region}`);
  }
  for (const change of target.changes) {
    if (change.actions.length === 0) continue;
    const now = observed(live.secrets.get(change.name));
    if (!sameState(change.precondition, now) && !leftByThisPlan(plan, change, now)) {
      reasons.push(`${change.name}: planned against ${describe(change.precondition)}, now ${describe(now)}`);
    }
  }
  if (reasons.length) {
    throw new SopsyncError("PLAN_STALE", `plan is stale, run plan again:\n  ${reasons.join("\n  ")}`);
  }
}

/** A re-run after a crash finds the state this plan's own writes left behind: that is not staleness. */
function leftByThisPlan(plan: Plan, change: SecretChange, now: Precondition): boolean {
  const types = new Set(change.actions.map((a) => a.type));
  if (types.has("delete") && now.state === "pending-deletion") return true;
  if (types.has("restore") && change.precondition.state === "pending-deletion" && now.state === "present") return true;
  return now.state === "present" && change.actions.some((a) => now.versionId === requestToken(plan.planId, change.name, a.type));
}

function sameState(a: Precondition, b: Precondition): boolean {
  return a.state === b.state && sameVersion(a, b);
}

function sameVersion(a: Precondition, b: Precondition): boolean {
  return (a.state === "present" ? a.versionId : null) === (b.state === "present" ? b.versionId : null);
}
