// sopsync updatekeys [FILE] [--rotate-data-key]: gives an encrypted file the recipients of its
// `.sops.yaml` creation rule (like `sops updatekeys`), and with --rotate-data-key re-encrypts every
// value under a new data key (like `sops rotate`). Prints recipients (public keys, ARNs) only.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import pc from "picocolors";
import { SopsyncError } from "../../errors.js";
import { loadCreationRule, lookupConfigFile } from "../../sops/creation-rules.js";
import { openText, readSopsFile } from "../../sops/decrypt.js";
import type { KeyEntry, KeyGroup } from "../../sops/metadata.js";
import {
  type EncryptedFile,
  type Exposure,
  exposures,
  planRekey,
  type RekeyPlan,
  readEncrypted,
  recoverDataKey,
  rewrapText,
  rotateText,
  secretNames,
  showKey,
  type Target,
} from "../../sops/rekey.js";
import { writeFileAtomic } from "../../sops/write.js";
import { EXIT_OK } from "../exit.js";
import { confirm, isInteractive, useColor } from "../io.js";

export interface UpdateKeysOptions {
  rotateDataKey?: boolean;
  yes?: boolean;
  config?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  out?: (s: string) => void;
  err?: (s: string) => void;
  interactive?: boolean;
  ask?: (question: string) => Promise<boolean>;
  color?: boolean;
}

/** The file's own master keys without their wrapped data key: what rotate keeps when no rule applies. */
function currentTarget(file: EncryptedFile): Target {
  const strip = (k: KeyEntry): KeyEntry => {
    if (k.kind === "age") return { ...k, enc: "" };
    if (k.kind === "kms") {
      const { created_at: _created, ...rest } = k;
      return { ...rest, enc: "" };
    }
    return k;
  };
  return {
    keyGroups: file.metadata.keyGroups.map((g): KeyGroup => g.map(strip)),
    shamirThreshold: file.metadata.shamirThreshold,
  };
}

function renderPlan(plan: RekeyPlan, color: boolean): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  const several = plan.diffs.length > 1;
  for (const [i, d] of plan.diffs.entries()) {
    const pad = several ? "    " : "  ";
    if (several) lines.push(`  key group ${i + 1}:`);
    for (const k of d.common) lines.push(`${pad}  ${showKey(k)}`);
    for (const k of d.added) lines.push(c.green(`${pad}+ ${showKey(k)} (added)`));
    for (const k of d.removed) lines.push(c.red(`${pad}- ${showKey(k)} (removed)`));
  }
  if (plan.thresholdBefore !== plan.thresholdAfter) {
    const t = (n: number) => (n === 0 ? "none (one key group)" : String(n));
    lines.push(`  shamir_threshold: ${t(plan.thresholdBefore)} -> ${t(plan.thresholdAfter)}`);
  }
  return `${lines.join("\n")}\n`;
}

function renderExposure(e: Exposure, fileName: string, names: string[]): string {
  const what = `every encrypted value in ${fileName}${names.length ? `: ${names.join(", ")}` : ""}`;
  if (e.groupsHeld >= e.needed) {
    return `  - ${showKey(e.key)} could recover the data key on its own, so it could read ${what}\n`;
  }
  const more = e.needed - e.groupsHeld;
  return (
    `  - ${showKey(e.key)} held ${e.groupsHeld} of the ${e.needed} key shares needed: alone it could read nothing, ` +
    `but with the keys of ${more} other key group${more > 1 ? "s" : ""} it could read ${what}\n`
  );
}

