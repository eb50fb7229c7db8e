// Against moto, through the CLI: `__proto__`, `constructor` and friends as secret names, tag keys and
// JSON keys are created and then found in sync; sopsync: tags of a newer sopsync survive plan and apply.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TagResourceCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as describeSecret, getString, listNames, smClient, tagsOf } from "../helpers/aws.js";
import { runCli } from "../helpers/cli.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { generateAgeKey, sopsEncrypt } from "../helpers/tools.js";

const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty"];

const manifest = `sopsync: 1
target: { region: eu-west-1 }
scope: { id: special-names }
defaults:
  recoveryWindowDays: 7
  tags: { __proto__: d, team: t }
secrets:
${NAMES.map((n) => `  ${n}:\n    value: { __proto__: { x: 1 }, constructor: c, plain: p }\n    tags: { constructor: own, toString: s }`).join("\n")}
`;

describe("special names and unknown sopsync: tags against moto", () => {
  let moto: Moto;
  let env: Record<string, string>;
  let file: string;
  const sm = () => smClient(moto.endpoint);
  const cli = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    const dir = mkdtempSync(join(tmpdir(), "sopsync-names-"));
    const key = generateAgeKey(dir);
    env = { ...moto.env, SOPS_AGE_KEY_FILE: key.file };
    file = sopsEncrypt(manifest, { recipients: [key.recipient], dir, extraArgs: ["--encrypted-regex", "^(value|binary)$"] });
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("creates secrets named __proto__, constructor, ... with those tag keys and JSON keys, then plans them in sync", async () => {
    const plan = await cli("plan", "--detailed-exitcode", file);
    expect(plan.code, plan.stderr).toBe(2);
    for (const n of NAMES) expect(plan.stdout).toContain(`+ ${n}: create`);
    expect(plan.stdout).toContain("Plan: 4 to create, 0 to update, 0 to delete, 0 in sync.");

    const apply = await cli("apply", "--yes", file);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    // The apply lock's own secret aside.
    expect((await listNames(sm())).filter((n) => !n.startsWith("sopsync-lock/"))).toEqual([...NAMES].sort());
    for (const n of NAMES) {
      const stored = JSON.parse((await getString(sm(), n)) ?? "");
      expect(Object.keys(stored).sort()).toEqual(["__proto__", "constructor", "plain"]);
      expect(stored.constructor).toBe("c");
      const tags = tagsOf((await describeSecret(sm(), n)).Tags);
      expect(Object.entries(tags).filter(([k]) => !k.startsWith("sopsync:"))).toEqual(
        expect.arrayContaining([
          ["__proto__", "d"],
          ["team", "t"],
          ["constructor", "own"],
          ["toString", "s"],
        ]),
      );
    }

    const again = await cli("plan", "--detailed-exitcode", file);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("No changes. 4 secret(s) in sync.");
  });

  it("keeps sopsync: tags it does not know (any case) through plan and apply; removes other stray tags", async () => {
    await sm().send(
      new TagResourceCommand({
        SecretId: "constructor",
        Tags: [
          { Key: "sopsync:future", Value: "from-a-newer-sopsync" },
          { Key: "SOPSYNC:Other", Value: "x" },
          { Key: "stray", Value: "1" },
        ],
      }),
    );
    const plan = await cli("plan", "--detailed-exitcode", file);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/~ constructor: untag\n\s+- tag stray = "1"\n/);
    expect(plan.stdout).not.toContain("sopsync:future");
    expect(plan.stdout).not.toContain("SOPSYNC:Other");

    const apply = await cli("apply", "--yes", file);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const tags = tagsOf((await describeSecret(sm(), "constructor")).Tags);
    expect(tags["sopsync:future"]).toBe("from-a-newer-sopsync");
    expect(tags["SOPSYNC:Other"]).toBe("x");
    expect(Object.hasOwn(tags, "stray")).toBe(false);
    const again = await cli("plan", "--detailed-exitcode", file);
    expect(again.code, again.stdout).toBe(0);
  });
});
