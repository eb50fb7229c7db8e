// `plan` over a fleet of targets (one account, three Regions, so three sets of credentials and
// pacers) reads them concurrently, bounded by --parallel. Everything is decided by counting requests
// on the wire (the fault proxy sees which Region each request was signed for) and by holding
// requests at the proxy, never by how long something took: a throttled target does not slow the
// others, the bound holds, and the output is the serial run's whatever order the targets finish in.
import type { IncomingHttpHeaders } from "node:http";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { manifestText, type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { assertNoCanary, runCli } from "../helpers/cli.js";
import { pacersOf } from "../../src/run/workflow.js";
import type { OnRequestResult } from "../helpers/fault-proxy.js";
import { runSops } from "../helpers/tools.js";

const CANARY = "canary-parallel-value-5d1c";
/** Sorted as the run sorts targets (account, then Region): A is planned first by a serial run. */
const [A, B, C] = ["eu-west-1", "eu-west-2", "us-west-2"] as const;
const REGIONS = [A, B, C];

interface Seen {
  seq: number;
  region: string;
  operation: string;
  /** What the hook answered: undefined = forwarded. */
  answered?: string;
}

type Hook = (r: Seen) => OnRequestResult | Promise<OnRequestResult>;

const regionOf = (h: IncomingHttpHeaders) => /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(h.authorization ?? ""))?.[1] ?? "?";
const isSecretsManager = (h: IncomingHttpHeaders) => String(h["x-amz-target"] ?? "").startsWith("secretsmanager.");

