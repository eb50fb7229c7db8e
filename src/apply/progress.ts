// Progress of a long apply: a single rewritten status line on a terminal (count, rate, ETA), one
// line per action otherwise (CI logs). Pure formatting; the CLI decides where it goes.
import type { RetryNotice } from "../aws/call-context.js";
import type { ActionEvent } from "./execute.js";

/** `312/650 actions · 19.8/s · ETA 17s · 2 failed` */
export function progressLine(e: Pick<ActionEvent, "done" | "total">, elapsedMs: number, failed = 0): string {
  const rate = elapsedMs > 0 ? (e.done * 1000) / elapsedMs : 0;
  const remaining = e.total - e.done;
  const eta = rate > 0 ? `ETA ${formatSeconds(remaining / rate)}` : "ETA -";
  const parts = [`${e.done}/${e.total} actions`, `${rate.toFixed(1)}/s`, eta];
  if (failed > 0) parts.push(`${failed} failed`);
  return parts.join(" · ");
}

/** `ok   update-value prod/db`, `FAIL recheck prod/api` */
export function actionLine(e: ActionEvent): string {
  return `${e.ok ? "ok  " : "FAIL"} ${e.action} ${e.name}`;
}

export function formatSeconds(s: number): string {
  const whole = Math.max(0, Math.ceil(s));
  if (whole < 60) return `${whole}s`;
  const m = Math.floor(whole / 60);
  return `${m}m${String(whole % 60).padStart(2, "0")}s`;
}

/** A reporter for the CLI: `tty` rewrites one status line, otherwise one line per action. */
export function progressReporter(write: (s: string) => void, tty: boolean, now: () => number = Date.now) {
  const started = now();
  let failed = 0;
  let open = false;
  return {
    onAction(e: ActionEvent): void {
      if (!e.ok) failed++;
      if (!tty) {
        write(`${actionLine(e)}\n`);
        return;
      }
      // Failures stay on screen; the status line is redrawn below them.
      if (!e.ok) write(`\r\x1b[2K${actionLine(e)}\n`);
      open = e.done !== e.total;
      write(`\r\x1b[2K${progressLine(e, now() - started, failed)}${open ? "" : "\n"}`);
    },
    /** Ends a status line left open by a run that stopped before its last action. */
    finish(): void {
      if (open) write("\n");
      open = false;
    },
  };
}

/** `retrying (3/10): ThrottlingException`: a call retried for more than 2 s (aws/call-context.ts). */
export function retryLine(n: Pick<RetryNotice, "attempt" | "maxAttempts" | "reason">): string {
  return `retrying (${n.attempt}/${n.maxAttempts}): ${n.reason}`;
}

/** Writes retry notices; on a terminal, above the status line, which the next action redraws. */
export function retryReporter(write: (s: string) => void, tty: boolean): (n: RetryNotice) => void {
  return (n) => write(`${tty ? "\r\x1b[2K" : ""}${retryLine(n)}\n`);
}
