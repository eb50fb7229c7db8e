// Changes to the manifest's safety flags, called out on their own lines for the reviewer. `protect`,
// `adopt` and `recoveryWindowDays` are keys, and the sops MAC covers values only (docs/sops.md): anyone
// who can push to the repository can flip them without holding a key, and the MAC still verifies.
// The plan is where such a flip becomes visible, so it must not hide among ordinary tag changes.
import { TAG_PROTECTED, TAG_RECOVERY_WINDOW } from "../state/ownership.js";
import type { SecretChange } from "./model.js";

/** One line per widening flag change of this secret: protection dropped, adoption, shorter recovery. */
export function safetyFlagLines(ch: SecretChange): string[] {
  const lines: string[] = [];
  for (const a of ch.actions) {
    if (a.type === "adopt") lines.push("adopt: takes over a secret that sopsync did not manage (`adopt: true` or --adopt)");
    if (a.type === "untag" && Object.hasOwn(a.tags, TAG_PROTECTED)) {
      lines.push("protect removed: taking this secret out of the manifest will now delete it");
    }
    const windows = a.type === "tag" && Object.hasOwn(a.tags, TAG_RECOVERY_WINDOW) ? a.tags[TAG_RECOVERY_WINDOW] : undefined;
    if (windows?.before !== undefined && Number(windows.after) < Number(windows.before)) {
      lines.push(`recovery window shortened from ${windows.before} to ${windows.after} days`);
    }
  }
  return lines;
}
