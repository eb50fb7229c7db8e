// The fleet workflows: the examples pass the pinned actionlint and their scripts parse, and the fleet
// comment is one sticky comment of its own, found by a marker no scope comment can have.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { plan } from "../../src/plan/plan.js";
import { FLEET_MARKER, renderFleetMarkdown } from "../../src/plan/render-fleet.js";
import { markerFor } from "../../scripts/gitops/comment.mjs";
import { runProcess } from "../helpers/spawn.js";
import { projectRoot, toolPath } from "../helpers/tools.js";
import { desiredState, liveState, secret } from "../plan/fixtures.js";
import { ACTIONS_BOT, type FakeGitHub, startFakeGitHub, type User } from "./fake-github.js";

const examples = ["secrets-fleet-plan.yml", "secrets-fleet-apply.yml"].map((f) => join("examples/workflows", f));

function actionlint(files: string[]) {
  const r = spawnSync(toolPath("actionlint"), ["-no-color", ...files], { cwd: projectRoot, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("the fleet example workflows", () => {
  it("pass actionlint", () => {
    const r = actionlint(examples);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("fail actionlint when broken (so the check above is not vacuous)", () => {
    const wf = YAML.parse(readFileSync(join(projectRoot, examples[0] as string), "utf8"));
    wf.jobs.plan.strategy.matrix = `$${"{{"} fromJSON(needs.nosuchjob.outputs.matrix) }}`;
    const dir = mkdtempSync(join(tmpdir(), "sopsync-fleet-lint-"));
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, YAML.stringify(wf));
    const r = actionlint([bad]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/nosuchjob/);
  });

  it("run targets, a plan per matrix entry and one report that posts the fleet comment", () => {
    const wf = YAML.parse(readFileSync(join(projectRoot, examples[0] as string), "utf8"));
    const runs = (job: string) => (wf.jobs[job].steps as { run?: string }[]).map((s) => s.run ?? "").join("\n");
    expect(runs("targets")).toMatch(/targets secrets --json/);
    expect(wf.jobs.plan.strategy.matrix).toBe(`$${"{{"} fromJSON(needs.targets.outputs.matrix) }}`);
    expect(runs("report")).toMatch(/report "\$\{plans\[@\]\}" --targets matrix\.json --format markdown/);
    expect(runs("report")).toMatch(/main\.mjs comment --fleet --markdown fleet\.md/);
    // Each apply job applies its own target's reviewed plan, downloaded from the plan run.
    const applyWf = YAML.parse(readFileSync(join(projectRoot, examples[1] as string), "utf8"));
    const applySteps = applyWf.jobs.apply.steps as { id?: string; run?: string; with?: Record<string, string> }[];
    expect(applySteps.find((s) => s.id === "saved")?.run).toMatch(/--name "sopsync-plan-\$TARGET"/);
    expect(applySteps.find((s) => s.id === "apply")?.with?.["plan-file"]).toBe(`$${"{{"} steps.saved.outputs.plan }}`);
    for (const f of examples) {
      for (const job of Object.values(YAML.parse(readFileSync(join(projectRoot, f), "utf8")).jobs) as {
        steps: { run?: string }[];
      }[])
        for (const s of job.steps)
          if (s.run) {
            const r = spawnSync("bash", ["-n"], { input: s.run, encoding: "utf8" });
            expect(r.stderr, f).toBe("");
          }
    }
  });
});

describe("the fleet comment", () => {
  const REPO = "acme/infra";
  let gh: FakeGitHub;
  let dir: string;
  beforeAll(async () => {
    gh = await startFakeGitHub(REPO);
    dir = mkdtempSync(join(tmpdir(), "sopsync-fleet-comment-"));
  });
  afterAll(async () => {
    await gh?.close();
  });

  const fleetOf = (n: number) => ({
    targets: Array.from({ length: n }, (_, i) => {
      const account = String(200000000000 + i);
      const p = plan(
        [{ desired: desiredState([secret(`a${i}/x`)], { target: { account } }), live: liveState([], { account }) }],
        {
          planId: `00000000-0000-4000-8000-00000000000${i}`,
          createdAt: "2026-11-30T10:00:00.000Z",
        },
      );
      return { file: `p${i}.json`, plan: p, target: p.targets[0] as (typeof p.targets)[number] };
    }),
    errors: [],
  });

  const post = (markdown: string) => {
    const file = join(dir, "fleet.md");
    writeFileSync(file, markdown);
    return runProcess(
      process.execPath,
      [join(projectRoot, "scripts/gitops/main.mjs"), "comment", "--fleet", "--markdown", file, "--pr", "9"],
      {
        env: { PATH: process.env.PATH ?? "", GITHUB_TOKEN: gh.token, GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: REPO },
      },
    );
  };

  it("uses the marker the renderer writes, one that no scope id can produce", () => {
    // Defined once for the scripts, in comment.mjs (main.mjs imports it).
    const script = readFileSync(join(projectRoot, "scripts/gitops/comment.mjs"), "utf8");
    expect(script).toContain(`export const FLEET_MARKER = "${FLEET_MARKER}";`);
    expect(FLEET_MARKER).not.toMatch(/^<!-- sopsync:/);
    expect(markerFor("fleet")).not.toBe(FLEET_MARKER);
  });

  it("is posted once, then updated; a planted copy and the scope comments are left alone", async () => {
    const mallory: User = { login: "mallory", id: 666, type: "User" };
    const planted = gh.addComment(9, `${FLEET_MARKER}\nplanted`, mallory);
    const scope = gh.addComment(9, `${markerFor("team-a")}\nscope comment`, ACTIONS_BOT);
    const first = await post(renderFleetMarkdown(fleetOf(3)));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/posted the fleet plan comment/);
    const second = await post(renderFleetMarkdown(fleetOf(4)));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/updated the fleet plan comment/);
    const mine = gh.comments.filter((c) => c.user.id === ACTIONS_BOT.id && c.body.startsWith(`${FLEET_MARKER}\n`));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.body).toContain("200000000003");
    expect(planted.body).toBe(`${FLEET_MARKER}\nplanted`);
    expect(scope.body).toBe(`${markerFor("team-a")}\nscope comment`);
  });

  it("puts a one-target report (today's scope comment) under the fleet marker too", async () => {
    const one = fleetOf(1).targets[0];
    if (!one) throw new Error("fixture");
    const { renderMarkdown } = await import("../../src/plan/render-markdown.js");
    const r = await post(renderMarkdown(one.plan));
    expect(r.code, r.stderr).toBe(0);
    const mine = gh.comments.filter((c) => c.user.id === ACTIONS_BOT.id && c.body.startsWith(`${FLEET_MARKER}\n`));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.body.startsWith(`${FLEET_MARKER}\n${markerFor("team-a")}\n`)).toBe(true);
  });
});

