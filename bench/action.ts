// The action's row: from the step's start to the plan printed, with the committed single-file bundle
// against what the composite action did before it (`npm ci` + `npm run build` in the action's
// checkout, then the plan). Both plan the same seeded manifest through the latency proxy.
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../test/helpers/tools.js";
import { BUNDLE } from "./entries.js";
import { writeManifest } from "./fixtures.js";
import { median, round, runChild } from "./measure.js";
import type { ActionResult } from "./results.js";

export interface ActionBenchInput {
  dir: string;
  recipient: string;
  env: NodeJS.ProcessEnv;
  repetitions: number;
  /** Seeds the account with the manifest, so the plan is the in-sync plan of a real repository. */
  seed: (file: string) => Promise<void>;
  log: (s: string) => void;
}

/** Secrets in the manifest the action plans: a repository's, not a fleet's. */
const ACTION_SECRETS = 100;

async function step(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<number> {
  const r = await runChild(cmd, args, env, cwd);
  if (r.code !== 0) throw new Error(`action bench: ${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  return r.seconds;
}

export async function actionBench(input: ActionBenchInput): Promise<ActionResult> {
  if (!existsSync(BUNDLE)) return { measured: false, reason: "n/a (not built: no action/sopsync.mjs)" };
  const file = writeManifest(input.dir, ACTION_SECRETS, 1, input.recipient);
  await input.seed(file);
  const plan = ["plan", file, "--format", "markdown", "--detailed-exitcode"];
  // npm needs HOME (its cache) and PATH; the plan needs the AWS endpoints and the age key.
  const env = { ...input.env, npm_config_update_notifier: "false" };

  // What the action's checkout held before the bundle: the sources, the lockfile, the build config.
  const checkout = mkdtempSync(join(input.dir, "action-checkout-"));
  for (const f of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "src"]) {
    cpSync(join(projectRoot, f), join(checkout, f), { recursive: true });
  }
  // npm ci takes a minute: fewer repetitions of it than of the bundle.
  const installRuns = Math.min(input.repetitions, 2);
  const installBuild: number[] = [];
  const bundle: number[] = [];
  for (let i = 0; i < Math.max(installRuns, input.repetitions); i++) {
    if (i < installRuns) {
      input.log(`action: npm ci + npm run build + plan (${i + 1}/${installRuns})`);
      rmSync(join(checkout, "node_modules"), { recursive: true, force: true });
      rmSync(join(checkout, "dist"), { recursive: true, force: true });
      let s = await step("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], env, checkout);
      s += await step("npm", ["run", "build"], env, checkout);
      s += await step(process.execPath, [join(checkout, "dist/cli/main.js"), ...plan], env, checkout);
      installBuild.push(s);
    }
    input.log(`action: bundle + plan (${i + 1}/${input.repetitions})`);
    bundle.push(await step(process.execPath, [BUNDLE, ...plan], env));
  }
  rmSync(checkout, { recursive: true, force: true });
  const b = median(bundle);
  const ib = median(installBuild);
  return {
    measured: true,
    source: "bench/action.ts (interim: bench/action-bench.ts not there)",
    repetitions: input.repetitions,
    bundleSeconds: round(b, 2),
    installBuildSeconds: round(ib, 2),
    speedup: round(ib / b, 1),
    detail: { secrets: ACTION_SECRETS, installRuns, bundleRuns: bundle.map((x) => round(x, 2)) },
  };
}
