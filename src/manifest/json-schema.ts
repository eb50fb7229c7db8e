// The JSON Schema for editors, generated from the same zod definition the validator uses, so the two
// cannot disagree. scripts/gen-schema.ts writes it to schema/manifest.schema.json; a test checks the
// shipped file is current. Rules zod expresses as code (refinements) are the validator's alone.
import { z } from "zod";
import { manifestSchema } from "./schema.js";

export function manifestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(manifestSchema, {
    target: "draft-2020-12",
    // bigint (an int64 from sops) has no JSON Schema type; a number is what an editor sees anyway.
    unrepresentable: "any",
    io: "input",
  }) as Record<string, unknown>;
  return {
    ...generated,
    title: "sopsync manifest (plaintext view)",
    description: "A SOPS-encrypted YAML manifest that sopsync keeps AWS Secrets Manager equal to.",
  };
}

export function manifestJsonSchemaText(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}
