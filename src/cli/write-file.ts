// Output files (`plan --out`) are either the whole new content or untouched, never truncated: written
// to a temporary file beside the target (same file system, so the rename is atomic), flushed, then
// renamed over it. A failure removes the temporary file and says which file and why.
import { randomBytes } from "node:crypto";
import { open, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SopsyncError } from "../errors.js";

/** The file operations used, replaceable in tests (a disk that fills up half way). */
export interface WriteFs {
  open: typeof open;
  rename: typeof rename;
  unlink: typeof unlink;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "no such directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
};

/** A failed write of an output file, said as which file and why. `untouched`: what was there is left as it was. */
export function writeError(file: string, err: unknown, untouched: boolean): SopsyncError {
  const code = (err as NodeJS.ErrnoException).code ?? "error";
  const reason = Object.hasOwn(REASONS, code) ? REASONS[code] : "write failed";
  const after = untouched ? "; the file was left as it was" : "";
  return new SopsyncError("WRITE_FAILED", `cannot write ${file}: ${reason} (${code})${after}`, { cause: err });
}

export async function writeFileAtomic(file: string, data: string, opts: { mode?: number; fs?: WriteFs } = {}): Promise<void> {
  const fs = opts.fs ?? { open, rename, unlink };
  const mode = opts.mode ?? 0o644;
  // Through a symlink to the file it names; a device or pipe (/dev/stdout) cannot be replaced, only written.
  const target = await realpath(file).catch(() => file);
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) return writeInPlace(fs, file, target, data, mode);

  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  let created = false;
  try {
    const handle = await fs.open(tmp, "wx", mode);
    created = true;
    try {
      await handle.writeFile(data);
      // Some file systems report a full disk only when the data is flushed.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (err) {
    if (created) await fs.unlink(tmp).catch(() => {});
    throw writeError(file, err, true);
  }
}

async function writeInPlace(fs: WriteFs, file: string, target: string, data: string, mode: number): Promise<void> {
  try {
    const handle = await fs.open(target, "w", mode);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw writeError(file, err, false);
  }
}
