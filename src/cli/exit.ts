// The one place errors become exit codes and stderr text. Messages never contain secret values.
import { formatProblem, SopsyncError } from "../errors.js";
import { AwsCallError } from "../aws/port.js";

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** With --detailed-exitcode: the plan has changes. */
export const EXIT_CHANGES = 2;
/** A saved plan no longer matches the manifest or the account: nothing was written; plan again. */
export const EXIT_PLAN_STALE = 3;

// Age private keys in bech32 (X25519 and post-quantum). Messages are built never to hold one; this is
// the last line of defence for text that comes from a library, which may quote its input.
const AGE_SECRET_KEY = /AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+/gi;

export function redactKeyMaterial(text: string): string {
  return text.replace(AGE_SECRET_KEY, "AGE-SECRET-KEY-…(redacted)");
}

/**
 * Node's readline rejects a pending question with an AbortError when Ctrl-C or Ctrl-D is typed at it:
 * the user's answer, not a bug.
 */
function promptCancelled(err: unknown): SopsyncError | undefined {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (!e || (e.name !== "AbortError" && e.code !== "ABORT_ERR")) return undefined;
  const keys = /Ctrl\+([CD])/.exec(String(e.message));
  if (!keys) return undefined;
  return new SopsyncError("ABORTED", `cancelled at the prompt (Ctrl-${keys[1]}); nothing was changed`);
}

export function reportError(thrown: unknown, writeRaw: (s: string) => void): number {
  const write = (s: string) => writeRaw(redactKeyMaterial(s));
  const err = promptCancelled(thrown) ?? thrown;
  if (err instanceof SopsyncError) {
    write(`Error: ${err.message}\n`);
    // A single problem is already the message (manifest/validate.ts), maybe with a note after it.
    const only = err.problems.length === 1 && err.message.startsWith(formatProblem(err.problems[0] as (typeof err.problems)[0]));
    if (!only) for (const p of err.problems) write(`  ${formatProblem(p)}\n`);
    if (err.fault === "internal") write("This is a bug in sopsync; please report it.\n");
    return err.code === "PLAN_STALE" ? EXIT_PLAN_STALE : EXIT_ERROR;
  }
  if (err instanceof AwsCallError) {
    write(`Error: AWS ${err.message}\n`);
    return EXIT_ERROR;
  }
  // Not one of ours: an internal error. Print the message but not the cause chain, which could
  // hold request data from a library.
  write(`Error (internal): ${(err as Error)?.message ?? String(err)}\nThis is a bug in sopsync; please report it.\n`);
  return EXIT_ERROR;
}
