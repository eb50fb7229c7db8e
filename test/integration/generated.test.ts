// Generated values (`generate:`) through the CLI, against moto behind the test proxy: both forms are
// created with the shape asked for (GetRandomPassword's options), and the value read back from moto
// appears in no output, saved plan or file; later plans never write it again (no PutSecretValue on the
// wire); a static key change re-puts the JSON keeping the generated key; an apply SIGKILLed right after
// a generated create landed resumes without a second version; a saved plan whose generate options were
// edited is refused before any write.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { putFreshValue } from "../../src/apply/generated.js";
import { replacingToken, requestToken } from "../../src/apply/tokens.js";
import { QuotaPacers } from "../../src/aws/quotas.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import type { DesiredSecret } from "../../src/manifest/model.js";
import type { Plan } from "../../src/plan/model.js";
import { forceUnlock, readLock } from "../../src/run/lock.js";
import { generatedRotator } from "../../src/run/rotate-generated.js";
import type { RunTarget } from "../../src/run/targets.js";
import { getString, smClient, tagsOf } from "../helpers/aws.js";
import { allOutput, runCli } from "../helpers/cli.js";
import { LOCK_SECRET_PREFIX, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { awsEnv, MOTO_ACCOUNT, type Moto, TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";
import {
  currentVersion,
  type ProxiedMoto,
  startProxiedMoto,
  stopProxiedMoto,
  versionsOf,
  writePlanFile,
} from "../apply/cli-fixtures.js";

const SCOPE = "gen";
const WHOLE = "g/whole";
const CREDS = "g/creds";

function manifestYaml(username: string, extra = ""): string {
  return `sopsync: 1
target:
  region: ${TEST_REGION}
scope:
  id: ${SCOPE}
  prefix: g/
secrets:
  ${WHOLE}:
    generate: { length: 24, excludePunctuation: true, requireEachIncludedType: true }
  ${CREDS}:
    value: { username: ${username}, port: 5432 }
    generate: { keys: { password: { length: 40, excludeNumbers: true, excludePunctuation: true } } }
  g/plain:
    value: static-value
${extra}`;
}

/** Every file under `dir` (recursively), for scanning. */
function filesUnder(dir: string, since = 0): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) out.push(...filesUnder(p, since));
      else if (e.isFile() && statSync(p).mtimeMs >= since && statSync(p).size < 4_000_000) out.push(p);
    } catch {
      // gone meanwhile (another process's temp file)
    }
  }
  return out;
}

