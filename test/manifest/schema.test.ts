// The shipped JSON Schema is generated from the validator's own definition and must be current.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { manifestJsonSchemaText } from "../../src/manifest/json-schema.js";
import { projectRoot } from "../helpers/tools.js";

describe("schema/manifest.schema.json", () => {
  const shipped = readFileSync(join(projectRoot, "schema/manifest.schema.json"), "utf8");

  it("equals the schema generated from src/manifest/schema.ts (run: npx tsx scripts/gen-schema.ts)", () => {
    expect(shipped).toBe(manifestJsonSchemaText());
  });

  it("is the file package.json exports as ./schema.json, and describes the manifest's keys", () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
    expect(pkg.exports["./schema.json"]).toBe("./schema/manifest.schema.json");
    const schema = JSON.parse(shipped);
    expect(schema.required).toEqual(["sopsync", "scope"]);
    expect(schema.additionalProperties).toBe(false);
    const secret = schema.properties.secrets.anyOf[0].additionalProperties;
    expect(Object.keys(secret.properties).sort()).toEqual([
      "adopt",
      "allowPublicPolicy",
      "binary",
      "description",
      "generate",
      "kmsKeyId",
      "policy",
      "protect",
      "recoveryWindowDays",
      "replicas",
      "rotation",
      "tags",
      "value",
    ]);
    expect(secret.additionalProperties).toBe(false);
  });
});
