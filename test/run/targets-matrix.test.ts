// `sopsync targets --json`: a folder of manifests (encrypted by the real sops) becomes the GitHub
// Actions matrix, one entry per (account, region), asking STS once per credential set and never for
// a manifest that states its account and region.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestText, type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { runCli } from "../helpers/cli.js";
import { MOTO_ACCOUNT } from "../helpers/moto.js";
import { runSops } from "../helpers/tools.js";

const CANARY = "canary-targets-value-0b7e";

describe("sopsync targets --json", () => {
  let w: ProxiedMoto;
  let dir: string;
  beforeAll(async () => {
    w = await startProxiedMoto("targets", {});
    dir = join(w.dir, "fleet");
    mkdirSync(dir);
    // Its own sops config: the project's .sops.yaml (found from the working directory) has a
    // creation rule for secrets.yaml only.
    const config = join(w.dir, "sops-config.yaml");
    writeFileSync(config, `creation_rules:\n  - encrypted_regex: ^(value|binary)$\n    age: ${w.recipient}\n`);
    const write = (name: string, scopeId: string, region: string, account?: string) => {
      const file = join(dir, `${name}.yaml`);
      const text = manifestText({ scopeId, prefix: `${scopeId}/`, account, secrets: { [`${scopeId}/db`]: CANARY } });
      writeFileSync(file, text.replace("region: eu-west-1", `region: ${region}`));
      const r = runSops(["--config", config, "encrypt", "--in-place", file], {});
      if (r.status !== 0) throw new Error(`sops encrypt failed: ${r.stderr}`);
    };
    write("a", "team-a", "eu-west-1");
    write("b", "team-b", "eu-west-1");
    write("c", "team-c", "us-east-1", "210987654321");
    write("d", "team-d", "us-west-2");
  }, 120_000);
  afterAll(async () => {
    await stopProxiedMoto(w);
  });

  it("prints one entry per (account, region) with its manifests, in a stable order", async () => {
    w.proxy.resetStats();
    const r = await runCli(["targets", "fleet", "--json"], { cwd: w.dir, env: w.env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("}\n")).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual({
      include: [
        {
          account: MOTO_ACCOUNT,
          region: "eu-west-1",
          files: ["fleet/a.yaml", "fleet/b.yaml"],
          name: `${MOTO_ACCOUNT}-eu-west-1`,
        },
        { account: MOTO_ACCOUNT, region: "us-west-2", files: ["fleet/d.yaml"], name: `${MOTO_ACCOUNT}-us-west-2` },
        { account: "210987654321", region: "us-east-1", files: ["fleet/c.yaml"], name: "210987654321-us-east-1" },
      ],
    });
    // Two credential sets without an account (eu-west-1, us-west-2): two STS calls; the manifest
    // stating its account costs none, and nothing reads Secrets Manager.
    expect(w.proxy.stats.byOperation).toEqual({ GetCallerIdentity: 2 });
    expect(r.stdout).not.toContain(CANARY);
  });

  it("prints a line per target without --json", async () => {
    const r = await runCli(["targets", "fleet"], { cwd: w.dir, env: w.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `${MOTO_ACCOUNT}-eu-west-1: account ${MOTO_ACCOUNT}, eu-west-1: fleet/a.yaml, fleet/b.yaml`,
        `${MOTO_ACCOUNT}-us-west-2: account ${MOTO_ACCOUNT}, us-west-2: fleet/d.yaml`,
        "210987654321-us-east-1: account 210987654321, us-east-1: fleet/c.yaml",
        "",
      ].join("\n"),
    );
  });

  it("fails on an invalid manifest, naming it, and prints no matrix", async () => {
    const bad = join(w.dir, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "x.yaml"), "sopsync: 1\ntarget: {}\n");
    const r = await runCli(["targets", "bad", "--json"], { cwd: w.dir, env: w.env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("x.yaml");
  });
});
