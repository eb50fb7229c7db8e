// The small pure parts of apply: retry decisions, pacing, progress lines.
import { describe, expect, it } from "vitest";
import { actionLine, formatSeconds, progressLine } from "../../src/apply/progress.js";
import { Pacer } from "../../src/aws/pacing.js";
import { SopsyncRetryStrategy } from "../../src/aws/retry.js";

describe("SDK retry strategy", () => {
  const strategy = new SopsyncRetryStrategy({ maxAttempts: 4, random: () => 0.999 });
  const retry = (name: string, errorType: "THROTTLING" | "TRANSIENT" | "SERVER_ERROR" | "CLIENT_ERROR", attempt = 1) =>
    strategy.shouldRetry({ error: { name }, errorType }, attempt);

  it("retries throttling, 5xx and connection errors the SDK classifies as transient", () => {
    expect(retry("ThrottlingException", "THROTTLING")).toBe(true);
    expect(retry("InternalServiceError", "TRANSIENT")).toBe(true);
    expect(retry("Error", "TRANSIENT")).toBe(true); // ECONNRESET carries its code, the SDK calls it TRANSIENT
  });

  it("does not retry client errors, LimitExceededException (a quota), or beyond maxAttempts", () => {
    expect(retry("ResourceExistsException", "CLIENT_ERROR")).toBe(false);
    expect(retry("LimitExceededException", "THROTTLING")).toBe(false);
    expect(retry("ThrottlingException", "THROTTLING", 4)).toBe(false);
  });

  it("backs off exponentially with full jitter, throttling from a longer base, capped", async () => {
    expect(strategy.delayMs(1, false)).toBe(99);
    expect(strategy.delayMs(3, false)).toBe(399);
    expect(strategy.delayMs(1, true)).toBe(499);
    expect(strategy.delayMs(20, true)).toBe(19_980);
    expect(new SopsyncRetryStrategy({ maxAttempts: 3, random: () => 0 }).delayMs(5, true)).toBe(0);
    const first = await strategy.acquireInitialRetryToken("");
    const next = await strategy.refreshRetryTokenForRetry(first, {
      error: { name: "ThrottlingException" },
      errorType: "THROTTLING",
    });
    expect(next.getRetryCount()).toBe(1);
    await expect(
      strategy.refreshRetryTokenForRetry(first, { error: { name: "LimitExceededException" }, errorType: "THROTTLING" }),
    ).rejects.toThrow();
  });
});

describe("Pacer", () => {
  it("starts calls no faster than the rate, evenly spaced", async () => {
    let t = 1000;
    const starts: number[] = [];
    const pacer = new Pacer(
      20,
      () => t,
      async (ms) => {
        t += ms;
      },
    );
    for (let i = 0; i < 5; i++) {
      await pacer.take();
      starts.push(t);
    }
    expect(starts).toEqual([1000, 1050, 1100, 1150, 1200]);
  });
});

describe("progress", () => {
  it("shows count, rate and ETA", () => {
    expect(progressLine({ done: 100, total: 650 }, 5000)).toBe("100/650 actions · 20.0/s · ETA 28s");
    expect(progressLine({ done: 0, total: 10 }, 0)).toBe("0/10 actions · 0.0/s · ETA -");
    expect(progressLine({ done: 10, total: 4000 }, 1000, 2)).toBe("10/4000 actions · 10.0/s · ETA 6m39s · 2 failed");
    expect(formatSeconds(59.2)).toBe("1m00s");
  });

  it("one line per action otherwise", () => {
    const e = { name: "p/a", action: "create" as const, done: 1, total: 2 };
    expect(actionLine({ ...e, ok: true })).toBe("ok   create p/a");
    expect(actionLine({ ...e, ok: false })).toBe("FAIL create p/a");
  });
});
