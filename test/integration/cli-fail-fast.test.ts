// Failing fast and speaking while waiting, through the CLI as a user meets it: an endpoint where
// nothing listens fails in seconds naming it; one that accepts and never answers fails within the
// per-attempt timeout (SOPSYNC_REQUEST_TIMEOUT here, to keep the test short) times its 3 attempts;
// a call retried for more than 2 s says so on stderr; `--timeout` bounds a whole plan, and an apply
// it cuts short lists the secrets it did not start, which are not on the account.
import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { readLock } from "../../src/run/lock.js";
import { listNames, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import type { FaultProxy, OnRequestResult } from "../helpers/fault-proxy.js";
import { awsEnv, type Moto, TEST_REGION } from "../helpers/moto.js";
import { generateAgeKey } from "../helpers/tools.js";
import { startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";

const CANARY = "canary-failfast-5e21c7";

/** A loopback port where nothing listens: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A server that accepts connections and reads requests but never answers. */
async function silentServer(): Promise<{
  endpoint: string;
  connections: () => number;
  /** When the first connection came (ms since the epoch), once one did. */
  firstConnection: () => number | undefined;
  stop: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let count = 0;
  let first: number | undefined;
  const server: Server = createServer((s) => {
    count++;
    first ??= Date.now();
    sockets.add(s);
    s.on("data", () => {});
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => count,
    firstConnection: () => first,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - t };
}

const firstLine = (text: string) => text.split("\n").find((l) => l.startsWith("Error")) ?? "";

describe("an endpoint that is not there", () => {
  let dir: string;
  let file: string;
  let keyFile: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sopsync-failfast-"));
    const key = generateAgeKey(dir);
    file = writeManifest({ scopeId: "ff", prefix: "ff/", secrets: { "ff/a": `${CANARY}-a` } }, { dir, recipient: key.recipient });
    keyFile = key.file;
  });

  const env = (endpoint: string, extra: Record<string, string> = {}) => ({
    ...awsEnv(endpoint),
    SOPS_AGE_KEY_FILE: keyFile,
    ...extra,
  });

  it("connection refused: plan and apply fail in seconds naming the endpoint, exit 1, not internal", async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    // The same start and decryption without AWS: what the machine needs before the first call.
    const baseline = await timed(() => runCli(["validate", file], { env: env(endpoint), cwd: dir }));
    for (const args of [
      ["plan", file],
      ["apply", "--yes", file],
    ]) {
      const { result: r, ms } = await timed(() => runCli(args, { env: env(endpoint), cwd: dir }));
      expect(r.code, r.stderr).toBe(1);
      // The old behaviour took 17-23 s of retries after the start; now under 5 s, however slow the start.
      expect(ms - baseline.ms).toBeLessThan(5000);
      expect(ms).toBeLessThan(8000 + baseline.ms);
      expect(firstLine(r.stderr)).toContain(`cannot reach ${endpoint}`);
      expect(firstLine(r.stderr)).toContain("ECONNREFUSED");
      expect(r.stderr).not.toMatch(/internal|bug in sopsync/i);
      expect(r.stdout).toBe("");
    }
  }, 60_000);

  it("an endpoint that never answers: fails after 3 attempts of the per-attempt timeout, saying it retries", async () => {
    const silent = await silentServer();
    try {
      const r = await runCli(["plan", file], { env: env(silent.endpoint, { SOPSYNC_REQUEST_TIMEOUT: "1s" }), cwd: dir });
      // From the first connection to the exit: 3 attempts of 1 s plus short backoff, far below a minute.
      const ms = Date.now() - (silent.firstConnection() ?? Number.NaN);
      expect(r.code, r.stderr).toBe(1);
      expect(ms).toBeGreaterThanOrEqual(2900);
      expect(ms).toBeLessThan(3 * 1000 + 5000);
      expect(silent.connections()).toBeGreaterThanOrEqual(1);
      expect(firstLine(r.stderr)).toContain(`cannot reach ${silent.endpoint}`);
      expect(firstLine(r.stderr)).toMatch(/ETIMEDOUT.*\(3 attempts\)/);
      // The third attempt starts more than 2 s after the first: said, with the network code only.
      expect(r.stderr).toMatch(/^retrying \(3\/3\): ETIMEDOUT$/m);
      expect(r.stderr).not.toMatch(/internal|bug in sopsync/i);
    } finally {
      await silent.stop();
    }
  }, 60_000);

  it("--timeout ends a plan against an endpoint that never answers at the deadline", async () => {
    const silent = await silentServer();
    try {
      const { result: r, ms } = await timed(() =>
        runCli(["plan", "--timeout", "2s", file], {
          env: env(silent.endpoint, { SOPSYNC_REQUEST_TIMEOUT: "30s" }),
          cwd: dir,
        }),
      );
      expect(r.code, r.stderr).toBe(1);
      // The deadline counts from the start, so the whole run is bounded (attempts alone would take 90 s).
      expect(ms).toBeGreaterThanOrEqual(2000);
      expect(ms).toBeLessThan(2000 + 10_000);
      expect(Date.now() - (silent.firstConnection() ?? Number.NaN)).toBeLessThan(2000 + 3000);
      expect(firstLine(r.stderr)).toMatch(/^Error: plan did not finish within 2s \(--timeout\)/);
      expect(r.stderr).not.toMatch(/internal|bug in sopsync/i);
    } finally {
      await silent.stop();
    }
  }, 60_000);

  it("a bad --timeout is a usage error", async () => {
    const r = await runCli(["plan", "--timeout", "soon", file], { env: env("http://127.0.0.1:9"), cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'soon' is not a duration/);
  });
});

describe("retries and deadlines against moto", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  let decide: ((r: { operation: string; secret?: string }) => OnRequestResult | Promise<OnRequestResult>) | undefined;

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("failfast", {
      onRequest: (r) => decide?.(r),
    }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    decide = undefined;
    await moto.reset();
    proxy.resetStats();
  });

  it("a call throttled past 2 s prints 'retrying (n/10): ThrottlingException' and then succeeds", async () => {
    const file = writeManifest({ scopeId: "rt", prefix: "rt/", secrets: { "rt/a": `${CANARY}-rt` } }, { dir, recipient });
    // Throttled until one refusal has been served 2.5 s after the first attempt reached the proxy (the
    // client started it no later), so at least one retry surely comes more than 2 s into the call,
    // whatever the backoff's jitter.
    let since: number | undefined;
    let late = false;
    decide = ({ operation }) => {
      if (operation !== "ListSecrets" || late) return undefined;
      since ??= Date.now();
      if (Date.now() - since >= 2500) late = true;
      return { status: 400, type: "ThrottlingException", message: "Rate exceeded" };
    };
    const r = await runCli(["plan", file], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\+ rt\/a: create/);
    const notices = r.stderr.split("\n").filter((l) => l.startsWith("retrying"));
    expect(notices.length).toBeGreaterThan(0);
    for (const l of notices) expect(l).toMatch(/^retrying \((\d+)\/10\): ThrottlingException$/);
    const first = Number(/^retrying \((\d+)\//.exec(notices[0] as string)?.[1]);
    expect(proxy.stats.faults.injected).toBeGreaterThanOrEqual(first - 1);
  }, 60_000);

  it("a call throttled twice (retried for well under 2 s) is not announced", async () => {
    const file = writeManifest({ scopeId: "rq", prefix: "rq/", secrets: { "rq/a": `${CANARY}-rq` } }, { dir, recipient });
    // Counted, not timed: two throttles cost two short backoffs, far below 2 s on any machine.
    let throttled = 0;
    decide = ({ operation }) =>
      operation === "ListSecrets" && throttled++ < 2
        ? { status: 400, type: "ThrottlingException", message: "Rate exceeded" }
        : undefined;
    const r = await runCli(["plan", file], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.stats.faults.injected).toBe(2);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("retrying"))).toEqual([]);
  }, 60_000);

  it("credentials refused mid-apply: no further secret is started, and the outcome says why and which", async () => {
    const names = Array.from({ length: 20 }, (_, i) => `ex/s${String(i).padStart(2, "0")}`);
    const file = writeManifest(
      { scopeId: "ex", prefix: "ex/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${n}`])) },
      { dir, recipient },
    );
    let creates = 0;
    decide = ({ operation }) =>
      operation === "CreateSecret" && ++creates > 3
        ? { status: 400, type: "ExpiredTokenException", message: "The security token included in the request is expired" }
        : undefined;
    const r = await runCli(["apply", "--yes", "--max-rps", "2", file], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const m = /^stopped: (\d+) of 20 applied \(ExpiredTokenException on (\S+)\); re-run to continue$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const notStarted = [...r.stdout.matchAll(/^ {2}· (\S+): not started$/gm)].map((x) => x[1] as string);
    const failed = [...r.stdout.matchAll(/^ {2}! (\S+): create failed: ExpiredTokenException: /gm)].map((x) => x[1] as string);
    expect(failed).toContain(m?.[2]);
    // Only the calls already under way when the first refusal came failed; the rest never started.
    expect(notStarted.length).toBeGreaterThan(10);
    expect(Number(m?.[1]) + failed.length + notStarted.length).toBe(20);
    expect(creates).toBe(3 + failed.length);
    expect(r.stdout).toMatch(/Stopped starting secrets: ExpiredTokenException on /);
  }, 60_000);

  it("apply --timeout: in-flight writes finish, nothing new starts, the not-started secrets are listed and absent", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `to/s${String(i).padStart(2, "0")}`);
    const file = writeManifest(
      { scopeId: "to", prefix: "to/", secrets: Object.fromEntries(names.map((n) => [n, `${CANARY}-${n}`])) },
      { dir, recipient },
    );
    // Each create takes 2 s: 8 at a time, 40 need 10 s, more than the run is given.
    decide = async ({ operation }) => {
      if (operation === "CreateSecret") await new Promise((r) => setTimeout(r, 2000));
      return undefined;
    };
    const { result: r, ms } = await timed(() => runCli(["apply", "--yes", "--timeout", "8s", file], { env, cwd: dir }));
    expect(r.code, r.stderr).toBe(1);
    // The deadline, then at most the creates in flight (2 s each), then the lock's release.
    expect(ms).toBeLessThan(8000 + 8000);
    const notStarted = [...r.stdout.matchAll(/^ {2}· (\S+): not started$/gm)].map((m) => m[1] as string);
    expect(notStarted.length).toBeGreaterThan(0);
    const m = /^timed out: (\d+) of 40 applied \(the --timeout of 8s was reached\); re-run to continue$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const applied = Number(m?.[1]);
    expect(applied + notStarted.length).toBe(40);
    expect(r.stdout).toMatch(/Stopped starting secrets: the --timeout of 8s was reached\./);
    // What the outcome says is what the account holds.
    const live = new Set(await listNames(smClient(moto.endpoint)));
    for (const n of notStarted) expect(live.has(n), n).toBe(false);
    expect(names.filter((n) => live.has(n)).length).toBe(applied);
    Object.assign(process.env, awsEnv(moto.endpoint));
    expect((await readLock(await createSdkPort({ region: TEST_REGION }), "to")).state).toBe("free");
    assertNoCanary(allOutput, { canary: CANARY });
  }, 90_000);
});
