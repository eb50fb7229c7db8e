// Secrets owned by an AWS service (issue 12, item 4) through the CLI, against moto behind the test
// proxy with the AWS-behaviour layer: only the layer can make a secret service-owned (moto's API has
// no way to; aws-owning-service.ts). An RDS master-user secret that even carries our ownership tag is
// listed as `owned by rds`, never written, deleted or read; declaring it is a plan error naming the
// service; import skips it with that reason.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/model.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { smClient } from "../helpers/aws.js";
import { documentedAws } from "../helpers/aws-behaviour.js";
import { type ServiceOwnedSecrets, serviceOwnedRuleOf } from "../helpers/aws-owning-service.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";

const CANARIES = { rds: "canary-rds-master-5d0b", ours: "canary-ours-a91e" };
const RDS = "svc/rds/main";

const head = `sopsync: 1
target:
  region: ${TEST_REGION}
scope:
  id: svc
  prefix: svc/
secrets:
`;

describe("secrets owned by an AWS service, with the AWS-behaviour layer", () => {
  let w: ProxiedMoto;
  let owned: ServiceOwnedSecrets;
  /** Operations on the service's secret that reached the wire (names only, never bodies). */
  const touched: string[] = [];
  let n = 0;
  const write = (text: string) => {
    const dir = join(w.dir, `m${n++}`);
    mkdirSync(dir);
    return sopsEncrypt(text, { recipients: [w.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  };
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });

  beforeAll(async () => {
    const rules = documentedAws();
    owned = serviceOwnedRuleOf(rules);
    w = await startProxiedMoto("owning-service", {
      behaviour: [
        {
          name: "records which operations name the service's secret (test instrument, not AWS behaviour)",
          doc: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/service-linked-secrets.html",
          handle(req, next) {
            const ids = [req.body.SecretId, req.body.Name, ...((req.body.SecretIdList as unknown[]) ?? [])];
            if (ids.some((id) => typeof id === "string" && id.includes(RDS))) touched.push(req.operation);
            return next(req);
          },
        },
        ...rules,
      ],
    });
  });
  afterAll(() => stopProxiedMoto(w));
  beforeEach(async () => {
    await w.moto.reset();
    owned.clear();
    touched.length = 0;
    // Our ownership tag on it must change nothing: OwningService wins over every tag.
    await smClient(w.moto.endpoint).send(
      new CreateSecretCommand({ Name: RDS, SecretString: CANARIES.rds, Tags: [{ Key: TAG_MANAGED_BY, Value: "svc" }] }),
    );
    owned.own(RDS, "rds");
  });

  it("is listed as owned by rds and never written, deleted or read, by plan or apply", async () => {
    const file = write(`${head}  svc/ours:\n    value: ${CANARIES.ours}\n`);
    const plan = await cli("plan", "--format", "json", file);
    expect(plan.code, plan.stderr).toBe(0);
    const p = JSON.parse(plan.stdout) as Plan;
    expect(p.targets[0]?.serviceSecrets).toEqual([{ name: RDS, owningService: "rds" }]);
    expect(p.targets[0]?.changes.map((c) => c.name)).toEqual(["svc/ours"]);
    const text = await cli("plan", file);
    expect(text.stdout).toMatch(/· svc\/rds\/main: owned by rds, not touched/);
    const markdown = await cli("plan", "--format", "markdown", file);
    expect(markdown.stdout).toMatch(/- `svc\/rds\/main`: owned by `rds`/);

    const applied = await cli("apply", "--yes", file);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    // A manifest without any secret: the service's secret is not owned, so no guard and no delete.
    const empty = write(`${head.replace("secrets:\n", "secrets: {}\n")}`);
    const emptied = await cli("apply", "--yes", "--allow-mass-delete", empty);
    expect(emptied.code, emptied.stdout + emptied.stderr).toBe(0);
    expect(emptied.stdout).not.toMatch(/rds\/main: delete/);

    // Listed (ListSecrets names no secret), never described, read, written or deleted.
    expect(touched).toEqual([]);
    const stored = await smClient(w.moto.endpoint).send(new GetSecretValueCommand({ SecretId: RDS }));
    expect(stored.SecretString).toBe(CANARIES.rds);
    assertNoCanary(allOutput, CANARIES);
  });

  it("declaring it is a plan error naming the service, even with adopt", async () => {
    const file = write(`${head}  ${RDS}:\n    value: ${CANARIES.ours}\n    adopt: true\n`);
    const plan = await cli("plan", "--adopt", file);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/'svc\/rds\/main' is owned by rds \(OwningService\)/);
    const applied = await cli("apply", "--yes", "--adopt", file);
    expect(applied.code).toBe(1);
    expect(touched.filter((op) => op !== "ListSecrets")).toEqual([]);
    assertNoCanary(allOutput, CANARIES);
  });

  it("import skips it with the service named, and reads no value of it", async () => {
    const out = join(w.dir, `import-${n++}.yaml`);
    const imported = await cli("import", "--prefix", "svc/", "--out", out, "--age", w.recipient);
    // Nothing else under svc/ can be adopted (svc/ours is pending deletion): no empty manifest, exit 1.
    expect(imported.code, imported.stderr).toBe(1);
    expect(imported.stderr).toMatch(/skipped svc\/rds\/main: owned by rds \(OwningService\)/);
    expect(imported.stderr).toMatch(/nothing to import under prefix 'svc\/' .*: all \d+ secret\(s\) there were skipped/);
    expect(touched).toEqual([]);
    assertNoCanary(allOutput, CANARIES);
  });
});
