// Decrypt benchmark: one manifest of 10,000 encrypted values made by the real sops, opened by
// `sops -d`, by sopsync in-process (decryptFile) and by the built CLI (`sopsync validate`).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { toolPath } from "../test/helpers/tools.js";
import { BUNDLE, CLI } from "./entries.js";
import { valueCount, writeManifest } from "./fixtures.js";
import { type ChildRun, median, round, runChild } from "./measure.js";

const DECRYPT_CHILD = join(import.meta.dirname, "decrypt-child.ts");
/** 5,000 secrets, half JSON (3 values) and half strings (1 value): 10,000 values. */
export const DECRYPT_SECRETS = 5000;

export interface Measured {
  /** Median over the repetitions. */
  seconds: number;
  /** Highest over the repetitions. */
  peakRssMb?: number;
}

export interface DecryptBench {
  values: number;
  fileBytes: number;
  repetitions: number;
  sops: Measured;
  /** decryptFile alone, in a fresh process (startup not counted); RSS is the whole process's. */
  sopsyncInProcess: Measured;
  /** `node dist/cli/main.js validate FILE`, whole process: startup, decrypt, MAC, validation. */
  sopsyncCli: Measured;
  /** `node dist/cli/main.js --version`: the CLI's start-up alone, part of every CLI figure. */
  cliStartup: Measured;
  /** `node action/sopsync.mjs validate FILE`: the action's bundle, when it is built. */
  sopsyncBundle?: Measured;
  ratioInProcess: number;
  ratioCli: number;
  ratioBundle?: number;
}

function ok(r: ChildRun, what: string): ChildRun {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  return r;
}

function summarize(runs: { seconds: number; peakRssMb?: number }[]): Measured {
  const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== undefined);
  return {
    seconds: round(median(runs.map((r) => r.seconds)), 3),
    peakRssMb: rss.length ? round(Math.max(...rss), 1) : undefined,
  };
}

export async function decryptBench(dir: string, recipient: string, keyFile: string, repetitions = 5): Promise<DecryptBench> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' (scripts/setup.sh builds it)`);
  const file = writeManifest(dir, DECRYPT_SECRETS, 1, recipient);
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, SOPS_AGE_KEY_FILE: keyFile, NO_COLOR: "1" };
  const sops: ChildRun[] = [];
  const inProcess: { seconds: number; peakRssMb?: number }[] = [];
  const cli: ChildRun[] = [];
  const startup: ChildRun[] = [];
  const bundle: ChildRun[] = [];
  const haveBundle = existsSync(BUNDLE);
  // Interleaved, so a busy neighbour on the machine slows all three alike.
  for (let i = 0; i < repetitions; i++) {
    sops.push(ok(await runChild(toolPath("sops"), ["-d", file], env), "sops -d"));
    const child = ok(await runChild(process.execPath, ["--import", "tsx", DECRYPT_CHILD, file], env), "sopsync decryptFile");
    const parsed = JSON.parse(child.stdout) as { seconds: number; peakRssMb: number };
    inProcess.push({ seconds: parsed.seconds, peakRssMb: child.peakRssMb ?? parsed.peakRssMb });
    cli.push(ok(await runChild(process.execPath, [CLI, "validate", file], env), "sopsync validate"));
    startup.push(ok(await runChild(process.execPath, [CLI, "--version"], env), "sopsync --version"));
    if (haveBundle) bundle.push(ok(await runChild(process.execPath, [BUNDLE, "validate", file], env), "bundle validate"));
  }
  const b = haveBundle ? summarize(bundle) : undefined;
  const s = summarize(sops);
  const p = summarize(inProcess);
  const c = summarize(cli);
  return {
    values: valueCount(DECRYPT_SECRETS),
    fileBytes: statSync(file).size,
    repetitions,
    sops: s,
    sopsyncInProcess: p,
    sopsyncCli: c,
    cliStartup: summarize(startup),
    sopsyncBundle: b,
    ratioInProcess: round(p.seconds / s.seconds, 3),
    ratioCli: round(c.seconds / s.seconds, 3),
    ratioBundle: b && round(b.seconds / s.seconds, 3),
  };
}
