// Apply refuses — with zero write calls, counted on the wire by the proxy — a stale plan (out-of-band
// write, manifest changed, other account), a manifest for another account, dropping a protected
// secret, a mass delete, a tampered manifest, and an unconfirmed apply off a terminal. And a value
// reverted A -> B -> A over two applies ends at A, each apply writing one new version.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { valueToken } from "../../src/apply/tokens.js";
import { MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";
import type { Plan } from "../../src/plan/model.js";
import { getString, putString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import type { FaultProxy } from "../helpers/fault-proxy.js";
import type { Moto } from "../helpers/moto.js";
import {
  currentVersion,
  type ManifestSpec,
  startProxiedMoto,
  stopProxiedMoto,
  versionsOf,
  writeManifest,
  writePlanFile,
} from "../apply/cli-fixtures.js";

const CANARY = "canary-refusal-5be1c0";
const value = (i: number, round = "a") => `${CANARY}-${round}-${i}`;

const base = (): ManifestSpec => ({
  scopeId: "guarded",
  prefix: "g/",
  secrets: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`g/s${i}`, value(i)])),
  protect: ["g/s0"],
});

describe("apply refusals write nothing", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  /** Answer the first request of this operation with this AWS error. */
  let failFirst: { operation: string; type: string; done: boolean } | undefined;
  const sm = () => smClient(moto.endpoint);
  const manifest = (spec: ManifestSpec, name = "secrets.yaml") => writeManifest(spec, { dir, recipient, name });

  /** Runs the CLI through the proxy; returns its result and the write calls the proxy saw. */
  async function cli(args: string[]) {
    proxy.resetStats();
    const r = await runCli(args, { env, cwd: dir });
    return { ...r, writes: proxy.writes({ excludeLock: true }), requests: proxy.stats.requests };
  }

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("refusals", {
      onRequest: ({ operation }) => {
        if (!failFirst || failFirst.done || failFirst.operation !== operation) return undefined;
        failFirst.done = true;
        return { status: 400, type: failFirst.type, message: "User is not authorized to perform this operation" };
      },
    }));
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    failFirst = undefined;
    await moto.reset();
    const r = await cli(["apply", "--yes", manifest(base())]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.writes).toBe(8);
  });

  it("apply without --yes off a terminal asks for it and writes nothing", async () => {
    const r = await cli(["apply", manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "b") } })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/apply needs --yes when not run on a terminal/);
    expect(r.stdout).toMatch(/g\/s1: update-value/);
    expect(r.writes).toBe(0);
    expect(await getString(sm(), "g/s1")).toBe(value(1));
  });

  it("a saved plan is stale after an out-of-band write, and says which secret changed", async () => {
    const file = manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "b"), "g/s2": value(2, "b") } });
    const p = await cli(["plan", "--out", "plan.json", file]);
    expect(p.code, p.stderr).toBe(0);
    await putString(sm(), "g/s2", "changed-by-someone");

    const r = await cli(["apply", "plan.json"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/plan does not match the account or manifest any more: run plan again; nothing was changed/);
    // sopsync's own version (its form) was current at plan time; the out-of-band write's id is a UUID.
    expect(r.stderr).toMatch(/g\/s2: planned against versionId "sopsync-g1-[0-9a-f]{40}", the account now shows "[0-9a-f-]{36}"/);
    expect(r.stderr).not.toMatch(/g\/s1:/);
    expect(r.writes).toBe(0);
    expect(await getString(sm(), "g/s1")).toBe(value(1));
  });

  it("a saved plan is stale when the manifest changed after planning", async () => {
    const file = manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "b") } });
    expect((await cli(["plan", "--out", "plan.json", file])).code).toBe(0);
    manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "c") } });

    const r = await cli(["apply", "plan.json"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the manifests differ: the plan was made from \S*secrets\.yaml; a manifest changed since/);
    expect(r.writes).toBe(0);
  });

  it("a saved plan for another account is refused", async () => {
    const file = manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "b") } });
    expect((await cli(["plan", "--out", "plan.json", file])).code).toBe(0);
    const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
    for (const t of plan.targets) t.target.account = "111111111111";
    writePlanFile(dir, "other-account.json", plan);

    const r = await cli(["apply", "other-account.json"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/111111111111\/eu-west-1\/guarded: in the saved plan, but not a target of these manifests/);
    expect(r.stderr).toMatch(
      /account 123456789012, eu-west-1, scope guarded: a target of these manifests, missing from the saved plan/,
    );
    expect(r.writes).toBe(0);
  });

  it("a manifest whose target.account is not the caller's is refused", async () => {
    const r = await cli([
      "apply",
      "--yes",
      manifest({ ...base(), account: "111111111111", secrets: { ...base().secrets, "g/s1": value(1, "b") } }),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/target\.account is 111111111111 but the credentials are for account 123456789012/);
    expect(r.writes).toBe(0);
  });

  it("dropping a protected secret is refused, even with --allow-mass-delete", async () => {
    const { "g/s0": _, ...rest } = base().secrets;
    const r = await cli(["apply", "--yes", "--allow-mass-delete", manifest({ ...base(), secrets: rest })]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/protected secret\(s\) g\/s0/);
    expect(r.writes).toBe(0);
  });

  it("deleting more than a quarter of the owned secrets is refused", async () => {
    const r = await cli([
      "apply",
      "--yes",
      manifest({ ...base(), secrets: { "g/s0": value(0), "g/s1": value(1), "g/s2": value(2) } }),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deletes 5 of 8 owned secrets/);
    expect(r.writes).toBe(0);
  });

  it("a tampered manifest is refused before any AWS call", async () => {
    const file = manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "b") } });
    // Swap two encrypted values: each is bound to its key path (the AAD), so neither decrypts.
    const text = readFileSync(file, "utf8");
    const enc = [...text.matchAll(/value: (ENC\[[^\]]+\])/g)].map((m) => m[1] as string);
    expect(enc.length).toBe(8);
    writeFileSync(
      file,
      text
        .replace(enc[1] as string, "TMP")
        .replace(enc[2] as string, enc[1] as string)
        .replace("TMP", enc[2] as string),
    );

    const r = await cli(["apply", "--yes", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error:/);
    expect(r.requests).toBe(0);

    // Editing an unencrypted field without sops breaks the MAC.
    mkdirSync(join(dir, "mac"), { recursive: true });
    const macFile = manifest({ ...base(), secrets: { ...base().secrets, "g/s1": value(1, "b") } }, "mac/secrets.yaml");
    writeFileSync(macFile, readFileSync(macFile, "utf8").replace("team: apply-test", "team: intruder"));
    const m = await cli(["apply", "--yes", macFile]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/MAC/);
    expect(m.requests).toBe(0);
  });

  it("A -> B -> A over two saved plans ends at A, one new version per apply", async () => {
    const tokens: string[] = [];
    for (const round of ["b", "a"]) {
      const file = manifest({ ...base(), secrets: { ...base().secrets, "g/s3": value(3, round) } });
      expect((await cli(["plan", "--out", `plan-${round}.json`, file])).code).toBe(0);
      const saved = JSON.parse(readFileSync(join(dir, `plan-${round}.json`), "utf8")) as Plan;
      const change = saved.targets[0]?.changes.find((c) => c.name === "g/s3");
      if (!change) throw new Error("g/s3 is not in the plan");
      tokens.push(
        valueToken(
          { planId: saved.planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: "guarded" },
          change,
          "update-value",
        ),
      );
      const r = await cli(["apply", `plan-${round}.json`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.writes).toBe(1); // PutSecretValue alone: its version id marks it as sopsync's
    }
    expect(await getString(sm(), "g/s3")).toBe(value(3, "a"));
    const versions = await versionsOf(sm(), "g/s3");
    expect(versions).toHaveLength(3);
    expect(currentVersion(versions)).toBe(tokens[1]);
    expect(versions.find((v) => v.id === tokens[0])?.stages).toEqual(["AWSPREVIOUS"]);
  });

  it("a partial failure names the failed secret with AWS's code, exits 1, and a re-run converges", async () => {
    const changed = { ...base().secrets, "g/s1": value(1, "b"), "g/s2": value(2, "b"), "g/s3": value(3, "b") };
    const file = manifest({ ...base(), secrets: changed });
    failFirst = { operation: "PutSecretValue", type: "AccessDeniedException", done: false };
    const r = await cli(["apply", "--yes", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Apply: 2 applied, 1 failed, 0 not started/);
    expect(r.stdout).toMatch(
      /! g\/s[123]: update-value failed: AccessDeniedException: User is not authorized to perform this operation\n/,
    );
    expect(r.stderr).toMatch(/^FAIL update-value g\/s[123]$/m);

    const again = await cli(["apply", "--yes", file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Apply: 1 applied, 0 failed, 0 not started/);
    for (const i of [1, 2, 3]) {
      expect(await getString(sm(), `g/s${i}`)).toBe(value(i, "b"));
      expect(await versionsOf(sm(), `g/s${i}`)).toHaveLength(2);
    }
  });

  it("no secret value appeared in any output", () => {
    expect(allOutput.length).toBeGreaterThan(10);
    assertNoCanary(allOutput, { canary: CANARY });
  });
});
