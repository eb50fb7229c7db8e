// Re-keying an encrypted file, as `sops updatekeys` and `sops rotate` do.
// updatekeys: the same data key is wrapped for a new set of master keys; only the key groups of the
// `sops` block change, every value's ciphertext, the MAC and lastmodified stay byte-identical.
// rotate: every value is re-encrypted under a fresh data key (new ciphertexts, new MAC), so the old
// key groups — and anyone who can still unwrap them, e.g. from git history — open nothing new.
import { randomBytes } from "node:crypto";
import { type Document, isMap, isScalar, type Pair, type YAMLMap } from "yaml";
import { SopsyncError } from "../errors.js";
import { decryptValue } from "./cipher.js";
import { getDataKey, wrapDataKey } from "./datakey.js";
import type { OpenedFile } from "./decrypt.js";
import { extractMetadata, formatOf, parseDocuments } from "./document.js";
import { emitEncrypted, encryptDocuments, WRITTEN_SOPS_VERSION } from "./encrypt.js";
import { rfc3339NoFraction } from "./gofmt.js";
import type { FileFormat } from "./goyaml.js";
import { type KeyEntry, type KeyGroup, MetadataError, metadataToJS, parseMetadata, type SopsMetadata } from "./metadata.js";
import { renderSopsBlock } from "./metadata-yaml.js";

/**
 * What makes two master keys the same recipient. Like sops's MasterKey.ToString, a KMS key is its ARN
 * plus role, encryption context and profile: changing any of them changes who can unwrap it.
 */
export function keyIdentity(k: KeyEntry): string {
  switch (k.kind) {
    case "age":
      return `age:${k.recipient}`;
    case "kms": {
      const context = Object.entries(k.context ?? {})
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([a, b]) => `${a}:${b}`)
        .join(",");
      return `kms:${k.arn}+${k.role ?? ""}|${context}|${k.aws_profile ?? ""}`;
    }
    default:
      return `${k.kind}:${k.name}`;
  }
}

/** A recipient as shown to people: the public recipient or the ARN (with what else identifies it), never `enc`. */
export function showKey(k: KeyEntry): string {
  switch (k.kind) {
    case "age":
      return `age ${k.recipient}`;
    case "kms": {
      const extra = [
        k.role ? `role ${k.role}` : "",
        k.context
          ? `context ${Object.entries(k.context)
              .map(([a, b]) => `${a}=${b}`)
              .join(",")}`
          : "",
        k.aws_profile ? `profile ${k.aws_profile}` : "",
      ].filter(Boolean);
      return `kms ${k.arn}${extra.length ? ` (${extra.join("; ")})` : ""}`;
    }
    default:
      return `${k.kind} ${k.name}`;
  }
}

export interface GroupDiff {
  common: KeyEntry[];
  added: KeyEntry[];
  removed: KeyEntry[];
}

/** sops's DiffKeyGroups: group i of the file against group i of the rule. */
export function diffKeyGroups(ours: KeyGroup[], theirs: KeyGroup[]): GroupDiff[] {
  const out: GroupDiff[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i] ?? [];
    const b = theirs[i] ?? [];
    const inA = new Set(a.map(keyIdentity));
    const inB = new Set(b.map(keyIdentity));
    out.push({
      common: b.filter((k) => inA.has(keyIdentity(k))),
      added: b.filter((k) => !inA.has(keyIdentity(k))),
      removed: a.filter((k) => !inB.has(keyIdentity(k))),
    });
  }
  return out;
}

/** How many key groups must be unwrapped to recover the data key. */
export function groupsNeeded(m: Pick<SopsMetadata, "keyGroups" | "shamirThreshold">): number {
  return m.keyGroups.length > 1 ? m.shamirThreshold || m.keyGroups.length : 1;
}

export interface Target {
  keyGroups: KeyGroup[];
  /** 0: keep the file's threshold. */
  shamirThreshold: number;
}

