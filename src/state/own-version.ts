// Which version of a secret sopsync wrote, read from the VersionIds alone: no tag is written for it.
//
// A write's ClientRequestToken becomes the new version's VersionId, and its format is ours to choose
// ("Length Constraints: Minimum length of 32. Maximum length of 64."; "If you don't use the SDK and
// instead generate a raw HTTP request ... you must generate a ClientRequestToken and include it"; when
// none is given the SDK sends a UUID:
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html,
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html,
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html).
// sopsync's value writes carry `sopsync-g<generation>-<40 hex>` (apply/tokens.ts); a version made by
// RotateSecret (sopsync's own rotation tokens start `sopsync-rotation-`), the console, the CLI or an SDK
// without a token never has that form. Anyone may send a token of that form on purpose: the marker says
// "written in sopsync's format", never who wrote it — which is why the generation is compared below.
//
// The generation is one more than that of the version the write replaced (1 when that one was not
// sopsync's). AWSCURRENT is sopsync's latest write only when no other labelled version carries a higher
// generation: moving AWSCURRENT back to an older version (UpdateSecretVersionStage) leaves the version it
// was removed from labelled AWSPREVIOUS ("If you move AWSCURRENT, Secrets Manager automatically moves
// the label AWSPREVIOUS to the version that AWSCURRENT was removed from":
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html),
// so a newer sopsync version stays in sight; and since each sopsync write replaces the version it was
// planned against, AWSPREVIOUS behind sopsync's latest write is never another sopsync version than
// its direct predecessor (which covers a roll-back past a version someone else wrote, where the
// generation restarted at 1). The labelled versions come with ListSecrets
// (SecretVersionsToStages), which the plan reads anyway: the rule costs no call.
//
// Secrets written by a sopsync from before this format recorded the version in the `sopsync:version`
// tag: AWSCURRENT equal to it is still sopsync's, as long as no labelled version carries the marker
// (every marked version is newer than any tag: sopsync never records the tag while one is labelled).
import type { LiveSecret } from "./model.js";
import { TAG_VERSION } from "./ownership.js";

const OWN = /^sopsync-g([1-9][0-9]{0,13})-[0-9a-f]{40}$/;
export const OWN_VERSION_PREFIX = "sopsync-g";

/** The generation of a version sopsync wrote in its own format; undefined for any other VersionId. */
export function ownGeneration(versionId: string | null | undefined): number | undefined {
  const m = versionId ? OWN.exec(versionId) : null;
  return m ? Number(m[1]) : undefined;
}

/** The generation of a write replacing `replaces` (the AWSCURRENT VersionId the plan saw; null: none). */
export function nextGeneration(replaces: string | null | undefined): number {
  return (ownGeneration(replaces) ?? 0) + 1;
}

/**
 * Who wrote AWSCURRENT, as far as the VersionIds tell:
 * - `own`: sopsync's latest write (or, for a secret written before the format, the tagged version);
 * - `moved-back`: a sopsync version, but an older one than another labelled sopsync version;
 * - `other`: not sopsync's, on a secret sopsync has written before (a marked version or the tag);
 * - `unrecorded`: nothing tells (adopted and never written by sopsync, or the tag removed).
 */
export type VersionAuthor = "own" | "moved-back" | "other" | "unrecorded";

export function currentVersionAuthor(l: Pick<LiveSecret, "versionId" | "tags" | "versionStages">): VersionAuthor {
  const current = l.versionId;
  // Labelled versions only: AWS lists no others, moto lists every version.
  const labelled = Object.entries(l.versionStages ?? {})
    .filter(([v, stages]) => v !== current && stages.length > 0)
    .map(([v]) => v);
  const newest = Math.max(0, ...labelled.map((v) => ownGeneration(v) ?? 0));
  const g = ownGeneration(current);
  if (g !== undefined) return newest > g || previousOutOfLine(l.versionStages ?? {}, current, g) ? "moved-back" : "own";
  const tagged = Object.hasOwn(l.tags, TAG_VERSION) ? l.tags[TAG_VERSION] : undefined;
  if (current !== undefined && tagged === current) return newest > 0 ? "moved-back" : "own";
  return newest > 0 || tagged !== undefined ? "other" : "unrecorded";
}

/**
 * sopsync's write replaces the version its plan was made against and AWS moves AWSPREVIOUS onto that
 * one, so behind sopsync's latest write AWSPREVIOUS is its direct predecessor (generation g - 1) or not
 * sopsync's. Another sopsync version there means AWSCURRENT was moved back past a newer sopsync write
 * that the generations cannot order (one made after someone else's version restarts at 1). Only when
 * the listing is current (its AWSCURRENT is the version read): a lagging one names the older labels.
 */
function previousOutOfLine(stages: Record<string, string[]>, current: string | undefined, g: number): boolean {
  if (current === undefined || !stages[current]?.includes("AWSCURRENT")) return false;
  const previous = Object.keys(stages).find((v) => v !== current && stages[v]?.includes("AWSPREVIOUS"));
  const pg = ownGeneration(previous);
  return pg !== undefined && pg !== g - 1;
}

/** AWSCURRENT is the version sopsync last wrote. */
export function isOwnCurrentVersion(l: Pick<LiveSecret, "versionId" | "tags" | "versionStages">): boolean {
  return l.versionId !== undefined && currentVersionAuthor(l) === "own";
}

/**
 * Whether the `sopsync:version` tag may record AWSCURRENT as the version sopsync holds for the manifest's
 * (an adopted secret whose value already is the manifest's): only while no labelled version, AWSCURRENT
 * included, carries sopsync's format. So a tag is always older than every version in that format, and
 * the rule above can tell AWSCURRENT moved back to the tagged version.
 */
export function tagMayRecord(l: Pick<LiveSecret, "versionId" | "tags" | "versionStages">): boolean {
  if (l.versionId === undefined || ownGeneration(l.versionId) !== undefined) return false;
  if (Object.keys(l.versionStages ?? {}).some((v) => ownGeneration(v) !== undefined)) return false;
  return (Object.hasOwn(l.tags, TAG_VERSION) ? l.tags[TAG_VERSION] : undefined) !== l.versionId;
}
