// The `rotation:` an imported secret declares: its live settings as a config (so the first plan is
// clean and the manifest shows them), or `external` when they cannot be spelled as one. Either way
// rotation owns the value from then on, and the imported value is only its initial one.
import type { ListedSecret } from "../aws/port.js";

export function importedRotation(l: ListedSecret): { rotation?: unknown } {
  const r = l.rotation;
  if (!r?.enabled) return {};
  const rules = r.rules ?? {};
  const when =
    rules.scheduleExpression !== undefined
      ? { schedule: rules.scheduleExpression }
      : rules.automaticallyAfterDays !== undefined
        ? { afterDays: rules.automaticallyAfterDays }
        : undefined;
  if (!r.lambdaArn || !when) return { rotation: "external" };
  return { rotation: { lambdaArn: r.lambdaArn, ...when, ...(rules.duration ? { duration: rules.duration } : {}) } };
}
