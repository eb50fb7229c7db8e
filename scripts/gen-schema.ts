// Writes schema/manifest.schema.json from the zod definition (src/manifest/schema.ts).
// Run after changing the manifest schema: npx tsx scripts/gen-schema.ts
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { manifestJsonSchemaText } from "../src/manifest/json-schema.js";

const out = join(resolve(import.meta.dirname, ".."), "schema/manifest.schema.json");
writeFileSync(out, manifestJsonSchemaText());
process.stdout.write(`wrote ${out}\n`);
