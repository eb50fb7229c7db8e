// The sticky-comment helpers the action runs: one body per manifest, our comment found by its exact
// marker and its author (the token's own identity), and long plans shortened under GitHub's limit
// without breaking the markdown. The comment command also runs end to end against a fake GitHub.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan, SecretChange, TargetPlan } from "../../src/plan/model.js";
import { render } from "../../src/plan/render.js";
import { renderMarkdown } from "../../src/plan/render-markdown.js";
import {
  FLEET_MARKER,
  fleetMarker,
  findStickyComment,
  GITHUB_COMMENT_LIMIT,
  isOwnComment,
  markerFor,
  splitByScope,
  truncateBody,
} from "../../scripts/gitops/comment.mjs";
import { runProcess } from "../helpers/spawn.js";
import { projectRoot } from "../helpers/tools.js";
import { ACTIONS_BOT, type FakeGitHub, startFakeGitHub, type User } from "./fake-github.js";

function target(scopeId: string, n: number, opts: { policy?: boolean } = {}): TargetPlan {
  const changes: SecretChange[] = [];
  for (let i = 0; i < n; i++) {
    changes.push({
      name: `app/secret-${String(i).padStart(5, "0")}`,
      precondition: {
        state: "present",
        versionId: `v-${i}`,
        managedBy: scopeId,
        protected: false,
        description: "",
        kmsKeyId: null,
      },
      actions: [
        { type: "update-value", valueKind: "json", cause: "changed-outside", keys: [{ key: "password", change: "changed" }] },
        ...(opts.policy
          ? [{ type: "put-policy" as const, after: { Statement: Array.from({ length: 400 }, (_, k) => ({ Sid: `s${k}` })) } }]
          : []),
      ],
    });
  }
  return {
    manifests: [{ file: `${scopeId}.yaml`, sha256: "0".repeat(64) }],
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: scopeId },
    changes,
    unmanaged: [],
    summary: { create: 0, update: n, restore: 0, adopt: 0, delete: 0, noop: 0 },
  };
}

const plan = (...targets: TargetPlan[]): Plan => ({ formatVersion: 2, planId: "p", createdAt: "2026-01-01T00:00:00Z", targets });

/** Code fences and <details> blocks all closed, in order. */
function balanced(md: string): boolean {
  let fence = false;
  let depth = 0;
  for (const line of md.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    else if (!fence && line.startsWith("<details") && !line.includes("</details>")) depth++;
    else if (!fence && line.startsWith("</details>")) depth--;
    if (depth < 0) return false;
  }
  return !fence && depth === 0;
}

describe("splitByScope", () => {
  it("gives one body per manifest, each starting with its marker, without the separator", () => {
    const parts = splitByScope(renderMarkdown(plan(target("prod", 2), target("prod-eu", 1))));
    expect(parts.map((p) => p.scopeId)).toEqual(["prod", "prod-eu"]);
    expect(parts[0]?.body.startsWith(`${markerFor("prod")}\n`)).toBe(true);
    expect(parts[0]?.body).toContain("app/secret-00001");
    expect(parts[0]?.body).not.toMatch(/\n---\n*$/);
    expect(parts[1]?.body.startsWith(`${markerFor("prod-eu")}\n`)).toBe(true);
    expect(parts[1]?.body).not.toContain("app/secret-00001");
  });

  it("finds nothing in text without markers", () => {
    expect(splitByScope("no plan here\n")).toEqual([]);
  });
});

const bot = { login: "github-actions[bot]", id: 41898282, type: "Bot" };
const self = { login: "github-actions[bot]", id: 41898282 };
const mallory = { login: "mallory", id: 666, type: "User" };

