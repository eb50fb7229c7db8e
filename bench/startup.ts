// CLI start-up: `sopsync --version` as a whole process against a bare `node -e 0` on the same machine,
// interleaved so a busy neighbour slows both alike. Every CLI command pays this before its own work.
import { median, round, runChild } from "./measure.js";
import { CLI } from "./plan-bench.js";

export interface StartupBench {
  repetitions: number;
  /** Median seconds of `node -e 0`. */
  node: number;
  /** Median seconds of `node dist/cli/main.js --version` (the entry `bin` points at). */
  cli: number;
  nodePeakRssMb?: number;
  cliPeakRssMb?: number;
  ratio: number;
  /** Which code measured it. */
  source: string;
}

export async function startupBench(env: NodeJS.ProcessEnv, repetitions = 10): Promise<StartupBench> {
  const node: number[] = [];
  const cli: number[] = [];
  let nodeRss = 0;
  let cliRss = 0;
  for (let i = 0; i < repetitions; i++) {
    const n = await runChild(process.execPath, ["-e", "0"], env);
    const c = await runChild(process.execPath, [CLI, "--version"], env);
    if (c.code !== 0) throw new Error(`sopsync --version failed (${c.code}): ${c.stderr.slice(-1000)}`);
    node.push(n.seconds);
    cli.push(c.seconds);
    nodeRss = Math.max(nodeRss, n.peakRssMb ?? 0);
    cliRss = Math.max(cliRss, c.peakRssMb ?? 0);
  }
  const nodeS = median(node);
  const cliS = median(cli);
  return {
    repetitions,
    node: round(nodeS, 3),
    cli: round(cliS, 3),
    nodePeakRssMb: nodeRss ? round(nodeRss, 1) : undefined,
    cliPeakRssMb: cliRss ? round(cliRss, 1) : undefined,
    ratio: round(cliS / nodeS, 2),
    source: "bench/startup.ts",
  };
}
