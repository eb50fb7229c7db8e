// Fleet benchmark: many targets (one AWS Region each, in moto's one account) of the same size,
// planned by the built CLI as a whole process: one target alone, then all of them with the default
// `--parallel` and with `--parallel <targets>`. Requests go CLI -> latency proxy (counts every call
// on the wire) -> a router that sends each Region to one of several moto servers, so one Python
// process is not the only thing serving the whole fleet.
import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { startFaultProxy } from "../test/helpers/fault-proxy.js";
import { awsEnv, type Moto, startMoto } from "../test/helpers/moto.js";
import { runProcess } from "../test/helpers/spawn.js";
import { writeManifest } from "./fixtures.js";
import { type ChildRun, cpuWhile, median, round, runChild } from "./measure.js";
import { CLI, motoScript } from "./entries.js";
import { cliPlan, seedAccount, withEndpoint } from "./plan-bench.js";

/** Twenty Regions, one target each; the order is the manifests' (and the plan's) order. */
export const FLEET_REGIONS = [
  "af-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "eu-central-1",
  "eu-north-1",
  "eu-south-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "me-south-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
] as const;

export interface FleetOptions {
  targets: number;
  secretsPerTarget: number;
  latencyMs: number;
  motos: number;
  repetitions: number;
  moto: "fast" | "stock";
}

export interface FleetPlan {
  /** `plan` arguments after the files, e.g. `--parallel 20`. */
  args: string[];
  targets: number;
  /** Median whole-process wall time; every run's time. */
  seconds: number;
  runs: number[];
  peakRssMb?: number;
  /** Median CPU seconds of the CLI process (user + system): near `seconds` x cores means CPU-bound. */
  cliCpuSeconds?: number;
  /** Median CPU seconds of this process meanwhile: the latency proxy and the Region router. */
  proxyCpuSeconds: number;
  /** Median CPU seconds of the moto servers meanwhile. */
  motoCpuSeconds?: number;
  /**
   * (CLI + proxy + moto CPU) / cores: the wall time this machine needs for the run's work even with
   * every core busy all the time. A run cannot be faster than this, however it is scheduled.
   */
  cpuFloorSeconds?: number;
  /** Requests on the wire (the proxy's count) of one run. */
  calls: number;
  callsPerSecret: number;
  byOperation: Record<string, number>;
}

export interface FleetBench {
  targets: number;
  secretsPerTarget: number;
  latencyMs: number;
  motos: number;
  repetitions: number;
  seedSeconds: number;
  /** The CLI's `--parallel` default, read from `plan --help`; null when the option does not exist. */
  defaultParallel: number | null;
  one: FleetPlan;
  /** All targets, `--parallel` left at its default. */
  allDefault: FleetPlan;
  /** All targets, `--parallel <targets>`; null when the CLI has no --parallel. */
  allParallel: FleetPlan | null;
  /** allParallel (or allDefault) time / one target's time. */
  timeRatio: number;
  /**
   * `sopsync validate` of one manifest and of the whole folder (whole process, median): start-up,
   * decrypt and validation without AWS, the part of each plan that does not depend on the account.
   */
  validate: { oneSeconds: number; allSeconds: number };
}

