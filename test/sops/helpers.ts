// Helpers for the SOPS interop tests: run the reference sops in a private directory (so no
// .sops.yaml from the repository applies), and compare decrypted data the way `sops -d` prints it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, type Document } from "yaml";
import { toolPath } from "../helpers/tools.js";

export function tempDir(prefix = "sopsync-sops-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface SopsRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs sops with cwd = dir and only the given environment (plus PATH/HOME pointing into dir). */
export function sops(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): SopsRun {
  const r = spawnSync(toolPath("sops"), args, {
    cwd: opts.cwd,
    input: opts.input,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: opts.cwd, XDG_CONFIG_HOME: join(opts.cwd, ".config"), ...opts.env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Writes plaintext to dir/name and encrypts it in place with sops; returns the path. */
export function sopsEncryptFile(
  dir: string,
  name: string,
  plaintext: string,
  args: string[],
  env: Record<string, string> = {},
): string {
  const path = join(dir, name);
  writeFileSync(path, plaintext);
  const r = sops(["encrypt", ...args, "--in-place", path], { cwd: dir, env });
  if (r.status !== 0) throw new Error(`sops encrypt ${name} failed (${r.status}): ${r.stderr}`);
  return path;
}

/** `sops -d` output parsed to plain data (one entry per document). */
export function sopsDecryptData(path: string, dir: string, env: Record<string, string>): unknown[] {
  const r = sops(["decrypt", path], { cwd: dir, env });
  if (r.status !== 0) throw new Error(`sops decrypt failed (${r.status}): ${r.stderr}`);
  return parseAllDocuments(r.stdout, { intAsBigInt: true }).map((d) => normalise((d as Document).toJS()));
}

/** Safe-integer bigints become numbers, so data from both sides compares with toEqual. */
export function normalise(v: unknown): unknown {
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object" && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

export function dataOf(docs: Document[]): unknown[] {
  return docs.map((d) => normalise(d.toJS()));
}
