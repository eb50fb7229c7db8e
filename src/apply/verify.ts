// Read-back after apply: the values just written, through BatchGetSecretValue (ListSecrets can lag
// minutes behind on AWS). Reports names and what differs, never values.
import { chunk } from "../aws/pacing.js";
import type { SecretsPort } from "../aws/port.js";
import type { DesiredSecret } from "../manifest/model.js";
import { valuesEqual } from "../manifest/values.js";
import type { SecretChange } from "../plan/model.js";

export async function verifyWrites(
  port: SecretsPort,
  changes: readonly SecretChange[],
  desired: ReadonlyMap<string, DesiredSecret>,
): Promise<{ name: string; problem: string }[]> {
  const wroteValue = changes.filter((c) => c.actions.some((a) => a.type === "create" || a.type === "update-value" || a.type === "restore"));
  const problems: { name: string; problem: string }[] = [];
  for (const ids of chunk(wroteValue.map((c) => c.name), 20)) {
    const r = await port.batchGetValues(ids);
    for (const e of r.errors) problems.push({ name: e.id, problem: `could not read back: ${e.code}` });
    for (const v of r.values) {
      const d = desired.get(v.name);
      if (d && !valuesEqual(d.value, v.value)) problems.push({ name: v.name, problem: "the stored value differs from the manifest" });
    }
  }
  return problems;
}