export async function runUpdateKeys(fileName: string, opts: UpdateKeysOptions = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? ((s: string) => process.stdout.write(s));
  const err = opts.err ?? ((s: string) => process.stderr.write(s));
  const cwd = opts.cwd ?? process.cwd();
  const path = resolve(cwd, fileName);
  const text = await readSopsFile(path);
  const file = readEncrypted(text, fileName);

  const lookup = await loadCreationRule(path, {
    cwd,
    ...(opts.config ? { configPath: opts.config } : {}),
    env,
  });
  if (lookup.warning) err(`Warning: ${lookup.warning}\n`);
  let target: Target;
  if (lookup.rule) {
    target = lookup.rule;
    out(`Recipients of ${fileName} (creation rule ${lookup.rule.index} of ${lookup.rule.configPath}):\n`);
  } else {
    // Like sops, the config is looked up from the current directory; one beside the file is only a hint.
    const nearFile = lookup.configPath ? undefined : (await lookupConfigFile(dirname(path))).path;
    const why = lookup.configPath
      ? `no creation rule in ${lookup.configPath} matches ${lookup.matchedPath} (path_regex is matched against the path relative to the config's folder)`
      : `no .sops.yaml found in the current directory or its parents (${nearFile ? `${nearFile} is not used, as sops would not use it from here: run from its folder or ` : ""}pass --config or set SOPS_CONFIG)`;
    if (!opts.rotateDataKey) throw new SopsyncError("USAGE", `${why}; nothing was changed`);
    target = currentTarget(file);
    out(`${why[0]?.toUpperCase()}${why.slice(1)}: keeping the current recipients of ${fileName}:\n`);
  }

  const plan = planRekey(file.metadata, target);
  out(renderPlan(plan, opts.color ?? false));
  if (!plan.changed && !opts.rotateDataKey) {
    out(`${fileName} already has these recipients; nothing to change.\n`);
    return;
  }

  const removed = plan.diffs.flatMap((d) => d.removed);
  const exposed = exposures(file.metadata, removed);
  const names = secretNames(file.documents);
  if (exposed.length) {
    out("What the removed recipients could read:\n");
    for (const e of exposed) out(renderExposure(e, fileName, names));
  }

  if (!opts.yes && !(opts.interactive ?? isInteractive())) {
    throw new SopsyncError("USAGE", "updatekeys needs --yes when not run on a terminal; nothing was changed");
  }
  // The data key is recovered (and checked) before asking, so a yes is never followed by "no key fits".
  let rewrite: () => Promise<string>;
  if (opts.rotateDataKey) {
    const opened = await openText(text, fileName, { env });
    rewrite = () => rotateText(opened, plan, fileName);
  } else {
    const dataKey = await recoverDataKey(file.metadata, env, fileName);
    rewrite = () => rewrapText(file, plan, dataKey, fileName);
  }

  const action = opts.rotateDataKey
    ? `Re-encrypt every value of ${fileName} under a new data key${plan.changed ? " for these recipients" : ""}?`
    : `Re-wrap the data key of ${fileName} for these recipients?`;
  if (!opts.yes && !(await (opts.ask ?? confirm)(action))) {
    throw new SopsyncError("ABORTED", "updatekeys cancelled; nothing was changed");
  }
  const next = await rewrite();
  // Someone may have saved the file while we waited at the prompt: never overwrite their change.
  if ((await readFile(path, "utf8")) !== text) {
    throw new SopsyncError("ABORTED", `${fileName} changed while updatekeys was running; nothing was written, run it again`);
  }
  await writeFileAtomic(path, next);

  out(
    opts.rotateDataKey
      ? `Rotated the data key of ${fileName}: every value re-encrypted under a new data key, new MAC.\n`
      : `Updated the recipients of ${fileName}: the same data key, re-wrapped; every value and the MAC unchanged.\n`,
  );
  if (exposed.length) {
    out(
      "Rotate those secret values (change them where they are issued, then sopsync set and apply; sopsync rotate for " +
        "secrets with rotation): a removed key still opens this file's earlier versions in git history, and its holder " +
        "may have kept decrypted copies.\n",
    );
    if (!opts.rotateDataKey) {
      out(
        "The data key itself is unchanged: anyone who kept it can read values written to this file later. " +
          "Run updatekeys --rotate-data-key to replace it.\n",
      );
    }
  }
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("updatekeys")
    .description(
      "give an encrypted file the recipients of its .sops.yaml creation rule (like sops updatekeys); --rotate-data-key re-encrypts every value under a new data key (like sops rotate)",
    )
    .argument("[file]", "the encrypted file", "secrets.yaml")
    .option("--rotate-data-key", "re-encrypt every value under a new data key (also with no recipient change)")
    .option("--config <path>", "the .sops.yaml to use (default: SOPS_CONFIG, else looked up from the current directory)")
    .option("--yes", "change the file without asking (required when not on a terminal)")
    .action(async (file: string, o: { rotateDataKey?: boolean; yes?: boolean; config?: string }) => {
      await runUpdateKeys(file, {
        ...(o.rotateDataKey ? { rotateDataKey: true } : {}),
        ...(o.yes ? { yes: true } : {}),
        ...(o.config ? { config: o.config } : {}),
        color: useColor(process.stdout),
      });
      setExit(EXIT_OK);
    });
}
