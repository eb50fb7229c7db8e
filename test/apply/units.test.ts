// The small pure parts of apply: retry decisions, pacing, stale-plan reasons, progress lines.
import { describe, expect, it } from "vitest";
import { actionLine, formatSeconds, progressLine } from "../../src/apply/progress.js";
import { alreadyApplied, versionTagMissing } from "../../src/apply/resume.js";
import { staleReasons } from "../../src/apply/stale.js";
import { requestToken } from "../../src/apply/tokens.js";
import { Pacer } from "../../src/aws/pacing.js";
import { SopsyncRetryStrategy } from "../../src/aws/retry.js";
import type { DesiredState } from "../../src/manifest/model.js";
import type { Plan, TargetPlan } from "../../src/plan/model.js";
import type { LiveSecret, LiveState } from "../../src/state/model.js";

describe("SDK retry strategy", () => {
  const strategy = new SopsyncRetryStrategy({ maxAttempts: 4, random: () => 0.999 });
  const retry = (name: string, errorType: "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR", attempt = 1) =>
    strategy.shouldRetry({ error: { name }, errorType }, attempt);

  it("retries throttling, 5xx and connection errors the SDK classifies as transient", () => {
    expect(retry("ThrottlingException", "THROTTLING")).toBe(true);
    expect(retry("InternalServiceError", "TRANSIENT")).toBe(true);
    expect(retry("Error", "TRANSIENT")).toBe(true); // ECONNRESET carries its code, the SDK calls it TRANSIENT
  });

  it("does not retry client errors, LimitExceededException (a quota), or beyond maxAttempts", () => {
    expect(retry("ResourceExistsException", "CLIENT_ERROR")).toBe(false);
    expect(retry("LimitExceededException", "THROTTLING")).toBe(false);
    expect(retry("ThrottlingException", "THROTTLING", 4)).toBe(false);
  });

  it("backs off exponentially with full jitter, throttling from a longer base, capped", async () => {
    expect(strategy.delayMs(1, false)).toBe(99);
    expect(strategy.delayMs(3, false)).toBe(399);
    expect(strategy.delayMs(1, true)).toBe(499);
    expect(strategy.delayMs(20, true)).toBe(19_980);
    expect(new SopsyncRetryStrategy({ maxAttempts: 3, random: () => 0 }).delayMs(5, true)).toBe(0);
    const first = await strategy.acquireInitialRetryToken("");
    const next = await strategy.refreshRetryTokenForRetry(first, {
      error: { name: "ThrottlingException" },
      errorType: "THROTTLING",
    });
    expect(next.getRetryCount()).toBe(1);
    await expect(
      strategy.refreshRetryTokenForRetry(first, { error: { name: "LimitExceededException" }, errorType: "THROTTLING" }),
    ).rejects.toThrow();
  });
});

describe("Pacer", () => {
  it("starts calls no faster than the rate, evenly spaced", async () => {
    let t = 1000;
    const starts: number[] = [];
    const pacer = new Pacer(
      20,
      () => t,
      async (ms) => {
        t += ms;
      },
    );
    for (let i = 0; i < 5; i++) {
      await pacer.take();
      starts.push(t);
    }
    expect(starts).toEqual([1000, 1050, 1100, 1150, 1200]);
  });
});

describe("stale plans", () => {
  const planId = "p-1";
  const target: TargetPlan = {
    manifest: { file: "m.yaml", sha256: "aaa" },
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: "s" },
    changes: [
      {
        name: "a",
        precondition: { state: "present", versionId: "v1" },
        actions: [{ type: "update-value", valueKind: "string", cause: "unknown" }],
      },
      {
        name: "b",
        precondition: { state: "absent" },
        actions: [{ type: "create", valueKind: "string", description: "", tags: {} }],
      },
      { name: "c", precondition: { state: "present", versionId: "v3" }, actions: [{ type: "delete", recoveryWindowDays: 7 }] },
      { name: "d", precondition: { state: "pending-deletion" }, actions: [{ type: "restore" }] },
      { name: "e", precondition: { state: "present", versionId: "v5" }, actions: [] },
    ],
    unmanaged: [],
    summary: { create: 1, update: 1, restore: 1, adopt: 0, delete: 1, noop: 1 },
  };
  const plan: Plan = { formatVersion: 1, planId, createdAt: "", targets: [target] };
  const desired = { file: "m.yaml", manifestSha256: "aaa" } as DesiredState;
  const sec = (name: string, versionId?: string, pendingDeletion = false): [string, LiveSecret] => [
    name,
    { name, arn: name, description: "", tags: {}, pendingDeletion, versionId },
  ];
  const live = (...s: [string, LiveSecret][]): LiveState => ({
    account: "123456789012",
    region: "eu-west-1",
    secrets: new Map(s),
  });

  it("accepts the state it was planned against, and the state its own writes left behind", () => {
    expect(
      staleReasons(plan, target, desired, live(sec("a", "v1"), sec("c", "v3"), sec("d", undefined, true), sec("e", "v9"))),
    ).toEqual([]);
    const afterCrash = live(
      sec("a", requestToken(planId, "a", "update-value")),
      sec("b", requestToken(planId, "b", "create")),
      sec("c", undefined, true),
      sec("d", "v4"),
    );
    expect(staleReasons(plan, target, desired, afterCrash)).toEqual([]);
  });

  it("names each change since the plan: manifest, account, out-of-band versions, new secrets", () => {
    const reasons = staleReasons(
      plan,
      target,
      { ...desired, manifestSha256: "bbb" },
      { ...live(sec("a", "v2"), sec("b", "someone"), sec("c", "v3"), sec("d", undefined, true)), account: "999999999999" },
    );
    expect(reasons).toEqual([
      "m.yaml changed since the plan was made (its SHA-256 differs)",
      "the plan is for account 123456789012 in eu-west-1, the credentials are for 999999999999 in eu-west-1",
      "a: planned against present at version v1, now present at version v2",
      "b: planned against absent, now present at version someone",
    ]);
    expect(staleReasons(plan, target, desired, live(sec("a", "v1"), sec("d", undefined, true)))).toEqual([
      "c: planned against present at version v3, now absent",
    ]);
  });
});

