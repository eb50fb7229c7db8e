// sopsync edit FILE: like `sops edit` — $EDITOR on a private plaintext copy (0600, in its own 0700
// temporary directory, removed afterwards even on error or Ctrl-C); an unchanged file is not rewritten.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Command } from "commander";
import { SopsyncError } from "../../errors.js";
import { parseDocuments } from "../../sops/document.js";
import { plaintextOf, reencrypt } from "../../sops/encrypt.js";
import { openFile, writeFileAtomic } from "../../sops/write.js";

export interface EditOptions {
  env?: NodeJS.ProcessEnv;
  /** Editor command; default $VISUAL, $EDITOR, then vi. Run through the shell with the file as $1. */
  editor?: string;
}

function runEditor(
  command: string,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; interrupted: boolean }> {
  return new Promise((resolveRun, reject) => {
    let interrupted = false;
    // The editor owns the terminal; a Ctrl-C reaches it too. We only remember it and clean up after.
    const onSigint = () => {
      interrupted = true;
    };
    process.on("SIGINT", onSigint);
    const child = spawn("/bin/sh", ["-c", `${command} "$1"`, "sh", file], { stdio: "inherit", env });
    child.on("error", (e) => {
      process.off("SIGINT", onSigint);
      reject(e);
    });
    child.on("exit", (code, signal) => {
      process.off("SIGINT", onSigint);
      resolveRun({ code, interrupted: interrupted || signal === "SIGINT" });
    });
  });
}

/** Returns true when the file was rewritten. */
export async function runEdit(path: string, opts: EditOptions = {}): Promise<boolean> {
  const env = opts.env ?? process.env;
  const opened = await openFile(path, { env });
  const plaintext = plaintextOf(opened);
  const dir = mkdtempSync(join(tmpdir(), "sopsync-edit-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // Last line of defence if the process exits while the editor runs.
  process.once("exit", cleanup);
  try {
    await chmod(dir, 0o700);
    const tmp = join(dir, basename(path));
    await writeFile(tmp, plaintext, { mode: 0o600, flag: "wx" });
    const editor = opts.editor ?? (env.VISUAL || env.EDITOR || "vi");
    const { code, interrupted } = await runEditor(editor, tmp, env);
    if (interrupted) throw new SopsyncError("ABORTED", `editing ${path} was interrupted; the file was not changed`);
    if (code !== 0) throw new SopsyncError("ABORTED", `the editor exited with status ${code}; ${path} was not changed`);
    const edited = await readFile(tmp, "utf8");
    if (edited === plaintext) return false;
    const docs = parseDocuments(edited, path);
    await writeFileAtomic(path, reencrypt(opened, docs, path));
    return true;
  } finally {
    cleanup();
    process.off("exit", cleanup);
  }
}

export function register(program: Command, setExit?: (code: number) => void): void {
  program
    .command("edit")
    .description("open the decrypted file in $EDITOR and re-encrypt it on save, like sops edit")
    .argument("<file>", "encrypted manifest")
    .action(async (file: string) => {
      const changed = await runEdit(file);
      process.stderr.write(changed ? `Saved ${file}.\n` : `${file} unchanged.\n`);
      setExit?.(0);
    });
}
