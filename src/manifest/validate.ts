// Turns a decrypted manifest document into the desired state, or reports every problem at once,
// each with file:line:col. Runs before any AWS call: moto (and parts of AWS) accept invalid input.
import { isMap, isPair, isScalar, type Document, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import type { z } from "zod";
import { formatProblem, type Problem, SopsyncError } from "../errors.js";
import { isRecord, ownRecord } from "../records.js";
import { toJSWithoutMerge } from "../sops/document.js";
import { formatYamlFloat } from "../sops/gofmt.js";
import { DEFAULT_RECOVERY_WINDOW_DAYS, type DesiredSecret, type DesiredState, type DesiredValue } from "./model.js";
import {
  arnSuffixWarning,
  MAX_TAGS,
  MAX_VALUE_BYTES,
  checkManifest,
  isValueForm,
  OWNERSHIP_TAGS,
  secretSchema,
  RESERVED_NAME_PREFIX,
  SECRET_NAME,
  SECRET_NAME_SUFFIX,
} from "./schema.js";
import { requiredVersionProblem } from "./required-version.js";
import { rotationOf } from "./rotation.js";
import { hideSpecialKeys, realKey, restoreSpecialKeys, type StandIns, standInsFor } from "./own-keys.js";
import { excludesEveryType, generateSpec } from "./generate.js";
import { scalarText, storedSize, toStoredValue } from "./values.js";
import { yamlErrorMessage } from "./yaml-errors.js";

type PathKey = string | number;
type Report = (path: readonly PathKey[], message: string, key?: boolean) => void;

/** Maps a character offset in the file to 1-based line and column. */
export function lineCounter(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  };
}

/**
 * The node at `path`, or its nearest existing ancestor; `key` picks the key node of the last step.
 * A mapping step takes the first pair whose scalar key reads as the step; each mapping's pairs are
 * indexed by that text once (in `index`), so finding every secret is linear in their number.
 */
function nodeAt(
  doc: Document,
  path: readonly PathKey[],
  key: boolean,
  index: WeakMap<object, Map<string, Pair>>,
): Node | undefined {
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    if (!node || typeof node !== "object" || !("items" in node)) break;
    const items = (node as { items: unknown[] }).items;
    const step = path[i];
    let next: unknown;
    if (isMap(node)) {
      const pair = pairNamed(node, String(step), index);
      if (!pair) break;
      next = key && i === path.length - 1 ? pair.key : pair.value;
    } else {
      next = items[Number(step)];
    }
    if (!next) break;
    node = next;
    found = next as Node;
  }
  return found;
}

/** A mapping this small is searched in place: indexing each secret's few keys costs more than it saves. */
const SCAN_AT_MOST = 8;

function pairNamed(map: YAMLMap, name: string, index: WeakMap<object, Map<string, Pair>>): Pair | undefined {
  const items = map.items as unknown[];
  if (items.length <= SCAN_AT_MOST) {
    for (const p of items) if (isPair(p) && isScalar(p.key) && String(p.key.value) === name) return p;
    return undefined;
  }
  let pairs = index.get(map);
  if (!pairs) {
    pairs = new Map();
    for (const p of items) {
      if (!isPair(p) || !isScalar(p.key)) continue;
      const k = String(p.key.value);
      if (!pairs.has(k)) pairs.set(k, p);
    }
    index.set(map, pairs);
  }
  return pairs.get(name);
}

