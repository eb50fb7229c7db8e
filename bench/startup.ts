// CLI start-up: `sopsync --version` as a whole process against a bare `node -e 0` on the same machine,
// interleaved so a busy neighbour slows all alike. Every CLI command pays this before its own work.
// Both ways sopsync is run: the npm package's bin (dist/cli/main.js) and the action's single-file
// bundle, when it exists.
import { existsSync } from "node:fs";
import { BUNDLE, CLI } from "./entries.js";
import { median, round, runChild } from "./measure.js";

export interface StartupFigure {
  /** Median seconds, whole process. */
  seconds: number;
  peakRssMb?: number;
  /** seconds / node -e 0's seconds. */
  ratio: number;
}

export interface StartupBench {
  repetitions: number;
  node: StartupFigure;
  /** `node dist/cli/main.js --version`: the entry `bin` points at. */
  cli: StartupFigure;
  /** `node action/sopsync.mjs --version`: the action's bundle; absent when it is not built. */
  bundle?: StartupFigure;
  /** Which code measured it. */
  source: string;
}

export async function startupBench(env: NodeJS.ProcessEnv, repetitions = 10): Promise<StartupBench> {
  const commands: Record<string, string[]> = { node: ["-e", "0"], cli: [CLI, "--version"] };
  if (existsSync(BUNDLE)) commands.bundle = [BUNDLE, "--version"];
  const runs: Record<string, { seconds: number[]; rss: number }> = {};
  for (let i = 0; i < repetitions; i++) {
    for (const [name, args] of Object.entries(commands)) {
      const r = await runChild(process.execPath, args, env);
      if (r.code !== 0) throw new Error(`node ${args.join(" ")} failed (${r.code}): ${r.stderr.slice(-1000)}`);
      const acc = runs[name] ?? { seconds: [], rss: 0 };
      acc.seconds.push(r.seconds);
      acc.rss = Math.max(acc.rss, r.peakRssMb ?? 0);
      runs[name] = acc;
    }
  }
  const nodeSeconds = median(runs.node?.seconds ?? [1]);
  const figure = (name: string): StartupFigure | undefined => {
    const r = runs[name];
    if (!r) return undefined;
    const s = median(r.seconds);
    return { seconds: round(s, 3), peakRssMb: r.rss ? round(r.rss, 1) : undefined, ratio: round(s / nodeSeconds, 2) };
  };
  return {
    repetitions,
    node: figure("node") as StartupFigure,
    cli: figure("cli") as StartupFigure,
    bundle: figure("bundle"),
    source: "bench/startup.ts",
  };
}
