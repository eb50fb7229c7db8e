// The library: the same typed pipeline the CLI runs.
//   loadManifest (file -> desired) ; readLiveState (account -> live) ; plan (desired, live -> plan)
//   render (plan -> text | markdown | json) ; apply (plan -> applied changes)
export { loadManifest, resolveManifestFiles } from "./manifest/load.js";
export type { DesiredSecret, DesiredState, DesiredValue } from "./manifest/model.js";
export { readLiveState } from "./state/read.js";
export type { LiveSecret, LiveState } from "./state/model.js";
export { plan } from "./plan/plan.js";
export type { PlanOptions } from "./plan/planner.js";
export * from "./plan/model.js";
export { render, type Format } from "./plan/render.js";
export { openTargets, type RunTarget } from "./run/targets.js";
export { applyRun as apply, planTargets, newPlanIdentity, type ApplyRun, type ApplyRunOptions } from "./run/workflow.js";
export { parseSavedPlan, readSavedPlan } from "./apply/saved-plan.js";
export { comparePlans } from "./apply/compare.js";
export type { ApplyResult, SecretOutcome } from "./apply/outcome.js";
export type { SecretsPort } from "./aws/port.js";
export { createSdkPort } from "./aws/sdk-adapter.js";
export { SopsyncError, type ErrorCode, type Problem } from "./errors.js";
