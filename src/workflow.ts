// The I/O edge of plan and apply: load manifests, connect to each target, read live state, plan;
// and for apply, check a saved plan is still current before carrying it out.
import { randomUUID } from "node:crypto";
import { applyTarget, type ApplyOptions } from "./apply/execute.js";
import type { ApplyResult } from "./apply/outcome.js";
import { checkStale } from "./apply/stale.js";
import { connect } from "./aws/connect.js";
import type { SecretsPort } from "./aws/port.js";
import { SopsyncError } from "./errors.js";
import { loadManifest } from "./manifest/load.js";
import type { DesiredState } from "./manifest/model.js";
import type { Plan } from "./plan/model.js";
import { plan } from "./plan/plan.js";
import type { PlanOptions } from "./plan/planner.js";
import type { DecryptOptions } from "./sops/index.js";
import type { LiveState } from "./state/model.js";
import { readLiveState } from "./state/read.js";

export interface Session {
  desired: DesiredState;
  port: SecretsPort;
}

export interface WorkflowOptions {
  decrypt?: DecryptOptions;
  /** Counts every HTTP request to AWS (tests and the benchmark use it). */
  onRequest?: (operation: string) => void;
}

/** Decrypts and validates every manifest before any AWS call, so bad input never reaches AWS. */
export async function openSessions(files: readonly string[], opts: WorkflowOptions = {}): Promise<Session[]> {
  const desired: DesiredState[] = [];
  for (const f of files) desired.push(await loadManifest(f, opts.decrypt));
  return Promise.all(desired.map(async (d) => ({ desired: d, port: await connect(d.target, { onRequest: opts.onRequest }) })));
}

export async function planSessions(sessions: readonly Session[], options: PlanOptions): Promise<Plan> {
  const inputs = [];
  for (const s of sessions) inputs.push({ desired: s.desired, live: await readLiveState(s.port, s.desired) });
  return plan(inputs, { ...options, planId: randomUUID(), createdAt: new Date().toISOString() });
}

/**
 * Applies a plan whose targets line up with `sessions` (same order). A saved plan is first checked
 * against the manifests and the live account, every target before the first write anywhere; writes
 * the check finds already made by this same plan (a re-run after a crash) are skipped.
 */
export async function applyPlan(
  p: Plan,
  sessions: readonly Session[],
  opts: ApplyOptions & { saved: boolean },
): Promise<ApplyResult[]> {
  if (p.targets.length !== sessions.length) throw new SopsyncError("INTERNAL", "plan and manifests do not line up");
  const live: (LiveState | undefined)[] = [];
  if (opts.saved) {
    for (const [i, t] of p.targets.entries()) {
      const s = sessions[i] as Session;
      const state = await readLiveState(s.port, s.desired);
      checkStale(p, t, s.desired, state);
      live.push(state);
    }
  }
  const results: ApplyResult[] = [];
  for (const [i, t] of p.targets.entries()) {
    const s = sessions[i] as Session;
    results.push(await applyTarget(p, t, s.desired, s.port, { ...opts, live: live[i] }));
  }
  return results;
}
