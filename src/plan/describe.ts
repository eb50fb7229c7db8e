// Human wording shared by the text and markdown renderers. Only names and metadata: never values.
import { createTwoFilesPatch } from "diff";
import { generateLines } from "./generated.js";
import type { Action, DriftCause, SecretChange } from "./model.js";
import { hasControlCharacter } from "./printable.js";
import { rotationLines } from "./describe-rotation.js";
export { noteLines } from "./describe-rotation.js";

export type Mark = "+" | "~" | "-" | "↻" | "=";

export function markOf(change: SecretChange): Mark {
  const types = new Set(change.actions.map((a) => a.type));
  if (types.size === 0) return "=";
  if (types.has("create")) return "+";
  if (types.has("delete")) return "-";
  if (types.has("restore")) return "↻";
  return "~";
}

export function headline(change: SecretChange): string {
  const types = change.actions.map((a) => a.type);
  if (types.length === 0) return "in sync";
  if (types.includes("create")) return "create";
  if (types.includes("delete")) return "delete";
  const kinds = types.filter((t) => t !== "tag" && t !== "untag");
  const words = [...new Set(kinds.length ? kinds : types)];
  return words.join(", ");
}

const CAUSE: Record<DriftCause, string> = {
  "manifest-changed": "manifest changed",
  "changed-outside": "changed outside sopsync since the last apply",
  rotated: "rotated by the secret's rotation since the last apply",
  unknown: "differs from the manifest (no record of sopsync's last write)",
  "not-readable": "not readable while pending deletion; written again after the restore",
  "no-current-value": "the secret has no current value (no AWSCURRENT version); the manifest's is written",
  "kms-key-changed": "written again as a new version under the new KMS key, so only that key decrypts it",
};

export function causeText(cause: DriftCause): string {
  return CAUSE[cause];
}

/** A tag key as read from the account: quoted when printing it as is could start a workflow command. */
function key(k: string): string {
  return hasControlCharacter(k) ? JSON.stringify(k) : k;
}

function quote(s: string | undefined): string {
  return s === undefined || s === "" ? "(none)" : JSON.stringify(s);
}

/** Detail lines for one action, without indentation. */
export function actionLines(a: Action): string[] {
  switch (a.type) {
    case "create": {
      const lines = [`create (${a.valueKind} value)`];
      if (a.generate) lines.push(...generateLines(a.generate));
      if (a.description) lines.push(`  description: ${quote(a.description)}`);
      if (a.kmsKeyId) lines.push(`  kmsKeyId: ${a.kmsKeyId}`);
      for (const [k, v] of Object.entries(a.tags)) lines.push(`  tag ${key(k)} = ${quote(v)}`);
      return lines;
    }
    case "update-value": {
      const head = `value: ${causeText(a.cause)}`;
      if (a.cause === "kms-key-changed") return [head]; // the same value, under the new key
      if (!a.keys) return [head, "  (value changed)"];
      return [
        head,
        ...a.keys.map((k) => `  ${k.change === "added" ? "+" : k.change === "removed" ? "-" : "~"} ${k.key} (${k.change})`),
      ];
    }
    case "update-metadata": {
      const lines: string[] = [];
      if (a.description) lines.push(`description: ${quote(a.description.before)} -> ${quote(a.description.after)}`);
      if (a.kmsKeyId) lines.push(`kmsKeyId: ${quote(a.kmsKeyId.before)} -> ${quote(a.kmsKeyId.after)}`);
      return lines;
    }
    case "tag":
      return Object.entries(a.tags).map(([k, v]) =>
        v.before === undefined
          ? `+ tag ${key(k)} = ${quote(v.after)}`
          : `~ tag ${key(k)}: ${quote(v.before)} -> ${quote(v.after)}`,
      );
    case "untag":
      return Object.entries(a.tags).map(([k, v]) => `- tag ${key(k)} = ${quote(v)}`);
    case "put-policy":
      return ["policy:", ...policyDiff(a.before, a.after).map((l) => `  ${l}`)];
    case "delete-policy":
      if (a.before === undefined) return ["policy: removed (if one is attached; it could not be read while pending deletion)"];
      return ["policy: removed", ...policyDiff(a.before, undefined).map((l) => `  ${l}`)];
    case "add-replica":
      return [`+ replica ${a.region}${a.kmsKeyId ? ` (kmsKeyId ${a.kmsKeyId})` : ""}`];
    case "remove-replica":
      return [`- replica ${a.region} (deleted at once, no recovery window)`];
    case "restore":
      return ["restore: the secret is scheduled for deletion; it is restored, then reconciled"];
    case "adopt":
      return ["adopt: existing secret, not managed until now; sopsync takes ownership"];
    case "delete":
      return [
        `delete: no longer in the manifest; scheduled for deletion with a ${a.recoveryWindowDays}-day recovery window` +
          (a.recoveryWindowFrom === "secret"
            ? " (the secret's own, recorded when sopsync wrote it)"
            : a.recoveryWindowFrom === "defaults"
              ? " (defaults.recoveryWindowDays)"
              : ""),
      ];
    case "enable-rotation":
    case "update-rotation":
    case "cancel-rotation":
      return rotationLines(a);
  }
}

/** Replicas not in sync (display only): InProgress is being created, Failed says why. */
export function replicaStatusLines(change: SecretChange): string[] {
  return (change.replicaStatus ?? []).map((r) => {
    const why = r.message ? `: ${JSON.stringify(r.message)}` : "";
    if (r.status === "InProgress") return `replica ${r.region}: replication in progress${why}`;
    if (r.status === "Failed") return `replica ${r.region}: replication failed${why}`;
    return `replica ${r.region}: status ${JSON.stringify(r.status)}${why}`;
  });
}

/** Unified diff of two policy documents, pretty-printed; only the changed hunks. */
export function policyDiff(before: unknown, after: unknown): string[] {
  const text = (v: unknown) => (v === undefined ? "" : `${JSON.stringify(v, null, 2)}\n`);
  const patch = createTwoFilesPatch("live", "manifest", text(before), text(after), "", "", { context: 2 });
  const lines = patch.split("\n");
  // Drop the file header (=== / --- live / +++ manifest): only the hunks say anything.
  const first = lines.findIndex((l) => l.startsWith("@@"));
  if (first < 0) return [];
  return lines.slice(first).filter((l) => l !== "" && !l.startsWith("\\"));
}
