// A secret's `rotation:` as the desired state holds it: the manifest's spelling (afterDays, schedule)
// turned into RotateSecret's RotationRules, so the planner compares like with like.
import type { RotationRules, RotationSpec } from "./model.js";
import type { RotationInput } from "./schema.js";

export function rotationOf(r: RotationInput | undefined): { rotation?: RotationSpec } {
  if (r === undefined) return {};
  if (r === "external" || r === "none") return { rotation: { mode: r } };
  const rules: RotationRules = {
    ...(r.afterDays !== undefined ? { automaticallyAfterDays: r.afterDays } : {}),
    ...(r.schedule !== undefined ? { scheduleExpression: r.schedule } : {}),
    ...(r.duration !== undefined ? { duration: r.duration } : {}),
  };
  return { rotation: { mode: "managed", lambdaArn: r.lambdaArn, rules, rotateImmediately: r.rotateImmediately ?? false } };
}

/** Rotation owns the value: declared as a config or as `external` (item 2 of the rotation design). */
export function rotationOwnsValue(r: RotationSpec | undefined): boolean {
  return r !== undefined && r.mode !== "none";
}
