// Plan benchmarks on one seeded account: sopsync's plan (in a child process) against a baseline that
// refreshes the way Terraform's AWS provider does, then the same plan after 5% out-of-band drift.
import { join } from "node:path";
import { mapConcurrent } from "../src/aws/pacing.js";
import { QuotaPacers } from "../src/aws/quotas.js";
import { createSdkPort } from "../src/aws/sdk-adapter.js";
import { openTargets } from "../src/run/targets.js";
import { applyPlanned, newPlanIdentity, planTargets } from "../src/run/workflow.js";
import { putString, smClient } from "../test/helpers/aws.js";
import { BENCH_REGION, secretName, storedValue } from "./fixtures.js";
import { CallCounter, round, runChild, timed } from "./measure.js";

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
  calls: number;
  byOperation: Record<string, number>;
  changes: { name: string; actions: string[]; cause?: string }[];
  peakRssMb: number;
}

/** Creates every declared secret through sopsync's own executor, unpaced and concurrent: a fast,
 * exact seed (same values, tags and version tags as a real apply would leave). */
export async function seedAccount(file: string): Promise<{ seconds: number; secrets: number }> {
  const { result, seconds } = await timed(async () => {
    const targets = await openTargets([file]);
    const { plan } = await planTargets(targets, {}, newPlanIdentity());
    // moto has no quotas: every family unpaced too.
    const unpaced = new QuotaPacers({ rate: 1e9 });
    const [r] = await applyPlanned(plan, targets, { concurrency: SEED_CONCURRENCY, maxRps: 1e9, pacers: unpaced });
    return r;
  });
  const bad = result?.outcomes.filter((o) => o.status !== "applied") ?? [];
  if (!result || bad.length > 0 || result.verification.length > 0) {
    throw new Error(`seeding failed: ${bad.length} secrets not applied, ${result?.verification.length} read-back problems`);
  }
  return { seconds, secrets: result.outcomes.length };
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
