// The action's row: from the step's start to the plan printed, with the committed single-file bundle
// against today's `npm ci` + `npm run build`. The measurement itself is bench/action-bench.ts; until it
// exists this row says so rather than guess.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ActionResult } from "./results.js";

export interface ActionBenchInput {
  dir: string;
  recipient: string;
  env: NodeJS.ProcessEnv;
  repetitions: number;
  log: (s: string) => void;
}

export async function actionBench(_input: ActionBenchInput): Promise<ActionResult> {
  if (!existsSync(join(import.meta.dirname, "action-bench.ts"))) {
    return { measured: false, reason: "n/a (not built: bench/action-bench.ts)" };
  }
  return { measured: false, reason: "n/a (bench/action-bench.ts found, not wired in yet)" };
}
