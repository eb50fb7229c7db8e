// Who wrote the current value of a secret with rotation enabled, when it is not the version sopsync
// wrote. The rule: a current version created no later than the secret's LastRotatedDate ("the most
// recent date and time that the Secrets Manager rotation process was successfully completed":
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html) was made by
// that rotation; one created later was written by someone else. The version's creation date is
// ListSecretVersionIds' CreatedDate
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html), read
// only where this decides something (state/version-dates.ts). Display only: apply never decides on it.
import type { LiveSecret } from "../state/model.js";
import { isOwnCurrentVersion } from "../state/own-version.js";

export type ValueAuthor = "rotated" | "changed-outside";

/** undefined: not a rotating secret, sopsync's own version, or dates unknown. */
export function rotationAttribution(
  l: Pick<LiveSecret, "rotation" | "tags" | "versionId" | "versionStages" | "versionCreated">,
): ValueAuthor | undefined {
  if (!l.rotation?.enabled || l.versionId === undefined || isOwnCurrentVersion(l)) return undefined;
  if (!l.versionCreated) return undefined;
  const last = l.rotation.lastRotatedDate;
  return last && l.versionCreated.getTime() <= last.getTime() ? "rotated" : "changed-outside";
}
