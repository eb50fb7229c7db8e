// Apply benchmark: N creates, then N value updates, through sopsync's executor at its default pacing;
// then the same writes one at a time, unpaced, for comparison.
import { DEFAULT_WRITE_RPS } from "../src/apply/execute.js";
import { QuotaPacers } from "../src/aws/quotas.js";
import { openTargets } from "../src/run/targets.js";
import { applyPlanned, newPlanIdentity, planTargets } from "../src/run/workflow.js";
import { type FaultProxy, WRITE_OPERATIONS } from "../test/helpers/fault-proxy.js";
import { CallCounter, round } from "./measure.js";

export interface ApplyPhase {
  secrets: number;
  writes: number;
  /** All HTTP requests apply made (writes, retries, read-back) per write call. */
  callsPerWrite: number;
  byOperation: Record<string, number>;
  /** From apply start until the read-back began. */
  writeSeconds: number;
  totalSeconds: number;
  writesPerSecond: number;
  failed: number;
  notStarted: number;
  readBackProblems: number;
  /** Counted on the wire by the proxy sopsync talks through: write requests, and per planned secret. */
  wire?: { writes: number; writesPerSecret: number; byOperation: Record<string, number> };
}

export type Mode = { kind: "default-pacing" } | { kind: "one-by-one" };

/** Plans `file` against the account and applies it; checks the plan holds `expect` on every secret. */
export async function applyPhase(
  file: string,
  mode: Mode,
  expect: "create" | "update-value",
  wire?: FaultProxy,
): Promise<ApplyPhase> {
  let counter = new CallCounter();
  const targets = await openTargets([file], { onRequest: (op) => counter.onRequest(op) });
  const { plan } = await planTargets(targets, {}, newPlanIdentity());
  const changes = plan.targets.flatMap((t) => t.changes);
  const wrong = changes.filter((c) => c.actions[0]?.type !== expect);
  if (wrong.length > 0)
    throw new Error(`apply benchmark: ${wrong.length} secrets do not plan '${expect}' (first: ${wrong[0]?.name})`);

  counter = new CallCounter();
  wire?.resetStats();
  const t = performance.now();
  // One by one means unpaced, quota families included (moto has no quotas).
  const opts = mode.kind === "one-by-one" ? { concurrency: 1, maxRps: 1e9, pacers: new QuotaPacers({ rate: 1e9 }) } : {};
  const [result] = await applyPlanned(plan, targets, opts);
  const totalSeconds = (performance.now() - t) / 1000;
  if (!result) throw new Error("apply returned no result");

  const writes = counter.count([...WRITE_OPERATIONS]);
  const readBackStart = counter.times.find((x) => x.op === "BatchGetSecretValue")?.at;
  const writeSeconds = (readBackStart ?? totalSeconds * 1000) / 1000;
  return {
    secrets: changes.length,
    writes,
    callsPerWrite: round(counter.total / writes, 3),
    byOperation: counter.byOperation,
    writeSeconds: round(writeSeconds, 3),
    totalSeconds: round(totalSeconds, 3),
    writesPerSecond: round(writes / writeSeconds, 2),
    failed: result.outcomes.filter((o) => o.status === "failed").length,
    notStarted: result.outcomes.filter((o) => o.status === "not-started").length,
    readBackProblems: result.verification.length,
    wire: wire && {
      writes: wire.writes({ excludeLock: true }),
      writesPerSecret: round(wire.writes({ excludeLock: true }) / changes.length, 3),
      byOperation: { ...wire.stats.byOperation },
    },
  };
}

export interface ApplyBench {
  secrets: number;
  configuredWritesPerSecond: number;
  creates: ApplyPhase;
  updates: ApplyPhase;
  /** Writes per second over both phases, against the configured rate. */
  achievedWritesPerSecond: number;
  rateRatio: number;
  failedWrites: number;
  oneByOne: { creates: ApplyPhase; updates: ApplyPhase; writeSeconds: number };
  /** Paced write time / one-by-one write time. */
  pacedOverOneByOne: number;
}

export async function applyBench(
  files: { r1: string; r2: string },
  reset: () => Promise<void>,
  wire?: FaultProxy,
): Promise<ApplyBench> {
  await reset();
  const creates = await applyPhase(files.r1, { kind: "default-pacing" }, "create", wire);
  const updates = await applyPhase(files.r2, { kind: "default-pacing" }, "update-value", wire);
  await reset();
  const seqCreates = await applyPhase(files.r1, { kind: "one-by-one" }, "create");
  const seqUpdates = await applyPhase(files.r2, { kind: "one-by-one" }, "update-value");

  const pacedSeconds = creates.writeSeconds + updates.writeSeconds;
  const seqSeconds = seqCreates.writeSeconds + seqUpdates.writeSeconds;
  const achieved = (creates.writes + updates.writes) / pacedSeconds;
  return {
    secrets: creates.secrets,
    configuredWritesPerSecond: DEFAULT_WRITE_RPS,
    creates,
    updates,
    achievedWritesPerSecond: round(achieved, 2),
    rateRatio: round(achieved / DEFAULT_WRITE_RPS, 3),
    failedWrites: creates.failed + updates.failed + creates.notStarted + updates.notStarted,
    oneByOne: { creates: seqCreates, updates: seqUpdates, writeSeconds: round(seqSeconds, 3) },
    pacedOverOneByOne: round(pacedSeconds / seqSeconds, 2),
  };
}
