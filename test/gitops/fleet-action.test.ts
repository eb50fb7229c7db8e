// The action (its own step scripts, read from action.yml) over a folder of manifests for several
// targets, against moto and a fake GitHub: a plan of several targets is ONE sticky pull-request
// comment (the fleet comment, updated in place on the next run), a single-target plan keeps its
// per-scope comment, and the drift check keeps ONE issue for the fleet that lists the drifted
// targets, then their secrets, and is closed once every target matches.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetMarker } from "../../scripts/gitops/comment.mjs";
import { FLEET_MARKER } from "../../src/plan/render-fleet.js";
import { manifestText, type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { assertNoCanary, runCli } from "../helpers/cli.js";
import { MOTO_ACCOUNT } from "../helpers/moto.js";
import { runSops } from "../helpers/tools.js";
import { ACTIONS_BOT, type FakeGitHub, startFakeGitHub } from "./fake-github.js";
import { actionStep, fakeActionPath, inputsContext, resolve, runnerEnv, runStep, type StepRun } from "./workflow-steps.js";

const REPO = "acme/infra";
const CANARY = "canary-fleet-action-3e9a";
/** Two scopes in one account and Region, one in another Region: three targets, sorted like this. */
const TARGETS = [
  { scope: "team-a", region: "eu-west-1" },
  { scope: "team-b", region: "eu-west-1" },
  { scope: "team-c", region: "us-west-2" },
];

describe("the action over a fleet of targets", () => {
  let w: ProxiedMoto;
  let gh: FakeGitHub;
  let actionPath: string;
  const manifests = new Map<string, string>();
  const outputs: string[] = [];

  beforeAll(async () => {
    w = await startProxiedMoto("fleet-action", {});
    gh = await startFakeGitHub(REPO);
    actionPath = fakeActionPath();
    mkdirSync(join(w.dir, "fleet"));
    const config = join(w.dir, "sops-config.yaml");
    writeFileSync(config, `creation_rules:\n  - encrypted_regex: ^(value|binary)$\n    age: ${w.recipient}\n`);
    for (const { scope, region } of TARGETS) {
      const file = join(w.dir, "fleet", `${scope}.yaml`);
      const secrets = { [`${scope}/db`]: `${CANARY}-db`, [`${scope}/api`]: `${CANARY}-api` };
      writeFileSync(
        file,
        manifestText({ scopeId: scope, prefix: `${scope}/`, secrets }).replace("region: eu-west-1", `region: ${region}`),
      );
      const r = runSops(["--config", config, "encrypt", "--in-place", file], {});
      if (r.status !== 0) throw new Error(`sops encrypt failed: ${r.stderr}`);
      manifests.set(scope, readFileSync(file, "utf8"));
    }
  }, 120_000);
  afterAll(async () => {
    assertNoCanary([...outputs, ...gh.comments.map((c) => c.body), ...gh.issues.map((i) => i.body)], { value: CANARY });
    await gh?.close();
    await stopProxiedMoto(w);
  });

  /**
   * The action's steps as the runner runs them for `command`: the sopsync step, the job summary, then
   * the step that talks to GitHub (the sticky comment for plan, the drift issue for drift).
   */
  async function runAction(command: "plan" | "drift", files: string, pr = "") {
    const runnerTemp = mkdtempSync(join(tmpdir(), "sopsync-runner-"));
    const summary = join(runnerTemp, "summary.md");
    writeFileSync(summary, "");
    const call = { uses: "./", with: { command, files, "detailed-exitcode": "true" } };
    const ctx: Record<string, string> = {
      ...inputsContext(call),
      "github.token": gh.token,
      "github.event.pull_request.number": pr,
    };
    for (const [k, v] of Object.entries(ctx)) if (k.startsWith("inputs.")) ctx[k] = resolve(v, ctx);
    const env = {
      ...w.env,
      ...runnerEnv({ actionPath, runnerTemp, summary, apiUrl: gh.url, repository: REPO, runId: "777" }),
    };
    const steps: Record<string, StepRun> = {};
    const names = ["sopsync", "Job summary", command === "plan" ? "Sticky pull-request comment" : "Drift issue"];
    for (const name of names) {
      const r = await runStep(actionStep(name), ctx, env, w.dir);
      outputs.push(r.stdout, r.stderr);
      steps[name] = r;
      if (name === "sopsync") for (const [k, v] of Object.entries(r.outputs)) ctx[`steps.sopsync.outputs.${k}`] = v;
    }
    return { steps, summary: readFileSync(summary, "utf8") };
  }

  const tableRows = (body: string) => body.split("\n").filter((l) => /^\| `\d{12}` \|/.test(l));
  const mine = (pr: number) => gh.comments.filter((c) => c.issue === pr && c.user.id === ACTIONS_BOT.id);

  it("plan over the folder posts one fleet comment for all its targets", async () => {
    const run = await runAction("plan", "fleet", "5");
    expect(run.steps.sopsync?.code, run.steps.sopsync?.stderr).toBe(0);
    expect(run.steps.sopsync?.outputs.exitcode).toBe("2");
    const posted = run.steps["Sticky pull-request comment"] as StepRun;
    expect(posted.code, posted.stderr).toBe(0);
    expect(posted.stderr).toContain("posted the fleet plan comment");
    expect(mine(5)).toHaveLength(1);
    const body = mine(5)[0]?.body ?? "";
    // The action keys its fleet comment by its working directory and files.
    expect(body.startsWith(`${fleetMarker(". fleet")}\n`)).toBe(true);
    expect(body).not.toMatch(/^<!-- sopsync:/m);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(
      tableRows(body).map((l) =>
        l
          .split("|")
          .slice(1, 4)
          .map((c) => c.trim()),
      ),
    ).toEqual(TARGETS.map((t) => [`\`${MOTO_ACCOUNT}\``, `\`${t.region}\``, `\`${t.scope}\``]));
    for (const t of TARGETS) expect(body).toContain(`<b>${t.scope}/db</b>: create`);
    // The job summary shows the same review.
    expect(run.summary).toContain(FLEET_MARKER);
  });

  it("the next plan of the pull request updates that comment in place, never a second one", async () => {
    const before = mine(5)[0];
    rmSync(join(w.dir, "fleet", "team-b.yaml"));
    try {
      const run = await runAction("plan", "fleet", "5");
      expect(run.steps["Sticky pull-request comment"]?.stderr).toContain("updated the fleet plan comment");
    } finally {
      writeFileSync(join(w.dir, "fleet", "team-b.yaml"), manifests.get("team-b") as string);
    }
    expect(mine(5)).toHaveLength(1);
    expect(mine(5)[0]?.id).toBe(before?.id);
    expect(gh.requests).toContain(`PATCH /repos/${REPO}/issues/comments/${before?.id}`);
    expect(tableRows(mine(5)[0]?.body ?? "").map((l) => l.split("|")[3]?.trim())).toEqual(["`team-a`", "`team-c`"]);
  });

  it("a second use of the action planning other files on the same pull request keeps its own fleet comment", async () => {
    const first = mine(5)[0];
    const run = await runAction("plan", "fleet/team-a.yaml fleet/team-c.yaml", "5");
    expect(run.steps["Sticky pull-request comment"]?.stderr).toContain("posted the fleet plan comment");
    expect(mine(5)).toHaveLength(2);
    expect(mine(5).find((c) => c.id === first?.id)?.body).toBe(first?.body);
    const second = mine(5).find((c) => c.id !== first?.id)?.body ?? "";
    expect(second.startsWith(`${fleetMarker(". fleet/team-a.yaml fleet/team-c.yaml")}\n`)).toBe(true);
    expect(tableRows(second).map((l) => l.split("|")[3]?.trim())).toEqual(["`team-a`", "`team-c`"]);
  });

  it("a plan of one target keeps its per-scope comment", async () => {
    const run = await runAction("plan", "fleet/team-c.yaml", "6");
    expect(run.steps["Sticky pull-request comment"]?.stderr).toContain("posted the plan comment for team-c");
    expect(mine(6)).toHaveLength(1);
    expect(mine(6)[0]?.body.startsWith("<!-- sopsync:team-c -->\n")).toBe(true);
    expect(mine(6)[0]?.body).not.toContain(FLEET_MARKER);
  });

  it("drift opens one issue for the fleet listing the drifted targets and their secrets, updates it, closes it when clean", async () => {
    const open = () => gh.issues.filter((i) => i.state === "open" && i.labels.includes("secrets-drift"));
    const first = await runAction("drift", "fleet");
    expect(first.steps.sopsync?.outputs.exitcode).toBe("2");
    expect(first.steps["Drift issue"]?.code, first.steps["Drift issue"]?.stderr).toBe(0);
    expect(open()).toHaveLength(1);
    let body = open()[0]?.body ?? "";
    expect(body).toContain("sopsync found **6** secret(s)");
    expect(body).toContain("**3** of 3 target(s) drifted:");
    for (const t of TARGETS) {
      expect(body).toContain(`| \`${MOTO_ACCOUNT}\` | \`${t.region}\` | \`${t.scope}\` | 2 | 0 | 2 | 0 |`);
      expect(body).toContain(`#### \`${t.scope}\` · account \`${MOTO_ACCOUNT}\` · \`${t.region}\``);
    }
    // Each target's secrets under its own heading, in order.
    const sections = body.split("#### ").slice(1);
    expect(sections.map((s) => [...s.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]))).toEqual(
      TARGETS.map((t) => [`${t.scope}/api`, `${t.scope}/db`]),
    );

    // Two of the three targets applied: the same issue now lists the one left.
    const applied = await runCli(["apply", "fleet/team-a.yaml", "fleet/team-c.yaml", "--yes"], { cwd: w.dir, env: w.env });
    outputs.push(applied.stdout, applied.stderr);
    expect(applied.code, applied.stderr).toBe(0);
    const second = await runAction("drift", "fleet");
    expect(second.steps["Drift issue"]?.stderr).toMatch(/updated issue/);
    expect(open()).toHaveLength(1);
    body = open()[0]?.body ?? "";
    expect(body).toContain("**1** of 3 target(s) drifted:");
    expect(body).toContain("`team-b` · account");
    expect(body).not.toContain("`team-a` · account");
    expect(body).not.toContain("team-c/db");

    const rest = await runCli(["apply", "fleet", "--yes"], { cwd: w.dir, env: w.env });
    outputs.push(rest.stdout, rest.stderr);
    expect(rest.code, rest.stderr).toBe(0);
    const clean = await runAction("drift", "fleet");
    expect(clean.steps.sopsync?.outputs.exitcode).toBe("0");
    expect(clean.steps["Drift issue"]?.stderr).toMatch(/no drift; closed issue/);
    expect(open()).toHaveLength(0);
    expect(gh.issues).toHaveLength(1);
  });
});
