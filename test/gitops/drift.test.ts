// The drift issue says, per secret, whether it is a pending manifest change or a change made outside
// sopsync, from the plan's `cause` field; names and metadata only.
import { describe, expect, it } from "vitest";
import type { Plan, SecretChange } from "../../src/plan/model.js";
import { driftedSecrets, driftIssueBody } from "../../scripts/gitops/drift.mjs";

const change = (name: string, actions: SecretChange["actions"]): SecretChange => ({
  name,
  actions,
  precondition: { state: "present", versionId: "v", managedBy: "prod", protected: false, description: "", kmsKeyId: null },
});
const plan: Plan = {
  formatVersion: 2,
  planId: "p",
  createdAt: "2026-01-01T00:00:00Z",
  targets: [
    {
      manifests: [{ file: "secrets.yaml", sha256: "0".repeat(64) }],
      target: { account: "123456789012", region: "eu-west-1" },
      scope: { id: "prod" },
      changes: [
        change("prod/pending", [
          { type: "update-value", valueKind: "json", cause: "manifest-changed", keys: [{ key: "password", change: "changed" }] },
        ]),
        change("prod/outside", [
          { type: "update-value", valueKind: "string", cause: "changed-outside" },
          { type: "tag", tags: { team: { before: "x", after: "y" } } },
        ]),
        change("prod/adopted", [{ type: "update-value", valueKind: "string", cause: "unknown" }]),
        change("prod/new", [{ type: "create", valueKind: "string", description: "", tags: {} }]),
        change("prod/gone", [{ type: "delete", recoveryWindowDays: 7 }]),
        change("prod/tags-only", [{ type: "untag", tags: { a: "b" } }]),
        change("prod/in-sync", []),
      ],
      unmanaged: [],
      summary: { create: 1, update: 4, restore: 0, adopt: 0, delete: 1, noop: 1 },
    },
  ],
};

describe("drift report", () => {
  it("classifies each drifted secret by the strongest signal", () => {
    const kinds = Object.fromEntries(driftedSecrets(plan).map((d) => [d.name, d.kind]));
    expect(kinds).toEqual({
      "prod/pending": "pending",
      "prod/outside": "outside",
      "prod/adopted": "unknown",
      "prod/new": "pending",
      "prod/gone": "pending",
      "prod/tags-only": "unknown",
    });
  });

  it("renders one table row per secret, counts, and a link to the run", () => {
    const body = driftIssueBody(plan, "https://github.com/o/r/actions/runs/9");
    expect(body).toMatch(
      /found \*\*6\*\* secret\(s\).*1 changed outside sopsync, 3 pending manifest change\(s\), 2 of unknown cause/,
    );
    expect(body).toContain(
      "| `prod` | `prod/outside` | changed outside sopsync | value: changed outside sopsync since the last apply; tags differ |",
    );
    expect(body).toContain("| `prod` | `prod/tags-only` | cause unknown | tags differ |");
    expect(body).not.toContain("prod/in-sync");
    expect(body).toContain("[this run](https://github.com/o/r/actions/runs/9)");
  });
});

describe("drift report: causes of issue 11", () => {
  it("says a secret has no current value, and that a key change writes the value again", () => {
    const p = structuredClone(plan);
    const t = p.targets[0];
    if (!t) throw new Error("no target");
    t.changes = [
      change("prod/empty", [{ type: "update-value", valueKind: "string", cause: "no-current-value" }]),
      change("prod/rekeyed", [
        { type: "update-metadata", kmsKeyId: { before: "k1", after: "k2" } },
        { type: "update-value", valueKind: "string", cause: "kms-key-changed" },
      ]),
    ];
    expect(driftedSecrets(p).map((d) => [d.name, d.kind, d.reasons])).toEqual([
      ["prod/empty", "unknown", ["the secret has no current value (no AWSCURRENT version)"]],
      ["prod/rekeyed", "unknown", ["description or KMS key differs", "value written again under the new KMS key"]],
    ]);
  });
});

