// The spelling check: which unquoted scalars under secrets.*.value are stored as another string, and
// that a warning names the place and the kind of change but never the value.
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { formatSpellingNote, spellingNotes, storedText } from "../../src/manifest/spelling.js";
import { goYamlValue } from "../../src/sops/goyaml.js";

function notesFor(value: string): ReturnType<typeof spellingNotes> {
  const text = `sopsync: 1\nsecrets:\n  prod/x:\n    value: ${value}\n`;
  return spellingNotes(parseDocument(text, { intAsBigInt: true }) as never, text, "yaml");
}

function nestedNotes(value: string): ReturnType<typeof spellingNotes> {
  const text = `secrets:\n  prod/db:\n    value:\n      k: ${value}\n`;
  return spellingNotes(parseDocument(text, { intAsBigInt: true }) as never, text, "yaml");
}

describe("spellingNotes", () => {
  const changed: [string, RegExp][] = [
    ["007", /leading zero .*read as octal/],
    ["0777", /leading zero .*read as octal/],
    ["089", /leading zero .*without the zero/],
    ["1.50", /trailing zeros after the point/],
    ["10.", /trailing zeros after the point/],
    ["0x1F", /hexadecimal number/],
    ["0o17", /0o octal number/],
    ["0b101", /0b binary number/],
    ["+12", /without its '\+'/],
    ["1_000", /'_' digit separators/],
    ["1e3", /exponent notation/],
    [".5", /starting with '\.'/],
    ["-0", /negative zero/],
    ["12345678901234567.5", /more digits than a 64-bit float keeps/],
    ["TRUE", /True\/TRUE\/False\/FALSE.*lowercase/],
    ["False", /lowercase/],
    ["2024-01-02", /date or timestamp.*RFC 3339/],
    ["2024-01-02 03:04:05", /date or timestamp/],
    [".inf", /\.inf or \.nan/],
    ["first\n      second", /several lines.*joined into one line/],
  ];
  for (const [written, reason] of changed) {
    it(`${JSON.stringify(written)} is reported: ${reason.source}`, () => {
      const notes = notesFor(written);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatchObject({ path: ["secrets", "prod/x", "value"], line: 4, col: 12 });
      expect(notes[0]!.reason).toMatch(reason);
      expect(notes[0]!.reason).toMatch(/is stored as a different string/);
    });
  }

  const kept = [
    "5432",
    "-42",
    "0",
    "1.5",
    "0.25",
    "true",
    "false",
    "abc123",
    "s3cr3t",
    "yes",
    "on",
    "'007'",
    '"1.50"',
    "!!str 007",
    "|\n      007",
  ];
  for (const written of kept) {
    it(`${JSON.stringify(written)} is stored as written (or quoted/tagged): no note`, () => {
      expect(notesFor(written)).toEqual([]);
    });
  }

  it("nested keys, list items and several secrets are each reported at their own line", () => {
    const text = [
      "secrets:",
      "  prod/db:",
      "    value:",
      "      port: 05432",
      "      ok: 5432",
      "      hosts: [a, 0x10]",
      "  prod/api:",
      "    value: 1.10",
      "    description: 007", // not a value: not reported
      "",
    ].join("\n");
    const notes = spellingNotes(parseDocument(text, { intAsBigInt: true }) as never, text, "yaml");
    expect(notes.map((n) => [n.path.join("."), n.line, n.col])).toEqual([
      ["secrets.prod/db.value.port", 4, 13],
      ["secrets.prod/db.value.hosts.1", 6, 18],
      ["secrets.prod/api.value", 8, 12],
    ]);
  });

  it("inside a mapping, .inf becomes JSON null and 1.0 the number 1", () => {
    expect(nestedNotes(".inf")[0]!.reason).toMatch(/null: JSON has no infinity/);
    expect(nestedNotes("1.0")[0]!.reason).toMatch(/trailing zeros/);
    expect(nestedNotes("42")).toEqual([]);
  });

  it("the stored text is what sops's typing gives (checked against goYamlValue, not a table)", () => {
    for (const [written, top] of [
      ["007", true],
      ["0x1F", true],
      ["1.50", false],
      ["2024-01-02", true],
    ] as const) {
      const doc = parseDocument(`v: ${written}\n`, { intAsBigInt: true });
      const node = doc.get("v", true) as never;
      const typed = goYamlValue(node);
      expect(typed).not.toBeNull();
      expect(storedText(typed!, top)).not.toBe(written);
    }
  });

  it("a formatted note has file:line:col and the path, and never the written or stored text", () => {
    const secret = "0012345"; // stored as 5349 (octal)
    const [note] = notesFor(secret);
    const line = formatSpellingNote("secrets.yaml", note!);
    expect(line).toBe(
      "secrets.yaml:4:12: warning: secrets.prod/x.value: an unquoted number with a leading zero is stored as a different string (read as octal, in decimal); quote it to keep it as written",
    );
    expect(line).not.toContain("12345");
    expect(line).not.toContain("5349");
  });
});
