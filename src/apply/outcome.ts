// What happened to each secret during apply. Errors carry AWS's code and message, never a value.
import type { Plan } from "../plan/model.js";

export type SecretOutcome =
  | { name: string; status: "applied"; actions: string[]; seconds?: number }
  | {
      name: string;
      status: "failed";
      actions: string[];
      failedAction: string;
      code: string;
      message: string;
      seconds?: number;
    }
  | { name: string; status: "not-started" };

/**
 * Why an apply stopped starting secrets: Ctrl-C, the run's --timeout, a Secrets Manager quota, or a
 * failure every further call would share (endpoint unreachable, credentials refused).
 */
export type StopReason = "interrupted" | "deadline" | "quota" | "fatal";

export interface Stopped {
  reason: StopReason;
  /** Names no value: a reason, or an error code with the secret it happened on. */
  message: string;
}

export interface ApplyResult {
  outcomes: SecretOutcome[];
  /** Read-back differences after writing: secret names and what differs (never values). */
  verification: { name: string; problem: string }[];
  /** Write calls made; SDK retries are not counted. */
  calls: number;
  seconds: number;
  /** Set when secrets were left not started on purpose, with why. */
  stopped?: Stopped;
}

/**
 * The stop an aborted signal stands for: its reason when it is a Stopped or a StopReason (the CLI
 * aborts with one), else an interruption.
 */
export function stopOf(signal: AbortSignal): Stopped {
  const r: unknown = signal.reason;
  if (typeof r === "object" && r !== null && "reason" in r && "message" in r) return r as Stopped;
  if (r === "deadline") return { reason: "deadline", message: "the run's --timeout was reached" };
  return { reason: "interrupted", message: "interrupted (Ctrl-C)" };
}

export function applySucceeded(r: ApplyResult): boolean {
  return r.outcomes.every((o) => o.status === "applied") && r.verification.length === 0;
}

export interface Totals {
  secrets: number;
  applied: number;
  failed: number;
  notStarted: number;
  writeCalls: number;
}

export function totalsOf(results: readonly ApplyResult[]): Totals {
  const all = results.flatMap((r) => r.outcomes);
  return {
    secrets: all.length,
    applied: all.filter((o) => o.status === "applied").length,
    failed: all.filter((o) => o.status === "failed").length,
    notStarted: all.filter((o) => o.status === "not-started").length,
    writeCalls: results.reduce((n, r) => n + r.calls, 0),
  };
}

/** The first stop among the targets: later targets stop for the same reason. */
export function stopOfRun(results: readonly ApplyResult[]): Stopped | undefined {
  return results.find((r) => r.stopped)?.stopped;
}

export function renderOutcome(r: ApplyResult): string {
  const lines: string[] = [];
  const applied = r.outcomes.filter((o) => o.status === "applied");
  const failed = r.outcomes.filter((o) => o.status === "failed");
  const notStarted = r.outcomes.filter((o) => o.status === "not-started");
  for (const o of failed) lines.push(`  ! ${o.name}: ${o.failedAction} failed: ${o.code}: ${o.message}`);
  for (const o of notStarted) lines.push(`  · ${o.name}: not started`);
  for (const v of r.verification) lines.push(`  ! ${v.name}: read-back: ${v.problem}`);
  if (r.stopped && notStarted.length) lines.push(`  Stopped starting secrets: ${r.stopped.message}.`);
  lines.push(
    `Apply: ${applied.length} applied, ${failed.length} failed, ${notStarted.length} not started` +
      ` (${r.calls} write calls in ${r.seconds.toFixed(1)}s${r.seconds > 0 ? `, ${(r.calls / r.seconds).toFixed(1)}/s` : ""}).`,
  );
  return lines.join("\n");
}

/**
 * The last line of a run that stopped early, across its targets:
 * `interrupted: 81 of 300 applied; re-run to continue`.
 */
export function stoppedLine(results: readonly ApplyResult[]): string | undefined {
  const stop = stopOfRun(results);
  if (!stop) return undefined;
  const t = totalsOf(results);
  const what = { interrupted: "interrupted", deadline: "timed out", quota: "stopped", fatal: "stopped" }[stop.reason];
  const why = stop.reason === "interrupted" ? "" : ` (${stop.message})`;
  return `${what}: ${t.applied} of ${t.secrets} applied${why}; re-run to continue`;
}

/** Version of the `apply --format json` document (docs/plan-format.md, "Apply result"). */
export const APPLY_FORMAT_VERSION = 1;

export type RunStatus = "no-changes" | "applied" | "failed" | "interrupted" | "timed-out" | "stopped";

export interface ApplyDocument {
  applyFormatVersion: typeof APPLY_FORMAT_VERSION;
  plan: Plan;
  outcome: {
    status: RunStatus;
    startedAt: string;
    finishedAt: string;
    seconds: number;
    stopped?: Stopped;
    totals: Totals;
    targets: {
      account: string;
      region: string;
      scope: string;
      seconds: number;
      writeCalls: number;
      secrets: SecretOutcome[];
      readBack: { name: string; problem: string }[];
      stopped?: Stopped;
    }[];
  };
}

/** `interrupted`: Ctrl-C was pressed, even when it came after every secret had been started. */
export function runStatus(results: readonly ApplyResult[] | undefined, interrupted = false): RunStatus {
  if (!results) return "no-changes";
  const stop = stopOfRun(results);
  if (stop?.reason === "interrupted" || interrupted) return "interrupted";
  if (stop?.reason === "deadline") return "timed-out";
  if (results.every(applySucceeded)) return "applied";
  return stop ? "stopped" : "failed";
}

/** One JSON document for `apply --format json`: the plan that ran and what became of each secret. */
export function applyDocument(
  plan: Plan,
  results: readonly ApplyResult[] | undefined,
  timing: { startedAt: Date; finishedAt: Date },
  opts: { interrupted?: boolean } = {},
): ApplyDocument {
  const rs = results ?? [];
  const stopped = stopOfRun(rs);
  return {
    applyFormatVersion: APPLY_FORMAT_VERSION,
    plan,
    outcome: {
      status: runStatus(results, opts.interrupted),
      startedAt: timing.startedAt.toISOString(),
      finishedAt: timing.finishedAt.toISOString(),
      seconds: round((timing.finishedAt.getTime() - timing.startedAt.getTime()) / 1000),
      ...(stopped ? { stopped } : {}),
      totals: totalsOf(rs),
      // applyPlanned returns one result per plan target, in the plan's order.
      targets: rs.map((r, i) => {
        const t = plan.targets[i];
        return {
          account: t?.target.account ?? "",
          region: t?.target.region ?? "",
          scope: t?.scope.id ?? "",
          seconds: round(r.seconds),
          writeCalls: r.calls,
          secrets: r.outcomes.map((o) => ("seconds" in o && o.seconds !== undefined ? { ...o, seconds: round(o.seconds) } : o)),
          readBack: r.verification,
          ...(r.stopped ? { stopped: r.stopped } : {}),
        };
      }),
    },
  };
}

const round = (s: number) => Math.round(s * 1000) / 1000;
