// Opening a sops file: recover the data key, decrypt every leaf the encryption rule covers in place,
// verify the MAC. Nothing is returned unless the MAC matches.
import { readFile } from "node:fs/promises";
import { type Document, isScalar, Scalar, type YAMLSeq } from "yaml";
import { SopsyncError } from "../errors.js";
import { AuthenticationError, decryptValue, type SopsValue, ValueFormatError } from "./cipher.js";
import { getDataKey } from "./datakey.js";
import { extractMetadata, formatOf, parseDocuments, position } from "./document.js";
import { rfc3339NoFraction } from "./gofmt.js";
import { type FileFormat, plainWouldRetype, typeScalar, UnsupportedScalarError } from "./goyaml.js";
import { MacAccumulator } from "./mac.js";
import { MetadataError, parseMetadata, type SopsMetadata } from "./metadata.js";
import { shouldBeEncrypted } from "./rules.js";
import { IvStash } from "./stash.js";
import { TreeShapeError, walkDocument } from "./tree.js";

export interface DecryptOptions {
  /** Environment for key sources (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ...). Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface DecryptedFile {
  format: FileFormat;
  /**
   * Parsed with the `yaml` package from the encrypted text, every encrypted leaf replaced in place by
   * its decrypted value, node ranges still pointing into `text`, the top-level `sops` key removed.
   * Every leaf, encrypted or not, holds the value yaml.v3 gives it (as `sops -d` prints it): integers are
   * `number` when they are safe integers and `bigint` otherwise; floats are numbers; sops `time` values
   * are strings as `sops -d` prints them. A `<<` key is an ordinary key (never merged).
   */
  documents: Document[];
  /** The original file text, for a LineCounter. */
  text: string;
  metadata: SopsMetadata;
  /**
   * The YAML leaves sops holds as floats. A float's text is Go's, not JavaScript's (1e-07, 1e+06), and
   * a JS number cannot tell 1.0 from 1: whoever prints a leaf as sops does needs to know.
   */
  floats: WeakSet<Scalar>;
}

/** What the write path needs on top of the public result. Never hand the data key out of src/sops. */
export interface OpenedFile extends DecryptedFile {
  dataKey: Uint8Array;
  stash: IvStash;
  /** The typed value each decrypted leaf had, so an unchanged float/time keeps its sops type. */
  originals: WeakMap<Scalar, SopsValue>;
}

export const aadOf = (path: string[]): `${string}:` => `${path.join(":")}:`;

/** The JS value a decrypted leaf gets in the returned document. */
export function jsValue(v: SopsValue): string | number | bigint | boolean {
  switch (v.type) {
    case "int":
      return v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value;
    case "bytes":
      return Buffer.from(v.value).toString("utf8");
    default:
      return v.value;
  }
}

export function setScalar(node: Scalar, v: SopsValue): void {
  node.value = jsValue(v);
  node.source = undefined;
  node.tag = undefined;
  node.type = undefined;
  // A timestamp is printed plain, as sops prints it, so that sops reads it back as a timestamp.
  if (v.type === "time" && !plainTimeRetypes(v.value)) node.type = Scalar.PLAIN;
  else if (typeof node.value === "string") {
    // Keep the plaintext view unambiguous for sops: "5432" or "2024-01-02" as strings must stay quoted.
    if (node.value.includes("\n")) node.type = Scalar.BLOCK_LITERAL;
    else if (plainWouldRetype(node.value)) node.type = Scalar.QUOTE_DOUBLE;
  }
}

function plainTimeRetypes(text: string): boolean {
  const node = new Scalar(text);
  node.source = text;
  node.type = Scalar.PLAIN;
  try {
    const typed = typeScalar(node, "yaml");
    return typed?.type !== "time" || typed.value !== text;
  } catch {
    return true;
  }
}

/**
 * A plaintext leaf takes the value yaml.v3 gives it, so the data is what `sops -d` prints (017 is 15,
 * 1_000 is 1000, 2024-01-02 is a timestamp). A leaf the `yaml` package already reads the same way is
 * left untouched, keeping its spelling.
 */
