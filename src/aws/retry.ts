// The SDK retry strategy sopsync uses: the SDK's standard classification (throttling, 5xx, connection
// resets and timeouts are retried; client errors are not), exponential backoff with full jitter — and
// two exceptions. The SDK counts Secrets Manager's LimitExceededException as throttling, but it means
// a service quota was reached (too many versions, secrets, ...): retrying cannot help, so it is
// reported at once as a quota error. And an endpoint that refuses connections, cannot be resolved or
// does not answer within the attempt's timeout is tried only a few times with short waits: ten
// attempts of growing backoff would be half a minute of silence (or ten timeouts) before saying that
// nothing is listening. Pacing below the request-rate quotas is done by the caller
// (src/aws/pacing.ts); this only decides what to retry, how long to wait and when to say so.
import { callContext, RETRY_NOTICE_AFTER_MS, type RetryNotice } from "./call-context.js";

/** The shape the SDK's retry middleware hands to a strategy (RetryErrorInfo in @smithy/types). */
interface RetryErrorInfo {
  error?: { name?: string; code?: string };
  errorType: "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR";
}

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/** Our tokens also remember when the call started and whom to tell about its retries. */
interface CallToken extends Token {
  startedAt: number;
  onRetry?: (notice: RetryNotice) => void;
}

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Attempts per call when the endpoint cannot be reached at all (refused, unresolved, timed out). */
  unreachableAttempts?: number;
  /** Backoff base for 5xx and connection errors. */
  baseDelayMs?: number;
  /** Backoff base for throttling (AWS recommends a longer one). */
  throttleBaseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  now?: () => number;
}

/** Error codes that look retryable to the SDK but are not: a quota, not a rate. */
export const NOT_RETRIED = new Set(["LimitExceededException"]);

/**
 * Node's codes for an endpoint that is not there: nothing listens, the name does not resolve, no
 * route, or the connection or the answer did not come within the attempt's timeout (ETIMEDOUT).
 */
export const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

/**
 * Failures after which no further secret is started in an apply: the endpoint is unreachable, or the
 * credentials are no longer accepted. Every other secret's call would fail the same way.
 */
const STOPS_THE_RUN = new Set([
  ...UNREACHABLE,
  "TimeoutError",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
]);

export function stopsTheRun(code: string): boolean {
  return STOPS_THE_RUN.has(code);
}

export const DEFAULT_MAX_ATTEMPTS = 10;
export const DEFAULT_UNREACHABLE_ATTEMPTS = 3;

/**
 * What a failed attempt is called in a notice or an outcome: the network code (ECONNRESET, ...) when
 * there is one, else the AWS error code. The SDK names a reset or a timeout "TimeoutError" and keeps
 * Node's code beside it, which says more.
 */
export function failureCode(error: { name?: string; code?: unknown } | undefined): string {
  if (typeof error?.code === "string" && /^E[A-Z_]+$/.test(error.code)) return error.code;
  return error?.name || "Error";
}

/** A connection timeout carries no code; its name is "TimeoutError". */
export function isUnreachable(error: { name?: string; code?: unknown } | undefined): boolean {
  const code = failureCode(error);
  return UNREACHABLE.has(code) || code === "TimeoutError";
}

export class SopsyncRetryStrategy {
  readonly mode = "standard";
  private readonly base: number;
  private readonly throttleBase: number;
  private readonly maxDelay: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly policy: RetryPolicy) {
    this.base = policy.baseDelayMs ?? 100;
    this.throttleBase = policy.throttleBaseDelayMs ?? 500;
    this.maxDelay = policy.maxDelayMs ?? 20_000;
    this.random = policy.random ?? Math.random;
    this.now = policy.now ?? Date.now;
  }

  /** Called at the start of every call, inside the caller's async context. */
  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0, 0, this.now(), callContext().onRetry);
  }

  /** Resolves to the next attempt's token (the middleware waits its delay), or rejects: give up. */
  async refreshRetryTokenForRetry(previous: Token, info: RetryErrorInfo): Promise<Token> {
    const attempt = previous.getRetryCount() + 1;
    if (!this.shouldRetry(info, attempt)) throw new Error("not retried");
    const prev = previous as Partial<CallToken>;
    const startedAt = prev.startedAt ?? this.now();
    const next = token(attempt, this.delayMs(attempt, info.errorType === "THROTTLING"), startedAt, prev.onRetry);
    const elapsedMs = this.now() - startedAt;
    if (prev.onRetry && elapsedMs > RETRY_NOTICE_AFTER_MS) {
      prev.onRetry({ attempt: attempt + 1, maxAttempts: this.attemptsFor(info), reason: failureCode(info.error), elapsedMs });
    }
    return next;
  }

  recordSuccess(_token: Token): void {}

  async maxAttempts(): Promise<number> {
    return this.policy.maxAttempts;
  }

  /** `attempt` attempts have failed; true when another may be made. */
  shouldRetry(info: RetryErrorInfo, attempt: number): boolean {
    if (attempt >= this.attemptsFor(info)) return false;
    if (info.error?.name && NOT_RETRIED.has(info.error.name)) return false;
    return info.errorType === "THROTTLING" || info.errorType === "TRANSIENT";
  }

  attemptsFor(info: RetryErrorInfo): number {
    if (!isUnreachable(info.error)) return this.policy.maxAttempts;
    return Math.min(this.policy.maxAttempts, this.policy.unreachableAttempts ?? DEFAULT_UNREACHABLE_ATTEMPTS);
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))). */
  delayMs(attempt: number, throttled: boolean): number {
    const ceiling = Math.min(this.maxDelay, (throttled ? this.throttleBase : this.base) * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }
}

function token(retryCount: number, delay: number, startedAt: number, onRetry?: (n: RetryNotice) => void): CallToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delay, startedAt, onRetry };
}
