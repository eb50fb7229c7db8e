// Every workflow passes actionlint (which also checks the `with:` of `uses: ./` against action.yml),
// and so do the action's own steps, linted as the steps of a reusable workflow with the same inputs.
// Each embedded script also parses with bash -n.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { projectRoot, toolPath } from "../helpers/tools.js";
import { readAction, readWorkflow } from "./workflow-steps.js";

const workflowsDir = join(projectRoot, ".github/workflows");
const ours = ["secrets-plan.yml", "secrets-apply.yml", "secrets-drift.yml"];

function actionlint(args: string[], cwd = projectRoot) {
  const r = spawnSync(toolPath("actionlint"), ["-no-color", ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("actionlint", () => {
  it("passes on every workflow in .github/workflows", () => {
    const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toEqual(expect.arrayContaining(ours));
    const r = actionlint(files.map((f) => join(".github/workflows", f)));
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("catches a wrong input to the action (so the test above is not vacuous)", () => {
    const wf = readWorkflow("secrets-drift.yml");
    const step = wf.jobs.drift?.steps.find((s) => s.uses === "./");
    if (!step?.with) throw new Error("secrets-drift.yml no longer calls the action");
    step.with["detailed-exit-code"] = "true"; // misspelt
    // A copy of the project's layout, so `uses: ./` resolves to (a copy of) the real action.yml.
    const dir = mkdtempSync(join(tmpdir(), "sopsync-lint-"));
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    mkdirSync(join(dir, ".git")); // actionlint finds the project root (and so `./`) by its .git
    copyFileSync(join(projectRoot, "action.yml"), join(dir, "action.yml"));
    writeFileSync(join(dir, ".github/workflows/bad.yml"), YAML.stringify(wf));
    const r = actionlint([".github/workflows/bad.yml"], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/input "detailed-exit-code" is not defined in action "sopsync"/);
  });

  it("passes on the action's steps, linted as a reusable workflow with the same inputs", () => {
    const action = readAction();
    const inputs = Object.fromEntries(
      Object.entries(action.inputs).map(([k, v]) => [k, { type: "string", required: v.required ?? false }]),
    );
    const wf = {
      name: "action steps",
      on: { workflow_call: { inputs } },
      jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
    };
    // A workflow_call input default cannot be an expression; the action's `github.token` default is dropped.
    const text = YAML.stringify(wf).replaceAll(`$${"{{"} github.token }}`, "x");
    const dir = mkdtempSync(join(tmpdir(), "sopsync-lint-"));
    mkdirSync(join(dir, ".github/workflows"), { recursive: true });
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".github/workflows/action-steps.yml"), text);
    const r = actionlint([".github/workflows/action-steps.yml"], dir);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  it("every run script in the action and the workflows parses with bash -n", () => {
    const scripts: [string, string][] = [];
    for (const s of readAction().runs.steps) if (s.run) scripts.push([`action.yml: ${s.name ?? s.id}`, s.run]);
    for (const f of ours)
      for (const j of Object.values(readWorkflow(f).jobs))
        for (const s of j.steps) if (s.run) scripts.push([`${f}: ${s.name}`, s.run]);
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    for (const [where, script] of scripts) {
      const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
      expect(r.stderr, where).toBe("");
      expect(r.status, where).toBe(0);
    }
  });
});
