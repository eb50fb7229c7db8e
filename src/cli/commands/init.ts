// sopsync init [--age RECIPIENT | --kms ARN]: a new encrypted secrets.yaml and a .sops.yaml whose
// creation rule encrypts only `value`/`binary`, so sops and sopsync agree on new files.
import { access, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { stringify } from "yaml";
import { SopsyncError } from "../../errors.js";
import { chooseMasterKey, encryptNewManifest, MANIFEST_ENCRYPTED_REGEX } from "../master-key.js";
import { writeError, writeFileAtomic } from "../write-file.js";

export interface InitOptions {
  dir: string;
  age?: string;
  kms?: string;
  env?: NodeJS.ProcessEnv;
}

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

/** Creates DIR/secrets.yaml and DIR/.sops.yaml; refuses to overwrite either. Returns the paths. */
export async function runInit(opts: InitOptions): Promise<{ manifest: string; config: string; key: string }> {
  const env = opts.env ?? process.env;
  const key = await chooseMasterKey(opts, env);
  const manifest = join(opts.dir, "secrets.yaml");
  const config = join(opts.dir, ".sops.yaml");
  for (const p of [manifest, config]) {
    if (await exists(p)) throw new SopsyncError("USAGE", `${p} already exists; init never overwrites files`);
  }
  const scopeId =
    basename(resolve(opts.dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "app";
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const encrypted = await encryptNewManifest(skeleton(scopeId, region), "secrets.yaml", key);
  const rule: Record<string, string> = { path_regex: "\\.ya?ml$", encrypted_regex: MANIFEST_ENCRYPTED_REGEX };
  if (key.kind === "age") rule.age = key.recipient;
  if (key.kind === "kms") rule.kms = key.arn;
  await writeFile(config, stringify({ creation_rules: [rule] }), { flag: "wx" }).catch((err) => {
    throw writeError(config, err, true);
  });
  await writeFileAtomic(manifest, encrypted, { mode: 0o644 });
  return { manifest, config, key: key.kind === "age" ? key.recipient : key.kind === "kms" ? key.arn : "" };
}

export function register(program: Command, setExit?: (code: number) => void): void {
  program
    .command("init")
    .description("create an encrypted secrets.yaml and a .sops.yaml in the current directory")
    .option("--age <recipient>", "age recipient (age1...) to encrypt for")
    .option("--kms <arn>", "AWS KMS key ARN to encrypt for")
    .action(async (o: { age?: string; kms?: string }) => {
      const r = await runInit({ dir: process.cwd(), ...(o.age ? { age: o.age } : {}), ...(o.kms ? { kms: o.kms } : {}) });
      process.stdout.write(`Created ${r.manifest} and ${r.config} (encrypted for ${r.key}).\n`);
      setExit?.(0);
    });
}
