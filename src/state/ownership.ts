// Tags are sopsync's only state besides its version ids (state/own-version.ts): who owns a secret,
// and whether removing it from the manifest must be refused. None of them says anything about the value.

export const TAG_MANAGED_BY = "sopsync:managed-by";
/**
 * The VersionId sopsync last wrote, as releases before sopsync's own version form recorded it; now read
 * for those secrets and written only to record an adopted version (state/own-version.ts).
 */
export const TAG_VERSION = "sopsync:version";
/** Set while the manifest says `protect: true`, so a later manifest that drops the secret is refused. */
export const TAG_PROTECTED = "sopsync:protected";
/**
 * The secret's own recovery window in days, set while the manifest gives the secret one: once the
 * secret leaves the manifest its declaration is gone, and this is what remains of it.
 */
export const TAG_RECOVERY_WINDOW = "sopsync:recovery-window-days";

export type Ownership = "ours" | "unmanaged" | { otherScope: string };

export function ownershipOf(tags: Record<string, string>, scopeId: string): Ownership {
  const owner = tags[TAG_MANAGED_BY];
  if (owner === undefined) return "unmanaged";
  return owner === scopeId ? "ours" : { otherScope: owner };
}

const KNOWN_TAGS: ReadonlySet<string> = new Set([TAG_MANAGED_BY, TAG_VERSION, TAG_PROTECTED, TAG_RECOVERY_WINDOW]);

/** The recovery window recorded on a secret; undefined when there is none or it is not 7..30 days. */
export function recordedRecoveryWindow(tags: Record<string, string>): number | undefined {
  const v = Object.hasOwn(tags, TAG_RECOVERY_WINDOW) ? tags[TAG_RECOVERY_WINDOW] : undefined;
  if (v === undefined || !/^\d{1,2}$/.test(v)) return undefined;
  const days = Number(v);
  return days >= 7 && days <= 30 ? days : undefined;
}

/** Any case: IAM compares tag keys case-insensitively, so `SOPSYNC:x` is as reserved as `sopsync:x`. */
export function isSopsyncTag(key: string): boolean {
  return key.toLowerCase().startsWith("sopsync:");
}

/** A sopsync: tag this version does not write: a newer sopsync's, kept as it is. */
export function isUnknownSopsyncTag(key: string): boolean {
  return isSopsyncTag(key) && !KNOWN_TAGS.has(key);
}

/** Tags AWS reserves; they can be neither set nor removed. */
export function isAwsTag(key: string): boolean {
  return key.toLowerCase().startsWith("aws:");
}