describe("drift report: rotation enabled outside sopsync (issue 12)", () => {
  it("lists a drift-only secret with its function, counted on its own", () => {
    const p = structuredClone(plan);
    const t = p.targets[0];
    if (!t) throw new Error("no target");
    const lambdaArn = "arn:aws:lambda:eu-west-1:123456789012:function:rotate";
    t.changes = [{ ...change("prod/rotating", []), drift: [{ kind: "rotation-enabled-outside", lambdaArn }] }];
    expect(driftedSecrets(p).map((d) => [d.name, d.kind])).toEqual([["prod/rotating", "rotation"]]);
    const body = driftIssueBody(p, undefined);
    expect(body).toMatch(/1 with rotation enabled outside sopsync\./);
    expect(body).toContain(
      `| \`prod\` | \`prod/rotating\` | rotation enabled outside sopsync | rotation enabled outside sopsync (lambda ${lambdaArn})`,
    );
  });
});

describe("drift report: attribution with rotation (issue 12)", () => {
  it("labels a rotated value apart from a manual write", () => {
    const p = structuredClone(plan);
    const t = p.targets[0];
    if (!t) throw new Error("no target");
    t.changes = [
      change("prod/cancelled", [{ type: "cancel-rotation" }, { type: "update-value", valueKind: "string", cause: "rotated" }]),
      { ...change("prod/rotated", []), drift: [{ kind: "rotation-enabled-outside", value: "rotated" }] },
      { ...change("prod/written", []), drift: [{ kind: "rotation-enabled-outside", value: "changed-outside" }] },
    ];
    expect(driftedSecrets(p).map((d) => [d.name, d.kind])).toEqual([
      ["prod/cancelled", "rotated"],
      ["prod/rotated", "rotation"],
      ["prod/written", "outside"],
    ]);
    const body = driftIssueBody(p, undefined);
    expect(body).toContain("value: rotated by the secret's rotation");
    expect(body).toContain("value: changed outside sopsync after the last rotation");
    expect(body).toMatch(/1 rotated by their rotation\./);
  });
});

describe("drift report: a fleet (issue 15)", () => {
  const fleet = (): Plan => {
    const base = plan.targets[0];
    if (!base) throw new Error("no target");
    const t = (account: string, region: string, scope: string, changes: SecretChange[]) => ({
      ...structuredClone(base),
      target: { account, region },
      scope: { id: scope },
      changes,
    });
    return {
      ...plan,
      targets: [
        t("111111111111", "eu-west-1", "prod", [
          change("prod/outside", [{ type: "update-value", valueKind: "string", cause: "changed-outside" }]),
          change("prod/new", [{ type: "create", valueKind: "string", description: "", tags: {} }]),
        ]),
        t("111111111111", "us-east-1", "prod", [change("prod/in-sync", [])]),
        t("222222222222", "eu-west-1", "stage", [change("stage/tags", [{ type: "untag", tags: { a: "b" } }])]),
      ],
    };
  };

  it("lists the drifted targets in a table, then each target's secrets under its own heading", () => {
    const body = driftIssueBody(fleet(), undefined);
    expect(body).toMatch(
      /found \*\*3\*\* secret\(s\).*1 changed outside sopsync, 1 pending manifest change\(s\), 1 of unknown cause/,
    );
    expect(body).toContain("**2** of 3 target(s) drifted:");
    expect(body).toContain("| `111111111111` | `eu-west-1` | `prod` | 2 | 1 | 1 | 0 |");
    expect(body).toContain("| `222222222222` | `eu-west-1` | `stage` | 1 | 0 | 0 | 1 |");
    // The target in sync is counted, not listed.
    expect(body).not.toContain("us-east-1");
    const sections = body.split("#### ").slice(1);
    expect(sections.map((s) => s.split("\n")[0])).toEqual([
      "`prod` · account `111111111111` · `eu-west-1`",
      "`stage` · account `222222222222` · `eu-west-1`",
    ]);
    expect(sections[0]).toContain(
      "| `prod/outside` | changed outside sopsync | value: changed outside sopsync since the last apply |",
    );
    expect(sections[0]).toContain("| `prod/new` | pending manifest change |");
    expect(sections[1]).toContain("| `stage/tags` | cause unknown | tags differ |");
    // One table per target: no scope column repeated in the rows.
    expect(body).not.toContain("| scope | secret |");
  });

  it("keeps the one-table form for a plan of one target", () => {
    expect(driftIssueBody(plan, undefined)).toContain("| scope | secret | drift | details |");
    expect(driftIssueBody(plan, undefined)).not.toContain("####");
  });
});
