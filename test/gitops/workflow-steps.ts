// Reads the command lines CI really runs, straight from action.yml and .github/workflows/, so tests
// execute those exact scripts (with the workflows' exact `with:` inputs) against moto: a renamed flag
// or a typo in a workflow breaks `npm test`, not a user's pipeline.
import { runProcess } from "../helpers/spawn.js";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";
import { projectRoot } from "../helpers/tools.js";

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  "working-directory"?: string;
}

interface ActionFile {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; steps: Step[] };
}

export function readAction(): ActionFile {
  return YAML.parse(readFileSync(join(projectRoot, "action.yml"), "utf8")) as ActionFile;
}

export function readWorkflow(name: string): { on: unknown; jobs: Record<string, { steps: Step[] }>; [k: string]: unknown } {
  return YAML.parse(readFileSync(join(projectRoot, ".github/workflows", name), "utf8"));
}

/** The steps of a workflow that run this repository's action (`uses: ./`), with their inputs. */
export function actionCalls(workflow: string): Step[] {
  const wf = readWorkflow(workflow);
  return Object.values(wf.jobs).flatMap((j) => j.steps.filter((s) => s.uses === "./"));
}

/** Replaces each `${{ expr }}` with ctx[expr]; an expression the test does not know is an error. */
export function resolve(text: string, ctx: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in ctx)) throw new Error(`expression not known to the test: \${{ ${expr} }}`);
    return ctx[expr] as string;
  });
}

/** Context for the action's steps: `inputs.*` from the call's `with:` and the action's defaults. */
export function inputsContext(call: Step): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const [name, spec] of Object.entries(readAction().inputs)) {
    const given = call.with?.[name];
    if (given === undefined && spec.required) throw new Error(`required input '${name}' missing in the workflow`);
    ctx[`inputs.${name}`] = String(given ?? spec.default ?? "");
  }
  return ctx;
}

let bundleDir: string | undefined;

/**
 * A copy of the action as a workflow checks it out, with no dist/ and no node_modules: action.yml,
 * the bundle (action/sopsync.mjs and its chunks folder) and scripts/gitops. The bundle is built now
 * from the sources, by the build `npm run bundle` runs (so tests follow the sources as they change);
 * bundle-current.test.ts proves the committed files are that same build, byte for byte.
 */
export function fakeActionPath(): string {
  if (!bundleDir) {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-bundle-"));
    const tsx = pathToFileURL(join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;
    const r = spawnSync(process.execPath, ["--import", tsx, join(projectRoot, "scripts/bundle.ts"), dir], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`bundling the CLI failed: ${r.stderr}`);
    bundleDir = dir;
  }
  const dir = mkdtempSync(join(tmpdir(), "sopsync-action-"));
  copyFileSync(join(projectRoot, "action.yml"), join(dir, "action.yml"));
  cpSync(bundleDir, join(dir, "action"), { recursive: true });
  cpSync(join(projectRoot, "scripts/gitops"), join(dir, "scripts/gitops"), { recursive: true });
  return dir;
}

/** The variables the runner gives every step of the action, pointed at the fake GitHub `apiUrl`. */
export function runnerEnv(o: {
  actionPath: string;
  runnerTemp: string;
  summary: string;
  apiUrl: string;
  repository: string;
  runId: string;
}): Record<string, string> {
  return {
    GITHUB_ACTION_PATH: o.actionPath,
    RUNNER_TEMP: o.runnerTemp,
    GITHUB_STEP_SUMMARY: o.summary,
    GITHUB_API_URL: o.apiUrl,
    GITHUB_GRAPHQL_URL: `${o.apiUrl}/graphql`,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: o.repository,
    GITHUB_RUN_ID: o.runId,
  };
}

export interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

/**
 * Runs one `run:` step as the runner does (`bash -e {0}`, env resolved, GITHUB_OUTPUT collected).
 * Asynchronous, so a fake GitHub API in the test process can answer the step's requests.
 */
export async function runStep(
  step: Step,
  ctx: Record<string, string>,
  env: Record<string, string>,
  cwd: string,
): Promise<StepRun> {
  if (!step.run) throw new Error(`step ${step.id ?? step.name} has no run script`);
  const tmp = mkdtempSync(join(tmpdir(), "sopsync-step-"));
  const outFile = join(tmp, "output");
  writeFileSync(outFile, "");
  const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, resolve(String(v), ctx)]));
  const script = join(tmp, "step.sh");
  writeFileSync(script, resolve(step.run, ctx));
  const wd = step["working-directory"] ? join(cwd, resolve(step["working-directory"], ctx)) : cwd;
  const { code, stdout, stderr } = await runProcess("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", script], {
    cwd: wd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      NO_COLOR: "1",
      ...env,
      ...stepEnv,
      GITHUB_OUTPUT: outFile,
    },
  });
  const outputs: Record<string, string> = {};
  for (const line of readFileSync(outFile, "utf8").split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) outputs[line.slice(0, i)] = line.slice(i + 1);
  }
  return { code, stdout, stderr, outputs };
}

export function actionStep(id: string, steps = readAction().runs.steps): Step {
  const s = steps.find((x) => x.id === id || x.name === id);
  if (!s) throw new Error(`action.yml has no step '${id}'`);
  return s;
}

/** The `sopsync ...` lines of a shell code block in a doc, for docs whose commands are tested too. */
export function documentedCommands(doc: string, sub: string): string[] {
  const text = readFileSync(join(projectRoot, doc), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trimStart().startsWith(`sopsync ${sub} `))
    .map((l) => l.trim());
}