export interface RekeyPlan {
  diffs: GroupDiff[];
  thresholdBefore: number;
  thresholdAfter: number;
  /** The new groups (without `enc`), in the rule's order. */
  keyGroups: KeyGroup[];
  changed: boolean;
}

/**
 * The key groups and threshold the file should have. The threshold is the rule's when it sets one,
 * else the file's (sops's updatekeys keeps the file's always), at most the number of groups.
 */
export function planRekey(current: SopsMetadata, target: Target): RekeyPlan {
  const groups = target.keyGroups;
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new SopsyncError("USAGE", "a key group has no keys");
  const wanted = target.shamirThreshold || current.shamirThreshold;
  const thresholdAfter = groups.length > 1 ? Math.min(wanted || groups.length, groups.length) : 0;
  if (groups.length > 1 && thresholdAfter < 2) {
    throw new SopsyncError("USAGE", "shamir_threshold must be at least 2 with several key groups (or left out: all groups)");
  }
  const thresholdBefore = current.keyGroups.length > 1 ? groupsNeeded(current) : 0;
  const diffs = diffKeyGroups(current.keyGroups, groups);
  const changed =
    thresholdAfter !== thresholdBefore ||
    current.keyGroups.length !== groups.length ||
    diffs.some((d) => d.added.length > 0 || d.removed.length > 0);
  return { diffs, thresholdBefore, thresholdAfter, keyGroups: groups, changed };
}

export interface Exposure {
  key: KeyEntry;
  /** Key groups of the file this key could unwrap (one share each when there are several groups). */
  groupsHeld: number;
  /** Groups needed to recover the data key. */
  needed: number;
}

/** For each removed key: how much of the current data key it could recover. */
export function exposures(current: SopsMetadata, removed: KeyEntry[]): Exposure[] {
  const seen = new Set<string>();
  const out: Exposure[] = [];
  for (const key of removed) {
    const id = keyIdentity(key);
    if (seen.has(id)) continue;
    seen.add(id);
    const groupsHeld = current.keyGroups.filter((g) => g.some((k) => keyIdentity(k) === id)).length;
    out.push({ key, groupsHeld, needed: groupsNeeded(current) });
  }
  return out;
}

/** The names under `secrets:` (key names are never encrypted by sops); empty for other files. */
export function secretNames(docs: Document[]): string[] {
  const secrets = docs[0]?.get("secrets", true);
  if (!isMap(secrets)) return [];
  return (secrets as YAMLMap).items.map((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)));
}

export interface EncryptedFile {
  format: FileFormat;
  text: string;
  metadata: SopsMetadata;
  /** The documents as stored (values still encrypted), without their `sops` key. */
  documents: Document[];
}

/** Parses an encrypted file without decrypting any value. */
export function readEncrypted(text: string, fileName: string): EncryptedFile {
  const documents = parseDocuments(text, fileName);
  try {
    return { format: formatOf(fileName), text, metadata: parseMetadata(extractMetadata(documents, fileName)), documents };
  } catch (e) {
    if (e instanceof MetadataError) throw new SopsyncError("SOPS_FORMAT", `${fileName}: invalid sops metadata: ${e.message}`);
    throw e;
  }
}

/**
 * Recovers the data key with the identities available and checks it against the MAC (an AES-GCM value
 * whose associated data is lastmodified), so a wrong key or a tampered MAC is never re-wrapped.
 */
export async function recoverDataKey(m: SopsMetadata, env: NodeJS.ProcessEnv, fileName: string): Promise<Uint8Array> {
  const key = await getDataKey(m, env, fileName);
  const aad = rfc3339NoFraction(m.lastModified);
  try {
    if (!m.mac || !aad) throw new Error("no MAC");
    decryptValue(m.mac, key, aad);
  } catch {
    throw new SopsyncError(
      "SOPS_MAC",
      `${fileName}: the recovered data key does not open the file's MAC; the file may have been tampered with, nothing was changed`,
    );
  }
  return key;
}

