// Runs the sopsync CLI as a user would, in a child process, and keeps every byte it printed so tests
// can scan all output for canary values.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type ProcessResult, runProcess } from "./spawn.js";
import { projectRoot } from "./tools.js";

export type CliResult = ProcessResult;

/** Everything any CLI run printed in this test process, for canary scans. */
export const allOutput: string[] = [];

const entry = join(projectRoot, "src/cli/main.ts");
// By URL, so the CLI also runs from a cwd outside the project (where "tsx" would not resolve).
const tsxLoader = pathToFileURL(join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;

export async function runCli(
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
  const r = await runProcess(process.execPath, ["--import", tsxLoader, entry, ...args], {
    ...opts,
    cwd: opts.cwd ?? projectRoot,
    env: { PATH: process.env.PATH ?? "", HOME: opts.cwd ?? process.env.HOME ?? "/tmp", NO_COLOR: "1", ...opts.env },
  });
  allOutput.push(r.stdout, r.stderr);
  assertNoKeyMaterial([r.stdout, r.stderr]);
  return r;
}

// Any age private key (even one with a typo, which is still a key minus one character) in output fails
// the run that printed it, in every CLI test. Short prefixes like "AGE-SECRET-KEY-1…" in prose are fine.
const AGE_KEY_TEXT = /AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]{16,}/i;

export function assertNoKeyMaterial(outputs: readonly string[]): void {
  for (const out of outputs) {
    if (AGE_KEY_TEXT.test(out)) throw new Error("age key material appeared in CLI output");
  }
}

/** Fails with the canary's label (never its value) when any output contains it. */
export function assertNoCanary(outputs: readonly string[], canaries: Record<string, string>): void {
  for (const [label, value] of Object.entries(canaries)) {
    for (const out of outputs) {
      if (out.includes(value)) throw new Error(`secret value '${label}' appeared in CLI output`);
    }
  }
}