describe("generated values", () => {
  let w: ProxiedMoto;
  let moto: Moto;
  const sm = () => smClient(moto.endpoint);
  let writes = new Map<string, number>();
  let victim: { op: string; secret: string; child?: ChildProcess; exited?: Promise<unknown>; killed: boolean } | undefined;
  const started = Date.now();
  /** Every generated value read back from moto during the tests: none may appear anywhere. */
  const generated: string[] = [];

  beforeAll(async () => {
    w = await startProxiedMoto("generated", {
      onRequest: async ({ operation, secret }) => {
        if (WRITE_OPERATIONS.has(operation) || operation === "GetRandomPassword") {
          if (!secret?.startsWith(LOCK_SECRET_PREFIX)) {
            const key = secret ? `${operation} ${secret}` : operation;
            writes.set(key, (writes.get(key) ?? 0) + 1);
          }
        }
        if (!victim || victim.killed || operation !== victim.op || secret !== victim.secret) return undefined;
        victim.killed = true;
        victim.child?.kill("SIGKILL");
        await victim.exited;
        return undefined; // forwarded after the client died: the write lands, nobody hears of it
      },
    });
    moto = w.moto;
    Object.assign(process.env, awsEnv(moto.endpoint), { SOPS_AGE_KEY_FILE: w.env.SOPS_AGE_KEY_FILE });
  });
  afterAll(() => stopProxiedMoto(w));
  beforeEach(async () => {
    victim = undefined;
    writes = new Map();
    await moto.reset();
  });

  const caseDir = () => mkdtempSync(join(w.dir, "case-"));
  // As secrets.yaml, the name the project's .sops.yaml rule matches.
  const encrypt = (dir: string, text: string) =>
    sopsEncrypt(text, {
      recipients: [w.recipient],
      dir: mkdtempSync(join(dir, "m-")),
      extraArgs: ["--encrypted-regex", "^(value|binary)$"],
    });
  const cli = (dir: string, args: string[]) => runCli(args, { env: w.env, cwd: dir });

  it("creates both forms with the requested shape, never writes them again, and keeps the generated key on a static change", async () => {
    const dir = caseDir();
    const file = encrypt(dir, manifestYaml("app"));
    const planned = await cli(dir, ["plan", "--out", "plan.json", file]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("value generated by AWS at apply (length 24, no punctuation, each included type)");
    expect(planned.stdout).toContain("+ password (length 40, no numbers, no punctuation)");
    allOutput.push(readFileSync(join(dir, "plan.json"), "utf8"));
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(writes.get("GetRandomPassword")).toBe(2);

    const whole = (await getString(sm(), WHOLE)) as string;
    expect(whole).toMatch(/^[A-Za-z0-9]{24}$/);
    for (const cls of [/[A-Z]/, /[a-z]/, /[0-9]/]) expect(whole).toMatch(cls);
    const creds = JSON.parse((await getString(sm(), CREDS)) as string) as Record<string, unknown>;
    expect(Object.keys(creds).sort()).toEqual(["password", "port", "username"]);
    expect(creds).toMatchObject({ username: "app", port: 5432 });
    const password = creds.password as string;
    expect(password).toMatch(/^[A-Za-z]{40}$/);
    generated.push(whole, password);

    // Converged: the generated values are AWS's, and a re-plan and apply write nothing.
    const again = await cli(dir, ["plan", "--detailed-exitcode", file]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    writes = new Map();
    const reapplied = await cli(dir, ["apply", "--yes", file]);
    expect(reapplied.code, reapplied.stderr).toBe(0);
    expect(
      [...writes.keys()].filter((k) => !k.startsWith("GetRandomPassword") && WRITE_OPERATIONS.has(k.split(" ")[0] as string)),
    ).toEqual([]);
    expect(writes.get(`PutSecretValue ${CREDS}`) ?? 0).toBe(0);
    expect(writes.get("GetRandomPassword") ?? 0).toBe(0);

    // A static key change re-puts the JSON: the manifest's static keys, the live generated key kept.
    const changed = encrypt(dir, manifestYaml("app2"));
    const plan2 = await cli(dir, ["plan", changed]);
    expect(plan2.stdout).toContain("~ username (changed)");
    expect(plan2.stdout).not.toContain("password");
    writes = new Map();
    expect((await cli(dir, ["apply", "--yes", changed])).code).toBe(0);
    expect(writes.get(`PutSecretValue ${CREDS}`)).toBe(1);
    expect(writes.get("GetRandomPassword") ?? 0).toBe(0);
    expect(JSON.parse((await getString(sm(), CREDS)) as string)).toEqual({ username: "app2", port: 5432, password });
    expect(await getString(sm(), WHOLE)).toBe(whole);
    expect((await cli(dir, ["plan", "--detailed-exitcode", changed])).code).toBe(0);
  });

  it("a saved plan whose generate options were edited is refused before any write", async () => {
    const dir = caseDir();
    const file = encrypt(dir, manifestYaml("app"));
    expect((await cli(dir, ["plan", "--out", "plan.json", file])).code).toBe(0);
    const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    const create = plan.targets[0]?.changes.find((c) => c.name === WHOLE)?.actions[0];
    if (create?.type !== "create" || !create.generate) throw new Error("expected a generated create");
    create.generate.length = 4;
    writePlanFile(dir, "forged.json", plan);
    const r = await cli(dir, ["apply", "forged.json"]);
    expect([1, 3], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(/g\/whole: create differs/);
    expect(
      [...writes.keys()].filter((k) => WRITE_OPERATIONS.has(k.split(" ")[0] as string) || k === "GetRandomPassword"),
    ).toEqual([]);
  });

  it("an apply killed right after its generated create landed resumes with one version", async () => {
    const dir = caseDir();
    const file = encrypt(dir, manifestYaml("app"));
    expect((await cli(dir, ["plan", "--out", "plan.json", file])).code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    const v: NonNullable<typeof victim> = { op: "CreateSecret", secret: WHOLE, killed: false };
    victim = v;
    const killed = await runCli(["apply", "plan.json"], {
      env: w.env,
      cwd: dir,
      onSpawn: (child) => {
        v.child = child;
        v.exited = new Promise((resolve) => child.once("exit", resolve));
      },
    });
    expect(v.killed, killed.stdout + killed.stderr).toBe(true);
    victim = undefined;
    const port = await createSdkPort({ region: TEST_REGION });
    const lock = await readLock(port, SCOPE);
    expect(lock.state).toBe("held");
    await forceUnlock(port, SCOPE, lock.holder?.id as string);

    writes = new Map();
    const resumed = await cli(dir, ["apply", "plan.json"]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(writes.get(`CreateSecret ${WHOLE}`) ?? 0).toBe(0);
    const ctx = { planId: saved.planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: SCOPE };
    expect((await versionsOf(sm(), WHOLE)).map((x) => x.id)).toEqual([requestToken(ctx, WHOLE, "create")]);
    generated.push((await getString(sm(), WHOLE)) as string);
    expect((await cli(dir, ["plan", "--detailed-exitcode", file])).code).toBe(0);
  });

  it("putFreshValue (rotate) puts a new value once per token, keeping static keys", async () => {
    const dir = caseDir();
    const file = encrypt(dir, manifestYaml("app"));
    expect((await cli(dir, ["apply", "--yes", file])).code).toBe(0);
    const before = JSON.parse((await getString(sm(), CREDS)) as string) as Record<string, string>;
    const d: DesiredSecret = {
      name: CREDS,
      value: { kind: "json", data: { username: "app", port: 5432 } },
      generate: { form: "keys", keys: { password: { length: 40, excludeNumbers: true, excludePunctuation: true } } },
      description: "",
      tags: {},
      recoveryWindowDays: 30,
      protect: false,
      adopt: false,
      at: { file, line: 1, col: 1 },
    };
    const port = await createSdkPort({ region: TEST_REGION });
    const token = requestToken(
      { planId: "rotate-run-1", account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: SCOPE },
      CREDS,
      "rotate",
    );
    const created = currentVersion(await versionsOf(sm(), CREDS));
    expect(created).toMatch(/^sopsync-g1-/);
    const written = await putFreshValue(port, d, token, SCOPE);
    // The token's hash, with the generation of a write replacing sopsync's create: 2.
    expect(written).toBe(replacingToken(token, created));
    expect(written).toMatch(/^sopsync-g2-/);
    const after = JSON.parse((await getString(sm(), CREDS)) as string) as Record<string, string>;
    expect(after.password).not.toBe(before.password);
    expect(after).toMatchObject({ username: "app", port: 5432 });
    // The same run again (a retry that generates anew): recognised by its token, no second version.
    expect(await putFreshValue(port, d, token, SCOPE)).toBe(written);
    expect(JSON.parse((await getString(sm(), CREDS)) as string)).toEqual(after);
    expect((await versionsOf(sm(), CREDS)).filter((x) => x.id === written)).toHaveLength(1);
    // sopsync's version by its id, with no tag written; a secret of another scope is refused before
    // anything is generated.
    expect(currentVersion(await versionsOf(sm(), CREDS))).toBe(written);
    expect(tagsOf((await sm().send(new DescribeSecretCommand({ SecretId: CREDS }))).Tags)["sopsync:version"]).toBeUndefined();
    writes = new Map();
    await expect(putFreshValue(port, d, token, "other-scope")).rejects.toThrow(/not a current secret of scope 'other-scope'/);
    expect(writes.size).toBe(0);
    generated.push(before.password as string, after.password as string);

    // The rotator `sopsync rotate` plugs in: one more version, named by the run id's token.
    const target = {
      account: MOTO_ACCOUNT,
      region: TEST_REGION,
      desired: { scope: { id: SCOPE } },
      port,
    } as unknown as RunTarget;
    expect(generatedRotator.handles(d)).toBe(true);
    expect(generatedRotator.describe(d)).toBe("put a new value with freshly generated password (static keys from the manifest)");
    const said = await generatedRotator.run({ port, target, secret: d, runId: "rotate-run-2", pacers: new QuotaPacers() });
    const runToken = requestToken(
      { planId: "rotate-run-2", account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: SCOPE },
      CREDS,
      "rotate-generated",
    );
    const runVersion = replacingToken(runToken, written);
    expect(said).toBe(`new generated value (version ${runVersion})`);
    const third = JSON.parse((await getString(sm(), CREDS)) as string) as Record<string, string>;
    expect(third.password).not.toBe(after.password);
    expect((await versionsOf(sm(), CREDS)).find((x) => x.stages.includes("AWSCURRENT"))?.id).toBe(runVersion);
    generated.push(third.password as string);
  });

  it("sopsync rotate puts freshly generated values, keeping static keys, and re-plans clean", async () => {
    const dir = caseDir();
    const file = encrypt(dir, manifestYaml("app"));
    expect((await cli(dir, ["apply", "--yes", file])).code).toBe(0);
    const whole = (await getString(sm(), WHOLE)) as string;
    const creds = JSON.parse((await getString(sm(), CREDS)) as string) as Record<string, string>;
    writes = new Map();
    const r = await cli(dir, ["rotate", WHOLE, CREDS, "--yes", "-m", file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("put a freshly generated value");
    expect(writes.get("GetRandomPassword")).toBe(2);
    expect(writes.get(`PutSecretValue ${WHOLE}`)).toBe(1);
    expect(writes.get(`PutSecretValue ${CREDS}`)).toBe(1);
    const whole2 = (await getString(sm(), WHOLE)) as string;
    const creds2 = JSON.parse((await getString(sm(), CREDS)) as string) as Record<string, string>;
    expect(whole2).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(whole2).not.toBe(whole);
    expect(creds2.password).not.toBe(creds.password);
    expect(creds2).toMatchObject({ username: "app", port: 5432 });
    generated.push(whole, whole2, creds.password as string, creds2.password as string);
    // A static secret is refused, with nothing written.
    writes = new Map();
    const refused = await cli(dir, ["rotate", "g/plain", "--yes", "-m", file]);
    expect(refused.code).not.toBe(0);
    expect([...writes.keys()]).toEqual([]);
    expect((await cli(dir, ["plan", "--detailed-exitcode", file])).code).toBe(0);
  });

  it("no generated value appeared in any output, saved plan or file", () => {
    expect(generated.length).toBeGreaterThanOrEqual(5);
    for (const g of generated) expect(g.length).toBeGreaterThan(20);
    const outputs = [...allOutput];
    for (const f of [...filesUnder(w.dir), ...filesUnder(tmpdir(), started)]) {
      try {
        outputs.push(readFileSync(f, "latin1"));
      } catch {
        // unreadable or gone: not ours
      }
    }
    expect(outputs.length).toBeGreaterThan(10);
    for (const [i, g] of generated.entries()) {
      const hits = outputs.filter((o) => o.includes(g)).length;
      expect(hits, `generated value #${i} found in an output or file`).toBe(0);
    }
  });
});
