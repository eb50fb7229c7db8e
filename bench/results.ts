// The shape of one benchmark run, as bench/run.ts measures it and bench/report.ts prints and saves it
// (bench/results/<date>.json). Its own module, so the runner and the report do not import each other.
import type { ApplyBench } from "./apply-bench.js";
import type { DecryptBench } from "./decrypt-bench.js";
import type { BaselineRun, PlanRun } from "./plan-bench.js";

export interface SizeResult {
  n: number;
  seedSeconds?: number;
  plan?: {
    sopsync: PlanRun & { callsPerSecret: number };
    baseline: BaselineRun & { callsPerSecret: number };
    callRatio: number;
    timeRatio: number;
    speedup: number;
  };
  drift?: { changed: number; found: number; plan: PlanRun & { callsPerSecret: number } };
  apply?: ApplyBench;
}

export type BenchRun = {
  startedAt: string;
  finishedAt: string;
  options: { sizes: number[]; latencyMs: number; applyMax: number | null; sections: string[]; proxy: string | null };
  sizes: SizeResult[];
  decrypt?: DecryptBench;
};
