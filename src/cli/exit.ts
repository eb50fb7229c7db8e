// The one place errors become exit codes and stderr text. Messages never contain secret values.
import { formatProblem, SopsyncError } from "../errors.js";
import { AwsCallError } from "../aws/port.js";

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** With --detailed-exitcode: the plan has changes. */
export const EXIT_CHANGES = 2;
/** A saved plan no longer matches the manifest or the account: nothing was written; plan again. */
export const EXIT_PLAN_STALE = 3;

export function reportError(err: unknown, write: (s: string) => void): number {
  if (err instanceof SopsyncError) {
    write(`Error: ${err.message}\n`);
    for (const p of err.problems) write(`  ${formatProblem(p)}\n`);
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
