// Whatever is put where, validation speaks in the manifest's words: no text of the schema library
// ("Invalid input: expected object, received undefined", "Too small: ...") reaches a problem, and
// every problem has a position. Random values of every type at every key of a manifest (fast-check).
import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { SopsyncError } from "../../src/errors.js";
import { validate } from "./validate-text.js";

const LIBRARY_TEXT =
  /Invalid (input|option|key|element)|received|Too (small|big)|expected (string|number|object|array|boolean|int|record)\b|Unrecognized key/;

/** Paths of a manifest, each with the value sopsync expects there; the property puts anything anywhere. */
const PATHS: readonly (readonly string[])[] = [
  ["sopsync"],
  ["requiredVersion"],
  ["target"],
  ["target", "region"],
  ["target", "account"],
  ["target", "profile"],
  ["target", "roleArn"],
  ["scope"],
  ["scope", "id"],
  ["scope", "prefix"],
  ["defaults"],
  ["defaults", "kmsKeyId"],
  ["defaults", "recoveryWindowDays"],
  ["defaults", "tags"],
  ["defaults", "rotation"],
  ["secrets"],
  ["secrets", "s"],
  ["secrets", "s", "value"],
  ["secrets", "s", "binary"],
  ["secrets", "s", "generate"],
  ["secrets", "s", "generate", "keys"],
  ["secrets", "s", "generate", "keys", ""],
  ["secrets", "s", "tags"],
  ["secrets", "s", "tags", ""],
  ["secrets", "s", "replicas"],
  ["secrets", "s", "replicas", "0"],
  ["secrets", "s", "policy"],
  ["secrets", "s", "rotation"],
  ["secrets", "s", "rotation", "lambdaArn"],
  ["secrets", "s", "protect"],
  ["secrets", "s", "recoveryWindowDays"],
  ["secrets", "s", "description"],
];

function base(): Record<string, unknown> {
  return {
    sopsync: 1,
    target: { region: "eu-west-1" },
    scope: { id: "t" },
    secrets: { s: { value: "v", generate: undefined } },
  };
}

function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[step] = {};
    node = node[step] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.constant(""),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null)), {
    maxKeys: 2,
  }),
);

describe("plain validation messages", () => {
  it("no schema-library text in any problem, whatever value is where (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), anyValue), { minLength: 1, maxLength: 3 }), (edits) => {
        const m = base();
        for (const [path, value] of edits) setAt(m, path, value);
        let messages: string[] = [];
        try {
          validate(stringify(m));
        } catch (e) {
          if (!(e instanceof SopsyncError) || e.code !== "MANIFEST_INVALID") throw e;
          messages = e.problems.map((p) => p.message);
          for (const p of e.problems) expect(p.line).toBeGreaterThan(0);
        }
        for (const msg of messages) expect(msg).not.toMatch(LIBRARY_TEXT);
      }),
      { numRuns: 400 },
    );
  });
});
