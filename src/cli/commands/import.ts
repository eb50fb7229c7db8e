// sopsync import --prefix P --out FILE [--age R | --kms ARN]: bootstraps an encrypted manifest from
// the secrets that already exist under a prefix, each with `adopt: true`. Only reads AWS
// (GetCallerIdentity, ListSecrets, BatchGetSecretValue); values go straight into the encrypted file.
import { access } from "node:fs/promises";
import type { Command } from "commander";
import { connect } from "../../aws/connect.js";
import type { StoredValue } from "../../aws/port.js";
import { SopsyncError } from "../../errors.js";
import { buildImport, scopeIdFromPrefix } from "../../import/build.js";
import { prefixWarning } from "../../import/prefix.js";
import { arnSuffixWarning, SECRET_NAME_SUFFIX } from "../../manifest/schema.js";
import { readValues } from "../../state/read.js";
import { owningServiceOf } from "../../state/owning-service.js";
import { replicaOf } from "../../state/replicas.js";
import { EXIT_OK } from "../exit.js";
import { chooseMasterKey, encryptNewManifest } from "../master-key.js";
import { writeFileAtomic } from "../write-file.js";

interface ImportOptions {
  prefix: string;
  out: string;
  age?: string;
  kms?: string;
  scope?: string;
  region?: string;
}

export async function runImport(o: ImportOptions, log: (s: string) => void): Promise<{ imported: string[] }> {
  if (!o.prefix) throw new SopsyncError("USAGE", "--prefix must not be empty: import reads the secrets under one prefix");
  if (
    await access(o.out).then(
      () => true,
      () => false,
    )
  ) {
    throw new SopsyncError("USAGE", `${o.out} already exists; import never overwrites a file`);
  }
  const { keys } = await chooseMasterKey(o, process.env);
  const scopeId = o.scope ?? scopeIdFromPrefix(o.prefix);
  const port = await connect({ region: o.region }).catch((err) => {
    if (err instanceof SopsyncError && err.code === "AWS_REGION")
      throw new SopsyncError("AWS_REGION", "no AWS region: pass --region, or set AWS_REGION or region in the profile");
    throw err;
  });
  const account = await port.callerAccount();
  const listed = await port.listSecrets({ namePrefixes: [o.prefix] });
  // Not the values of replicas of primaries elsewhere, nor of services' secrets: they are skipped
  // (import/build.ts).
  const readable = listed.filter((l) => !l.deletedDate && !replicaOf(l, port.region) && !owningServiceOf(l)).map((l) => l.name);
  const values = new Map<string, StoredValue | null>((await readValues(port, readable)).map((v) => [v.name, v.value]));

  const result = buildImport({
    scope: { id: scopeId, prefix: o.prefix },
    target: { region: port.region, account },
    listed,
    values,
  });
  const warning = prefixWarning(
    o.prefix,
    listed.map((l) => l.name),
  );
  if (warning) log(`Warning: ${warning}\n`);
  const logSkipped = () => {
    for (const s of result.skipped) log(`  skipped ${s.name}: ${s.reason}\n`);
  };
  if (result.imported.length === 0) {
    logSkipped();
    // An empty manifest adopts nothing and would only make plan refuse it: write none, say what to check.
    const where = `under prefix '${o.prefix}' in account ${account}, ${port.region}`;
    throw new SopsyncError(
      "USAGE",
      result.skipped.length
        ? `nothing to import ${where}: all ${result.skipped.length} secret(s) there were skipped (reasons above); ${o.out} was not written`
        : `no secrets ${where}: check the prefix and the region (--region); ${o.out} was not written`,
    );
  }
  const encrypted = await encryptNewManifest(result.plaintext, o.out, keys);
  await writeFileAtomic(o.out, encrypted, { mode: 0o644 });

  log(
    `Imported ${result.imported.length} secret(s) under '${o.prefix}' into ${o.out} (scope ${scopeId}, account ${account}, ${port.region}).\n`,
  );
  if (!o.scope) {
    log(
      `  scope.id '${scopeId}' comes from the prefix: it is the owner tag the secrets will carry; choose another with --scope ID\n`,
    );
  }
  logSkipped();
  for (const name of result.imported) if (SECRET_NAME_SUFFIX.test(name)) log(`  warning: ${arnSuffixWarning(name)}\n`);
  log(`Next: sopsync plan ${o.out}  (it should show only the adoption and the ownership tag for each secret)\n`);
  return { imported: result.imported };
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("import")
    .description("write an encrypted manifest adopting the secrets that exist under a prefix (reads AWS only)")
    .requiredOption("--prefix <prefix>", "import the secrets whose names start with this; becomes scope.prefix")
    .requiredOption("--out <file>", "the manifest to write (never overwritten)")
    .option("--age <recipients>", "age recipient(s), comma-separated (default: SOPS_AGE_RECIPIENTS, else your age key's)")
    .option("--kms <arn>", "AWS KMS key ARN to encrypt for")
    .option("--scope <id>", "scope.id, the ownership tag value (default: from the prefix)")
    .option("--region <region>", "AWS region (default: AWS_REGION or the profile's)")
    .action(async (o: ImportOptions) => {
      await runImport(o, (s) => process.stderr.write(s));
      setExit(EXIT_OK);
    });
}
