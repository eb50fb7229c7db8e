// --lock-timeout values as typed, and lock ages as shown.
import { describe, expect, it } from "vitest";
import { SopsyncError } from "../src/errors.js";
import { formatDuration, parseDuration } from "../src/duration.js";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["90", 90_000],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    [" 2m ", 120_000],
  ])("%j -> %i ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "5x", "-1", "1.5m", "m", "5 m", "25h", "99999999999999999999"])("%j is refused as a usage error", (text) => {
    expect(() => parseDuration(text)).toThrow(SopsyncError);
    try {
      parseDuration(text);
    } catch (err) {
      expect((err as SopsyncError).code).toBe("USAGE");
    }
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [45_900, "45s"],
    [192_000, "3m12s"],
    [300_000, "5m00s"],
    [3_725_000, "1h02m"],
    [2 * 86_400_000 + 3 * 3_600_000, "2d03h"],
    [-5_000, "0s"],
  ])("%i ms -> %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});
