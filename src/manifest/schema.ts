// The manifest's plaintext shape, defined once: the validator uses it and the shipped JSON Schema
// (schema/manifest.schema.json, for editors) is generated from it by scripts/gen-schema.ts.
// Rules that need more than one field (merged tag counts, names against scope.prefix, value sizes)
// live in validate.ts.
import validRange from "semver/ranges/valid.js";
import { z } from "zod";
import { isPlainRecord, isRecord } from "../records.js";

export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
// AWS appends "-" and six random characters to every ARN; a partial ARN of a name ending like that is
// ambiguous, so AWS advises against such names (a warning in validate.ts, not an error).
export const SECRET_NAME_SUFFIX = /-[A-Za-z0-9]{6}$/;

/** Why a name matching SECRET_NAME_SUFFIX is worth a warning (validate and import say the same). */
export function arnSuffixWarning(name: string): string {
  return `'${name}' ends with '-' and six characters, like the random suffix Secrets Manager adds to every secret ARN: a partial ARN naming it is ambiguous; AWS advises against such names`;
}
export const SCOPE_ID = /^[A-Za-z0-9_.:/=+@-]{1,128}$/;
export const MAX_VALUE_BYTES = 65_536;
export const MAX_TAGS = 50;
/** Names under it are the apply lock's (one lock secret per scope), never a declared secret. */
/** The apply lock's secrets (src/run/lock-secret.ts): never declared, listed or managed. */
export const RESERVED_NAME_PREFIX = "sopsync-lock/";
/**
 * sopsync:managed-by is on every secret sopsync writes, sopsync:version on those an earlier sopsync
 * wrote or this one adopted; sopsync:protected when protected, sopsync:recovery-window-days when the
 * secret has its own recovery window.
 */
export const OWNERSHIP_TAGS = 2;
/** AWS tag keys and values: letters, digits, spaces and _ . : / = + - @ */
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const tagKey = z
  .string()
  .min(1, "tag keys are 1-128 characters")
  .max(128, "tag keys are at most 128 characters")
  .regex(TAG_CHARS, "tag keys use letters, digits, spaces and _ . : / = + - @")
  .refine((k) => !k.toLowerCase().startsWith("aws:"), "tag keys starting with 'aws:' are reserved by AWS")
  // IAM compares tag keys case-insensitively (a condition on sopsync:managed-by matches SOPSYNC:managed-by).
  .refine((k) => !k.toLowerCase().startsWith("sopsync:"), "tag keys starting with 'sopsync:' (any case) are reserved by sopsync");
const tagValue = z
  .string()
  .max(256, "tag values are at most 256 characters")
  .regex(TAG_CHARS, "tag values use letters, digits, spaces and _ . : / = + - @");
const tags = z
  .record(tagKey, tagValue)
  .refine(
    (t) => Object.keys(t).length <= MAX_TAGS - OWNERSHIP_TAGS,
    `at most ${MAX_TAGS - OWNERSHIP_TAGS} tags (AWS allows ${MAX_TAGS}; sopsync uses ${OWNERSHIP_TAGS} for ownership)`,
  )
  .describe(
    "tags; sopsync adds sopsync:managed-by (and sopsync:version when it adopts a secret), with protect sopsync:protected, and with the secret's own recoveryWindowDays sopsync:recovery-window-days",
  );
const recoveryWindowDays = z
  .number()
  .int("recovery window is a whole number of days, 7..30")
  .min(7, "recovery window is 7..30 days")
  .max(30, "recovery window is 7..30 days");
const kmsKeyId = z.string().min(1).max(2048).describe("KMS key id, key ARN, alias name (alias/...) or alias ARN");
const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region like us-east-1");
const replica = z.strictObject({ region, kmsKeyId: kmsKeyId.optional() });

