// Runs the sopsync CLI as a user would, in a child process, and keeps every byte it printed so tests
// can scan all output for canary values.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "./tools.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Everything any CLI run printed in this test process, for canary scans. */
export const allOutput: string[] = [];

const entry = join(projectRoot, "src/cli/main.ts");
// By URL, so the CLI also runs from a cwd outside the project (where "tsx" would not resolve).
const tsxLoader = pathToFileURL(join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;

export function runCli(
  args: string[],
  opts: {
    env?: Record<string, string>;
    cwd?: string;
    input?: string;
    signal?: AbortSignal;
    /** Hands over the child process, e.g. for a test that kills it. */
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsxLoader, entry, ...args], {
      cwd: opts.cwd ?? projectRoot,
      env: { PATH: process.env.PATH ?? "", HOME: opts.cwd ?? process.env.HOME ?? "/tmp", NO_COLOR: "1", ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
      signal: opts.signal,
    });
    opts.onSpawn?.(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      allOutput.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Fails with the canary's label (never its value) when any output contains it. */
export function assertNoCanary(outputs: readonly string[], canaries: Record<string, string>): void {
  for (const [label, value] of Object.entries(canaries)) {
    for (const out of outputs) {
      if (out.includes(value)) throw new Error(`secret value '${label}' appeared in CLI output`);
    }
  }
}
