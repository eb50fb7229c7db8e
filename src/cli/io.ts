// Terminal facts the commands need, gathered in one place.
import { createInterface } from "node:readline/promises";

export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.FORCE_COLOR) return true;
  return stream.isTTY === true;
}

/**
 * A question can be answered when stdin is a terminal, whatever stdout is: `apply | tee log` is run by
 * a person at a terminal all the same (promptOutput puts the question where they see it).
 */
export function isInteractive(): boolean {
  return process.stdin.isTTY === true;
}

/**
 * Where a question goes: stdout on a terminal, unless it carries a document (`--format json`);
 * else stderr when that is the terminal (stdout piped to `tee` or a file), so the question is seen
 * and is not mixed into the output; else stdout, as before.
 */
export function promptOutput(stdoutCarriesDocument = false): NodeJS.WriteStream {
  if (!stdoutCarriesDocument && process.stdout.isTTY) return process.stdout;
  if (stdoutCarriesDocument || process.stderr.isTTY) return process.stderr;
  return process.stdout;
}

/** `output`: where the question goes (promptOutput). */
export async function confirm(question: string, output: NodeJS.WritableStream = promptOutput()): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output });
  try {
    const answer = await rl.question(`${question} Only 'yes' will be accepted: `);
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

/**
 * A reader that goes away early (`sopsync plan | head -1`) closes the pipe, and Node reports the next
 * write's EPIPE as an 'error' event: with nobody listening, an uncaught exception and a stack trace.
 * The output is no longer wanted, but the run is not a failure for that: later writes are dropped and
 * the command ends with its own exit code (an apply keeps going and releases its lock). Any other
 * write error on stdout (a full disk behind a redirect) is said once on stderr.
 */
export function quietOnClosedOutput(): void {
  const said = new Set<string>();
  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") return;
      if (name === "stdout" && !said.has(name)) {
        said.add(name);
        process.stderr.write(`Error: could not write the output: ${err.code ?? err.message}\n`);
      }
    });
  }
}
