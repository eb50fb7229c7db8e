// `sopsync report`: fifty saved target plans (made by the planner, as matrix jobs would) become one
// pull-request comment within GitHub's limit; targets that do not fit and targets without a plan are
// shown in the table, never dropped; an invalid plan file is an error naming it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { plan } from "../../src/plan/plan.js";
import { FLEET_MARKER, GITHUB_COMMENT_LIMIT, renderFleetMarkdown } from "../../src/plan/render-fleet.js";
import { renderMarkdown } from "../../src/plan/render-markdown.js";
import { splitByScope } from "../../scripts/gitops/comment.mjs";
import { runCli } from "../helpers/cli.js";
import { desiredState, liveOf, liveState, secret, str } from "../plan/fixtures.js";
import { tempDir } from "../sops/helpers.js";

const CANARY = "canary-fleet-value-5e1d";
const REGIONS = ["eu-west-1", "us-east-1"];

/** Target i: its own account; `creates` secrets to create, one to update, one in sync. */
function targetPlan(i: number, creates: number): Plan {
  const account = String(100000000000 + i);
  const region = REGIONS[i % REGIONS.length] as string;
  const secrets = [
    ...Array.from({ length: creates }, (_, k) => secret(`app${i}/new-${k}`, { value: str(`${CANARY}-${k}`) })),
    secret(`app${i}/changed`, { value: str(CANARY) }),
    secret(`app${i}/same`),
  ];
  const changed = secrets.find((s) => s.name.endsWith("/changed"));
  const same = secrets.find((s) => s.name.endsWith("/same"));
  if (!changed || !same) throw new Error("fixture");
  const live = liveState([liveOf({ ...changed, value: str("old") }), liveOf(same)], { account, region });
  const desired = desiredState(secrets, {
    file: `fleet/t${i}.sops.yaml`,
    manifests: [{ file: `fleet/t${i}.sops.yaml`, sha256: "cd".repeat(32) }],
    target: { account, region },
  });
  return plan([{ desired, live }], {
    planId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    createdAt: "2026-11-30T10:00:00.000Z",
  });
}

function save(dir: string, name: string, p: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(p));
  return file;
}

const rows = (md: string) => md.split("\n").filter((l) => /^\| `\d{12}` \|/.test(l));

