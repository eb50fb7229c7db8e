// Whether the account already shows a rotation settings change this plan lists (a re-run after a
// crash): rotation on, with the planned function and rules.
import type { Action } from "../plan/model.js";
import type { LiveSecret } from "../state/model.js";

export function rotationInEffect(a: Extract<Action, { type: "enable-rotation" | "update-rotation" }>, l: LiveSecret): boolean {
  const r = l.rotation;
  if (!r?.enabled || r.lambdaArn !== a.lambdaArn) return false;
  const have = r.rules ?? {};
  return (
    (a.rules.automaticallyAfterDays === undefined || have.automaticallyAfterDays === a.rules.automaticallyAfterDays) &&
    (a.rules.scheduleExpression === undefined || have.scheduleExpression === a.rules.scheduleExpression) &&
    (a.rules.duration === undefined || have.duration === a.rules.duration)
  );
}
