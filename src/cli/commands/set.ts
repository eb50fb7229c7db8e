// sopsync set FILE NAME [KEY]: one secret value, read from stdin, a hidden prompt or a file (never
// argv), written into the encrypted file; every other ciphertext stays byte-identical. Nothing is
// written when the file's rule would leave the value in plaintext (unless --allow-plaintext) or when
// the manifest, with the value set, would not pass `sopsync validate`.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { Option } from "commander";
import { SopsyncError } from "../../errors.js";
import { spellingReason } from "../../manifest/spelling.js";
import { type NewValue, parseTyped, type SetTarget, setSecret, VALUE_TYPES, type ValueType } from "../../sops/write.js";
import { checkBeforeSave } from "../save-check.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads a line from the terminal without echoing it. Ctrl-C aborts. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolvePrompt, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = "";
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolvePrompt(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\u0003") return done(new SopsyncError("ABORTED", "aborted"));
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** A value piped in loses the one trailing newline `echo` or a file adds. */
export function valueFromInput(text: string): string {
  return text.replace(/\r?\n$/, "");
}

async function readBytes(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new SopsyncError("USAGE", `${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** --file: the file's exact text (no newline stripped, a BOM kept); a SecretString must be UTF-8. */
export async function readValueFile(path: string): Promise<string> {
  const bytes = await readBytes(path, "--file");
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SopsyncError("USAGE", `--file ${path}: not UTF-8 text; store it with --binary instead`);
  }
}

export interface SetRunOptions {
  env?: NodeJS.ProcessEnv;
  allowPlaintext?: boolean;
  warn?: (line: string) => void;
}

/** A number whose stored text differs from the digits given (1.50 -> 1.5): said before encrypting. */
function numberSpelling(file: string, target: SetTarget, text: string): string | undefined {
  if (target.type !== "number") return undefined;
  const written = text.trim();
  const stored = parseTyped(written, "number", "");
  const storedText = typeof stored === "bigint" ? stored.toString() : JSON.stringify(stored);
  if (storedText === written) return undefined;
  const typed =
    typeof stored === "bigint" || Number.isInteger(stored)
      ? ({ type: "int", value: BigInt(stored as number | bigint) } as const)
      : ({ type: "float", value: stored as number } as const);
  const reason = spellingReason(written, typed, target.path.length === 3, "the number");
  return `${file}: warning: ${target.path.join(".")}: ${reason}; pass --type string to keep it as written`;
}

export async function runSet(
  file: string,
  name: string,
  key: string | undefined,
  value: string | NewValue,
  opts: SetRunOptions = {},
): Promise<SetTarget> {
  const v: NewValue = typeof value === "string" ? { kind: "text", text: value } : value;
  if ((v.kind === "text" && v.text === "") || (v.kind === "binary" && v.bytes.byteLength === 0))
    throw new SopsyncError("USAGE", "the value is empty; nothing was written");
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  return setSecret(file, name, key, v, {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.allowPlaintext ? { allowPlaintext: true } : {}),
    warn,
    onSet: (target) => {
      const note = v.kind === "text" ? numberSpelling(file, target, v.text) : undefined;
      if (note) warn(note);
    },
    check: (plaintext, opened) => {
      try {
        checkBeforeSave(plaintext, file, opened);
      } catch (e) {
        if (e instanceof SopsyncError)
          throw new SopsyncError(e.code, `${e.message}; nothing was written`, { problems: e.problems });
        throw e;
      }
    },
  });
}

interface SetFlags {
  type?: ValueType;
  file?: string;
  binary?: string;
  allowPlaintext?: boolean;
}

async function valueFromFlags(o: SetFlags, label: string): Promise<NewValue> {
  if (o.binary !== undefined) {
    if (o.file !== undefined) throw new SopsyncError("USAGE", "pass either --file or --binary, not both");
    if (o.type !== undefined) throw new SopsyncError("USAGE", "--type does not apply to --binary (it stores bytes)");
    return { kind: "binary", bytes: new Uint8Array(await readBytes(o.binary, "--binary")) };
  }
  const text =
    o.file !== undefined
      ? await readValueFile(o.file)
      : process.stdin.isTTY
        ? await promptHidden(`Value for ${label} (input hidden): `)
        : valueFromInput(await readStdin());
  return { kind: "text", text, ...(o.type ? { type: o.type } : {}) };
}

export function register(program: Command, setExit?: (code: number) => void): void {
  program
    .command("set")
    .description(
      "set secrets.NAME.value (or secrets.NAME.value.KEY, or with --binary secrets.NAME.binary) in an encrypted " +
        "manifest. The value comes from stdin (one trailing newline dropped), a hidden prompt, or --file (exact bytes); " +
        "never from the command line. Without --type a new value is a string and an existing KEY keeps its type " +
        "(a number stays a number). Refused, with nothing written, when the file's sops rule would leave the value " +
        "unencrypted (see --allow-plaintext) or when the manifest would not pass `sopsync validate`",
    )
    .argument("<file>", "encrypted manifest")
    .argument("<name>", "secret name")
    .argument("[key]", "key inside a JSON (mapping) value")
    .addOption(
      new Option("--type <type>", "store the value as this type (json: parsed and stored as that structure)").choices(
        VALUE_TYPES as string[],
      ),
    )
    .option("--file <path>", "read the value from this file, byte for byte (UTF-8 text)")
    .option("--binary <file>", "store this file's bytes as the secret's binary (SecretBinary)")
    .option("--allow-plaintext", "write even when the file's encryption rule leaves the value unencrypted (warns)")
    .action(async (file: string, name: string, key: string | undefined, o: SetFlags) => {
      const value = await valueFromFlags(o, `${name}${key ? `.${key}` : ""}`);
      const target = await runSet(file, name, key, value, { ...(o.allowPlaintext ? { allowPlaintext: true } : {}) });
      const replaced = target.replaced ? ` (its ${target.replaced} removed: value and binary are exclusive)` : "";
      process.stderr.write(`Updated ${target.path.join(".")} in ${file}${replaced}.\n`);
      setExit?.(0);
    });
}
