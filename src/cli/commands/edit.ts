// sopsync edit FILE: like `sops edit` — $EDITOR on a private plaintext copy (0600, in its own 0700
// temporary folder); an unchanged file is not rewritten. The copy never outlives the command:
// - SIGINT, SIGTERM and SIGHUP stop the editor (off a terminal its whole process group; on a terminal
//   the editor shares sopsync's foreground group, which the terminal's own SIGHUP/SIGINT reach, and is
//   sent SIGTERM then SIGKILL), wait for it to exit so it cannot write a swap file afterwards, remove the
//   folder, and exit 130/143/129 with the manifest unchanged. An exit hook is only the last resort.
// - The edited text is validated as `sopsync validate` would read it, and YAML errors and manifest
//   problems refuse the save. On a terminal the editor reopens with the problems as `# [sopsync]`
//   comment lines on top (removed when read back) and everything typed kept, as sops reopens on
//   invalid YAML; quitting without a change then gives up. Off a terminal it fails, writing nothing.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Command } from "commander";
import type { Document } from "yaml";
import { type Problem, SopsyncError } from "../../errors.js";
import { formatSpellingNote, spellingNotes } from "../../manifest/spelling.js";
import type { OpenedFile } from "../../sops/decrypt.js";
import { parseDocuments } from "../../sops/document.js";
import { type ReadableLeaf, readableLeaves } from "../../sops/readable.js";
import { plaintextOf, reencrypt } from "../../sops/encrypt.js";
import { openFile, writeFileAtomic } from "../../sops/write.js";
import { checkBeforeSave } from "../save-check.js";

export interface EditOptions {
  env?: NodeJS.ProcessEnv;
  /** Editor command; default $VISUAL, $EDITOR, then vi. Run through the shell with the file as $1. */
  editor?: string;
  /** Reopen the editor on problems (default: stdin is a terminal); otherwise fail without writing. */
  interactive?: boolean;
  /** Where warnings go (default stderr). */
  warn?: (line: string) => void;
}

const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
/** How long a stopped editor gets to exit on SIGTERM before SIGKILL. */
const EDITOR_GRACE_MS = 2000;

/** The private folder with the plaintext copy, the editor running on it, and what stops both. */
class EditSession {
  readonly dir: string;
  private child: ChildProcess | undefined;
  private stopping = false;
  private saving = false;
  private saved = false;
  private deferred: StopSignal | undefined;
  private readonly handlers = new Map<StopSignal, () => void>();
  private readonly lastResort = () => this.removeDir();

  constructor(
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly ownGroup: boolean,
  ) {
    // Handlers first: a signal between mkdtemp and here must not leave the folder behind.
    for (const sig of STOP_SIGNALS) {
      const handler = () => void this.stop(sig);
      this.handlers.set(sig, handler);
      process.on(sig, handler);
    }
    process.once("exit", this.lastResort);
    this.dir = mkdtempSync(join(tmpdir(), "sopsync-edit-"));
  }

