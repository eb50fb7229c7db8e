// Onboarding, as docs/getting-started.md tells a user to do it: 300 pre-existing secrets (JSON, plain
// strings, binary, tags, descriptions) under a prefix -> `sopsync import` (the doc's exact command
// line) -> the first plan shows only adopt + the ownership tag -> apply writes no value -> clean.
import { runProcess } from "../helpers/spawn.js";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  ListSecretsCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { generateAgeKey, runSops } from "../helpers/tools.js";
import { documentedCommands, fakeActionPath } from "./workflow-steps.js";

const N = 300;
/** The N fixtures and one whose name ends like an ARN suffix (kept, with a warning). */
const IMPORTED = N + 1;
const PREFIX = "prod/";

interface Fixture {
  name: string;
  string?: string;
  binary?: Buffer;
  description?: string;
  tags?: Record<string, string>;
}

/** 300 secrets of every kind, each value carrying a canary. */
function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  const strings = [
    (c: string) => c,
    (c: string) => `2024-01-01 ${c}`,
    (c: string) => `line one ${c}\n  line two\n`,
    (c: string) => `[1, 2, "${c}"]`, // JSON, but not an object: an exact string
    (c: string) => `{"broken": "${c}"`,
    (c: string) => `{"nullable": null, "v": "${c}"}`, // null: kept as an exact string
    (c: string) => ` ${c} `,
  ];
  for (let i = 0; i < N; i++) {
    const c = `canary-import-${i}-x9`;
    const name = `${PREFIX}svc-${String(i).padStart(3, "0")}/${i % 3 === 0 ? "db" : "token"}`;
    const f: Fixture = { name };
    if (i % 10 < 4) {
      // JSON objects, in the many spellings JSON allows: key order, whitespace, big ints, floats.
      f.string = [
        JSON.stringify({ username: `app${i}`, password: c, port: 5432 }),
        `{ "password" : "${c}",\n  "nested": {"a": [1, 2.5, true], "b": "x"}, "id": 9007199254740993 }`,
        JSON.stringify({ api_key: c, ratio: 0.1, enabled: false, when: "2024-01-01", n: "123" }),
        `{"k":"${c}","big":-9223372036854775808,"f":1.0}`,
      ][i % 4];
    } else if (i % 10 < 8) {
      f.string = (strings[i % strings.length] as (c: string) => string)(c);
    } else {
      f.binary = Buffer.concat([Buffer.from([0, 255, 1, 254]), Buffer.from(c)]);
    }
    if (i % 2 === 0) f.description = `Service ${i} credentials: "quoted" & <odd> chars`;
    if (i % 3 !== 2)
      f.tags = {
        team: i % 2 ? "payments" : "platform",
        "cost-center": `cc-${i % 7}`,
        ...(i % 5 === 0 ? { "a:b/c": "x=y" } : {}),
      };
    out.push(f);
  }
  return out;
}

function canaryOf(f: Fixture): string {
  return /canary-import-\d+-x9/.exec(f.binary ? f.binary.toString("latin1") : (f.string ?? ""))?.[0] ?? "";
}

