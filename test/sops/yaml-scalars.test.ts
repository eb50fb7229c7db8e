// yaml.v3's scalar resolution, judged by the real sops: every named spelling below is left in
// plaintext (an `_unencrypted` mapping, so the MAC hashes Go's text of the value yaml.v3 decodes) and
// also encrypted by sops; sopsync must decrypt the file to the data `sops -d` prints, MAC verified.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { parseDocument } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDocuments } from "../../src/sops/document.js";
import { encryptText } from "../../src/sops/encrypt.js";
import { goYamlValue } from "../../src/sops/goyaml.js";
import { decryptText } from "../../src/sops/index.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sops, tempDir } from "./helpers.js";
import { block, ENCRYPTED_KEY, ourData, PLAIN_KEY, sopsDecryptGoData, sopsFileWithSpellings, undecodable } from "./spellings.js";

/** Every form ported from yaml.v3's resolve.go / decode.go, with the near misses that stay strings. */
const SPELLINGS: Record<string, string> = {
  // timestamps: the four layouts yaml.v3 tries
  "RFC 3339 with Z": "2024-01-02T03:04:05Z",
  "RFC 3339 with offset": "2024-01-02T03:04:05+01:00",
  "negative half-hour offset": "2024-01-02T03:04:05-05:30",
  "offset -00:00 is UTC": "2024-01-02T03:04:05-00:00",
  "offset minutes 60 carry": "2024-01-02T03:04:05+05:60",
  "lower-case t": "2024-01-02t03:04:05Z",
  nanoseconds: "2024-01-02T03:04:05.123456789Z",
  "more than nine fraction digits truncate": "2024-01-02T03:04:05.123456789987Z",
  "comma fraction": "2024-01-02T03:04:05,5Z",
  "fraction trailing zeros": "2024-01-02T03:04:05.500Z",
  "space separated, no zone": "2024-01-02 03:04:05",
  "several spaces, fraction": "2024-01-02  03:04:05.25",
  "date only": "2024-01-02",
  "short month and day": "2024-1-2",
  "short clock fields": "2024-1-2T3:4:5Z",
  "leap day": "2024-02-29",
  "year zero": "0000-01-01",
  // look like timestamps, stay strings
  "no zone after T": "2024-01-02T03:04:05",
  "space form with Z": "2024-01-02 03:04:05Z",
  "offset +0100": "2024-01-02T03:04:05+0100",
  "offset +01": "2024-01-02T03:04:05+01",
  "space before offset": "2024-01-02T03:04:05 +01:00",
  "lower-case z": "2024-01-02T03:04:05z",
  "not a leap year": "2023-02-29",
  "month 13": "2024-13-01",
  "hour 24": "2024-01-02T24:00:00Z",
  "second 60": "2024-01-02T03:04:60Z",
  "five-digit year": "20240-01-02",
  "three-digit month": "2024-001-02",
  // ints: every base, signs, underscores
  decimal: "42",
  "plus sign": "+1",
  "minus zero int": "-0",
  "plus zero": "+0",
  "0o octal": "0o17",
  "0O octal": "0O17",
  "legacy octal": "017",
  "08 is a float": "08",
  "09.5 float": "09.5",
  "0b binary": "0b101",
  "0B binary": "0B101",
  "negative binary": "-0b101",
  "0b with signed digits": "0b-1",
  "0o with signed digits": "0o-7",
  "0b with plus digits": "0b+1",
  hex: "0x1F",
  "hex mixed case": "0X1f",
  "hex underscore after prefix": "0x_1F",
  "negative hex": "-0x1F",
  "plus hex": "+0x1F",
  "bare 0x": "0x",
  underscores: "1_000",
  "trailing underscore": "1_",
  "double underscore": "1__0",
  "leading underscore is a string": "_1",
  "int64 max": "9223372036854775807",
  "int64 min": "-9223372036854775808",
  "below int64 min becomes float": "-9223372036854775809",
  "beyond uint64 becomes float": "18446744073709551616",
  "huge decimal": "99999999999999999999",
  "hex beyond uint64 stays string": "0x1FFFFFFFFFFFFFFFF",
  "big int loses nothing": "123456789012345678",
  "base 60 is not in v3": "1:30",
  "base 60 three parts": "190:20:30",
  // floats
  exponent: "1e3",
  "upper exponent": "1E3",
  "dot exponent": "1.e3",
  "trailing dot": "1.",
  "leading dot": ".5",
  "negative leading dot": "-.5",
  "plus leading dot": "+.5",
  "dot underscore digits": ".5_5",
  "dot underscore first": "._5",
  "lone dot": ".",
  "dot exponent only": ".e3",
  "minus zero float": "-0.0",
  "zero float": "0.0",
  "underscored float": "1_000.5",
  "shortest digits": "0.30000000000000004",
  "many digits": "3.14159265358979323846",
  "1e21": "1e21",
  "1e22": "1e22",
  small: "123e-20",
  "smallest subnormal": "5e-324",
  "underflow to zero": "1e-400",
  "overflow stays string": "1.7976931348623157e309",
  "negative overflow stays string": "-1.7976931348623157e309",
  "hex float is a string": "0x1p-2",
  "two dots": "1.2.3",
  "dangling exponent": "12e",
  "lone plus": "+",
  // the resolve map: .inf/.nan, bools, nulls, merge
  ".inf": ".inf",
  ".Inf": ".Inf",
  ".INF": ".INF",
  "+.inf": "+.inf",
  "+.Inf": "+.Inf",
  "-.inf": "-.inf",
  "-.INF": "-.INF",
  "mixed-case inf is a string": ".iNf",
  ".nan": ".nan",
  ".NaN": ".NaN",
  ".NAN": ".NAN",
  "signed nan is a string": "-.nan",
  true: "true",
  True: "True",
  TRUE: "TRUE",
  "tRue is a string": "tRue",
  false: "false",
  False: "False",
  FALSE: "FALSE",
  "yes (YAML 1.1 only)": "yes",
  "no (YAML 1.1 only)": "no",
  "on (YAML 1.1 only)": "on",
  "off (YAML 1.1 only)": "off",
  "y (YAML 1.1 only)": "y",
  null: "null",
  Null: "Null",
  NULL: "NULL",
  tilde: "~",
  empty: "",
  "nUll is a string": "nUll",
  "merge as a value": "<<",
  // tags and quotes
  "!!str int": "!!str 123",
  "!!str timestamp": "!!str 2024-01-02",
  "!!int quoted": '!!int "12"',
  "!!int hex": "!!int 0x1F",
  "!!int on a float is null": "!!int 1.5",
  "!!float on an int": "!!float 1",
  "!!float dot": "!!float .5",
  "!!float overflow is null": "!!float 1e400",
  "!!bool 1 is null": "!!bool 1",
  "!!bool True": "!!bool True",
  "!!null tilde": "!!null ~",
  "!!null on text is null": "!!null foo",
  "!!timestamp date": "!!timestamp 2024-01-02",
  "!!timestamp without zone is null": "!!timestamp 2024-01-02T03:04:05",
  "!!timestamp quoted": '!!timestamp "2024-01-02"',
  "!!timestamp on text is null": "!!timestamp foo",
  "!!binary": "!!binary aGVsbG8=",
  "!!binary unpadded is null": "!!binary aGVsbG8",
  "!!binary not base64 is null": "!!binary a-b_",
  "!!binary with line break": '!!binary "aGVs\\nbG8="',
  "verbatim float tag": "!<tag:yaml.org,2002:float> 2",
  "non-specific ! on plain resolves": "! 123",
  "non-specific ! on quoted is a string": '! "123"',
  "local tag keeps text": "!foo 12",
  "!!merge value": "!!merge foo",
  "double-quoted int": '"123"',
  "single-quoted bool": "'true'",
  "literal block": "|\n        0x1F",
  "folded block": ">\n        2024-01-02",
};

