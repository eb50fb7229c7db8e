// `sopsync rotate` against moto through the fault proxy (no faults), so what goes on the wire is
// counted: RotateSecret for a secret that declares rotation, and zero writes when any name is refused.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROTATION_TOKEN_PREFIX } from "../../src/apply/tokens.js";
import { createString, describe as describeSecret, smClient } from "../helpers/aws.js";
import { createRotationFunction } from "../helpers/aws-lambda.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";
import { type AgeKey, generateAgeKey, sopsEncrypt } from "../helpers/tools.js";

const CANARIES = {
  db: "canary-rotate-db-8181",
  plain: "canary-rotate-plain-9292",
  other: "canary-rotate-other-7373",
};

describe("sopsync rotate against moto", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let key: AgeKey;
  let env: Record<string, string>;
  let file: string;
  let n = 0;
  const sm = () => smClient(moto.endpoint);
  const manifest = (lambdaArn: string) => {
    const sub = join(dir, `m${n++}`);
    mkdirSync(sub);
    const text = `sopsync: 1\ntarget:\n  region: ${TEST_REGION}\nscope:\n  id: rotate-it\n  prefix: app/\nsecrets:\n  app/db:\n    value: ${CANARIES.db}\n    rotation: { lambdaArn: "${lambdaArn}", afterDays: 30 }\n  app/plain:\n    value: ${CANARIES.plain}\n`;
    return sopsEncrypt(text, { recipients: [key.recipient], dir: sub, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  };
  const rotate = (...args: string[]) => runCli(["rotate", ...args, "--manifest", file], { env });

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ target: moto.endpoint });
    dir = mkdtempSync(join(tmpdir(), "sopsync-rotate-it-"));
    key = generateAgeKey(dir);
    env = { ...moto.env, ...proxy.env, SOPS_AGE_KEY_FILE: key.file };
  });
  beforeEach(async () => {
    await moto.reset();
    file = manifest(await createRotationFunction(moto.endpoint, "rotate-db"));
    const a = await runCli(["apply", "--yes", file], { env });
    expect(a.code, a.stderr).toBe(0);
    await createString(sm(), "app/other", CANARIES.other);
    proxy.resetStats();
  });
  afterAll(async () => {
    assertNoCanary(allOutput, CANARIES);
    await proxy?.stop();
    await moto?.stop();
  });

  it("rotates a secret that declares rotation: RotateSecret on the wire, under the apply lock", async () => {
    const r = await rotate("app/db", "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("app/db");
    expect(proxy.stats.byOperation.RotateSecret).toBe(1);
    expect(proxy.writes({ excludeLock: true })).toBe(1);
    expect(proxy.stats.lockWrites).toBeGreaterThan(0);
    const current = Object.entries((await describeSecret(sm(), "app/db")).VersionIdsToStages ?? {}).find(([, s]) =>
      s.includes("AWSCURRENT"),
    )?.[0];
    expect(current?.startsWith(ROTATION_TOKEN_PREFIX)).toBe(true);
    // Not re-planned here: moto forgets the rotation settings on a RotateSecret without them (AWS keeps
    // them), and leaves the new version valueless as no function ran. rotation.test.ts plans after a rotation.
  });

  it("refuses undeclared, rotation-less and unmanaged names with zero writes", async () => {
    for (const names of [["app/db", "app/nope"], ["app/plain"], ["app/other"], ["app/db", "app/plain"]]) {
      const r = await rotate(...names, "--yes");
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toContain("refusing to rotate; nothing was changed");
    }
    expect(proxy.writes()).toBe(0);
  });

  it("asks before rotating: without --yes off a terminal it refuses, writing nothing", async () => {
    const r = await rotate("app/db");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--yes");
    expect(proxy.writes()).toBe(0);
  });
});
