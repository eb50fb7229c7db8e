// Reading a saved plan. Whoever can edit the file controls it, so it is checked field by field before
// anything in it is used or printed: ids and times have strict forms (a newline in a plan id must
// never reach a CI log, where a line starting with `::` is a workflow command), names follow AWS's
// rules, and unknown fields are refused. Passing this check says nothing about whether the plan may
// be applied: that is compare.ts's job, against a fresh plan.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { SopsyncError } from "../errors.js";
import { SCOPE_ID, SECRET_NAME } from "../manifest/schema.js";
import { PLAN_FORMAT_VERSION, type Plan } from "../plan/model.js";
import { hasControlCharacter } from "../plan/printable.js";
import { isPattern } from "../plan/selection.js";

const noControlCharacters = (s: string) => !hasControlCharacter(s);
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "a UUID");
const name = z.string().regex(SECRET_NAME, "a secret name");
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region");
const text = z.string().max(2048);
const tagKey = z.string().min(1).max(128);
const tagValue = z.string().max(256);
const kmsKeyId = z.string().min(1).max(2048);
const valueKind = z.enum(["json", "string", "binary"]);
/** An AWS service id as OwningService names it (`rds`, `appflow`): printable, never free text. */
const owningService = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, "an AWS service id");
const json = z.unknown().refine((v) => v !== undefined, "a JSON value");
const passwordOptions = z.strictObject({
  length: z.number().int().min(1).max(4096).optional(),
  excludeCharacters: z.string().max(4096).optional(),
  excludeNumbers: z.boolean().optional(),
  excludePunctuation: z.boolean().optional(),
  excludeUppercase: z.boolean().optional(),
  excludeLowercase: z.boolean().optional(),
  includeSpace: z.boolean().optional(),
  requireEachIncludedType: z.boolean().optional(),
});
const generatePlan = passwordOptions.extend({ keys: z.record(z.string().min(1).max(1024), passwordOptions).optional() });

const lambdaArn = z.string().regex(/^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_:$-]{1,170}$/, "a Lambda ARN");
const rotationRules = z.strictObject({
  automaticallyAfterDays: z.number().int().min(1).max(1000).optional(),
  scheduleExpression: z.string().min(1).max(256).refine(noControlCharacters, "a schedule expression").optional(),
  duration: z
    .string()
    .regex(/^\d{1,2}h$/, "a duration such as 3h")
    .optional(),
});
/** As the account reports it (display only): printable, whatever its form. */
const driftNote = z.strictObject({
  kind: z.literal("rotation-enabled-outside"),
  lambdaArn: z.string().min(1).max(2048).refine(noControlCharacters, "an ARN without control characters").optional(),
  value: z.enum(["rotated", "changed-outside"]).optional(),
});
const note = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("value-owned-by-rotation"),
    lastRotated: z.iso.datetime({ offset: true }).optional(),
    value: z.enum(["rotated", "changed-outside"]).optional(),
  }),
  z.strictObject({ kind: z.literal("value-change-ignored") }),
]);

const precondition = z.discriminatedUnion("state", [
  z.strictObject({ state: z.literal("absent") }),
  z.strictObject({
    state: z.enum(["present", "pending-deletion"]),
    versionId: z.string().min(1).max(64).nullable(),
    managedBy: z.string().max(256).nullable(),
    protected: z.boolean(),
    description: text,
    kmsKeyId: kmsKeyId.nullable(),
    valueOwner: z.literal("rotation").optional(),
  }),
]);

const action = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("create"),
    valueKind,
    description: text,
    kmsKeyId: kmsKeyId.optional(),
    tags: z.record(tagKey, tagValue),
    generate: generatePlan.optional(),
  }),
  z.strictObject({
    type: z.literal("update-value"),
    valueKind,
    cause: z.enum([
      "manifest-changed",
      "changed-outside",
      "unknown",
      "not-readable",
      "no-current-value",
      "kms-key-changed",
      "rotated",
    ]),
    keys: z.array(z.strictObject({ key: z.string().max(1024), change: z.enum(["added", "changed", "removed"]) })).optional(),
  }),
  z.strictObject({
    type: z.literal("update-metadata"),
    description: z.strictObject({ before: text, after: text }).optional(),
    kmsKeyId: z.strictObject({ before: kmsKeyId.optional(), after: kmsKeyId.optional() }).optional(),
  }),
  z.strictObject({
    type: z.literal("tag"),
    tags: z.record(tagKey, z.strictObject({ before: tagValue.optional(), after: tagValue })),
  }),
  z.strictObject({ type: z.literal("untag"), tags: z.record(tagKey, tagValue) }),
  z.strictObject({
    type: z.literal("put-policy"),
    before: json.optional(),
    after: json,
    // Optional so a plan from before the field reads, and is then refused as differing from a fresh one.
    blockPublicPolicy: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal("delete-policy"), before: json.optional() }),
  z.strictObject({ type: z.literal("add-replica"), region, kmsKeyId: kmsKeyId.optional() }),
  z.strictObject({ type: z.literal("remove-replica"), region }),
  z.strictObject({ type: z.literal("restore") }),
  z.strictObject({ type: z.literal("adopt") }),
  z.strictObject({
    type: z.literal("delete"),
    recoveryWindowDays: z.number().int().min(7).max(30),
    // Optional so a plan from before the field reads, and is then refused as differing from a fresh one.
    recoveryWindowFrom: z.enum(["secret", "defaults"]).optional(),
  }),
  z.strictObject({ type: z.literal("enable-rotation"), lambdaArn, rules: rotationRules, rotateImmediately: z.boolean() }),
  z.strictObject({
    type: z.literal("update-rotation"),
    before: z.strictObject({ lambdaArn: lambdaArn.optional(), rules: rotationRules.optional() }),
    lambdaArn,
    rules: rotationRules,
    rotateImmediately: z.literal(false),
  }),
  z.strictObject({ type: z.literal("cancel-rotation"), lambdaArn: lambdaArn.optional() }),
]);

