// The SDK retry strategy sopsync uses: the SDK's standard classification (throttling, 5xx, connection
// resets and timeouts are retried; client errors are not), exponential backoff with full jitter — and
// one exception. The SDK counts Secrets Manager's LimitExceededException as throttling, but it means
// a service quota was reached (too many versions, secrets, ...): retrying cannot help, so it is
// reported at once as a quota error. Pacing below the request-rate quotas is done by the caller
// (src/aws/pacing.ts); this only decides what to retry and how long to wait.

/** The shape the SDK's retry middleware hands to a strategy (RetryErrorInfo in @smithy/types). */
interface RetryErrorInfo {
  error?: { name?: string };
  errorType: "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR";
}

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Backoff base for 5xx and connection errors. */
  baseDelayMs?: number;
  /** Backoff base for throttling (AWS recommends a longer one). */
  throttleBaseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
}

/** Error codes that look retryable to the SDK but are not: a quota, not a rate. */
export const NOT_RETRIED = new Set(["LimitExceededException"]);

export const DEFAULT_MAX_ATTEMPTS = 10;

export class SopsyncRetryStrategy {
  readonly mode = "standard";
  private readonly base: number;
  private readonly throttleBase: number;
  private readonly maxDelay: number;
  private readonly random: () => number;

  constructor(private readonly policy: RetryPolicy) {
    this.base = policy.baseDelayMs ?? 100;
    this.throttleBase = policy.throttleBaseDelayMs ?? 500;
    this.maxDelay = policy.maxDelayMs ?? 20_000;
    this.random = policy.random ?? Math.random;
  }

  async acquireInitialRetryToken(_scope: string): Promise<Token> {
    return token(0, 0);
  }

  /** Resolves to the next attempt's token (the middleware waits its delay), or rejects: give up. */
  async refreshRetryTokenForRetry(previous: Token, info: RetryErrorInfo): Promise<Token> {
    const attempt = previous.getRetryCount() + 1;
    if (!this.shouldRetry(info, attempt)) throw new Error("not retried");
    return token(attempt, this.delayMs(attempt, info.errorType === "THROTTLING"));
  }

  recordSuccess(_token: Token): void {}

  async maxAttempts(): Promise<number> {
    return this.policy.maxAttempts;
  }

  shouldRetry(info: RetryErrorInfo, attempt: number): boolean {
    if (attempt >= this.policy.maxAttempts) return false;
    if (info.error?.name && NOT_RETRIED.has(info.error.name)) return false;
    return info.errorType === "THROTTLING" || info.errorType === "TRANSIENT";
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))). */
  delayMs(attempt: number, throttled: boolean): number {
    const ceiling = Math.min(this.maxDelay, (throttled ? this.throttleBase : this.base) * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }
}

function token(retryCount: number, delay: number): Token {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delay };
}
