// Plan benchmarks on one seeded account: sopsync's plan (in a child process) against a baseline that
// refreshes the way Terraform's AWS provider does, then the same plan after 5% out-of-band drift.
import { join } from "node:path";
import { mapConcurrent } from "../src/aws/pacing.js";
import { pacedRate, QuotaPacers } from "../src/aws/quotas.js";
import { createSdkPort } from "../src/aws/sdk-adapter.js";
import { openTargets } from "../src/run/targets.js";
import { applyPlanned, newPlanIdentity, planTargets } from "../src/run/workflow.js";
import { putString, smClient } from "../test/helpers/aws.js";
import { CLI } from "./entries.js";
import { BENCH_REGION, secretName, storedValue } from "./fixtures.js";
import { CallCounter, type ChildRun, cpuWhile, median, round, runChild, timed } from "./measure.js";

const PLAN_CHILD = join(import.meta.dirname, "plan-child.ts");
/** Terraform's default -parallelism. */
const TERRAFORM_PARALLELISM = 10;
/** In-flight CreateSecret calls while seeding (moto on two cores saturates well before this). */
const SEED_CONCURRENCY = 32;

export interface PlanRun {
  declared: number;
  loadSeconds: number;
  readAndPlanSeconds: number;
  totalSeconds: number;
  /** From the first ListSecrets request to the first BatchGetSecretValue request. */
  listSeconds: number;
  /** From the first BatchGetSecretValue request to the end of planning. */
  valuesAndPlanSeconds: number;
  phases: PlanPhases;
  calls: number;
  byOperation: Record<string, number>;
  changes: { name: string; actions: string[]; cause?: string }[];
  peakRssMb: number;
}

/** Where a plan's time goes after the manifest is loaded; times in seconds from the start of the read. */
export interface PlanPhases {
  /** readLiveState alone: listing, value batches, policy reads. */
  readSeconds: number;
  /** First ListSecrets request; last ListSecrets request (the pages are sequential, NextToken). */
  firstListAfter: number;
  lastListAt: number;
  /** First and last BatchGetSecretValue request. */
  firstBatchAt: number;
  lastBatchAt: number;
  /** GetResourcePolicy calls (one per secret declaring a policy; none in this data) and their span. */
  policyReads: number;
  policySpanSeconds: number;
  /** Planning (in memory) and rendering the text plan. */
  planSeconds: number;
  renderSeconds: number;
  renderedBytes: number;
}

/**
 * The floor the read pacers set on a plan: BatchGetSecretValue calls over the rate sopsync paces that
 * family at (QUOTA_SHARE of AWS's 100/s). However fast AWS answers, the values cannot be read sooner.
 */
export function readFloor(byOperation: Record<string, number>): { batchCalls: number; ratePerSecond: number; seconds: number } {
  const batchCalls = byOperation.BatchGetSecretValue ?? 0;
  const ratePerSecond = pacedRate("BatchGetSecretValue");
  return { batchCalls, ratePerSecond, seconds: round(batchCalls / ratePerSecond, 3) };
}

export interface CliPlan {
  /** Median whole-process wall time of `node dist/cli/main.js plan FILE`. */
  seconds: number;
  runs: number[];
  peakRssMb?: number;
  /** Median CPU seconds (user + system) of the process. */
  cpuSeconds?: number;
  /**
   * Median CPU seconds moto spent meanwhile: one Python process answers every request in turn, so a
   * read cannot end before moto has done this much work.
   */
  motoCpuSeconds?: number;
}

/** `sopsync plan FILE` as a user runs it: the built CLI, whole process, exit code 0 (no changes) checked. */
export async function cliPlan(files: string[], args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of every CLI plan, to see where its CPU time goes.
  const prof = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const r = await runChild(process.execPath, [...prof, CLI, "plan", ...files, "--detailed-exitcode", ...args], env);
  if (r.code !== 0) {
    throw new Error(`sopsync plan ${args.join(" ")} exited ${r.code} (0 = in sync expected):\n${r.stderr.slice(-2000)}`);
  }
  return r;
}

export async function cliPlanRepeated(
  file: string,
  env: NodeJS.ProcessEnv,
  repetitions: number,
  motoPid: number,
): Promise<CliPlan> {
  const runs: ChildRun[] = [];
  const motoCpu: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const r = await cpuWhile([motoPid], () => cliPlan([file], [], env));
    runs.push(r.result);
    if (r.cpuSeconds !== undefined) motoCpu.push(r.cpuSeconds);
  }
  const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== undefined);
  const cpu = runs.map((r) => r.cpuSeconds).filter((x): x is number => x !== undefined);
  return {
    seconds: round(median(runs.map((r) => r.seconds)), 3),
    runs: runs.map((r) => round(r.seconds, 3)),
    peakRssMb: rss.length ? round(Math.max(...rss), 1) : undefined,
    cpuSeconds: cpu.length ? round(median(cpu), 2) : undefined,
    motoCpuSeconds: motoCpu.length ? round(median(motoCpu), 2) : undefined,
  };
}

/**
 * Runs `fn` with this process's AWS endpoints pointed at `endpoint`: seeding goes to moto directly,
 * without the latency proxy the measured runs go through. Clients read the variables when made.
 */