describe("progress", () => {
  it("shows count, rate and ETA", () => {
    expect(progressLine({ done: 100, total: 650 }, 5000)).toBe("100/650 actions · 20.0/s · ETA 28s");
    expect(progressLine({ done: 0, total: 10 }, 0)).toBe("0/10 actions · 0.0/s · ETA -");
    expect(progressLine({ done: 10, total: 4000 }, 1000, 2)).toBe("10/4000 actions · 10.0/s · ETA 6m39s · 2 failed");
    expect(formatSeconds(59.2)).toBe("1m00s");
  });

  it("one line per action otherwise", () => {
    const e = { name: "p/a", action: "create" as const, done: 1, total: 2 };
    expect(actionLine({ ...e, ok: true, skipped: false })).toBe("ok   create p/a");
    expect(actionLine({ ...e, ok: true, skipped: true })).toBe("skip create p/a (already applied by this plan)");
    expect(actionLine({ ...e, ok: false, skipped: false })).toBe("FAIL create p/a");
  });
});

describe("what a re-run skips", () => {
  const plan: Plan = { formatVersion: 1, planId: "p-2", createdAt: "", targets: [] };
  const live = (tags: Record<string, string>, versionId = "v1", description = ""): LiveSecret => ({
    name: "x",
    arn: "x",
    description,
    tags,
    pendingDeletion: false,
    versionId,
  });
  const change = { name: "x", precondition: { state: "present" as const, versionId: "v1" }, actions: [] };

  it("skips tags, untags and descriptions already in place, and value writes already made by this plan", () => {
    const tag = { type: "tag" as const, tags: { team: { before: "a", after: "b" } } };
    expect(alreadyApplied(plan, change, tag, live({ team: "b" }))).toBe(true);
    expect(alreadyApplied(plan, change, tag, live({ team: "a" }))).toBe(false);
    const untag = { type: "untag" as const, tags: { old: "1" } };
    expect(alreadyApplied(plan, change, untag, live({}))).toBe(true);
    expect(alreadyApplied(plan, change, untag, live({ old: "1" }))).toBe(false);
    const meta = { type: "update-metadata" as const, description: { before: "", after: "d" } };
    expect(alreadyApplied(plan, change, meta, live({}, "v1", "d"))).toBe(true);
    expect(alreadyApplied(plan, change, { ...meta, kmsKeyId: { after: "alias/k" } }, live({}, "v1", "d"))).toBe(false);
    const put = { type: "update-value" as const, valueKind: "string" as const, cause: "unknown" as const };
    const token = requestToken("p-2", "x", "update-value");
    expect(alreadyApplied(plan, change, put, live({}, token))).toBe(true);
    expect(alreadyApplied(plan, change, put, live({}, "v1"))).toBe(false);
    expect(versionTagMissing(plan, "x", live({}, token))).toBe(true);
    expect(versionTagMissing(plan, "x", live({ "sopsync:version": token }, token))).toBe(false);
    const withReplica = { ...live({}), replicas: [{ region: "us-east-1", kmsKeyId: "k" }] };
    expect(alreadyApplied(plan, change, { type: "add-replica", region: "us-east-1", kmsKeyId: "k" }, withReplica)).toBe(true);
    expect(alreadyApplied(plan, change, { type: "add-replica", region: "us-west-2" }, withReplica)).toBe(false);
    expect(alreadyApplied(plan, change, { type: "add-replica", region: "us-east-1" }, live({}))).toBe(false);
    expect(alreadyApplied(plan, change, { type: "remove-replica", region: "us-west-2" }, withReplica)).toBe(true);
    expect(alreadyApplied(plan, change, { type: "remove-replica", region: "us-east-1" }, withReplica)).toBe(false);
    // A replica re-keyed (remove, then add with the new key) that a crashed run already finished.
    const rekey = {
      ...change,
      actions: [
        { type: "remove-replica" as const, region: "us-east-1" },
        { type: "add-replica" as const, region: "us-east-1", kmsKeyId: "k" },
      ],
    };
    expect(rekey.actions.map((a) => alreadyApplied(plan, rekey, a, withReplica))).toEqual([true, true]);
    const halfway = { ...live({}), replicas: [{ region: "us-east-1", kmsKeyId: "old" }] };
    expect(rekey.actions.map((a) => alreadyApplied(plan, rekey, a, halfway))).toEqual([false, false]);
  });
});
