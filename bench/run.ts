// `npm run bench [-- --sizes 500,5000] [--latency-ms 30] [--apply-max N] [--sections ...] [--repetitions N]
//   [--fleet-targets 20] [--fleet-secrets 500] [--fleet-motos 2] [--moto fast|stock]`
// Starts its own moto, seeds it, and measures start-up, decrypt, plan, drift, the fleet, apply and the
// action; prints a table and writes bench/results/<YYYY-MM-DD>.json. See bench/README.md for how to
// read the figures.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startFaultProxy } from "../test/helpers/fault-proxy.js";
import { awsEnv, startMoto } from "../test/helpers/moto.js";
import { generateAgeKey } from "../test/helpers/tools.js";
import { actionBench } from "./action-bench.js";
import { applyBench } from "./apply-bench.js";
import { type DecryptBench, decryptBench } from "./decrypt-bench.js";
import { type FleetBench, fleetBench } from "./fleet-bench.js";
import { BUNDLE, motoScript } from "./entries.js";
import { writeManifest } from "./fixtures.js";
import { round } from "./measure.js";
import {
  checkDriftFound,
  checkInSync,
  cliPlanRepeated,
  driftIndices,
  driftValues,
  perSecret,
  readFloor,
  seedAccount,
  sopsyncPlan,
  terraformStyleRefresh,
  withEndpoint,
} from "./plan-bench.js";
import { evaluateTargets, machineInfo, printReport, saveMarkdownTargets, saveResults } from "./report.js";
import type { ActionResult, SizeResult, StartupResult } from "./results.js";
import { startupRows } from "./startup-bench.js";

/** Start-up runs are short: more of them than of the other figures. */
const STARTUP_REPETITIONS = 10;

/** Each of the action's install runs is a whole `npm ci` + build (about a minute): two of them. */
const ACTION_REPETITIONS = 2;

export const SECTIONS = ["startup", "decrypt", "plan", "fleet", "apply", "action"] as const;

export interface Options {
  sizes: number[];
  latencyMs: number;
  applyMax: number;
  sections: Set<string>;
  repetitions: number;
  fleet: { targets: number; secretsPerTarget: number; motos: number };
  /** moto as installed (`stock`), or with its lookups by name made a dictionary lookup (`fast`, bench/moto-fast-lookups.py). */
  moto: "fast" | "stock";
}

const countOrAll = (v: string) => (v === "all" ? Number.POSITIVE_INFINITY : Number(v));

