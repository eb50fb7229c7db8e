// Several manifests in one run are one set of targets keyed by (account, region): a name declared
// twice, or claimed by two scopes, is refused before anything is read or written (STS aside) with
// both places named; a scope split over two files is planned and applied as one desired state, so
// applying it converges instead of each file deleting the other's secrets; and request tokens differ
// per target, so two targets in one run never share a version id.
import { mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestToken } from "../../src/apply/tokens.js";
import type { Plan } from "../../src/plan/model.js";
import { getString, listNames, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import { MOTO_ACCOUNT, type Moto, TEST_REGION } from "../helpers/moto.js";
import { type ManifestSpec, manifestText, startProxiedMoto, stopProxiedMoto, versionsOf } from "../apply/cli-fixtures.js";
import { sopsEncrypt } from "../helpers/tools.js";

const CANARY = "canary-manifests-0f3b72";
const OTHER_REGION = "us-east-1";
const value = (name: string, round = "1") => `${CANARY}-${round}-${name}`;
const secrets = (names: string[], round = "1") => Object.fromEntries(names.map((n) => [n, value(n, round)]));

describe("several manifests in one run", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  const sm = () => smClient(moto.endpoint);
  let n = 0;

  /**
   * Encrypted by the real sops as secrets.yaml (the name the project's .sops.yaml rule matches), then
   * renamed when several must share a folder: a sops file does not depend on its name.
   */
  const manifest = (spec: ManifestSpec, opts: { as?: string; region?: string } = {}) => {
    const sub = join(dir, `m${n++}`);
    mkdirSync(sub);
    let text = manifestText(spec);
    if (opts.region) text = text.replace(`region: ${TEST_REGION}`, `region: ${opts.region}`);
    const file = sopsEncrypt(text, { recipients: [recipient], dir: sub, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
    if (!opts.as) return file;
    const renamed = join(sub, opts.as);
    renameSync(file, renamed);
    return renamed;
  };

  /** file:line:col of a secret's key, as the user sees it in the encrypted file. */
  const placeOf = (file: string, name: string) => {
    const lines = readFileSync(file, "utf8").split("\n");
    const i = lines.findIndex((l) => l.trimStart().startsWith(`${name}:`));
    expect(i, `${name} in ${file}`).toBeGreaterThanOrEqual(0);
    return `${file}:${i + 1}:${(lines[i] as string).length - (lines[i] as string).trimStart().length + 1}`;
  };

  async function cli(args: string[]) {
    proxy.resetStats();
    const r = await runCli(args, { env, cwd: dir });
    return {
      ...r,
      writes: proxy.writes({ excludeLock: true }),
      lockWrites: proxy.stats.lockWrites,
      operations: Object.keys(proxy.stats.byOperation).sort(),
    };
  }

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("manifests", {}));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(() => moto.reset());

  it("(a) the same name declared in two files of one scope is refused, both places named, nothing read", async () => {
    const first = manifest({ scopeId: "dup", prefix: "d/", secrets: secrets(["d/shared", "d/one"]) });
    const second = manifest({ scopeId: "dup", prefix: "d/", secrets: secrets(["d/shared", "d/two"], "2") });
    const message = new RegExp(
      `${literal(placeOf(second, "d/shared"))}: secret 'd/shared' is declared twice for account ${MOTO_ACCOUNT}, ${TEST_REGION}: here and at ${literal(placeOf(first, "d/shared"))}; declare it once`,
    );

    for (const args of [["plan"], ["apply", "--yes"]]) {
      const r = await cli([...args, first, second]);
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(message);
      // Who the credentials belong to decides what "one account" is; nothing else is asked.
      expect(r.operations, args[0]).toEqual(["GetCallerIdentity"]);
      expect(r.writes).toBe(0);
    }
    expect(await listNames(sm())).toEqual([]);
  });

  it("(a) validate refuses the same name declared in two files of one scope, naming both places", async () => {
    const first = manifest({ scopeId: "dup", prefix: "d/", secrets: secrets(["d/shared", "d/one"]) });
    const second = manifest({ scopeId: "dup", prefix: "d/", secrets: secrets(["d/shared", "d/two"], "2") });
    // validate makes no AWS call, but two files of one scope with the same target settings (region,
    // profile, role) use one set of credentials, so one account: the duplicate is already certain.
    const v = await cli(["validate", first, second]);
    expect(v.operations).toEqual([]);
    expect(v.code, v.stdout + v.stderr).toBe(1);
    expect(v.stderr).toContain(placeOf(first, "d/shared"));
    expect(v.stderr).toContain(placeOf(second, "d/shared"));
  });

  it("(b) one name claimed by two scopes is refused, naming both scopes and places", async () => {
    const ours = manifest({ scopeId: "team-a", prefix: "s/", secrets: secrets(["s/shared", "s/a"]) });
    const theirs = manifest({ scopeId: "team-b", prefix: "s/", secrets: secrets(["s/shared", "s/b"], "2") });
    const message = new RegExp(
      `${literal(placeOf(theirs, "s/shared"))}: secret 's/shared' is claimed by two scopes for account ${MOTO_ACCOUNT}, ${TEST_REGION}: 'team-b' here and 'team-a' at ${literal(placeOf(ours, "s/shared"))}; one secret has one owner`,
    );
    for (const args of [["plan"], ["apply", "--yes"]]) {
      const r = await cli([...args, ours, theirs]);
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.operations).toEqual(["GetCallerIdentity"]);
      expect(r.writes).toBe(0);
    }
    expect(await listNames(sm())).toEqual([]);
  });

  it("(c) one scope split over two files is one target: apply converges, a second apply writes nothing", async () => {
    const folder = join(dir, "split");
    mkdirSync(folder);
    const one = manifest({ scopeId: "split", prefix: "p/", secrets: secrets(["p/one", "p/two"]) }, { as: "a.yaml" });
    const two = manifest({ scopeId: "split", prefix: "p/", secrets: secrets(["p/three", "p/four"]) }, { as: "b.yaml" });
    renameSync(one, join(folder, "a.yaml"));
    renameSync(two, join(folder, "b.yaml"));
    const files = [join(folder, "a.yaml"), join(folder, "b.yaml")];

    const p = await cli(["plan", "--out", "plan.json", folder]);
    expect(p.code, p.stderr).toBe(0);
    const headers = p.stdout.split("\n").filter((l) => l.includes(" -> account "));
    expect(headers).toEqual([`${files.join(", ")} -> account ${MOTO_ACCOUNT}, ${TEST_REGION} (scope split)`]);
    expect(p.stdout).toContain("Plan: 4 to create, 0 to update, 0 to delete, 0 in sync.");
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    allOutput.push(JSON.stringify(saved));
    expect(saved.targets).toHaveLength(1);
    expect(saved.targets[0]?.manifests.map((m) => m.file)).toEqual(files);

    const a = await cli(["apply", "plan.json"]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.writes).toBe(4);
    const again = await cli(["plan", "--detailed-exitcode", folder]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("No changes. 4 secret(s) in sync.");

    // Planned one file at a time, each would delete the other's secrets; together, nothing moves.
    for (let round = 0; round < 2; round++) {
      const b = await cli(["apply", "--yes", ...files]);
      expect(b.code, b.stdout + b.stderr).toBe(0);
      expect(b.writes).toBe(0);
    }
    for (const name of ["p/one", "p/two", "p/three", "p/four"]) {
      expect(await getString(sm(), name)).toBe(value(name));
      expect(await versionsOf(sm(), name), name).toHaveLength(1);
    }
  });

  it("(c) one scope split over two files with different prefixes is refused", async () => {
    const one = manifest({ scopeId: "split", prefix: "p/", secrets: secrets(["p/one"]) });
    const two = manifest({ scopeId: "split", prefix: "q/", secrets: secrets(["q/two"]) });
    for (const args of [["plan"], ["apply", "--yes"]]) {
      const r = await cli([...args, one, two]);
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(
        `${two}:1:1: scope 'split' is split over ${one} and ${two}, which give it different prefixes; give every file of one scope the same scope.prefix`,
      );
      expect(r.operations).toEqual(["GetCallerIdentity"]);
      expect(r.writes).toBe(0);
    }
  });

  it("(d) request tokens are distinct per target: two scopes, and one scope in two regions", async () => {
    const files = [
      manifest({ scopeId: "tok-a", prefix: "a/", secrets: secrets(["a/db", "a/api"]) }),
      manifest({ scopeId: "tok-b", prefix: "b/", secrets: secrets(["b/db", "b/api"], "2") }),
      // Same scope, same name, same plan: only the region tells the two creates apart.
      manifest({ scopeId: "tok-a", prefix: "a/", secrets: secrets(["a/db"], "3") }, { region: OTHER_REGION }),
    ];
    const p = await cli(["plan", "--out", "plan.json", ...files]);
    expect(p.code, p.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    allOutput.push(JSON.stringify(saved));
    expect(saved.targets.map((t) => `${t.target.region}/${t.scope.id}`)).toEqual(
      [`${TEST_REGION}/tok-a`, `${TEST_REGION}/tok-b`, `${OTHER_REGION}/tok-a`].sort(),
    );

    const a = await cli(["apply", "plan.json"]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.writes).toBe(5);

    const other = new SecretsManagerClient({
      region: OTHER_REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    const created: { where: string; id: string; expected: string }[] = [];
    const expectVersion = async (client: SecretsManagerClient, region: string, scopeId: string, name: string, round: string) => {
      const versions = await versionsOf(client, name);
      expect(versions, `${region} ${name}`).toHaveLength(1);
      expect(await getString(client, name)).toBe(value(name, round));
      created.push({
        where: `${region}/${scopeId}/${name}`,
        id: versions[0]?.id ?? "",
        expected: requestToken({ planId: saved.planId, account: MOTO_ACCOUNT, region, scopeId }, name, "create"),
      });
    };
    await expectVersion(sm(), TEST_REGION, "tok-a", "a/db", "1");
    await expectVersion(sm(), TEST_REGION, "tok-a", "a/api", "1");
    await expectVersion(sm(), TEST_REGION, "tok-b", "b/db", "2");
    await expectVersion(sm(), TEST_REGION, "tok-b", "b/api", "2");
    await expectVersion(other, OTHER_REGION, "tok-a", "a/db", "3");
    for (const c of created) expect(c.id, c.where).toBe(c.expected);
    expect(new Set(created.map((c) => c.id)).size).toBe(created.length);

    const again = await cli(["plan", "--detailed-exitcode", ...files]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it("no secret value appeared in any output or saved plan", () => {
    expect(allOutput.length).toBeGreaterThan(20);
    assertNoCanary(allOutput, { canary: CANARY });
  });
});

/** The text matched as itself inside a RegExp (file paths hold dots and slashes). */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
