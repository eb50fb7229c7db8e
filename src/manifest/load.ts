// manifest file -> desired state: read the bytes, decrypt with sops (MAC verified), validate.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { SopsyncError } from "../errors.js";
import { decryptText, type DecryptOptions } from "../sops/index.js";
import type { DesiredState } from "./model.js";
import { validateManifest } from "./validate.js";

export async function loadManifest(file: string, opts: DecryptOptions = {}): Promise<DesiredState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SopsyncError(
      "MANIFEST_NOT_FOUND",
      `${file}: cannot read the manifest (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const text = bytes.toString("utf8");
  const decrypted = await decryptText(text, file, opts);
  const doc = decrypted.documents[0];
  if (!doc || decrypted.documents.length !== 1) {
    throw new SopsyncError("MANIFEST_INVALID", `${file}: a manifest is exactly one YAML document`, {
      problems: [{ file, line: 1, col: 1, message: "expected exactly one YAML document" }],
    });
  }
  return validateManifest({ file, text, doc, sha256 });
}

/** FILE and DIR arguments -> manifest files. A directory contributes its *.yaml/*.yml/*.json files. */
export async function resolveManifestFiles(args: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args.length ? args : ["secrets.yaml"]) {
    const s = await stat(arg).catch(() => undefined);
    if (!s) throw new SopsyncError("MANIFEST_NOT_FOUND", `${arg}: no such file or directory`);
    if (!s.isDirectory()) {
      files.push(arg);
      continue;
    }
    const entries = (await readdir(arg)).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith(".")).sort();
    if (entries.length === 0)
      throw new SopsyncError("MANIFEST_NOT_FOUND", `${arg}: no manifest (*.yaml, *.yml, *.json) in this directory`);
    files.push(...entries.map((n) => join(arg, n)));
  }
  return files;
}