// GetRandomPassword's options under their API names, camelCased; AWS allows lengths 1..4096
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html).
export const passwordOptions = z.strictObject({
  length: z
    .number()
    .int("length is a whole number, 1..4096")
    .min(1, "length is 1..4096")
    .max(4096, "length is 1..4096")
    .optional()
    .describe("PasswordLength; AWS's default is 32"),
  excludeCharacters: z.string().max(4096).optional().describe("ExcludeCharacters: characters never used"),
  excludeNumbers: z.boolean().optional(),
  excludePunctuation: z.boolean().optional(),
  excludeUppercase: z.boolean().optional(),
  excludeLowercase: z.boolean().optional(),
  includeSpace: z.boolean().optional(),
  requireEachIncludedType: z.boolean().optional().describe("at least one character of every included type"),
});
const generate = passwordOptions
  .extend({
    keys: z
      .record(z.string().min(1), passwordOptions)
      .optional()
      .describe("JSON keys generated beside the static keys of a mapping `value`; each with its own options"),
  })
  .describe(
    "made by GetRandomPassword when the secret is created, never in git, a plan or any output; afterwards the value belongs to AWS. " +
      "Without `keys`: the whole SecretString (no `value`/`binary`). With `keys`: those JSON keys, added to the mapping `value`",
  );

// RotationRules as RotateSecret takes them: AutomaticallyAfterDays 1..1000 or a ScheduleExpression,
// and a Duration window of 1h..24h (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html).
const rotationConfig = z
  .strictObject({
    lambdaArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/, "a Lambda function ARN")
      .describe("the rotation function; the caller needs lambda:InvokeFunction on it"),
    afterDays: z.number().int("afterDays is a whole number, 1..1000").min(1).max(1000).optional(),
    schedule: z
      .string()
      .regex(/^(rate|cron)\(.+\)$/, "a schedule expression: rate(...) or cron(...)")
      .optional(),
    duration: z
      .string()
      .regex(/^\d{1,2}h$/, "a window such as 3h (1h..24h)")
      .optional(),
    rotateImmediately: z
      .boolean()
      .optional()
      .describe("rotate as soon as rotation is first enabled; default false (AWS still runs the function's testSecret step)"),
  })
  .refine((r) => (r.afterDays === undefined) !== (r.schedule === undefined), "either afterDays or schedule, not both");
const rotation = z
  .union([rotationConfig, z.literal("external"), z.literal("none")])
  .describe(
    "rotation owns the value after create: a rotation config managed here, `external` (configured elsewhere: settings and value left alone), or `none` (rotation is cancelled)",
  );

