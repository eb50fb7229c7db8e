// Writing sops files: encrypt plaintext documents in place (values the rule covers, and comments),
// compute the MAC, attach the `sops` metadata, and print YAML or JSON that the sops binary reads.
// An IvStash from a previous decryption makes unchanged values come out byte-identical.
import { randomBytes } from "node:crypto";
import { type Document, isMap, isScalar, Scalar, visit, type YAMLMap } from "yaml";
import { SopsyncError } from "../errors.js";
import { encryptValue, type SopsValue } from "./cipher.js";
import { wrapDataKey } from "./datakey.js";
import { aadOf, type OpenedFile } from "./decrypt.js";
import { parseDocuments } from "./document.js";
import { type FileFormat, typeScalar, UnsupportedScalarError } from "./goyaml.js";
import { MacAccumulator } from "./mac.js";
import { type EncryptionRule, type KeyGroup, metadataToJS, type SopsMetadata } from "./metadata.js";
import { renderSopsBlock } from "./metadata-yaml.js";
import { shouldBeEncrypted } from "./rules.js";
import type { IvStash } from "./stash.js";
import { TreeShapeError, walkDocument } from "./tree.js";

/** The version string written into new files; sops accepts files from any 3.x. */
export const WRITTEN_SOPS_VERSION = "3.11.0";

export interface EncryptContext {
  dataKey: Uint8Array;
  metadata: SopsMetadata;
  stash?: IvStash;
  originals?: WeakMap<Scalar, SopsValue>;
  now?: Date;
}

function lastModified(now: Date): string {
  return now.toISOString().replace(/\.\d+Z$/, "Z");
}

function encryptWithStash(v: SopsValue, ctx: EncryptContext, aad: string): string {
  return ctx.stash?.lookup(aad, v) ?? encryptValue(v, ctx.dataKey, aad);
}

/** Encrypts the documents in place and returns the metadata with the new MAC and lastmodified. */
export function encryptDocuments(docs: Document[], format: FileFormat, ctx: EncryptContext, fileName: string): SopsMetadata {
  const { rule, macOnlyEncrypted } = ctx.metadata;
  const mac = new MacAccumulator(macOnlyEncrypted);
  try {
    for (const doc of docs) {
      walkDocument(
        doc,
        format,
        (item) => {
          if (item.kind === "comment") {
            if (format === "json" || !shouldBeEncrypted(rule, item.path, item.stack, true)) return;
            item.replace(encryptWithStash({ type: "comment", value: item.text }, ctx, aadOf(item.path)));
            return;
          }
          const original = ctx.originals?.get(item.node);
          const current = typeScalar(item.node, format);
          if (!current) return;
          // An untouched decrypted leaf keeps its original sops type (a float 1500 stays a float).
          const typed = original && sameValue(original, current) ? original : current;
          const encrypted = shouldBeEncrypted(rule, item.path, item.stack, false);
          mac.add(typed, encrypted);
          if (!encrypted) return;
          item.node.value = encryptWithStash(typed, ctx, aadOf(item.path));
          item.node.source = undefined;
          item.node.tag = undefined;
          item.node.type = undefined;
        },
        { onNull: refuseUndecodable },
      );
    }
  } catch (e) {
    if (e instanceof TreeShapeError || e instanceof UnsupportedScalarError)
      throw new SopsyncError("SOPS_FORMAT", `${fileName}: ${e.message}`);
    throw e;
  }
  const modified = lastModified(ctx.now ?? new Date());
  const digest = mac.digest();
  return {
    ...ctx.metadata,
    lastModified: modified,
    mac: encryptValue({ type: "str", value: digest }, ctx.dataKey, modified),
    version: ctx.metadata.version || WRITTEN_SOPS_VERSION,
  };
}

/**
 * A tagged scalar that does not fit its tag (!!int 1.5): sops reads it as null in a file it opens, but
 * refuses to write plaintext holding one (its key-uniqueness check decodes the whole file).
 */
function refuseUndecodable(node: Scalar): void {
  const tag = typeof node.tag === "string" ? node.tag.replace("tag:yaml.org,2002:", "!!") : "its tag";
  throw new UnsupportedScalarError(`a value tagged ${tag} cannot be decoded as ${tag} (sops refuses it)`);
}

function sameValue(a: SopsValue, b: SopsValue): boolean {
  const js = (v: SopsValue) =>
    v.type === "int" ? Number(v.value) : v.type === "bytes" ? Buffer.from(v.value).toString() : v.value;
  return js(a) === js(b) || (typeof js(a) === "number" && Number.isNaN(js(a)) && Number.isNaN(js(b) as number));
}

