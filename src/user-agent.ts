// The user-agent suffix on every AWS request: sopsync's version, the plan being applied and the commit
// it was reviewed at, so CloudTrail ties each write to its reviewed plan. The SDK escapes each part
// (header-safe characters only); a plan id or commit that is not what it claims is left out instead.
import { SOPSYNC_VERSION } from "./version.js";

export interface UserAgentOptions {
  planId?: string;
  /** The git commit; defaults to GITHUB_SHA. Omitted unless it is a full hex SHA-1 or SHA-256. */
  commit?: string;
}

/** [name, version] pairs, the shape of the SDK's `customUserAgent`. */
export type UserAgentPairs = [name: string, version: string][];

const PLAN_ID = /^[A-Za-z0-9-]{1,64}$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

/** `sopsync/<version> sopsync-plan/<id> sopsync-commit/<sha>`, as the SDK's `customUserAgent`. */
export function sopsyncUserAgent(opts: UserAgentOptions = {}, env: NodeJS.ProcessEnv = process.env): UserAgentPairs {
  const ua: UserAgentPairs = [["sopsync", SOPSYNC_VERSION]];
  if (opts.planId !== undefined && PLAN_ID.test(opts.planId)) ua.push(["sopsync-plan", opts.planId]);
  const commit = opts.commit ?? env.GITHUB_SHA;
  if (commit !== undefined && COMMIT.test(commit)) ua.push(["sopsync-commit", commit.toLowerCase()]);
  return ua;
}
