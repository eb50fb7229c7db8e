// Rotation enabled on the account for a managed secret whose manifest declares no `rotation:`.
// Its rotation function writes the value (to the secret and to the database or service it guards), so
// writing the manifest's value back would break whatever uses it the moment the other side has the
// rotated one ("Rotation updates both the secret in Secrets Manager and the credentials on the database
// or service": https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_update-secret.html).
// The plan never writes such a value: it reports the rotation as drift of its own, which counts as a
// change for --detailed-exitcode, until the manifest says who owns the value: `rotation:` (its
// settings) or `rotation: external` to keep it, `rotation: none` to cancel it. Pure.
import type { LiveRotation } from "../aws/port.js";
import type { DesiredSecret } from "../manifest/model.js";
import type { LiveSecret } from "../state/model.js";
import { rotationAttribution } from "./attribution.js";
import type { DriftNote, Plan, SecretChange } from "./model.js";

/** The account's rotation when it is enabled and the manifest declares none; otherwise undefined. */
export function undeclaredRotation(
  d: Pick<DesiredSecret, "rotation">,
  l: Pick<LiveSecret, "rotation">,
): LiveRotation | undefined {
  return d.rotation === undefined && l.rotation?.enabled ? l.rotation : undefined;
}

/** The drift entry of a change (absent when there is none). */
export function rotationDrift(r: LiveRotation | undefined, l: LiveSecret): { drift?: DriftNote[] } {
  if (!r) return {};
  const value = rotationAttribution(l);
  return {
    drift: [
      { kind: "rotation-enabled-outside", ...(r.lambdaArn ? { lambdaArn: r.lambdaArn } : {}), ...(value ? { value } : {}) },
    ],
  };
}

/** Drift with no write planned still differs from the manifest: --detailed-exitcode exits 2. */
export function hasDrift(plan: Plan): boolean {
  return plan.targets.some((t) => t.changes.some((c) => (c.drift?.length ?? 0) > 0));
}

/** How many secrets of a target drifted without a planned action (for the summary line). */
export function driftOnly(changes: readonly SecretChange[]): SecretChange[] {
  return changes.filter((c) => c.actions.length === 0 && (c.drift?.length ?? 0) > 0);
}

/** Wording, shared by the renderers. Names and ARNs only, never a value. */
export function driftLines(change: SecretChange): string[] {
  return (change.drift ?? []).flatMap((n) => [
    `rotation was enabled outside sopsync (lambda ${n.lambdaArn ?? "unknown"}); its value is never written here`,
    ...(n.value === "rotated" ? ["  value: rotated by the secret's rotation"] : []),
    ...(n.value === "changed-outside" ? ["  value: changed outside sopsync after the last rotation"] : []),
    "  declare `rotation:` (its settings) or `rotation: external` to keep it, or `rotation: none` to cancel it",
  ]);
}
