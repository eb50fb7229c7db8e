// sopsync init [--age RECIPIENT | --kms ARN]: a new encrypted secrets.yaml and a .sops.yaml whose
// creation rule, for that file only, encrypts only `value`/`binary`, so sops and sopsync agree on it.
// Every value init infers (region, scope, key) is said with where it came from and how to change it.
import { access, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { Document } from "yaml";
import { SopsyncError } from "../../errors.js";
import { chooseMasterKey, encryptNewManifest, keyList, MANIFEST_ENCRYPTED_REGEX } from "../master-key.js";
import { writeError, writeFileAtomic } from "../write-file.js";

export interface InitOptions {
  dir: string;
  age?: string;
  kms?: string;
  env?: NodeJS.ProcessEnv;
}

export interface InitResult {
  manifest: string;
  config: string;
  /** The recipients or ARN, comma-separated. */
  key: string;
  /** Where the key came from: "--age", "SOPS_AGE_RECIPIENTS", "the age key in …". */
  keySource: string;
  region: string;
  /** Where the region came from, or why it is the default. */
  regionSource: string;
  scopeId: string;
}

export const MANIFEST_NAME = "secrets.yaml";
/**
 * The manifest only: sops matches path_regex against the path relative to the config's folder
 * (src/sops/creation-rules.ts), so other YAML files there (CI, compose, ...) are not encrypted by it.
 */
export const MANIFEST_PATH_REGEX = "^secrets\\.yaml$";
const FALLBACK_REGION = "us-east-1";

function skeleton(scopeId: string, region: string): string {
  return `sopsync: 1
target:
  region: ${region}
scope:
  id: ${scopeId}
  prefix: ${scopeId}/
secrets:
  # An example secret: replace it with yours (sopsync set secrets.yaml NAME [KEY]).
  ${scopeId}/example:
    description: Example secret created by sopsync init
    value:
      username: example
      password: change-me
`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * AWS_REGION, AWS_DEFAULT_REGION, then the profile's region as the SDK reads it (AWS_PROFILE or
 * default, AWS_CONFIG_FILE honoured); else us-east-1. Reading the profile makes no request.
 */
async function inferRegion(env: NodeJS.ProcessEnv): Promise<{ region: string; from: string }> {
  if (env.AWS_REGION) return { region: env.AWS_REGION, from: "from AWS_REGION" };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, from: "from AWS_DEFAULT_REGION" };
  const profile = env.AWS_PROFILE || "default";
  // Only the region is resolved: credentials (and the SDK's warnings about them) are never loaded.
  // The SDK is loaded only here, so `--help` and completion (which register init) stay fast.
  const { STSClient } = await import("@aws-sdk/client-sts");
  const client = new STSClient({ profile });
  const fromProfile = await client.config.region().catch(() => undefined);
  client.destroy();
  if (fromProfile) return { region: fromProfile, from: `from the region of AWS profile '${profile}'` };
  return {
    region: FALLBACK_REGION,
    from: `the default: no AWS_REGION, AWS_DEFAULT_REGION or region in AWS profile '${profile}'`,
  };
}

function scopeIdFromFolder(dir: string): string {
  return (
    basename(resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "app"
  );
}

function configText(rule: Record<string, string>): string {
  const doc = new Document({ creation_rules: [rule] });
  doc.commentBefore =
    " Which files sops and sopsync encrypt, for whom, and which fields (only value and binary).\n" +
    " path_regex matches secrets.yaml in this folder only; add a rule for other manifests.";
  return doc.toString();
}

/** Creates DIR/secrets.yaml and DIR/.sops.yaml; refuses to overwrite either. */
export async function runInit(opts: InitOptions): Promise<InitResult> {
  const env = opts.env ?? process.env;
  const chosen = await chooseMasterKey(opts, env);
  const manifest = join(opts.dir, MANIFEST_NAME);
  const config = join(opts.dir, ".sops.yaml");
  for (const p of [manifest, config]) {
    if (await exists(p)) throw new SopsyncError("USAGE", `${p} already exists; init never overwrites files`);
  }
  const scopeId = scopeIdFromFolder(opts.dir);
  const { region, from } = await inferRegion(env);
  const encrypted = await encryptNewManifest(skeleton(scopeId, region), MANIFEST_NAME, chosen.keys);
  const key = keyList(chosen.keys);
  const rule: Record<string, string> = { path_regex: MANIFEST_PATH_REGEX, encrypted_regex: MANIFEST_ENCRYPTED_REGEX };
  if (chosen.keys[0]?.kind === "kms") rule.kms = key;
  else rule.age = key;
  await writeFile(config, configText(rule), { flag: "wx" }).catch((err) => {
    throw writeError(config, err, true);
  });
  await writeFileAtomic(manifest, encrypted, { mode: 0o644 });
  return { manifest, config, key, keySource: chosen.source, region, regionSource: from, scopeId };
}

/** What init did and inferred, how to change each value, and what to run next. */
export function initReport(r: InitResult, folder: string): string {
  const next: [string, string][] = [
    [`sopsync edit ${MANIFEST_NAME}`, "replace the example secret with yours"],
    ["sopsync validate", "check it, offline"],
    ["sopsync plan", "what would change in AWS"],
  ];
  return `Created ${MANIFEST_NAME} (encrypted, with one example secret) and .sops.yaml in ${dirname(r.manifest)}.

Inferred:
  target.region  ${r.region} (${r.regionSource})
                 to change: sopsync edit ${MANIFEST_NAME} (or set AWS_REGION and run init in a new folder)
  scope.id       ${r.scopeId} (from the folder name '${folder}'): the owner tag of every secret this manifest manages
  scope.prefix   ${r.scopeId}/ (from the folder name): secret names must start with it
                 to change either: sopsync edit ${MANIFEST_NAME}, before the first apply
  encrypted for  ${r.key} (from ${r.keySource})
                 to change: edit the rule in .sops.yaml, then sopsync updatekeys ${MANIFEST_NAME}

Next:
${next.map(([cmd, why]) => `  ${cmd.padEnd(27)}# ${why}`).join("\n")}
`;
}

export function register(program: Command, setExit?: (code: number) => void): void {
  program
    .command("init")
    .description("create an encrypted secrets.yaml and a .sops.yaml in the current directory")
    .option("--age <recipients>", "age recipient(s), comma-separated (default: SOPS_AGE_RECIPIENTS, else your age key's)")
    .option("--kms <arn>", "AWS KMS key ARN to encrypt for")
    .action(async (o: { age?: string; kms?: string }) => {
      const dir = process.cwd();
      const r = await runInit({ dir, ...(o.age ? { age: o.age } : {}), ...(o.kms ? { kms: o.kms } : {}) });
      // The report is init's result (as with `terraform init`): stdout. Errors go to stderr.
      process.stdout.write(initReport(r, basename(dir)));
      setExit?.(0);
    });
}