describe("sopsync report over 50 target plans", () => {
  let dir: string;
  let small: string[];
  let big: string[];
  beforeAll(() => {
    dir = tempDir("sopsync-fleet-");
    small = Array.from({ length: 50 }, (_, i) => save(dir, `small-${i}.json`, targetPlan(i, 2)));
    // Each of these is thousands of characters: fifty cannot fit in one comment.
    big = Array.from({ length: 50 }, (_, i) => save(dir, `big-${i}.json`, targetPlan(i, 60)));
  });

  it("renders one comment: a row per target, every target's details when they fit", async () => {
    const r = await runCli(["report", "--format", "markdown", ...small]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md.startsWith(`${FLEET_MARKER}\n`)).toBe(true);
    expect(md.split(FLEET_MARKER)).toHaveLength(2);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(rows(md)).toHaveLength(50);
    // Row: account, region, scope, create 2, update 1, restore 0, adopt 0, delete 0, drift 0, no error, details.
    expect(rows(md)).toContain("| `100000000007` | `us-east-1` | `team-a` | **2** | **1** | 0 | 0 | 0 | 0 |  | below |");
    expect(md.match(/^<summary><code>team-a<\/code> · account/gm)).toHaveLength(50);
    expect(md).not.toMatch(/not shown/);
    expect(md).toContain("app49/new-1");
    // The action's per-scope split finds no scope comment in it, so the two never collide.
    expect(splitByScope(md)).toEqual([]);
    expect(md).not.toContain(CANARY);
  });

  it("keeps to the limit when the details do not fit, marking each target left out and pointing to the rest", async () => {
    const r = await runCli(["report", "--format", "markdown", "--run-url", "https://github.com/o/r/actions/runs/7", ...big]);
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 20_000);
    expect(rows(md)).toHaveLength(50);
    const shown = (md.match(/^<summary><code>team-a<\/code> · account/gm) ?? []).length;
    const notShown = rows(md).filter((l) => l.endsWith("| **not shown**: too long, see the note |")).length;
    expect(shown).toBeGreaterThan(0);
    expect(notShown).toBeGreaterThan(0);
    expect(shown + notShown).toBe(50);
    expect(md).toContain(`The details of ${notShown} target(s) do not fit in one comment (65536 characters).`);
    expect(md).toContain("[job summary](https://github.com/o/r/actions/runs/7)");
    expect(md).toMatch(/plan artifacts/);
    // Every <details> opened is closed and no code fence is left open.
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
    expect((md.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(md).not.toContain(CANARY);
  });

  it("a larger limit (a job summary) holds every target", async () => {
    const r = await runCli(["report", "--format", "markdown", "--max-chars", "1000000", ...big]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/not shown/);
    expect(r.stdout.match(/^<summary><code>team-a<\/code> · account/gm)).toHaveLength(50);
  });

  it("shows a target of the matrix without a plan as an error row and a warning", async () => {
    const include = Array.from({ length: 51 }, (_, i) => {
      const account = String(100000000000 + i);
      const region = REGIONS[i % REGIONS.length] as string;
      return { account, region, files: [`fleet/t${i}.sops.yaml`], name: `${account}-${region}` };
    });
    const matrix = save(dir, "matrix.json", { include });
    const r = await runCli(["report", "--format", "markdown", "--targets", matrix, ...small]);
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(rows(md)).toHaveLength(51);
    expect(rows(md)).toContain(
      "| `100000000050` | `eu-west-1` | — |  |  |  |  |  |  | **no plan**: no plan for this target: its job failed or its plan was not passed to report | — |",
    );
    expect(md).toContain("> [!CAUTION]\n> **1 target(s) have no plan**");
    expect(md).toContain("failed**.");

    const text = await runCli(["report", "--targets", matrix, ...small]);
    expect(text.stdout).toMatch(/! account 100000000050, eu-west-1 \(100000000050-eu-west-1\): NO PLAN/);
    const json = JSON.parse((await runCli(["report", "--format", "json", "--targets", matrix, ...small])).stdout);
    expect(json.targets).toHaveLength(50);
    expect(json.errors).toEqual([expect.objectContaining({ account: "100000000050", region: "eu-west-1" })]);
  });

  it("keeps the error rows and the table even when not one target's details fit", () => {
    const fleet = {
      targets: [0, 1, 2].map((i) => {
        const p = targetPlan(i, 30);
        return { file: `p${i}.json`, plan: p, target: p.targets[0] as Plan["targets"][number] };
      }),
      errors: [{ account: "999999999999", region: "eu-west-1", name: "x|<y>", message: "job failed\n::error::z" }],
    };
    const md = renderFleetMarkdown(fleet, { limit: 2500 });
    expect(md.length).toBeLessThanOrEqual(2500);
    expect(rows(md)).toHaveLength(4);
    expect(md).toContain("The details of 3 target(s) do not fit");
    // Text from the matrix is one cell: no pipe, markup or line break of its own.
    expect(md).toContain("(x\\|&lt;y&gt;): job failed ::error::z");
    expect(md).not.toMatch(/^::error::/m);
  });

  it("a single target is today's comment, unchanged", async () => {
    const p = targetPlan(3, 1);
    const file = save(dir, "single.json", p);
    const r = await runCli(["report", "--format", "markdown", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(renderMarkdown(p));
  });

  it("refuses an invalid plan file, naming it", async () => {
    const p = targetPlan(4, 1) as unknown as { targets: { target: { account: string } }[] };
    (p.targets[0] as { target: { account: string } }).target.account = "not-an-account";
    const bad = save(dir, "edited.json", p);
    const r = await runCli(["report", "--format", "markdown", ...small.slice(0, 3), bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${bad}: not a valid sopsync plan`);
    const notJson = join(dir, "garbage.json");
    writeFileSync(notJson, "{");
    const g = await runCli(["report", notJson]);
    expect(g.code).toBe(1);
    expect(g.stderr).toContain(`${notJson}: not a readable plan file (not valid JSON)`);
  });

  it("renders one multi-target plan file (a fleet planned in one job) as the fleet comment", async () => {
    const parts = [5, 6, 7].map((i) => targetPlan(i, 1));
    const merged = { ...(parts[0] as Plan), targets: parts.flatMap((p) => p.targets) };
    const file = save(dir, "one-job.json", merged);
    const r = await runCli(["report", "--format", "markdown", file]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${FLEET_MARKER}\n`)).toBe(true);
    expect(rows(r.stdout).map((l) => l.slice(0, 18))).toEqual(["| `100000000005` |", "| `100000000006` |", "| `100000000007` |"]);
    expect(splitByScope(r.stdout)).toEqual([]);
  });

  it("refuses the same target planned in two files", async () => {
    const r = await runCli(["report", small[0] as string, small[0] as string]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/account 100000000000, eu-west-1, scope team-a is also planned in/);
  });
});
