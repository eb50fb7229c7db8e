// File-level write operations: update an encrypted file in place (atomically, keeping its mode),
// set one secret value, and create a new encrypted file. The CLI commands are thin wrappers.
import { randomBytes } from "node:crypto";
import { rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type Document, isMap, isScalar, type YAMLMap } from "yaml";
import { SopsyncError } from "../errors.js";
import { type DecryptOptions, type OpenedFile, openText, readSopsFile } from "./decrypt.js";
import { reencrypt } from "./encrypt.js";

/** Writes via a temporary file in the same directory and a rename, so a crash never leaves half a file. */
export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.sopsync-${randomBytes(6).toString("hex")}.tmp`);
  let fileMode = mode;
  if (fileMode === undefined) {
    try {
      fileMode = (await stat(path)).mode & 0o777;
    } catch {
      fileMode = 0o644;
    }
  }
  try {
    await writeFile(tmp, text, { mode: fileMode, flag: "wx" });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export async function openFile(path: string, opts?: DecryptOptions): Promise<OpenedFile> {
  return openText(await readSopsFile(path), path, opts);
}

/**
 * Decrypts `path`, lets `mutate` change the decrypted documents, and writes the file back encrypted
 * with the same data key: unchanged values keep their ciphertext, the MAC and lastmodified are new.
 */
export async function updateFile(
  path: string,
  mutate: (docs: Document[], opened: OpenedFile) => void,
  opts?: DecryptOptions & { now?: Date },
): Promise<void> {
  const opened = await openFile(path, opts);
  mutate(opened.documents, opened);
  await writeFileAtomic(path, reencrypt(opened, opened.documents, path, opts?.now));
}

/** Sets secrets.NAME.value (a string) or, with a key, secrets.NAME.value.KEY in the first document. */
export function setSecretValue(doc: Document, name: string, key: string | undefined, value: string, fileName: string): void {
  const secrets = doc.get("secrets", true);
  if (secrets !== undefined && !isMap(secrets)) {
    throw new SopsyncError("USAGE", `${fileName}: \`secrets\` is not a mapping`);
  }
  if (key === undefined) {
    doc.setIn(["secrets", name, "value"], doc.createNode(value));
    return;
  }
  const current = doc.getIn(["secrets", name, "value"], true);
  if (current !== undefined && !isMap(current) && !(isScalar(current) && current.value === null)) {
    throw new SopsyncError("USAGE", `${fileName}: secrets.${name}.value is a single value, not a mapping; set it without KEY`);
  }
  if (current === undefined || isScalar(current)) doc.setIn(["secrets", name, "value"], doc.createNode({}));
  (doc.getIn(["secrets", name, "value"], true) as YAMLMap).set(doc.createNode(key), doc.createNode(value));
}

export async function setSecret(
  path: string,
  name: string,
  key: string | undefined,
  value: string,
  opts?: DecryptOptions & { now?: Date },
): Promise<void> {
  await updateFile(
    path,
    (docs) => {
      const doc = docs[0];
      if (!doc) throw new SopsyncError("SOPS_FORMAT", `${path}: the file has no document`);
      setSecretValue(doc, name, key, value, path);
    },
    opts,
  );
}
