// The action, from the step's start to the plan printed, two ways:
// - bundle: the "Run sopsync" step of action.yml as it is, from a copy of the action folder holding
//   action.yml, the committed action/ (sopsync.mjs, chunks/) and scripts/gitops (what a workflow checks out);
// - install+build: what the composite action did before the bundle: `npm ci` and `npm run build` in a
//   fresh copy of the project (sources, lock file, no node_modules), then the same step running
//   dist/cli/main.js.
// Both run the step script as the action tests do (test/gitops/workflow-steps.ts: bash -e, env and
// inputs resolved) against the caller's moto, planning a small manifest. npm gets
// npm_config_prefer_offline, so the install reads this machine's npm cache first: on a runner with an
// empty cache it can only be slower. Importing this module runs nothing.
import { copyFileSync, cpSync, existsSync, mkdtempSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectRoot } from "../test/helpers/tools.js";
import { actionStep, inputsContext, runStep, type Step, type StepRun } from "../test/gitops/workflow-steps.js";
import { BUNDLE } from "./entries.js";
import { writeManifest } from "./fixtures.js";
import { median, round } from "./measure.js";

export interface ActionBenchOptions {
  /** A work folder; the manifest and the copies of the action go below it. */
  dir: string;
  /** age recipient the manifest is encrypted to; env must hold its key (SOPS_AGE_KEY_FILE). */
  recipient: string;
  /** The step's environment: PATH, HOME, SOPS_AGE_KEY_FILE and the AWS endpoint (moto) and credentials. */
  env: NodeJS.ProcessEnv;
  repetitions: number;
  /** Secrets in the manifest (default 10). */
  secrets?: number;
  log?: (s: string) => void;
}

export interface ActionRow {
  way: "bundle" | "install+build";
  repetition: number;
  /** From the first step's start to the plan written (the "Run sopsync" step's end). */
  seconds: number;
  /** `npm ci` + `npm run build` (0 for the bundle). */
  installSeconds: number;
  /** The "Run sopsync" step alone. */
  planSeconds: number;
}

export interface ActionBenchResult {
  rows: ActionRow[];
  /** Medians over the repetitions. */
  bundleSeconds: number;
  installBuildSeconds: number;
  /** installBuildSeconds / bundleSeconds. */
  speedup: number;
  secrets: number;
}

/** The install step the composite action ran before the bundle, word for word. */
const INSTALL_STEP: Step = {
  name: "Install sopsync",
  shell: "bash",
  run: 'cd "$GITHUB_ACTION_PATH"\nnpm ci --no-audit --no-fund --loglevel=error\nnpm run build\n',
};

const BUNDLE_CALL = '"$GITHUB_ACTION_PATH/action/sopsync.mjs"';
const DIST_CALL = '"$GITHUB_ACTION_PATH/dist/cli/main.js"';

/** A copy of the action as a workflow checks it out today. */
function bundleFolder(base: string): string {
  const dir = mkdtempSync(join(base, "bundle-"));
  copyFileSync(join(projectRoot, "action.yml"), join(dir, "action.yml"));
  cpSync(dirname(BUNDLE), join(dir, "action"), { recursive: true });
  cpSync(join(projectRoot, "scripts/gitops"), join(dir, "scripts/gitops"), { recursive: true });
  return dir;
}

/** A fresh checkout as the composite action saw it before: sources and lock file, nothing installed. */
function sourceFolder(base: string): string {
  const dir = mkdtempSync(join(base, "install-"));
  for (const f of ["action.yml", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"]) {
    copyFileSync(join(projectRoot, f), join(dir, f));
  }
  cpSync(join(projectRoot, "src"), join(dir, "src"), { recursive: true });
  cpSync(join(projectRoot, "scripts/gitops"), join(dir, "scripts/gitops"), { recursive: true });
  return dir;
}

function planWritten(run: StepRun): void {
  const md = run.outputs.markdown;
  const code = run.outputs.exitcode;
  if (run.code !== 0 || (code !== "0" && code !== "2") || !md || !existsSync(md) || statSync(md).size === 0) {
    throw new Error(`the action's plan step failed (exit ${run.code}, exitcode ${code}): ${run.stderr.slice(-2000)}`);
  }
}

export async function actionBench(opts: ActionBenchOptions): Promise<ActionBenchResult> {
  const log = opts.log ?? (() => {});
  const secrets = opts.secrets ?? 10;
  if (!existsSync(BUNDLE)) throw new Error("action/sopsync.mjs is missing: run npm run bundle");
  const base = mkdtempSync(join(opts.dir, "action-bench-"));
  const ws = mkdtempSync(join(base, "workspace-"));
  const manifest = writeManifest(ws, secrets, 1, opts.recipient);
  const run = actionStep("sopsync");
  if (!run.run?.includes(BUNDLE_CALL)) throw new Error(`action.yml's step no longer calls ${BUNDLE_CALL}`);
  const before: Step = { ...run, run: run.run.replaceAll(BUNDLE_CALL, DIST_CALL) };
  const ctx = inputsContext({ with: { command: "plan", files: manifest.slice(ws.length + 1), comment: "false" } });
  const stepEnv = (actionPath: string): Record<string, string> => ({
    ...(Object.fromEntries(Object.entries(opts.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
    GITHUB_ACTION_PATH: actionPath,
    RUNNER_TEMP: mkdtempSync(join(base, "runner-")),
    npm_config_prefer_offline: "true",
  });
  const timedStep = async (step: Step, env: Record<string, string>) => {
    const t = performance.now();
    const r = await runStep(step, ctx, env, ws);
    return { r, seconds: (performance.now() - t) / 1000 };
  };

  const rows: ActionRow[] = [];
  for (let i = 0; i < opts.repetitions; i++) {
    // Bundle and install in turn, so a slow spell of the machine touches both.
    const b = await timedStep(run, stepEnv(bundleFolder(base)));
    planWritten(b.r);
    rows.push({ way: "bundle", repetition: i, seconds: b.seconds, installSeconds: 0, planSeconds: b.seconds });
    log(`action: bundle ${round(b.seconds, 2)} s`);

    const env = stepEnv(sourceFolder(base));
    const install = await timedStep(INSTALL_STEP, env);
    if (install.r.code !== 0) throw new Error(`npm ci / npm run build failed: ${install.r.stderr.slice(-2000)}`);
    const p = await timedStep(before, env);
    planWritten(p.r);
    rows.push({
      way: "install+build",
      repetition: i,
      seconds: install.seconds + p.seconds,
      installSeconds: install.seconds,
      planSeconds: p.seconds,
    });
    log(`action: install + build ${round(install.seconds, 1)} s, then plan ${round(p.seconds, 2)} s`);
  }
  const med = (way: ActionRow["way"]) => median(rows.filter((r) => r.way === way).map((r) => r.seconds));
  const bundleSeconds = med("bundle");
  const installBuildSeconds = med("install+build");
  return {
    rows: rows.map((r) => ({
      ...r,
      seconds: round(r.seconds, 3),
      installSeconds: round(r.installSeconds, 3),
      planSeconds: round(r.planSeconds, 3),
    })),
    bundleSeconds: round(bundleSeconds, 3),
    installBuildSeconds: round(installBuildSeconds, 3),
    speedup: round(installBuildSeconds / bundleSeconds, 1),
    secrets,
  };
}
