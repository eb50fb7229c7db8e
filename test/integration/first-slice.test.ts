// The whole path once, as a user runs it: a manifest written by the real sops, plan and apply
// through the CLI against a real moto server behind the test proxy, once with the AWS-behaviour layer
// (the wire as the API reference documents it) and once without (moto as it is).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as describeSecret, getBinary, getString, createString, smClient, tagsOf, listNames } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { documentedAws } from "../helpers/aws-behaviour.js";
import { runSops, sopsEncrypt } from "../helpers/tools.js";

const CANARIES = {
  dbPassword: "canary-db-pw-7f3a91c2",
  apiToken: "canary-token-0b5e44d8",
  newToken: "canary-token-rotated-9c1d",
  binary: "canary-binary-payload-55aa",
  unowned: "canary-unowned-31337",
};

const manifest = `sopsync: 1
target:
  region: eu-west-1
scope:
  id: slice-test
  prefix: app/
defaults:
  recoveryWindowDays: 9
  tags: { team: platform }
secrets:
  app/db:
    description: Primary database
    value:
      username: app
      password: ${CANARIES.dbPassword}
      port: 5432
    tags: { tier: data }
  app/api-token:
    value: ${CANARIES.apiToken}
  app/blob:
    binary: ${Buffer.from(CANARIES.binary).toString("base64")}
`;

describe.each([
  ["with the AWS-behaviour layer", true],
  ["on moto as it is", false],
])("first vertical slice: plan and apply through the CLI against moto, %s", (_label, withLayer) => {
  let w: ProxiedMoto;
  let file: string;
  let env: Record<string, string>;
  // Reads go through the proxy, so with the layer they see the account as AWS would show it.
  const sm = () => smClient(w.proxy.endpoint);

  beforeAll(async () => {
    w = await startProxiedMoto("slice", { behaviour: withLayer ? documentedAws() : undefined });
    file = sopsEncrypt(manifest, { recipients: [w.recipient], dir: w.dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
    env = w.env;
    await createString(smClient(w.moto.endpoint), "app/legacy", CANARIES.unowned, { owner: "someone-else" });
  });
  afterAll(() => stopProxiedMoto(w));

  it("plans creates for a new account and lists the unmanaged secret", async () => {
    const r = await runCli(["plan", file], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\+ app\/db: create/);
    expect(r.stdout).toMatch(/\+ app\/api-token: create/);
    expect(r.stdout).toMatch(/\+ app\/blob: create/);
    expect(r.stdout).toMatch(/app\/legacy: unmanaged, not touched/);
    expect(r.stdout).toMatch(/Plan: 3 to create, 0 to update, 0 to delete/);
  });

  it("applies the creates with the ownership tag and exact values", async () => {
    const r = await runCli(["apply", "--yes", file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 not started/);

    expect(JSON.parse((await getString(sm(), "app/db")) ?? "")).toEqual({
      username: "app",
      password: CANARIES.dbPassword,
      port: 5432,
    });
    expect(await getString(sm(), "app/api-token")).toBe(CANARIES.apiToken);
    expect(Buffer.from((await getBinary(sm(), "app/blob")) ?? []).toString()).toBe(CANARIES.binary);
    const d = await describeSecret(sm(), "app/db");
    expect(d.Description).toBe("Primary database");
    expect(tagsOf(d.Tags)).toMatchObject({ "sopsync:managed-by": "slice-test", team: "platform", tier: "data" });
  });

  it("a second plan has no changes and exits 0 with --detailed-exitcode", async () => {
    const r = await runCli(["plan", "--detailed-exitcode", file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/No changes\. 3 secret\(s\) in sync\./);
  });

  it("a value changed with sops shows as a redacted update-value, exit 2, then applies", async () => {
    const set = runSops(["set", file, '["secrets"]["app/api-token"]["value"]', JSON.stringify(CANARIES.newToken)], {
      SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE as string,
    });
    expect(set.status, set.stderr).toBe(0);

    const p = await runCli(["plan", "--detailed-exitcode", file], { env });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toMatch(/~ app\/api-token: update-value/);
    expect(p.stdout).toMatch(/value: manifest changed\n\s+\(value changed\)/);

    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stderr).toBe(0);
    expect(await getString(sm(), "app/api-token")).toBe(CANARIES.newToken);
    const again = await runCli(["plan", "--detailed-exitcode", file], { env });
    expect(again.code).toBe(0);
  });

  it("a secret removed from the manifest is deleted with its recovery window, not destroyed", async () => {
    const unset = runSops(["unset", file, '["secrets"]["app/blob"]'], { SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE as string });
    expect(unset.status, unset.stderr).toBe(0);

    const p = await runCli(["plan", "--detailed-exitcode", file], { env });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toMatch(/- app\/blob: delete/);
    expect(p.stdout).toMatch(/9-day recovery window/);

    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stderr).toBe(0);
    const d = await describeSecret(sm(), "app/blob");
    expect(d.DeletedDate).toBeInstanceOf(Date);
    expect(await listNames(sm())).toContain("app/blob");
  });

  it("a deleted secret declared again is restored before its value is written (AWS refuses the value first)", async () => {
    const set = runSops(
      ["set", file, '["secrets"]["app/blob"]', JSON.stringify({ binary: Buffer.from(CANARIES.binary).toString("base64") })],
      { SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE as string },
    );
    expect(set.status, set.stderr).toBe(0);
    const p = await runCli(["plan", "--detailed-exitcode", file], { env });
    expect(p.code, p.stderr).toBe(2);
    expect(p.stdout).toMatch(/↻ app\/blob: restore/);
    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect((await describeSecret(sm(), "app/blob")).DeletedDate).toBeUndefined();
    expect(Buffer.from((await getBinary(sm(), "app/blob")) ?? []).toString()).toBe(CANARIES.binary);
    expect((await runCli(["plan", "--detailed-exitcode", file], { env })).code).toBe(0);
  });

  it("never touches the secret it does not own", async () => {
    expect(await getString(sm(), "app/legacy")).toBe(CANARIES.unowned);
    const d = await describeSecret(sm(), "app/legacy");
    expect(tagsOf(d.Tags)).toEqual({ owner: "someone-else" });
    expect(d.DeletedDate).toBeUndefined();
  });

  it("no secret value appeared in any output", () => {
    expect(allOutput.length).toBeGreaterThan(10);
    assertNoCanary(allOutput, CANARIES);
  });
});
