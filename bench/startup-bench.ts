// CLI start-up as a whole process: `sopsync --version` from the npm package's bin (dist/cli/main.js)
// and from the action's bundle (action/sopsync.mjs), each as a ratio to a bare `node -e 0`. The three
// run in turn, round after round, so a busy neighbour slows all alike; medians are reported.
// Importing this module runs nothing.
import { existsSync } from "node:fs";
import { BUNDLE, CLI } from "./entries.js";
import { median, round, runChild } from "./measure.js";

export interface StartupRow {
  /** What ran, as a user would type it (paths relative to the project). */
  command: string;
  /** Median wall seconds, whole process. */
  seconds: number;
  /** Largest peak RSS over the runs, MB (when /usr/bin/time is there). */
  peakRssMb?: number;
  /** seconds / `node -e 0`'s median seconds. */
  ratio: number;
  runs: number;
}

/**
 * One row per command: `node -e 0` (ratio 1), the dist entry and the bundle. A command whose file is
 * missing (dist not built, bundle not written) is left out. A command that fails throws.
 */
export async function startupRows(env: NodeJS.ProcessEnv, repetitions = 10): Promise<StartupRow[]> {
  const commands: { command: string; args: string[] }[] = [{ command: "node -e 0", args: ["-e", "0"] }];
  if (existsSync(CLI)) commands.push({ command: "node dist/cli/main.js --version", args: [CLI, "--version"] });
  if (existsSync(BUNDLE)) commands.push({ command: "node action/sopsync.mjs --version", args: [BUNDLE, "--version"] });
  const seconds = commands.map(() => [] as number[]);
  const rss = commands.map(() => 0);
  // One unmeasured round first: the files come into the page cache for every command alike.
  for (let pass = -1; pass < repetitions; pass++) {
    for (const [i, c] of commands.entries()) {
      const r = await runChild(process.execPath, c.args, env);
      if (r.code !== 0) throw new Error(`${c.command} failed (${r.code}): ${r.stderr.slice(-1000)}`);
      if (pass < 0) continue;
      seconds[i]!.push(r.seconds);
      rss[i] = Math.max(rss[i]!, r.peakRssMb ?? 0);
    }
  }
  const base = median(seconds[0]!);
  return commands.map((c, i) => {
    const s = median(seconds[i]!);
    return {
      command: c.command,
      seconds: round(s, 3),
      ...(rss[i] ? { peakRssMb: round(rss[i]!, 1) } : {}),
      ratio: round(s / base, 2),
      runs: repetitions,
    };
  });
}
