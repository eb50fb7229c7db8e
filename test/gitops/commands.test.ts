// The command lines CI runs, run as CI runs them: the action's own step scripts (read from
// action.yml), with the exact `with:` inputs and `env:` of the repository's secrets-plan, -apply and
// -drift workflows, against moto, the real sops file format and a fake GitHub API. The repository's
// own secrets.yaml and its public demo key are the manifest, exactly as the workflows use them.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { describe as describeSecret, getString, putString, smClient, tagsOf } from "../helpers/aws.js";
import { assertNoCanary } from "../helpers/cli.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { projectRoot, runSops } from "../helpers/tools.js";
import { type FakeGitHub, startFakeGitHub } from "./fake-github.js";
import {
  actionCalls,
  fakeActionPath,
  inputsContext,
  readAction,
  resolve,
  readWorkflow,
  runStep,
  type Step,
  type StepRun,
} from "./workflow-steps.js";

const REPO = "acme/infra";
const keyFile = join(projectRoot, "examples/demo-age-key.txt");
const ageKey = readFileSync(keyFile, "utf8");

/** Evaluates a step's `if:` the way Actions would for the expressions the action uses. */
function condition(expr: string | undefined, ctx: Record<string, string>): boolean {
  if (!expr) return true;
  const js = expr
    .replace(/^\$\{\{\s*|\s*\}\}$/g, "")
    .replace(/\bcancelled\(\)/g, "false")
    .replace(/\b[a-z][\w-]*(\.[\w-]+)+/g, (path) => {
      if (!(path in ctx)) throw new Error(`if: uses '${path}', unknown to the test`);
      return JSON.stringify(ctx[path]);
    })
    .replace(/==/g, "===")
    .replace(/!===/g, "!==");
  return Boolean(new Function(`return (${js});`)());
}