/** Spellings yaml.v3 decodes but sops cannot hash (uint64; a time Go cannot marshal): refused by both. */
const REFUSED: Record<string, string> = {
  "uint64 decimal": "18446744073709551615",
  "uint64 just above int64": "9223372036854775808",
  "uint64 hex": "0xFFFFFFFFFFFFFFFF",
  "uint64 binary": `0b1${"0".repeat(63)}`,
  "offset 24 hours": "2024-01-02T03:04:05+24:00",
  "offset 23:60": "2024-01-02T03:04:05+23:60",
};

describe("yaml.v3 scalar resolution against sops 3.11", () => {
  let age: AgeKey;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = tempDir();
    age = generateAgeKey(dir);
    env = { SOPS_AGE_KEY_FILE: age.file };
  });

  const keyGroups = () => [[{ kind: "age" as const, recipient: age.recipient, enc: "" }]];
  const names = Object.keys(SPELLINGS);
  const spellings = Object.values(SPELLINGS);

  it("decrypts every named spelling, plaintext and encrypted, to the data sops -d prints, MAC verified", async () => {
    const path = sopsFileWithSpellings(dir, "named.yaml", spellings, age.recipient);
    const expected = sopsDecryptGoData(path, dir, env)[0] as Record<string, Record<string, unknown>>;
    const got = await decryptText(readFileSync(path, "utf8"), path, { env });
    const ours = ourData(got.documents)[0] as Record<string, Record<string, unknown>>;
    // Named per spelling, so a failure says which form differs.
    const view = (data: Record<string, Record<string, unknown>>, section: string) =>
      Object.fromEntries(names.map((n, i) => [n, data[section]?.[`s${String(i).padStart(4, "0")}`]]));
    expect(view(ours, PLAIN_KEY)).toEqual(view(expected, PLAIN_KEY));
    expect(view(ours, ENCRYPTED_KEY)).toEqual(view(expected, ENCRYPTED_KEY));
    // The spellings do cover every kind of value (a table of strings would prove little).
    const kinds = new Set(Object.values(view(ours, PLAIN_KEY)).map((v) => (v === null ? "null" : typeof v)));
    expect([...kinds].sort()).toEqual(["bigint", "boolean", "null", "number", "string"]);
  });

  it("refuses to encrypt a tagged scalar yaml.v3 cannot decode, as sops does", async () => {
    const failing = spellings.filter(undecodable);
    expect(failing.length).toBeGreaterThanOrEqual(5);
    for (const spelling of failing) {
      const plain = `${PLAIN_KEY}:\n${block([spelling])}`;
      const path = join(dir, "undecodable.yaml");
      writeFileSync(path, plain);
      expect(sops(["encrypt", "--age", age.recipient, "--in-place", path], { cwd: dir }).stderr).toMatch(
        /cannot decode|invalid base64/,
      );
      await expect(encryptText(plain, "undecodable.yaml", { keyGroups: keyGroups() })).rejects.toMatchObject({
        code: "SOPS_FORMAT",
      });
    }
  });

  it("refuses a !!binary value that is not UTF-8, which sops reads (deliberate: no SecretString can hold it)", async () => {
    for (const [section, code] of [
      [PLAIN_KEY, "SOPS_FORMAT"],
      [ENCRYPTED_KEY, "SOPS_DECRYPT"],
    ] as const) {
      const path = join(dir, "binary.yaml");
      writeFileSync(path, `${section}:\n${block(["!!binary /w=="])}`);
      expect(sops(["encrypt", "--age", age.recipient, "--in-place", path], { cwd: dir }).status).toBe(0);
      expect(sops(["decrypt", path], { cwd: dir, env }).status).toBe(0);
      await expect(decryptText(readFileSync(path, "utf8"), path, { env })).rejects.toMatchObject({
        code,
        message: expect.stringMatching(/not UTF-8/),
      });
    }
  });

  it("fails when a plaintext spelling means another value to yaml.v3, as sops does (017 is 15, not 17)", async () => {
    const path = sopsFileWithSpellings(dir, "tampered.yaml", ["017", "1_000"], age.recipient);
    const text = readFileSync(path, "utf8");
    // The `yaml` package reads 017 as 17; yaml.v3 as 15: the MAC must catch the change.
    const tampered = text.replace(/^( {4}s0000: )017$/m, "$117");
    expect(tampered).not.toBe(text);
    writeFileSync(path, tampered);
    expect(sops(["decrypt", path], { cwd: dir, env }).stderr).toMatch(/MAC mismatch/);
    await expect(decryptText(tampered, path, { env })).rejects.toMatchObject({ code: "SOPS_MAC" });
  });

  it("refuses a float -0 left in plaintext once sops has re-printed it as -0, as sops does", async () => {
    // sops hashes the float's text "-0", then prints it as -0, which it reads back as the int 0.
    const path = join(dir, "minus-zero.yaml");
    writeFileSync(path, `${PLAIN_KEY}:\n${block(["-0.0"])}`);
    expect(sops(["encrypt", "--age", age.recipient, "--in-place", path], { cwd: dir }).status).toBe(0);
    expect(sops(["decrypt", path], { cwd: dir, env }).stderr).toMatch(/MAC mismatch/);
    await expect(decryptText(readFileSync(path, "utf8"), path, { env })).rejects.toMatchObject({ code: "SOPS_MAC" });
  });

  it.each(Object.entries(REFUSED))("refuses %s like sops: %s", async (_name, spelling) => {
    const plain = `${PLAIN_KEY}:\n${block([spelling])}`;
    const path = join(dir, "refused.yaml");
    writeFileSync(path, plain);
    expect(sops(["encrypt", "--age", age.recipient, "--in-place", path], { cwd: dir }).status).not.toBe(0);
    await expect(encryptText(plain, "refused.yaml", { keyGroups: keyGroups() })).rejects.toMatchObject({ code: "SOPS_FORMAT" });
    // Put into a file sops wrote, it stops sops -d (the MAC cannot be computed) and sopsync alike.
    const good = sopsFileWithSpellings(dir, "good.yaml", ["1"], age.recipient);
    const text = readFileSync(good, "utf8").replace(/^( {4}s0000: )1$/m, `$1${spelling}`);
    writeFileSync(good, text);
    expect(sops(["decrypt", good], { cwd: dir, env }).status).not.toBe(0);
    await expect(decryptText(text, good, { env })).rejects.toThrow();
  });
});

