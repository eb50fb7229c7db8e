// `apply --format json` prints one JSON document on stdout — the plan that ran and what became of each
// secret — and nothing else there: progress, notices and the saved-plan line go to stderr. Checked
// against the account: what the document calls applied exists with the manifest's value, what failed
// carries AWS's code and message, and the totals add up.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { APPLY_FORMAT_VERSION, type ApplyDocument } from "../../src/apply/outcome.js";
import { getString, listNames, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type FaultProxy, LOCK_SECRET_PREFIX, type OnRequestResult } from "../helpers/fault-proxy.js";
import { MOTO_ACCOUNT, type Moto, TEST_REGION } from "../helpers/moto.js";
import { startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";

const CANARY = "canary-jsonout-8c4d17";
const names = ["j/alpha", "j/bravo", "j/charlie", "j/delta", "j/echo"];
const DENIED = "j/charlie";

function parseOne(stdout: string): ApplyDocument {
  // One document: the whole of stdout parses, nothing before or after it.
  return JSON.parse(stdout) as ApplyDocument;
}

describe("apply --format json", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  let decide: ((r: { operation: string; secret?: string }) => OnRequestResult) | undefined;
  const manifest = (round: string) =>
    writeManifest(
      { scopeId: "json", prefix: "j/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${round}-${n}`])) },
      { dir, recipient },
    );

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("jsonout", { onRequest: (r) => decide?.(r) }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    decide = undefined;
    await moto.reset();
  });

  it("one document: the plan and each secret applied or failed with AWS's code and message, matching the account", async () => {
    decide = ({ operation, secret }) =>
      operation === "CreateSecret" && secret === DENIED
        ? { status: 400, type: "AccessDeniedException", message: "not allowed to create this one" }
        : undefined;
    const r = await runCli(["apply", "--yes", "--format", "json", manifest("a")], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const doc = parseOne(r.stdout);
    expect(doc.applyFormatVersion).toBe(APPLY_FORMAT_VERSION);
    expect(doc.plan.formatVersion).toBe(2);
    expect(doc.plan.targets[0]?.changes.map((c) => c.name)).toEqual(names);

    const o = doc.outcome;
    expect(o.status).toBe("failed");
    expect(o.totals).toEqual({ secrets: 5, applied: 4, failed: 1, notStarted: 0, writeCalls: 5 });
    expect(Date.parse(o.finishedAt)).toBeGreaterThanOrEqual(Date.parse(o.startedAt));
    expect(o.seconds).toBeGreaterThan(0);
    expect(o.targets).toHaveLength(1);
    const t = o.targets[0];
    expect(t).toMatchObject({ account: MOTO_ACCOUNT, region: TEST_REGION, scope: "json", writeCalls: 5, readBack: [] });
    const byName = new Map(t?.secrets.map((s) => [s.name, s]));
    expect(byName.get(DENIED)).toMatchObject({
      status: "failed",
      failedAction: "create",
      code: "AccessDeniedException",
      message: "not allowed to create this one",
    });
    for (const s of t?.secrets ?? []) expect(typeof (s as { seconds?: number }).seconds).toBe("number");

    // The account agrees with the document.
    const sm = smClient(moto.endpoint);
    const live = new Set(await listNames(sm));
    for (const s of t?.secrets ?? []) {
      if (s.status === "applied") expect(await getString(sm, s.name)).toBe(`${CANARY}-a-${s.name}`);
      else expect(live.has(s.name), s.name).toBe(false);
    }
    // Progress went to stderr, not into the document.
    expect(r.stderr).toMatch(/^ok {3}create j\/alpha$/m);
    assertNoCanary(allOutput, { canary: CANARY });
  }, 60_000);

  it("no changes: a document with status no-changes and no secrets; a saved plan's notice goes to stderr", async () => {
    expect((await runCli(["apply", "--yes", manifest("b")], { env, cwd: dir })).code).toBe(0);
    const same = await runCli(["apply", "--yes", "--format", "json", manifest("b")], { env, cwd: dir });
    expect(same.code, same.stderr).toBe(0);
    const doc = parseOne(same.stdout);
    expect(doc.outcome.status).toBe("no-changes");
    expect(doc.outcome.totals).toEqual({ secrets: 0, applied: 0, failed: 0, notStarted: 0, writeCalls: 0 });
    expect(doc.plan.targets[0]?.summary.noop).toBe(5);

    // A saved plan with a change, applied as JSON.
    const changed = manifest("c");
    const planned = await runCli(["plan", "--out", "plan.json", changed], { env, cwd: dir });
    expect(planned.code, planned.stderr).toBe(0);
    const r = await runCli(["apply", "--format", "json", "plan.json"], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Applying saved plan/);
    const applied = parseOne(r.stdout);
    expect(applied.outcome.status).toBe("applied");
    expect(applied.outcome.totals).toMatchObject({ secrets: 5, applied: 5, failed: 0, notStarted: 0 });
    const sm = smClient(moto.endpoint);
    for (const n of names) expect(await getString(sm, n)).toBe(`${CANARY}-c-${n}`);
    assertNoCanary(allOutput, { canary: CANARY });
  }, 60_000);

  it("a lock that cannot be released after the writes: the document is still printed, then the error naming force-unlock", async () => {
    decide = ({ operation, secret }) =>
      operation === "UntagResource" && secret?.startsWith(LOCK_SECRET_PREFIX)
        ? { status: 400, type: "AccessDeniedException", message: "no untag on the lock" }
        : undefined;
    const r = await runCli(["apply", "--yes", "--format", "json", manifest("d")], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const doc = parseOne(r.stdout);
    expect(doc.outcome.status).toBe("applied");
    expect(doc.outcome.totals.applied).toBe(5);
    expect(r.stderr).toMatch(/^Error: .*releasing the apply lock of scope json.*sopsync force-unlock \S+/m);
    expect(r.stderr).not.toMatch(/internal|bug in sopsync/i);
    const sm = smClient(moto.endpoint);
    for (const n of names) expect(await getString(sm, n)).toBe(`${CANARY}-d-${n}`);
  }, 60_000);
});
