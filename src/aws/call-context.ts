// What the caller of a run wants from every AWS call made inside it, without threading it through each
// layer: a signal that abandons calls (the run's --timeout, Ctrl-C while reading) and where to say that
// a call is being retried. Carried by AsyncLocalStorage, so a call made outside a context (the lock's
// release after a deadline, the writes already started) is never abandoned by it.
import { AsyncLocalStorage } from "node:async_hooks";

export interface RetryNotice {
  /** The attempt about to start (2 for the first retry) and the most this call may make. */
  attempt: number;
  maxAttempts: number;
  /** AWS's error code or the network error code of the failed attempt; never a message or a value. */
  reason: string;
  /** Time since the call's first attempt started. */
  elapsedMs: number;
}

export interface CallContext {
  /** Once aborted, calls in flight are abandoned and new ones fail at once (AbortError). */
  signal?: AbortSignal;
  /** Told before each retry of a call that has been going for more than RETRY_NOTICE_AFTER_MS. */
  onRetry?: (notice: RetryNotice) => void;
}

/** A call retried within this long is not worth a line: throttling is routine at full speed. */
export const RETRY_NOTICE_AFTER_MS = 2000;

const storage = new AsyncLocalStorage<CallContext>();

export function withCallContext<T>(context: CallContext, fn: () => Promise<T>): Promise<T> {
  return storage.run({ ...storage.getStore(), ...context }, fn);
}

/** Runs `fn` with calls that no longer follow the context's signal (retry notices still go out). */
export function withoutCallSignal<T>(fn: () => Promise<T>): Promise<T> {
  const { signal: _, ...rest } = storage.getStore() ?? {};
  return storage.run(rest, fn);
}

export function callContext(): CallContext {
  return storage.getStore() ?? {};
}
