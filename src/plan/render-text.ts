// The default, terminal rendering of a plan. Colour only when asked (the CLI decides: TTY, NO_COLOR).
import pc from "picocolors";
import { actionLines, headline, markOf, noteLines, replicaStatusLines } from "./describe.js";
import type { Plan, TargetPlan } from "./model.js";
import { safetyFlagLines } from "./safety-flags.js";
import { subsetLine } from "./selection.js";
import { driftLines, driftOnly } from "./undeclared-rotation.js";

export function renderText(plan: Plan, opts: { color?: boolean } = {}): string {
  const c = pc.createColors(opts.color ?? false);
  const paint = { "+": c.green, "~": c.yellow, "-": c.red, "↻": c.cyan, "=": c.dim } as const;
  const out: string[] = [];
  for (const t of plan.targets) {
    out.push(
      c.bold(
        `${t.manifests.map((m) => m.file).join(", ")} -> account ${t.target.account}, ${t.target.region} (scope ${t.scope.id})`,
      ),
    );
    const subset = subsetLine(plan, t);
    if (subset) out.push(c.bold(`  ${subset}`));
    const changed = t.changes.filter((ch) => ch.actions.length > 0);
    for (const ch of changed) {
      const mark = markOf(ch);
      out.push(paint[mark](`  ${mark} ${ch.name}: ${headline(ch)}`));
      for (const a of ch.actions) {
        for (const line of actionLines(a)) {
          const lead = /^\s*([+~-])/.exec(line)?.[1] as "+" | "~" | "-" | undefined;
          out.push(`      ${lead ? paint[lead](line) : line}`);
        }
      }
      for (const line of safetyFlagLines(ch)) out.push(c.bold(c.red(`      ! ${line}`)));
      for (const line of [...replicaStatusLines(ch), ...noteLines(ch)]) out.push(`      ${line}`);
      for (const line of driftLines(ch)) out.push(c.yellow(`      ! ${line.trim()}`));
    }
    for (const ch of driftOnly(t.changes)) {
      out.push(c.yellow(`  ! ${ch.name}: drift, nothing written`));
      for (const line of driftLines(ch)) out.push(c.yellow(`      ${line.trim()}`));
    }
    for (const ch of t.changes) {
      if (ch.actions.length > 0) continue;
      for (const line of [...replicaStatusLines(ch), ...noteLines(ch)]) out.push(c.dim(`  · ${ch.name}: ${line}`));
    }
    for (const name of t.unmanaged) out.push(c.dim(`  · ${name}: unmanaged, not touched`));
    for (const r of t.replicaSecrets ?? []) out.push(c.dim(`  · ${r.name}: replica of ${r.primaryRegion}, not touched`));
    for (const r of t.serviceSecrets ?? []) out.push(c.dim(`  · ${r.name}: owned by ${r.owningService}, not touched`));
    out.push(summaryLine(t));
    out.push("");
  }
  return out.join("\n");
}

export function summaryLine(t: TargetPlan): string {
  const s = t.summary;
  const drift = s.drift ? ` ${s.drift} secret(s) drifted outside sopsync, nothing written for them.` : "";
  if (s.create + s.update + s.restore + s.adopt + s.delete === 0) return `  No changes.${drift} ${s.noop} secret(s) in sync.`;
  const parts = [
    `${s.create} to create`,
    `${s.update} to update`,
    ...(s.restore ? [`${s.restore} to restore`] : []),
    ...(s.adopt ? [`${s.adopt} to adopt`] : []),
    `${s.delete} to delete`,
    ...(s.drift ? [`${s.drift} drifted (nothing written)`] : []),
    `${s.noop} in sync`,
  ];
  return `  Plan: ${parts.join(", ")}.`;
}
