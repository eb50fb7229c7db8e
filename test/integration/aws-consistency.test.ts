// What AWS documents about consistency and what a write did (issue 11), through the CLI against moto
// behind the test proxy: clearing a description sends `Description: ""`, which AWS honours and moto
// ignores, and read-back tells the two apart; a listing that lags behind a create makes a plan that
// apply refuses for that secret, never an unreviewed write; so does a secret created by someone else
// between the re-read and the CreateSecret.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DescribeSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { createString, smClient, tagsOf } from "../helpers/aws.js";
import { documentedAws, laggingListing, type Rule, settle } from "../helpers/aws-behaviour.js";
import { runCli } from "../helpers/cli.js";
import { TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";

const manifest = (secrets: string) => `sopsync: 1
target:
  region: ${TEST_REGION}
scope:
  id: consistency
  prefix: co/
secrets:
${secrets}`;

function harness(name: string, behaviour: () => Rule[]) {
  const h = {
    w: undefined as unknown as ProxiedMoto,
    rules: [] as Rule[],
    sent: [] as { operation: string; body: Record<string, unknown> }[],
    /** Runs before the proxy forwards a request; lets a test act between sopsync's calls. */
    before: undefined as ((operation: string, secret?: string) => Promise<void>) | undefined,
    n: 0,
    write(text: string) {
      const dir = join(h.w.dir, `m${h.n++}`);
      mkdirSync(dir);
      return sopsEncrypt(text, { recipients: [h.w.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
    },
    cli: (...args: string[]) => runCli(args, { env: h.w.env, cwd: h.w.dir }),
    sm: () => smClient(h.w.proxy.endpoint),
    direct: () => smClient(h.w.moto.endpoint),
  };
  const record: Rule = {
    name: "records requests (test instrument, not AWS behaviour)",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html",
    handle(req, next) {
      h.sent.push(req);
      return next(req);
    },
  };
  beforeAll(async () => {
    h.rules = behaviour();
    h.w = await startProxiedMoto(name, {
      behaviour: [record, ...h.rules],
      onRequest: async ({ operation, secret }) => {
        await h.before?.(operation, secret);
        return undefined;
      },
    });
  });
  afterAll(() => stopProxiedMoto(h.w));
  beforeEach(async () => {
    await h.w.moto.reset();
    settle(h.rules);
    h.sent.length = 0;
    h.before = undefined;
  });
  return h;
}

describe.each([
  ["with the AWS-behaviour layer", true],
  ["on moto as it is", false],
])("clearing a description %s", (_label, withLayer) => {
  const h = harness("description", () => (withLayer ? documentedAws() : []));

  it('sends Description: "" on the wire; read-back reports it when the store kept the old one', async () => {
    const first = await h.cli("apply", "--yes", h.write(manifest("  co/d:\n    value: x\n    description: Old words\n")));
    expect(first.code, first.stdout + first.stderr).toBe(0);

    h.sent.length = 0;
    const file = h.write(manifest("  co/d:\n    value: x\n"));
    const plan = await h.cli("plan", file);
    expect(plan.stdout).toContain('description: "Old words" -> (none)');
    const cleared = await h.cli("apply", "--yes", file);
    const updates = h.sent.filter((r) => r.operation === "UpdateSecret");
    expect(updates).toHaveLength(1);
    // The SDK adds a ClientRequestToken of its own; without a value it makes no version.
    const { ClientRequestToken: _, ...body } = updates[0]?.body ?? {};
    expect(body).toEqual({ SecretId: "co/d", Description: "" });

    const described = (await h.sm().send(new DescribeSecretCommand({ SecretId: "co/d" }))).Description;
    if (withLayer) {
      // As AWS documents it: the description is now empty, and the account is in sync.
      expect(cleared.code, cleared.stdout + cleared.stderr).toBe(0);
      expect(described).toBeUndefined();
      expect((await h.cli("plan", "--detailed-exitcode", file)).code).toBe(0);
    } else {
      // moto ignores the empty Description: apply says so instead of calling the secret applied.
      expect(cleared.code).toBe(1);
      expect(described).toBe("Old words");
      expect(cleared.stdout).toContain('! co/d: read-back: its description is "Old words", not "" as written');
      expect(cleared.stdout).toMatch(/Apply: 0 applied, 1 failed, 0 not started/);
    }
  });

  it("refuses a create meeting someone else's secret made after the re-read: SecretChanged, theirs untouched", async () => {
    h.before = async (operation, secret) => {
      if (operation !== "CreateSecret" || secret !== "co/race") return;
      h.before = undefined;
      await createString(h.direct(), "co/race", "theirs", { owner: "someone-else" });
    };
    const r = await h.cli("apply", "--yes", h.write(manifest("  co/race:\n    value: mine\n  co/other:\n    value: o\n")));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /! co\/race: create failed: SecretChanged: a secret of this name exists, which the plan did not see/,
    );
    expect(r.stdout).toMatch(/Apply: 1 applied, 1 failed/);
    expect((await h.sm().send(new GetSecretValueCommand({ SecretId: "co/race" }))).SecretString).toBe("theirs");
    expect(tagsOf((await h.sm().send(new DescribeSecretCommand({ SecretId: "co/race" }))).Tags)).toEqual({
      owner: "someone-else",
    });
  });
});

describe("a listing that lags behind a create (ListSecrets might not reflect the last five minutes)", () => {
  // Stale for whole commands until settled, as within AWS's five minutes.
  const lag = laggingListing();
  const h = harness("lag", () => [lag, ...documentedAws().filter((r) => r.name !== lag.name)]);

  it("the next plan shows the secret as absent; its apply refuses it at the re-read and writes nothing to it", async () => {
    const file = h.write(manifest("  co/new:\n    value: v1\n"));
    const created = await h.cli("apply", "--yes", file);
    expect(created.code, created.stdout + created.stderr).toBe(0);

    const stale = await h.cli("plan", file);
    expect(stale.stdout).toMatch(/\+ co\/new: create/);
    const writesBefore = h.w.proxy.writes({ excludeLock: true });
    const refused = await h.cli("apply", "--yes", file);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /! co\/new: recheck failed: SecretChanged: it is now present, planned as absent; nothing was written/,
    );
    expect(h.w.proxy.writes({ excludeLock: true })).toBe(writesBefore);

    settle(h.rules); // as if five minutes passed
    expect((await h.cli("plan", "--detailed-exitcode", file)).code).toBe(0);
  });
});
