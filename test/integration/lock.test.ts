// The apply lock against a real moto through the fault proxy: racing applies get exactly one holder
// and the other is told who holds it; waiting, throttling and 5xx, a lost answer, a lock secret
// pending deletion, a SIGKILLed holder and `sopsync force-unlock` through the CLI. No acquisition
// may create a secret version: the lock secret keeps exactly its two versions throughout.
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DeleteSecretCommand, DescribeSecretCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SecretsPort } from "../../src/aws/port.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { SopsyncError } from "../../src/errors.js";
import { acquireLock, forceUnlock, type HeldLock, lockSecretName, readLock, unrecordedLockId } from "../../src/run/lock.js";
import { startProxiedMoto, stopProxiedMoto, versionsOf, writeManifest } from "../apply/cli-fixtures.js";
import { smClient } from "../helpers/aws.js";
import { runCli } from "../helpers/cli.js";
import type { FaultProxy, OnRequestResult } from "../helpers/fault-proxy.js";
import { awsEnv, type Moto, TEST_REGION } from "../helpers/moto.js";
import { runProcess } from "../helpers/spawn.js";
import { projectRoot } from "../helpers/tools.js";

describe("apply lock", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  let sm: SecretsManagerClient;
  /** Per test: what the proxy does with a request (undefined: nothing special). */
  let hook: ((r: { operation: string; secret?: string }) => OnRequestResult) | undefined;

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("lock", { seed: 31, onRequest: (r) => hook?.(r) }));
    // In-process ports find the proxy the way the CLI does: AWS_ENDPOINT_URL_* (this test process only).
    Object.assign(process.env, awsEnv(proxy.endpoint));
    sm = smClient(moto.endpoint);
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    await moto.reset();
    proxy.setFaults({});
    proxy.resetStats();
    hook = undefined;
  });

  const port = (): Promise<SecretsPort> => createSdkPort({ region: TEST_REGION });
  const versionCount = async (scope: string) => (await versionsOf(sm, lockSecretName(scope))).length;
  const lockedError = (err: unknown): SopsyncError => {
    expect(err).toBeInstanceOf(SopsyncError);
    expect((err as SopsyncError).code).toBe("LOCKED");
    return err as SopsyncError;
  };

  /** Two applies at once; returns the one that got it and the other's error. */
  async function race(a: SecretsPort, b: SecretsPort, scope: string, tag: string) {
    const plans = [`plan-a-${tag}`, `plan-b-${tag}`];
    const settled = await Promise.allSettled([
      acquireLock(a, scope, { planId: plans[0] as string }),
      acquireLock(b, scope, { planId: plans[1] as string }),
    ]);
    const winners = settled.flatMap((r, i) => (r.status === "fulfilled" ? [{ lock: r.value, planId: plans[i] as string }] : []));
    const errors = settled.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(winners, tag).toHaveLength(1);
    expect(errors, tag).toHaveLength(1);
    return { winner: winners[0] as { lock: HeldLock; planId: string }, error: lockedError(errors[0]) };
  }

  it("50 racing pairs: exactly one holder each time, the other fails at once naming it; no new version", async () => {
    proxy.setFaults({ latencyMs: 15 });
    const [a, b] = [await port(), await port()];
    for (let i = 0; i < 50; i++) {
      // Five scopes: the first pair of each also races to create the lock secret.
      const scope = `race-${Math.floor(i / 10)}`;
      const started = Date.now();
      const { winner, error } = await race(a, b, scope, String(i));
      expect(Date.now() - started, `pair ${i} took too long`).toBeLessThan(3000);
      expect(error.message).toContain(`lock ID ${winner.lock.id}`);
      expect(error.message).toContain(`plan ${winner.planId}`);
      expect(error.message).toContain(`sopsync force-unlock ${winner.lock.id}`);
      expect(await versionCount(scope), `pair ${i}`).toBe(2);
      await winner.lock.release();
      expect((await readLock(a, scope)).state).toBe("free");
    }
    for (let s = 0; s < 5; s++) expect(await versionCount(`race-${s}`)).toBe(2);
    // Zero writes to secrets; the lock's own calls aside.
    expect(proxy.writes({ excludeLock: true })).toBe(0);
    expect(proxy.writes()).toBeGreaterThanOrEqual(50 * 3);
  });

  it("costs five calls per apply once the lock secret exists, four more on first use", async () => {
    const p = await port();
    await (await acquireLock(p, "cost", { planId: "first-use" })).release();
    // A failed CAS, DescribeSecret, CreateSecret, PutSecretValue (the held version), then as always.
    expect(proxy.stats.requests).toBe(5 + 4);
    proxy.resetStats();
    await (await acquireLock(p, "cost", { planId: "second" })).release();
    expect(proxy.stats.byOperation).toEqual({ UpdateSecretVersionStage: 2, TagResource: 1, DescribeSecret: 1, UntagResource: 1 });
  });

  it("waits up to timeoutMs: gets the lock once the holder releases it; otherwise fails naming the holder", async () => {
    const p = await port();
    const first = await acquireLock(p, "wait", { planId: "first" });
    const t0 = Date.now();
    const released = new Promise<void>((resolve, reject) => setTimeout(() => first.release().then(resolve, reject), 500));
    const second = await acquireLock(p, "wait", { planId: "second", timeoutMs: 10_000, pollMs: 100 });
    await released;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect((await readLock(p, "wait")).holder).toMatchObject({ id: second.id, planId: "second" });

    const t1 = Date.now();
    const err = lockedError(await acquireLock(p, "wait", { planId: "third", timeoutMs: 700, pollMs: 100 }).catch((e) => e));
    expect(Date.now() - t1).toBeGreaterThanOrEqual(700);
    expect(err.message).toMatch(/\(waited 0s\): lock ID /);
    expect(err.message).toContain(`lock ID ${second.id}, plan second`);
    await second.release();
    expect(await versionCount("wait")).toBe(2);
  });

  it("works through injected throttling and 5xx", async () => {
    proxy.setFaults({ throttleRate: 0.25, errorRate: 0.1, latencyMs: 5 });
    const [a, b] = [await port(), await port()];
    for (let i = 0; i < 6; i++) {
      const { winner, error } = await race(a, b, "faulty", String(i));
      // A holder slowed by retries may not have named itself within the grace period.
      expect([winner.lock.id, unrecordedLockId("faulty")].some((id) => error.message.includes(`lock ID ${id}`))).toBe(true);
      await winner.lock.release();
    }
    const f = proxy.stats.faults;
    expect(f.throttle).toBeGreaterThan(0);
    expect(f.error).toBeGreaterThan(0);
    expect(await versionCount("faulty")).toBe(2);
    expect((await readLock(a, "faulty")).state).toBe("free");
  });

  it("a lost answer to taking the lock: never assumed held; reported unrecorded, removed by force-unlock", async () => {
    const p = await port();
    await (await acquireLock(p, "lost", { planId: "setup" })).release();
    let dropped = false;
    hook = ({ operation }) => {
      if (operation !== "UpdateSecretVersionStage" || dropped) return undefined;
      dropped = true;
      return "drop-response";
    };
    const err = lockedError(await acquireLock(p, "lost", { planId: "lost" }).catch((e) => e));
    expect(proxy.stats.faults.droppedResponse).toBe(1);
    expect(err.message).toContain(`sopsync force-unlock ${unrecordedLockId("lost")}`);
    expect(await readLock(p, "lost")).toEqual({ state: "held", holder: { id: unrecordedLockId("lost") } });
    await expect(forceUnlock(p, "lost", "some-other-id")).rejects.toThrow(/held by lock ID unrecorded:lost/);
    await forceUnlock(p, "lost", unrecordedLockId("lost"));
    expect((await readLock(p, "lost")).state).toBe("free");
    expect(await versionCount("lost")).toBe(2);
  });

  it("a lock secret pending deletion is restored, not recreated", async () => {
    const p = await port();
    await (await acquireLock(p, "deleted", { planId: "setup" })).release();
    proxy.resetStats();
    await sm.send(new DeleteSecretCommand({ SecretId: lockSecretName("deleted"), RecoveryWindowInDays: 7 }));
    // What AWS answers for a secret scheduled for deletion (moto carries the call out regardless).
    let refused = false;
    hook = ({ operation }) => {
      if (operation !== "UpdateSecretVersionStage" || refused) return undefined;
      refused = true;
      return { status: 400, type: "InvalidRequestException", message: "the secret is scheduled for deletion" };
    };
    const held = await acquireLock(p, "deleted", { planId: "after-delete" });
    expect(proxy.stats.byOperation.RestoreSecret).toBe(1);
    expect(proxy.stats.byOperation.CreateSecret).toBeUndefined();
    expect((await sm.send(new DescribeSecretCommand({ SecretId: lockSecretName("deleted") }))).DeletedDate).toBeUndefined();
    expect((await readLock(p, "deleted")).holder?.id).toBe(held.id);
    await held.release();
    expect(await versionCount("deleted")).toBe(2);
  });

  it("a holder whose lock was force-unlocked and taken by another apply releases nothing of theirs", async () => {
    const p = await port();
    const stale = await acquireLock(p, "taken-over", { planId: "stale" });
    await forceUnlock(p, "taken-over", stale.id);
    const current = await acquireLock(p, "taken-over", { planId: "current" });
    await expect(stale.release()).rejects.toThrow(/no longer this apply's .* now held by lock ID/);
    expect((await readLock(p, "taken-over")).holder?.id).toBe(current.id);
    await current.release();
  });

  it("a SIGKILLed holder leaves the lock reported with its age; `sopsync force-unlock ID` removes it", async () => {
    // The holder is a separate process killed with SIGKILL while holding the lock: no release runs.
    const script = join(dir, "holder.mts");
    const src = (p: string) => pathToFileURL(join(projectRoot, p)).href;
    writeFileSync(
      script,
      [
        `import { createSdkPort } from ${JSON.stringify(src("src/aws/sdk-adapter.ts"))};`,
        `import { acquireLock } from ${JSON.stringify(src("src/run/lock.ts"))};`,
        `const port = await createSdkPort({ region: ${JSON.stringify(TEST_REGION)} });`,
        `const lock = await acquireLock(port, "killed", { planId: "killed-plan", who: "ci-runner-7" });`,
        'process.stdout.write("HELD " + lock.id + "\\n");',
        "setInterval(() => {}, 60_000);",
      ].join("\n"),
    );
    const tsx = pathToFileURL(join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;
    let child: ChildProcess | undefined;
    const held = new Promise<string>((resolve) => {
      void runProcess(process.execPath, ["--import", tsx, script], {
        env: { PATH: process.env.PATH ?? "", ...env },
        onSpawn: (c) => {
          child = c;
          let out = "";
          c.stdout?.on("data", (d) => {
            out += d;
            const m = /HELD (\S+)\n/.exec(out);
            if (m) resolve(m[1] as string);
          });
        },
      });
    });
    const id = await held;
    const exited = new Promise((r) => child?.once("exit", r));
    child?.kill("SIGKILL");
    await exited;

    const p = await port();
    // 3 minutes 12 seconds later, as the next apply sees it.
    const later = () => Date.now() + 192_000;
    const err = lockedError(await acquireLock(p, "killed", { planId: "next", now: later }).catch((e) => e));
    expect(err.message).toContain(`lock ID ${id}, plan killed-plan, by ci-runner-7`);
    expect(err.message).toMatch(/held for 3m1\ds \(since /);
    expect(err.message).toContain(`sopsync force-unlock ${id}`);
    expect((await readLock(p, "killed", { now: later })).ageSeconds).toBeGreaterThanOrEqual(192);

    const manifest = writeManifest(
      { scopeId: "killed", prefix: "lock-test/", secrets: { "lock-test/a": "not-used" } },
      { dir, recipient },
    );
    const wrong = await runCli(["force-unlock", "00000000-0000-4000-8000-000000000000", manifest], { env, cwd: dir });
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stderr).toContain("no apply lock with ID 00000000-0000-4000-8000-000000000000");
    expect(wrong.stderr).toContain(`lock ID ${id}`);
    expect((await readLock(p, "killed")).holder?.id).toBe(id);

    proxy.resetStats();
    const removed = await runCli(["force-unlock", id, manifest], { env, cwd: dir });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`Removed the apply lock of scope killed .*lock ID ${id}, plan killed-plan`));
    // force-unlock writes nothing but the lock.
    expect(proxy.writes({ excludeLock: true })).toBe(0);
    expect(proxy.writes()).toBe(2);
    expect((await readLock(p, "killed")).state).toBe("free");
    const next = await acquireLock(p, "killed", { planId: "next" });
    await next.release();
    expect(await versionCount("killed")).toBe(2);
  });
});
