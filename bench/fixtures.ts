// Benchmark data: manifests of N secrets (half JSON mappings, half strings, 10% with tags), encrypted
// by the real sops the way the recommended .sops.yaml does (only value/binary encrypted).
// Values are synthetic and deterministic per (index, revision): revision 1 is "what is live",
// revision 2 changes every value (the apply benchmark's N updates).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolPath } from "../test/helpers/tools.js";

export const BENCH_SCOPE = "bench";
export const BENCH_PREFIX = "bench/";
export const BENCH_REGION = "eu-west-1";

export function secretName(i: number): string {
  return `${BENCH_PREFIX}s${String(i).padStart(5, "0")}`;
}

/** A short pseudo-random token; deterministic so runs are comparable. */
function token(i: number, revision: number): string {
  let x = (i + 1) * 2654435761 + revision * 40503;
  let s = "";
  for (let k = 0; k < 16; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += "abcdefghijklmnopqrstuvwxyz0123456789"[x % 36];
  }
  return s;
}

export function isJsonSecret(i: number): boolean {
  return i % 2 === 0;
}

/** The stored form of secret i at a revision, as an out-of-band writer would put it. */
export function storedValue(i: number, revision: number): string {
  return isJsonSecret(i)
    ? JSON.stringify({ user: `svc${i}`, password: token(i, revision), port: 5000 + (i % 1000) })
    : `tok-${token(i, revision)}`;
}

/** Plaintext manifest of `count` secrets: JSON secrets hold 3 values, strings 1 (2 per secret on average). */
export function manifestText(count: number, revision = 1, region = BENCH_REGION): string {
  const lines = [
    "sopsync: 1",
    "target:",
    `  region: ${region}`,
    "scope:",
    `  id: ${BENCH_SCOPE}`,
    `  prefix: ${BENCH_PREFIX}`,
    "secrets:",
  ];
  for (let i = 0; i < count; i++) {
    lines.push(`  ${secretName(i)}:`);
    if (isJsonSecret(i)) {
      lines.push(
        "    value:",
        `      user: svc${i}`,
        `      password: ${token(i, revision)}`,
        `      port: ${5000 + (i % 1000)}`,
      );
    } else {
      lines.push(`    value: tok-${token(i, revision)}`);
    }
    if (i % 10 === 0) lines.push(`    tags: { tier: t${i % 3}, owner: team-${i % 7} }`);
  }
  return `${lines.join("\n")}\n`;
}

/** Encrypted leaves in manifestText(count): 3 per JSON secret, 1 per string secret. */
export function valueCount(count: number): number {
  let n = 0;
  for (let i = 0; i < count; i++) n += isJsonSecret(i) ? 3 : 1;
  return n;
}

/** Writes and encrypts a manifest with the real sops; returns its path. sops runs in `dir` so that
 * no .sops.yaml of the project applies. `region` (default BENCH_REGION) is the manifest's target. */
export function writeManifest(dir: string, count: number, revision: number, recipient: string, region?: string): string {
  const name = region ? `${region}.yaml` : `secrets-${count}-r${revision}.yaml`;
  writeFileSync(join(dir, name), manifestText(count, revision, region));
  const r = spawnSync(
    toolPath("sops"),
    ["encrypt", "--age", recipient, "--encrypted-regex", "^(value|binary)$", "--in-place", name],
    {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: dir },
    },
  );
  if (r.status !== 0) throw new Error(`sops encrypt failed (${r.status}): ${r.stderr}`);
  return join(dir, name);
}
