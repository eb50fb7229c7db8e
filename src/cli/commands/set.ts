// sopsync set FILE NAME [KEY]: one secret value, read from stdin or a hidden prompt (never argv),
// written into the encrypted file; every other ciphertext stays byte-identical.
import type { Command } from "commander";
import { SopsyncError } from "../../errors.js";
import { setSecret } from "../../sops/write.js";

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

export async function runSet(
  file: string,
  name: string,
  key: string | undefined,
  value: string,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  if (value === "") throw new SopsyncError("USAGE", "the value is empty; nothing was written");
  await setSecret(file, name, key, value, env ? { env } : {});
}

export function register(program: Command, setExit?: (code: number) => void): void {
  program
    .command("set")
    .description(
      "set secrets.NAME.value (or secrets.NAME.value.KEY) in an encrypted file; the value comes from stdin or a hidden prompt",
    )
    .argument("<file>", "encrypted manifest")
    .argument("<name>", "secret name")
    .argument("[key]", "key inside a JSON (mapping) value")
    .action(async (file: string, name: string, key: string | undefined) => {
      const value = process.stdin.isTTY
        ? await promptHidden(`Value for ${name}${key ? `.${key}` : ""} (input hidden): `)
        : valueFromInput(await readStdin());
      await runSet(file, name, key, value);
      process.stderr.write(`Updated ${name}${key ? ` (${key})` : ""} in ${file}.\n`);
      setExit?.(0);
    });
}
