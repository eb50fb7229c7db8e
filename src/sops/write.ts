// File-level write operations: update an encrypted file in place (atomically, keeping its mode),
// set one secret value, and create a new encrypted file. The CLI commands are thin wrappers.
import { randomBytes } from "node:crypto";
import { rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import YAML, { type Document, isMap, isScalar, isSeq, type Node, Scalar, visit, type YAMLMap } from "yaml";
import { SopsyncError } from "../errors.js";
import { type DecryptOptions, jsValue, type OpenedFile, openText, readSopsFile } from "./decrypt.js";
import { parseDocuments } from "./document.js";
import { plaintextOf, reencrypt } from "./encrypt.js";
import { plainWouldRetype, typeScalar, UnsupportedScalarError } from "./goyaml.js";
import type { EncryptionRule } from "./metadata.js";
import { type ReadableLeaf, readableLeaves } from "./readable.js";
import { shouldBeEncrypted } from "./rules.js";
import { TreeShapeError, walkDocument } from "./tree.js";

/** Writes via a temporary file in the same directory and a rename, so a crash never leaves half a file. */
export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.sopsync-${randomBytes(6).toString("hex")}.tmp`);
  let fileMode = mode;
  if (fileMode === undefined) {
    try {
      fileMode = (await stat(path)).mode & 0o777;
    } catch {
      fileMode = 0o644;
    }
  }
  try {
    await writeFile(tmp, text, { mode: fileMode, flag: "wx" });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export async function openFile(path: string, opts?: DecryptOptions): Promise<OpenedFile> {
  return openText(await readSopsFile(path), path, opts);
}

export interface UpdateOptions extends DecryptOptions {
  now?: Date;
  /**
   * Called with the plaintext view of the changed file (as `sops -d` prints it) before anything is
   * encrypted or written; throwing refuses the write and leaves the file as it was.
   */
  check?: (plaintext: string, opened: OpenedFile) => void;
}

/**
 * Decrypts `path`, lets `mutate` change the decrypted documents, and writes the file back encrypted
 * with the same data key: unchanged values keep their ciphertext, the MAC and lastmodified are new.
 */
export async function updateFile(
  path: string,
  mutate: (docs: Document[], opened: OpenedFile) => void,
  opts?: UpdateOptions,
): Promise<void> {
  const opened = await openFile(path, opts);
  mutate(opened.documents, opened);
  opts?.check?.(plaintextOf(opened), opened);
  await writeFileAtomic(path, reencrypt(opened, opened.documents, path, opts?.now));
}

/**
 * The documents `sopsync validate` would read once `plaintext` is encrypted with this rule and decrypted
 * again: values typed as sops types them (0777 is 511, 2024-01-02 a timestamp's text; in a JSON file only
 * the encrypted ones), safe integers as numbers. Node ranges point into `plaintext`, so problems are
 * reported at the lines the user sees.
 */
export function documentsAsSaved(plaintext: string, fileName: string, format: "yaml" | "json", rule: EncryptionRule): Document[] {
  const docs = parseDocuments(plaintext, fileName);
  try {
    for (const doc of docs) {
      walkDocument(doc, format, (item) => {
        if (item.kind !== "leaf") return;
        // Decryption hands out sops's typing for encrypted leaves and, in YAML, for plaintext ones too.
        if (format === "yaml" || shouldBeEncrypted(rule, item.path, item.stack, false)) {
          const typed = typeScalar(item.node, format);
          if (typed) item.node.value = jsValue(typed);
        }
      });
      visit(doc, {
        Scalar(_key, node) {
          // Keys and anything the walk skipped (nulls) with a safe bigint become numbers, as decryption does.
          if (typeof node.value === "bigint" && Number.isSafeInteger(Number(node.value))) node.value = Number(node.value);
        },
      });
    }
  } catch (e) {
    if (e instanceof TreeShapeError || e instanceof UnsupportedScalarError)
      throw new SopsyncError("SOPS_FORMAT", `${fileName}: ${e.message}`);
    throw e;
  }
  return docs;
}

/** How a value given to `set` is typed. */
export type ValueType = "string" | "number" | "bool" | "json";
export const VALUE_TYPES: readonly ValueType[] = ["string", "number", "bool", "json"];

/** What `set` stores: text typed by `type` (undefined: keep an existing key's type, else a string), or bytes. */
export type NewValue = { kind: "text"; text: string; type?: ValueType } | { kind: "binary"; bytes: Uint8Array };

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** The data `text` stands for as `type`; an error names the type, never the text. */
export function parseTyped(text: string, type: ValueType, where: string): unknown {
  switch (type) {
    case "string":
      return text;
    case "number": {
      const t = text.trim();
      const n = Number(t);
      if (!JSON_NUMBER.test(t) || !Number.isFinite(n))
        throw new SopsyncError("USAGE", `${where}: the value is not a number (type number: digits like 5432, -1 or 1.5)`);
      if (/^-?\d+$/.test(t) && !Number.isSafeInteger(n)) {
        const big = BigInt(t);
        if (big > 2n ** 63n - 1n || big < -(2n ** 63n))
          throw new SopsyncError(
            "USAGE",
            `${where}: the value is not a number sops can store (type number: at most 64-bit integers)`,
          );
        return big;
      }
      return n;
    }
    case "bool": {
      const t = text.trim();
      if (t !== "true" && t !== "false")
        throw new SopsyncError("USAGE", `${where}: the value is not a bool (type bool: true or false)`);
      return t === "true";
    }
    case "json": {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new SopsyncError("USAGE", `${where}: the value is not valid JSON (type json)`);
      }
      // JSON.parse rounds integers beyond 2^53; YAML reads JSON and can keep them whole.
      return /\d{16,}/.test(text) ? safeInts(YAML.parse(text, { intAsBigInt: true, uniqueKeys: false })) : data;
    }
  }
}

function safeInts(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(safeInts);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, safeInts(x)]));
  return v;
}

/** The type a key's current value has, so `set NAME KEY` keeps a number a number. */
function typeOfNode(node: unknown): ValueType | undefined {
  if (isMap(node) || isSeq(node)) return "json";
  if (!isScalar(node)) return undefined;
  if (typeof node.value === "number" || typeof node.value === "bigint") return "number";
  if (typeof node.value === "boolean") return "bool";
  return typeof node.value === "string" ? "string" : undefined;
}

/** A node for new data whose strings read back as the same strings in sops (quoted where yaml.v3 would retype them). */
function nodeFor(doc: Document, data: unknown): Node {
  const node = doc.createNode(data) as Node;
  visit(node, {
    Scalar(_key, s) {
      if (typeof s.value !== "string") return;
      if (s.value.includes("\n")) s.type = Scalar.BLOCK_LITERAL;
      else if (plainWouldRetype(s.value) || s.value === "") s.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return node;
}

export interface SetTarget {
  /** The key path written, e.g. ["secrets", NAME, "value", KEY]. */
  path: string[];
  /** The type stored: the one asked for, the key's kept type, or binary. */
  type: ValueType | "binary";
  /** Set when the secret's other kind of payload (value or binary) was removed: they are exclusive. */
  replaced?: "value" | "binary";
}

/**
 * Sets secrets.NAME.value (or secrets.NAME.value.KEY in a mapping value), or secrets.NAME.binary, in the
 * first document.
 */
export function setSecretValue(
  doc: Document,
  name: string,
  key: string | undefined,
  value: string | NewValue,
  fileName: string,
): SetTarget {
  const v: NewValue = typeof value === "string" ? { kind: "text", text: value } : value;
  const secrets = doc.get("secrets", true);
  if (secrets !== undefined && !isMap(secrets)) {
    throw new SopsyncError("USAGE", `${fileName}: \`secrets\` is not a mapping`);
  }
  const entry = doc.getIn(["secrets", name], true);
  if (entry !== undefined && !isMap(entry) && !(isScalar(entry) && entry.value === null))
    throw new SopsyncError("USAGE", `${fileName}: secrets.${name} is not a mapping`);
  // `NAME:` with nothing under it is an empty entry to fill, not a scalar to write through.
  if (isScalar(entry)) doc.setIn(["secrets", name], doc.createNode({}));
  const drop = (field: "value" | "binary"): "value" | "binary" | undefined =>
    doc.hasIn(["secrets", name, field]) && doc.deleteIn(["secrets", name, field]) ? field : undefined;

  if (v.kind === "binary") {
    if (key !== undefined) throw new SopsyncError("USAGE", "--binary sets the whole secret (its `binary`); drop KEY");
    const replaced = drop("value");
    doc.setIn(["secrets", name, "binary"], doc.createNode(Buffer.from(v.bytes).toString("base64")));
    return { path: ["secrets", name, "binary"], type: "binary", ...(replaced ? { replaced } : {}) };
  }
  const replaced = drop("binary");
  const extra = replaced ? { replaced } : {};
  if (key === undefined) {
    const type = v.type ?? "string";
    const path = ["secrets", name, "value"];
    doc.setIn(path, nodeFor(doc, parseTyped(v.text, type, `secrets.${name}.value`)));
    return { path, type, ...extra };
  }
  const current = doc.getIn(["secrets", name, "value"], true);
  if (current !== undefined && !isMap(current) && !(isScalar(current) && current.value === null)) {
    throw new SopsyncError("USAGE", `${fileName}: secrets.${name}.value is a single value, not a mapping; set it without KEY`);
  }
  if (current === undefined || isScalar(current)) doc.setIn(["secrets", name, "value"], doc.createNode({}));
  const map = doc.getIn(["secrets", name, "value"], true) as YAMLMap;
  const type = v.type ?? typeOfNode(map.get(key, true)) ?? "string";
  map.set(doc.createNode(key), nodeFor(doc, parseTyped(v.text, type, `secrets.${name}.value.${key}`)));
  return { path: ["secrets", name, "value", key], type, ...extra };
}

