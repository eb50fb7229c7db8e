// Pure: turns a saved plan (`sopsync plan --format json`) into the body of the drift issue, saying
// for each drifted secret whether the difference is a manifest change not applied yet or a change
// made outside sopsync. Only names and metadata are in a plan, so only those reach the issue.

export const DRIFT_LABEL = "secrets-drift";
export const DRIFT_TITLE = "Secrets Manager differs from the manifest (sopsync drift)";

const CAUSE = {
  "manifest-changed": { kind: "pending", text: "value: manifest changed, not applied yet" },
  "changed-outside": { kind: "outside", text: "value: changed outside sopsync since the last apply" },
  unknown: { kind: "unknown", text: "value differs; sopsync has no record of its last write (adopted or tag removed)" },
  "not-readable": { kind: "unknown", text: "value not readable while scheduled for deletion; written again after the restore" },
  "no-current-value": { kind: "unknown", text: "the secret has no current value (no AWSCURRENT version)" },
  "kms-key-changed": { kind: "pending", text: "value written again under the new KMS key" },
  rotated: { kind: "rotated", text: "value: rotated by the secret's rotation" },
};

const ACTION = {
  create: { kind: "pending", text: "declared but missing: new in the manifest, or deleted outside sopsync" },
  delete: { kind: "pending", text: "removed from the manifest, not deleted yet" },
  adopt: { kind: "pending", text: "declared with adopt, not taken over yet" },
  restore: { kind: "unknown", text: "declared but scheduled for deletion" },
  "update-metadata": { kind: "unknown", text: "description or KMS key differs" },
  tag: { kind: "unknown", text: "tags differ" },
  untag: { kind: "unknown", text: "tags differ" },
  "put-policy": { kind: "unknown", text: "resource policy differs" },
  "delete-policy": { kind: "unknown", text: "resource policy differs" },
  "add-replica": { kind: "unknown", text: "replicas differ" },
  "remove-replica": { kind: "unknown", text: "replicas differ" },
  "enable-rotation": { kind: "pending", text: "rotation settings: the manifest's are not applied yet" },
  "update-rotation": { kind: "pending", text: "rotation settings: the manifest's are not applied yet" },
  "cancel-rotation": { kind: "pending", text: "rotation: the manifest cancels it (rotation: none), not applied yet" },
};

// Drift the plan writes nothing for (a change's `drift`): the manifest must say who owns the value.
const DRIFT = {
  "rotation-enabled-outside": (n) => ({
    kind: "rotation",
    text: `rotation enabled outside sopsync (lambda ${n.lambdaArn ?? "unknown"}); value never written back: declare rotation, rotation: external, or rotation: none`,
  }),
};
// Who wrote a drifted value the plan does not write back (a drift entry's `value`).
const DRIFT_VALUE = {
  rotated: { kind: "rotated", text: "value: rotated by the secret's rotation" },
  "changed-outside": { kind: "outside", text: "value: changed outside sopsync after the last rotation" },
};

const KIND_TEXT = {
  pending: "pending manifest change",
  outside: "changed outside sopsync",
  rotation: "rotation enabled outside sopsync",
  rotated: "rotated by its rotation",
  unknown: "cause unknown",
};
// Strongest signal first: a write nobody reviewed beats a change still waiting for apply.
const KIND_RANK = { outside: 0, rotation: 1, unknown: 2, rotated: 3, pending: 4 };