function adoptGoValue(node: Scalar, v: SopsValue, originals: WeakMap<Scalar, SopsValue>): void {
  const current = typeof node.value === "bigint" && isSafe(node.value) ? Number(node.value) : node.value;
  const wanted = jsValue(v);
  if (current === wanted || (Number.isNaN(current) && Number.isNaN(wanted))) return;
  setScalar(node, v);
  originals.set(node, v);
}

const isSafe = (v: bigint) => v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);

/** yaml.v3 cannot decode a tagged scalar that does not fit its tag (!!int 1.5): sops holds a null. */
function nullScalar(node: Scalar): void {
  node.value = null;
  node.source = undefined;
  node.tag = undefined;
  node.type = undefined;
}

/** Turns safe-integer bigints (from intAsBigInt parsing) back into numbers. */
function normaliseInts(doc: Document): void {
  const walk = (n: unknown): void => {
    if (isScalar(n)) {
      if (
        typeof n.value === "bigint" &&
        n.value >= BigInt(Number.MIN_SAFE_INTEGER) &&
        n.value <= BigInt(Number.MAX_SAFE_INTEGER)
      ) {
        n.value = Number(n.value);
      }
      return;
    }
    const items = (n as { items?: unknown[] } | null)?.items;
    if (!items) return;
    for (const item of items) {
      if (item && typeof item === "object" && "key" in item) {
        walk((item as { key: unknown }).key);
        walk((item as unknown as { value: unknown }).value);
      } else walk(item);
    }
  };
  walk(doc.contents);
}

/**
 * `parsed`: the caller's parseSopsYaml(text), free of errors, when it has parsed the text already (its
 * own syntax check); decryption changes those documents in place.
 */
export async function openText(
  text: string,
  fileName: string,
  opts: DecryptOptions = {},
  parsed?: Document[],
): Promise<OpenedFile> {
  return open(text, fileName, opts, parsed, true);
}

/**
 * `forWrite`: also fill the IV stash and the typed originals, which only a write reads; reading alone
 * (validate, plan) skips them, a record and a WeakMap entry per leaf.
 */
