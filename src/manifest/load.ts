// manifest file -> desired state: read the bytes, decrypt with sops (MAC verified), validate.
// Errors from the YAML parser and the sops layer are said here in the manifest's terms, with what to do.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Document } from "yaml";
import { formatProblem, type Problem, SopsyncError } from "../errors.js";
import { parseSopsYaml } from "../sops/document.js";
// From its own module: the sops layer's index also loads the write path, which validation never needs.
import { type DecryptOptions, decryptText } from "../sops/decrypt.js";
import { excluder, whyNotManifest } from "./folder.js";
import type { DesiredState } from "./model.js";
import { invalid, lineCounter, validateManifest } from "./validate.js";
import { yamlErrorMessage } from "./yaml-errors.js";

export interface LoadOptions extends DecryptOptions {
  /** Where warnings go (names AWS advises against, ...); default: stderr as `Warning: file:line:col: ...`. */
  onWarning?: (p: Problem) => void;
}

const stderrWarning = (p: Problem) => {
  process.stderr.write(`Warning: ${formatProblem(p)}\n`);
};

export async function loadManifest(file: string, opts: LoadOptions = {}): Promise<DesiredState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : code === "EACCES"
            ? "permission denied"
            : code;
    throw new SopsyncError("MANIFEST_NOT_FOUND", `${file}: cannot read the manifest: ${why}`);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const text = bytes.toString("utf8");
  refuseSavedPlan(file, text);
  const parsed = checkSyntax(file, text);
  let decrypted: Awaited<ReturnType<typeof decryptText>>;
  try {
    decrypted = await decryptText(text, file, opts, parsed);
  } catch (err) {
    throw err instanceof SopsyncError ? plainSopsError(err, file) : err;
  }
  const doc = decrypted.documents[0];
  if (!doc || decrypted.documents.length !== 1) {
    throw invalid(file, [
      { file, line: 1, col: 1, message: "a manifest is exactly one YAML document; split the others into their own files" },
    ]);
  }
  const desired = validateManifest({ file, text, doc, sha256, floats: decrypted.floats });
  for (const w of desired.warnings ?? []) (opts.onWarning ?? stderrWarning)(w);
  return desired;
}

/** A saved plan passed where a manifest goes (`apply secrets.yaml plan.json`, `plan plan.json`). */
function refuseSavedPlan(file: string, text: string): void {
  if (!/^\s*\{/.test(text)) return;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return;
  }
  if (data === null || typeof data !== "object" || !("planId" in data || "formatVersion" in data)) return;
  // apply reads a saved plan from its first argument when that ends in .json (apply/saved-plan.ts).
  const hint = file.endsWith(".json") ? file : `${file}.json`;
  const rename = hint === file ? "" : ` (a saved plan's name ends in .json: rename it to ${hint})`;
  throw new SopsyncError(
    "USAGE",
    `${file} is a saved plan, not a manifest: give it first, as in \`sopsync apply ${hint} [MANIFEST...]\`${rename}`,
  );
}

/**
 * Every YAML syntax error at once, before decryption, as plain sentences (never the library's text, which
 * quotes the source). Returns the parsed documents for decryption, which then does not parse again.
 */
function checkSyntax(file: string, text: string): Document[] | undefined {
  let docs: Document[];
  try {
    docs = parseSopsYaml(text);
  } catch {
    return undefined; // the sops layer reports what it cannot parse
  }
  if (!Array.isArray(docs)) return undefined;
  if (docs.every((doc) => doc.errors.length === 0)) return docs;
  const at = lineCounter(text);
  const problems: Problem[] = [];
  for (const doc of docs) {
    for (const err of doc.errors) problems.push({ file, ...at(err.pos[0]), message: yamlErrorMessage(err, text) });
  }
  throw invalid(file, problems);
}

/**
 * The sops layer's errors with the cause first and what to do. Its messages stay as they are for the
 * library; the CLI user gets one line that says what happened.
 */