const replicaNote = z.strictObject({
  region,
  status: z.string().regex(/^[A-Za-z]{1,32}$/, "a replication status"),
  message: z.string().min(1).max(4096).refine(noControlCharacters, "a message without control characters").optional(),
});

const count = z.number().int().min(0);
const target = z.strictObject({
  manifests: z
    .array(
      z.strictObject({
        file: z.string().min(1).max(4096).refine(noControlCharacters, "a file name without control characters"),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .min(1),
  target: z.strictObject({ account: z.string().regex(/^\d{12}$/, "a 12-digit account id"), region }),
  scope: z.strictObject({ id: z.string().regex(SCOPE_ID, "a scope id"), prefix: z.string().min(1).max(512).optional() }),
  changes: z.array(
    z.strictObject({
      name,
      actions: z.array(action),
      precondition,
      replicaStatus: z.array(replicaNote).optional(),
      notes: z.array(note).optional(),
      drift: z.array(driftNote).optional(),
    }),
  ),
  unmanaged: z.array(name),
  replicaSecrets: z.array(z.strictObject({ name, primaryRegion: region })).optional(),
  serviceSecrets: z.array(z.strictObject({ name, owningService })).optional(),
  summary: z.strictObject({
    create: count,
    update: count,
    restore: count,
    adopt: count,
    delete: count,
    noop: count,
    drift: count.optional(),
  }),
  subset: z.strictObject({ selected: count, total: count }).optional(),
});

const planSchema = z.strictObject({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  planId: uuid,
  createdAt: z.iso.datetime({ offset: true }),
  only: z.array(z.string().refine(isPattern, "a secret name or glob")).min(1).max(100).optional(),
  targets: z.array(target).min(1),
});

/** Checks parsed JSON as a saved plan; refuses anything else, naming where it is wrong (never echoing it). */
export function parseSavedPlan(data: unknown, file: string): Plan {
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version !== PLAN_FORMAT_VERSION) {
    throw new SopsyncError(
      "PLAN_INVALID",
      `${file}: plan format version ${version} is not supported (this sopsync reads version ${PLAN_FORMAT_VERSION}); run plan again`,
    );
  }
  const r = planSchema.safeParse(data);
  if (!r.success) {
    const where = r.error.issues.slice(0, 5).map((i) => `at ${printablePath(i.path)}: ${issueText(i)}`);
    throw new SopsyncError("PLAN_INVALID", `${file}: not a valid sopsync plan (was it edited?)\n  ${where.join("\n  ")}`);
  }
  // The parsed input, not zod's copy: JSON.parse keeps every key as an own property, names like
  // `__proto__` included, where building a copy by assignment would not.
  return data as Plan;
}

/** Keys come from the file: anything but a plain word is quoted, so no newline reaches the output. */
function printablePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top)";
  return path.map((k) => (typeof k === "number" || /^[\w-]+$/.test(String(k)) ? String(k) : JSON.stringify(String(k)))).join(".");
}

function issueText(i: z.core.$ZodIssue): string {
  if (i.code === "unrecognized_keys") return `unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(", ")}`;
  return i.message;
}

/** A file that holds a saved plan, or undefined when it is something else (a manifest). */
export async function readSavedPlan(file: string): Promise<Plan | undefined> {
  if (!file.endsWith(".json")) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const why = err instanceof SyntaxError ? "not valid JSON" : ((err as NodeJS.ErrnoException).code ?? "unreadable");
    throw new SopsyncError("PLAN_INVALID", `${file}: not a readable plan file (${why})`);
  }
  const p = data as { planId?: unknown; formatVersion?: unknown } | null;
  if (p === null || typeof p !== "object" || (p.planId === undefined && p.formatVersion === undefined)) return undefined;
  return parseSavedPlan(data, file);
}