describe("findStickyComment", () => {
  const body = (scope: string) => `${markerFor(scope)}\n### sopsync plan`;
  it("matches the exact scope only, never a longer id sharing the prefix", () => {
    const comments = [
      { id: 5, body: body("prod-eu"), user: bot },
      { id: 7, body: body("prod"), user: bot },
    ];
    expect(findStickyComment(comments, "prod", self)?.id).toBe(7);
    expect(findStickyComment(comments, "prod-eu", self)?.id).toBe(5);
    expect(findStickyComment(comments, "pro", self)).toBeUndefined();
  });

  it("ignores a human reply quoting the marker and picks the oldest of duplicates", () => {
    const comments = [
      { id: 30, body: body("prod"), user: bot },
      { id: 10, body: `> ${markerFor("prod")}\n> quoted`, user: bot },
      { id: 20, body: body("prod"), user: bot },
      { id: 40, body: null, user: bot },
    ];
    expect(findStickyComment(comments, "prod", self)?.id).toBe(20);
  });

  it("takes only a comment the token itself wrote, however old another author's marker comment is", () => {
    const comments = [
      { id: 1, body: body("prod"), user: mallory },
      { id: 2, body: body("prod"), user: { login: "github-actions", id: 9, type: "User" } },
      { id: 3, body: body("prod"), user: null },
      { id: 4, body: body("prod"), user: bot },
    ];
    expect(findStickyComment(comments, "prod", self)?.id).toBe(4);
    expect(findStickyComment(comments.slice(0, 3), "prod", self)).toBeUndefined();
  });

  it("refuses to look without the token's identity", () => {
    expect(() => findStickyComment([], "prod", undefined as never)).toThrow(/identity/);
  });
});

describe("isOwnComment", () => {
  it("compares numeric ids when both sides have one, whatever the logins say", () => {
    expect(isOwnComment({ id: 1, user: bot }, self)).toBe(true);
    expect(isOwnComment({ id: 1, user: { ...bot, id: 1 } }, self)).toBe(false);
    expect(isOwnComment({ id: 1, user: { login: "someone-else", id: 41898282, type: "Bot" } }, self)).toBe(true);
  });

  it("without ids, tolerates the [bot] suffix between bots only (REST `name[bot]`, GraphQL author `name`)", () => {
    const viewerBot = { login: "github-actions[bot]" };
    expect(isOwnComment({ id: 1, user: { login: "github-actions[bot]", type: "Bot" } }, viewerBot)).toBe(true);
    expect(isOwnComment({ id: 1, user: { login: "github-actions", type: "Bot" } }, viewerBot)).toBe(true);
    expect(isOwnComment({ id: 1, user: { login: "GitHub-Actions[bot]" } }, viewerBot)).toBe(true);
    // A person named like the app's bot is another account.
    expect(isOwnComment({ id: 1, user: { login: "github-actions", type: "User" } }, viewerBot)).toBe(false);
    // A personal token's viewer has no suffix: an app's bot of that name is not it.
    expect(isOwnComment({ id: 1, user: { login: "alice[bot]", type: "Bot" } }, { login: "alice" })).toBe(false);
    expect(isOwnComment({ id: 1, user: { login: "Alice", type: "User" } }, { login: "alice" })).toBe(true);
    expect(isOwnComment({ id: 1, user: { login: "mallory", type: "User" } }, { login: "alice" })).toBe(false);
  });
});

