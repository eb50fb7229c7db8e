// Resource policies end to end through the CLI, against moto behind the test proxy, with the
// AWS-behaviour layer (GetResourcePolicy answering in AWS's own form) and without it: applying a
// policy and planning again finds nothing to do; a change of meaning is planned, its diff showing the
// change alone; PutResourcePolicy carries BlockPublicPolicy on the wire, false only where the secret
// declares allowPublicPolicy. Manifests are encrypted by the real sops.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { GetResourcePolicyCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/plan/canonical.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto } from "../apply/cli-fixtures.js";
import { smClient } from "../helpers/aws.js";
import { documentedAws, type Rule } from "../helpers/aws-behaviour.js";
import { runCli } from "../helpers/cli.js";
import { MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";
import { sopsEncrypt } from "../helpers/tools.js";

const READ = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Read",
      Effect: "Allow",
      Principal: { AWS: [MOTO_ACCOUNT] },
      Action: ["secretsmanager:GetSecretValue"],
      Resource: ["*"],
    },
  ],
};
const OPEN = {
  Version: "2012-10-17",
  Statement: { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "secretsmanager:DescribeSecret", Resource: "*" },
};

const manifest = (read: unknown) => `sopsync: 1
target:
  region: ${TEST_REGION}
scope:
  id: policy-it
  prefix: pol/
secrets:
  pol/read:
    value: r
    policy: ${JSON.stringify(read)}
  pol/open:
    value: o
    allowPublicPolicy: true
    policy: ${JSON.stringify(OPEN)}
`;

describe.each([
  ["with the AWS-behaviour layer", true],
  ["on moto as it is", false],
])("resource policies %s", (_label, withLayer) => {
  let w: ProxiedMoto;
  const puts: Record<string, unknown>[] = [];
  /** Records what apply sends, before anything else sees it. */
  const recordPuts: Rule = {
    name: "records PutResourcePolicy requests (test instrument, not AWS behaviour)",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html",
    handle(req, next) {
      if (req.operation === "PutResourcePolicy") puts.push(req.body);
      return next(req);
    },
  };
  let n = 0;
  // Each as secrets.yaml in a directory of its own: the name the project's .sops.yaml rule expects.
  const write = (text: string) => {
    const dir = join(w.dir, `m${n++}`);
    mkdirSync(dir);
    return sopsEncrypt(text, { recipients: [w.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  };
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });

  beforeAll(async () => {
    w = await startProxiedMoto("policy", { behaviour: withLayer ? [recordPuts, ...documentedAws()] : [recordPuts] });
  });
  afterAll(() => stopProxiedMoto(w));
  beforeEach(async () => {
    await w.moto.reset();
    puts.length = 0;
  });

  it("applies the policies, blocking public ones unless allowed, and a second plan finds nothing to do", async () => {
    const file = write(manifest(READ));
    const applied = await cli("apply", "--yes", file);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);

    const sent = Object.fromEntries(puts.map((b) => [b.SecretId, b.BlockPublicPolicy]));
    expect(sent).toEqual({ "pol/read": true, "pol/open": false });

    const answer = await smClient(w.proxy.endpoint).send(new GetResourcePolicyCommand({ SecretId: "pol/read" }));
    const live = JSON.parse(answer.ResourcePolicy ?? "null");
    if (withLayer) {
      // The layer is on: the policy comes back in another spelling, which a textual comparison would call drift.
      expect(answer.ResourcePolicy).toContain(`"AWS" : "arn:aws:iam::${MOTO_ACCOUNT}:root"`);
      expect(canonicalJson(live)).not.toBe(canonicalJson(READ));
    } else {
      expect(canonicalJson(live)).toBe(canonicalJson(READ));
    }

    const again = await cli("plan", "--detailed-exitcode", file);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/put-policy/);
  });

  it("plans a change of meaning, and its diff shows the change alone", async () => {
    expect((await cli("apply", "--yes", write(manifest(READ)))).code).toBe(0);
    const wider = structuredClone(READ);
    (wider.Statement[0] as { Action: string[] }).Action.push("secretsmanager:DescribeSecret");
    const r = await cli("plan", "--detailed-exitcode", write(manifest(wider)));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(/~ pol\/read: put-policy\n\s+policy:\n\s+@@/);
    expect(r.stdout).toMatch(/\+\s+"secretsmanager:DescribeSecret"/);
    // What AWS only respelled is shown as the manifest spells it: no principal or resource lines change.
    expect(r.stdout).not.toMatch(/^\s+[-+]\s+"(AWS|Resource)"/m);
    expect(r.stdout).not.toMatch(/pol\/open: put-policy/);
  });
});
