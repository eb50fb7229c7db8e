// Rotation in the plan: the settings actions a secret's `rotation:` calls for, and the display-only
// notes for a value rotation owns. Absent `rotation:` plans nothing here (what the account does on its
// own is reported elsewhere); only `rotation: none` cancels.
import type { LiveRotation } from "../aws/port.js";
import type { DesiredSecret, RotationRules, RotationSpec } from "../manifest/model.js";
import { storedMatches } from "../manifest/generate.js";
import type { LiveSecret } from "../state/model.js";
import { isOwnCurrentVersion } from "../state/own-version.js";
import { rotationAttribution } from "./attribution.js";
import type { Action, ChangeNote } from "./model.js";

/** The rotation actions for a secret that exists (`live`: undefined when rotation was never enabled). */
export function planRotation(spec: RotationSpec | undefined, live: LiveRotation | undefined): Action[] {
  if (spec === undefined || spec.mode === "external") return [];
  if (spec.mode === "none") return live?.enabled ? [{ type: "cancel-rotation", lambdaArn: live.lambdaArn }] : [];
  if (!live?.enabled)
    return [{ type: "enable-rotation", lambdaArn: spec.lambdaArn, rules: spec.rules, rotateImmediately: spec.rotateImmediately }];
  if (live.lambdaArn === spec.lambdaArn && sameRules(spec.rules, live.rules)) return [];
  return [
    {
      type: "update-rotation",
      before: { lambdaArn: live.lambdaArn, rules: live.rules },
      lambdaArn: spec.lambdaArn,
      rules: spec.rules,
      // Changing the settings of a rotating secret is no reason to rotate it now.
      rotateImmediately: false,
    },
  ];
}

/** The rotation a new secret starts with, after its initial value is in place. */
export function planCreateRotation(spec: RotationSpec | undefined): Action[] {
  return spec?.mode === "managed" ? planRotation(spec, undefined) : [];
}

/**
 * Only what the manifest declares is compared: AWS may report a schedule for a rule given in days
 * (`rate(30 days)`), and an undeclared duration is left as AWS has it.
 */
function sameRules(want: RotationRules, have: RotationRules | undefined): boolean {
  if (!have) return false;
  if (want.scheduleExpression !== undefined && want.scheduleExpression !== have.scheduleExpression) return false;
  if (want.automaticallyAfterDays !== undefined) {
    const n = want.automaticallyAfterDays;
    const sameDays =
      have.automaticallyAfterDays === n ||
      (have.automaticallyAfterDays === undefined && have.scheduleExpression === `rate(${n} day${n === 1 ? "" : "s"})`);
    if (!sameDays) return false;
  }
  return want.duration === undefined || want.duration === have.duration;
}

/**
 * Why a rotation-owned value differs from the manifest, for display: the manifest moved on since
 * sopsync's last write (ignored), or rotation wrote a value of its own.
 */
export function rotationNotes(d: DesiredSecret, l: LiveSecret): { notes?: ChangeNote[] } {
  // storedMatches: a generated value is compared with nothing from the manifest (only static keys are).
  if (l.value === undefined || storedMatches(d, l.value)) return {};
  if (isOwnCurrentVersion(l)) return { notes: [{ kind: "value-change-ignored" }] };
  const last = l.rotation?.lastRotatedDate;
  const value = rotationAttribution(l);
  return {
    notes: [
      { kind: "value-owned-by-rotation", ...(last ? { lastRotated: last.toISOString() } : {}), ...(value ? { value } : {}) },
    ],
  };
}