async function open(
  text: string,
  fileName: string,
  opts: DecryptOptions,
  parsed: Document[] | undefined,
  forWrite: boolean,
): Promise<OpenedFile> {
  const env = opts.env ?? process.env;
  const format = formatOf(fileName);
  const documents = parsed ?? parseDocuments(text, fileName);
  let metadata: SopsMetadata;
  try {
    metadata = parseMetadata(extractMetadata(documents, fileName));
  } catch (e) {
    if (e instanceof MetadataError) throw new SopsyncError("SOPS_FORMAT", `${fileName}: invalid sops metadata: ${e.message}`);
    throw e;
  }
  const dataKey = await getDataKey(metadata, env, fileName);
  const stash = new IvStash();
  const originals = new WeakMap<Scalar, SopsValue>();
  const floats = new WeakSet<Scalar>();
  const mac = new MacAccumulator(metadata.macOnlyEncrypted);
  const commentItems: { seq: YAMLSeq; node: Scalar; text: string }[] = [];
  const where = (node: { range?: unknown }) => {
    const range = node.range as [number, number, number] | undefined;
    return `${fileName}:${position(text, range?.[0])}`;
  };

  for (const doc of documents) {
    try {
      walkDocument(
        doc,
        format,
        (item) => {
          if (item.kind === "comment") {
            if (!shouldBeEncrypted(metadata.rule, item.path, item.stack, true)) return;
            // A comment that does not decrypt is kept as it is, like sops (comments are not in the MAC).
            for (const path of item.candidatePaths) {
              try {
                const v = decryptValue(item.text, dataKey, aadOf(path));
                if (v.type !== "comment") break;
                stash.remember(aadOf(path), v, item.text);
                item.replace(v.value);
                return;
              } catch {
                // try the next enclosing branch
              }
            }
            return;
          }
          const encrypted = shouldBeEncrypted(metadata.rule, item.path, item.stack, false);
          if (!encrypted) {
            const plain = typeScalar(item.node, format);
            if (!plain) return;
            mac.add(plain, false);
            if (format === "yaml") adoptGoValue(item.node, plain, originals);
            if (format === "yaml" && plain.type === "float") floats.add(item.node);
            const v = item.node.value;
            if (typeof v === "bigint" && isSafe(v)) item.node.value = Number(v);
            return;
          }
          const raw = item.node.value;
          if (typeof raw !== "string") {
            throw new SopsyncError(
              "SOPS_DECRYPT",
              `${where(item.node)}: value at '${item.path.join(".")}' should be encrypted but is not an encrypted string`,
            );
          }
          const aad = aadOf(item.path);
          let v: SopsValue;
          try {
            v = decryptValue(raw, dataKey, aad);
          } catch (e) {
            if (e instanceof AuthenticationError) {
              throw new SopsyncError(
                "SOPS_DECRYPT",
                `${where(item.node)}: cannot decrypt the value at '${item.path.join(".")}': it was encrypted with another data key, moved from another key, or tampered with`,
              );
            }
            if (e instanceof ValueFormatError) {
              throw new SopsyncError(
                "SOPS_DECRYPT",
                `${where(item.node)}: corrupt or unsupported value at '${item.path.join(".")}': ${e.message}`,
              );
            }
            throw e;
          }
          if (forWrite && raw !== "") stash.remember(aad, v, raw);
          if (v.type === "comment") {
            // sops writes comments inside lists as list elements of type comment; they are not data.
            if (item.inSeq) commentItems.push({ seq: item.inSeq, node: item.node, text: v.value });
            return;
          }
          mac.add(v, true);
          setScalar(item.node, v);
          if (forWrite) originals.set(item.node, v);
          if (format === "yaml" && v.type === "float") floats.add(item.node);
        },
        { onNull: nullScalar },
      );
    } catch (e) {
      if (e instanceof TreeShapeError || e instanceof UnsupportedScalarError) {
        throw new SopsyncError("SOPS_FORMAT", `${fileName}: ${e.message}`);
      }
      throw e;
    }
  }

  verifyMac(metadata, dataKey, mac.digest(), fileName);
  for (const { seq, node, text: comment } of commentItems) {
    const index = seq.items.indexOf(node);
    if (index < 0) continue;
    seq.items.splice(index, 1);
    const next = seq.items[index] as { commentBefore?: string | null } | undefined;
    if (next) next.commentBefore = next.commentBefore ? `${comment}\n${next.commentBefore}` : comment;
    else seq.comment = seq.comment ? `${seq.comment}\n${comment}` : comment;
  }
  // Every YAML leaf holding a number was visited above, and a YAML key is a string or the walk failed;
  // a JSON file's keys are not checked so (any scalar key is taken), so its documents are walked again.
  if (format === "json") for (const doc of documents) normaliseInts(doc);
  return { format, documents, text, metadata, dataKey, stash, originals, floats };
}

function verifyMac(m: SopsMetadata, dataKey: Uint8Array, computed: string, fileName: string): void {
  if (!m.mac) throw new SopsyncError("SOPS_MAC", `${fileName}: the file has no MAC; it may have been tampered with`);
  const aad = rfc3339NoFraction(m.lastModified);
  if (!aad) throw new SopsyncError("SOPS_MAC", `${fileName}: lastmodified is not an RFC 3339 timestamp; cannot verify the MAC`);
  let stored: SopsValue;
  try {
    stored = decryptValue(m.mac, dataKey, aad);
  } catch {
    throw new SopsyncError(
      "SOPS_MAC",
      `${fileName}: the MAC cannot be decrypted (MAC or lastmodified changed); the file may have been tampered with`,
    );
  }
  if (stored.type !== "str" || stored.value !== computed) {
    throw new SopsyncError(
      "SOPS_MAC",
      `${fileName}: MAC mismatch: the file's content does not match its MAC; it may have been tampered with`,
    );
  }
}

export async function decryptText(
  text: string,
  fileName: string,
  opts?: DecryptOptions,
  parsed?: Document[],
): Promise<DecryptedFile> {
  const { format, documents, metadata, floats } = await open(text, fileName, opts ?? {}, parsed, false);
  return { format, documents, text, metadata, floats };
}

export async function readSopsFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SopsyncError(
      code === "ENOENT" ? "MANIFEST_NOT_FOUND" : "SOPS_FORMAT",
      `${path}: cannot read the file (${code ?? "error"})`,
      { cause: e },
    );
  }
}

export async function decryptFile(path: string, opts?: DecryptOptions): Promise<DecryptedFile> {
  return decryptText(await readSopsFile(path), path, opts);
}
