import type { DesiredState } from "../manifest/model.js";
import type { LiveState } from "../state/model.js";
import { PLAN_FORMAT_VERSION, type Plan } from "./model.js";
import type { WholeScope } from "./guards.js";
import { type PlanOptions, planTarget } from "./planner.js";

export interface PlanInput {
  desired: DesiredState;
  live: LiveState;
  /** Set for a plan of some secrets only: `desired` and `live` hold the selected ones. */
  whole?: WholeScope;
}

/** Pure: one plan over several manifests. Identity and time are arguments so tests are exact. */
export function plan(
  inputs: readonly PlanInput[],
  options: PlanOptions & { planId: string; createdAt: string; only?: readonly string[] },
): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    planId: options.planId,
    createdAt: options.createdAt,
    ...(options.only ? { only: [...options.only] } : {}),
    targets: inputs.map((i) => planTarget(i.desired, i.live, options, i.whole)),
  };
}
