// A reader that goes away (`sopsync plan | head -1`, `sopsync apply … | head`) closes the pipe: the
// CLI must end quietly — no EPIPE stack trace — with the exit code of what it did, and an apply must
// still finish its work and release its lock. The pipe is closed from this side, as head does.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { readLock } from "../../src/run/lock.js";
import { getString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { awsEnv, type Moto, TEST_REGION } from "../helpers/moto.js";
import { startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";

const CANARY = "canary-epipe-2b9f60";
const names = Array.from({ length: 12 }, (_, i) => `e/s${String(i).padStart(2, "0")}`);

/** Closes our end of the child's stdout: at once, or after its first output (as `head -1` does). */
const closeStdout = (when: "at-once" | "after-first-output") => (child: ChildProcess) => {
  if (when === "at-once") child.stdout?.destroy();
  else child.stdout?.once("data", () => child.stdout?.destroy());
};

const noCrash = (stderr: string) => {
  expect(stderr).not.toMatch(/EPIPE|ERR_STREAM_DESTROYED|^\s+at .+:\d+:\d+\)?$/m);
  expect(stderr).not.toMatch(/internal|bug in sopsync/i);
};

describe("a closed stdout", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  let file: string;

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("epipe", {}));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    await moto.reset();
    file = writeManifest(
      { scopeId: "epipe", prefix: "e/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${n}`])) },
      { dir, recipient },
    );
  });

  it("plan with its reader gone ends quietly with plan's own exit code (2: changes)", async () => {
    const r = await runCli(["plan", "--detailed-exitcode", file], { env, cwd: dir, onSpawn: closeStdout("at-once") });
    noCrash(r.stderr);
    expect(r.code, r.stderr).toBe(2);
  }, 60_000);

  it("apply | head: the plan is read, the reader leaves, the apply finishes quietly, exit 0, lock released", async () => {
    let firstOutput = "";
    const r = await runCli(["apply", "--yes", file], {
      env,
      cwd: dir,
      onSpawn: (child) => {
        child.stdout?.once("data", (d) => {
          firstOutput = String(d);
        });
        closeStdout("after-first-output")(child);
      },
    });
    noCrash(r.stderr);
    expect(r.code, r.stderr).toBe(0);
    expect(firstOutput).toMatch(/\+ e\/s00: create/);
    // The work was done although nobody read its summary.
    expect(r.stderr).toMatch(/^ok {3}create e\/s11$/m);
    const sm = smClient(moto.endpoint);
    for (const n of names) expect(await getString(sm, n)).toBe(`${CANARY}-${n}`);
    Object.assign(process.env, awsEnv(moto.endpoint));
    expect((await readLock(await createSdkPort({ region: TEST_REGION }), "epipe")).state).toBe("free");
    assertNoCanary(allOutput, { canary: CANARY });
  }, 60_000);
});
