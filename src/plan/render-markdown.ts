// The pull-request comment: a summary table, collapsible details per secret, and a hidden marker per
// scope so CI can find and update its own sticky comment.
import { actionLines, headline, markOf, noteLines, replicaStatusLines } from "./describe.js";
import type { Plan, TargetPlan } from "./model.js";
import { safetyFlagLines } from "./safety-flags.js";
import { subsetLine } from "./selection.js";
import { driftLines, driftOnly } from "./undeclared-rotation.js";

export function stickyMarker(scopeId: string): string {
  return `<!-- sopsync:${scopeId} -->`;
}

export function renderMarkdown(plan: Plan): string {
  const code = (s: string) => `\`${s}\``;
  return plan.targets.map((t) => renderTarget(t, subsetLine(plan, t, code))).join("\n---\n\n");
}

function renderTarget(t: TargetPlan, subset: string | undefined): string {
  const s = t.summary;
  const out = [
    stickyMarker(t.scope.id),
    `### sopsync plan: \`${t.scope.id}\``,
    "",
    `${t.manifests.map((m) => `\`${m.file}\``).join(", ")} → account \`${t.target.account}\`, \`${t.target.region}\``,
    "",
    // Patterns hold no backtick or markup character (selection.ts, also for a saved plan).
    ...(subset ? [`${subset} (the other secrets were not read or changed)`, ""] : []),
    "| create | update | restore | adopt | delete | drifted | in sync |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    `| ${s.create} | ${s.update} | ${s.restore} | ${s.adopt} | ${s.delete} | ${s.drift ?? 0} | ${s.noop} |`,
    "",
  ];
  const changed = t.changes.filter((c) => c.actions.length > 0);
  const flagged = changed.flatMap((ch) => safetyFlagLines(ch).map((l) => `> - \`${ch.name}\`: ${escapeHtml(l)}`));
  if (flagged.length) {
    // Flags are manifest keys the sops MAC does not cover: the reviewer must see each flip.
    out.push("> [!WARNING]", "> **Safety flags changed**: check who changed them in the manifest diff.", ...flagged, "");
  }
  if (changed.length === 0 && !s.drift) out.push("**No changes.** The account matches the manifest.", "");
  if (changed.length === 0 && s.drift) out.push(`**No changes planned**, but ${s.drift} secret(s) drifted outside sopsync.`, "");
  for (const ch of changed) {
    out.push(
      "<details>",
      `<summary><code>${markOf(ch)}</code> <b>${escapeHtml(ch.name)}</b>: ${escapeHtml(headline(ch))}</summary>`,
      "",
    );
    out.push("```diff");
    for (const a of ch.actions) out.push(...actionLines(a).map(diffLine));
    out.push(...safetyFlagLines(ch).map((l) => `! ${l}`));
    out.push(...replicaStatusLines(ch), ...noteLines(ch), ...driftLines(ch).map((l) => `! ${l.trim()}`));
    out.push("```", "</details>", "");
  }
  for (const ch of driftOnly(t.changes)) {
    out.push(
      `- \`${ch.name}\`: **drift, nothing written**: ${escapeHtml(
        driftLines(ch)
          .map((l) => l.trim())
          .join("; "),
      )}`,
      "",
    );
  }
  for (const ch of t.changes) {
    if (ch.actions.length > 0) continue;
    for (const line of [...replicaStatusLines(ch), ...noteLines(ch)]) out.push(`- \`${ch.name}\`: ${escapeHtml(line)}`, "");
  }
  if (t.unmanaged.length) {
    out.push(`<details><summary>${t.unmanaged.length} unmanaged secret(s) in scope, not touched</summary>`, "");
    for (const n of t.unmanaged) out.push(`- \`${n}\``);
    out.push("", "</details>", "");
  }
  const replicas = t.replicaSecrets ?? [];
  if (replicas.length) {
    out.push(`<details><summary>${replicas.length} replica(s) of secrets in other regions, not touched</summary>`, "");
    for (const r of replicas) out.push(`- \`${r.name}\`: replica of \`${r.primaryRegion}\``);
    out.push("", "</details>", "");
  }
  const services = t.serviceSecrets ?? [];
  if (services.length) {
    out.push(`<details><summary>${services.length} secret(s) owned by AWS services, not touched</summary>`, "");
    for (const r of services) out.push(`- \`${r.name}\`: owned by \`${escapeHtml(r.owningService)}\``);
    out.push("", "</details>", "");
  }
  return out.join("\n");
}

/** GitHub colours a ```diff line by its first character: move an indented +/- mark to column 0. */
function diffLine(line: string): string {
  const m = /^(\s+)([+-])(.*)$/.exec(line);
  return m ? `${m[2]}${m[1]}${m[3]}` : line;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
