// Durations as people type them on a command line (`--lock-timeout 5m`) and as a lock's age is shown.
import { SopsyncError } from "./errors.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Above a day a wait is surely a typo; it also keeps every value far below setTimeout's limit
 * (2^31 - 1 ms), past which Node fires at once.
 */
const MAX_MS = 24 * 3_600_000;

/** "0", "90" (seconds), "30s", "5m", "1h", "1m30s", "500ms" -> milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  const bad = () =>
    new SopsyncError("USAGE", `'${text}' is not a duration: use e.g. 0, 30s, 5m, 1h or 1m30s (a bare number is seconds)`);
  let ms: number;
  if (/^\d+$/.test(t)) {
    ms = Number(t) * 1000;
  } else {
    const parts = /^(?:\d+(?:ms|s|m|h))+$/.test(t) ? t.match(/\d+(?:ms|s|m|h)/g) : null;
    if (!parts) throw bad();
    ms = 0;
    for (const p of parts) {
      const [, n, unit] = /^(\d+)(ms|s|m|h)$/.exec(p) as RegExpExecArray;
      ms += Number(n) * (UNIT_MS[unit as string] as number);
    }
  }
  if (!Number.isSafeInteger(ms) || ms > MAX_MS) throw new SopsyncError("USAGE", `'${text}' is longer than 24h`);
  return ms;
}

/** 192_000 -> "3m12s"; rounded down to whole seconds, two units at most. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d${two(h)}h`;
  if (h > 0) return `${h}h${two(m)}m`;
  if (m > 0) return `${m}m${two(sec)}s`;
  return `${sec}s`;
}
