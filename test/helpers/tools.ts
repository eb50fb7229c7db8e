// Paths to the pinned reference binaries that scripts/setup.sh installs. A missing tool is a
// failure with the command that installs it, never a skipped test.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const projectRoot = resolve(import.meta.dirname, "../..");
export const toolsDir = join(projectRoot, ".tools");

export function toolPath(name: "sops" | "age" | "age-keygen" | "actionlint" | "moto_server"): string {
  const path = name === "moto_server" ? join(toolsDir, "venv/bin/moto_server") : join(toolsDir, "bin", name);
  if (!existsSync(path)) {
    throw new Error(`${name} is not installed at ${path}: run 'npm run setup' (scripts/setup.sh) first`);
  }
  return path;
}

export interface AgeKey {
  /** The AGE-SECRET-KEY-1... line. */
  identity: string;
  /** The age1... public key. */
  recipient: string;
  /** A keys.txt file holding the identity. */
  file: string;
}

/** A fresh age key pair made by the real age-keygen. */
export function generateAgeKey(dir = mkdtempSync(join(tmpdir(), "sopsync-key-"))): AgeKey {
  const file = join(dir, `key-${Math.random().toString(36).slice(2)}.txt`);
  execFileSync(toolPath("age-keygen"), ["-o", file], { stdio: ["ignore", "ignore", "pipe"] });
  const text = execFileSync("cat", [file], { encoding: "utf8" });
  const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"));
  const recipient = /public key: (age1[0-9a-z]+)/.exec(text)?.[1];
  if (!identity || !recipient) throw new Error(`age-keygen wrote an unexpected key file: ${file}`);
  return { identity, recipient, file };
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the reference sops binary; the environment is exactly `env` plus PATH/HOME. */
export function runSops(args: string[], env: Record<string, string>, input?: string): RunResult {
  const r = spawnSync(toolPath("sops"), args, {
    input,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Encrypts plaintext YAML/JSON with the real sops for the given age recipients; returns the file path. */
export function sopsEncrypt(
  plaintext: string,
  opts: { recipients: string[]; dir: string; name?: string; extraArgs?: string[] },
): string {
  const name = opts.name ?? "secrets.yaml";
  const path = join(opts.dir, name);
  writeFileSync(path, plaintext);
  const r = runSops(["encrypt", "--age", opts.recipients.join(","), ...(opts.extraArgs ?? []), "--in-place", path], {});
  if (r.status !== 0) throw new Error(`sops encrypt failed (${r.status}): ${r.stderr}`);
  return path;
}