function sopsPairs(docs: Document[]): { pair: Pair; doc: Document }[] {
  const out: { pair: Pair; doc: Document }[] = [];
  for (const doc of docs) {
    if (!isMap(doc.contents)) continue;
    const pair = (doc.contents as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === "sops");
    if (pair) out.push({ pair: pair as Pair, doc });
  }
  return out;
}

/**
 * The file text with only its `sops` block(s) replaced, so a git diff shows just the key groups.
 * Undefined when the layout is one this splice does not handle (then the caller re-emits the file).
 */
function spliceMetadata(text: string, format: FileFormat, fileName: string, meta: Record<string, unknown>): string | undefined {
  const docs = parseDocuments(text, fileName);
  const found = sopsPairs(docs);
  if (found.length === 0) return undefined;
  let out = text;
  // From the last block to the first, so earlier offsets stay valid.
  for (const { pair } of found.reverse()) {
    const key = pair.key as { range?: [number, number, number] };
    const value = pair.value as { range?: [number, number, number] } | null;
    if (!key.range || !value?.range) return undefined;
    const lineStart = out.lastIndexOf("\n", key.range[0] - 1) + 1;
    const indent = out.slice(lineStart, key.range[0]);
    if (format === "json") {
      if (!/^[ \t]*$/.test(indent)) return undefined;
      const json = JSON.stringify(meta, null, "\t").replaceAll("\n", `\n${indent}`);
      out = out.slice(0, value.range[0]) + json + out.slice(value.range[1]);
    } else {
      // A block mapping's value range runs to the start of the next line after it.
      if (indent !== "" || (value.range[2] < out.length && out[value.range[2] - 1] !== "\n")) return undefined;
      out = out.slice(0, key.range[0]) + renderSopsBlock(meta) + out.slice(value.range[2]);
    }
  }
  return out;
}

/** updatekeys: the same data key wrapped for the plan's groups; values, MAC and lastmodified untouched. */
export async function rewrapText(file: EncryptedFile, plan: RekeyPlan, dataKey: Uint8Array, fileName: string): Promise<string> {
  const keyGroups = await wrapDataKey(plan.keyGroups, plan.thresholdAfter, dataKey);
  const metadata: SopsMetadata = {
    ...file.metadata,
    keyGroups,
    usesKeyGroups: keyGroups.length > 1,
    shamirThreshold: plan.thresholdAfter,
  };
  const spliced = spliceMetadata(file.text, file.format, fileName, metadataToJS(metadata));
  const text = spliced ?? emitEncrypted(file.documents, file.format, metadata);
  // The result must read back as the same file with the new key groups.
  const check = readEncrypted(text, fileName);
  if (
    check.metadata.mac !== file.metadata.mac ||
    check.metadata.lastModified !== file.metadata.lastModified ||
    JSON.stringify(check.metadata.keyGroups.map((g) => g.map(keyIdentity))) !==
      JSON.stringify(plan.keyGroups.map((g) => g.map(keyIdentity)))
  ) {
    throw new SopsyncError(
      "INTERNAL",
      `${fileName}: the rewritten sops metadata did not read back as written; nothing was changed`,
    );
  }
  return text;
}

/** rotate: every value re-encrypted under a new random data key, wrapped for the plan's groups. */
export async function rotateText(opened: OpenedFile, plan: RekeyPlan, fileName: string, now?: Date): Promise<string> {
  const dataKey = randomBytes(32);
  const keyGroups = await wrapDataKey(plan.keyGroups, plan.thresholdAfter, dataKey);
  // No IV stash: a stashed ciphertext belongs to the old data key.
  const metadata = encryptDocuments(
    opened.documents,
    opened.format,
    {
      dataKey,
      metadata: { ...opened.metadata, keyGroups, usesKeyGroups: keyGroups.length > 1, shamirThreshold: plan.thresholdAfter },
      originals: opened.originals,
      ...(now ? { now } : {}),
    },
    fileName,
  );
  return emitEncrypted(opened.documents, opened.format, { ...metadata, version: WRITTEN_SOPS_VERSION });
}
