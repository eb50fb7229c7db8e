import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smClient } from "../helpers/aws.js";
import { runCli } from "../helpers/cli.js";
import { cliCommand, onTerminal } from "../helpers/terminal.js";
import { MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";
import { generateAgeKey, sopsEncrypt } from "../helpers/tools.js";
import { sopsEncryptFile } from "../sops/helpers.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";

/** A valid manifest; rows change one thing. sops writes it back indented by 4. */
const BASE = `sopsync: 1
target:
  region: eu-west-1
scope:
  id: errs
  prefix: e/
secrets:
  e/db:
    description: database
    value: v1
`;

interface Ctx {
  dir: string;
  /** A fresh folder for the row. */
  rowDir: string;
  /** Writes `plaintext` encrypted by the reference sops (values only) as rowDir/name; returns the path. */
  manifest(plaintext: string, name?: string): string;
  w: ProxiedMoto;
  kmsArn: string;
}

interface Row {
  name: string;
  /** Sets up files and returns the CLI arguments. */
  args: (c: Ctx) => string[] | Promise<string[]>;
  /** The exact first line of stderr (on a terminal: the first line starting with "Error"). */
  first: (c: Ctx) => string;
  /** Changes to the environment the CLI runs with (undefined removes a variable). */
  env?: (c: Ctx) => Record<string, string | undefined>;
  /** Run on a pseudo-terminal, typing this once the prompt shows. */
  terminalKey?: string;
  /** No AWS at all: not one request on the wire. */
  offline?: boolean;
  /** Further checks of the whole output. */
  also?: (out: { stdout: string; stderr: string }) => void;
}

const put = (dir: string, name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
/** BASE with `from` replaced by `to`. */
const base = (from: string, to: string) => {
  if (!BASE.includes(from)) throw new Error(`BASE has no ${from}`);
  return BASE.replace(from, to);
};
const withSecrets = (yaml: string) => `${BASE.slice(0, BASE.indexOf("secrets:"))}secrets:\n${yaml}`;
/** An encrypted BASE whose text is then changed by hand (as an editor would, without sops). */
const edited = (c: Ctx, change: (text: string) => string) => {
  const file = c.manifest(BASE);
  writeFileSync(file, change(readFileSync(file, "utf8")));
  return file;
};
const lineCount = (file: string) => readFileSync(file, "utf8").split("\n").length;
const SUFFIX_WARNING = "ends with '-' and six characters";

const rows: Row[] = [
  // YAML syntax: plain sentences, before decryption, never the parser's code or text.
  {
    name: "a tab used for indentation",
    offline: true,
    args: (c) => ["validate", edited(c, (t) => t.replace("    region: eu-west-1", "\tregion: eu-west-1"))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:3:1: a tab is used for indentation: YAML indents with spaces only`,
  },
  {
    // yaml.v3 (so sops, so sopsync) reads an unquoted date as a timestamp; AWS would refuse the policy.
    name: "an unquoted policy Version, before any AWS call",
    args: (c) => [
      "plan",
      c.manifest(withSecrets("  e/db:\n    value: v1\n    policy:\n      Version: 2012-10-17\n      Statement: []\n")),
    ],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:11:22: secrets.e/db: policy Version 2012-10-17 unquoted is read as a timestamp (YAML, as sops reads it); quote it: Version: "2012-10-17"`,
  },
  {
    name: "a duplicate key, named",
    offline: true,
    args: (c) => [
      "validate",
      edited(c, (t) =>
        t.replace("        description: database\n", "        description: database\n        description: again\n"),
      ),
    ],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:10:9: duplicate key 'description': each key may appear once in a mapping; remove or rename one`,
  },
  {
    name: "a key over two lines (MULTILINE_IMPLICIT_KEY)",
    offline: true,
    args: (c) => [
      "validate",
      edited(c, (t) => t.replace("        description: database\n", "        description\n          more: database\n")),
    ],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:9:9: a key runs over more than one line: check the indentation and the \`:\` after each key`,
  },
  {
    name: "an unclosed quote",
    offline: true,
    args: (c) => ["validate", edited(c, (t) => t.replace("description: database", "description: 'database"))],
    // The parser finds the quote unclosed at the end of the file.
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:${lineCount(`${c.rowDir}/secrets.yaml`)}:1: a quote or bracket is not closed`,
  },
  {
    name: "items of one mapping at different columns",
    offline: true,
    args: (c) => ["validate", edited(c, (t) => t.replace("    prefix: e/", "   prefix: e/"))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:6:1: wrong indentation: items of one mapping or list start at the same column`,
  },
  // The format version and the schema, in the manifest's words.
  {
    name: "a format version this build does not read",
    offline: true,
    args: (c) => ["validate", c.manifest(base("sopsync: 1", "sopsync: 2"))],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:1:10: format version 2 is not supported by this build of sopsync, which reads 1`,
  },
  {
    name: "no format version",
    offline: true,
    args: (c) => ["validate", c.manifest(base("sopsync: 1\n", ""))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:1:1: missing \`sopsync: 1\`, the format version, at the top of the manifest`,
  },
  {
    name: "no scope",
    offline: true,
    args: (c) => ["validate", c.manifest("sopsync: 1\nsecrets:\n  a:\n    value: v1\n")],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:1:1: missing \`scope\`: every manifest needs \`scope.id\`, the owner written to its secrets' tags`,
  },
  {
    name: "an unquoted account id",
    offline: true,
    args: (c) => ["validate", c.manifest(base("  region: eu-west-1\n", "  region: eu-west-1\n  account: 123456789012\n"))],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:4:14: target.account: quote the account id: it is a 12-digit string, as in account: "012345678901"`,
  },
  {
    name: "an empty target",
    offline: true,
    args: (c) => ["validate", c.manifest(base("target:\n  region: eu-west-1\n", "target:\n"))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:2:9: \`target\` is empty: give it a value or remove the key`,
  },
  {
    name: "an unknown key",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}colour: red\n`)],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:11:1: unknown key 'colour'`,
  },
  {
    name: "a region that is not one",
    offline: true,
    args: (c) => ["validate", c.manifest(base("region: eu-west-1", "region: Europe"))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:3:13: target.region: an AWS region like us-east-1`,
  },
  {
    name: "a scope id with a space",
    offline: true,
    args: (c) => ["validate", c.manifest(base("id: errs", 'id: "my team"'))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:5:9: scope.id: 1-128 characters of A-Za-z0-9_.:/=+@-`,
  },
  {
    name: "a string where true or false goes",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}    protect: yes\n`)],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:11:18: secrets.e/db.protect: expected true or false, not a string`,
  },
  {
    name: "a secret that is a list",
    offline: true,
    args: (c) => ["validate", c.manifest(withSecrets("  e/db:\n    - v1\n"))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:9:9: secrets.e/db: expected a mapping, not a list`,
  },
  {
    name: "a name with a space",
    offline: true,
    args: (c) => ["validate", c.manifest(withSecrets('  "e/my db":\n    value: v1\n'))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:8:5: secret names are 1-512 characters of A-Za-z0-9/_+=.@-`,
  },
  {
    name: "a name outside scope.prefix",
    offline: true,
    args: (c) => ["validate", c.manifest(withSecrets("  other/db:\n    value: v1\n"))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:8:5: secret name is outside scope.prefix 'e/'`,
  },
  {
    name: "a name under the apply lock's prefix",
    offline: true,
    args: (c) => ["validate", c.manifest(base("  prefix: e/\n", "").replace("e/db:", "sopsync-lock/x:"))],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:7:5: secret names starting with 'sopsync-lock/' are reserved for sopsync's apply lock`,
  },
  {
    name: "value and binary together",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}    binary: aGk=\n`)],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:9:9: secrets.e/db: \`value\` and \`binary\` are exclusive`,
  },
  {
    name: "a secret without value, binary or generate",
    offline: true,
    args: (c) => ["validate", c.manifest(base("    value: v1\n", ""))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:9:9: secrets.e/db: a secret needs \`value\`, \`binary\` or \`generate\``,
  },
  {
    name: "binary that is not base64",
    offline: true,
    args: (c) => ["validate", c.manifest(base("value: v1", 'binary: "not base64!"'))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:10:17: \`binary\` must be base64`,
  },
  {
    name: "an empty value",
    offline: true,
    args: (c) => ["validate", c.manifest(base("value: v1", 'value: ""'))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:10:16: \`value\` is empty; Secrets Manager needs at least 1 character`,
  },
  {
    name: "a value over 65,536 bytes",
    offline: true,
    args: (c) => ["validate", c.manifest(base("value: v1", `value: ${"x".repeat(65_537)}`))],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:10:16: the stored value is larger than 65,536 bytes, Secrets Manager's limit`,
  },
  {
    name: "a recovery window under 7 days",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}    recoveryWindowDays: 3\n`)],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:11:29: secrets.e/db.recoveryWindowDays: recovery window is 7..30 days`,
  },
  {
    name: "a tag key starting with aws:",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}    tags:\n      "aws:team": a\n`)],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:12:13: secrets.e/db.tags: tag keys starting with 'aws:' are reserved by AWS`,
  },
  {
    name: "allowPublicPolicy without a policy",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}    allowPublicPolicy: true\n`)],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:11:9: secrets.e/db: \`allowPublicPolicy\` needs a \`policy\` to attach`,
  },
  {
    name: "generate options that exclude every character type",
    offline: true,
    args: (c) => [
      "validate",
      c.manifest(
        base(
          "    value: v1\n",
          "    generate:\n      excludeNumbers: true\n      excludePunctuation: true\n      excludeUppercase: true\n      excludeLowercase: true\n",
        ),
      ),
    ],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:10:9: secrets.e/db: every character type is excluded; GetRandomPassword would have nothing to use`,
  },
  {
    name: "a manifest for a later sopsync (requiredVersion)",
    offline: true,
    args: (c) => ["validate", c.manifest(base("sopsync: 1\n", 'sopsync: 1\nrequiredVersion: ">=99.0.0"\n'))],
    first: (c) =>
      expect.stringMatching(new RegExp(`^Error: ${c.rowDir}/secrets\\.yaml:2:18: .*>=99\\.0\\.0`)) as unknown as string,
  },
  {
    name: "several problems: counted, then each sorted by line, in one pass",
    offline: true,
    args: (c) => [
      "validate",
      c.manifest(
        `sopsync: 1\nscope:\n  id: errs\ncolour: red\nsecrets:\n  a:\n    binary: "%%"\n  b:\n    value: v1\n    recoveryWindowDays: 3\n`,
      ),
    ],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml: 3 problems in the manifest`,
    also: ({ stderr }) =>
      expect(
        stderr
          .split("\n")
          .slice(1, 4)
          .map((l) => l.replace(/^.*secrets\.yaml:/, "")),
      ).toEqual([
        "4:1: unknown key 'colour'",
        "7:17: `binary` must be base64",
        "10:29: secrets.b.recoveryWindowDays: recovery window is 7..30 days",
      ]),
  },
  {
    name: "two YAML documents",
    offline: true,
    args: (c) => ["validate", c.manifest(`${BASE}---\nother: 1\n`)],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml:1:1: a manifest is exactly one YAML document; split the others into their own files`,
  },
  // Files and sops.
  {
    name: "a manifest that does not exist",
    offline: true,
    args: (c) => ["validate", join(c.rowDir, "nothere.yaml")],
    first: (c) => `Error: ${c.rowDir}/nothere.yaml: no such file or directory`,
  },
  {
    name: "a directory without manifests",
    offline: true,
    args: (c) => ["validate", c.rowDir],
    first: (c) => `Error: ${c.rowDir}: no manifest (*.yaml, *.yml, *.json) in this directory`,
  },
  {
    name: "a manifest not encrypted with sops",
    offline: true,
    args: (c) => ["validate", put(c.rowDir, "plain.yaml", BASE)],
    first: (c) =>
      `Error: ${c.rowDir}/plain.yaml: not encrypted with sops (no \`sops:\` block): encrypt it with \`sops encrypt -i ${c.rowDir}/plain.yaml\`, or start with \`sopsync init\``,
  },
  {
    name: "a cleartext field edited without sops (MAC mismatch)",
    offline: true,
    args: (c) => ["validate", edited(c, (t) => t.replace("description: database", "description: changed"))],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml: MAC mismatch: the file was changed without sops; restore it from git, or re-encrypt it with \`sops\` / \`sopsync edit\``,
  },
  {
    name: "no age key that fits",
    offline: true,
    env: (c) => ({ SOPS_AGE_KEY_FILE: generateAgeKey(c.rowDir).file }),
    args: (c) => ["validate", c.manifest(BASE)],
    first: (c) =>
      expect.stringMatching(
        new RegExp(
          `^Error: ${c.rowDir}/secrets\\.yaml: cannot decrypt: age ${c.w.recipient}: none of the 1 age identities found \\(looked in SOPS_AGE_KEY_FILE .*\\); set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY to a key the file is encrypted for$`,
        ),
      ) as unknown as string,
  },
  {
    name: "a KMS manifest with KMS unreachable: the cause first",
    env: () => ({ AWS_ENDPOINT_URL_KMS: "http://127.0.0.1:1", SOPSYNC_REQUEST_TIMEOUT: "2s" }),
    args: (c) => [
      "validate",
      sopsEncryptFile(c.rowDir, "kms.yaml", BASE, ["--kms", c.kmsArn, "--encrypted-regex", "^(value|binary)$"], c.w.moto.env),
    ],
    first: (c) =>
      expect.stringMatching(
        new RegExp(
          `^Error: ${c.rowDir}/kms\\.yaml: cannot decrypt: AWS KMS is unreachable \\(.*ECONNREFUSED.*\\) for ${c.kmsArn}; check the network, the region and the credentials for KMS$`,
        ),
      ) as unknown as string,
  },
  {
    name: "a KMS manifest without AWS credentials",
    env: () => ({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    args: (c) => [
      "validate",
      sopsEncryptFile(c.rowDir, "kms.yaml", BASE, ["--kms", c.kmsArn, "--encrypted-regex", "^(value|binary)$"], c.w.moto.env),
    ],
    first: (c) =>
      `Error: ${c.rowDir}/kms.yaml: cannot decrypt: no AWS credentials to ask KMS with, for ${c.kmsArn} (set AWS_PROFILE or keys, or run \`aws sso login\`); check the network, the region and the credentials for KMS`,
  },
  {
    name: "a saved plan given where a manifest goes",
    offline: true,
    args: (c) => ["validate", put(c.rowDir, "plan.json", JSON.stringify({ formatVersion: 2, planId: "x", targets: [] }))],
    first: (c) =>
      `Error: ${c.rowDir}/plan.json is a saved plan, not a manifest: give it first, as in \`sopsync apply ${c.rowDir}/plan.json [MANIFEST...]\``,
  },
  {
    name: "apply MANIFEST PLAN: the plan in the manifest's place",
    offline: true,
    args: (c) => ["apply", c.manifest(BASE), put(c.rowDir, "plan.json", JSON.stringify({ formatVersion: 2, planId: "x" }))],
    first: (c) =>
      `Error: ${c.rowDir}/plan.json is a saved plan, not a manifest: give it first, as in \`sopsync apply ${c.rowDir}/plan.json [MANIFEST...]\``,
  },
  {
    name: "apply PLAN where the saved plan's name does not end in .json",
    offline: true,
    args: (c) => ["apply", put(c.rowDir, "saved", JSON.stringify({ formatVersion: 2, planId: "x" }))],
    first: (c) =>
      `Error: ${c.rowDir}/saved is a saved plan, not a manifest: give it first, as in \`sopsync apply ${c.rowDir}/saved.json [MANIFEST...]\` (a saved plan's name ends in .json: rename it to ${c.rowDir}/saved.json)`,
  },
  // The AWS set-up: which setting, from where, what to do; no SDK text.
  {
    name: "no region anywhere",
    env: () => ({ AWS_REGION: undefined }),
    args: (c) => ["plan", c.manifest(base("target:\n  region: eu-west-1\n", ""))],
    first: () => "Error: no AWS region: set target.region in the manifest, or AWS_REGION, or region in the profile",
  },
  {
    name: "target.profile that does not exist (with static keys set too)",
    args: (c) => ["plan", c.manifest(base("  region: eu-west-1\n", "  region: eu-west-1\n  profile: nosuch\n"))],
    first: (c) =>
      `Error: AWS profile 'nosuch' (target.profile) is not in ${c.rowDir}/.aws/config or ${c.rowDir}/.aws/credentials: fix the name, or create it with \`aws configure --profile nosuch\``,
    also: ({ stdout, stderr }) =>
      expect(`${stdout}${stderr}`).not.toMatch(/WARNING|AWS_PROFILE and the pair|credential-provider/),
  },
  {
    name: "AWS_PROFILE that does not exist",
    env: () => ({ AWS_PROFILE: "gone", AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    args: (c) => ["plan", c.manifest(BASE)],
    first: (c) =>
      `Error: AWS profile 'gone' (AWS_PROFILE) is not in ${c.rowDir}/.aws/config or ${c.rowDir}/.aws/credentials: fix the name, or create it with \`aws configure --profile gone\``,
  },
  {
    name: "a profile without credentials",
    env: (c) => {
      mkdirSync(join(c.rowDir, ".aws"));
      writeFileSync(join(c.rowDir, ".aws", "config"), "[profile empty]\nregion = eu-west-1\n");
      return { AWS_PROFILE: "empty", AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
    },
    args: (c) => ["plan", c.manifest(BASE)],
    first: () =>
      "Error: AWS profile 'empty' (AWS_PROFILE) gave no credentials: for SSO run `aws sso login --profile empty`, else check its keys or role in the shared config",
  },
  {
    name: "no credentials at all",
    env: () => ({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    args: (c) => ["plan", c.manifest(BASE)],
    first: () =>
      "Error: no AWS credentials found (tried the environment, the shared config and credentials files, SSO and the instance role): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`",
  },
  {
    name: "a manifest for another account",
    args: (c) => [
      "apply",
      "--yes",
      c.manifest(base("  region: eu-west-1\n", '  region: eu-west-1\n  account: "111111111111"\n')),
    ],
    first: (c) =>
      `Error: ${c.rowDir}/secrets.yaml: target.account is 111111111111 but the credentials are for account ${MOTO_ACCOUNT}; refusing to run`,
  },
  // init and import.
  {
    name: "init --kms with a key that does not exist",
    args: () => ["init", "--kms", `arn:aws:kms:${TEST_REGION}:${MOTO_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`],
    first: () =>
      `Error: --kms arn:aws:kms:${TEST_REGION}:${MOTO_ACCOUNT}:key/11111111-2222-3333-4444-555555555555: the key does not exist in that account and region: check the ARN (\`aws kms describe-key --key-id ARN\`)`,
  },
  {
    name: "init --kms with something that is not a key ARN",
    offline: true,
    args: () => ["init", "--kms", "alias/mine"],
    first: () => "Error: --kms must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), got alias/mine",
  },
  {
    name: "init where a manifest already exists",
    offline: true,
    args: (c) => {
      c.manifest(BASE);
      return ["init"];
    },
    first: (c) => `Error: ${c.rowDir}/secrets.yaml already exists; init never overwrites files`,
  },
  {
    name: "init --age with something that is not a recipient",
    offline: true,
    args: () => ["init", "--age", "ssh-rsa AAAA"],
    first: () => "Error: --age must be an age recipient (age1...), got ssh-rsa AAAA",
  },
  {
    name: "import with both --age and --kms",
    offline: true,
    args: (c) => ["import", "--prefix", "e/", "--out", "new.yaml", "--age", c.w.recipient, "--kms", c.kmsArn],
    first: () => "Error: pass either --age or --kms, not both",
  },
  {
    name: "import --out in a folder that does not exist",
    args: async (c) => {
      // One secret to import (an empty result writes nothing), created past the proxy.
      const sm = smClient(c.w.moto.endpoint);
      await sm.send(new CreateSecretCommand({ Name: "w/one", SecretString: "v" }));
      sm.destroy();
      return ["import", "--prefix", "w/", "--out", join(c.rowDir, "missing", "new.yaml"), "--age", c.w.recipient];
    },
    first: (c) => `Error: cannot write ${c.rowDir}/missing/new.yaml: no such directory (ENOENT); the file was left as it was`,
  },
  {
    name: "plan --out on a full disk",
    args: (c) => ["plan", "--out", "/dev/full", c.manifest(BASE)],
    first: () => "Error: cannot write /dev/full: no space left on the device (ENOSPC)",
  },
  {
    name: "import under a prefix that holds no secret: no empty manifest is written",
    args: (c) => ["import", "--prefix", "nothing/", "--out", join(c.rowDir, "new.yaml"), "--age", c.w.recipient],
    first: (c) =>
      `Error: no secrets under prefix 'nothing/' in account ${MOTO_ACCOUNT}, ${TEST_REGION}: check the prefix and the region (--region); ${c.rowDir}/new.yaml was not written`,
    also: ({ stderr }) => expect(stderr).not.toContain("Next:"),
  },
  {
    name: "import with an empty --prefix",
    offline: true,
    args: (c) => ["import", "--prefix", "", "--out", join(c.rowDir, "new.yaml"), "--age", c.w.recipient],
    first: () => "Error: --prefix must not be empty: import reads the secrets under one prefix",
  },
  {
    name: "import onto an existing file",
    offline: true,
    args: (c) => ["import", "--prefix", "e/", "--out", c.manifest(BASE), "--age", c.w.recipient],
    first: (c) => `Error: ${c.rowDir}/secrets.yaml already exists; import never overwrites a file`,
  },
  {
    name: "init with SOPS_AGE_RECIPIENTS holding something that is not a recipient",
    offline: true,
    env: (c) => ({ SOPS_AGE_RECIPIENTS: `${c.w.recipient}, ssh-ed25519 AAAA` }),
    args: () => ["init"],
    first: () => "Error: SOPS_AGE_RECIPIENTS must be an age recipient (age1...), got ssh-ed25519 AAAA",
  },
  {
    name: "init --age with a list where one is not a recipient",
    offline: true,
    args: (c) => ["init", "--age", `${c.w.recipient},age1nope`],
    first: () => "Error: --age must be an age recipient (age1...), got age1nope",
  },
  {
    name: "init with no key: no flag, no SOPS_AGE_RECIPIENTS, no age key found",
    offline: true,
    env: () => ({ SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: undefined, SOPS_AGE_RECIPIENTS: undefined }),
    args: () => ["init"],
    first: () =>
      "Error: no key given: pass --age RECIPIENT or --kms ARN, or set SOPS_AGE_RECIPIENTS (or make an age key available via SOPS_AGE_KEY_FILE)",
  },
  // Several manifests: every file is checked before the first AWS call, and every problem is reported.
  {
    name: "plan with two invalid manifests of three: every file's problems in one pass, by file then line",
    offline: true,
    args: (c) => {
      for (const d of ["a", "b", "c", "ok"]) mkdirSync(join(c.rowDir, d));
      return [
        "plan",
        c.manifest(`${BASE}    recoveryWindowDays: 3\n`, "b/secrets.yaml"),
        c.manifest(BASE, "ok/secrets.yaml"),
        c.manifest(`${base("value: v1", 'value: ""')}colour: red\n`, "a/secrets.yaml"),
        put(c.rowDir, "c/secrets.yaml", BASE),
      ];
    },
    first: () => "Error: 4 problems in 3 of 4 manifests; nothing was sent to AWS",
    also: ({ stderr }) =>
      expect(
        stderr
          .split("\n")
          .slice(1, 5)
          .map((l) => l.replace(/^.*?\/row-\d+\//, "")),
      ).toEqual([
        "a/secrets.yaml:10:16: `value` is empty; Secrets Manager needs at least 1 character",
        "a/secrets.yaml:11:1: unknown key 'colour'",
        "b/secrets.yaml:11:29: secrets.e/db.recoveryWindowDays: recovery window is 7..30 days",
        expect.stringMatching(/^c\/secrets\.yaml:1:1: not encrypted with sops \(no `sops:` block\)/) as unknown as string,
      ]),
  },
  {
    name: "apply with one invalid manifest among valid ones: its own message, nothing sent to AWS",
    offline: true,
    args: (c) => {
      mkdirSync(join(c.rowDir, "ok"));
      return ["apply", "--yes", c.manifest(BASE, "ok/secrets.yaml"), c.manifest(`${BASE}colour: red\n`)];
    },
    first: (c) => `Error: ${c.rowDir}/secrets.yaml:11:1: unknown key 'colour'`,
  },
  // Run limits and the network.
  {
    name: "plan --timeout that is not a duration",
    offline: true,
    args: (c) => ["plan", "--timeout", "nonsense", c.manifest(BASE)],
    first: () =>
      "error: option '--timeout <duration>' argument 'nonsense' is invalid. 'nonsense' is not a duration: use e.g. 0, 30s, 5m, 1h or 1m30s (a bare number is seconds)",
  },
  {
    name: "plan --timeout 0s",
    offline: true,
    args: (c) => ["plan", "--timeout", "0s", c.manifest(BASE)],
    first: () => "error: option '--timeout <duration>' argument '0s' is invalid. expected a duration above 0, e.g. 30s or 10m",
  },
  {
    name: "an AWS endpoint nothing listens on",
    // The per-service variables (set by the test's proxy) win over AWS_ENDPOINT_URL: point them all there.
    env: () => ({
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: undefined,
      AWS_ENDPOINT_URL_STS: undefined,
      AWS_ENDPOINT_URL_KMS: undefined,
    }),
    args: (c) => ["plan", c.manifest(BASE)],
    first: () =>
      "Error: AWS GetCallerIdentity: ECONNREFUSED: cannot reach http://127.0.0.1:1: connection refused: nothing is listening there (3 attempts); check the region, AWS_ENDPOINT_URL* and the network or proxy",
  },
  // Answers at the confirmation prompt.
  {
    name: "Ctrl-D at the confirmation prompt",
    terminalKey: "\x04",
    args: (c) => ["apply", c.manifest(BASE)],
    first: () => "Error: cancelled at the prompt (Ctrl-D); nothing was changed",
  },
  {
    name: "Ctrl-C at the confirmation prompt",
    terminalKey: "\x03",
    args: (c) => ["apply", c.manifest(BASE)],
    first: () => "Error: cancelled at the prompt (Ctrl-C); nothing was changed",
  },
];

/** The CLI on a pseudo-terminal, typing `key` once the confirmation prompt shows. */
function runOnTerminal(args: string[], env: Record<string, string>, cwd: string, key: string) {
  let typed = false;
  return onTerminal(cliCommand(args), {
    env,
    cwd,
    onOutput: (output, terminal) => {
      if (typed || !output.includes("will be accepted")) return;
      typed = true;
      terminal.stdin.write(key);
    },
  });
}

describe("the error catalogue through the CLI", () => {
  let w: ProxiedMoto;
  let kmsArn: string;
  let n = 0;

  beforeAll(async () => {
    w = await startProxiedMoto("errors", {});
    const kms = new KMSClient({
      region: TEST_REGION,
      endpoint: w.moto.endpoint,
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
    });
    kmsArn = (await kms.send(new CreateKeyCommand({ Description: "errors test" }))).KeyMetadata?.Arn ?? "";
    kms.destroy();
  });
  afterAll(() => stopProxiedMoto(w ?? {}));

  it("has at least 60 rows", () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
  });

  for (const row of rows) {
    it(row.name, async () => {
      const rowDir = join(w.dir, `row-${++n}`);
      mkdirSync(rowDir);
      const c: Ctx = {
        dir: w.dir,
        rowDir,
        w,
        kmsArn,
        manifest: (plaintext, name = "secrets.yaml") =>
          sopsEncrypt(plaintext, {
            recipients: [w.recipient],
            dir: rowDir,
            name,
            extraArgs: ["--encrypted-regex", "^(value|binary)$"],
          }),
      };
      const args = await row.args(c);
      const env: Record<string, string> = { ...w.env, HOME: rowDir };
      for (const [k, v] of Object.entries(row.env?.(c) ?? {})) {
        if (v === undefined) delete env[k];
        else env[k] = v;
      }
      w.proxy.resetStats();

      let code: number;
      let firstLine: string | undefined;
      let stdout = "";
      let stderr = "";
      if (row.terminalKey) {
        const t = await runOnTerminal(args, { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env }, rowDir, row.terminalKey);
        code = t.code;
        stdout = t.output;
        firstLine = t.output
          .split(/\r?\n/)
          .find((l) => l.includes("Error"))
          ?.replace(/^.*?(Error)/, "$1");
      } else {
        const r = await runCli(args, { env, cwd: rowDir });
        ({ code, stdout, stderr } = r);
        firstLine = r.stderr.split("\n")[0];
      }

      expect(code, `${stdout}\n${stderr}`).toBe(1);
      expect(firstLine).toEqual(row.first(c));
      expect(`${stdout}${stderr}`).not.toMatch(/internal|This is a bug/i);
      expect(w.proxy.writes({ excludeLock: true })).toBe(0);
      if (row.offline) expect(w.proxy.stats.requests).toBe(0);
      row.also?.({ stdout, stderr });
    });
  }

  it("a name ending in '-' and six characters is a warning: validate passes and says why", async () => {
    const dir = join(w.dir, "warning");
    mkdirSync(dir);
    const file = sopsEncrypt(withSecrets("  e/db-master:\n    value: v1\n  e/with-policy:\n    value: v2\n"), {
      recipients: [w.recipient],
      dir,
      extraArgs: ["--encrypted-regex", "^(value|binary)$"],
    });
    const r = await runCli(["validate", file], { env: { ...w.env, HOME: dir }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: ok (2 secrets, scope errs)\n`);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      `Warning: ${file}:8:5: 'e/db-master' ${SUFFIX_WARNING}, like the random suffix Secrets Manager adds to every secret ARN: a partial ARN naming it is ambiguous; AWS advises against such names`,
      `Warning: ${file}:10:5: 'e/with-policy' ${SUFFIX_WARNING}, like the random suffix Secrets Manager adds to every secret ARN: a partial ARN naming it is ambiguous; AWS advises against such names`,
    ]);
  });
});
