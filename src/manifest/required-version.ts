// `requiredVersion:` lets a manifest refuse the sopsync versions it was not written for, e.g. one that
// would not know a newer key, or a cron pinned to an older release.
// Only the two functions: the package's index loads all of semver, a cost every manifest load pays.
import satisfies from "semver/functions/satisfies.js";
import validRange from "semver/ranges/valid.js";
import { SOPSYNC_VERSION } from "../version.js";

/** Why `version` may not read a manifest asking for `range`; undefined when it may (or the range is invalid: the schema reports that). */
export function requiredVersionProblem(range: unknown, version: string = SOPSYNC_VERSION): string | undefined {
  if (typeof range !== "string" || validRange(range) === null) return undefined;
  // A pre-release of a satisfying version (0.3.0-rc.1 for ">=0.2.0") may read it too.
  if (satisfies(version, range, { includePrerelease: true })) return undefined;
  return `this manifest needs sopsync ${range}; this is ${version}`;
}
