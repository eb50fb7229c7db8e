// Reading `.sops.yaml` the way sops 3.11 does (config/config.go): the file is looked for from the
// current directory upwards (or named by --config / SOPS_CONFIG), and the first creation rule whose
// `path_regex` matches the file's path, taken relative to the config's directory, applies.
import { readFile, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { SopsyncError } from "../errors.js";
import { isAgeRecipient } from "./keys/age.js";
import type { KeyEntry, KeyGroup } from "./metadata.js";
import { goRegExp } from "./rules.js";

export const CONFIG_FILE_NAME = ".sops.yaml";
const ALTERNATE_NAME = ".sops.yml"; // sops never reads it, but says so
const MAX_DEPTH = 100;

export interface CreationRule {
  configPath: string;
  /** 1-based position in creation_rules, for messages. */
  index: number;
  pathRegex: string;
  /** Master keys without `enc`: what the file should be encrypted for. */
  keyGroups: KeyGroup[];
  /** 0 when the rule does not set one. */
  shamirThreshold: number;
}

export interface FoundConfig {
  path?: string;
  warning?: string;
}

/** sops's LookupConfigFile: `.sops.yaml` in `start` or a parent; a `.sops.yml` is only warned about. */
export async function lookupConfigFile(start: string): Promise<FoundConfig> {
  const exists = (p: string) =>
    stat(p).then(
      () => true,
      () => false,
    );
  let dir = resolve(start);
  let alternate: string | undefined;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (await exists(candidate)) {
      return {
        path: candidate,
        ...(alternate ? { warning: `ignoring ${alternate}: the config file must be called ${CONFIG_FILE_NAME}` } : {}),
      };
    }
    if (!alternate && (await exists(join(dir, ALTERNATE_NAME)))) alternate = join(dir, ALTERNATE_NAME);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return alternate ? { warning: `ignoring ${alternate}: the config file must be called ${CONFIG_FILE_NAME}` } : {};
}

// Only the fields that choose recipients are read; like yaml.v3's Unmarshal, unknown keys are ignored.
const stringOrList = z.union([z.string(), z.array(z.string()), z.null()]).optional();
const kmsEntry = z.object({
  arn: z.string(),
  role: z.string().nullish(),
  context: z.record(z.string(), z.union([z.string(), z.null()])).nullish(),
  aws_profile: z.string().nullish(),
});
type RawGroup = {
  merge?: RawGroup[] | null;
  kms?: z.infer<typeof kmsEntry>[] | null;
  age?: string[] | null;
  [other: string]: unknown;
};
const group: z.ZodType<RawGroup> = z.lazy(() =>
  z.looseObject({
    merge: z.array(group).nullish(),
    kms: z.array(kmsEntry).nullish(),
    age: z.array(z.string()).nullish(),
  }),
);
const rawRule = z.looseObject({
  path_regex: z.string().nullish(),
  kms: stringOrList,
  aws_profile: z.string().nullish(),
  age: stringOrList,
  key_groups: z.array(group).nullish(),
  shamir_threshold: z.number().int().min(0).nullish(),
});
const rawConfig = z.looseObject({ creation_rules: z.array(rawRule).nullish() }).nullish();

/** Key types sops knows but sopsync cannot encrypt for; naming them beats silently dropping them. */
const UNSUPPORTED = ["pgp", "gcp_kms", "hckms", "azure_keyvault", "hc_vault", "hc_vault_transit_uri"];

/** sops's parseKeyField: a comma-separated string or a list of strings; blanks are skipped. */
function keyList(v: string | string[] | null | undefined): string[] {
  if (v === null || v === undefined) return [];
  const items = typeof v === "string" ? v.split(",") : v;
  return items.map((s) => s.trim()).filter((s) => s !== "");
}

function ageKeys(values: string[], where: string): KeyEntry[] {
  // Each entry may itself be a comma-separated list (age.MasterKeysFromRecipients).
  return values
    .flatMap((v) => keyList(v))
    .map((recipient) => {
      if (!isAgeRecipient(recipient)) {
        throw new SopsyncError(
          "USAGE",
          `${where}: ${recipient} is not an age X25519 recipient (age1...); sopsync cannot encrypt for SSH or plugin recipients`,
        );
      }
      return { kind: "age", recipient, enc: "" };
    });
}

function unsupported(obj: Record<string, unknown>, where: string): void {
  for (const kind of UNSUPPORTED) {
    const v = obj[kind];
    if (v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0)) {
      throw new SopsyncError("USAGE", `${where} uses ${kind} keys, which sopsync cannot encrypt for (age and AWS KMS only)`);
    }
  }
}

