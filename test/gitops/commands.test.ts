// The command lines CI runs, run as CI runs them: the action's own step scripts (read from
// action.yml), with the exact `with:` inputs and `env:` of the repository's secrets-plan, -apply and
// -drift workflows, against moto (behind the counting proxy, so "nothing was written" is counted on
// the wire), the real sops file format and a fake GitHub API. The repository's own secrets.yaml and
// its public demo key are the manifest, exactly as the workflows use them.
import type { IncomingHttpHeaders } from "node:http";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { applyMarkerFor } from "../../scripts/gitops/apply-report.mjs";
import { describe as describeSecret, getString, putString, smClient, tagsOf } from "../helpers/aws.js";
import { assertNoCanary } from "../helpers/cli.js";
import { type FaultProxy, startFaultProxy, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { projectRoot, runSops } from "../helpers/tools.js";
import { ACTIONS_BOT, type FakeGitHub, startFakeGitHub } from "./fake-github.js";
import {
  actionCalls,
  fakeActionPath,
  inputsContext,
  readAction,
  resolve,
  readWorkflow,
  runnerEnv,
  runStep,
  type Step,
  type StepRun,
} from "./workflow-steps.js";

const REPO = "acme/infra";
const keyFile = join(projectRoot, "examples/demo-age-key.txt");
const ageKey = readFileSync(keyFile, "utf8");

/**
 * Evaluates a step's `if:` the way Actions would for the expressions the action uses: without a status
 * function the step runs only while every earlier step succeeded; an output no step set is "".
 */
function condition(expr: string | undefined, ctx: Record<string, string>, failed: boolean): boolean {
  const body = (expr ?? "").replace(/^\$\{\{\s*|\s*\}\}$/g, "").trim();
  if (!body) return !failed;
  const js = body
    .replace(/\bcancelled\(\)/g, "false")
    .replace(/\balways\(\)/g, "true")
    .replace(/\bfailure\(\)/g, String(failed))
    .replace(/\bsuccess\(\)/g, String(!failed))
    .replace(/\b[a-z][\w-]*(\.[\w-]+)+/g, (path) => {
      if (path in ctx) return JSON.stringify(ctx[path]);
      if (/^steps\.[\w-]+\.outputs\./.test(path)) return '""';
      throw new Error(`if: uses '${path}', unknown to the test`);
    })
    .replace(/==/g, "===")
    .replace(/!===/g, "!==");
  const statusChecked = /\b(cancelled|always|failure|success)\(\)/.test(body);
  return (statusChecked || !failed) && Boolean(new Function(`return (${js});`)());
}

/** A merge commit's SHA, as GITHUB_SHA holds it on the push that merged a pull request. */
const mergeSha = (n: number) => n.toString(16).padStart(40, "a");

describe("the workflows' sopsync command lines, run against moto", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let gh: FakeGitHub;
  /** User agents of the write requests since the last resetStats, for the CloudTrail trail. */
  const writeAgents: string[] = [];
  let ws: string;
  let actionPath: string;
  const outputs: string[] = [];
  const sm = () => smClient(moto.endpoint);
  const secretWrites = () => proxy.writes({ excludeLock: true });
  let canaries: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({
      target: moto.endpoint,
      onRequest: ({ operation, headers }: { operation: string; headers: IncomingHttpHeaders }) => {
        if (WRITE_OPERATIONS.has(operation)) writeAgents.push(String(headers["user-agent"] ?? ""));
        return undefined;
      },
    });
    gh = await startFakeGitHub(REPO);
    ws = mkdtempSync(join(tmpdir(), "sopsync-ws-"));
    copyFileSync(join(projectRoot, "secrets.yaml"), join(ws, "secrets.yaml"));
    copyFileSync(join(projectRoot, ".sops.yaml"), join(ws, ".sops.yaml"));
    actionPath = fakeActionPath();
    // What a workflow checks out: the committed bundle, nothing built or installed beside it.
    expect(readdirSync(actionPath).sort()).toEqual(["action", "action.yml", "scripts"]);
    // The demo manifest's plaintext values are the canaries: none may reach any output.
    const plain = runSops(["decrypt", join(ws, "secrets.yaml")], { SOPS_AGE_KEY_FILE: keyFile });
    expect(plain.status, plain.stderr).toBe(0);
    const s = YAML.parse(plain.stdout).secrets;
    canaries = { password: s["demo/db"].value.password, token: s["demo/api-token"].value, tls: s["demo/tls-key"].binary };
  });
  afterAll(async () => {
    await gh?.close();
    await proxy?.stop();
    await moto?.stop();
  });

  interface ActionRun {
    steps: Record<string, StepRun>;
    /** Whether a step failed, which fails the action (and the job). */
    failed: boolean;
    summary: string;
  }

  /**
   * Runs the action as `call` (a workflow step) would, step by step, with a push event for `sha`
   * when given (the push that merged a pull request).
   */
  async function runAction(call: Step, github: Record<string, string>, opts: { sha?: string } = {}): Promise<ActionRun> {
    const runnerTemp = mkdtempSync(join(tmpdir(), "sopsync-runner-"));
    const summary = join(runnerTemp, "summary.md");
    writeFileSync(summary, "");
    const sha = opts.sha ?? mergeSha(1);
    const eventPath = join(runnerTemp, "event.json");
    writeFileSync(eventPath, JSON.stringify({ ref: "refs/heads/main", after: sha }));
    const callEnv = Object.fromEntries(
      Object.entries(call.env ?? {}).map(([k, v]) => [k, resolve(v, { "secrets.SOPS_AGE_KEY": ageKey })]),
    );
    const env = {
      ...moto.env,
      // Through the counting proxy: every write request of the run is seen on the wire.
      ...proxy.env,
      ...callEnv,
      ...runnerEnv({ actionPath, runnerTemp, summary, apiUrl: gh.url, repository: REPO, runId: "4242" }),
      GITHUB_SHA: sha,
      GITHUB_EVENT_PATH: eventPath,
    };
    const ctx: Record<string, string> = {
      ...inputsContext(call),
      "github.token": gh.token,
      "github.event.pull_request.number": "",
      ...github,
    };
    // Input defaults may be expressions themselves (github-token: ${{ github.token }}).
    for (const [k, v] of Object.entries(ctx)) if (k.startsWith("inputs.")) ctx[k] = resolve(v, ctx);
    const steps: Record<string, StepRun> = {};
    let failed = false;
    for (const step of readAction().runs.steps) {
      // setup-node (a `uses:` step) is the runner's business; every `run:` step runs here.
      if (!step.run) continue;
      if (!condition(step.if, ctx, failed)) continue;
      const r = await runStep(step, ctx, env, ws);
      outputs.push(r.stdout, r.stderr);
      steps[step.id ?? step.name ?? "?"] = r;
      if (step.id) for (const [k, v] of Object.entries(r.outputs)) ctx[`steps.${step.id}.outputs.${k}`] = v;
      if (r.code !== 0) failed = true;
    }
    const text = readFileSync(summary, "utf8");
    outputs.push(text);
    return { steps, failed, summary: text };
  }

  /** The call of a workflow with some inputs changed, as another repository's workflow might set them. */
  const withInputs = (call: Step, inputs: Record<string, string>): Step => ({ ...call, with: { ...call.with, ...inputs } });

  const planCall = () => only(actionCalls("secrets-plan.yml"));
  const applyCall = () => only(actionCalls("secrets-apply.yml"));
  const driftCall = () => only(actionCalls("secrets-drift.yml"));
  let savedPlan = "";

  it("secrets-plan.yml: plans the pull request, posts one sticky comment, saves the plan for upload", async () => {
    expect(planCall().with).toMatchObject({ command: "plan", "detailed-exitcode": "true" });
    const runs = await runAction(planCall(), { "github.event.pull_request.number": "7" });
    const run = runs.steps.sopsync as StepRun;
    expect(run.code, run.stderr).toBe(0);
    expect(run.outputs.exitcode).toBe("2");
    const plan = JSON.parse(readFileSync(run.outputs.plan as string, "utf8"));
    expect(plan.formatVersion).toBe(2);
    expect(plan.targets[0].summary.create).toBe(3);
    expect(runs.summary).toContain("<!-- sopsync:sopsync-demo -->");

    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]?.issue).toBe(7);
    expect(gh.comments[0]?.user.id).toBe(ACTIONS_BOT.id);
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
    expect(runs.steps.sopsync?.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.requests).toContain(`PATCH /repos/${REPO}/issues/comments/${gh.comments[0]?.id}`);
  });

  it("secrets-apply.yml applies the merged pull request's saved plan when it still matches, each write tagged with plan and commit", async () => {
    gh.pulls.push({ number: 7, merge_commit_sha: mergeSha(7), merged_at: "2026-01-01T00:00:00Z" });
    const planId = JSON.parse(readFileSync(savedPlan, "utf8")).planId as string;
    proxy.resetStats();
    writeAgents.length = 0;
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": savedPlan }, { sha: mergeSha(7) });
    const run = runs.steps.sopsync as StepRun;
    expect(runs.failed, run.stdout).toBe(false);
    expect(run.outputs.exitcode).toBe("0");
    expect(run.outputs["saved-plan"]).toBe("applied");
    expect(run.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 not started/);
    expect(tagsOf((await describeSecret(sm(), "demo/db")).Tags)).toMatchObject({ "sopsync:managed-by": "sopsync-demo" });
    expect(runs.summary).toMatch(/still matched the account and the merged manifest, and was applied/);
    expect(runs.summary).toContain("Apply: 3 applied");
    // CloudTrail ties each write to the reviewed plan and the merge commit.
    expect(secretWrites()).toBeGreaterThanOrEqual(3);
    for (const ua of writeAgents) {
      expect(ua).toContain(`sopsync-plan/${planId}`);
      expect(ua).toContain(`sopsync-commit/${mergeSha(7)}`);
    }
    // Nothing to tell the pull request: what it reviewed is what ran.
    expect(gh.comments.filter((c) => c.issue === 7)).toHaveLength(1);
  });

  it("secrets-apply.yml refuses a forged saved plan with exit code 3 and writes nothing (the artifact comes from a pull-request run)", async () => {
    // A plan doing nothing, as a pull request would save it now, plus a delete nobody reviewed.
    const plan = await runAction(planCall(), { "github.event.pull_request.number": "8" });
    const forged = JSON.parse(readFileSync(plan.steps.sopsync?.outputs.plan as string, "utf8"));
    const db = forged.targets[0].changes.find((c: { name: string }) => c.name === "demo/db");
    db.actions = [{ type: "delete", recoveryWindowDays: 7 }];
    const file = join(mkdtempSync(join(tmpdir(), "sopsync-artifact-")), "plan.json");
    writeFileSync(file, JSON.stringify(forged));
    proxy.resetStats();
    // No pull request is known for this commit: the fresh plan is in the job summary only.
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": file }, { sha: mergeSha(0xf0) });
    const run = runs.steps.sopsync as StepRun;
    expect(runs.failed).toBe(true);
    expect(run.code).toBe(3);
    expect(run.outputs.exitcode).toBe("3");
    expect(run.outputs["saved-plan"]).toBe("mismatch");
    expect(secretWrites()).toBe(0);
    expect((await describeSecret(sm(), "demo/db")).DeletedDate).toBeUndefined();
    expect(runs.summary).toMatch(/\*\*Nothing was applied\.\*\*/);
    expect(runs.steps["Comment on the merged pull request"]?.stderr).toMatch(/no merged pull request found/);

    // A plan id carrying a workflow command is refused as malformed; the command never starts a line.
    forged.targets[0].changes.find((c: { name: string }) => c.name === "demo/db").actions = [];
    forged.planId = "0b7f6c1e-3d1a-4c2b-9e8f-5a6b7c8d9e0f\n::add-mask::demo";
    writeFileSync(file, JSON.stringify(forged));
    proxy.resetStats();
    const injected = await runAction(applyCall(), { "steps.saved.outputs.plan": file }, { sha: mergeSha(0xf1) });
    expect(injected.failed).toBe(true);
    expect(injected.steps.sopsync?.outputs["saved-plan"]).toBe("failed");
    expect(secretWrites()).toBe(0);
    const printed = Object.values(injected.steps)
      .flatMap((r) => [r.stdout, r.stderr])
      .join("\n");
    expect(printed).not.toMatch(/^::add-mask::/m);
    expect(printed.match(/^::\w+::.*$/gm) ?? []).toEqual([]);
  });

  let mismatching = "";
  it("secrets-apply.yml: a saved plan the account no longer matches fails, writes nothing, and shows the fresh plan in the summary and on the pull request", async () => {
    // Pull request #9 was planned on a clean account: nothing to do. Then someone writes by hand.
    const plan = await runAction(planCall(), { "github.event.pull_request.number": "9" });
    expect(plan.steps.sopsync?.outputs.exitcode).toBe("0");
    mismatching = join(mkdtempSync(join(tmpdir(), "sopsync-artifact-")), "plan.json");
    copyFileSync(plan.steps.sopsync?.outputs.plan as string, mismatching);
    await putString(sm(), "demo/api-token", "changed-by-hand");
    const before = (await describeSecret(sm(), "demo/api-token")).VersionIdsToStages;
    gh.pulls.push({ number: 9, merge_commit_sha: mergeSha(9), merged_at: "2026-01-02T00:00:00Z" });

    proxy.resetStats();
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": mismatching }, { sha: mergeSha(9) });
    const run = runs.steps.sopsync as StepRun;
    expect(runs.failed).toBe(true);
    expect(run.code).toBe(3);
    expect(run.outputs.exitcode).toBe("3");
    expect(run.outputs["saved-plan"]).toBe("mismatch");
    expect(run.stdout).toMatch(
      /^::error::The reviewed plan no longer matches the account or the merged manifest, so nothing was written/m,
    );
    // Zero writes to secrets on the wire (the apply lock's own calls aside), and the value is as it was.
    expect(secretWrites()).toBe(0);
    expect(await getString(sm(), "demo/api-token")).toBe("changed-by-hand");
    expect((await describeSecret(sm(), "demo/api-token")).VersionIdsToStages).toEqual(before);

    // The fresh plan, not applied, in the job summary ...
    expect(runs.summary).toMatch(/\[!CAUTION\]\n> \*\*Nothing was applied\.\*\*/);
    expect(runs.summary).toContain("Why the reviewed plan was refused");
    expect(runs.summary).toMatch(/<b>demo\/api-token<\/b>: update-value/);
    // ... and on the merged pull request, in a comment the action itself wrote.
    const onPr = gh.comments.filter((c) => c.issue === 9 && c.body.startsWith(`${applyMarkerFor(mergeSha(9))}\n`));
    expect(onPr).toHaveLength(1);
    expect(onPr[0]?.user.id).toBe(ACTIONS_BOT.id);
    expect(onPr[0]?.body).toMatch(/Nothing was applied/);
    expect(onPr[0]?.body).toMatch(/<b>demo\/api-token<\/b>: update-value/);
    expect(onPr[0]?.body).toContain("https://github.com/acme/infra/actions/runs/4242");
  });

  it("secrets-apply.yml run again for the same merge updates its pull-request comment instead of adding one", async () => {
    proxy.resetStats();
    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": mismatching }, { sha: mergeSha(9) });
    expect(runs.steps.sopsync?.code).toBe(3);
    expect(secretWrites()).toBe(0);
    const onPr = gh.comments.filter((c) => c.issue === 9 && c.body.startsWith(applyMarkerFor(mergeSha(9))));
    expect(onPr).toHaveLength(1);
    expect(gh.requests).toContain(`PATCH /repos/${REPO}/issues/comments/${onPr[0]?.id}`);
  });

  it("secrets-apply.yml with on-mismatch: apply applies the fresh plan instead, and says so", async () => {
    proxy.resetStats();
    const call = withInputs(applyCall(), { "on-mismatch": "apply" });
    const runs = await runAction(call, { "steps.saved.outputs.plan": mismatching }, { sha: mergeSha(9) });
    const run = runs.steps.sopsync as StepRun;
    expect(runs.failed, run.stdout).toBe(false);
    expect(run.outputs.exitcode).toBe("0");
    expect(run.outputs["saved-plan"]).toBe("replaced");
    expect(run.stdout).toMatch(/^::warning::The reviewed plan no longer matches .*on-mismatch is apply, so the fresh plan/m);
    expect(await getString(sm(), "demo/api-token")).toBe(canaries.token);
    expect(secretWrites()).toBeGreaterThan(0);
    expect(runs.summary).toMatch(/\[!WARNING\][\s\S]*fresh plan below was applied instead, and it was applied/);
    const onPr = gh.comments.filter((c) => c.issue === 9 && c.body.startsWith(applyMarkerFor(mergeSha(9))));
    expect(onPr).toHaveLength(1);
    expect(onPr[0]?.body).toMatch(/`on-mismatch` input is `apply`, so the fresh plan below was applied instead/);
  });

  it("secrets-apply.yml: unknown sopsync: tags on a secret survive a plan and apply through the action", async () => {
    // A newer sopsync's tag on demo/db, and a declared tag removed by hand so apply has tags to write.
    const arn = (await describeSecret(sm(), "demo/db")).ARN;
    await sm().send(new TagResourceCommand({ SecretId: arn, Tags: [{ Key: "sopsync:from-a-newer-version", Value: "kept" }] }));
    await sm().send(new UntagResourceCommand({ SecretId: arn, TagKeys: ["tier"] }));
    const plan = await runAction(planCall(), { "github.event.pull_request.number": "10" });
    expect(plan.steps.sopsync?.outputs.exitcode).toBe("2");
    const saved = JSON.parse(readFileSync(plan.steps.sopsync?.outputs.plan as string, "utf8"));
    expect(JSON.stringify(saved)).not.toMatch(/"untag"[^\]]*from-a-newer-version/);
    const file = join(mkdtempSync(join(tmpdir(), "sopsync-artifact-")), "plan.json");
    copyFileSync(plan.steps.sopsync?.outputs.plan as string, file);

    const runs = await runAction(applyCall(), { "steps.saved.outputs.plan": file }, { sha: mergeSha(10) });
    expect(runs.failed, runs.steps.sopsync?.stdout).toBe(false);
    expect(runs.steps.sopsync?.outputs["saved-plan"]).toBe("applied");
    expect(tagsOf((await describeSecret(sm(), "demo/db")).Tags)).toMatchObject({
      "sopsync:from-a-newer-version": "kept",
      "sopsync:managed-by": "sopsync-demo",
      tier: "data",
    });
    // Planning again finds nothing to do: the unknown tag is not drift.
    const again = await runAction(planCall(), { "github.event.pull_request.number": "10" });
    expect(again.steps.sopsync?.outputs.exitcode).toBe("0");
  });

  it("secrets-drift.yml: clean account, exit code 0, no issue", async () => {
    const runs = await runAction(driftCall(), {});
    expect(runs.steps.sopsync?.code).toBe(0);
    expect(runs.steps.sopsync?.outputs.exitcode).toBe("0");
    expect(gh.issues).toHaveLength(0);
  });

  it("secrets-drift.yml: an out-of-band write opens one labelled issue naming the secret and the cause, then updates it", async () => {
    await putString(sm(), "demo/api-token", "changed-by-hand-again");
    for (let i = 0; i < 2; i++) {
      const runs = await runAction(driftCall(), {});
      expect(runs.steps.sopsync?.code, runs.steps.sopsync?.stderr).toBe(0);
      expect(runs.steps.sopsync?.outputs.exitcode).toBe("2");
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
    expect(runs.failed, runs.steps.sopsync?.stdout).toBe(false);
    expect(runs.steps.sopsync?.outputs["saved-plan"]).toBe("");
    expect(runs.summary).toMatch(/<b>demo\/api-token<\/b>: update-value/);
    expect(runs.summary).toContain("Apply: 1 applied");
    expect(await getString(sm(), "demo/api-token")).toBe(canaries.token);
    const drift = await runAction(driftCall(), {});
    expect(drift.steps.sopsync?.outputs.exitcode).toBe("0");
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
