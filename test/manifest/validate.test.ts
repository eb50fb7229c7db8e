import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/errors.js";
import { problems, validate } from "./validate-text.js";

const head = "sopsync: 1\nscope:\n  id: test\n";

describe("manifest validation", () => {
  it("accepts a full manifest and merges defaults", () => {
    const d = validate(`sopsync: 1
target: { region: eu-west-1, account: "123456789012" }
scope: { id: platform, prefix: prod/ }
defaults:
  kmsKeyId: alias/platform
  recoveryWindowDays: 9
  tags: { team: platform }
secrets:
  prod/db:
    description: Primary database
    value: { username: app, port: 5432 }
    tags: { tier: data }
  prod/token:
    value: abc
  prod/tls:
    binary: aGVsbG8=
    kmsKeyId: alias/tls
    replicas: [{ region: us-east-1 }]
    policy: { Version: "2012-10-17", Statement: [] }
    recoveryWindowDays: 30
    protect: true
    adopt: true
`);
    expect(d.secrets.map((s) => s.name)).toEqual(["prod/db", "prod/tls", "prod/token"]);
    const [db, tls, token] = d.secrets;
    expect(db).toMatchObject({
      kmsKeyId: "alias/platform",
      tags: { team: "platform", tier: "data" },
      recoveryWindowDays: 9,
      description: "Primary database",
    });
    expect(db?.value).toEqual({ kind: "json", data: { username: "app", port: 5432 } });
    expect(db?.at).toEqual({ file: "m.yaml", line: 9, col: 3 });
    expect(tls).toMatchObject({
      kmsKeyId: "alias/tls",
      protect: true,
      adopt: true,
      recoveryWindowDays: 30,
      replicas: [{ region: "us-east-1" }],
    });
    expect(tls?.value.kind).toBe("binary");
    expect(token).toMatchObject({
      description: "",
      policy: undefined,
      replicas: undefined,
      value: { kind: "string", text: "abc" },
    });
    expect(d.recoveryWindowDays).toBe(9);
  });

  it("keeps policy: null (none wanted) apart from an omitted policy (not managed), and replicas: [] from omitted", () => {
    const d = validate(`${head}secrets:\n  a: { value: x, policy: null, replicas: [] }\n  b: { value: x }\n`);
    expect(d.secrets[0]).toMatchObject({ policy: null, replicas: [] });
    expect(d.secrets[1]?.policy).toBeUndefined();
    expect(d.secrets[1]?.replicas).toBeUndefined();
  });

  it("reports unknown keys at every level, at the key", () => {
    expect(
      problems(`sopsync: 1
colour: red
target: { region: eu-west-1, zone: a }
scope: { id: t, owner: me }
defaults: { tagz: {} }
secrets:
  a:
    value: x
    labels: {}
    replicas: [{ region: us-east-1, key: k }]
`),
    ).toEqual([
      "m.yaml:2:1: unknown key 'colour'",
      "m.yaml:3:30: unknown key 'zone' in target",
      "m.yaml:4:17: unknown key 'owner' in scope",
      "m.yaml:5:13: unknown key 'tagz' in defaults",
      "m.yaml:9:5: unknown key 'labels' in secrets.a",
      "m.yaml:10:37: unknown key 'key' in secrets.a.replicas.0",
    ]);
  });

  it("checks the name charset and length; a name ending like an ARN suffix is a warning", () => {
    const long = `n${"x".repeat(512)}`;
    expect(
      problems(
        `${head}secrets:\n  "bad name": { value: x }\n  ${long}: { value: x }\n  app/db-AbC123: { value: x }\n  app/db-1234567: { value: x }\n`,
      ),
    ).toEqual([
      "m.yaml:5:3: secret names are 1-512 characters of A-Za-z0-9/_+=.@-",
      "m.yaml:6:3: secret names are 1-512 characters of A-Za-z0-9/_+=.@-",
    ]);
    // AWS accepts these names and only advises against them (CreateSecret's Name parameter).
    const ok = validate(
      `${head}secrets:\n  db-master: { value: x }\n  app/db-1234567: { value: x }\n  with-policy: { value: x }\n`,
    );
    expect(ok.secrets.map((s) => s.name)).toEqual(["app/db-1234567", "db-master", "with-policy"]);
    expect(ok.warnings?.map(formatProblem)).toEqual([
      "m.yaml:5:3: 'db-master' ends with '-' and six characters, like the random suffix Secrets Manager adds to every secret ARN: a partial ARN naming it is ambiguous; AWS advises against such names",
      "m.yaml:7:3: 'with-policy' ends with '-' and six characters, like the random suffix Secrets Manager adds to every secret ARN: a partial ARN naming it is ambiguous; AWS advises against such names",
    ]);
  });

  it("refuses values over 65,536 bytes without telling the size", () => {
    const big = "x".repeat(65_537);
    const out = problems(
      `${head}secrets:\n  a:\n    value: ${big}\n  b:\n    value: { k: ${"y".repeat(65_530)} }\n  c:\n    value: ${"z".repeat(65_536)}\n`,
    );
    expect(out).toEqual([
      "m.yaml:6:12: the stored value is larger than 65,536 bytes, Secrets Manager's limit",
      "m.yaml:8:12: the stored value is larger than 65,536 bytes, Secrets Manager's limit",
    ]);
    expect(out.join()).not.toMatch(/65537|65,537|65539/);
  });

  it("checks description length, recovery window and value/binary", () => {
    expect(
      problems(`${head}defaults: { recoveryWindowDays: 6 }
secrets:
  a: { value: x, description: ${"d".repeat(2049)} }
  b: { value: x, recoveryWindowDays: 31 }
  c: { value: x, binary: aGk= }
  d: { description: nothing }
  e: { binary: "not base64!" }
  f: { value: x, recoveryWindowDays: 7.5 }
`),
    ).toEqual([
      "m.yaml:4:33: defaults.recoveryWindowDays: recovery window is 7..30 days",
      "m.yaml:6:31: secrets.a.description: description is at most 2,048 characters",
      "m.yaml:7:38: secrets.b.recoveryWindowDays: recovery window is 7..30 days",
      "m.yaml:8:6: secrets.c: `value` and `binary` are exclusive",
      "m.yaml:9:6: secrets.d: a secret needs `value`, `binary` or `generate`",
      // Reported with the schema's problems, not in a second round once those are fixed.
      "m.yaml:10:16: `binary` must be base64",
      "m.yaml:11:38: secrets.f.recoveryWindowDays: recovery window is a whole number of days, 7..30",
    ]);
    expect(problems(`${head}secrets:\n  e: { binary: "not base64!" }\n`)).toEqual(["m.yaml:5:16: `binary` must be base64"]);
  });

  it("reports value/binary problems of a secret that also has an unknown key", () => {
    expect(problems(`${head}secrets:\n  c: { value: x, binary: aGk=, colour: red }\n  d: { colour: blue }\n`)).toEqual([
      "m.yaml:5:6: secrets.c: `value` and `binary` are exclusive",
      "m.yaml:5:32: unknown key 'colour' in secrets.c",
      "m.yaml:6:6: secrets.d: a secret needs `value`, `binary` or `generate`",
      "m.yaml:6:8: unknown key 'colour' in secrets.d",
    ]);
  });

  it("checks tags: aws: and sopsync: keys, key and value length, characters, count with ownership tags", () => {
    const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `t${i + from}: v`).join(", ");
    expect(
      problems(`${head}secrets:
  a:
    value: x
    tags: { "aws:x": v, "sopsync:managed-by": v, ${"k".repeat(129)}: v, long: ${"v".repeat(257)}, "bad#": v }
  b: { value: x, tags: { ${many(49)} } }
`),
    ).toEqual([
      "m.yaml:7:13: secrets.a.tags: tag keys starting with 'aws:' are reserved by AWS",
      "m.yaml:7:25: secrets.a.tags: tag keys starting with 'sopsync:' (any case) are reserved by sopsync",
      "m.yaml:7:50: secrets.a.tags: tag keys are at most 128 characters",
      "m.yaml:7:190: secrets.a.tags.long: tag values are at most 256 characters",
      "m.yaml:7:449: secrets.a.tags: tag keys use letters, digits, spaces and _ . : / = + - @",
      "m.yaml:8:24: secrets.b.tags: at most 48 tags (AWS allows 50; sopsync uses 2 for ownership)",
    ]);
    // Merged with defaults, and one less with protect (sopsync:protected).
    expect(
      problems(
        `${head}defaults: { tags: { ${many(30)} } }\nsecrets:\n  a: { value: x, protect: true, tags: { ${many(18, 30)} } }\n  b: { value: x, tags: { ${many(18, 30)} } }\n`,
      ),
    ).toEqual(["m.yaml:6:39: 48 tags with defaults.tags merged; at most 47 (AWS allows 50 including sopsync's own)"]);
  });

  it("refuses names outside scope.prefix", () => {
    expect(
      problems(`sopsync: 1\nscope: { id: t, prefix: prod/ }\nsecrets:\n  prod/a: { value: x }\n  dev/b: { value: x }\n`),
    ).toEqual(["m.yaml:5:3: secret name is outside scope.prefix 'prod/'"]);
  });

  it("reports duplicate keys with their line, without quoting the source", () => {
    const out = problems(
      `${head}secrets:\n  a:\n    value: canary-dup-1\n    value: canary-dup-2\n  b: { value: x }\n  a: { value: y }\n`,
    );
    expect(out).toEqual([
      "m.yaml:7:5: duplicate key 'value': each key may appear once in a mapping; remove or rename one",
      "m.yaml:9:3: duplicate key 'a': each key may appear once in a mapping; remove or rename one",
    ]);
    expect(out.join()).not.toContain("canary-dup");
  });

  it("reports every problem of a file at once, sorted by position", () => {
    const out = problems(
      `sopsync: one\nscope: { id: "bad id!" }\nextra: 1\nsecrets:\n  "x y": { value: a, tags: { "aws:t": v } }\n  big: { value: ${"x".repeat(65_537)} }\n  b64: { binary: "%%" }\n`,
    );
    expect(out).toEqual([
      "m.yaml:1:10: `sopsync` is the format version: write `sopsync: 1`",
      "m.yaml:2:14: scope.id: 1-128 characters of A-Za-z0-9_.:/=+@-",
      "m.yaml:3:1: unknown key 'extra'",
      "m.yaml:5:3: secret names are 1-512 characters of A-Za-z0-9/_+=.@-",
      "m.yaml:5:30: secrets.x y.tags: tag keys starting with 'aws:' are reserved by AWS",
      "m.yaml:6:17: the stored value is larger than 65,536 bytes, Secrets Manager's limit",
      "m.yaml:7:18: `binary` must be base64",
    ]);
  });

  it("a format version this build does not read is the one problem reported", () => {
    expect(problems("sopsync: 2\nscope: { id: s }\nnewKey: 1\n")).toEqual([
      "m.yaml:1:10: format version 2 is not supported by this build of sopsync, which reads 1",
    ]);
  });

  it("says what the schema wants in the manifest's words, never the schema library's", () => {
    const out = [
      ...problems("sopsync: 1\n"),
      ...problems("scope: { id: s }\n"),
      ...problems("sopsync: 1\ntarget:\nscope: { id: s }\n"),
      ...problems("sopsync: 1\nscope: { id: s }\nsecrets: { a: [1], b: { value: x, protect: yes, replicas: { region: x } } }\n"),
    ];
    expect(out).toEqual([
      "m.yaml:1:1: missing `scope`: every manifest needs `scope.id`, the owner written to its secrets' tags",
      "m.yaml:1:1: missing `sopsync: 1`, the format version, at the top of the manifest",
      "m.yaml:2:8: `target` is empty: give it a value or remove the key",
      "m.yaml:3:15: secrets.a: expected a mapping, not a list",
      "m.yaml:3:44: secrets.b.protect: expected true or false, not a string",
      "m.yaml:3:59: secrets.b.replicas: expected a list, not a mapping",
    ]);
    expect(out.join("\n")).not.toMatch(/Invalid input|received|expected object/);
  });

  it("checks target fields and replica regions", () => {
    expect(
      problems(
        `sopsync: 1\ntarget: { account: 12345, region: Europe }\nscope: { id: t }\nsecrets:\n  a: { value: x, replicas: [{ region: us-east-1 }, { region: us-east-1 }] }\n`,
      ),
    ).toEqual([
      'm.yaml:2:20: target.account: quote the account id: it is a 12-digit string, as in account: "012345678901"',
      "m.yaml:2:35: target.region: an AWS region like us-east-1",
      "m.yaml:5:28: secrets.a.replicas: each replica region at most once",
    ]);
  });
});
