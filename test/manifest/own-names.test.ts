import { describe, expect, it } from "vitest";
import { keyDiff, toStoredValue, valuesEqual } from "../../src/manifest/values.js";
import { planTarget } from "../../src/plan/planner.js";
import { renderText } from "../../src/plan/render-text.js";
import { ownRecord } from "../../src/records.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { liveOf, liveState } from "../plan/fixtures.js";
import { problems, validate } from "./validate-text.js";

const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf"];

const manifest = `sopsync: 1
scope: { id: team-a }
defaults:
  tags: { __proto__: d, constructor: d, team: t }
secrets:
${NAMES.map((n) => `  ${n}:\n    value: { __proto__: { x: 1 }, constructor: c, toString: s, plain: p }\n    tags: { toString: t, hasOwnProperty: h, constructor: own }`).join("\n")}
`;

describe("special names", () => {
  it("keeps every secret name, tag key and JSON key in the desired state", () => {
    const d = validate(manifest);
    expect(d.secrets.map((s) => s.name)).toEqual([...NAMES].sort());
    for (const s of d.secrets) {
      expect(Object.entries(s.tags).sort()).toEqual(
        [
          ["__proto__", "d"],
          ["constructor", "own"],
          ["hasOwnProperty", "h"],
          ["team", "t"],
          ["toString", "t"],
        ].sort(),
      );
      expect(s.value.kind).toBe("json");
      const stored = toStoredValue(s.value);
      expect(JSON.parse(stored.string ?? "")).toEqual(
        JSON.parse('{"__proto__":{"x":1},"constructor":"c","toString":"s","plain":"p"}'),
      );
      // The same JSON read back from AWS (any key order) is in sync, key by key.
      const live = { string: '{"plain":"p","toString":"s","constructor":"c","__proto__":{"x":1}}' };
      expect(valuesEqual(s.value, live)).toBe(true);
      expect(keyDiff(s.value, live)).toEqual([]);
      expect(keyDiff(s.value, { string: '{"plain":"p"}' })).toEqual([
        { key: "__proto__", change: "added" },
        { key: "constructor", change: "added" },
        { key: "toString", change: "added" },
      ]);
    }
    // Nothing leaked onto Object.prototype on the way.
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("checks entries with special names like any other, at file:line:col", () => {
    expect(
      problems(`sopsync: 1
scope: { id: team-a }
__proto__: 1
secrets:
  __proto__: { value: x, bogus: 1, tags: { constructor: ${"v".repeat(257)}, "aws:x": y } }
  constructor: { recoveryWindowDays: 3, value: y }
`),
    ).toEqual([
      "m.yaml:3:1: unknown key '__proto__'",
      "m.yaml:5:26: unknown key 'bogus' in secrets.__proto__",
      "m.yaml:5:57: secrets.__proto__.tags.constructor: tag values are at most 256 characters",
      "m.yaml:5:316: secrets.__proto__.tags: tag keys starting with 'aws:' are reserved by AWS",
      "m.yaml:6:38: secrets.constructor.recoveryWindowDays: recovery window is 7..30 days",
    ]);
  });

  it("names of Object.prototype's members other than __proto__ and constructor (no stand-ins) read like any other", () => {
    const names = NAMES.filter((n) => n !== "__proto__" && n !== "constructor");
    const d = validate(`sopsync: 1
scope: { id: team-a }
defaults:
  tags: { toString: d }
secrets:
${names.map((n) => `  ${n}:\n    value: { toString: s, valueOf: v }\n    tags: { hasOwnProperty: h }`).join("\n")}
`);
    expect(d.secrets.map((s) => [s.name, Object.entries(s.tags).sort()])).toEqual(
      [...names].sort().map((n) => [
        n,
        [
          ["hasOwnProperty", "h"],
          ["toString", "d"],
        ],
      ]),
    );
    for (const s of d.secrets) expect(JSON.parse(toStoredValue(s.value).string ?? "")).toEqual({ toString: "s", valueOf: "v" });
    expect(
      problems(`sopsync: 1
scope: { id: team-a }
toString: 1
secrets:
  valueOf: { value: x, bogus: 1, tags: { hasOwnProperty: ${"v".repeat(257)} } }
  isPrototypeOf: { recoveryWindowDays: 3, value: y }
`),
    ).toEqual([
      "m.yaml:3:1: unknown key 'toString'",
      "m.yaml:5:24: unknown key 'bogus' in secrets.valueOf",
      "m.yaml:5:58: secrets.valueOf.tags.hasOwnProperty: tag values are at most 256 characters",
      "m.yaml:6:40: secrets.isPrototypeOf.recoveryWindowDays: recovery window is 7..30 days",
    ]);
  });

  it("a key that happens to be a stand-in's spelling stays itself", () => {
    const d = validate(`sopsync: 1
scope: { id: team-a }
secrets:
  __sopsync_proto__: { value: { __proto__: 1, __sopsync_proto__: 2, __sopsync_constructor__: 3, constructor: 4 } }
`);
    expect(d.secrets.map((s) => s.name)).toEqual(["__sopsync_proto__"]);
    expect(JSON.parse(toStoredValue(d.secrets[0]?.value ?? { kind: "string", text: "" }).string ?? "")).toEqual(
      JSON.parse('{"__proto__":1,"__sopsync_proto__":2,"__sopsync_constructor__":3,"constructor":4}'),
    );
  });

  it("the planner creates them, and finds them in sync once they exist; renderers show the names", () => {
    const d = validate(manifest);
    const created = planTarget(d, liveState([]));
    expect(created.changes.map((c) => [c.name, c.actions.map((a) => a.type)])).toEqual(
      [...NAMES].sort().map((n) => [n, ["create"]]),
    );
    const create = created.changes[0]?.actions[0];
    expect(create?.type === "create" && Object.keys(create.tags).sort()).toEqual(
      ["__proto__", "constructor", "hasOwnProperty", "team", "toString", TAG_MANAGED_BY].sort(),
    );
    // JSON keeps them (a saved plan), and so does the text rendering.
    expect(JSON.stringify(create)).toContain('"__proto__":"d"');
    const text = renderText({ formatVersion: 2, planId: "p", createdAt: "t", targets: [created] } as never);
    expect(text).toContain("+ __proto__: create");
    expect(text).toContain('tag __proto__ = "d"');
    expect(text).toContain('tag constructor = "own"');

    const live = liveState(
      d.secrets.map((s) => liveOf(s, { tags: ownRecord(Object.entries(s.tags), [[TAG_MANAGED_BY, "team-a"]]) })),
    );
    const again = planTarget(d, live);
    expect(again.changes.filter((c) => c.actions.length > 0)).toEqual([]);
  });

  it("tags live under special names are compared, tagged and untagged like any other", () => {
    const d = validate(`sopsync: 1
scope: { id: team-a }
secrets:
  a: { value: x, tags: { constructor: new } }
`);
    const s = d.secrets[0];
    if (!s) throw new Error("no secret");
    // Live tags as any caller may build them: a plain object, with own `__proto__`/`toString` keys.
    const tags = JSON.parse(
      `{"${TAG_MANAGED_BY}":"team-a","sopsync:version":"v1","__proto__":"old","toString":"t","constructor":"old"}`,
    );
    const p = planTarget(d, liveState([liveOf(s, { tags, versionId: "v1" })]));
    const actions = p.changes[0]?.actions ?? [];
    expect(actions.map((a) => a.type)).toEqual(["tag", "untag"]);
    const [tag, untag] = actions;
    expect(tag?.type === "tag" && Object.entries(tag.tags)).toEqual([["constructor", { before: "old", after: "new" }]]);
    expect(untag?.type === "untag" && Object.entries(untag.tags).sort()).toEqual([
      ["__proto__", "old"],
      ["toString", "t"],
    ]);
  });
});
