// The shape of one benchmark run, as bench/run.ts measures it and bench/report.ts prints and saves it
// (bench/results/<date>.json). Its own module, so the runner and the report do not import each other.
import type { ApplyBench } from "./apply-bench.js";
import type { DecryptBench } from "./decrypt-bench.js";
import type { FleetBench } from "./fleet-bench.js";
import type { BaselineRun, CliPlan, PlanRun } from "./plan-bench.js";
import type { StartupBench } from "./startup.js";

export interface SizeResult {
  n: number;
  seedSeconds?: number;
  plan?: {
    sopsync: PlanRun & { callsPerSecret: number };
    /** The built CLI, whole process (start-up, decrypt, read, plan, render). */
    cli?: CliPlan;
    /** BatchGetSecretValue calls / its pacer rate: no plan can read the values sooner. */
    floor?: { batchCalls: number; ratePerSecond: number; seconds: number };
    baseline: BaselineRun & { callsPerSecret: number };
    callRatio: number;
    timeRatio: number;
    speedup: number;
  };
  drift?: { changed: number; found: number; plan: PlanRun & { callsPerSecret: number } };
  apply?: ApplyBench;
}

/** The action's step, from its start to the plan printed: the committed bundle against install + build. */
export type ActionResult =
  | {
      measured: true;
      source: string;
      repetitions: number;
      /** Median seconds with the committed bundle. */
      bundleSeconds: number;
      /** Median seconds with `npm ci` + `npm run build` first, as the composite action did. */
      installBuildSeconds: number;
      speedup: number;
      detail?: unknown;
    }
  | { measured: false; reason: string };

export type BenchRun = {
  startedAt: string;
  finishedAt: string;
  options: {
    sizes: number[];
    latencyMs: number;
    applyMax: number | null;
    sections: string[];
    proxy: string | null;
    repetitions?: number;
    fleet?: { targets: number; secretsPerTarget: number; motos: number };
  };
  sizes: SizeResult[];
  decrypt?: DecryptBench;
  startup?: StartupBench;
  fleet?: FleetBench;
  action?: ActionResult;
};
