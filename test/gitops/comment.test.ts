// The sticky-comment helpers the action runs: one body per manifest, our comment found by its exact
// marker, and long plans shortened under GitHub's limit without breaking the markdown.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Plan, SecretChange, TargetPlan } from "../../src/plan/model.js";
import { renderMarkdown } from "../../src/plan/render-markdown.js";
import { findStickyComment, GITHUB_COMMENT_LIMIT, markerFor, splitByScope, truncateBody } from "../../scripts/gitops/comment.mjs";

function target(scopeId: string, n: number, opts: { policy?: boolean } = {}): TargetPlan {
  const changes: SecretChange[] = [];
  for (let i = 0; i < n; i++) {
    changes.push({
      name: `app/secret-${String(i).padStart(5, "0")}`,
      precondition: { state: "present", versionId: `v-${i}` },
      actions: [
        { type: "update-value", valueKind: "json", cause: "changed-outside", keys: [{ key: "password", change: "changed" }] },
        ...(opts.policy
          ? [{ type: "put-policy" as const, after: { Statement: Array.from({ length: 400 }, (_, k) => ({ Sid: `s${k}` })) } }]
          : []),
      ],
    });
  }
  return {
    manifest: { file: `${scopeId}.yaml`, sha256: "0".repeat(64) },
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: scopeId },
    changes,
    unmanaged: [],
    summary: { create: 0, update: n, restore: 0, adopt: 0, delete: 0, noop: 0 },
  };
}

const plan = (...targets: TargetPlan[]): Plan => ({ formatVersion: 1, planId: "p", createdAt: "2026-01-01T00:00:00Z", targets });

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

describe("findStickyComment", () => {
  const body = (scope: string) => `${markerFor(scope)}\n### sopsync plan`;
  it("matches the exact scope only, never a longer id sharing the prefix", () => {
    const comments = [
      { id: 5, body: body("prod-eu") },
      { id: 7, body: body("prod") },
    ];
    expect(findStickyComment(comments, "prod")?.id).toBe(7);
    expect(findStickyComment(comments, "prod-eu")?.id).toBe(5);
    expect(findStickyComment(comments, "pro")).toBeUndefined();
  });

  it("ignores a human reply quoting the marker and picks the oldest of duplicates", () => {
    const comments = [
      { id: 30, body: body("prod") },
      { id: 10, body: `> ${markerFor("prod")}\n> quoted` },
      { id: 20, body: body("prod") },
      { id: 40, body: null },
    ];
    expect(findStickyComment(comments, "prod")?.id).toBe(20);
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
