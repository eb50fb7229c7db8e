// Validation of a plaintext manifest, as the sops layer hands it over (a parsed YAML document whose
// safe integers are numbers), for the manifest and planner unit tests.
import { parseDocument } from "yaml";
import { formatProblem, SopsyncError } from "../../src/errors.js";
import type { DesiredState } from "../../src/manifest/model.js";
import { validateManifest } from "../../src/manifest/validate.js";

export function validate(text: string): DesiredState {
  const doc = parseDocument(text, { prettyErrors: false });
  return validateManifest({ file: "m.yaml", text, doc: doc as never, sha256: "0".repeat(64) });
}

/** The problems as `file:line:col: message` lines; fails when the manifest is valid. */
export function problems(text: string): string[] {
  try {
    validate(text);
  } catch (e) {
    if (e instanceof SopsyncError && e.code === "MANIFEST_INVALID") return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error("expected the manifest to be invalid");
}
