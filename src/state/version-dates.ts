// The creation date of a secret's current version, for drift attribution with rotation
// (plan/attribution.ts). ListSecrets and BatchGetSecretValue do not carry it; ListSecretVersionIds
// does, one call (and page) per secret. To keep a plan's call budget it is read only for declared
// secrets with rotation enabled whose current value is neither sopsync's version nor the manifest's.
import type { Pacer } from "../aws/pacing.js";
import { mapConcurrent } from "../aws/pacing.js";
import type { SecretsPort } from "../aws/port.js";
import type { DesiredState } from "../manifest/model.js";
import { valuesEqual } from "../manifest/values.js";
import type { LiveSecret } from "./model.js";
import { isOwnCurrentVersion } from "./own-version.js";

/** A rotating secret whose current version is not sopsync's: attribution (plan/attribution.ts) needs its date. */
export function needsVersionDate(
  l: Pick<LiveSecret, "rotation" | "tags" | "versionId" | "versionStages" | "pendingDeletion">,
): boolean {
  return l.rotation?.enabled === true && !l.pendingDeletion && l.versionId !== undefined && !isOwnCurrentVersion(l);
}

export async function readVersionDates(
  port: SecretsPort,
  desired: DesiredState,
  live: ReadonlyMap<string, LiveSecret>,
  pacer: Pacer,
  concurrency: number,
): Promise<void> {
  const { versionCreatedDate } = port;
  if (!versionCreatedDate) return;
  const wanted = desired.secrets.flatMap((d) => {
    const l = live.get(d.name);
    if (!l || l.value === undefined || !needsVersionDate(l) || valuesEqual(d.value, l.value)) return [];
    return [l];
  });
  await mapConcurrent(wanted, concurrency, async (l) => {
    await pacer.take();
    const created = await versionCreatedDate.call(port, l.name, l.versionId ?? "");
    if (created) l.versionCreated = created;
  });
}