export function validateManifest(input: {
  file: string;
  text: string;
  doc: Document;
  sha256: string;
  /** The leaves sops holds as floats (from decryption): their SecretString is Go's text. */
  floats?: WeakSet<Scalar>;
}): DesiredState {
  const { file, text, doc } = input;
  const at = lineCounter(text);
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  // The document is not changed here, so each mapping's index of pairs holds for the whole call.
  const index = new WeakMap<object, Map<string, Pair>>();
  const place = (path: readonly PathKey[], key: boolean) => ({ file, ...at(nodeAt(doc, path, key, index)?.range?.[0] ?? 0) });
  const report: Report = (path, message, key = false) => {
    problems.push({ ...place(path, key), message });
  };
  const warn: Report = (path, message, key = false) => {
    warnings.push({ ...place(path, key), message });
  };

  for (const err of doc.errors) {
    problems.push({ file, ...at(err.pos[0]), message: yamlErrorMessage(err, text) });
  }
  const data = toJSWithoutMerge(doc, { maxAliasCount: 100 }); // `<<` is a key, as sops reads it
  // A manifest for another sopsync may use keys this one does not know: that is the only problem worth saying.
  const versionProblem = requiredVersionProblem(isRecord(data) ? data.requiredVersion : undefined);
  if (versionProblem) {
    report(["requiredVersion"], versionProblem);
    throw invalid(file, problems);
  }
  // Likewise a manifest of another format version.
  const format = isRecord(data) ? data.sopsync : undefined;
  if (typeof format === "number" && format !== 1) {
    report(["sopsync"], `format version ${format} is not supported by this build of sopsync, which reads 1`);
    throw invalid(file, problems);
  }
  const standIns = standInsFor(data);
  const parsed = checkManifest(hideSpecialKeys(data, standIns));
  if (!parsed.success) for (const issue of parsed.error.issues) reportIssue(issue, report, standIns, data);
  checkSecretEntries(data, report, warn);
  if (!parsed.success || problems.length) {
    checkValuesOfWellFormedSecrets(data, report);
    throw invalid(file, problems);
  }

  const m = restoreSpecialKeys(parsed.data, standIns);
  const defaults = m.defaults ?? {};
  const secrets: DesiredSecret[] = [];
  for (const [name, s] of Object.entries(m.secrets ?? {})) {
    const path = ["secrets", name];
    const generate = generateSpec(s.generate);
    const checked = checkSecret(name, s, defaults.tags, report);
    if (!checked) continue;
    const { tags } = checked;
    // Only a number can have been a float leaf (its node holds the number toJS copied into s.value).
    const value =
      typeof s.value === "number"
        ? floatAsSopsPrintsIt(checked.value, nodeAt(doc, [...path, "value"], false, index), input.floats)
        : checked.value;
    const protect = s.protect ?? false;
    const ownWindow = s.recoveryWindowDays !== undefined;
    const node = nodeAt(doc, path, true, index);
    secrets.push({
      name,
      value,
      ...(generate ? { generate } : {}),
      description: s.description ?? "",
      kmsKeyId: s.kmsKeyId ?? defaults.kmsKeyId,
      tags,
      policy: s.policy,
      ...(s.allowPublicPolicy ? { allowPublicPolicy: true } : {}),
      replicas: s.replicas,
      recoveryWindowDays: s.recoveryWindowDays ?? defaults.recoveryWindowDays ?? DEFAULT_RECOVERY_WINDOW_DAYS,
      ...(ownWindow ? { recoveryWindowOwn: true } : {}),
      protect,
      adopt: s.adopt ?? false,
      ...rotationOf(s.rotation ?? defaults.rotation),
      at: { file, ...at(node?.range?.[0] ?? 0) },
    });
  }
  if (problems.length) throw invalid(file, problems);
  secrets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    file,
    manifests: [{ file, sha256: input.sha256 }],
    target: m.target ?? {},
    scope: m.scope,
    recoveryWindowDays: defaults.recoveryWindowDays ?? DEFAULT_RECOVERY_WINDOW_DAYS,
    secrets,
    ...(warnings.length ? { warnings: sortProblems(warnings) } : {}),
  };
}

/**
 * A float scalar is stored as the text `sops decrypt --extract` prints (yaml.v3's 'g' formatting:
 * 1e-07, 1.5e+06, -0), which JavaScript's number text does not match and which a number cannot tell
 * from an int of the same value.
 */
function floatAsSopsPrintsIt(value: DesiredValue, node: Node | undefined, floats: WeakSet<Scalar> | undefined): DesiredValue {
  if (value.kind !== "string" || !isScalar(node) || !floats?.has(node) || typeof node.value !== "number") return value;
  return { kind: "string", text: formatYamlFloat(node.value) };
}

type SecretInput = Pick<z.infer<typeof secretSchema>, "binary" | "generate" | "tags" | "protect" | "recoveryWindowDays"> & {
  value?: unknown;
};

