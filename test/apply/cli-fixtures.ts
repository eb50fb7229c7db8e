// Shared by the apply integration tests: manifests encrypted by the real sops, and what moto holds, read the way AWS documents it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListSecretVersionIdsCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type FaultProxy, type FaultProxyOptions, startFaultProxy } from "../helpers/fault-proxy.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { generateAgeKey, sopsEncrypt } from "../helpers/tools.js";

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
export function applySummary(
  stdout: string,
): { applied: number; failed: number; notStarted: number; calls: number; seconds: number } | undefined {
  const m = /Apply: (\d+) applied, (\d+) failed, (\d+) not started \((\d+) write calls in ([\d.]+)s/.exec(stdout);
  if (!m) return undefined;
  return { applied: Number(m[1]), failed: Number(m[2]), notStarted: Number(m[3]), calls: Number(m[4]), seconds: Number(m[5]) };
}

/** moto behind a fault proxy, a per-run age key, and the environment the CLI needs to use them. */
export interface ProxiedMoto {
  moto: Moto;
  proxy: FaultProxy;
  dir: string;
  recipient: string;
  env: Record<string, string>;
}

export async function startProxiedMoto(name: string, proxy: Omit<FaultProxyOptions, "target">): Promise<ProxiedMoto> {
  const moto = await startMoto({ setProcessEnv: false });
  const started = await startFaultProxy({ ...proxy, target: moto.endpoint });
  const dir = mkdtempSync(join(tmpdir(), `sopsync-${name}-`));
  const key = generateAgeKey(dir);
  return {
    moto,
    proxy: started,
    dir,
    recipient: key.recipient,
    env: { ...moto.env, ...started.env, SOPS_AGE_KEY_FILE: key.file },
  };
}

export async function stopProxiedMoto(w: Partial<ProxiedMoto>): Promise<void> {
  await w.proxy?.stop();
  await w.moto?.stop();
}