/** One entry per secret with changes: { scope, name, kind, reasons[] }. */
export function driftedSecrets(plan) {
  const out = [];
  for (const t of plan.targets ?? []) {
    for (const c of t.changes ?? []) {
      if (!c.actions?.length && !c.drift?.length) continue;
      const found = c.actions.map((a) =>
        a.type === "update-value" ? (CAUSE[a.cause] ?? CAUSE.unknown) : (ACTION[a.type] ?? { kind: "unknown", text: a.type }),
      );
      for (const n of c.drift ?? []) {
        found.push(DRIFT[n.kind]?.(n) ?? { kind: "unknown", text: n.kind });
        if (DRIFT_VALUE[n.value]) found.push(DRIFT_VALUE[n.value]);
      }
      const reasons = [...new Set(found.map((f) => f.text))];
      const kind = found.map((f) => f.kind).sort((a, b) => KIND_RANK[a] - KIND_RANK[b])[0];
      out.push({ scope: t.scope.id, account: t.target.account, region: t.target.region, name: c.name, kind, reasons });
    }
  }
  return out;
}

/**
 * Markdown body for the drift issue; `runUrl` links the workflow run that found it. A plan of several
 * targets (a fleet) is still one issue: a table of the drifted targets, then each target's secrets.
 */
export function driftIssueBody(plan, runUrl) {
  const drifted = driftedSecrets(plan);
  const count = (list, k) => list.filter((d) => d.kind === k).length;
  const planned = plan.targets?.length ?? 0;
  const lines = [
    `sopsync found **${drifted.length}** secret(s) that differ from the manifest: ${count(drifted, "outside")} changed outside sopsync, ${count(drifted, "pending")} pending manifest change(s), ${count(drifted, "unknown")} of unknown cause${count(drifted, "rotation") ? `, ${count(drifted, "rotation")} with rotation enabled outside sopsync` : ""}${count(drifted, "rotated") ? `, ${count(drifted, "rotated")} rotated by their rotation` : ""}.`,
    "",
  ];
  const row = (d) => `| \`${d.name}\` | ${KIND_TEXT[d.kind]} | ${d.reasons.map(escapeCell).join("; ")} |`;
  if (planned <= 1) {
    lines.push(
      "| scope | secret | drift | details |",
      "|---|---|---|---|",
      ...drifted.map((d) => `| \`${d.scope}\` ${row(d)}`),
      "",
    );
  } else {
    const targets = byTarget(drifted);
    lines.push(
      `**${targets.length}** of ${planned} target(s) drifted:`,
      "",
      "| account | region | scope | drifted | changed outside | pending | other |",
      "|---|---|---|---:|---:|---:|---:|",
      ...targets.map(({ t, secrets }) => {
        const outside = count(secrets, "outside");
        const pending = count(secrets, "pending");
        const other = secrets.length - outside - pending;
        return `| \`${t.account}\` | \`${t.region}\` | \`${t.scope}\` | ${secrets.length} | ${outside} | ${pending} | ${other} |`;
      }),
      "",
    );
    for (const { t, secrets } of targets) {
      lines.push(
        `#### \`${t.scope}\` · account \`${t.account}\` · \`${t.region}\``,
        "",
        "| secret | drift | details |",
        "|---|---|---|",
        ...secrets.map(row),
        "",
      );
    }
  }
  lines.push(
    "A *pending manifest change* is applied by the next `sopsync apply` (merge to the default branch). A change *made outside sopsync* is overwritten by that apply too: copy it into the manifest first if it should stay. A secret with *rotation enabled outside sopsync* is never written back: declare `rotation:` or `rotation: external` in the manifest to keep the rotation, or `rotation: none` to cancel it.",
    "",
    `Found by ${runUrl ? `[this run](${runUrl})` : "the drift check"}. This issue is updated on each check and closed when the account matches the manifest again.`,
  );
  return `${lines.join("\n")}\n`;
}

/** The drifted secrets grouped by target (account, region, scope), in the plan's order. */
function byTarget(drifted) {
  const groups = new Map();
  for (const d of drifted) {
    const key = JSON.stringify([d.account, d.region, d.scope]);
    if (!groups.has(key)) groups.set(key, { t: { account: d.account, region: d.region, scope: d.scope }, secrets: [] });
    groups.get(key).secrets.push(d);
  }
  return [...groups.values()];
}

function escapeCell(s) {
  return s.replace(/\|/g, "\\|");
}