describe("the comment command against a fake GitHub", () => {
  const REPO = "acme/infra";
  let gh: FakeGitHub;
  let markdownFile: string;
  beforeAll(async () => {
    gh = await startFakeGitHub(REPO);
    markdownFile = join(mkdtempSync(join(tmpdir(), "sopsync-comment-")), "plan.md");
    writeFileSync(markdownFile, renderMarkdown(plan(target("prod", 2))));
  });
  afterAll(async () => {
    await gh?.close();
  });

  const runComment = () =>
    runProcess(
      process.execPath,
      [join(projectRoot, "scripts/gitops/main.mjs"), "comment", "--markdown", markdownFile, "--pr", "7"],
      {
        env: {
          PATH: process.env.PATH ?? "",
          GITHUB_TOKEN: gh.token,
          GITHUB_API_URL: gh.url,
          GITHUB_REPOSITORY: REPO,
        },
      },
    );

  it("ignores a marker comment another user posted first, and creates its own", async () => {
    const planted = gh.addComment(7, `${markerFor("prod")}\nplanted by the pull request's author`, mallory as User);
    const r = await runComment();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/posted the plan comment for prod/);
    expect(gh.requests).toContain("POST /graphql");
    expect(gh.requests.filter((q) => q.startsWith("PATCH"))).toEqual([]);
    expect(planted.body).toBe(`${markerFor("prod")}\nplanted by the pull request's author`);
    const mine = gh.comments.filter((c) => c.user.id === ACTIONS_BOT.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.body.startsWith(`${markerFor("prod")}\n`)).toBe(true);
    expect(mine[0]?.body).toContain("app/secret-00001");
  });

  it("updates its own comment on the next run, still leaving the planted one alone", async () => {
    const r = await runComment();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/updated the plan comment for prod/);
    const mine = gh.comments.filter((c) => c.user.id === ACTIONS_BOT.id);
    expect(mine).toHaveLength(1);
    expect(gh.requests.filter((q) => q.startsWith("PATCH"))).toEqual([`PATCH /repos/${REPO}/issues/comments/${mine[0]?.id}`]);
    expect(gh.comments).toHaveLength(2);
  });
});