describe("the report job of secrets-fleet-plan.yml, run as the runner would", () => {
  const REPO = "acme/infra";
  let gh: FakeGitHub;
  afterAll(async () => {
    await gh?.close();
  });

  it("reports the downloaded plans and the target whose job failed in one comment and the job summary", async () => {
    gh = await startFakeGitHub(REPO);
    const dir = mkdtempSync(join(tmpdir(), "sopsync-fleet-job-"));
    // `.sopsync` as the workflow's checkout of sopsync would be: the committed bundle and the scripts.
    mkdirSync(join(dir, ".sopsync"));
    symlinkSync(join(projectRoot, "action"), join(dir, ".sopsync/action"));
    symlinkSync(join(projectRoot, "scripts"), join(dir, ".sopsync/scripts"));
    // What download-artifact leaves: one folder per artifact. Target 3's job failed: no plan.
    const include = [0, 1, 2, 3].map((i) => {
      const account = String(300000000000 + i);
      return { account, region: "eu-west-1", files: [`secrets/t${i}.yaml`], name: `${account}-eu-west-1` };
    });
    writeFileSync(join(dir, "matrix.json"), JSON.stringify({ include }));
    for (const i of [0, 1, 2]) {
      const account = String(300000000000 + i);
      const p = plan(
        [{ desired: desiredState([secret(`t${i}/db`)], { target: { account } }), live: liveState([], { account }) }],
        {
          planId: `00000000-0000-4000-8000-00000000010${i}`,
          createdAt: "2026-11-30T10:00:00.000Z",
        },
      );
      mkdirSync(join(dir, `plans/sopsync-plan-${account}-eu-west-1`), { recursive: true });
      writeFileSync(join(dir, `plans/sopsync-plan-${account}-eu-west-1/plan.json`), JSON.stringify(p));
    }
    writeFileSync(join(dir, "event.json"), JSON.stringify({ pull_request: { number: 12 } }));
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "");
    const wf = YAML.parse(readFileSync(join(projectRoot, examples[0] as string), "utf8"));
    const step = (wf.jobs.report.steps as { name?: string; run?: string }[]).find((s) => s.name === "sopsync report");
    if (!step?.run) throw new Error("secrets-fleet-plan.yml has no 'sopsync report' step");
    const r = await runProcess("bash", ["-e", "-c", step.run], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        GITHUB_TOKEN: gh.token,
        GITHUB_API_URL: gh.url,
        GITHUB_REPOSITORY: REPO,
        GITHUB_EVENT_PATH: join(dir, "event.json"),
        GITHUB_STEP_SUMMARY: summary,
        RUN_URL: "https://github.com/acme/infra/actions/runs/5",
      },
    });
    expect(r.stderr).toMatch(/posted the fleet plan comment/);
    expect(r.code, r.stderr).toBe(0);
    const [comment] = gh.comments.filter((c) => c.issue === 12);
    expect(gh.comments.filter((c) => c.issue === 12)).toHaveLength(1);
    const body = comment?.body ?? "";
    expect(body.startsWith(`${FLEET_MARKER}\n`)).toBe(true);
    for (const i of [0, 1, 2]) expect(body).toContain(`| \`30000000000${i}\` | \`eu-west-1\` | \`team-a\` | **1** |`);
    expect(body).toContain("| `300000000003` | `eu-west-1` | — |");
    expect(body).toContain("**1 target(s) have no plan**");
    const written = readFileSync(summary, "utf8");
    expect(written).toContain("300000000003");
    expect(written).toContain("t2/db");
  });
});
