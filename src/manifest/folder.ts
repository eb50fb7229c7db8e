// Folder mode: which files of a directory are manifests. A folder also holds saved plans, plain
// values files and CI config, so only sops-encrypted sopsync manifests are taken, told apart from
// their text alone (no decryption): a top-level `sops:` key (sops' metadata) and a `sopsync:` key.
// Everything else is skipped, and said why, so a file left out by mistake is noticed.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { isRecord } from "../records.js";

/** Why a directory's file is not one of the run's manifests; undefined when it is one. */
export async function whyNotManifest(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    return `not readable (${(err as NodeJS.ErrnoException).code ?? "error"})`;
  }
  const keys = file.endsWith(".json") ? jsonKeys(text) : yamlTopKeys(text);
  if (keys === undefined) return "not valid JSON";
  if (keys.has("planId") && keys.has("formatVersion")) return "a saved plan";
  if (!keys.has("sopsync")) return "not a sopsync manifest (no top-level `sopsync:` key)";
  if (!keys.has("sops")) return "a sopsync manifest, but not encrypted with sops (no `sops:` metadata)";
  return undefined;
}

/**
 * Top-level mapping keys of a YAML text, from lines that start a key at column 0 (what sops writes).
 * Cheap on purpose: the file is read properly, and every problem in it reported, when it is loaded.
 */
function yamlTopKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const m of text.matchAll(/^(?:"([^"\n]*)"|'([^'\n]*)'|([A-Za-z_][\w-]*))[ \t]*:(?:[ \t]|$)/gm)) {
    keys.add(m[1] ?? m[2] ?? m[3] ?? "");
  }
  return keys;
}

function jsonKeys(text: string): Set<string> | undefined {
  try {
    const data: unknown = JSON.parse(text);
    return new Set(isRecord(data) ? Object.keys(data) : []);
  } catch {
    return undefined;
  }
}

/**
 * `--exclude` globs over a directory's files: a pattern matches the file name (`plan*.json`) or the
 * path as the directory was given (`envs/dev/*.yaml`).
 */
export async function excluder(patterns: readonly string[]): Promise<(path: string) => string | undefined> {
  if (patterns.length === 0) return () => undefined;
  // Loaded only for --exclude: every other run of every command that reads manifests would pay for it.
  const { default: picomatch } = await import("picomatch");
  const tests = patterns.map((p) => ({ p, test: picomatch(p, { dot: true }) }));
  return (path) => tests.find(({ test }) => test(basename(path)) || test(path))?.p;
}
