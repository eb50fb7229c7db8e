// The retry strategy's two additions, on a fake clock: an unreachable endpoint gets few attempts, and
// a call retried for more than 2 s is announced with the attempt, the most attempts and the code only.
import { describe, expect, it } from "vitest";
import { type RetryNotice, withCallContext } from "../../src/aws/call-context.js";
import { failureCode, SopsyncRetryStrategy, stopsTheRun } from "../../src/aws/retry.js";

type Info = Parameters<SopsyncRetryStrategy["refreshRetryTokenForRetry"]>[1];

/** Drives one call through the strategy as the SDK middleware does, failing every attempt with `info`. */
async function failEveryAttempt(strategy: SopsyncRetryStrategy, info: Info, clock: { t: number }) {
  let token = await strategy.acquireInitialRetryToken("");
  let attempts = 1;
  for (;;) {
    clock.t += 700; // each attempt takes 0.7 s before it fails
    try {
      token = await strategy.refreshRetryTokenForRetry(token, info);
    } catch {
      return attempts;
    }
    clock.t += token.getRetryDelay();
    attempts++;
  }
}

describe("retry strategy", () => {
  const clock = { t: 0 };
  const strategy = new SopsyncRetryStrategy({ maxAttempts: 10, random: () => 0.5, now: () => clock.t });

  it("an unreachable endpoint gets 3 attempts; throttling and resets keep all 10", async () => {
    const refused = { error: { name: "Error", code: "ECONNREFUSED" }, errorType: "TRANSIENT" } as const;
    const timedOut = { error: { name: "TimeoutError", code: "ETIMEDOUT" }, errorType: "TRANSIENT" } as const;
    const noConnection = { error: { name: "TimeoutError" }, errorType: "TRANSIENT" } as const;
    const reset = { error: { name: "TimeoutError", code: "ECONNRESET" }, errorType: "TRANSIENT" } as const;
    const throttled = { error: { name: "ThrottlingException" }, errorType: "THROTTLING" } as const;
    expect(await failEveryAttempt(strategy, refused, clock)).toBe(3);
    expect(await failEveryAttempt(strategy, timedOut, clock)).toBe(3);
    expect(await failEveryAttempt(strategy, noConnection, clock)).toBe(3);
    expect(await failEveryAttempt(strategy, reset, clock)).toBe(10);
    expect(await failEveryAttempt(strategy, throttled, clock)).toBe(10);
  });

  it("announces retries only once the call has run for more than 2 s, with the code and no message", async () => {
    const notices: RetryNotice[] = [];
    const info = {
      error: { name: "ThrottlingException", message: "Rate exceeded for secret s3cr3t" },
      errorType: "THROTTLING",
    } as const;
    clock.t = 0;
    const attempts = await withCallContext({ onRetry: (n) => notices.push(n) }, () => failEveryAttempt(strategy, info, clock));
    expect(attempts).toBe(10);
    expect(notices.length).toBeGreaterThan(0);
    expect(notices.length).toBeLessThan(9);
    for (const n of notices) {
      expect(n.elapsedMs).toBeGreaterThan(2000);
      expect(n.maxAttempts).toBe(10);
      expect(n.reason).toBe("ThrottlingException");
      expect(JSON.stringify(n)).not.toContain("s3cr3t");
    }
    // Consecutive attempts, ending with the last one.
    expect(notices.map((n) => n.attempt)).toEqual(Array.from({ length: notices.length }, (_, i) => 11 - notices.length + i));
  });

  it("names failures by the network code when there is one, and knows which stop a run", () => {
    expect(failureCode({ name: "TimeoutError", code: "ECONNRESET" })).toBe("ECONNRESET");
    expect(failureCode({ name: "ThrottlingException" })).toBe("ThrottlingException");
    expect(failureCode({ name: "ValidationException", code: "not-a-node-code" })).toBe("ValidationException");
    expect(stopsTheRun("ECONNREFUSED")).toBe(true);
    expect(stopsTheRun("ExpiredTokenException")).toBe(true);
    expect(stopsTheRun("ECONNRESET")).toBe(false);
    expect(stopsTheRun("AccessDeniedException")).toBe(false);
  });
});
