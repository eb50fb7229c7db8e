import { createHash } from "node:crypto";
import type { TargetPlan } from "../plan/model.js";

/** What a request token is derived from besides the secret and the action. */
export interface TokenContext {
  planId: string;
  account: string;
  region: string;
  scopeId: string;
}

export function tokenContext(planId: string, t: Pick<TargetPlan, "target" | "scope">): TokenContext {
  return { planId, account: t.target.account, region: t.target.region, scopeId: t.scope.id };
}

/**
 * The ClientRequestToken (and so the VersionId) of one write: derived from the plan, the target
 * (account, region, scope), the secret and the action, so a retried call or a re-run of the same
 * saved plan never makes a second version, two targets of one run never share a token, and a later
 * plan that reverts to an earlier value still writes. Never derived from the value.
 */
export function requestToken(ctx: TokenContext, secret: string, action: string): string {
  const h = createHash("sha256")
    .update([ctx.planId, ctx.account, ctx.region, ctx.scopeId, secret, action].join("\0"))
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The ClientRequestToken of a RotateSecret, which becomes the id of the version the rotation makes.
 * Never in the form of requestToken's (a UUID): a rotated value must never pass for one sopsync wrote.
 * Derived like requestToken, so a retried or re-run call never starts a second rotation.
 */
export function rotationToken(ctx: TokenContext, secret: string, action: string): string {
  const h = createHash("sha256")
    .update(["rotation", ctx.planId, ctx.account, ctx.region, ctx.scopeId, secret, action].join("\0"))
    .digest("hex");
  return `${ROTATION_TOKEN_PREFIX}${h.slice(0, 40)}`;
}

/** Every rotation token starts with it: 32..64 characters in all, as ClientRequestToken requires. */
export const ROTATION_TOKEN_PREFIX = "sopsync-rotation-";
