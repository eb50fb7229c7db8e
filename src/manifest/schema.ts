// The manifest's plaintext shape, defined once: the validator uses it and the shipped JSON Schema
// (schema/manifest.schema.json, for editors) is generated from it by scripts/gen-schema.ts.
import { z } from "zod";

export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
// AWS appends "-" and six random characters to every ARN; a name ending like that is ambiguous.
export const SECRET_NAME_SUFFIX = /-[A-Za-z0-9]{6}$/;
export const MAX_VALUE_BYTES = 65_536;

const tagKey = z
  .string()
  .min(1)
  .max(128, "tag keys are at most 128 characters")
  .refine((k) => !k.toLowerCase().startsWith("aws:"), "tag keys starting with 'aws:' are reserved by AWS")
  .refine((k) => !k.startsWith("sopsync:"), "tag keys starting with 'sopsync:' are reserved by sopsync");
const tagValue = z.string().max(256, "tag values are at most 256 characters");
const tags = z
  .record(tagKey, tagValue)
  .refine((t) => Object.keys(t).length <= 48, "at most 48 tags (AWS allows 50; sopsync keeps 2 for ownership)");
const recoveryWindowDays = z.number().int().min(7, "recovery window is 7..30 days").max(30, "recovery window is 7..30 days");
const kmsKeyId = z.string().min(1).max(2048);
const replica = z.strictObject({ region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region like us-east-1"), kmsKeyId: kmsKeyId.optional() });

export const secretSchema = z
  .strictObject({
    description: z.string().max(2048, "description is at most 2,048 characters").optional(),
    value: z.unknown().optional().describe("mapping -> JSON SecretString (compared semantically); scalar -> SecretString as written"),
    binary: z.string().optional().describe("base64 -> SecretBinary"),
    kmsKeyId: kmsKeyId.optional(),
    tags: tags.optional(),
    replicas: z.array(replica).optional(),
    policy: z.record(z.string(), z.unknown()).optional().describe("resource policy document"),
    recoveryWindowDays: recoveryWindowDays.optional(),
    protect: z.boolean().optional().describe("removing this secret from the manifest is a plan error"),
    adopt: z.boolean().optional().describe("may take over an existing secret of this name that nobody manages"),
  })
  .refine((s) => s.value !== undefined || s.binary !== undefined, { message: "a secret needs `value` or `binary`" })
  .refine((s) => s.value === undefined || s.binary === undefined, { message: "`value` and `binary` are exclusive" });

export const manifestSchema = z.strictObject({
  sopsync: z.literal(1, "format version: `sopsync: 1`"),
  target: z
    .strictObject({
      region: z.string().optional(),
      account: z.string().regex(/^\d{12}$/, "a 12-digit AWS account id, quoted").optional(),
      profile: z.string().optional(),
      roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN").optional(),
    })
    .optional(),
  scope: z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/, "1-128 characters usable in a tag value"),
    prefix: z.string().min(1).optional(),
  }),
  defaults: z
    .strictObject({ kmsKeyId: kmsKeyId.optional(), recoveryWindowDays: recoveryWindowDays.optional(), tags: tags.optional() })
    .optional(),
  secrets: z.record(z.string(), secretSchema).nullable().optional(),
});

export type ManifestDoc = z.infer<typeof manifestSchema>;
