// Shared by the apply integration tests: manifests encrypted by the real sops, the CLI spawned as a
// user runs it (killable), and what moto holds, read the way AWS documents it.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListSecretVersionIdsCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { allOutput, type CliResult } from "../helpers/cli.js";
import { projectRoot, sopsEncrypt } from "../helpers/tools.js";

export interface ManifestSpec {
  scopeId: string;
  prefix: string;
  account?: string;
  recoveryWindowDays?: number;
  /** name -> value (a string scalar) */
  secrets: Record<string, string>;
  protect?: string[];
}

export function manifestText(spec: ManifestSpec): string {
  const lines = ["sopsync: 1", "target:", "  region: eu-west-1"];
  if (spec.account) lines.push(`  account: "${spec.account}"`);
  lines.push("scope:", `  id: ${spec.scopeId}`, `  prefix: ${spec.prefix}`);
  lines.push("defaults:", `  recoveryWindowDays: ${spec.recoveryWindowDays ?? 7}`, "  tags: { team: apply-test }");
  const names = Object.keys(spec.secrets);
  if (names.length === 0) lines.push("secrets: {}");
  else lines.push("secrets:");
  for (const name of names) {
    lines.push(`  ${name}:`, `    value: ${JSON.stringify(spec.secrets[name])}`);
    if (spec.protect?.includes(name)) lines.push("    protect: true");
  }
  return `${lines.join("\n")}\n`;
}

/** Writes the manifest encrypted by the real sops (values only, like the recommended .sops.yaml). */
export function writeManifest(spec: ManifestSpec, opts: { dir: string; recipient: string; name?: string }): string {
  return sopsEncrypt(manifestText(spec), {
    recipients: [opts.recipient],
    dir: opts.dir,
    name: opts.name ?? "secrets.yaml",
    extraArgs: ["--encrypted-regex", "^(value|binary)$"],
  });
}

export interface SpawnedCli {
  child: ChildProcess;
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Starts the CLI like test/helpers/cli.ts does, but hands back the process so a test can kill it. */
export function spawnCli(args: string[], env: Record<string, string>): SpawnedCli {
  const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "src/cli/main.ts"), ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      allOutput.push(stdout, stderr);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
  return { child, done };
}

export interface VersionInfo {
  id: string;
  stages: string[];
}

/** Every version of a secret, deprecated ones included (IncludeDeprecated, as AWS documents it). */
export async function versionsOf(sm: SecretsManagerClient, name: string): Promise<VersionInfo[]> {
  const out: VersionInfo[] = [];
  let NextToken: string | undefined;
  do {
    const r = await sm.send(new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, NextToken }));
    for (const v of r.Versions ?? []) out.push({ id: v.VersionId ?? "", stages: v.VersionStages ?? [] });
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

export function currentVersion(versions: VersionInfo[]): string | undefined {
  return versions.find((v) => v.stages.includes("AWSCURRENT"))?.id;
}

export function writePlanFile(dir: string, name: string, plan: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(plan));
  return file;
}

/** "Apply: 3 applied, ... (12 write calls in 0.6s, 20.0/s)." -> numbers, for the figures in reports. */
export function applySummary(stdout: string): { applied: number; failed: number; notStarted: number; calls: number; seconds: number } | undefined {
  const m = /Apply: (\d+) applied, (\d+) failed, (\d+) not started \((\d+) write calls in ([\d.]+)s/.exec(stdout);
  if (!m) return undefined;
  return { applied: Number(m[1]), failed: Number(m[2]), notStarted: Number(m[3]), calls: Number(m[4]), seconds: Number(m[5]) };
}
