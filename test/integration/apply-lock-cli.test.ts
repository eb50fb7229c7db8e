// The apply lock as users meet it, through the CLI: a second apply on the same scope fails at once
// naming the first (or waits with --lock-timeout), plan never takes the lock, and Ctrl-C stops
// starting new work, prints what ran, releases the lock and exits 130.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { readLock } from "../../src/run/lock.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type FaultProxy, LOCK_SECRET_PREFIX, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { awsEnv, type Moto, TEST_REGION } from "../helpers/moto.js";
import { applySummary, startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";
import type { ChildProcess } from "node:child_process";

const CANARY = "canary-lockcli-33b8e0";
const names = Array.from({ length: 60 }, (_, i) => `l/s${String(i).padStart(2, "0")}`);

describe("the apply lock through the CLI", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  /** Called on each write request to a secret (not the lock's). */
  let onSecretWrite: (() => void | Promise<void>) | undefined;
  /** Called on each request about the lock secret. */
  let onLockRequest: (() => void) | undefined;
  const manifest = (round: string) =>
    writeManifest(
      { scopeId: "lockcli", prefix: "l/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${round}-${n}`])) },
      { dir, recipient },
    );
  const lockState = async () => {
    Object.assign(process.env, awsEnv(moto.endpoint));
    return readLock(await createSdkPort({ region: TEST_REGION }), "lockcli");
  };

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("lockcli", {
      latencyMs: 20,
      onRequest: async ({ operation, secret }) => {
        if (secret?.startsWith(LOCK_SECRET_PREFIX)) onLockRequest?.();
        else if (WRITE_OPERATIONS.has(operation)) await onSecretWrite?.();
        return undefined;
      },
    }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    onSecretWrite = undefined;
    onLockRequest = undefined;
    await moto.reset();
  });

  /**
   * Starts an apply and resolves once it has made `n` writes to secrets (it then holds the lock). With
   * `hold`, its writes from the n-th on wait for it, so the apply surely still holds the lock meanwhile,
   * however slow the machine.
   */
  function startApply(args: string[], n: number, hold?: Promise<void>) {
    let child: ChildProcess | undefined;
    let seen = 0;
    let reached: () => void = () => {};
    const writing = new Promise<void>((r) => {
      reached = r;
    });
    onSecretWrite = async () => {
      if (++seen === n) reached();
      if (seen >= n) await hold;
    };
    const done = runCli(args, {
      // A held write must not time out and be retried meanwhile.
      env: hold ? { ...env, SOPSYNC_REQUEST_TIMEOUT: "2m" } : env,
      cwd: dir,
      onSpawn: (c) => {
        child = c;
      },
    });
    return { writing, done, child: () => child };
  }

  it("a second apply fails at once naming the holder; with --lock-timeout it waits and then applies; plan needs no lock", async () => {
    let release: () => void = () => {};
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const first = startApply(["apply", "--yes", "--max-rps", "20", manifest("a")], 3, hold);
    await first.writing;
    const second = await runCli(["apply", "--yes", manifest("a")], { env, cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/lock/i);
    expect(second.stderr).toMatch(/held for \d+/);
    expect(second.stderr).toMatch(/sopsync force-unlock \S+/);
    const planned = await runCli(["plan", manifest("a")], { env, cwd: dir });
    expect(planned.code, planned.stderr).toBe(0);
    // The first apply is held mid-write, so every lock request now is the waiting apply's: release the
    // first once the waiting one has read the lock and found it held.
    let lockRequests = 0;
    const sawLock = new Promise<void>((r) => {
      onLockRequest = () => {
        if (++lockRequests === 2) r();
      };
    });
    const waiting = runCli(["apply", "--yes", "--lock-timeout", "2m", manifest("a")], { env, cwd: dir });
    await sawLock;
    onLockRequest = undefined;
    release();
    const waited = await waiting;
    expect((await first.done).code).toBe(0);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(/No changes|Nothing left to apply/);
    expect((await lockState()).state).toBe("free");
  }, 120_000);

  it("Ctrl-C finishes the calls in flight, prints what ran, releases the lock and exits 130; a re-run finishes", async () => {
    const run = startApply(["apply", "--yes", "--max-rps", "10", manifest("b")], 5);
    await run.writing;
    run.child()?.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Interrupted/);
    const summary = applySummary(r.stdout);
    expect(summary?.applied).toBeGreaterThan(0);
    expect(summary?.notStarted).toBeGreaterThan(0);
    expect((await lockState()).state).toBe("free");
    onSecretWrite = undefined;
    const again = await runCli(["apply", "--yes", manifest("b")], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const clean = await runCli(["plan", "--detailed-exitcode", manifest("b")], { env, cwd: dir });
    expect(clean.code, clean.stderr).toBe(0);
    assertNoCanary(allOutput, { canary: CANARY });
  }, 120_000);
});
