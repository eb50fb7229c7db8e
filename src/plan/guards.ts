// Plan-time guards: each turns a dangerous plan into a clear error before anything is written.
import { SopsyncError } from "../errors.js";
import type { DesiredState } from "../manifest/model.js";
import type { LiveState } from "../state/model.js";
import { ownershipOf, TAG_PROTECTED } from "../state/ownership.js";
import type { TargetPlan } from "./model.js";

export interface GuardOptions {
  /** Most deletions one plan may hold (`--max-deletes`, default 10). */
  maxDeletes?: number;
  /** Lifts the count guards (`--allow-mass-delete`); never lifts `protect`. */
  allowMassDelete?: boolean;
}

export const DEFAULT_MAX_DELETES = 10;
const MAX_DELETE_SHARE = 0.25;

export function checkGuards(desired: DesiredState, live: LiveState, plan: TargetPlan, opts: GuardOptions): void {
  const file = desired.file;
  if (desired.target.account && desired.target.account !== live.account) {
    throw new SopsyncError(
      "GUARD",
      `${file}: target.account is ${desired.target.account} but the credentials are for account ${live.account}; refusing to run`,
    );
  }
  const deleted = plan.changes.filter((c) => c.actions.some((a) => a.type === "delete")).map((c) => c.name);
  const protectedNames = deleted.filter((n) => live.secrets.get(n)?.tags[TAG_PROTECTED] === "true");
  if (protectedNames.length) {
    throw new SopsyncError(
      "GUARD",
      `${file}: the manifest no longer declares protected secret(s) ${protectedNames.join(", ")}; ` +
        "put them back, or first apply them with 'protect: false'",
    );
  }
  if (opts.allowMassDelete) return;
  const owned = [...live.secrets.values()].filter((s) => !s.pendingDeletion && ownershipOf(s.tags, desired.scope.id) === "ours");
  if (desired.secrets.length === 0 && owned.length > 0) {
    throw new SopsyncError(
      "GUARD",
      `${file}: the manifest declares no secrets but ${owned.length} owned secret(s) exist; pass --allow-mass-delete to delete them all`,
    );
  }
  const max = opts.maxDeletes ?? DEFAULT_MAX_DELETES;
  if (deleted.length > max) {
    throw new SopsyncError("GUARD", `${file}: the plan deletes ${deleted.length} secrets, more than --max-deletes ${max}`);
  }
  if (deleted.length > 1 && deleted.length > owned.length * MAX_DELETE_SHARE) {
    throw new SopsyncError(
      "GUARD",
      `${file}: the plan deletes ${deleted.length} of ${owned.length} owned secrets (more than 25%); pass --allow-mass-delete if that is intended`,
    );
  }
}
