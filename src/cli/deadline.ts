// The whole-run limit of `--timeout DURATION` on plan and apply, and the signal Ctrl-C shares with it:
// one AbortController whose reason says which of the two stopped the run (apply/outcome.ts, stopOf).
import { setMaxListeners } from "node:events";
import { InvalidArgumentError, Option } from "commander";
import type { Stopped } from "../apply/outcome.js";
import { SopsyncError } from "../errors.js";
import { formatDuration, parseDuration } from "../duration.js";

export const timeoutOption = () =>
  new Option(
    "--timeout <duration>",
    "give up after this long in all (e.g. 90s, 10m): apply starts no new secret after it",
  ).argParser((v: string) => {
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    if (ms <= 0) throw new InvalidArgumentError("expected a duration above 0, e.g. 30s or 10m");
    return ms;
  });

export interface RunLimit {
  signal: AbortSignal;
  /** Stops the run now for `stopped.reason` (Ctrl-C); a later deadline changes nothing. */
  stop(stopped: Stopped): void;
  /** True once the deadline, not Ctrl-C, stopped the run. */
  readonly expired: boolean;
  /** The error of a run the deadline ended before its first write. */
  timeoutError(command: string): SopsyncError;
  clear(): void;
}

export function runLimit(timeoutMs: number | undefined): RunLimit {
  const controller = new AbortController();
  // Every AWS call in flight listens to this signal (the SDK's abortSignal), and with several targets
  // read at once (--parallel) that is more than Node's default of 10, which it would report as a
  // possible leak on stderr. The listeners are bounded by the calls in flight and go when they end.
  setMaxListeners(0, controller.signal);
  const limit = timeoutMs ? formatDuration(timeoutMs) : "";
  const deadline: Stopped = { reason: "deadline", message: `the --timeout of ${limit} was reached` };
  const timer = timeoutMs ? setTimeout(() => controller.abort(deadline), timeoutMs) : undefined;
  return {
    signal: controller.signal,
    stop(stopped) {
      if (!controller.signal.aborted) controller.abort(stopped);
    },
    get expired() {
      return controller.signal.aborted && controller.signal.reason === deadline;
    },
    timeoutError(command) {
      return new SopsyncError(
        "AWS",
        `${command} did not finish within ${limit} (--timeout); nothing was changed: raise --timeout, or check the network if calls were being retried`,
      );
    },
    clear() {
      clearTimeout(timer);
    },
  };
}