function plainSopsError(err: SopsyncError, file: string): SopsyncError {
  const { code, message } = err;
  if (code === "SOPS_MAC") {
    return new SopsyncError(
      "SOPS_MAC",
      `${file}: MAC mismatch: the file was changed without sops; restore it from git, or re-encrypt it with \`sops\` / \`sopsync edit\``,
      { cause: err },
    );
  }
  if (code === "SOPS_FORMAT" && message.includes("not a sops-encrypted file")) {
    return new SopsyncError(
      "SOPS_FORMAT",
      `${file}: not encrypted with sops (no \`sops:\` block): encrypt it with \`sops encrypt -i ${file}\`, or start with \`sopsync init\``,
      { cause: err },
    );
  }
  if (code === "SOPS_DECRYPT" && message.includes("no key that fits")) {
    // "<file>: no key that fits: ... The file expects: ...\n  <key>: <reason>" -> the reasons first.
    const reasons = message
      .split("\n")
      .slice(1)
      .map((l) => l.trim())
      .filter(Boolean);
    const causes = reasons.map(plainKeyReason);
    const hint = causes.some((c) => c.kms)
      ? "check the network, the region and the credentials for KMS"
      : "set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY to a key the file is encrypted for";
    return new SopsyncError(
      "SOPS_DECRYPT",
      `${file}: cannot decrypt: ${causes.map((c) => c.text).join("; ") || "no key that fits"}; ${hint}`,
      { cause: err },
    );
  }
  return err;
}

function plainKeyReason(line: string): { text: string; kms: boolean } {
  const kms = /^(group \d+: )?AWS KMS /.test(line);
  const sep = line.indexOf(": ", line.startsWith("group ") ? line.indexOf(": ") + 2 : 0);
  const key = sep < 0 ? line : line.slice(0, sep);
  const reason = sep < 0 ? "" : line.slice(sep + 2);
  if (!kms) return { text: `${key}: ${reason}`, kms };
  const net = /(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|socket hang up|TimeoutError)[^;]*/.exec(
    reason,
  );
  const arn = key.replace(/^(group \d+: )?AWS KMS /, "");
  if (net) return { text: `AWS KMS is unreachable (${net[0].replace(/^Error: /, "")}) for ${arn}`, kms };
  if (/^CredentialsProviderError/.test(reason))
    return { text: `no AWS credentials to ask KMS with, for ${arn} (set AWS_PROFILE or keys, or run \`aws sso login\`)`, kms };
  if (/^AccessDeniedException/.test(reason))
    return { text: `access to ${arn} is denied: the credentials need kms:Decrypt on it`, kms };
  if (/^(NotFoundException|DisabledException|KMSInvalidStateException)/.test(reason))
    return { text: `the KMS key ${arn} is missing, disabled or pending deletion (${reason.split(":")[0]})`, kms };
  return { text: `${key}: ${reason}`, kms };
}

export interface ResolveOptions {
  /** `--exclude` globs over the files found in directories (manifest/folder.ts). */
  exclude?: readonly string[];
  /** Told each file of a directory that is not taken, and why; default: a line on stderr. */
  onSkip?: (file: string, why: string) => void;
}

const stderrSkip = (file: string, why: string) => {
  process.stderr.write(`skipped ${file}: ${why}\n`);
};

/**
 * FILE and DIR arguments -> manifest files. A directory contributes its *.yaml/*.yml/*.json files
 * that are sops-encrypted sopsync manifests (manifest/folder.ts); a file named on its own is taken as is.
 */
export async function resolveManifestFiles(args: readonly string[], opts: ResolveOptions = {}): Promise<string[]> {
  const files: string[] = [];
  const excluded = await excluder(opts.exclude ?? []);
  const skip = opts.onSkip ?? stderrSkip;
  for (const arg of args.length ? args : ["secrets.yaml"]) {
    const s = await stat(arg).catch(() => undefined);
    if (!s) throw new SopsyncError("MANIFEST_NOT_FOUND", `${arg}: no such file or directory`);
    if (!s.isDirectory()) {
      files.push(arg);
      continue;
    }
    const entries = (await readdir(arg)).filter((n) => /\.(ya?ml|json)$/.test(n) && !n.startsWith(".")).sort();
    if (entries.length === 0)
      throw new SopsyncError("MANIFEST_NOT_FOUND", `${arg}: no manifest (*.yaml, *.yml, *.json) in this directory`);
    let taken = 0;
    for (const path of entries.map((n) => join(arg, n))) {
      const pattern = excluded(path);
      const why = pattern ? `excluded by --exclude ${pattern}` : await whyNotManifest(path);
      if (why) {
        skip(path, why);
        continue;
      }
      files.push(path);
      taken++;
    }
    if (taken === 0)
      throw new SopsyncError(
        "MANIFEST_NOT_FOUND",
        `${arg}: none of its ${entries.length} *.yaml, *.yml, *.json file(s) is a sops-encrypted sopsync manifest (\`sopsync:\` and \`sops:\` keys); pass the file`,
      );
  }
  return files;
}
