// The I/O edge of plan and apply: read each target's live state and plan; for apply, take the
// targets' locks, plan afresh and carry the plan out. A saved plan is never carried out as written:
// it is applied only when a fresh plan of the same manifests against the account as it is now does
// exactly the same (apply/compare.ts), and then the fresh plan is what runs.
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { comparePlans, targetKey } from "../apply/compare.js";
import { type ApplyOptions, applyTarget } from "../apply/execute.js";
import type { ApplyResult, Stopped } from "../apply/outcome.js";
import { withoutCallSignal } from "../aws/call-context.js";
import { limiter } from "../aws/pacing.js";
import { QuotaPacers } from "../aws/quotas.js";
import { tokenContext } from "../apply/tokens.js";
import { SopsyncError } from "../errors.js";
import { hasChanges, type Plan } from "../plan/model.js";
import { type PlanInput, plan } from "../plan/plan.js";
import type { PlanOptions } from "../plan/planner.js";
import type { LiveState } from "../state/model.js";
import { readLiveState } from "../state/read.js";
import { selector } from "../plan/selection.js";
import { acquireLock, type HeldLock } from "./lock.js";
import { selectedRead } from "./selection.js";
import type { RunTarget } from "./targets.js";

export interface PlanIdentity {
  planId: string;
  createdAt: string;
}

export function newPlanIdentity(): PlanIdentity {
  return { planId: randomUUID(), createdAt: new Date().toISOString() };
}

/**
 * One set of quota pacers per account and Region in this process: the quotas are per account and
 * Region, so every scope and run there shares them, reads and writes alike.
 */
const quotaPacers = new Map<string, QuotaPacers>();
export function pacersOf(t: Pick<RunTarget, "account" | "region">): QuotaPacers {
  const key = `${t.account}/${t.region}`;
  let p = quotaPacers.get(key);
  if (!p) {
    p = new QuotaPacers();
    quotaPacers.set(key, p);
  }
  return p;
}

export interface PlannedRun {
  plan: Plan;
  /** The live state each target was planned against, by targetKey. */
  lives: Map<string, LiveState>;
}

/** Targets read at once unless `--parallel` says otherwise. */
export const DEFAULT_PARALLEL = 4;

/**
 * Reads every target and plans them together; targets come sorted from openTargets. With `only`
 * (`--only` patterns), just the secrets they select are read and planned (run/selection.ts).
 *
 * Up to `parallel` targets are read at once. Each has its own credentials (its port) and the pacers
 * of its account and Region, so a target being throttled backs off on its own: the others neither
 * wait for it nor slow down. The plan keeps the targets' sorted order whatever order their reads
 * finish in, so every rendering of it is grouped per target and stable. When reads fail, the first
 * failing target in that order is the one reported, after the reads in flight have settled.
 */
export async function planTargets(
  targets: readonly RunTarget[],
  options: PlanOptions,
  id: PlanIdentity,
  only?: readonly string[],
  parallel: number = DEFAULT_PARALLEL,
): Promise<PlannedRun> {
  const selected = only && selector(only);
  const readOne = async (t: RunTarget): Promise<PlanInput> => {
    const read = { account: t.account, pacers: pacersOf(t) };
    if (!selected) return { desired: t.desired, live: await readLiveState(t.port, t.desired, read) };
    const part = selectedRead(t.desired, t.port, selected);
    const live = await readLiveState(part.port, part.desired, read);
    return { desired: part.desired, live, whole: part.whole() };
  };
  const run = limiter(Math.max(1, parallel));
  const settled = await Promise.allSettled(targets.map((t) => run(() => readOne(t))));
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const inputs = settled.map((r) => (r as PromiseFulfilledResult<PlanInput>).value);
  const p = plan(inputs, { ...options, ...id, ...(only ? { only } : {}) });
  const lives = new Map(p.targets.map((t, i) => [targetKey(t), inputs[i]?.live as LiveState]));
  return { plan: p, lives };
}

export interface LockOptions {
  /** How long to wait for a lock another apply holds (`--lock-timeout`); 0 fails at once. */
  timeoutMs?: number;
  /** Told when a lock is taken (held true) and once it is released (false), e.g. to name it on a hard exit. */
  onLock?: (lock: { scopeId: string; id: string }, held: boolean) => void;
  /** Once aborted, waiting for a held lock stops. */
  signal?: AbortSignal;
}

export interface ApplyRunOptions extends ApplyOptions {
  planOptions: PlanOptions;
  /** `--only` patterns of an apply without a saved plan; a saved plan is applied with its own. */
  only?: readonly string[];
  /** Targets read at once for the fresh plan (`--parallel`); the writes go one target at a time. */
  parallel?: number;
  lock?: LockOptions;
  /**
   * Shown the fresh plan of an apply without a saved plan; resolves false to write nothing (the
   * confirmation prompt). Not called when the plan has no changes.
   */
  review?: (p: Plan) => Promise<boolean>;
  /** Called right before the first write is started: from here on, an error is not "nothing changed". */
  onApplying?: () => void;
}

export interface ApplyRun {
  plan: Plan;
  /** Undefined when nothing was applied: no changes, or the review said no. */
  results?: ApplyResult[];
  /**
   * A lock that could not be released after the writes (what to do is in its message). Returned
   * rather than thrown, so the outcome of the writes is still reported; the run then fails with it.
   */
  lockError?: unknown;
}

