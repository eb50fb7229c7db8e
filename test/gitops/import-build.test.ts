// The pure half of import: how each stored value is written, what is skipped, and the proof that a
// mapping is used only when the manifest reads back equal to what AWS stores.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import type { ListedSecret } from "../../src/aws/port.js";
import { buildImport, manifestValue, scopeIdFromPrefix, skipReason } from "../../src/import/build.js";
import { valuesEqual } from "../../src/manifest/values.js";

const listed = (name: string, tags: Record<string, string> = {}, extra: Partial<ListedSecret> = {}): ListedSecret => ({
  name,
  arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`,
  tags,
  ...extra,
});

describe("manifestValue", () => {
  it("writes JSON objects as mappings, keeping big integers exact", () => {
    expect(manifestValue({ string: '{"b":1,"a":{"x":[true,"y"]},"id":9007199254740993}' })).toEqual({
      value: { b: 1n, a: { x: [true, "y"] }, id: 9007199254740993n },
    });
  });

  it("keeps everything else as the exact string", () => {
    for (const s of ["plain", "[1,2]", "{}", '{"a":null}', '{"a":[]}', "123", "true", '{"a":1', '{"a":1,"a":2}', '{"x":1e400}']) {
      expect(manifestValue({ string: s }), s).toEqual({ value: s });
    }
  });

  it("writes SecretBinary as base64", () => {
    expect(manifestValue({ binary: new Uint8Array([0, 255, 10]) })).toEqual({ binary: "AP8K" });
  });

  it("any JSON object it turns into a mapping compares equal to the stored text", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1 }), (obj) => {
        const text = JSON.stringify(obj);
        const v = manifestValue({ string: text });
        if (!("value" in v) || typeof v.value === "string") return true;
        const reread = YAML.parse(YAML.stringify({ v: v.value }), { intAsBigInt: true }).v;
        return valuesEqual({ kind: "json", data: reread }, { string: text });
      }),
      { numRuns: 200 },
    );
  });
});

describe("skipReason", () => {
  const value = { string: "x" };
  it("skips what cannot be adopted, and says why", () => {
    expect(skipReason(listed("p/a", { "sopsync:managed-by": "other" }), value)).toMatch(
      /already managed by sopsync scope 'other'/,
    );
    expect(skipReason(listed("p/a", {}, { deletedDate: new Date() }), undefined)).toBe("scheduled for deletion");
    // AWS accepts a name ending in '-' and six characters (it advises against it): kept, validation warns.
    expect(skipReason(listed("p/key-abc123"), value)).toBeUndefined();
    expect(skipReason(listed("p/a"), undefined)).toMatch(/could not be read/);
    const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`t${i}`, "v"]));
    expect(skipReason(listed("p/a", many), value)).toMatch(/49 tags/);
    expect(skipReason(listed("p/a", { "aws:cloudformation:stack-name": "s", team: "x" }), value)).toBeUndefined();
    // A replica of a primary in another region, whatever its tags (its primary's): never adopted here.
    const replica = listed("p/r", { "sopsync:managed-by": "x" }, { primaryRegion: "us-east-1" });
    expect(skipReason(replica, value, "eu-west-1")).toMatch(/a replica of the secret in us-east-1.*manifest for us-east-1/);
    expect(skipReason(listed("p/r", {}, { primaryRegion: "eu-west-1" }), value, "eu-west-1")).toBeUndefined();
  });
});

describe("buildImport", () => {
  it("writes scope, target, adopt and the user's tags; quotes strings so none is re-typed", () => {
    const r = buildImport({
      scope: { id: "prod", prefix: "p/" },
      target: { region: "eu-west-1", account: "000000000001" },
      listed: [
        listed("p/b", { "aws:x": "1", team: "t", "123": "yes" }, { description: "2024-01-01", kmsKeyId: "alias/k" }),
        listed("p/a"),
      ],
      values: new Map([
        ["p/a", { string: "2024-01-01" }],
        ["p/b", { string: '{"on":"yes","n":"1"}' }],
      ]),
    });
    expect(r.imported).toEqual(["p/a", "p/b"]);
    const doc = YAML.parse(r.plaintext, { version: "1.1" });
    expect(doc.target).toEqual({ region: "eu-west-1", account: "000000000001" });
    expect(doc.secrets["p/a"]).toEqual({ value: "2024-01-01", adopt: true });
    expect(doc.secrets["p/b"]).toEqual({
      description: "2024-01-01",
      value: { on: "yes", n: "1" },
      kmsKeyId: "alias/k",
      tags: { team: "t", "123": "yes" },
      adopt: true,
    });
  });

  it("imports secrets, tags and JSON keys named __proto__ or constructor like any other", () => {
    const r = buildImport({
      scope: { id: "u", prefix: "__" },
      target: { region: "eu-west-1", account: "000000000001" },
      listed: [listed("__proto__", JSON.parse('{"__proto__":"t","constructor":"c"}')), listed("__constructor")],
      values: new Map([
        ["__proto__", { string: '{"__proto__":{"x":1},"constructor":"v"}' }],
        ["__constructor", { string: "s" }],
      ]),
    });
    expect(r.imported).toEqual(["__constructor", "__proto__"]);
    const doc = YAML.parse(r.plaintext);
    expect(Object.keys(doc.secrets)).toEqual(["__constructor", "__proto__"]);
    const entry = doc.secrets.__proto__;
    expect(Object.keys(entry.tags)).toEqual(["__proto__", "constructor"]);
    expect(JSON.stringify(entry.value)).toBe('{"__proto__":{"x":1},"constructor":"v"}');
  });

  it("derives a scope id from the prefix", () => {
    expect(scopeIdFromPrefix("prod/")).toBe("prod");
    expect(scopeIdFromPrefix("prod/payments/")).toBe("prod-payments");
    expect(scopeIdFromPrefix("/")).toBe("imported");
  });
});
