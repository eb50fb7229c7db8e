// A saved plan is applied only while the manifest and the account are as they were when it was
// made; otherwise nothing is written and the user is told what changed. A re-run of the same plan
// after a crash is not stale: the differences it finds are this plan's own writes (resume.ts).
import { SopsyncError } from "../errors.js";
import type { DesiredState } from "../manifest/model.js";
import type { Plan, Precondition, TargetPlan } from "../plan/model.js";
import type { LiveState } from "../state/model.js";
import { leftByThisPlan, observedPrecondition } from "./resume.js";

function describe(p: Precondition): string {
  if (p.state === "present") return p.versionId ? `present at version ${p.versionId}` : "present without a current version";
  return p.state;
}

/** Every reason the plan no longer fits; empty when it can be applied. Pure. */
export function staleReasons(plan: Plan, target: TargetPlan, desired: DesiredState, live: LiveState): string[] {
  const reasons: string[] = [];
  if (desired.manifestSha256 !== target.manifest.sha256) {
    reasons.push(`${desired.file} changed since the plan was made (its SHA-256 differs)`);
  }
  if (live.account !== target.target.account || live.region !== target.target.region) {
    reasons.push(
      `the plan is for account ${target.target.account} in ${target.target.region}, the credentials are for ${live.account} in ${live.region}`,
    );
  }
  for (const change of target.changes) {
    if (change.actions.length === 0) continue;
    const l = live.secrets.get(change.name);
    const now = observedPrecondition(l);
    if (!samePrecondition(change.precondition, now) && !leftByThisPlan(plan, change, l)) {
      reasons.push(`${change.name}: planned against ${describe(change.precondition)}, now ${describe(now)}`);
    }
  }
  return reasons;
}

export function checkStale(plan: Plan, target: TargetPlan, desired: DesiredState, live: LiveState): void {
  const reasons = staleReasons(plan, target, desired, live);
  if (reasons.length) {
    throw new SopsyncError("PLAN_STALE", `plan is stale, run plan again; nothing was changed:\n  ${reasons.join("\n  ")}`);
  }
}

function samePrecondition(a: Precondition, b: Precondition): boolean {
  if (a.state !== b.state) return false;
  return a.state !== "present" || b.state !== "present" || a.versionId === b.versionId;
}