// ---- generated spellings ----

const digitsOf = (alphabet: string, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((c) => c.join(""));

const timestamp = fc
  .record({
    year: fc.oneof(
      fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, "0")),
      digitsOf("0123456789", 5),
    ),
    month: digitsOf("0123456789", 3),
    day: digitsOf("0123456789", 3),
    clock: fc.option(
      fc.record({
        sep: fc.constantFrom("T", "t", " ", "  "),
        h: digitsOf("0123456789", 3),
        m: digitsOf("0123456789", 2),
        s: digitsOf("0123456789", 2),
        frac: fc.option(fc.tuple(fc.constantFrom(".", ","), digitsOf("0123456789", 12)).map(([p, d]) => p + d)),
        zone: fc.option(fc.constantFrom("Z", "z", "+01:00", "-05:30", "+0100", "+01", " +01:00", "-00:00", "+23:59", "+05:60")),
      }),
    ),
  })
  .map(({ year, month, day, clock }) => {
    const date = `${year}-${month}-${day}`;
    if (!clock) return date;
    return `${date}${clock.sep}${clock.h}:${clock.m}:${clock.s}${clock.frac ?? ""}${clock.zone ?? ""}`;
  });

const number = fc
  .record({
    sign: fc.constantFrom("", "+", "-"),
    prefix: fc.constantFrom("", "", "", "0", "0x", "0X", "0o", "0O", "0b", "0B", "."),
    digits: digitsOf("0123456789_", 22),
    hex: digitsOf("0123456789abcdefABCDEF_", 4),
    fraction: fc.option(digitsOf("0123456789_", 8).map((d) => `.${d}`)),
    exponent: fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digitsOf("0123456789", 4))),
  })
  .map(({ sign, prefix, digits, hex, fraction, exponent }) => {
    const body = prefix.toLowerCase() === "0x" ? digits + hex : digits;
    return `${sign}${prefix}${body}${fraction ?? ""}${exponent ? exponent.join("") : ""}`;
  });

