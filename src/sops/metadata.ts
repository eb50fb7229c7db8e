// The `sops` block of an encrypted file: key groups, encryption rule, MAC, lastmodified, version.
// Field names and the flat-vs-key_groups layout follow sops's stores/stores.go.
import { parseGoBool } from "./gofmt.js";

export interface AgeKeyEntry {
  kind: "age";
  recipient: string;
  enc: string;
}
export interface KmsKeyEntry {
  kind: "kms";
  arn: string;
  enc: string;
  created_at?: string;
  role?: string;
  context?: Record<string, string>;
  aws_profile?: string;
}
/** Key types sops knows that sopsync cannot use (kept so files round-trip and errors can name them). */
export interface OtherKeyEntry {
  kind: "pgp" | "gcp_kms" | "azure_kv" | "hc_vault";
  name: string;
  raw: Record<string, unknown>;
}
export type KeyEntry = AgeKeyEntry | KmsKeyEntry | OtherKeyEntry;
export type KeyGroup = KeyEntry[];

export type EncryptionRule =
  | { kind: "unencrypted_suffix"; value: string }
  | { kind: "encrypted_suffix"; value: string }
  | { kind: "unencrypted_regex"; value: string }
  | { kind: "encrypted_regex"; value: string }
  | { kind: "unencrypted_comment_regex"; value: string }
  | { kind: "encrypted_comment_regex"; value: string };

export interface SopsMetadata {
  keyGroups: KeyGroup[];
  /** true when the file lists `key_groups` (sops writes that layout only for more than one group). */
  usesKeyGroups: boolean;
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  macOnlyEncrypted: boolean;
  version: string;
  /** At most one rule (sops refuses files with several); unencrypted_suffix "_unencrypted" by default. */
  rule: EncryptionRule;
}

export const RULE_KINDS = [
  "unencrypted_suffix",
  "encrypted_suffix",
  "unencrypted_regex",
  "encrypted_regex",
  "unencrypted_comment_regex",
  "encrypted_comment_regex",
] as const;

export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

export class MetadataError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

function parseGroup(g: Obj): KeyGroup {
  const keys: KeyGroup = [];
  for (const e of asList(g.kms)) {
    const context: Record<string, string> = {};
    if (isObj(e.context)) for (const [k, v] of Object.entries(e.context)) context[k] = str(v);
    keys.push({
      kind: "kms",
      arn: str(e.arn),
      enc: str(e.enc),
      ...(e.created_at !== undefined ? { created_at: str(e.created_at) } : {}),
      ...(e.role ? { role: str(e.role) } : {}),
      ...(Object.keys(context).length ? { context } : {}),
      ...(e.aws_profile ? { aws_profile: str(e.aws_profile) } : {}),
    });
  }
  for (const kind of ["gcp_kms", "azure_kv", "hc_vault"] as const) {
    for (const e of asList(g[kind])) {
      const name = str(
        e.resource_id ?? (e.vaultUrl ? `${str(e.vaultUrl)}/keys/${str(e.name)}` : undefined) ?? e.vault_address ?? e.key_name,
      );
      keys.push({ kind, name, raw: e });
    }
  }
  for (const e of asList(g.age)) keys.push({ kind: "age", recipient: str(e.recipient).trim(), enc: str(e.enc) });
  for (const e of asList(g.pgp)) keys.push({ kind: "pgp", name: str(e.fp), raw: e });
  return keys;
}

function asList(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** Parses the plain-JS form of the `sops` block. */
export function parseMetadata(raw: unknown): SopsMetadata {
  if (!isObj(raw)) throw new MetadataError("the `sops` metadata is not a mapping");
  const usesKeyGroups = Array.isArray(raw.key_groups) && raw.key_groups.length > 0;
  const keyGroups = usesKeyGroups ? asList(raw.key_groups).map(parseGroup) : [parseGroup(raw)];
  const rules = RULE_KINDS.filter((k) => str(raw[k]) !== "").map((kind) => ({ kind, value: str(raw[kind]) }));
  if (rules.length > 1) {
    throw new MetadataError(`the file sets more than one encryption rule (${rules.map((r) => r.kind).join(", ")})`);
  }
  const threshold = raw.shamir_threshold === undefined || raw.shamir_threshold === "" ? 0 : Number(raw.shamir_threshold);
  if (!Number.isInteger(threshold) || threshold < 0) throw new MetadataError("shamir_threshold is not a whole number");
  const macOnly = raw.mac_only_encrypted;
  const macOnlyEncrypted =
    typeof macOnly === "boolean" ? macOnly : macOnly === undefined || macOnly === "" ? false : parseGoBool(str(macOnly));
  if (macOnlyEncrypted === undefined) throw new MetadataError("mac_only_encrypted is not a boolean");
  if (raw.lastmodified === undefined) throw new MetadataError("the `sops` metadata has no lastmodified");
  return {
    keyGroups,
    usesKeyGroups,
    shamirThreshold: threshold,
    lastModified: raw.lastmodified instanceof Date ? raw.lastmodified.toISOString() : str(raw.lastmodified),
    mac: str(raw.mac),
    macOnlyEncrypted,
    version: str(raw.version),
    rule: (rules[0] as EncryptionRule | undefined) ?? { kind: "unencrypted_suffix", value: DEFAULT_UNENCRYPTED_SUFFIX },
  };
}

function groupToJS(group: KeyGroup, includeEmpty: boolean): Obj {
  const out: Obj = {};
  const kms = group.filter((k): k is KmsKeyEntry => k.kind === "kms");
  const age = group.filter((k): k is AgeKeyEntry => k.kind === "age");
  const others = group.filter((k): k is OtherKeyEntry => k.kind !== "kms" && k.kind !== "age");
  if (kms.length || includeEmpty) {
    out.kms = kms.map((k) => ({
      arn: k.arn,
      ...(k.role ? { role: k.role } : {}),
      ...(k.context ? { context: k.context } : {}),
      created_at: k.created_at ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      enc: k.enc,
      ...(k.aws_profile ? { aws_profile: k.aws_profile } : {}),
    }));
  }
  for (const kind of ["gcp_kms", "azure_kv", "hc_vault"] as const) {
    const list = others.filter((k) => k.kind === kind);
    if (list.length) out[kind] = list.map((k) => k.raw);
  }
  if (age.length) out.age = age.map((k) => ({ recipient: k.recipient, enc: k.enc }));
  const pgp = others.filter((k) => k.kind === "pgp");
  if (pgp.length) out.pgp = pgp.map((k) => k.raw);
  if (!includeEmpty && out.kms && (out.kms as unknown[]).length === 0) delete out.kms;
  return out;
}

/** The plain-JS `sops` block sops 3.10+ writes (empty key lists omitted). */
export function metadataToJS(m: SopsMetadata): Obj {
  const out: Obj = {};
  if (m.keyGroups.length > 1 || m.usesKeyGroups) {
    out.shamir_threshold = m.shamirThreshold;
    out.key_groups = m.keyGroups.map((g) => groupToJS(g, false));
  } else {
    Object.assign(out, groupToJS(m.keyGroups[0] ?? [], false));
  }
  out.lastmodified = m.lastModified;
  out.mac = m.mac;
  out[m.rule.kind] = m.rule.value;
  if (m.macOnlyEncrypted) out.mac_only_encrypted = true;
  out.version = m.version;
  return out;
}
