// Every AWS request carries sopsync's version, the plan id and the commit in its user agent, so
// CloudTrail ties each write to its reviewed plan: checked on the wire, between the SDK and moto.
import { writeFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connect } from "../../src/aws/connect.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import { sopsyncUserAgent } from "../../src/user-agent.js";
import { SOPSYNC_VERSION } from "../../src/version.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";
import { runCli } from "../helpers/cli.js";
import { runProcess } from "../helpers/spawn.js";
import { toolPath } from "../helpers/tools.js";
import { MOTO_ACCOUNT, TEST_REGION } from "../helpers/moto.js";

const PLAN_ID = "0b7f6c1e-3d1a-4c2b-9e8f-5a6b7c8d9e0f";
const SHA = "3f786850e387550fdab836ed7e6dc881de23001b";

describe("sopsyncUserAgent", () => {
  it("names the version first, then the plan id and the commit (GITHUB_SHA by default)", () => {
    expect(sopsyncUserAgent({}, {})).toEqual([["sopsync", SOPSYNC_VERSION]]);
    expect(sopsyncUserAgent({ planId: PLAN_ID }, { GITHUB_SHA: SHA.toUpperCase() })).toEqual([
      ["sopsync", SOPSYNC_VERSION],
      ["sopsync-plan", PLAN_ID],
      ["sopsync-commit", SHA],
    ]);
    expect(sopsyncUserAgent({ commit: "a".repeat(64) }, { GITHUB_SHA: SHA })).toContainEqual(["sopsync-commit", "a".repeat(64)]);
  });

  it("leaves out a commit or plan id that is not what it claims", () => {
    for (const commit of ["main", "3f78685", `${SHA}\n::add-mask::x`, `${SHA} x/1`, ""]) {
      expect(sopsyncUserAgent({}, { GITHUB_SHA: commit })).toEqual([["sopsync", SOPSYNC_VERSION]]);
    }
    expect(sopsyncUserAgent({ planId: "x\r\nX-Injected: 1" }, {})).toEqual([["sopsync", SOPSYNC_VERSION]]);
  });
});

describe("user agent on the wire", () => {
  let w: ProxiedMoto;
  const seen: { operation: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    w = await startProxiedMoto("user-agent", {
      onRequest: ({ operation, headers }) => {
        seen.push({ operation, headers });
        return undefined;
      },
    });
    // The in-process SDK clients below find moto (through the proxy) the way the CLI does.
    Object.assign(process.env, w.env);
    delete process.env.GITHUB_SHA;
  });
  afterAll(async () => {
    await stopProxiedMoto(w);
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const agents = (h: IncomingHttpHeaders) => [String(h["user-agent"] ?? ""), String(h["x-amz-user-agent"] ?? "")];

  it("Secrets Manager, STS and KMS requests carry sopsync/<version>, the plan id and the commit", async () => {
    const port = await createSdkPort({ region: TEST_REGION, userAgent: { planId: PLAN_ID, commit: SHA } });
    const key = await new KMSClient({ region: TEST_REGION }).send(new CreateKeyCommand({}));
    seen.length = 0;
    expect(await port.callerAccount()).toBe(MOTO_ACCOUNT);
    await port.listSecrets({ namePrefixes: ["ua/"] });
    await port.describeKey(key.KeyMetadata?.KeyId ?? "");
    expect(seen.map((s) => s.operation).sort()).toEqual(["DescribeKey", "GetCallerIdentity", "ListSecrets"]);
    for (const { operation, headers } of seen) {
      for (const ua of agents(headers)) {
        expect(ua, operation).toContain(`sopsync/${SOPSYNC_VERSION}`);
        expect(ua, operation).toContain(`sopsync-plan/${PLAN_ID}`);
        expect(ua, operation).toContain(`sopsync-commit/${SHA}`);
      }
    }
  });

  it("so does the AssumeRole call made for target.roleArn", async () => {
    const port = await connect(
      { region: TEST_REGION, roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/secrets-apply` },
      { userAgent: { planId: PLAN_ID } },
    );
    await port.callerAccount();
    const assume = seen.find((s) => s.operation === "AssumeRole");
    expect(assume, seen.map((s) => s.operation).join(",")).toBeDefined();
    for (const { operation, headers } of seen) {
      for (const ua of agents(headers)) {
        expect(ua, operation).toContain(`sopsync/${SOPSYNC_VERSION}`);
        expect(ua, operation).toContain(`sopsync-plan/${PLAN_ID}`);
      }
    }
  });

  it("the CLI's requests carry the version, the plan's id and GITHUB_SHA", async () => {
    const file = writeManifest(
      { scopeId: "ua", prefix: "ua/", secrets: { "ua/a": "v" } },
      { dir: w.dir, recipient: w.recipient },
    );
    const r = await runCli(["plan", "--format", "json", file], { env: { ...w.env, GITHUB_SHA: SHA } });
    expect(r.code, r.stderr).toBe(0);
    const planId = (JSON.parse(r.stdout) as { planId: string }).planId;
    expect(seen.length).toBeGreaterThan(0);
    for (const { operation, headers } of seen) {
      for (const ua of agents(headers)) {
        expect(ua, operation).toContain(`sopsync/${SOPSYNC_VERSION}`);
        expect(ua, operation).toContain(`sopsync-plan/${planId}`);
        expect(ua, operation).toContain(`sopsync-commit/${SHA}`);
      }
    }
  });

  it("so do the KMS Decrypt and AssumeRole of a manifest encrypted with a KMS key and a role (version and commit)", async () => {
    const kms = new KMSClient({ region: TEST_REGION });
    const arn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
    kms.destroy();
    const role = `arn:aws:iam::${MOTO_ACCOUNT}:role/sops-decrypt`;
    // Run without blocking: the proxy sops talks to lives in this process.
    const path = join(w.dir, "kms-ua.yaml");
    writeFileSync(path, "sopsync: 1\nscope: {id: ua-kms, prefix: ua-kms/}\nsecrets:\n  ua-kms/a: {value: v}\n");
    const enc = await runProcess(
      toolPath("sops"),
      ["encrypt", "--kms", `${arn}+${role}`, "--encrypted-regex", "^value$", "--in-place", path],
      { cwd: w.dir, env: { PATH: process.env.PATH ?? "", HOME: w.dir, ...w.env } },
    );
    expect(enc.code, enc.stderr).toBe(0);
    seen.length = 0;
    const r = await runCli(["validate", path], { env: { ...w.env, GITHUB_SHA: SHA } });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.map((s) => s.operation).sort()).toEqual(["AssumeRole", "Decrypt"]);
    for (const { operation, headers } of seen) {
      for (const ua of agents(headers)) {
        expect(ua, operation).toContain(`sopsync/${SOPSYNC_VERSION}`);
        expect(ua, operation).toContain(`sopsync-commit/${SHA}`);
      }
    }
  });
});