/** The checks that need a well-formed secret: its stored value (base64, empty, size) and its merged tag count. */
function checkSecret(
  name: string,
  s: SecretInput,
  defaultTags: Record<string, string> | undefined,
  report: Report,
): { value: DesiredValue; tags: Record<string, string> } | undefined {
  const path = ["secrets", name];
  const value =
    generateSpec(s.generate)?.form === "whole"
      ? ({ kind: "string", text: "" } as const)
      : desiredValue(s, [...path, s.binary !== undefined ? "binary" : "value"], report);
  const tags = ownRecord(Object.entries(defaultTags ?? {}), Object.entries(s.tags ?? {}));
  const maxTags = MAX_TAGS - OWNERSHIP_TAGS - (s.protect ? 1 : 0) - (s.recoveryWindowDays !== undefined ? 1 : 0);
  if (Object.keys(tags).length > maxTags) {
    report(
      s.tags ? [...path, "tags"] : path,
      `${Object.keys(tags).length} tags with defaults.tags merged; at most ${maxTags} (AWS allows ${MAX_TAGS} including sopsync's own)`,
      !s.tags,
    );
  }
  return value ? { value, tags } : undefined;
}

/**
 * When the manifest as a whole fails its schema, the secrets that are well formed on their own still
 * get their value and tag checks, so one run reports every problem (not schema first, sizes next time).
 */
function checkValuesOfWellFormedSecrets(data: unknown, report: Report): void {
  if (!isRecord(data) || !isRecord(data.secrets)) return;
  const defaults = isRecord(data.defaults) ? data.defaults : {};
  const tags = isRecord(defaults.tags) && Object.values(defaults.tags).every((v) => typeof v === "string") ? defaults.tags : {};
  for (const [name, entry] of Object.entries(data.secrets)) {
    const s = secretSchema.safeParse(entry);
    // Exactly one of value, binary or a whole generated value (checkSecretEntries reports the rest).
    const forms = s.success ? [s.data.value, s.data.binary, s.data.generate].filter((x) => x !== undefined).length : 0;
    const keysOnly = s.success && s.data.generate?.keys !== undefined;
    if (s.success && ((forms === 1 && !keysOnly) || (forms === 2 && keysOnly && s.data.binary === undefined)))
      checkSecret(name, s.data, tags as Record<string, string>, report);
  }
}

/**
 * Name rules and value-or-binary, checked on the raw document: zod skips an object's refinements once
 * one of its keys fails, and every problem must be reported at once.
 */
function checkSecretEntries(data: unknown, report: Report, warn: Report): void {
  if (!isRecord(data) || !isRecord(data.secrets)) return;
  const scope = isRecord(data.scope) ? data.scope : {};
  const prefix = typeof scope.prefix === "string" && scope.prefix ? scope.prefix : undefined;
  for (const name of Object.keys(data.secrets)) {
    const path = ["secrets", name];
    if (!SECRET_NAME.test(name)) report(path, "secret names are 1-512 characters of A-Za-z0-9/_+=.@-", true);
    else if (SECRET_NAME_SUFFIX.test(name))
      // AWS accepts such names and only advises against them: a partial ARN ending like its random
      // suffix is taken for a complete ARN (CreateSecret's Name parameter,
      // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html). sopsync
      // calls AWS by name, never by partial ARN, so this is a warning.
      warn(path, arnSuffixWarning(name), true);
    if (name.startsWith(RESERVED_NAME_PREFIX))
      report(path, `secret names starting with '${RESERVED_NAME_PREFIX}' are reserved for sopsync's apply lock`, true);
    if (prefix && !name.startsWith(prefix)) report(path, `secret name is outside scope.prefix '${prefix}'`, true);
    const entry = data.secrets[name];
    if (!isRecord(entry)) continue;
    // The schema the validator runs leaves `value` to this check (schema.ts, manifestCheck).
    if (entry.value !== undefined && !isValueForm(entry.value)) report([...path, "value"], valueFormProblem([...path, "value"]));
    if (entry.value === undefined && entry.binary === undefined && entry.generate === undefined)
      report(path, `secrets.${name}: a secret needs \`value\`, \`binary\` or \`generate\``);
    checkGenerate(entry, [...path, "generate"], report);
    if (entry.value !== undefined && entry.binary !== undefined)
      report(path, `secrets.${name}: \`value\` and \`binary\` are exclusive`);
    // Without a policy to attach the flag would do nothing, and its reader would believe otherwise.
    if (entry.allowPublicPolicy === true && (entry.policy === undefined || entry.policy === null))
      report([...path, "allowPublicPolicy"], `secrets.${name}: \`allowPublicPolicy\` needs a \`policy\` to attach`, true);
    if (isRecord(entry.policy)) checkPolicyVersion(entry.policy.Version, [...path, "policy", "Version"], report);
  }
}

