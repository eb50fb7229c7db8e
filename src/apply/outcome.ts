// What happened to each secret during apply. Errors carry AWS's code and message, never a value.

export type SecretOutcome =
  | { name: string; status: "applied"; actions: string[] }
  | { name: string; status: "failed"; actions: string[]; failedAction: string; code: string; message: string }
  | { name: string; status: "not-started" };

export interface ApplyResult {
  outcomes: SecretOutcome[];
  /** Read-back differences after writing: secret names and what differs (never values). */
  verification: { name: string; problem: string }[];
  /** Write calls made; SDK retries are not counted. */
  calls: number;
  seconds: number;
}

export function applySucceeded(r: ApplyResult): boolean {
  return r.outcomes.every((o) => o.status === "applied") && r.verification.length === 0;
}

export function renderOutcome(r: ApplyResult): string {
  const lines: string[] = [];
  const applied = r.outcomes.filter((o) => o.status === "applied");
  const failed = r.outcomes.filter((o) => o.status === "failed");
  const notStarted = r.outcomes.filter((o) => o.status === "not-started");
  for (const o of failed) lines.push(`  ! ${o.name}: ${o.failedAction} failed: ${o.code}: ${o.message}`);
  for (const o of notStarted) lines.push(`  · ${o.name}: not started`);
  for (const v of r.verification) lines.push(`  ! ${v.name}: read-back: ${v.problem}`);
  lines.push(
    `Apply: ${applied.length} applied, ${failed.length} failed, ${notStarted.length} not started` +
      ` (${r.calls} write calls in ${r.seconds.toFixed(1)}s${r.seconds > 0 ? `, ${(r.calls / r.seconds).toFixed(1)}/s` : ""}).`,
  );
  return lines.join("\n");
}