const special = fc.constantFrom(
  ".inf",
  ".Inf",
  ".INF",
  "+.inf",
  "-.inf",
  ".iNf",
  ".nan",
  ".NaN",
  "+.nan",
  "true",
  "True",
  "tRUE",
  "false",
  "FALSE",
  "null",
  "Null",
  "~",
  "nUll",
  "<<",
  "yes",
  "on",
  "1:30",
  "9223372036854775807",
  "-9223372036854775808",
);

const untagged = fc.oneof(timestamp, number, special);

const spelling = fc.oneof(
  { weight: 6, arbitrary: untagged },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom("!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary", "!", "!foo"),
        untagged,
        fc.boolean(),
      )
      .map(([tag, s, quoted]) => `${tag} ${quoted ? JSON.stringify(s) : s}`),
  },
  { weight: 1, arbitrary: untagged.map((s) => JSON.stringify(s)) },
);

/**
 * A spelling the file can hold: one plain scalar on its line (the `yaml` package reads it without error)
 * that sops can encrypt (no uint64 and no unprintable time, which the named table covers).
 */
function usable(s: string): boolean {
  if (s.trim() !== s || s.endsWith(":") || s.includes(": ") || /^-(\s|$)/.test(s)) return false;
  const doc = parseDocument(`k: ${s}\n`);
  if (doc.errors.length) return false;
  try {
    const [parsed] = parseDocuments(`k: ${s}\n`, "g.yaml");
    const node = (parsed?.contents as { items?: { value: unknown }[] } | null)?.items?.[0]?.value;
    goYamlValue(node as never);
    return true;
  } catch {
    return false;
  }
}

describe("generated yaml.v3 scalar spellings against sops 3.11", () => {
  it("decrypts batches of generated spellings to the data sops -d prints, MAC verified", async () => {
    const dir = tempDir();
    const age = generateAgeKey(dir);
    const env = { SOPS_AGE_KEY_FILE: age.file };
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(spelling, { minLength: 150, maxLength: 250 }), async (generated) => {
        const batch = generated.filter(usable);
        const path = sopsFileWithSpellings(dir, `gen${run++}.yaml`, batch, age.recipient);
        const expected = sopsDecryptGoData(path, dir, env);
        const got = await decryptText(readFileSync(path, "utf8"), path, { env });
        expect(ourData(got.documents)).toEqual(expected);
      }),
      // No shrinking: every step would run sops twice; the failing batch is reported whole.
      { numRuns: 12, endOnFailure: true },
    );
  }, 60_000);
});