export const secretSchema = z.strictObject({
  description: z.string().max(2048, "description is at most 2,048 characters").optional().describe("omitted means empty"),
  value: z
    // bigint: an int64 beyond 2^53, which sops decodes exactly.
    .union([z.string(), z.number(), z.bigint(), z.boolean(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .describe(
      "mapping or list -> JSON SecretString (compared semantically); scalar -> SecretString as `sops decrypt --extract` prints it (quote it to keep the spelling)",
    ),
  binary: z.string().optional().describe("base64 -> SecretBinary (compared byte-wise)"),
  generate: generate.optional(),
  kmsKeyId: kmsKeyId.optional(),
  tags: tags.optional(),
  replicas: z
    .array(replica)
    .refine((rs) => new Set(rs.map((r) => r.region)).size === rs.length, "each replica region at most once")
    .optional()
    .describe("omitted: replicas not managed; a list (also []): exactly these regions"),
  policy: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .describe("resource policy document; omitted: not managed; null: none attached"),
  allowPublicPolicy: z
    .boolean()
    .optional()
    .describe(
      "attach the policy even if it grants broad access (PutResourcePolicy without BlockPublicPolicy); default false: AWS refuses such a policy",
    ),
  recoveryWindowDays: recoveryWindowDays.optional(),
  protect: z.boolean().optional().describe("removing this secret from the manifest is a plan error"),
  adopt: z.boolean().optional().describe("may take over an existing secret of this name that nobody manages"),
  rotation: rotation.optional(),
});
// `value` xor `binary` is checked by the validator on the raw document (validate.ts), so it is
// reported even when other keys of the same secret fail the schema.

export const manifestSchema = z.strictObject({
  sopsync: z.literal(1, "format version: `sopsync: 1`"),
  requiredVersion: z
    .string()
    .refine((r) => validRange(r) !== null, 'a semver range of sopsync versions, such as ">=0.2.0"')
    .optional()
    .describe('the sopsync versions this manifest needs (a semver range, e.g. ">=0.2.0"); other versions refuse it'),
  target: z
    .strictObject({
      region: region.optional(),
      account: z
        .string()
        .regex(/^\d{12}$/, "a 12-digit AWS account id, quoted")
        .optional(),
      profile: z.string().min(1).optional(),
      roleArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN")
        .optional(),
    })
    .optional(),
  scope: z.strictObject({
    id: z.string().regex(SCOPE_ID, "1-128 characters of A-Za-z0-9_.:/=+@-"),
    prefix: z
      .string()
      .min(1)
      .optional()
      .describe("every declared name must start with it; unmanaged secrets under it are listed"),
  }),
  defaults: z
    .strictObject({
      kmsKeyId: kmsKeyId.optional(),
      recoveryWindowDays: recoveryWindowDays.optional(),
      tags: tags.optional(),
      rotation: rotation.optional(),
    })
    .optional(),
  secrets: z.record(z.string(), secretSchema).nullable().optional(),
});

/**
 * manifestSchema as the validator runs it: a secret's `value` is checked by validate.ts with
 * isValueForm, which accepts exactly what the `value` union accepts. Run per secret, the union tries its
 * forms in turn (four failed tries, each an issue object, for every mapping value): the largest part of
 * validating a manifest of thousands of secrets. The editors' JSON Schema stays manifestSchema's.
 */
export const manifestCheck = manifestSchema.extend({
  secrets: z
    .record(z.string(), secretSchema.extend({ value: z.unknown().optional() }))
    .nullable()
    .optional(),
});

/**
 * What secretSchema's `value` union accepts (zod 4.1): a string, a finite number, a bigint, a boolean,
 * a list, or a plain mapping (zod's isPlainObject: no prototype, or a constructor whose prototype has
 * its own isPrototypeOf, as Object's does).
 */
export function isValueForm(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "bigint":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v);
    case "object":
      return Array.isArray(v) || isPlainRecord(v);
    default:
      return false;
  }
}

/**
 * manifestCheck.safeParse(data), with the same answer, faster for a large manifest: a secret holding
 * nothing but a `value` of an accepted form passes the secret schema unchanged (zod returns it as
 * `{ value }`), so zod is given the other secrets only, and those are put back in their places.
 * Every issue is about a secret zod is given or about the rest of the manifest, at the same path.
 */
export function checkManifest(data: unknown): ReturnType<typeof manifestCheck.safeParse> {
  const secrets = isRecord(data) ? data.secrets : undefined;
  if (!isRecord(data) || !isPlainRecord(secrets)) return manifestCheck.safeParse(data);
  const names = Object.keys(secrets);
  // A `__proto__` name goes to zod, which skips it (own-keys.ts), as it would in the whole manifest.
  const bare = names.map((name) => name !== "__proto__" && isBareValue(secrets[name]));
  const others = Object.create(null) as Record<string, unknown>;
  names.forEach((name, i) => {
    if (!bare[i]) others[name] = secrets[name];
  });
  const parsed = manifestCheck.safeParse({ ...data, secrets: others });
  if (!parsed.success || !parsed.data.secrets) return parsed;
  const checked = parsed.data.secrets;
  const all: typeof checked = {};
  names.forEach((name, i) => {
    if (bare[i]) all[name] = { value: (secrets[name] as { value: unknown }).value };
    else if (Object.hasOwn(checked, name))
      // As zod fills its record: a key is an own property, never the object's prototype.
      Object.defineProperty(all, name, { value: checked[name], writable: true, enumerable: true, configurable: true });
  });
  return { ...parsed, data: { ...parsed.data, secrets: all } };
}

function isBareValue(entry: unknown): boolean {
  if (!isPlainRecord(entry)) return false;
  const keys = Object.keys(entry);
  return keys.length === 1 && keys[0] === "value" && isValueForm(entry.value);
}

export type ManifestDoc = z.infer<typeof manifestSchema>;
export type RotationInput = z.infer<typeof rotation>;
