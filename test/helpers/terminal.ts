// Runs a command on a real pseudo-terminal (util-linux `script`), so stdin, stdout and stderr are all
// TTYs and what is typed goes through the line discipline (Ctrl-C becomes SIGINT). Everything the
// terminal showed is kept for the canary scans.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { allOutput } from "./cli.js";
import { projectRoot } from "./tools.js";

export const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The shell words that run the CLI from source, as runCli does. */
export function cliCommand(args: readonly string[] = []): string {
  const loader = pathToFileURL(join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;
  return [process.execPath, "--import", loader, join(projectRoot, "src/cli/main.ts"), ...args].map(shellQuote).join(" ");
}

export interface TerminalRun {
  code: number;
  output: string;
}

/**
 * Runs `command` (a shell command line) on a pseudo-terminal. `input` is typed at once; `onOutput`
 * sees the output so far and the terminal, to type in reply to a prompt.
 */
export function onTerminal(
  command: string,
  opts: {
    env: Record<string, string>;
    cwd?: string;
    input?: string;
    onOutput?: (output: string, terminal: ChildProcessWithoutNullStreams) => void;
    onSpawn?: (terminal: ChildProcessWithoutNullStreams) => void;
  },
): Promise<TerminalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      env: {
        PATH: process.env.PATH ?? "",
        HOME: opts.cwd ?? process.env.HOME ?? "/tmp",
        TERM: "dumb",
        NO_COLOR: "1",
        ...opts.env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    opts.onSpawn?.(child);
    let output = "";
    const onData = (d: Buffer) => {
      output += d;
      opts.onOutput?.(output, child);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => {
      allOutput.push(output);
      resolve({ code: code ?? -1, output });
    });
    if (opts.input) child.stdin.write(opts.input);
  });
}
