import { createHash } from "node:crypto";
import type { SecretChange, TargetPlan } from "../plan/model.js";
import { nextGeneration, OWN_VERSION_PREFIX, ownGeneration } from "../state/own-version.js";

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
 * The ClientRequestToken (and so the VersionId) of one value write: derived from the plan, the target
 * (account, region, scope), the secret and the action, so a retried call or a re-run of the same
 * saved plan never makes a second version, two targets of one run never share a token, and a later
 * plan that reverts to an earlier value still writes. Never derived from the value: a VersionId is
 * readable by anyone allowed DescribeSecret.
 *
 * Its form marks the version as sopsync's, so no tag is written to record it: `sopsync-g<generation>-`
 * and 40 hex characters, 51..64 characters in all (ClientRequestToken takes 32..64:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html). The generation
 * is one more than that of `replaces`, the AWSCURRENT VersionId the plan was made against (its
 * precondition, null or absent for a new secret): state/own-version.ts reads both back.
 */
export function requestToken(ctx: TokenContext, secret: string, action: string, replaces?: string | null): string {
  const h = createHash("sha256")
    .update([ctx.planId, ctx.account, ctx.region, ctx.scopeId, secret, action].join("\0"))
    .digest("hex");
  return `${OWN_VERSION_PREFIX}${nextGeneration(replaces)}-${h.slice(0, 40)}`;
}

/** The token of a change's value write (create or update-value), replacing the version it was planned against. */
export function valueToken(ctx: TokenContext, change: Pick<SecretChange, "name" | "precondition">, action: string): string {
  const p = change.precondition;
  return requestToken(ctx, change.name, action, p.state === "absent" ? null : p.versionId);
}

/** Two tokens of one write (same plan, target, secret and action), whatever generation each carries. */
export function sameWrite(a: string, b: string): boolean {
  return (
    ownGeneration(a) !== undefined &&
    ownGeneration(b) !== undefined &&
    a.slice(a.lastIndexOf("-")) === b.slice(b.lastIndexOf("-"))
  );
}

/** `token` (from requestToken) as the write replacing `replaces` makes it: the same hash, that generation. */
export function replacingToken(token: string, replaces: string | null | undefined): string {
  const hash = token.slice(token.lastIndexOf("-") + 1);
  return `${OWN_VERSION_PREFIX}${nextGeneration(replaces)}-${hash}`;
}

/**
 * The ClientRequestToken of a RotateSecret, which becomes the id of the version the rotation makes.
 * Never in the form of requestToken's (state/own-version.ts): a rotated value must never pass for one
 * sopsync wrote.
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