describe("plan over several targets, concurrently", () => {
  let w: ProxiedMoto;
  /** Secrets Manager requests seen by the proxy in this test, in arrival order. */
  let seen: Seen[] = [];
  let hook: Hook = () => undefined;
  const outputs: string[] = [];
  const plan = async (...args: string[]) => {
    const r = await runCli(["plan", "fleet", ...args], { cwd: w.dir, env: w.env });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const of = (region: string, list = seen) => list.filter((s) => s.region === region);

  beforeAll(async () => {
    w = await startProxiedMoto("parallel", {
      onRequest: async ({ operation, seq, headers }) => {
        if (!isSecretsManager(headers)) return undefined; // STS: asked once per target before any read
        const s: Seen = { seq, region: regionOf(headers), operation };
        seen.push(s);
        const answer = await hook(s);
        if (answer && typeof answer === "object") s.answered = answer.type;
        return answer;
      },
    });
    const dir = join(w.dir, "fleet");
    mkdirSync(dir);
    const config = join(w.dir, "sops-config.yaml");
    writeFileSync(config, `creation_rules:\n  - encrypted_regex: ^(value|binary)$\n    age: ${w.recipient}\n`);
    for (const [i, region] of REGIONS.entries()) {
      const scopeId = `team-${"abc"[i]}`;
      const file = join(dir, `${scopeId}.yaml`);
      const secrets = Object.fromEntries(["db", "api", "queue"].map((n) => [`${scopeId}/${n}`, `${CANARY}-${n}`]));
      writeFileSync(
        file,
        manifestText({ scopeId, prefix: `${scopeId}/`, secrets }).replace("region: eu-west-1", `region: ${region}`),
      );
      const r = runSops(["--config", config, "encrypt", "--in-place", file], {});
      if (r.status !== 0) throw new Error(`sops encrypt failed: ${r.stderr}`);
    }
  }, 120_000);
  beforeEach(() => {
    seen = [];
    hook = () => undefined;
  });
  afterAll(async () => {
    assertNoCanary(outputs, { value: CANARY });
    await stopProxiedMoto(w);
  });

  it("a throttled target does not slow the others: they finish, with no extra request, while it is still refused", async () => {
    // The serial run's requests per Region: what each target costs when nothing is throttled.
    const serial = await plan("--parallel", "1", "--format", "json");
    expect(serial.code, serial.stderr).toBe(0);
    const cost = Object.fromEntries(REGIONS.map((r) => [r, of(r).length]));
    expect(cost[B]).toBeGreaterThan(0);

    // Now every request for A is throttled until B and C have made all of theirs. Were B or C waiting
    // on A (read after it, or sharing its pacers or its retry budget), A would stay throttled until
    // its retries ran out and the plan would fail.
    seen = [];
    const othersDone = () => of(B).length + of(C).length >= (cost[B] ?? 0) + (cost[C] ?? 0);
    hook = (s) =>
      s.region === A && !othersDone() ? { status: 400, type: "ThrottlingException", message: "Rate exceeded" } : undefined;
    const r = await plan("--format", "json");
    expect(r.code, r.stderr).toBe(0);

    const throttled = of(A).filter((s) => s.answered === "ThrottlingException");
    expect(throttled.length).toBeGreaterThan(0);
    // B and C: exactly the serial run's requests, none throttled, none retried.
    expect(of(B).length).toBe(cost[B]);
    expect(of(C).length).toBe(cost[C]);
    expect([...of(B), ...of(C)].every((s) => s.answered === undefined)).toBe(true);
    // They were done while A was still being refused: A's first request to get through came after
    // the last of theirs.
    const lastOther = Math.max(...[...of(B), ...of(C)].map((s) => s.seq));
    const firstThroughA = Math.min(
      ...of(A)
        .filter((s) => s.answered === undefined)
        .map((s) => s.seq),
    );
    expect(firstThroughA).toBeGreaterThan(lastOther);
    expect(Math.max(...throttled.map((s) => s.seq))).toBeLessThan(firstThroughA);
    // A's plan is complete all the same: its retries got through once B and C were done.
    const p = JSON.parse(r.stdout);
    expect(p.targets.map((t: { target: { region: string } }) => t.target.region)).toEqual(REGIONS);
    expect(p.targets[0].summary.create).toBe(3);
  });

  /**
   * Holds every Secrets Manager request until `hold` Regions have a request waiting, then `settleMs`
   * more (so a target started beyond the bound would show up), and records how many Regions had a
   * request waiting at once. A target cannot finish while its requests are held, so with a bound of
   * N no (N+1)th Region can appear; a wrong bound shows up as an extra Region during the wait.
   */
  function holdUntil(hold: number, settleMs: number): { regionsAtOnce: () => number } {
    const waiting = new Set<string>();
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let open = false;
    let timer: NodeJS.Timeout | undefined;
    let atOnce = 0;
    hook = async (s) => {
      if (open) return undefined;
      waiting.add(s.region);
      atOnce = Math.max(atOnce, waiting.size);
      if (waiting.size >= hold && !timer) {
        timer = setTimeout(() => {
          open = true;
          release();
        }, settleMs);
      }
      await released;
      return undefined;
    };
    // Whatever happens, nothing is held for ever: a bound too low shows as fewer Regions at once.
    setTimeout(() => {
      open = true;
      release();
    }, 20_000).unref();
    return { regionsAtOnce: () => atOnce };
  }

  it("--parallel bounds how many targets are read at once (counted by the requests held at the proxy)", async () => {
    const two = holdUntil(2, 750);
    const r2 = await plan("--parallel", "2", "--quiet");
    expect(r2.code, r2.stderr).toBe(0);
    expect(two.regionsAtOnce()).toBe(2);

    seen = [];
    const one = holdUntil(1, 750);
    const r1 = await plan("--parallel", "1", "--quiet");
    expect(r1.code, r1.stderr).toBe(0);
    expect(one.regionsAtOnce()).toBe(1);

    // The default (4) reads all three at once.
    seen = [];
    const all = holdUntil(3, 0);
    const rd = await plan("--quiet");
    expect(rd.code, rd.stderr).toBe(0);
    expect(all.regionsAtOnce()).toBe(3);
  });

  it("prints the same grouped output as a serial run, whatever order the targets finish in", async () => {
    const stable = (s: string) =>
      s
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "PLAN-ID")
        .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, "TIME");
    for (const format of ["text", "markdown", "json"]) {
      seen = [];
      hook = () => undefined;
      const serial = await plan("--parallel", "1", "--format", format);
      expect(serial.code, serial.stderr).toBe(0);
      const others = of(B).length + of(C).length;
      // A (first in sorted order) is held at the proxy until B and C have sent every request they
      // sent in the serial run, so it is read last; `passed` numbers the requests as they go through.
      seen = [];
      let passed = 0;
      let open: () => void = () => {};
      const othersSent = new Promise<void>((r) => {
        open = r;
      });
      const order = new Map<Seen, number>();
      hook = async (s) => {
        if (s.region !== A && of(B).length + of(C).length >= others) open();
        if (s.region === A) await othersSent;
        order.set(s, ++passed);
        return undefined;
      };
      const parallel = await plan("--parallel", "3", "--format", format);
      expect(parallel.code, parallel.stderr).toBe(0);
      const through = (region: string) => of(region).map((x) => order.get(x) ?? 0);
      expect(Math.min(...through(A))).toBeGreaterThan(Math.max(...through(B), ...through(C)));
      expect(stable(parallel.stdout)).toBe(stable(serial.stdout));
      expect(parallel.stdout.length).toBeGreaterThan(0);
    }
  });

  it("apply reads the targets concurrently and writes them one after another, printing what a serial run prints", async () => {
    const stable = (s: string) =>
      s
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "PLAN-ID")
        .replace(/in [\d.]+s(, [\d.]+\/s)?\)/g, "in TIME)");
    const apply = async (...args: string[]) => {
      await w.moto.reset();
      const r = await runCli(["apply", "fleet", "--yes", ...args], { cwd: w.dir, env: w.env });
      outputs.push(r.stdout, r.stderr);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };
    const serial = await apply("--parallel", "1");
    // A's read waits at the proxy until B and C have started theirs: read concurrently, A is read last.
    seen = [];
    let open: () => void = () => {};
    const othersReading = new Promise<void>((r) => {
      open = r;
    });
    const reads = (region: string) => of(region).filter((x) => x.operation === "ListSecrets").length;
    hook = async (s) => {
      if (s.operation !== "ListSecrets") return undefined;
      if (reads(B) > 0 && reads(C) > 0) open();
      if (s.region === A) await othersReading;
      return undefined;
    };
    const parallel = await apply("--parallel", "3");
    expect(reads(A)).toBeGreaterThan(0);
    await w.moto.reset();
    expect(stable(parallel.stdout)).toBe(stable(serial.stdout));
    // Progress lines (one per action, not a terminal) come grouped per target, in the sorted order;
    // within a target its secrets are written concurrently, so their order there may differ.
    const progress = (r: { stderr: string }) => r.stderr.split("\n").filter((l) => /^(ok {2}|FAIL) /.test(l));
    expect([...progress(parallel)].sort()).toEqual([...progress(serial)].sort());
    const scopes = progress(parallel).map((l) => /team-[abc]/.exec(l)?.[0]);
    expect(scopes).toEqual([...scopes].sort());
    expect(new Set(scopes).size).toBe(3);
  });

  it("renders a plan of several targets as one fleet comment in markdown", async () => {
    const r = await plan("--format", "markdown");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith("<!-- sopsync-fleet -->\n")).toBe(true);
    // One table row per target, in sorted order, then each target's details.
    const rows = r.stdout.split("\n").filter((l) => /^\| `\d{12}` \|/.test(l));
    expect(rows.map((l) => l.split("|")[2]?.trim())).toEqual(REGIONS.map((x) => `\`${x}\``));
    expect(r.stdout.match(/<summary><code>team-[abc]<\/code> · account/g)).toHaveLength(3);
    expect(r.stdout.length).toBeLessThanOrEqual(65_536);
  });

  it.each(["0", "abc", "-2", "1.5"])("refuses --parallel %s before reading anything (exit 1)", async (v) => {
    const r = await plan("--parallel", v);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`option '--parallel <n>' argument '${v}' is invalid`);
    expect(r.stderr).toContain("expected a whole number of targets, at least 1");
    expect(r.stdout).toBe("");
    expect(seen).toHaveLength(0);
    const a = await runCli(["apply", "fleet", "--yes", "--parallel", v], { cwd: w.dir, env: w.env });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("expected a whole number of targets, at least 1");
    expect(seen).toHaveLength(0);
  });
});

describe("pacers per account and Region", () => {
  it("scopes in one account and Region share one set; another account or Region has its own", () => {
    const p = pacersOf({ account: "111111111111", region: "eu-west-1" });
    expect(pacersOf({ account: "111111111111", region: "eu-west-1" })).toBe(p);
    expect(pacersOf({ account: "111111111111", region: "us-east-1" })).not.toBe(p);
    expect(pacersOf({ account: "222222222222", region: "eu-west-1" })).not.toBe(p);
    // Per quota family inside a set: one pacer object per family, never shared across sets.
    expect(pacersOf({ account: "222222222222", region: "eu-west-1" }).pacer("ListSecrets")).not.toBe(p.pacer("ListSecrets"));
  });
});
