// The shape of one benchmark run, as bench/run.ts measures it and bench/report.ts prints and saves it
// (bench/results/<date>.json). Its own module, so the runner and the report do not import each other.
import type { ActionBenchResult } from "./action-bench.js";
import type { ApplyBench } from "./apply-bench.js";
import type { DecryptBench } from "./decrypt-bench.js";
import type { FleetBench } from "./fleet-bench.js";
import type { BaselineRun, CliPlan, PlanRun } from "./plan-bench.js";
import type { StartupRow } from "./startup-bench.js";

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

/** The action's step, from its start to the plan printed (bench/action-bench.ts), or why it was not measured. */
export type ActionResult = ActionBenchResult | { notMeasured: string };

/** `--version` of the CLI and the bundle against `node -e 0` (bench/startup-bench.ts). */
export interface StartupResult {
  repetitions: number;
  rows: StartupRow[];
}

export type BenchRun = {
  startedAt: string;
  finishedAt: string;
  /** os.loadavg() (1, 5, 15 minutes) when the run started and ended. */
  loadAverage?: { start: number[]; end: number[] };
  options: {
    sizes: number[];
    latencyMs: number;
    applyMax: number | null;
    sections: string[];
    proxy: string | null;
    repetitions?: number;
    fleet?: { targets: number; secretsPerTarget: number; motos: number };
    /** moto as installed, or with lookups by name made a dictionary lookup (bench/moto-fast-lookups.py); absent before it was an option: stock. */
    moto?: "fast" | "stock";
  };
  sizes: SizeResult[];
  decrypt?: DecryptBench;
  startup?: StartupResult;
  fleet?: FleetBench;
  action?: ActionResult;
};