  async runEditor(command: string, path: string): Promise<number> {
    // exec: the editor is the child itself, so stopping the child stops the editor.
    const child = spawn("/bin/sh", ["-c", `exec ${command} "$1"`, "sh", path], {
      stdio: "inherit",
      env: this.env,
      // Off a terminal, a process group of its own (a new session) lets a stop reach everything the
      // editor started. On a terminal it must stay in the foreground group to read the keyboard.
      detached: this.ownGroup,
    });
    this.child = child;
    return new Promise((resolveRun, reject) => {
      child.on("error", (e) => {
        this.child = undefined;
        if (!this.stopping)
          reject(
            new SopsyncError(
              "ABORTED",
              `cannot start the editor (${(e as NodeJS.ErrnoException).code ?? "error"}); ${this.file} was not changed`,
            ),
          );
      });
      child.on("exit", (code, signal) => {
        this.child = undefined;
        // While stopping, the stop itself ends the process: the edit must not go on to save.
        if (this.stopping) return;
        resolveRun(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      });
    });
  }

  /** Runs the save; a stop signal during it waits for the write to finish (or fail) first. */
  async save(write: () => Promise<void>): Promise<void> {
    this.saving = true;
    try {
      await write();
      this.saved = true;
    } finally {
      this.saving = false;
      if (this.deferred) await this.stop(this.deferred);
    }
  }

  private async stop(sig: StopSignal): Promise<void> {
    if (this.saving) {
      this.deferred ??= sig;
      return;
    }
    if (this.stopping) return;
    this.stopping = true;
    const child = this.child;
    if (child) await this.killEditor(child);
    this.removeDir();
    const file = this.saved ? `${this.file} was saved first` : `${this.file} was not changed`;
    process.stderr.write(`\nsopsync edit: stopped by ${sig}; ${file} and the decrypted copy was removed.\n`);
    process.exit(128 + constants.signals[sig]);
  }

  private killEditor(child: ChildProcess): Promise<void> {
    const send = (sig: NodeJS.Signals) => {
      try {
        if (this.ownGroup && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    return new Promise((done) => {
      const force = setTimeout(() => {
        send("SIGKILL");
        setTimeout(done, 200);
      }, EDITOR_GRACE_MS);
      child.once("exit", () => {
        clearTimeout(force);
        // Whatever the editor started and left in its group goes too.
        if (this.ownGroup) send("SIGKILL");
        done();
      });
      if (child.exitCode !== null || child.signalCode !== null) child.emit("exit", child.exitCode, child.signalCode);
      else send("SIGTERM");
    });
  }

  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  close(): void {
    this.removeDir();
    for (const [sig, handler] of this.handlers) process.off(sig, handler);
    process.off("exit", this.lastResort);
  }
}

const MARK = "# [sopsync]";

/** Removes the problem lines a previous round put on top (only a leading block of marked lines). */
export function stripProblemHeader(text: string): string {
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length && (lines[i] ?? "").startsWith(MARK)) i++;
  return lines.slice(i).join("\n");
}

/** Problems as `line L, col C: message`, with line numbers as the user sees them below the header. */
export function problemHeader(err: SopsyncError, file: string): string {
  const problems: Omit<Problem, "file">[] = err.problems.length ? err.problems : [positionOf(err, file)];
  const intro = [
    `${MARK} Not saved: fix the ${problems.length === 1 ? "problem" : `${problems.length} problems`} below, then save and quit again.`,
    `${MARK} To give up, quit without changing anything: nothing will be written.`,
  ];
  const outro = [`${MARK} (lines starting with ${MARK} are removed when the file is read back)`];
  const shift = intro.length + problems.length + outro.length;
  const body = problems.map((p) => `${MARK}   line ${p.line + shift}, col ${p.col}: ${p.message}`);
  return `${[...intro, ...body, ...outro].join("\n")}\n`;
}

/** A YAML error's position from its message (`FILE:LINE:COL: invalid YAML (CODE)`). */
function positionOf(err: SopsyncError, file: string): Omit<Problem, "file"> {
  const rest = err.message.startsWith(`${file}:`) ? err.message.slice(file.length + 1) : err.message;
  const m = /^(\d+):(\d+): (.*)$/s.exec(rest);
  return m ? { line: Number(m[1]), col: Number(m[2]), message: m[3] ?? "" } : { line: 1, col: 1, message: rest };
}

/** The encrypted text for `edited`, or the refusal (YAML error or manifest problems). Warns on spellings. */
function prepare(edited: string, path: string, opened: OpenedFile, warn: (line: string) => void): string {
  checkBeforeSave(edited, path, opened);
  const docs = parseDocuments(edited, path);
  const first = docs[0];
  if (first) {
    for (const n of spellingNotes(first, edited, opened.format)) warn(formatSpellingNote(path, n));
    // Not refused as `set` does (the user wrote it, as in sops edit), but never silent.
    for (const leaf of readableSecretValues(first, opened)) {
      warn(`${path}: warning: ${leaf.path.join(".")} is stored in plaintext: ${leaf.reason}`);
    }
  }
  return reencrypt(opened, docs, path);
}

/** Leaves under any secrets.NAME.value or .binary that the file's rule leaves unencrypted. */
function readableSecretValues(doc: Document, opened: OpenedFile): ReadableLeaf[] {
  return readableLeaves(doc, opened.format, opened.metadata.rule, ["secrets"]).filter(
    (leaf) => leaf.path.length >= 3 && (leaf.path[2] === "value" || leaf.path[2] === "binary"),
  );
}

function refusable(e: unknown): e is SopsyncError {
  return e instanceof SopsyncError && (e.code === "MANIFEST_INVALID" || e.code === "SOPS_FORMAT");
}

/** Returns true when the file was rewritten. */
export async function runEdit(path: string, opts: EditOptions = {}): Promise<boolean> {
  const env = opts.env ?? process.env;
  const interactive = opts.interactive ?? process.stdin.isTTY === true;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const opened = await openFile(path, { env });
  const original = plaintextOf(opened);
  const session = new EditSession(path, env, !interactive);
  try {
    await chmod(session.dir, 0o700);
    const tmp = join(session.dir, basename(path));
    await writeFile(tmp, original, { mode: 0o600, flag: "wx" });
    const editor = opts.editor ?? (env.VISUAL || env.EDITOR || "vi");
    let refused: string | undefined; // the text a previous round refused
    for (;;) {
      const code = await session.runEditor(editor, tmp);
      if (code !== 0) throw new SopsyncError("ABORTED", `the editor exited with status ${code}; ${path} was not changed`);
      let edited: string;
      try {
        edited = stripProblemHeader(await readFile(tmp, "utf8"));
      } catch {
        throw new SopsyncError("ABORTED", `the edited copy is gone; ${path} was not changed`);
      }
      if (edited === original) return false;
      if (edited === refused) throw new SopsyncError("ABORTED", `quit without fixing the problems; ${path} was not changed`);
      let encrypted: string;
      try {
        encrypted = prepare(edited, path, opened, warn);
      } catch (e) {
        if (!refusable(e)) throw e;
        if (!interactive) throw new SopsyncError(e.code, `${e.message}; ${path} was not changed`, { problems: e.problems });
        refused = edited;
        await writeFile(tmp, problemHeader(e, path) + edited, { mode: 0o600 });
        continue;
      }
      await session.save(() => writeFileAtomic(path, encrypted));
      return true;
    }
  } finally {
    session.close();
  }
}

export function register(program: Command, setExit?: (code: number) => void): void {
  program
    .command("edit")
    .description(
      "open the decrypted file in $EDITOR (private 0700 temp folder) and re-encrypt it on save, like sops edit. " +
        "The whole manifest is validated before saving: on a terminal the editor reopens with the problems on top, " +
        "otherwise nothing is written (exit 1). Unquoted values whose stored text differs from how they are written " +
        "(007, 1.50, 0x1F, 2024-01-02, TRUE) are warned about, by line, never printed. SIGINT/SIGTERM/SIGHUP stop " +
        "the editor and remove the plaintext (exit 130/143/129)",
    )
    .argument("<file>", "encrypted manifest")
    .action(async (file: string) => {
      const changed = await runEdit(file);
      process.stderr.write(changed ? `Saved ${file}.\n` : `${file} unchanged.\n`);
      setExit?.(0);
    });
}