/** sops's deduplicateKeygroup: the same key twice in a group is kept once. */
function dedupe(keys: KeyGroup): KeyGroup {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = JSON.stringify(k);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function groupKeys(g: RawGroup, where: string): KeyGroup {
  unsupported(g, where);
  const keys: KeyGroup = [];
  for (const sub of g.merge ?? []) keys.push(...groupKeys(sub, `${where} (merge)`));
  keys.push(...ageKeys(g.age ?? [], where));
  for (const k of g.kms ?? []) {
    const context = Object.fromEntries(
      Object.entries(k.context ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
    keys.push({
      kind: "kms",
      arn: k.arn,
      enc: "",
      ...(k.role ? { role: k.role } : {}),
      ...(Object.keys(context).length ? { context } : {}),
      ...(k.aws_profile ? { aws_profile: k.aws_profile } : {}),
    });
  }
  return dedupe(keys);
}

/** kms.NewMasterKeyFromArn: spaces dropped, an `ARN+arn:aws:iam::...` suffix names the role. */
function kmsFromArnString(spec: string, profile: string | undefined): KeyEntry {
  const arn = spec.replaceAll(" ", "");
  const roleAt = arn.indexOf("+arn:aws:iam::");
  return {
    kind: "kms",
    arn: roleAt > 0 ? arn.slice(0, roleAt) : arn,
    enc: "",
    ...(roleAt > 0 ? { role: arn.slice(roleAt + 1) } : {}),
    ...(profile ? { aws_profile: profile } : {}),
  };
}

function ruleGroups(r: z.infer<typeof rawRule>, where: string): KeyGroup[] {
  if (r.key_groups && r.key_groups.length > 0) {
    return r.key_groups.map((g, i) => groupKeys(g, `${where}, key group ${i + 1}`));
  }
  unsupported(r, where);
  // sops's order in a flat rule: age, pgp, kms, ...; no encryption context can be given here.
  const keys: KeyGroup = [
    ...ageKeys(keyList(r.age), where),
    ...keyList(r.kms).map((s) => kmsFromArnString(s, r.aws_profile ?? undefined)),
  ];
  return [keys];
}

function pathRegExp(pattern: string, where: string): RegExp {
  try {
    return goRegExp(pattern);
  } catch {
    throw new SopsyncError("USAGE", `${where}: path_regex ${pattern} is not a valid regexp`);
  }
}

/** The path a rule's path_regex is matched against: relative to the config's folder when inside it. */
export function pathForMatching(configPath: string, filePath: string): string {
  const configDir = resolve(dirname(configPath));
  const abs = resolve(filePath);
  return abs.startsWith(configDir + sep) ? abs.slice(configDir.length + 1) : abs;
}

/** The creation rule for `filePath` in the config text; undefined when no rule matches it. */
export function creationRuleFor(configText: string, configPath: string, filePath: string): CreationRule | undefined {
  let raw: unknown;
  try {
    raw = parse(configText);
  } catch (e) {
    throw new SopsyncError("USAGE", `${configPath}: not valid YAML (${(e as { code?: string }).code ?? "parse error"})`);
  }
  const parsed = rawConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SopsyncError(
      "USAGE",
      `${configPath}: invalid config at ${issue?.path.join(".") || "top level"}: ${issue?.message ?? "unexpected shape"}`,
    );
  }
  const rules = parsed.data?.creation_rules;
  if (!rules) throw new SopsyncError("USAGE", `${configPath} does not contain any creation rule`);
  const target = pathForMatching(configPath, filePath);
  for (const [i, r] of rules.entries()) {
    const pathRegex = r.path_regex ?? "";
    if (pathRegex !== "") {
      const re = pathRegExp(pathRegex, `${configPath}: creation rule ${i + 1}`);
      if (!re.test(target)) continue;
    }
    const where = `${configPath}: creation rule ${i + 1}`;
    const keyGroups = ruleGroups(r, where);
    if (keyGroups.some((g) => g.length === 0)) {
      throw new SopsyncError("USAGE", `${where} has ${keyGroups.length > 1 ? "an empty key group" : "no age or kms keys"}`);
    }
    return { configPath, index: i + 1, pathRegex, keyGroups, shamirThreshold: r.shamir_threshold ?? 0 };
  }
  return undefined;
}

export interface RuleLookup {
  /** The config file used; undefined when none was found. */
  configPath?: string;
  /** The matching rule; undefined when there is no config or no rule matches. */
  rule?: CreationRule;
  /** The path the rules were matched against. */
  matchedPath: string;
  warning?: string;
}

/** Finds the config (explicit path, else SOPS_CONFIG, else looked up from `cwd`) and the rule for `filePath`. */
export async function loadCreationRule(
  filePath: string,
  opts: { cwd: string; configPath?: string; env?: NodeJS.ProcessEnv },
): Promise<RuleLookup> {
  const explicit = opts.configPath || opts.env?.SOPS_CONFIG || undefined;
  const found: FoundConfig = explicit ? { path: resolve(opts.cwd, explicit) } : await lookupConfigFile(opts.cwd);
  const abs = resolve(opts.cwd, filePath);
  if (!found.path) return { matchedPath: abs, ...(found.warning ? { warning: found.warning } : {}) };
  let text: string;
  try {
    text = await readFile(found.path, "utf8");
  } catch (e) {
    throw new SopsyncError(
      "USAGE",
      `${found.path}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const rule = creationRuleFor(text, found.path, abs);
  return {
    configPath: found.path,
    matchedPath: pathForMatching(found.path, abs),
    ...(rule ? { rule } : {}),
    ...(found.warning ? { warning: found.warning } : {}),
  };
}