/**
 * Applies `saved` when given (refused with PLAN_STALE, before any write, unless a fresh plan does
 * exactly the same), else a fresh plan after `review`. Every target's lock is held from before the
 * fresh read until the last write.
 */
export async function applyRun(targets: readonly RunTarget[], saved: Plan | undefined, opts: ApplyRunOptions): Promise<ApplyRun> {
  const id = saved ? { planId: saved.planId, createdAt: saved.createdAt } : newPlanIdentity();
  let finished: ApplyRun | undefined;
  return withLocks(targets, id.planId, { signal: opts.signal, ...opts.lock }, async () => {
    const planned = await planTargets(targets, opts.planOptions, id, saved ? saved.only : opts.only, opts.parallel);
    const fresh = planned.plan;
    if (saved) {
      const cmp = comparePlans(saved, fresh, planned.lives);
      if (cmp.differences.length) {
        throw new SopsyncError(
          "PLAN_STALE",
          `plan does not match the account or manifest any more: run plan again; nothing was changed:\n  ${cmp.differences.join("\n  ")}`,
        );
      }
    } else if (!hasChanges(fresh) || !(await (opts.review?.(fresh) ?? true))) {
      return { plan: fresh };
    }
    if (opts.signal?.aborted) throw new SopsyncError("ABORTED", "interrupted before the first write; nothing was changed");
    opts.onApplying?.();
    // Calls started from here on are writes (and their read-backs): never abandoned half-way by the
    // run's signal, which only stops new secrets from being started.
    finished = { plan: fresh, results: await withoutCallSignal(() => applyPlanned(fresh, targets, opts)) };
    return finished;
  }).catch((err) => {
    if (finished?.results) return { ...finished, lockError: err };
    throw err;
  });
}

/**
 * Carries out a plan this process just made from `targets` (same order), without a lock or a
 * comparison: applyRun's last step, and the benchmark's executor. Never give it a plan read from a file.
 */
export async function applyPlanned(fresh: Plan, targets: readonly RunTarget[], opts: ApplyOptions): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  // One target at a time, unlike the reads (planTargets). Its progress lines are printed as its
  // actions finish, so targets written at once would interleave them; --max-rps is a budget for the
  // whole run, and each target's executor paces its own writes by it, so targets written at once
  // would multiply it; and a target that stops (quota, Ctrl-C, deadline) must leave the targets
  // after it unstarted rather than half-written.
  // A target that stopped (quota, unreachable, Ctrl-C, deadline) stops the ones after it too.
  const stop = new AbortController();
  const follow = () => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) follow();
  opts.signal?.addEventListener("abort", follow, { once: true });
  try {
    for (const [i, t] of fresh.targets.entries()) {
      const rt = targets[i] as RunTarget;
      const r = await applyTarget(t, tokenContext(fresh.planId, t), rt.desired, rt.port, {
        pacers: pacersOf(rt),
        ...opts,
        signal: stop.signal,
      });
      results.push(r);
      if (r.stopped && !stop.signal.aborted) stop.abort(r.stopped satisfies Stopped);
    }
  } finally {
    opts.signal?.removeEventListener("abort", follow);
  }
  return results;
}

/** Takes every target's lock in sorted order (targets come sorted), runs `fn`, releases them all. */
export async function withLocks<T>(
  targets: readonly RunTarget[],
  planId: string,
  opts: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const held: HeldLock[] = [];
  let result: T | undefined;
  let failure: unknown;
  try {
    for (const t of targets) {
      // Taken and recorded as one step: a signal abandoning it half-way could leave it held unrecorded.
      const lock = await withoutCallSignal(() =>
        acquireLock(t.port, t.desired.scope.id, { planId, who: whoAmI(), timeoutMs: opts.timeoutMs, signal: opts.signal }),
      );
      held.push(lock);
      opts.onLock?.({ scopeId: lock.scopeId, id: lock.id }, true);
    }
    result = await fn();
  } catch (err) {
    failure = err;
  }
  const notReleased: string[] = [];
  for (const h of held.reverse()) {
    // Released after a deadline or Ctrl-C too: outside the run's signal.
    await withoutCallSignal(() => h.release()).then(
      () => opts.onLock?.({ scopeId: h.scopeId, id: h.id }, false),
      (err: Error) => notReleased.push(err.message),
    );
  }
  // The apply's own error comes first; a lock left behind is said alongside it, never instead of it.
  if (failure !== undefined) {
    if (notReleased.length && failure instanceof SopsyncError) {
      throw new SopsyncError(failure.code, `${failure.message}\nAlso: ${notReleased.join("\n")}`, { problems: failure.problems });
    }
    throw failure;
  }
  if (notReleased.length) throw new SopsyncError("LOCKED", notReleased.join("\n"));
  return result as T;
}

/** Who holds a lock, for the next person who finds it held. */
function whoAmI(): string {
  const env = process.env;
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_ACTOR)
    return `${env.GITHUB_ACTOR} (GitHub Actions run ${env.GITHUB_RUN_ID ?? "?"})`;
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `${user}@${hostname()}`;
}
