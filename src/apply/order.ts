// The order apply runs things in, whatever order a plan lists them: design §5.
// Per secret: restore before anything is written to it; create before replicas and policy; metadata
// and values before tags, rotation settings once the value is in place (so the ownership tags land
// only on a secret that holds what the manifest says); delete last. Across secrets: every delete
// after every other change.
import type { Action, SecretChange } from "../plan/model.js";

const RANK: Record<Action["type"], number> = {
  restore: 0,
  adopt: 1,
  create: 2,
  // Before a value write: a rotation running meanwhile would replace the value being written.
  "cancel-rotation": 2.5,
  "update-metadata": 3,
  "update-value": 4,
  "put-policy": 5,
  "delete-policy": 5,
  "remove-replica": 6,
  "add-replica": 7,
  // After the value is in place: rotation starts from the value the manifest put there.
  "enable-rotation": 7.5,
  "update-rotation": 7.5,
  tag: 8,
  untag: 9,
  delete: 10,
};

/** The secret's actions in execution order (stable for actions of equal rank). */
export function orderActions(actions: readonly Action[]): Action[] {
  return actions
    .map((a, i) => ({ a, i }))
    .sort((x, y) => RANK[x.a.type] - RANK[y.a.type] || x.i - y.i)
    .map((x) => x.a);
}

export function isDelete(c: SecretChange): boolean {
  return c.actions.some((a) => a.type === "delete");
}

/** Changed secrets in two phases: everything else, then deletes. Noops are dropped. */
export function phases(changes: readonly SecretChange[]): [SecretChange[], SecretChange[]] {
  const changed = changes.filter((c) => c.actions.length > 0);
  return [changed.filter((c) => !isDelete(c)), changed.filter(isDelete)];
}