async function create(sm: SecretsManagerClient, f: Fixture) {
  await sm.send(
    new CreateSecretCommand({
      Name: f.name,
      ...(f.binary ? { SecretBinary: f.binary } : { SecretString: f.string }),
      Description: f.description,
      Tags: Object.entries(f.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

async function versions(sm: SecretsManagerClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const r = await sm.send(new ListSecretsCommand({ NextToken, MaxResults: 100, Filters: [{ Key: "name", Values: [PREFIX] }] }));
    for (const s of r.SecretList ?? []) {
      const current = Object.entries(s.SecretVersionsToStages ?? {}).find(([, st]) => st.includes("AWSCURRENT"))?.[0];
      out.set(s.Name ?? "", current ?? "");
    }
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

async function sh(
  line: string,
  env: Record<string, string>,
  cwd: string,
  actionPath: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `sopsync() { node "${actionPath}/action/sopsync.mjs" "$@"; }\n${line}\n`;
  const r = await runProcess("bash", ["--noprofile", "--norc", "-e", "-c", script], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), NO_COLOR: "1", ...env },
  });
  allOutput.push(r.stdout, r.stderr);
  return r;
}

describe("sopsync import: 300 existing secrets adopted without rewriting a value", () => {
  let moto: Moto;
  let dir: string;
  let env: Record<string, string>;
  const all = fixtures();
  const canaries = Object.fromEntries(all.map((f) => [f.name, canaryOf(f)]));
  const sm = () => smClient(moto.endpoint);
  let before: Map<string, string>;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), "sopsync-import-"));
    const key = generateAgeKey(dir);
    env = { ...moto.env, SOPS_AGE_KEY_FILE: key.file, SOPS_AGE_RECIPIENT: key.recipient };
    for (let i = 0; i < all.length; i += 25) await Promise.all(all.slice(i, i + 25).map((f) => create(sm(), f)));
    // Not imported: outside the prefix, owned by another scope, pending deletion. Imported with a
    // warning: a name ending like an ARN suffix (AWS accepts it and advises against it).
    await create(sm(), { name: "staging/other", string: "canary-import-outside-x9" });
    await create(sm(), { name: `${PREFIX}owned`, string: "canary-import-owned-x9", tags: { "sopsync:managed-by": "team-b" } });
    await create(sm(), { name: `${PREFIX}leaving`, string: "canary-import-leaving-x9" });
    await sm().send(new DeleteSecretCommand({ SecretId: `${PREFIX}leaving`, RecoveryWindowInDays: 7 }));
    await create(sm(), { name: `${PREFIX}svc-abc123`, string: "canary-import-suffix-x9" });
    Object.assign(canaries, {
      outside: "canary-import-outside-x9",
      owned: "canary-import-owned-x9",
      suffix: "canary-import-suffix-x9",
    });
    before = await versions(sm());
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("imports with the command line from docs/getting-started.md, reporting what it skipped", async () => {
    const [line, ...more] = documentedCommands("docs/getting-started.md", "import");
    expect(more).toEqual([]);
    expect(line).toContain(`--prefix ${PREFIX}`);
    const r = await sh(line as string, env, dir, fakeActionPath());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `Imported ${IMPORTED} secret\\(s\\) under 'prod/' into secrets.yaml \\(scope prod, account 123456789012, eu-west-1\\)`,
      ),
    );
    expect(r.stderr).toMatch(/skipped prod\/owned: already managed by sopsync scope 'team-b'/);
    expect(r.stderr).toMatch(/skipped prod\/leaving: scheduled for deletion/);
    expect(r.stderr).not.toMatch(/skipped prod\/svc-abc123/);
    expect(r.stderr).toMatch(
      /warning: 'prod\/svc-abc123' ends with '-' and six characters, like the random suffix Secrets Manager adds/,
    );
  });

  it("wrote a file the reference sops decrypts (MAC verified) with every value exact and encrypted at rest", () => {
    const file = join(dir, "secrets.yaml");
    const text = readFileSync(file, "utf8");
    assertNoCanary([text], canaries);
    const d = runSops(["decrypt", file], { SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE as string });
    expect(d.status, d.stderr).toBe(0);
    const m = YAML.parse(d.stdout, { intAsBigInt: true });
    expect(m.scope).toEqual({ id: "prod", prefix: PREFIX });
    expect(m.target).toEqual({ region: "eu-west-1", account: "123456789012" });
    expect(Object.keys(m.secrets)).toHaveLength(IMPORTED);
    expect(m.secrets["prod/svc-abc123"].value).toBe(canaries.suffix);
    const db = m.secrets["prod/svc-000/db"];
    expect(db).toMatchObject({
      adopt: true,
      description: 'Service 0 credentials: "quoted" & <odd> chars',
      tags: { team: "platform", "a:b/c": "x=y" },
    });
    expect(db.value).toEqual({ username: "app0", password: canaries["prod/svc-000/db"], port: 5432n });
    expect(m.secrets["prod/svc-015/db"].value).toBe(`2024-01-01 ${canaries["prod/svc-015/db"]}`); // a string, not a date
    expect(m.secrets["prod/svc-004/token"].value).toBe(`{"broken": "${canaries["prod/svc-004/token"]}"`);
    expect(m.secrets["prod/svc-005/token"].value).toBe(`{"nullable": null, "v": "${canaries["prod/svc-005/token"]}"}`);
    expect(m.secrets["prod/svc-008/token"].binary).toBe(all[8]?.binary?.toString("base64"));
    expect(m.secrets["prod/svc-001/token"].value.id).toBe(9007199254740993n);
  });

  it("the first plan shows only adopt and the ownership tag, for every secret", async () => {
    const r = await runCli(["plan", "--detailed-exitcode", "--format", "json", join(dir, "secrets.yaml")], { env });
    expect(r.code, r.stderr).toBe(2);
    const plan = JSON.parse(r.stdout);
    const t = plan.targets[0];
    expect(t.summary).toMatchObject({ adopt: IMPORTED, create: 0, update: 0, delete: 0 });
    const changed = t.changes.filter((c: { actions: unknown[] }) => c.actions.length > 0);
    expect(changed).toHaveLength(IMPORTED);
    // Only sopsync's own tags are added (the ownership tag, and the planner may record the current
    // version for drift attribution): no value, description, KMS key or user tag changes.
    for (const c of changed) {
      expect(
        c.actions.map((x: { type: string }) => x.type),
        c.name,
      ).toEqual(["adopt", "tag"]);
      const tags = c.actions[1].tags as Record<string, { before?: string; after: string }>;
      expect(tags["sopsync:managed-by"], c.name).toEqual({ after: "prod" });
      for (const [k, v] of Object.entries(tags)) {
        expect(k, c.name).toMatch(/^sopsync:/);
        expect(v.before, c.name).toBeUndefined();
      }
      if (tags["sopsync:version"]) expect(tags["sopsync:version"].after).toBe(before.get(c.name));
    }
    // What import skipped stays visible in the plan, untouched.
    expect(t.unmanaged).toEqual(["prod/leaving", "prod/owned"]);
  });

  it("apply takes ownership without writing a single value; the next plan is clean", async () => {
    const file = join(dir, "secrets.yaml");
    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stderr).toBe(0);
    const after = await versions(sm());
    for (const f of all) expect(after.get(f.name), f.name).toBe(before.get(f.name));
    const p = await runCli(["plan", "--detailed-exitcode", file], { env });
    expect(p.code, p.stdout).toBe(0);
    expect(p.stdout).toMatch(new RegExp(`No changes\\. ${IMPORTED} secret\\(s\\) in sync\\.`));
  });

  it("no secret value appeared in any output", () => {
    expect(allOutput.length).toBeGreaterThan(6);
    assertNoCanary(allOutput, canaries);
  });
});