export async function withEndpoint<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
  const keys = ["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_STS"] as const;
  const saved = keys.map((k) => process.env[k]);
  for (const k of keys) process.env[k] = endpoint;
  try {
    return await fn();
  } finally {
    keys.forEach((k, i) => {
      const v = saved[i];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    });
  }
}

/** Creates every declared secret through sopsync's own executor, unpaced and concurrent: a fast,
 * exact seed (same values, tags and version tags as a real apply would leave). */
export async function seedAccount(file: string | string[]): Promise<{ seconds: number; secrets: number }> {
  const { result, seconds } = await timed(async () => {
    const targets = await openTargets(typeof file === "string" ? [file] : file);
    const { plan } = await planTargets(targets, {}, newPlanIdentity());
    // moto has no quotas: every family unpaced too.
    const unpaced = new QuotaPacers({ rate: 1e9 });
    return applyPlanned(plan, targets, { concurrency: SEED_CONCURRENCY, maxRps: 1e9, pacers: unpaced });
  });
  const outcomes = result.flatMap((r) => r.outcomes);
  const bad = outcomes.filter((o) => o.status !== "applied");
  const readBack = result.reduce((n, r) => n + r.verification.length, 0);
  if (result.length === 0 || bad.length > 0 || readBack > 0) {
    throw new Error(`seeding failed: ${bad.length} secrets not applied, ${readBack} read-back problems`);
  }
  return { seconds, secrets: outcomes.length };
}

export async function sopsyncPlan(file: string, env: NodeJS.ProcessEnv): Promise<PlanRun> {
  const r = await runChild(process.execPath, ["--import", "tsx", PLAN_CHILD, file], env);
  if (r.code !== 0) throw new Error(`sopsync plan child failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout) as PlanRun;
}

export interface BaselineRun {
  seconds: number;
  calls: number;
  byOperation: Record<string, number>;
}

/**
 * Reads the account the way `terraform plan` refreshes aws_secretsmanager_secret (DescribeSecret +
 * GetResourcePolicy) and aws_secretsmanager_secret_version (GetSecretValue): one resource at a time
 * per worker, 10 workers. Uses the same SDK port and client settings as sopsync, so only the access
 * pattern differs.
 */
export async function terraformStyleRefresh(count: number): Promise<BaselineRun> {
  const counter = new CallCounter();
  const port = await createSdkPort({ region: BENCH_REGION, onRequest: counter.onRequest });
  const resources: { name: string; kind: "secret" | "version" }[] = [];
  for (let i = 0; i < count; i++)
    resources.push({ name: secretName(i), kind: "secret" }, { name: secretName(i), kind: "version" });
  const { seconds } = await timed(() =>
    mapConcurrent(resources, TERRAFORM_PARALLELISM, async (r) => {
      if (r.kind === "secret") {
        await port.describeSecret(r.name);
        await port.getResourcePolicy(r.name);
      } else {
        await port.getValue(r.name);
      }
    }),
  );
  return { seconds, calls: counter.total, byOperation: counter.byOperation };
}

/** 5% of the secrets, spread over the whole range, deterministic. */
export function driftIndices(count: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < Math.floor(count / 20); k++) out.push(k * 20 + ((k * 7) % 20));
  return out;
}

/** Changes the chosen values out of band, directly against moto (never through sopsync). */
export async function driftValues(motoEndpoint: string, indices: readonly number[]): Promise<void> {
  const sm = smClient(motoEndpoint);
  await mapConcurrent(indices, 16, (i) => putString(sm, secretName(i), storedValue(i, 99)));
}

/** Fails loudly unless the plan changes exactly the drifted secrets, each as an out-of-band value change. */
export function checkDriftFound(run: PlanRun, indices: readonly number[]): { found: number; expected: number } {
  const expected = new Set(indices.map(secretName));
  const found = new Set(run.changes.map((c) => c.name));
  const missed = [...expected].filter((n) => !found.has(n));
  const extra = [...found].filter((n) => !expected.has(n));
  const wrongShape = run.changes.filter((c) => c.actions.join(",") !== "update-value" || c.cause !== "changed-outside");
  if (missed.length || extra.length || wrongShape.length) {
    throw new Error(
      `drift plan is wrong: ${missed.length} drifted secrets missed (${missed.slice(0, 5).join(", ")}), ` +
        `${extra.length} unexpected changes (${extra.slice(0, 5).join(", ")}), ` +
        `${wrongShape.length} changes not a lone out-of-band update-value (${wrongShape
          .slice(0, 3)
          .map((c) => `${c.name}: ${c.actions.join("+")}/${c.cause}`)
          .join(", ")})`,
    );
  }
  return { found: found.size, expected: expected.size };
}

export function checkInSync(run: PlanRun, count: number): void {
  if (run.declared !== count || run.changes.length > 0) {
    throw new Error(`in-sync plan is wrong: ${run.declared} declared (want ${count}), ${run.changes.length} changes (want 0)`);
  }
}

export function perSecret(calls: number, count: number): number {
  return round(calls / count, 4);
}