// The policy language knows two versions
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
const POLICY_VERSIONS = ["2012-10-17", "2008-10-17"];

/**
 * An unquoted `Version: 2012-10-17` is a timestamp to yaml.v3, so sops (and sopsync, reading as sops
 * does) holds 2012-10-17T00:00:00Z, which PutResourcePolicy refuses. Said here, with the fix.
 */
function checkPolicyVersion(version: unknown, path: PathKey[], report: Report): void {
  if (version === undefined || (typeof version === "string" && POLICY_VERSIONS.includes(version))) return;
  const date = typeof version === "string" ? /^(\d{4}-\d\d-\d\d)T00:00:00Z$/.exec(version)?.[1] : undefined;
  report(
    path,
    date
      ? `secrets.${path[1]}: policy Version ${date} unquoted is read as a timestamp (YAML, as sops reads it); quote it: Version: "${date}"`
      : `secrets.${path[1]}: policy Version must be "2012-10-17" or "2008-10-17"`,
  );
}

/** `generate` against the secret's other keys (generate.ts reads it once these hold). */
function checkGenerate(entry: Record<string, unknown>, path: PathKey[], report: Report): void {
  const g = entry.generate;
  if (!isRecord(g)) return;
  const name = path[1];
  if (entry.binary !== undefined) report(path, `secrets.${name}: \`generate\` and \`binary\` are exclusive`, true);
  const noType = `secrets.${name}: every character type is excluded; GetRandomPassword would have nothing to use`;
  if (g.keys === undefined) {
    if (excludesEveryType(g)) report(path, noType, true);
    if (entry.value !== undefined)
      report(
        path,
        `secrets.${name}: \`generate\` without \`keys\` makes the whole value; drop \`value\` or generate \`keys\``,
        true,
      );
    return;
  }
  if (!isRecord(g.keys)) return;
  const stray = Object.keys(g).filter((k) => k !== "keys");
  if (stray.length)
    report([...path, stray[0] as string], `secrets.${name}: with \`generate.keys\`, options go under each key`, true);
  if (Object.keys(g.keys).length === 0) report([...path, "keys"], `secrets.${name}: \`generate.keys\` names no key`, true);
  if (!isRecord(entry.value)) {
    report(path, `secrets.${name}: \`generate.keys\` adds keys to a JSON mapping: \`value\` must be a mapping`, true);
    return;
  }
  for (const [k, o] of Object.entries(g.keys))
    if (isRecord(o) && excludesEveryType(o)) report([...path, "keys", k], noType, true);
  for (const k of Object.keys(g.keys))
    if (Object.hasOwn(entry.value, k))
      report([...path, "keys", k], `secrets.${name}: key '${k}' is both in \`value\` and generated`, true);
}

function desiredValue(s: { value?: unknown; binary?: string }, path: PathKey[], report: Report): DesiredValue | undefined {
  let value: DesiredValue;
  if (s.binary !== undefined) {
    const b64 = s.binary.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      report(path, "`binary` must be base64");
      return undefined;
    }
    value = { kind: "binary", bytes: new Uint8Array(Buffer.from(b64, "base64")) };
  } else if (s.value !== null && typeof s.value === "object" && !(s.value instanceof Date)) {
    value = { kind: "json", data: s.value };
  } else {
    value = { kind: "string", text: scalarText(s.value) };
  }
  const size = storedSize(toStoredValue(value));
  // AWS refuses an empty SecretString or SecretBinary ("Minimum length of 1",
  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html); moto stores it.
  if (size === 0) {
    report(
      path,
      value.kind === "binary"
        ? "`binary` is empty; Secrets Manager needs at least 1 byte"
        : "`value` is empty; Secrets Manager needs at least 1 character",
    );
    return undefined;
  }
  if (size > MAX_VALUE_BYTES) {
    // The size itself is not reported: a value's length is one of the things never shown.
    report(path, `the stored value is larger than ${MAX_VALUE_BYTES.toLocaleString("en-US")} bytes, Secrets Manager's limit`);
    return undefined;
  }
  return value;
}