describe("the workflows' sopsync command lines, run against moto", () => {
  let moto: Moto;
  let gh: FakeGitHub;
  let ws: string;
  let actionPath: string;
  const outputs: string[] = [];
  const sm = () => smClient(moto.endpoint);
  let canaries: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto();
    gh = await startFakeGitHub(REPO);
    ws = mkdtempSync(join(tmpdir(), "sopsync-ws-"));
    copyFileSync(join(projectRoot, "secrets.yaml"), join(ws, "secrets.yaml"));
    copyFileSync(join(projectRoot, ".sops.yaml"), join(ws, ".sops.yaml"));
    actionPath = fakeActionPath();
    // The demo manifest's plaintext values are the canaries: none may reach any output.
    const plain = runSops(["decrypt", join(ws, "secrets.yaml")], { SOPS_AGE_KEY_FILE: keyFile });
    expect(plain.status, plain.stderr).toBe(0);
    const s = YAML.parse(plain.stdout).secrets;
    canaries = { password: s["demo/db"].value.password, token: s["demo/api-token"].value, tls: s["demo/tls-key"].binary };
  });
  afterAll(async () => {
    await gh?.close();
    await moto?.stop();
  });

  /** Runs the action as `call` (a workflow step) would, step by step; returns each step's run. */
  async function runAction(call: Step, github: Record<string, string>): Promise<Record<string, StepRun>> {
    const runnerTemp = mkdtempSync(join(tmpdir(), "sopsync-runner-"));
    const summary = join(runnerTemp, "summary.md");
    writeFileSync(summary, "");
    const callEnv = Object.fromEntries(
      Object.entries(call.env ?? {}).map(([k, v]) => [k, resolve(v, { "secrets.SOPS_AGE_KEY": ageKey })]),
    );
    const env = {
      ...moto.env,
      ...callEnv,
      GITHUB_ACTION_PATH: actionPath,
      RUNNER_TEMP: runnerTemp,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_API_URL: gh.url,
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: "4242",
    };
    const ctx: Record<string, string> = {
      ...inputsContext(call),
      "github.token": gh.token,
      "github.event.pull_request.number": "",
      ...github,
    };
    // Input defaults may be expressions themselves (github-token: ${{ github.token }}).
    for (const [k, v] of Object.entries(ctx)) if (k.startsWith("inputs.")) ctx[k] = resolve(v, ctx);
    const runs: Record<string, StepRun> = {};
    for (const step of readAction().runs.steps) {
      // setup-node and `npm ci && npm run build` are the runner's business; fakeActionPath stands in.
      if (!step.run || step.name === "Install sopsync") continue;
      if (!condition(step.if, ctx)) continue;
      const r = await runStep(step, ctx, env, ws);
      outputs.push(r.stdout, r.stderr);
      runs[step.id ?? step.name ?? "?"] = r;
      if (step.id) for (const [k, v] of Object.entries(r.outputs)) ctx[`steps.${step.id}.outputs.${k}`] = v;
      if (r.code !== 0) break;
    }
    runs.summary = { code: 0, stdout: readFileSync(summary, "utf8"), stderr: "", outputs: {} };
    outputs.push(runs.summary.stdout);
    return runs;
  }

  const planCall = () => only(actionCalls("secrets-plan.yml"));
  const applyCall = () => only(actionCalls("secrets-apply.yml"));
  const driftCall = () => only(actionCalls("secrets-drift.yml"));
  let savedPlan = "";

  it("secrets-plan.yml: plans the pull request, posts one sticky comment, saves the plan for upload", async () => {
    expect(planCall().with).toMatchObject({ command: "plan", "detailed-exitcode": "true" });
    const runs = await runAction(planCall(), { "github.event.pull_request.number": "7" });
    const run = runs.sopsync as StepRun;
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs.exitcode).toBe("2");
    const plan = JSON.parse(readFileSync(run.outputs.plan as string, "utf8"));
    expect(plan.formatVersion).toBe(1);
    expect(plan.targets[0].summary.create).toBe(3);
    expect(runs.summary?.stdout).toContain("<!-- sopsync:sopsync-demo -->");

    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]?.issue).toBe(7);
    expect(gh.comments[0]?.body.startsWith("<!-- sopsync:sopsync-demo -->\n")).toBe(true);
    expect(gh.comments[0]?.body).toMatch(/<b>demo\/db<\/b>: create/);
    outputs.push(...gh.comments.map((c) => c.body));

    // The artifact upload step's path is the action's plan output.
    const upload = only(
      readWorkflow("secrets-plan.yml").jobs.plan?.steps.filter((st) => st.uses?.startsWith("actions/upload-artifact@")) ?? [],
    );
    const stepId = planCall().id as string;
    expect(existsSync(resolve(upload.with?.path ?? "", { [`steps.${stepId}.outputs.plan`]: run.outputs.plan as string }))).toBe(
      true,
    );
    savedPlan = join(mkdtempSync(join(tmpdir(), "sopsync-artifact-")), "plan.json");
    copyFileSync(run.outputs.plan as string, savedPlan);
  });

  it("secrets-plan.yml again on the same pull request updates the comment instead of adding one", async () => {
    const runs = await runAction(planCall(), { "github.event.pull_request.number": "7" });
    expect(runs.sopsync?.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.requests).toContain(`PATCH /repos/${REPO}/issues/comments/${gh.comments[0]?.id}`);
  });

  it("secrets-apply.yml applies the merged pull request's saved plan when it matches the merged manifest's plan", async () => {
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": savedPlan });
    const run = runs.sopsync as StepRun;
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs.exitcode).toBe("0");
    expect(run.stdout).toMatch(/Applying the saved plan: it matches the merged manifest's plan/);
    expect(run.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 not started/);
    expect(tagsOf((await describeSecret(sm(), "demo/db")).Tags)).toMatchObject({ "sopsync:managed-by": "sopsync-demo" });
  });

  it("secrets-apply.yml with an outdated saved plan applies the fresh plan of the merged manifest instead", async () => {
    await putString(sm(), "demo/api-token", "changed-by-hand");
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": savedPlan });
    const run = runs.sopsync as StepRun;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/The saved plan differs from the merged manifest's plan; applying the fresh plan/);
    expect(await getString(sm(), "demo/api-token")).toBe(canaries.token);
  });

  it("secrets-apply.yml never applies a forged saved plan (the artifact comes from a pull-request run)", async () => {
    // A plan doing nothing, as a pull request would save it now, plus a delete nobody reviewed.
    const plan = await runAction(planCall(), { "github.event.pull_request.number": "8" });
    const forged = JSON.parse(readFileSync(plan.sopsync?.outputs.plan as string, "utf8"));
    const db = forged.targets[0].changes.find((c: { name: string }) => c.name === "demo/db");
    db.actions = [{ type: "delete", recoveryWindowDays: 7 }];
    const file = join(mkdtempSync(join(tmpdir(), "sopsync-artifact-")), "plan.json");
    writeFileSync(file, JSON.stringify(forged));
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": file });
    expect(runs.sopsync?.code, runs.sopsync?.stderr).toBe(0);
    expect(runs.sopsync?.stdout).toMatch(/The saved plan differs/);
    expect((await describeSecret(sm(), "demo/db")).DeletedDate).toBeUndefined();
  });

  it("secrets-drift.yml: clean account, exit code 0, no issue", async () => {
    const runs = await runAction(driftCall(), {});
    expect(runs.sopsync?.code).toBe(0);
    expect(runs.sopsync?.outputs.exitcode).toBe("0");
    expect(gh.issues).toHaveLength(0);
  });

  it("secrets-drift.yml: an out-of-band write opens one labelled issue naming the secret and the cause, then updates it", async () => {
    await putString(sm(), "demo/api-token", "changed-by-hand-again");
    for (let i = 0; i < 2; i++) {
      const runs = await runAction(driftCall(), {});
      expect(runs.sopsync?.code, runs.sopsync?.stderr).toBe(0);
      expect(runs.sopsync?.outputs.exitcode).toBe("2");
    }
    expect(gh.issues).toHaveLength(1);
    const issue = gh.issues[0];
    expect(issue?.labels).toEqual(["secrets-drift"]);
    expect(issue?.state).toBe("open");
    expect(issue?.body).toMatch(/\| `sopsync-demo` \| `demo\/api-token` \| changed outside sopsync \|/);
    expect(issue?.body).not.toContain("demo/db");
    outputs.push(issue?.body ?? "");
  });

  it("secrets-apply.yml without a saved plan plans and applies; the next drift check closes the issue", async () => {
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": "" });
    expect(runs.sopsync?.code, runs.sopsync?.stderr).toBe(0);
    expect(await getString(sm(), "demo/api-token")).toBe(canaries.token);
    const drift = await runAction(driftCall(), {});
    expect(drift.sopsync?.outputs.exitcode).toBe("0");
    expect(gh.issues[0]?.state).toBe("closed");
  });

  it("no secret value reached any output, summary, comment or issue", () => {
    expect(outputs.length).toBeGreaterThan(20);
    assertNoCanary([...outputs, ...gh.comments.map((c) => c.body), ...gh.issues.map((i) => i.body)], canaries);
  });
});

function only<T>(items: T[]): T {
  if (items.length !== 1) throw new Error(`expected exactly one call of the action, found ${items.length}`);
  return items[0] as T;
}
