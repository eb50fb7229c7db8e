// Wording for rotation: its settings actions and the notes on a value rotation owns. Never a value.
import type { RotationRules } from "../manifest/model.js";
import type { Action, SecretChange } from "./model.js";

function rules(r: RotationRules | undefined): string {
  if (!r) return "(none)";
  const parts = [
    ...(r.automaticallyAfterDays !== undefined ? [`every ${r.automaticallyAfterDays} day(s)`] : []),
    ...(r.scheduleExpression !== undefined ? [`schedule ${r.scheduleExpression}`] : []),
    ...(r.duration !== undefined ? [`window ${r.duration}`] : []),
  ];
  return parts.length ? parts.join(", ") : "(none)";
}

// RotateSecret "also runs the testSecret step of the Lambda rotation function" even when it does not
// rotate at once, and the caller needs lambda:InvokeFunction on it
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html).
const TEST_STEP = "AWS runs the function's testSecret step now; the caller needs lambda:InvokeFunction on it";

export function rotationLines(a: Extract<Action, { type: "enable-rotation" | "update-rotation" | "cancel-rotation" }>): string[] {
  switch (a.type) {
    case "enable-rotation":
      return [
        `rotation: enabled with ${a.lambdaArn}, ${rules(a.rules)}`,
        a.rotateImmediately
          ? "  rotates now (rotateImmediately), then on schedule"
          : "  first rotation on schedule (RotateImmediately: false)",
        `  ${TEST_STEP}`,
      ];
    case "update-rotation":
      return [
        "rotation: settings changed (RotateImmediately: false)",
        ...(a.before.lambdaArn !== a.lambdaArn ? [`  function: ${a.before.lambdaArn ?? "(none)"} -> ${a.lambdaArn}`] : []),
        `  rules: ${rules(a.before.rules)} -> ${rules(a.rules)}`,
        `  ${TEST_STEP}`,
      ];
    case "cancel-rotation":
      return [`rotation: cancelled (rotation: none)${a.lambdaArn ? `; was ${a.lambdaArn}` : ""}`];
  }
}

/** Display-only notes: never a change, never an exit code 2. */
export function noteLines(change: SecretChange): string[] {
  return (change.notes ?? []).map((n) =>
    n.kind === "value-change-ignored"
      ? "value: ignored: rotation owns the value; remove `rotation:` to manage it here"
      : `value owned by rotation, last rotated ${n.lastRotated ?? "(never)"}` +
        (n.value === "changed-outside" ? "; the current value was changed outside sopsync after the last rotation" : ""),
  );
}
