// What the action reports after an apply on merge: a notice chosen by the saved plan's state and the
// exit code alone, logs that cannot break out of their block, and which pull request a merge commit merged.
import { describe, expect, it } from "vitest";
import {
  applyCommentBody,
  applyMarkerFor,
  applyNotice,
  applySummary,
  logBlock,
  mergedPullRequest,
  SAVED_PLAN_STATES,
} from "../../scripts/gitops/apply-report.mjs";
import { markerFor, splitByScope } from "../../scripts/gitops/comment.mjs";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("applyNotice", () => {
  it("says nothing was applied on a refused mismatch, and how to apply the fresh plan", () => {
    const n = applyNotice("mismatch", 3);
    expect(n).toMatch(/^> \[!CAUTION\]/);
    expect(n).toMatch(/Nothing was applied/);
    expect(n).toContain("`on-mismatch: apply`");
  });

  it("says so when the fresh plan could not be made either", () => {
    expect(applyNotice("mismatch", 1)).toMatch(/planning the merged manifest afresh failed too \(exit 1\)/);
  });

  it("says the fresh plan was applied under on-mismatch: apply, and whether that worked", () => {
    expect(applyNotice("replaced", 0)).toMatch(/fresh plan below was applied instead, and it was applied/);
    expect(applyNotice("replaced", 1)).toMatch(/applying it failed \(exit 1\)/);
  });

  it("has a text for every state, and none without one", () => {
    for (const s of SAVED_PLAN_STATES) expect(applyNotice(s, 0)).not.toBe("");
    expect(applyNotice("", 0)).toBe("");
  });
});

describe("logBlock", () => {
  it("keeps the last lines in a fence no backtick run inside can close", () => {
    const text = `${Array.from({ length: 300 }, (_, i) => `line ${i}`).join("\n")}\n\`\`\`\`\nafter\n`;
    const block = logBlock("Apply log", text, 50);
    expect(block).toMatch(/^<details><summary>Apply log<\/summary>\n\n`````text\n/);
    expect(block).toContain("(252 earlier lines are in the job log)");
    expect(block).not.toContain("line 251\n");
    expect(block).toContain("line 299\n````\nafter\n`````\n");
    expect(block.endsWith("</details>\n")).toBe(true);
  });

  it("is empty for an empty log", () => {
    expect(logBlock("x", "")).toBe("");
    expect(logBlock("x", "\n\n")).toBe("");
  });
});

describe("applySummary and applyCommentBody", () => {
  const plan = `${markerFor("prod")}\n### sopsync plan\n\nfresh plan body\n`;
  it("a refused mismatch: notice, why the saved plan was refused, then the fresh plan", () => {
    const s = applySummary({ state: "mismatch", exitcode: 3, markdown: plan, savedLog: "Error: plan does not match\n", log: "" });
    expect(s.indexOf("[!CAUTION]")).toBeLessThan(s.indexOf("Why the reviewed plan was refused"));
    expect(s.indexOf("Why the reviewed plan was refused")).toBeLessThan(s.indexOf("fresh plan body"));
    expect(s).not.toContain("Apply log");
  });

  it("a matching saved plan: its apply log", () => {
    const s = applySummary({ state: "applied", exitcode: 0, savedLog: "ok   create prod/a\nApply: 1 applied\n" });
    expect(s).toMatch(/still matched .* and was applied/);
    expect(s).toContain("ok   create prod/a");
  });

  it("a plain plan: just the plan, as before", () => {
    expect(applySummary({ exitcode: 2, markdown: plan })).toBe(plan);
  });

  it("the comment starts with the merge commit's marker, so a re-run updates it instead of adding one", () => {
    const body = applyCommentBody({ sha: SHA, state: "mismatch", exitcode: 3, markdown: plan, runUrl: "https://x/runs/1" });
    expect(body.startsWith(`${applyMarkerFor(SHA)}\n`)).toBe(true);
    expect(body).toContain("[This run](https://x/runs/1)");
    expect(body).toContain("fresh plan body");
    // Not mistaken for the plan's sticky comment of a scope.
    expect(splitByScope(body)[0]?.body.startsWith(applyMarkerFor(SHA))).toBe(false);
  });
});

describe("mergedPullRequest", () => {
  it("takes the pull request whose merge commit this is, else the only merged one", () => {
    const pulls = [
      { number: 3, merged_at: null, merge_commit_sha: SHA },
      { number: 4, merged_at: "2026-01-01T00:00:00Z", merge_commit_sha: "f".repeat(40) },
      { number: 5, merged_at: "2026-01-01T00:00:00Z", merge_commit_sha: SHA },
    ];
    expect(mergedPullRequest(pulls, SHA)).toBe(5);
    expect(mergedPullRequest(pulls.slice(0, 2), SHA)).toBe(4);
    expect(mergedPullRequest([...pulls.slice(0, 2), { ...pulls[1], number: 6 }] as typeof pulls, SHA)).toBeUndefined();
    expect(mergedPullRequest([], SHA)).toBeUndefined();
  });
});
