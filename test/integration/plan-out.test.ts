// `plan --out` where the plan cannot be written: a clear error naming the file (never "internal
// error"), exit 1, and no truncated plan left behind for a later `apply` to trip over.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeManifest } from "../apply/cli-fixtures.js";
import { runCli } from "../helpers/cli.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { generateAgeKey } from "../helpers/tools.js";

describe("plan --out when the plan cannot be written", () => {
  let moto: Moto;
  let dir: string;
  let file: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    dir = mkdtempSync(join(tmpdir(), "sopsync-plan-out-"));
    const key = generateAgeKey(dir);
    env = { ...moto.env, SOPS_AGE_KEY_FILE: key.file };
    file = writeManifest({ scopeId: "out", prefix: "out/", secrets: { "out/a": "v" } }, { dir, recipient: key.recipient });
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("a full disk (/dev/full): ENOSPC named with the file, exit 1, not a bug report", async () => {
    const r = await runCli(["plan", "--out", "/dev/full", file], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain("Error: cannot write /dev/full: no space left on the device (ENOSPC)");
    expect(r.stderr).not.toMatch(/internal|bug/i);
  });

  it("a missing directory: nothing is created; an existing plan is never left truncated", async () => {
    const missing = join(dir, "no-such-dir", "plan.json");
    const r = await runCli(["plan", "--out", missing, file], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`Error: cannot write ${missing}: no such directory (ENOENT)`);
    expect(existsSync(join(dir, "no-such-dir"))).toBe(false);

    const out = join(dir, "plan.json");
    writeFileSync(out, "previous");
    const ok = await runCli(["plan", "--out", out, file], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).targets).toHaveLength(1);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
