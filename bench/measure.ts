// Measuring instruments: an HTTP call counter (fed by the SDK port's onRequest hook), wall clocks,
// child processes run under /usr/bin/time -v for their true peak RSS, and the CPU time of a running
// process (moto's), to tell whose work a wall time waits on.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { runProcess } from "../test/helpers/spawn.js";

/** Clock ticks per second of /proc's times (USER_HZ); 100 where getconf is missing. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) process `pid` has used so far; undefined where /proc is not. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "pid (comm) ": state is the 3rd field of proc(5), utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** CPU seconds the processes `pids` use while `fn` runs (undefined where it cannot be read). */
export async function cpuWhile<T>(pids: readonly number[], fn: () => Promise<T>): Promise<{ result: T; cpuSeconds?: number }> {
  const total = () => {
    const each = pids.map(processCpuSeconds);
    return each.every((x) => x !== undefined) ? each.reduce((a, b) => a + b, 0) : undefined;
  };
  const before = total();
  const result = await fn();
  const after = total();
  return { result, cpuSeconds: before !== undefined && after !== undefined ? after - before : undefined };
}

export class CallCounter {
  readonly byOperation: Record<string, number> = {};
  /** Request start times (ms since the counter was made) per operation, for rate measurements. */
  readonly times: { op: string; at: number }[] = [];
  private readonly t0 = performance.now();

  readonly onRequest = (command: string): void => {
    const op = command.replace(/Command$/, "");
    this.byOperation[op] = (this.byOperation[op] ?? 0) + 1;
    this.times.push({ op, at: performance.now() - this.t0 });
  };

  get total(): number {
    return Object.values(this.byOperation).reduce((a, b) => a + b, 0);
  }

  count(ops: readonly string[]): number {
    return ops.reduce((a, op) => a + (this.byOperation[op] ?? 0), 0);
  }
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const t = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - t) / 1000 };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export interface ChildRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, start to exit. */
  seconds: number;
  /** Peak resident set size of the process in MB, from /usr/bin/time -v when present. */
  peakRssMb?: number;
  /** CPU seconds (user + system) of the process, from /usr/bin/time -v when present. */
  cpuSeconds?: number;
}

const TIME_BIN = "/usr/bin/time";
export const haveTimeBin = existsSync(TIME_BIN);

/** Runs a command to completion; under /usr/bin/time -v when it exists, so its peak RSS is known. */
export async function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<ChildRun> {
  const [bin, argv] = haveTimeBin ? [TIME_BIN, ["-v", cmd, ...args]] : [cmd, args];
  const t = performance.now();
  const r = await runProcess(bin, argv, { env, cwd });
  const seconds = (performance.now() - t) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  return {
    ...r,
    seconds,
    peakRssMb: rss ? Number(rss[1]) / 1024 : undefined,
    cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : undefined,
  };
}

export const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