function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizes: [500, 5000],
    latencyMs: 30,
    applyMax: 300,
    sections: new Set(SECTIONS),
    repetitions: 3,
    fleet: { targets: 20, secretsPerTarget: 500, motos: 2 },
    moto: "fast",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--sizes") o.sizes = value().split(",").map(Number);
    else if (flag === "--latency-ms") o.latencyMs = Number(value());
    else if (flag === "--apply-max") o.applyMax = countOrAll(value());
    else if (flag === "--sections") o.sections = new Set(value().split(","));
    else if (flag === "--repetitions") o.repetitions = Number(value());
    else if (flag === "--fleet-targets") o.fleet.targets = Number(value());
    else if (flag === "--fleet-secrets") o.fleet.secretsPerTarget = Number(value());
    else if (flag === "--fleet-motos") o.fleet.motos = Number(value());
    else if (flag === "--moto") {
      const m = value();
      if (m !== "fast" && m !== "stock") throw new Error("--moto: fast or stock");
      o.moto = m;
    } else throw new Error(`unknown option ${flag}; see bench/README.md`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 20)) throw new Error("--sizes: integers >= 20");
  if (!(o.latencyMs >= 0)) throw new Error("--latency-ms: a number >= 0");
  if (!(o.applyMax >= 20)) throw new Error("--apply-max: a number >= 20, or all");
  const unknown = [...o.sections].filter((x) => !(SECTIONS as readonly string[]).includes(x));
  if (unknown.length) throw new Error(`--sections: unknown ${unknown.join(", ")}; known: ${SECTIONS.join(",")}`);
  for (const [name, v] of [
    ["--repetitions", o.repetitions],
    ["--fleet-targets", o.fleet.targets],
    ["--fleet-secrets", o.fleet.secretsPerTarget],
    ["--fleet-motos", o.fleet.motos],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: a whole number >= 1`);
  }
  return o;
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const startedAt = new Date();
  // Other work on the machine moves every timing: the load average before and after says how much.
  const loadAtStart = loadavg().map((x) => round(x, 2));
  const dir = mkdtempSync(join(tmpdir(), "sopsync-bench-"));
  const key = generateAgeKey(dir);
  process.env.SOPS_AGE_KEY_FILE = key.file;
  const moto = await startMoto({ setProcessEnv: false, script: motoScript(opts.moto) });
  // The test fault proxy with every fault rate at zero: it adds the latency, and counts every request
  // on the wire. sopsync (in this process and in children) talks through it; seeding and drift go to
  // moto directly.
  const proxy = await startFaultProxy({ target: moto.endpoint, seed: 1, latencyMs: opts.latencyMs });
  const sopsyncEnv = awsEnv(proxy.endpoint);
  Object.assign(process.env, sopsyncEnv);
  const baseEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    SOPS_AGE_KEY_FILE: key.file,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    NO_COLOR: "1",
  };
  const childEnv = { ...baseEnv, ...sopsyncEnv };

  const sizes: SizeResult[] = [];
  let decrypt: DecryptBench | undefined;
  let startup: StartupResult | undefined;
  let fleet: FleetBench | undefined;
  let action: ActionResult | undefined;
  const has = (s: (typeof SECTIONS)[number]) => opts.sections.has(s);
  try {
    // Start-up first, on a machine as quiet as it gets during the run.
    if (has("startup")) {
      log("start-up: node -e 0 vs sopsync --version, whole processes");
      startup = { repetitions: STARTUP_REPETITIONS, rows: await startupRows(baseEnv, STARTUP_REPETITIONS) };
    }
    if (has("decrypt")) {
      log("decrypt: 10,000 values, sops -d vs sopsync in-process vs sopsync CLI");
      decrypt = await decryptBench(dir, key.recipient, key.file);
    }
    for (const n of opts.sizes) {
      if (!has("plan")) break;
      const r: SizeResult = { n };
      sizes.push(r);
      log(`N=${n}: encrypting the manifest with sops, seeding moto`);
      const file = writeManifest(dir, n, 1, key.recipient);
      await moto.reset();
      r.seedSeconds = round((await withEndpoint(moto.endpoint, () => seedAccount(file))).seconds, 2);
      log(`N=${n}: seeded in ${r.seedSeconds}s; sopsync plan (in sync), in-process phases`);
      const plan = await sopsyncPlan(file, childEnv);
      checkInSync(plan, n);
      log(`N=${n}: sopsync plan, the built CLI, ${opts.repetitions} times`);
      const cli = await cliPlanRepeated(file, childEnv, opts.repetitions, moto.pid);
      log(`N=${n}: baseline refresh`);
      const baseline = await terraformStyleRefresh(n);
      r.plan = {
        sopsync: { ...plan, callsPerSecret: perSecret(plan.calls, n) },
        cli,
        floor: readFloor(plan.byOperation),
        baseline: { ...baseline, callsPerSecret: perSecret(baseline.calls, n) },
        callRatio: round(plan.calls / baseline.calls, 4),
        timeRatio: round(plan.totalSeconds / baseline.seconds, 4),
        speedup: round(baseline.seconds / plan.totalSeconds, 2),
      };
      log(`N=${n}: drifting 5% out of band; sopsync plan (drift)`);
      const drifted = driftIndices(n);
      await driftValues(moto.endpoint, drifted);
      const driftPlan = await sopsyncPlan(file, childEnv);
      const check = checkDriftFound(driftPlan, drifted);
      r.drift = {
        changed: check.expected,
        found: check.found,
        plan: { ...driftPlan, callsPerSecret: perSecret(driftPlan.calls, n) },
      };
    }
    if (has("fleet")) {
      fleet = await fleetBench(
        dir,
        key.recipient,
        baseEnv,
        { ...opts.fleet, latencyMs: opts.latencyMs, repetitions: opts.repetitions, moto: opts.moto },
        log,
      );
    }
    if (has("apply")) {
      const m = Math.min(Math.max(...opts.sizes), opts.applyMax);
      const r: SizeResult = sizes.find((s) => s.n === m) ?? { n: m };
      if (!sizes.includes(r)) sizes.push(r);
      log(`N=${m}: apply ${m} creates + ${m} updates at default pacing, then one by one`);
      const files = { r1: writeManifest(dir, m, 1, key.recipient), r2: writeManifest(dir, m, 2, key.recipient) };
      r.apply = await applyBench(files, () => moto.reset(), proxy);
    }
    if (has("action")) {
      log("action: the step from its start to the plan printed, bundle vs install + build");
      // An empty account: the action's plan of its small manifest is all creates.
      await moto.reset();
      action = existsSync(BUNDLE)
        ? await actionBench({ dir, recipient: key.recipient, env: childEnv, repetitions: ACTION_REPETITIONS, log })
        : { notMeasured: "n/a (not built: no action/sopsync.mjs)" };
    }
  } finally {
    await proxy.stop();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const run = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    loadAverage: { start: loadAtStart, end: loadavg().map((x) => round(x, 2)) },
    options: {
      sizes: opts.sizes,
      latencyMs: opts.latencyMs,
      applyMax: Number.isFinite(opts.applyMax) ? opts.applyMax : null,
      sections: [...opts.sections],
      proxy: "test/helpers/fault-proxy (latency only)",
      repetitions: opts.repetitions,
      fleet: opts.fleet,
      moto: opts.moto,
    },
    sizes,
    decrypt,
    startup,
    fleet,
    action,
  };
  const targets = evaluateTargets(run);
  printReport(run, targets);
  const path = saveResults({ ...run, targets }, machineInfo());
  const table = saveMarkdownTargets(run, targets, machineInfo());
  process.stdout.write(`\nResults: ${path}; the targets as markdown: ${table}\n`);
  if (targets.some((t) => t.met === false)) process.stdout.write("Some targets were missed; see above.\n");
}

await main();