function reportIssue(issue: z.core.$ZodIssue, report: Report, standIns: StandIns, data: unknown): void {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : realKey(p, standIns)));
  if (issue.code === "unrecognized_keys") {
    for (const k of issue.keys) {
      const key = realKey(k, standIns);
      report([...path, key], `unknown key '${key}'${where(path, " in ")}`, true);
    }
    return;
  }
  if (issue.code === "invalid_key") {
    // A record key (a tag key) failed: report the key's own problems at the key, without repeating it.
    for (const inner of issue.issues) {
      const text = plainIssue(inner, [], undefined);
      report(
        path,
        `${where(path.slice(0, -1), "", ": ")}${text === "must not be empty" ? "a key must not be empty" : text}`,
        true,
      );
    }
    return;
  }
  report(path, plainIssue(issue, path, data));
}

function valueFormProblem(path: readonly PathKey[]): string {
  return `${where(path, "", ": ")}expected a string, number, boolean, mapping or list`;
}

const NOUN: Readonly<Record<string, string>> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  bigint: "a number",
  boolean: "true or false",
  null: "nothing (null)",
  undefined: "nothing",
};

function kindOf(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  if (x instanceof Date) return "date";
  return typeof x;
}

function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let x = data;
  for (const k of path) x = isRecord(x) || Array.isArray(x) ? (x as Record<PathKey, unknown>)[k] : undefined;
  return x;
}

/**
 * The schema library's issue as a sentence about the manifest: its own defaults ("Invalid input:
 * expected object, received undefined") never reach the user; the messages schema.ts sets are kept.
 */
function plainIssue(issue: z.core.$ZodIssue, path: readonly PathKey[], data: unknown): string {
  const name = path.join(".");
  const at = where(path, "", ": ");
  const got = valueAt(data, path);
  if (issue.code === "invalid_type") {
    if (got === undefined) {
      if (name === "sopsync") return "missing `sopsync: 1`, the format version, at the top of the manifest";
      if (name === "scope") return "missing `scope`: every manifest needs `scope.id`, the owner written to its secrets' tags";
      return `missing \`${name}\``;
    }
    if (name === "target.account" && (typeof got === "number" || typeof got === "bigint"))
      return 'target.account: quote the account id: it is a 12-digit string, as in account: "012345678901"';
    if (got === null) return `\`${name}\` is empty: give it a value or remove the key`;
    // A message of schema.ts's own (whole numbers: "recovery window is a whole number of days").
    if (!/^Invalid input/.test(issue.message)) return `${at}${issue.message}`;
    const expected = NOUN[issue.expected] ?? issue.expected;
    const quote = issue.expected === "string" && typeof got !== "object" ? " (quote it to make it a string)" : "";
    return `${at}expected ${expected}, not ${NOUN[kindOf(got)] ?? kindOf(got)}${quote}`;
  }
  if (issue.code === "invalid_value" && name === "sopsync")
    return got === undefined
      ? "missing `sopsync: 1`, the format version, at the top of the manifest"
      : "`sopsync` is the format version: write `sopsync: 1`";
  if (issue.code === "invalid_value") return `${at}expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "invalid_union" && path[path.length - 1] === "rotation")
    return `${at}expected a mapping (lambdaArn with afterDays or schedule), \`external\` or \`none\``;
  if (issue.code === "invalid_union") return `${at}not one of the forms this key accepts`;
  // Limits without a message of their own in schema.ts (strings that must not be empty, lengths).
  if (issue.code === "too_small" && /^Too small/.test(issue.message))
    return issue.origin === "string" && Number(issue.minimum) === 1
      ? `${at}must not be empty`
      : `${at}at least ${issue.minimum}${issue.origin === "string" ? " characters" : ""}`;
  if (issue.code === "too_big" && /^Too big/.test(issue.message))
    return `${at}at most ${issue.maximum}${issue.origin === "string" ? " characters" : ""}`;
  if (/^Invalid /.test(issue.message)) return `${at}not valid here`;
  return `${at}${issue.message}`;
}

function where(path: readonly PathKey[], before: string, after = ""): string {
  return path.length ? `${before}${path.join(".")}${after}` : "";
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : 1));
}

/** Every problem of a file, sorted by line: one problem is the whole message, several get a count line first. */
export function invalid(file: string, problems: Problem[]): SopsyncError {
  sortProblems(problems);
  const n = problems.length;
  const message = n === 1 ? formatProblem(problems[0] as Problem) : `${file}: ${n} problems in the manifest`;
  return new SopsyncError("MANIFEST_INVALID", message, { problems });
}
