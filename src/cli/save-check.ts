// What `set` and `edit` check before they encrypt and write: the whole manifest, exactly as
// `sopsync validate` will read it once saved, so a file that would not validate is never written.
import { SopsyncError } from "../errors.js";
import { validateManifest } from "../manifest/validate.js";
import type { OpenedFile } from "../sops/decrypt.js";
import { documentsAsSaved } from "../sops/write.js";

/**
 * Throws MANIFEST_INVALID (problems as file:line:col, lines of the decrypted view the user sees in
 * `edit` or in `sops -d`) or SOPS_FORMAT for text that is not YAML; the caller says what was not written.
 */
export function checkBeforeSave(plaintext: string, file: string, opened: OpenedFile): void {
  const docs = documentsAsSaved(plaintext, file, opened.format, opened.metadata.rule);
  const doc = docs[0];
  if (!doc || docs.length !== 1)
    throw new SopsyncError("MANIFEST_INVALID", `${file}: a manifest is exactly one YAML document`, {
      problems: [{ file, line: 1, col: 1, message: "expected exactly one YAML document" }],
    });
  try {
    validateManifest({ file, text: plaintext, doc, sha256: "" });
  } catch (e) {
    if (e instanceof SopsyncError && e.code === "MANIFEST_INVALID")
      throw new SopsyncError("MANIFEST_INVALID", `${e.message} (at lines of the decrypted file)`, { problems: e.problems });
    throw e;
  }
}