describe("the comment command with the markdown of a plan of several targets", () => {
  const REPO = "acme/infra";
  let gh: FakeGitHub;
  const dir = mkdtempSync(join(tmpdir(), "sopsync-fleet-md-"));
  beforeAll(async () => {
    gh = await startFakeGitHub(REPO);
  });
  afterAll(async () => {
    await gh?.close();
  });

  /** `plan --format markdown` of `n` targets with `secrets` changes each, posted to pull request 8. */
  const runFleet = (n: number, secrets: number, key?: string) => {
    const targets = Array.from({ length: n }, (_, i) => {
      const t = target(`team-${String(i).padStart(2, "0")}`, secrets);
      return { ...t, target: { ...t.target, account: String(100000000000 + i) } };
    });
    const file = join(dir, `fleet-${n}.md`);
    writeFileSync(file, render(plan(...targets), "markdown"));
    return runProcess(
      process.execPath,
      [
        join(projectRoot, "scripts/gitops/main.mjs"),
        "comment",
        "--markdown",
        file,
        "--pr",
        "8",
        ...(key === undefined ? [] : ["--comment-key", key]),
      ],
      {
        env: { PATH: process.env.PATH ?? "", GITHUB_TOKEN: gh.token, GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: REPO },
      },
    );
  };
  const mine = () => gh.comments.filter((c) => c.issue === 8 && c.user.id === ACTIONS_BOT.id);

  it("posts one fleet comment, not one per scope; a planted copy is left alone", async () => {
    const planted = gh.addComment(8, `${FLEET_MARKER}\nplanted`, mallory as User);
    const r = await runFleet(3, 2);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("sopsync: posted the fleet plan comment\n");
    expect(mine()).toHaveLength(1);
    expect(mine()[0]?.body.startsWith(`${FLEET_MARKER}\n`)).toBe(true);
    expect(mine()[0]?.body.match(/<summary><code>team-\d\d<\/code>/g)).toHaveLength(3);
    expect(planted.body).toBe(`${FLEET_MARKER}\nplanted`);
  });

  it("updates it in place on the next run, and a fleet too big for one comment stays one comment within the limit", async () => {
    const id = mine()[0]?.id;
    const r = await runFleet(40, 150);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("sopsync: updated the fleet plan comment\n");
    expect(mine()).toHaveLength(1);
    expect(mine()[0]?.id).toBe(id);
    const body = mine()[0]?.body ?? "";
    expect(body.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(balanced(body)).toBe(true);
    // Every target is in the table; for those whose details did not fit, the note points at the saved plan.
    expect(body.split("\n").filter((l) => /^\| `1\d{11}` \|/.test(l))).toHaveLength(40);
    expect(body).toMatch(/The details of \d+ target\(s\) do not fit in one comment/);
    expect(body).toContain("the action's `sopsync-plan` artifact): `sopsync show PLAN.json` prints it.");
  });

  it("keeps a fleet comment per --comment-key: two uses of the action planning different folders do not overwrite each other", async () => {
    const plain = mine()[0];
    const east = fleetMarker(". secrets/east");
    const west = fleetMarker(". secrets/west");
    expect(east).toMatch(/^<!-- sopsync-fleet:[0-9a-f]{12} -->$/);
    expect(west).not.toBe(east);
    expect(fleetMarker(". secrets/east")).toBe(east);
    expect(fleetMarker("")).toBe(FLEET_MARKER);

    expect((await runFleet(2, 1, ". secrets/east")).stderr).toBe("sopsync: posted the fleet plan comment\n");
    expect((await runFleet(3, 1, ". secrets/west")).stderr).toBe("sopsync: posted the fleet plan comment\n");
    expect((await runFleet(4, 1, ". secrets/east")).stderr).toBe("sopsync: updated the fleet plan comment\n");
    const byMarker = (m: string) => mine().filter((c) => c.body.startsWith(`${m}\n`));
    expect(mine()).toHaveLength(3);
    expect(byMarker(east)).toHaveLength(1);
    expect(byMarker(west)).toHaveLength(1);
    // Each holds its own run's targets, once, under its own marker only.
    expect(byMarker(east)[0]?.body.match(/<summary><code>team-\d\d<\/code>/g)).toHaveLength(4);
    expect(byMarker(west)[0]?.body.match(/<summary><code>team-\d\d<\/code>/g)).toHaveLength(3);
    expect(byMarker(east)[0]?.body).not.toContain(FLEET_MARKER);
    // The comment without a key is untouched.
    expect(mine().find((c) => c.id === plain?.id)?.body).toBe(plain?.body);
  });
});

describe("truncateBody", () => {
  const note = "The full plan is in the [job summary](https://github.com/o/r/actions/runs/1).";

  it("returns a body that fits unchanged", () => {
    const [part] = splitByScope(renderMarkdown(plan(target("prod", 3))));
    expect(truncateBody(part?.body ?? "", GITHUB_COMMENT_LIMIT, note)).toBe(part?.body);
  });

  it("cuts a 2,000-secret plan under the limit with a link to the summary and a count of what is missing", () => {
    const [part] = splitByScope(renderMarkdown(plan(target("prod", 2000))));
    const body = part?.body ?? "";
    expect(body.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const out = truncateBody(body, GITHUB_COMMENT_LIMIT, note);
    expect(out.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(out.startsWith(markerFor("prod"))).toBe(true);
    expect(out).toContain(note);
    expect(balanced(out)).toBe(true);
    const shown = (out.match(/^<summary><code>/gm) ?? []).length;
    const missing = Number(/(\d+) more secret\(s\) not shown/.exec(out)?.[1]);
    expect(shown).toBeGreaterThan(100);
    expect(shown + missing).toBe(2000);
  });

  it("closes a code fence and <details> cut in the middle of one huge secret", () => {
    const [part] = splitByScope(renderMarkdown(plan(target("prod", 3, { policy: true }))));
    const body = part?.body ?? "";
    const out = truncateBody(body, 4000, note);
    expect(out.length).toBeLessThanOrEqual(4000);
    expect(balanced(out)).toBe(true);
    expect(out).toContain(note);
  });

  it("always fits and stays balanced, whatever the limit and plan size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.boolean(), fc.integer({ min: 1500, max: 30_000 }), (n, policy, limit) => {
        const [part] = splitByScope(renderMarkdown(plan(target("s", n, { policy }))));
        const out = truncateBody(part?.body ?? "", limit, note);
        return out.length <= limit && balanced(out) && out.startsWith(markerFor("s"));
      }),
      { numRuns: 60 },
    );
  });
});