export interface SetOptions extends UpdateOptions {
  /** Write the value even when the file's rule leaves it unencrypted (a warning goes to `warn`). */
  allowPlaintext?: boolean;
  warn?: (message: string) => void;
  /** Called with what was set, after the change and before `check`. */
  onSet?: (target: SetTarget, opened: OpenedFile) => void;
}

/** `secrets.NAME.value.KEY` is left in plaintext because …; nothing was written. */
function plaintextRefusal(path: string, target: SetTarget, leaves: ReadableLeaf[]): SopsyncError {
  const first = leaves[0] as ReadableLeaf;
  return new SopsyncError(
    "USAGE",
    `${path}: ${target.path.join(".")} would be stored in plaintext: ${first.reason}. Nothing was written; ` +
      "rename the secret or key, or change the file's rule, or pass --allow-plaintext to store it unencrypted",
  );
}

export async function setSecret(
  path: string,
  name: string,
  key: string | undefined,
  value: string | NewValue,
  opts: SetOptions = {},
): Promise<SetTarget> {
  let target: SetTarget | undefined;
  await updateFile(
    path,
    (docs, opened) => {
      const doc = docs[0];
      if (!doc) throw new SopsyncError("SOPS_FORMAT", `${path}: the file has no document`);
      target = setSecretValue(doc, name, key, value, path);
      let leaves: ReadableLeaf[];
      try {
        leaves = readableLeaves(doc, opened.format, opened.metadata.rule, target.path);
      } catch (e) {
        if (e instanceof TreeShapeError || e instanceof UnsupportedScalarError)
          throw new SopsyncError("SOPS_FORMAT", `${path}: ${e.message}`);
        throw e;
      }
      if (leaves.length && !opts.allowPlaintext) throw plaintextRefusal(path, target, leaves);
      if (leaves.length)
        opts.warn?.(
          `warning: ${path}: ${target.path.join(".")} is stored in plaintext (--allow-plaintext): ${leaves[0]?.reason}`,
        );
      opts.onSet?.(target, opened);
    },
    opts,
  );
  return target as SetTarget;
}
