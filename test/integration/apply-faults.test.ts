// Apply under injected faults: 200 creates, 200 updates and 50 deletes through a proxy throwing 20%
// ThrottlingException and 5% 5xx / connection resets (half of the resets after moto did the work, so
// the SDK's retry repeats a write that already happened). The CLI plans and applies as a user would;
// the result must be exactly the manifest, one new version per changed secret, nothing unowned touched.
// SOPSYNC_FAULT_SEED picks another fault sequence.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestToken } from "../../src/apply/tokens.js";
import { MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";
import type { Plan } from "../../src/plan/model.js";
import { createString, describe as describeSecret, getString, smClient, tagsOf } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import type { Moto } from "../helpers/moto.js";
import {
  applySummary,
  currentVersion,
  startProxiedMoto,
  stopProxiedMoto,
  versionsOf,
  writeManifest,
} from "../apply/cli-fixtures.js";

const SEED = Number(process.env.SOPSYNC_FAULT_SEED ?? 20261128);
const CANARY = "canary-faults-7d02e9";
const pad = (i: number) => String(i).padStart(3, "0");
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const upd = range(200).map((i) => `f/upd-${pad(i)}`);
const fresh = range(200).map((i) => `f/new-${pad(i)}`);
const gone = range(50).map((i) => `f/del-${pad(i)}`);
const unowned = range(5).map((i) => `f/unowned-${i}`);

describe("apply under faults", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  const sm = () => smClient(moto.endpoint);

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("faults", { seed: SEED }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));

  it("200 creates, 200 updates and 50 deletes converge under 20% throttling and 5% 5xx/resets", async () => {
    // Secrets nobody gave us, under the same prefix: listed, never touched.
    for (const [i, name] of unowned.entries())
      await createString(sm(), name, `${CANARY}-unowned-${i}`, { owner: "someone-else" });
    const unownedBefore = await Promise.all(unowned.map((n) => versionsOf(sm(), n)));

    // The starting point, applied at the default pacing with no faults: the achieved write rate.
    const start = writeManifest(
      {
        scopeId: "faults",
        prefix: "f/",
        secrets: Object.fromEntries([
          ...upd.map((n, i) => [n, `${CANARY}-a-${i}`]),
          ...gone.map((n, i) => [n, `${CANARY}-d-${i}`]),
        ]),
      },
      { dir, recipient },
    );
    const seeded = await runCli(["apply", "--yes", start], { env });
    expect(seeded.code, seeded.stderr).toBe(0);
    const paced = applySummary(seeded.stdout);
    expect(paced).toMatchObject({ applied: 250, failed: 0, calls: 250 });
    const before = new Map(await Promise.all(upd.map(async (n) => [n, currentVersion(await versionsOf(sm(), n))] as const)));

    const target = writeManifest(
      {
        scopeId: "faults",
        prefix: "f/",
        secrets: Object.fromEntries([
          ...upd.map((n, i) => [n, `${CANARY}-b-${i}`]),
          ...fresh.map((n, i) => [n, `${CANARY}-n-${i}`]),
        ]),
      },
      { dir, recipient },
    );
    proxy.setFaults({ throttleRate: 0.2, errorRate: 0.025, resetRate: 0.025 });
    proxy.resetStats();
    const planned = await runCli(["plan", "--out", "plan.json", "--max-deletes", "50", target], { env, cwd: dir });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/Plan: 200 to create, 200 to update, 50 to delete/);
    const planId = (JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan).planId;

    // Options that widen a plan come from the apply command line, never from the saved file.
    const applied = await runCli(["apply", "plan.json", "--max-deletes", "50"], { env, cwd: dir });
    expect(applied.code, applied.stdout + applied.stderr.slice(-3000)).toBe(0);
    const summary = applySummary(applied.stdout);
    // One write call per action: 200 CreateSecret, 200 PutSecretValue (no version tag), 50 DeleteSecret.
    expect(summary).toMatchObject({ applied: 450, failed: 0, notStarted: 0, calls: 450 });
    const stats = proxy.stats;
    const f = stats.faults;
    expect(f.throttle).toBeGreaterThan(50);
    expect(f.error).toBeGreaterThan(0);
    expect(f.resetAfter).toBeGreaterThan(0);

    // Exactly the manifest: each update one new version (ours, current; the old one previous),
    // each create one version (ours), each delete pending with the default window, values intact.
    for (const [i, name] of upd.entries()) {
      const versions = await versionsOf(sm(), name);
      expect(versions, name).toHaveLength(2);
      expect(currentVersion(versions), name).toBe(
        requestToken(
          { planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: "faults" },
          name,
          "update-value",
          before.get(name),
        ),
      );
      expect(versions.find((v) => v.id === before.get(name))?.stages, name).toEqual(["AWSPREVIOUS"]);
      expect(await getString(sm(), name)).toBe(`${CANARY}-b-${i}`);
    }
    for (const [i, name] of fresh.entries()) {
      const versions = await versionsOf(sm(), name);
      expect(
        versions.map((v) => v.id),
        name,
      ).toEqual([requestToken({ planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: "faults" }, name, "create")]);
      expect(await getString(sm(), name)).toBe(`${CANARY}-n-${i}`);
    }
    for (const name of gone) expect((await describeSecret(sm(), name)).DeletedDate, name).toBeInstanceOf(Date);
    for (const [i, name] of unowned.entries()) {
      const d = await describeSecret(sm(), name);
      expect(d.DeletedDate).toBeUndefined();
      expect(tagsOf(d.Tags)).toEqual({ owner: "someone-else" });
      expect(await versionsOf(sm(), name)).toEqual(unownedBefore[i]);
      expect(await getString(sm(), name)).toBe(`${CANARY}-unowned-${i}`);
    }
    const again = await runCli(["plan", "--detailed-exitcode", target], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);

    const wireWrites = proxy.writes({ excludeLock: true });
    console.log(
      [
        `fault figures (seed ${SEED}):`,
        `  default pacing, no faults: ${paced?.calls} writes in ${paced?.seconds}s = ${((paced?.calls ?? 0) / (paced?.seconds ?? 1)).toFixed(1)}/s`,
        `  plan+apply under faults: ${stats.requests} requests (${wireWrites} writes on the wire for ${summary?.calls} write calls: ${wireWrites - (summary?.calls ?? 0)} write retries)`,
        `  faults: ${f.throttle} throttled, ${f.error} 5xx, ${f.resetBefore} reset before / ${f.resetAfter} after the service acted`,
        `  apply: ${summary?.calls} write calls in ${summary?.seconds}s; versions per updated secret 1 new, per created secret 1`,
        `  by operation: ${JSON.stringify(stats.byOperation)}`,
      ].join("\n"),
    );
    assertNoCanary(allOutput, { canary: CANARY });
  }, 300_000);
});