/** Sends each SigV4-signed request to the moto its Region is served by. */
async function startRegionRouter(upstreams: readonly string[], regions: readonly string[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const index = new Map(regions.map((r, i) => [r, i % upstreams.length]));
  const server = createServer((req, res) => {
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
    const up = new URL(upstreams[index.get(region ?? "") ?? 0] as string);
    const out = request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host }, agent },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    out.on("error", () => req.socket.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function cliValidate(files: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  const r = await runChild(process.execPath, [CLI, "validate", ...files], env);
  if (r.code !== 0) throw new Error(`sopsync validate exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  return r;
}

/** The default of `plan --parallel`, or null when the built CLI has no such option. */
export async function parallelDefault(env: NodeJS.ProcessEnv): Promise<number | null> {
  const r = await runProcess(process.execPath, [CLI, "plan", "--help"], { env });
  // Commander wraps long help lines: join them before looking.
  const help = r.stdout.replace(/\s+/g, " ");
  if (!help.includes("--parallel")) return null;
  const m = /--parallel <n>[^-]*?\(default: (\d+)\)/.exec(help);
  return m ? Number(m[1]) : null;
}

export async function fleetBench(
  dir: string,
  recipient: string,
  env: NodeJS.ProcessEnv,
  o: FleetOptions,
  log: (s: string) => void,
): Promise<FleetBench> {
  const regions = FLEET_REGIONS.slice(0, o.targets);
  if (regions.length < o.targets) throw new Error(`--fleet-targets: at most ${FLEET_REGIONS.length}`);
  const fleetDir = join(dir, "fleet");
  mkdirSync(fleetDir, { recursive: true });
  log(`fleet: encrypting ${o.targets} manifests of ${o.secretsPerTarget} secrets`);
  const files = regions.map((r) => writeManifest(fleetDir, o.secretsPerTarget, 1, recipient, r));

  const motos: Moto[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    for (let i = 0; i < o.motos; i++) {
      const m = await startMoto({ setProcessEnv: false, script: motoScript(o.moto) });
      motos.push(m);
      stops.push(() => m.stop());
    }
    const router = await startRegionRouter(
      motos.map((m) => m.endpoint),
      regions,
    );
    stops.push(router.stop);
    const proxy = await startFaultProxy({ target: router.endpoint, seed: 1, latencyMs: o.latencyMs });
    stops.push(() => proxy.stop());

    log(`fleet: seeding ${o.targets * o.secretsPerTarget} secrets over ${o.motos} moto server(s)`);
    // Each moto's targets seeded at once, straight to the router (no latency).
    const byMoto = motos.map((_, k) => files.filter((_, i) => i % motos.length === k));
    const seed = await withEndpoint(router.endpoint, () =>
      Promise.all(byMoto.filter((f) => f.length).map((f) => seedAccount(f))),
    );
    const seedSeconds = Math.max(...seed.map((s) => s.seconds));

    const childEnv = { ...env, ...awsEnv(proxy.endpoint), NO_COLOR: "1" };
    const defaultParallel = await parallelDefault(childEnv);
    const variants: { name: keyof Pick<FleetBench, "one" | "allDefault" | "allParallel">; files: string[]; args: string[] }[] = [
      { name: "one", files: [files[0] as string], args: [] },
      { name: "allDefault", files: [fleetDir], args: [] },
    ];
    if (defaultParallel !== null)
      variants.push({ name: "allParallel", files: [fleetDir], args: ["--parallel", String(o.targets)] });

    const runs = new Map<string, { run: ChildRun; calls: Record<string, number>; proxyCpu: number; motoCpu?: number }[]>();
    const validate = { one: [] as number[], all: [] as number[] };
    // Interleaved, so a busy neighbour on the machine slows every variant alike.
    for (let rep = 0; rep < o.repetitions; rep++) {
      for (const v of variants) {
        log(`fleet: plan ${v.name} (${rep + 1}/${o.repetitions})`);
        proxy.resetStats();
        const cpu = process.cpuUsage();
        const { result: run, cpuSeconds: motoCpu } = await cpuWhile(
          motos.map((m) => m.pid),
          () => cliPlan(v.files, v.args, childEnv),
        );
        const used = process.cpuUsage(cpu);
        const proxyCpu = (used.user + used.system) / 1e6;
        runs.set(v.name, [...(runs.get(v.name) ?? []), { run, calls: { ...proxy.stats.byOperation }, proxyCpu, motoCpu }]);
      }
      validate.one.push((await cliValidate([files[0] as string], childEnv)).seconds);
      validate.all.push((await cliValidate([fleetDir], childEnv)).seconds);
    }
    const cores = availableParallelism();
    const summary = (v: (typeof variants)[number]): FleetPlan => {
      const rs = runs.get(v.name) ?? [];
      const targets = v.name === "one" ? 1 : o.targets;
      const calls = rs[0]?.calls ?? {};
      const total = Object.values(calls).reduce((a, b) => a + b, 0);
      const rss = rs.map((r) => r.run.peakRssMb).filter((x): x is number => x !== undefined);
      const cpu = rs.map((r) => r.run.cpuSeconds).filter((x): x is number => x !== undefined);
      const motoCpu = rs.map((r) => r.motoCpu).filter((x): x is number => x !== undefined);
      const floors = rs.flatMap((r) =>
        r.run.cpuSeconds !== undefined && r.motoCpu !== undefined ? [(r.run.cpuSeconds + r.proxyCpu + r.motoCpu) / cores] : [],
      );
      return {
        args: v.args,
        targets,
        seconds: round(median(rs.map((r) => r.run.seconds)), 3),
        runs: rs.map((r) => round(r.run.seconds, 3)),
        peakRssMb: rss.length ? round(Math.max(...rss), 1) : undefined,
        cliCpuSeconds: cpu.length ? round(median(cpu), 2) : undefined,
        proxyCpuSeconds: round(median(rs.map((r) => r.proxyCpu)), 2),
        motoCpuSeconds: motoCpu.length ? round(median(motoCpu), 2) : undefined,
        cpuFloorSeconds: floors.length ? round(median(floors), 2) : undefined,
        calls: total,
        callsPerSecret: round(total / (targets * o.secretsPerTarget), 4),
        byOperation: calls,
      };
    };
    const [one, allDefault, allParallel] = variants.map(summary) as [FleetPlan, FleetPlan, FleetPlan | undefined];
    return {
      targets: o.targets,
      secretsPerTarget: o.secretsPerTarget,
      latencyMs: o.latencyMs,
      motos: o.motos,
      repetitions: o.repetitions,
      seedSeconds: round(seedSeconds, 2),
      defaultParallel,
      one,
      allDefault,
      allParallel: allParallel ?? null,
      timeRatio: round((allParallel ?? allDefault).seconds / one.seconds, 3),
      validate: { oneSeconds: round(median(validate.one), 3), allSeconds: round(median(validate.all), 3) },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}