/** yaml.v3 prints the key "<<" as `!!merge <<` (an ordinary key to sops, never a merge). */
function tagMergeKeys(doc: Document): void {
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (!isScalar(key) || typeScalar(key, "yaml")?.value !== "<<") return;
      key.tag = "tag:yaml.org,2002:merge";
      key.type = Scalar.PLAIN;
    },
  });
}

/** Prints encrypted documents with the metadata appended to each, as sops does. */
export function emitEncrypted(docs: Document[], format: FileFormat, metadata: SopsMetadata): string {
  const meta = metadataToJS(metadata);
  if (format === "json") {
    if (docs.length !== 1) throw new SopsyncError("SOPS_FORMAT", "a JSON sops file holds exactly one document");
    const data = { ...(docs[0]!.toJS() as Record<string, unknown>), sops: meta };
    return `${JSON.stringify(data, (_k, v) => (typeof v === "bigint" ? Number(v) : v), "\t")}\n`;
  }
  return docs
    .map((doc, i) => {
      if (doc.contents !== null && !isMap(doc.contents))
        throw new SopsyncError("SOPS_FORMAT", "a sops YAML document must be a mapping");
      tagMergeKeys(doc);
      const empty = doc.contents === null || (doc.contents as YAMLMap).items.length === 0;
      const data = empty ? "" : doc.toString({ indent: 4, lineWidth: 0, indentSeq: true });
      // A trailing comment of the data must stay before `sops:` to remain part of the data.
      const text = `${data}${renderSopsBlock(meta)}`;
      return i > 0 && !text.startsWith("---") ? `---\n${text}` : text;
    })
    .join("");
}

export interface NewFileOptions {
  keyGroups: KeyGroup[];
  shamirThreshold?: number;
  rule?: EncryptionRule;
  macOnlyEncrypted?: boolean;
  now?: Date;
}

/** Encrypts a plaintext YAML/JSON text for the given master keys (a fresh data key). */
export async function encryptText(plaintext: string, fileName: string, opts: NewFileOptions): Promise<string> {
  const format = fileName.toLowerCase().endsWith(".json") ? "json" : "yaml";
  const docs = parseDocuments(plaintext, fileName);
  if (docs.some((d) => isMap(d.contents) && (d.contents as YAMLMap).has("sops"))) {
    throw new SopsyncError("SOPS_FORMAT", `${fileName}: the plaintext already has a top-level \`sops\` key (already encrypted?)`);
  }
  const dataKey = randomBytes(32);
  const keyGroups = await wrapDataKey(opts.keyGroups, opts.shamirThreshold ?? 0, dataKey);
  const metadata: SopsMetadata = {
    keyGroups,
    usesKeyGroups: keyGroups.length > 1,
    shamirThreshold: keyGroups.length > 1 ? opts.shamirThreshold || keyGroups.length : 0,
    lastModified: "",
    mac: "",
    macOnlyEncrypted: opts.macOnlyEncrypted ?? false,
    version: WRITTEN_SOPS_VERSION,
    rule: opts.rule ?? { kind: "unencrypted_suffix", value: "_unencrypted" },
  };
  const sealed = encryptDocuments(docs, format, { dataKey, metadata, ...(opts.now ? { now: opts.now } : {}) }, fileName);
  return emitEncrypted(docs, format, sealed);
}

/** Re-encrypts documents of an opened file (same data key and master keys), reusing unchanged ciphertexts. */
export function reencrypt(opened: OpenedFile, docs: Document[], fileName: string, now?: Date): string {
  const metadata = encryptDocuments(
    docs,
    opened.format,
    {
      dataKey: opened.dataKey,
      metadata: opened.metadata,
      stash: opened.stash,
      originals: opened.originals,
      ...(now ? { now } : {}),
    },
    fileName,
  );
  return emitEncrypted(docs, opened.format, { ...metadata, version: WRITTEN_SOPS_VERSION });
}

/** The plaintext view of an opened file, as `sops -d` / `sops edit` would show it. */
export function plaintextOf(opened: OpenedFile): string {
  if (opened.format === "json") {
    return `${JSON.stringify(opened.documents[0]?.toJS() ?? {}, (_k, v) => (typeof v === "bigint" ? Number(v) : v), "\t")}\n`;
  }
  return opened.documents
    .map((d, i) => {
      tagMergeKeys(d);
      const text = d.toString({ indent: 4, lineWidth: 0, indentSeq: true });
      return i > 0 && !text.startsWith("---") ? `---\n${text}` : text;
    })
    .join("");
}
