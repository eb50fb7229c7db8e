// The outcome as users read it: the closing line of a run stopped early, the JSON document's status
// and totals across targets, and which stop a signal's reason stands for.
import { describe, expect, it } from "vitest";
import {
  type ApplyResult,
  applyDocument,
  renderOutcome,
  runStatus,
  stopOf,
  stoppedLine,
  totalsOf,
} from "../../src/apply/outcome.js";
import type { Plan, TargetPlan } from "../../src/plan/model.js";

const applied = (name: string) => ({ name, status: "applied" as const, actions: ["create"], seconds: 0.12345 });
const notStarted = (name: string) => ({ name, status: "not-started" as const });
const failed = (name: string, code: string) => ({
  name,
  status: "failed" as const,
  actions: [],
  failedAction: "create",
  code,
  message: `${code} happened`,
});

function result(outcomes: ApplyResult["outcomes"], extra: Partial<ApplyResult> = {}): ApplyResult {
  return { outcomes, verification: [], calls: outcomes.length, seconds: 1.5, ...extra };
}

function target(scope: string): TargetPlan {
  return {
    manifests: [{ file: `${scope}.yaml`, sha256: "00" }],
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: scope },
    changes: [],
    unmanaged: [],
    summary: { create: 0, update: 0, restore: 0, adopt: 0, delete: 0, noop: 0 },
  } as unknown as TargetPlan;
}

const plan = {
  formatVersion: 2,
  planId: "p",
  createdAt: "2026-11-30T10:00:00.000Z",
  targets: [target("a"), target("b")],
} as Plan;

describe("apply outcome", () => {
  it("says 'interrupted: N of M applied; re-run to continue' across targets", () => {
    const stopped = { reason: "interrupted" as const, message: "interrupted (Ctrl-C)" };
    const rs = [
      result([applied("a/1"), applied("a/2"), notStarted("a/3")], { stopped }),
      result([notStarted("b/1")], { stopped }),
    ];
    expect(stoppedLine(rs)).toBe("interrupted: 2 of 4 applied; re-run to continue");
    expect(runStatus(rs)).toBe("interrupted");
    expect(renderOutcome(rs[0] as ApplyResult)).toContain(
      "  · a/3: not started\n  Stopped starting secrets: interrupted (Ctrl-C).",
    );
  });

  it("names the reason of a deadline or a fatal stop, and says nothing for a run that was not stopped", () => {
    const deadline = { reason: "deadline" as const, message: "the --timeout of 30s was reached" };
    expect(stoppedLine([result([applied("a"), notStarted("b")], { stopped: deadline })])).toBe(
      "timed out: 1 of 2 applied (the --timeout of 30s was reached); re-run to continue",
    );
    const fatal = { reason: "fatal" as const, message: "ECONNREFUSED on a/2" };
    const rs = [result([applied("a/1"), failed("a/2", "ECONNREFUSED"), notStarted("a/3")], { stopped: fatal })];
    expect(stoppedLine(rs)).toBe("stopped: 1 of 3 applied (ECONNREFUSED on a/2); re-run to continue");
    expect(runStatus(rs)).toBe("stopped");
    expect(stoppedLine([result([applied("a"), failed("b", "AccessDeniedException")])])).toBeUndefined();
    expect(runStatus([result([applied("a"), failed("b", "AccessDeniedException")])])).toBe("failed");
    expect(runStatus([result([applied("a")])])).toBe("applied");
    expect(runStatus([result([applied("a")])], true)).toBe("interrupted");
    expect(runStatus(undefined)).toBe("no-changes");
  });

  it("reads the stop from an aborted signal's reason", () => {
    const c = new AbortController();
    c.abort({ reason: "deadline", message: "the --timeout of 5m was reached" });
    expect(stopOf(c.signal)).toEqual({ reason: "deadline", message: "the --timeout of 5m was reached" });
    const plain = new AbortController();
    plain.abort();
    expect(stopOf(plain.signal).reason).toBe("interrupted");
  });

  it("the JSON document pairs each result with its plan target and adds up the totals", () => {
    const rs = [
      result([applied("a/1"), failed("a/2", "AccessDeniedException")], { calls: 3 }),
      result([notStarted("b/1")], { calls: 0, stopped: { reason: "quota", message: "LimitExceededException on a/2" } }),
    ];
    const doc = applyDocument(plan, rs, {
      startedAt: new Date("2026-11-30T10:00:00.000Z"),
      finishedAt: new Date("2026-11-30T10:00:02.500Z"),
    });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    expect(doc.applyFormatVersion).toBe(1);
    expect(doc.outcome.seconds).toBe(2.5);
    expect(doc.outcome.status).toBe("stopped");
    expect(doc.outcome.stopped?.reason).toBe("quota");
    expect(doc.outcome.totals).toEqual(totalsOf(rs));
    expect(doc.outcome.totals).toEqual({ secrets: 3, applied: 1, failed: 1, notStarted: 1, writeCalls: 3 });
    expect(doc.outcome.targets.map((t) => t.scope)).toEqual(["a", "b"]);
    expect(doc.outcome.targets[0]?.secrets[0]).toEqual({ ...applied("a/1"), seconds: 0.123 });
    expect(doc.outcome.targets[0]?.secrets[1]).toMatchObject({
      code: "AccessDeniedException",
      message: "AccessDeniedException happened",
    });
  });
});
