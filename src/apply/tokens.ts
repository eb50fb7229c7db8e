import { createHash } from "node:crypto";

/**
 * The ClientRequestToken (and so the VersionId) of one write: derived from the plan, the secret and
 * the action, so a retried call or a re-run of the same saved plan never makes a second version, while
 * a later plan that reverts to an earlier value still writes. Never derived from the value.
 */
export function requestToken(planId: string, secret: string, action: string): string {
  const h = createHash("sha256").update(`${planId}\0${secret}\0${action}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
