// `npm run bench [-- --sizes 100,1000,5000] [--latency-ms 30] [--apply-max N] [--sections plan,apply,decrypt]`
// Starts its own moto, seeds it, and measures plan, drift, apply and decrypt; prints a table and
// writes bench/results/<YYYY-MM-DD>.json. See bench/README.md for how to read the figures.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFaultProxy } from "../test/helpers/fault-proxy.js";
import { awsEnv, startMoto } from "../test/helpers/moto.js";
import { generateAgeKey } from "../test/helpers/tools.js";
import { applyBench } from "./apply-bench.js";
import { type DecryptBench, decryptBench } from "./decrypt-bench.js";
import { writeManifest } from "./fixtures.js";
import { round } from "./measure.js";
import {
  checkDriftFound,
  checkInSync,
  driftIndices,
  driftValues,
  perSecret,
  seedAccount,
  sopsyncPlan,
  terraformStyleRefresh,
} from "./plan-bench.js";
import { evaluateTargets, machineInfo, printReport, saveResults } from "./report.js";
import type { SizeResult } from "./results.js";

export interface Options {
  sizes: number[];
  latencyMs: number;
  applyMax: number;
  sections: Set<string>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizes: [100, 1000, 5000],
    latencyMs: 0,
    applyMax: Number.POSITIVE_INFINITY,
    sections: new Set(["plan", "apply", "decrypt"]),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--sizes") o.sizes = value().split(",").map(Number);
    else if (flag === "--latency-ms") o.latencyMs = Number(value());
    else if (flag === "--apply-max") o.applyMax = Number(value());
    else if (flag === "--sections") o.sections = new Set(value().split(","));
    else throw new Error(`unknown option ${flag}; see bench/README.md`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 20)) throw new Error("--sizes: integers >= 20");
  if (!(o.latencyMs >= 0)) throw new Error("--latency-ms: a number >= 0");
  return o;
}

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const startedAt = new Date();
  const dir = mkdtempSync(join(tmpdir(), "sopsync-bench-"));
  const key = generateAgeKey(dir);
  process.env.SOPS_AGE_KEY_FILE = key.file;
  const moto = await startMoto({ setProcessEnv: false });
  // Latency only: the test fault proxy with every fault rate at zero.
  const proxy =
    opts.latencyMs > 0 ? await startFaultProxy({ target: moto.endpoint, seed: 1, latencyMs: opts.latencyMs }) : undefined;
  // sopsync (in this process and in children) talks through the proxy when there is one; seeding
  // drift uses moto directly.
  const sopsyncEnv = awsEnv(proxy?.endpoint ?? moto.endpoint);
  Object.assign(process.env, sopsyncEnv);
  const childEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    ...sopsyncEnv,
    SOPS_AGE_KEY_FILE: key.file,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };

  const sizes: SizeResult[] = [];
  let decrypt: DecryptBench | undefined;
  try {
    for (const n of opts.sizes) {
      const r: SizeResult = { n };
      sizes.push(r);
      if (opts.sections.has("plan")) {
        log(`N=${n}: encrypting the manifest with sops, seeding moto`);
        const file = writeManifest(dir, n, 1, key.recipient);
        await moto.reset();
        r.seedSeconds = round((await seedAccount(file)).seconds, 2);
        log(`N=${n}: seeded in ${r.seedSeconds}s; sopsync plan (in sync)`);
        const plan = await sopsyncPlan(file, childEnv);
        checkInSync(plan, n);
        log(`N=${n}: baseline refresh`);
        const baseline = await terraformStyleRefresh(n);
        r.plan = {
          sopsync: { ...plan, callsPerSecret: perSecret(plan.calls, n) },
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
      if (opts.sections.has("apply")) {
        const m = Math.min(n, opts.applyMax);
        log(`N=${n}: apply ${m} creates + ${m} updates at default pacing, then one by one`);
        const files = { r1: writeManifest(dir, m, 1, key.recipient), r2: writeManifest(dir, m, 2, key.recipient) };
        r.apply = await applyBench(files, () => moto.reset());
      }
    }
    if (opts.sections.has("decrypt")) {
      log("decrypt: 10,000 values, sops -d vs sopsync in-process vs sopsync CLI");
      decrypt = await decryptBench(dir, key.recipient, key.file);
    }
  } finally {
    await proxy?.stop();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const run = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: {
      sizes: opts.sizes,
      latencyMs: opts.latencyMs,
      applyMax: Number.isFinite(opts.applyMax) ? opts.applyMax : null,
      sections: [...opts.sections],
      proxy: proxy ? "test/helpers/fault-proxy (latency only)" : null,
    },
    sizes,
    decrypt,
  };
  const targets = evaluateTargets(run);
  printReport(run, targets);
  const path = saveResults({ ...run, targets }, machineInfo());
  process.stdout.write(`\nResults: ${path}\n`);
  if (targets.some((t) => t.met === false)) process.stdout.write("Some targets were missed; see above.\n");
}

await main();
