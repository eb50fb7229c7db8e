// Ctrl-C during apply: nothing new is started, the calls in flight finish, the lock is released, the
// outcome is printed with "interrupted: N of M applied; re-run to continue", exit 130. Typed on a real
// pseudo-terminal (util-linux `script`) as a user does, and sent as SIGINT to the child; during the
// read phase it abandons the reads and writes nothing. A second Ctrl-C quits at once and names the
// lock ID it leaves held, which `sopsync force-unlock` then removes.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { acquireLock, readLock } from "../../src/run/lock.js";
import { getString, listNames, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { cliCommand, onTerminal } from "../helpers/terminal.js";
import { type FaultProxy, LOCK_SECRET_PREFIX, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { awsEnv, type Moto, TEST_REGION } from "../helpers/moto.js";
import { applySummary, startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";

const CANARY = "canary-interrupt-6a3e91";
const names = Array.from({ length: 40 }, (_, i) => `i/s${String(i).padStart(2, "0")}`);

/** Waits for `step`, failing at once with the child's output if the run ends before it. */
function whileRunning<T>(step: Promise<T>, run: Promise<{ code: number; stderr: string }>): Promise<T> {
  return Promise.race([
    step,
    run.then((r) => {
      throw new Error(`apply ended (exit ${r.code}) before the step the test waits for:\n${r.stderr}`);
    }),
  ]);
}

/** A promise and its resolver. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

describe("Ctrl-C during apply", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  /** Called on every request to moto; may hold it. */
  let hook: ((r: { operation: string; secret?: string }) => Promise<void> | void) | undefined;
  const manifest = () =>
    writeManifest(
      { scopeId: "intr", prefix: "i/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${n}`])) },
      { dir, recipient },
    );
  const isSecretWrite = (r: { operation: string; secret?: string }) =>
    WRITE_OPERATIONS.has(r.operation) && !r.secret?.startsWith(LOCK_SECRET_PREFIX);
  const lockState = async () => {
    Object.assign(process.env, awsEnv(moto.endpoint));
    return readLock(await createSdkPort({ region: TEST_REGION }), "intr");
  };
  /** Summary figures and the "interrupted:" line agree with each other and with the account. */
  const checkSummary = async (text: string) => {
    const summary = applySummary(text);
    expect(summary, text).toBeDefined();
    const m = /^interrupted: (\d+) of 40 applied; re-run to continue\r?$/m.exec(text);
    expect(m, text).not.toBeNull();
    expect(Number(m?.[1])).toBe(summary?.applied);
    expect(summary?.applied).toBeGreaterThan(0);
    expect(summary?.notStarted).toBeGreaterThan(0);
    const notStarted = [...text.matchAll(/^ {2}· (\S+): not started\r?$/gm)].map((x) => x[1] as string);
    expect(notStarted).toHaveLength(summary?.notStarted as number);
    const live = new Set(await listNames(smClient(moto.endpoint)));
    for (const n of notStarted) expect(live.has(n), n).toBe(false);
    expect(names.filter((n) => live.has(n))).toHaveLength(summary?.applied as number);
  };

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("interrupt", {
      latencyMs: 20,
      onRequest: async (r) => {
        await hook?.(r);
        return undefined;
      },
    }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    hook = undefined;
    await moto.reset();
    proxy.resetStats();
  });

  it("on a terminal: Ctrl-C prints the outcome and 'interrupted: N of 40 applied', releases the lock, exits 130", async () => {
    const file = manifest();
    let writes = 0;
    const run = onTerminal(cliCommand(["apply", "--yes", "--max-rps", "8", file]), {
      env: { HOME: dir, ...env },
      cwd: dir,
      onSpawn: (terminal) => {
        hook = (r) => {
          // Ctrl-C typed on the terminal: the line discipline sends SIGINT to the apply.
          if (isSecretWrite(r) && ++writes === 5) terminal.stdin.write("\x03");
        };
      },
    });
    const { code, output } = await run;
    expect(code, output).toBe(130);
    expect(output).toMatch(/Interrupted: starting nothing new/);
    await checkSummary(output);
    expect((await lockState()).state).toBe("free");
    assertNoCanary(allOutput, { canary: CANARY });
  }, 90_000);

  it("SIGINT while reading: the reads are abandoned, nothing is written, the lock is released, exit 130", async () => {
    const file = manifest();
    const held = gate();
    const reading = gate();
    let child: ChildProcess | undefined;
    hook = async ({ operation }) => {
      if (operation !== "ListSecrets") return;
      reading.open();
      await held.wait;
    };
    const done = runCli(["apply", "--yes", file], {
      env,
      cwd: dir,
      onSpawn: (c) => {
        child = c;
      },
    });
    try {
      await whileRunning(reading.wait, done);
      child?.kill("SIGINT");
      const t = Date.now();
      const r = await done;
      expect(Date.now() - t).toBeLessThan(10_000);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/^interrupted before the first write; nothing was changed$/m);
      expect(r.stderr).not.toMatch(/internal|bug in sopsync/i);
    } finally {
      held.open();
    }
    expect(proxy.writes({ excludeLock: true })).toBe(0);
    expect((await lockState()).state).toBe("free");
  }, 60_000);

  it("a second SIGINT quits at once naming the lock ID left held; force-unlock with it frees the lock", async () => {
    const file = manifest();
    const held = gate();
    const reached = gate();
    let writes = 0;
    hook = async (r) => {
      if (!isSecretWrite(r)) return;
      // After 3 writes, the ones in flight never finish (until the test lets them).
      if (++writes > 3) {
        reached.open();
        await held.wait;
      }
    };
    let child: ChildProcess | undefined;
    let stderr = "";
    const said = gate();
    const done = runCli(["apply", "--yes", file], {
      env,
      cwd: dir,
      onSpawn: (c) => {
        child = c;
        c.stderr?.on("data", (d) => {
          stderr += d;
          if (stderr.includes("Interrupted: starting nothing new")) said.open();
        });
      },
    });
    try {
      await whileRunning(reached.wait, done);
      child?.kill("SIGINT");
      await whileRunning(said.wait, done);
      child?.kill("SIGINT");
      const r = await done;
      expect(r.code, r.stderr).toBe(130);
      const m = /sopsync force-unlock (\S+) (\S+)$/m.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(m?.[2]).toBe(file);
      const lock = await lockState();
      expect(lock.state).toBe("held");
      expect(lock.holder?.id).toBe(m?.[1]);

      const unlocked = await runCli(["force-unlock", m?.[1] as string, file], { env, cwd: dir });
      expect(unlocked.code, unlocked.stderr).toBe(0);
      expect((await lockState()).state).toBe("free");
    } finally {
      held.open();
    }
    // The writes that were held land now (their client is gone); then a re-run finishes the rest.
    hook = undefined;
    await new Promise((r) => setTimeout(r, 1500));
    const again = await runCli(["apply", "--yes", file], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(await getString(smClient(moto.endpoint), "i/s39")).toBe(`${CANARY}-i/s39`);
    assertNoCanary(allOutput, { canary: CANARY });
  }, 90_000);

  it("SIGINT while waiting for another apply's lock (--lock-timeout): stops waiting at once, exit 130, that lock untouched", async () => {
    const file = manifest();
    Object.assign(process.env, awsEnv(moto.endpoint));
    const other = await acquireLock(await createSdkPort({ region: TEST_REGION }), "intr", {
      planId: "00000000-0000-4000-8000-000000000001",
      who: "another apply",
    });
    let tries = 0;
    const waiting = gate();
    hook = ({ operation, secret }) => {
      if (operation === "UpdateSecretVersionStage" && secret?.startsWith(LOCK_SECRET_PREFIX) && ++tries === 2) waiting.open();
    };
    let child: ChildProcess | undefined;
    const done = runCli(["apply", "--yes", "--lock-timeout", "5m", file], {
      env,
      cwd: dir,
      onSpawn: (c) => {
        child = c;
      },
    });
    await whileRunning(waiting.wait, done);
    child?.kill("SIGINT");
    const t = Date.now();
    const r = await done;
    expect(Date.now() - t).toBeLessThan(5000);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^interrupted before the first write; nothing was changed$/m);
    expect(proxy.writes({ excludeLock: true })).toBe(0);
    const lock = await lockState();
    expect(lock.state).toBe("held");
    expect(lock.holder?.id).toBe(other.id);
    await other.release();
  }, 60_000);
});
