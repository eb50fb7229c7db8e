// `sopsync import` on the two inputs that surprised users (issue 14, item 8): a prefix without a
// separator, which ListSecrets matches as plain text (`prod` also takes `prod-db` and `production/x`),
// and a prefix that yields nothing to adopt, for which no empty manifest is written. Against moto
// behind the counting proxy: import only reads.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prefixWarning } from "../../src/import/prefix.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { smClient } from "../helpers/aws.js";
import { runCli } from "../helpers/cli.js";
import { MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";
import { sopsDecryptData } from "../sops/helpers.js";

describe("prefixWarning", () => {
  it("is silent for a prefix ending in a separator and names what else a bare word matches", () => {
    for (const p of ["prod/", "prod-", "prod_", "prod.", "team@", "a=", "a+"]) expect(prefixWarning(p, [])).toBeUndefined();
    expect(prefixWarning("prod", ["prod/db", "prod-db", "production/x", "prod/api"])).toBe(
      "--prefix 'prod' does not end with a separator: it also matches 'prod-db' and 'production/x'; did you mean --prefix prod/ ?",
    );
    expect(prefixWarning("prod", ["prod/db"])).toBe(
      "--prefix 'prod' does not end with a separator: it would also match names like 'prod-db' and 'prod2/db'; did you mean --prefix prod/ ?",
    );
  });
});

describe("import warnings, against moto", () => {
  let w: ProxiedMoto;
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });

  beforeAll(async () => {
    w = await startProxiedMoto("import-warnings", {});
    const sm = smClient(w.moto.endpoint);
    for (const name of ["prod/db", "prod-db", "production/x"]) {
      await sm.send(new CreateSecretCommand({ Name: name, SecretString: `v-${name}` }));
    }
    await sm.send(
      new CreateSecretCommand({ Name: "taken/a", SecretString: "v", Tags: [{ Key: TAG_MANAGED_BY, Value: "team-b" }] }),
    );
    sm.destroy();
  });
  afterAll(() => stopProxiedMoto(w ?? {}));

  it("a prefix without a separator: warned with the names it also took, scope.id from the prefix said", async () => {
    const out = join(w.dir, "prod.yaml");
    w.proxy.resetStats();
    const r = await cli("import", "--prefix", "prod", "--out", out, "--age", w.recipient);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split("\n")).toEqual([
      "Warning: --prefix 'prod' does not end with a separator: it also matches 'prod-db' and 'production/x'; did you mean --prefix prod/ ?",
      `Imported 3 secret(s) under 'prod' into ${out} (scope prod, account ${MOTO_ACCOUNT}, ${TEST_REGION}).`,
      "  scope.id 'prod' comes from the prefix: it is the owner tag the secrets will carry; choose another with --scope ID",
      `Next: sopsync plan ${out}  (it should show only the adoption and the ownership tag for each secret)`,
      "",
    ]);
    expect(w.proxy.writes()).toBe(0);
    const m = sopsDecryptData(out, w.dir, { SOPS_AGE_KEY_FILE: w.env.SOPS_AGE_KEY_FILE as string })[0] as {
      scope: unknown;
      secrets: Record<string, unknown>;
    };
    expect(m.scope).toEqual({ id: "prod", prefix: "prod" });
    expect(Object.keys(m.secrets).sort()).toEqual(["prod-db", "prod/db", "production/x"]);
  });

  it("with a separator and --scope: no warning and no scope line", async () => {
    const out = join(w.dir, "prod-slash.yaml");
    const r = await cli("import", "--prefix", "prod/", "--scope", "p", "--out", out, "--age", w.recipient);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Warning|scope\.id/);
    expect(r.stderr).toContain(`Imported 1 secret(s) under 'prod/' into ${out} (scope p,`);
  });

  it("nothing to adopt: the skipped secrets and why, no file, no 'Next', exit 1", async () => {
    const out = join(w.dir, "taken.yaml");
    w.proxy.resetStats();
    const r = await cli("import", "--prefix", "taken/", "--out", out, "--age", w.recipient);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")).toEqual([
      "  skipped taken/a: already managed by sopsync scope 'team-b'",
      `Error: nothing to import under prefix 'taken/' in account ${MOTO_ACCOUNT}, ${TEST_REGION}: all 1 secret(s) there were skipped (reasons above); ${out} was not written`,
      "",
    ]);
    expect(existsSync(out)).toBe(false);
    expect(w.proxy.writes()).toBe(0);
  });

  it("no secret under the prefix: no file", async () => {
    const out = join(w.dir, "none.yaml");
    const r = await cli("import", "--prefix", "nothing/", "--out", out, "--age", w.recipient);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: no secrets under prefix 'nothing/' in account ${MOTO_ACCOUNT}, ${TEST_REGION}: check the prefix and the region (--region); ${out} was not written\n`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
