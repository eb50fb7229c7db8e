// A crash at any point of an apply is recoverable: the CLI applying a 300-secret saved plan (150
// creates, 150 updates) is killed with SIGKILL 20 times, each time after a random number of write
// requests to secrets seen by the proxy — the killing request itself forwarded to moto or dropped at
// random, so sometimes the write lands after its client died. A killed apply leaves its lock held:
// the next apply is refused naming it, the lock is removed (force-unlock), and `apply plan.json`
// runs again — the saved plan still matches, as what moved is its own writes. In the end every
// secret holds the manifest's value in exactly one new version. SOPSYNC_FAULT_SEED picks other
// kill points.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestToken } from "../../src/apply/tokens.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { forceUnlock, readLock } from "../../src/run/lock.js";
import { awsEnv, MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";
import type { Plan } from "../../src/plan/model.js";
import { getString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type FaultProxy, LOCK_SECRET_PREFIX, seededRandom, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import type { Moto } from "../helpers/moto.js";
import type { ChildProcess } from "node:child_process";
import {
  applySummary,
  currentVersion,
  startProxiedMoto,
  stopProxiedMoto,
  versionsOf,
  writeManifest,
} from "../apply/cli-fixtures.js";

const SEED = Number(process.env.SOPSYNC_FAULT_SEED ?? 20261128);
const KILLS = 20;
const CANARY = "canary-kill-41c9aa";
const pad = (i: number) => String(i).padStart(3, "0");
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const upd = range(150).map((i) => `k/upd-${pad(i)}`);
const fresh = range(150).map((i) => `k/new-${pad(i)}`);

describe("apply killed and re-run", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  const sm = () => smClient(moto.endpoint);
  const random = seededRandom(SEED);
  /** The run to kill, and after how many of its write requests. */
  let victim:
    | { child?: ChildProcess; exited?: Promise<unknown>; after: number; seen: number; killed: boolean; forwarded?: boolean }
    | undefined;

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("kill", {
      onRequest: async ({ operation, secret }) => {
        if (!victim || victim.killed || !WRITE_OPERATIONS.has(operation) || secret?.startsWith(LOCK_SECRET_PREFIX)) return;
        if (++victim.seen < victim.after) return;
        victim.killed = true;
        victim.child?.kill("SIGKILL");
        await victim.exited;
        // The request that was on the wire when the client died: lost, or carried out anyway.
        victim.forwarded = random() < 0.5;
        return victim.forwarded ? undefined : "drop";
      },
    }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));

  it(`converges after ${KILLS} SIGKILLs at random points, with no duplicate versions`, async () => {
    const manifest = (round: "a" | "b", names: string[]) =>
      writeManifest(
        { scopeId: "kill", prefix: "k/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${round}-${n}`])) },
        { dir, recipient },
      );
    const seeded = await runCli(["apply", "--yes", "--max-rps", "200", manifest("a", upd)], { env, cwd: dir });
    expect(seeded.code, seeded.stderr).toBe(0);
    const before = new Map(await Promise.all(upd.map(async (n) => [n, currentVersion(await versionsOf(sm(), n))] as const)));

    const target = manifest("b", [...upd, ...fresh]);
    const planned = await runCli(["plan", "--out", "plan.json", target], { env, cwd: dir });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/Plan: 150 to create, 150 to update, 0 to delete/);
    const planId = (JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan).planId;

    // 150 creates + 150 puts = 300 writes at least (one call each, no version tag); 20 kills after at
    // most 14 writes each (280) cannot reach the end, whatever the seed, so every run is killed.
    const killPoints: number[] = [];
    const forwarded: boolean[] = [];
    const actionsPerRun: number[] = [];
    Object.assign(process.env, awsEnv(moto.endpoint)); // this test's own port, straight to moto
    const port = await createSdkPort({ region: TEST_REGION });
    for (let k = 0; k < KILLS; k++) {
      if (k > 0) {
        // The killed run's lock is still held; the first time the user's way (the refusal names the
        // lock and the command that removes it), after that directly.
        const lock = await readLock(port, "kill");
        expect(lock.state).toBe("held");
        if (k === 1) {
          const refused = await runCli(["apply", "plan.json"], { env, cwd: dir });
          expect(refused.code).toBe(1);
          expect(refused.stderr).toMatch(/held for \d+/);
          const id = /sopsync force-unlock (\S+)/.exec(refused.stderr)?.[1];
          expect(id, refused.stderr).toBeDefined();
          const unlocked = await runCli(["force-unlock", id as string, target], { env, cwd: dir });
          expect(unlocked.code, unlocked.stderr).toBe(0);
        } else await forceUnlock(port, "kill", lock.holder?.id as string);
      }
      const after = 1 + Math.floor(random() * 14);
      const v: NonNullable<typeof victim> = { after, seen: 0, killed: false };
      victim = v;
      const r = await runCli(["apply", "--max-rps", "200", "plan.json"], {
        env,
        cwd: dir,
        onSpawn: (child) => {
          v.child = child;
          v.exited = new Promise((resolve) => child.once("exit", resolve));
        },
      });
      expect(v.killed, `run ${k} finished before its kill point: ${r.stdout}${r.stderr}`).toBe(true);
      expect(r.code).toBe(-1); // killed by a signal
      killPoints.push(after);
      forwarded.push(v.forwarded === true);
      actionsPerRun.push((r.stderr.match(/^ok /gm) ?? []).length);
      victim = undefined;
    }

    const stale = await readLock(port, "kill");
    await forceUnlock(port, "kill", stale.holder?.id as string);
    const last = await runCli(["apply", "plan.json"], { env, cwd: dir });
    expect(last.code, last.stdout + last.stderr.slice(-3000)).toBe(0);
    const finished = applySummary(last.stdout);
    expect(finished).toMatchObject({ failed: 0, notStarted: 0 });
    // Only what the 20 killed runs left undone: their work is recognised, not redone.
    expect(finished?.applied).toBeLessThan(300);

    for (const name of upd) {
      const versions = await versionsOf(sm(), name);
      expect(versions, name).toHaveLength(2);
      expect(currentVersion(versions), name).toBe(
        requestToken(
          { planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: "kill" },
          name,
          "update-value",
          before.get(name),
        ),
      );
      expect(versions.find((v) => v.id === before.get(name))?.stages, name).toEqual(["AWSPREVIOUS"]);
      expect(await getString(sm(), name)).toBe(`${CANARY}-b-${name}`);
    }
    for (const name of fresh) {
      expect(
        (await versionsOf(sm(), name)).map((v) => v.id),
        name,
      ).toEqual([requestToken({ planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: "kill" }, name, "create")]);
      expect(await getString(sm(), name)).toBe(`${CANARY}-b-${name}`);
    }
    // Applying the finished plan once more writes nothing; a fresh plan finds nothing to do.
    const writesBefore = proxy.writes({ excludeLock: true });
    const repeat = await runCli(["apply", "plan.json"], { env, cwd: dir });
    expect(repeat.code, repeat.stderr).toBe(0);
    expect(repeat.stdout).toMatch(/Already applied, nothing to do/);
    expect(proxy.writes({ excludeLock: true })).toBe(writesBefore);
    const again = await runCli(["plan", "--detailed-exitcode", target], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    console.log(
      `kill figures (seed ${SEED}): kills after ${killPoints.join(",")} writes; ` +
        `killing request carried out in ${forwarded.filter(Boolean).length}/${KILLS}; ` +
        `actions per killed run ${actionsPerRun.join(",")}; final run ${finished?.applied} secrets, ${finished?.calls} write calls`,
    );
    assertNoCanary(allOutput, { canary: CANARY });
  }, 400_000);
});
