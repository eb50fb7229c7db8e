// sopsync init / set / edit as a user runs them; sops checks what they write.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runEdit } from "../../src/cli/commands/edit.js";
import { runInit } from "../../src/cli/commands/init.js";
import { SopsyncError } from "../../src/errors.js";
import { allOutput, runCli } from "../helpers/cli.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { CANARY } from "./fixtures.js";
import { sops, sopsDecryptData, tempDir } from "./helpers.js";

type Manifest = { sopsync: number; secrets: Record<string, { value: unknown; description?: string }> };

describe("init, set, edit", () => {
  let key: AgeKey;
  let env: Record<string, string>;

  beforeAll(() => {
    key = generateAgeKey(tempDir());
    env = { SOPS_AGE_KEY: key.identity };
  });

  async function initDir(): Promise<string> {
    const dir = tempDir("sopsync-init-");
    await runInit({ dir, age: key.recipient, env: {} });
    return dir;
  }

  it("init writes an encrypted manifest sops opens and a .sops.yaml sops uses", async () => {
    const dir = tempDir("sopsync-init-");
    const r = await runCli(["init", "--age", key.recipient], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const data = sopsDecryptData(join(dir, "secrets.yaml"), dir, env)[0] as Manifest;
    expect(data.sopsync).toBe(1);
    expect(Object.keys(data.secrets)).toHaveLength(1);
    const text = readFileSync(join(dir, "secrets.yaml"), "utf8");
    expect(text).toContain("encrypted_regex: ^(value|binary)$");
    expect(text).toMatch(/description: Example secret/); // metadata stays readable
    // The rule is for secrets.yaml only: sops encrypts no other file here by it (test/cli/init.test.ts
    // checks that sops applies it to a new secrets.yaml).
    writeFileSync(join(dir, "other.yaml"), "a:\n  value: x\n  note: plain-note\n");
    expect(sops(["encrypt", "--in-place", "other.yaml"], { cwd: dir, env }).stderr).toContain("no matching creation rules found");
  });

  it("init refuses to overwrite and rejects malformed keys", async () => {
    const dir = await initDir();
    await expect(runInit({ dir, age: key.recipient, env: {} })).rejects.toThrow(/already exists/);
    await expect(runInit({ dir: tempDir(), age: "not-a-key", env: {} })).rejects.toBeInstanceOf(SopsyncError);
    await expect(runInit({ dir: tempDir(), kms: "nope", env: {} })).rejects.toBeInstanceOf(SopsyncError);
  });

  it("init without flags uses the age key it can find", async () => {
    const dir = tempDir();
    await runInit({ dir, env: { SOPS_AGE_KEY_FILE: key.file, HOME: dir } });
    expect(readFileSync(join(dir, ".sops.yaml"), "utf8")).toContain(key.recipient);
  });

  it("set reads the value from stdin, never prints it, and sops reads the result", async () => {
    const dir = await initDir();
    const file = join(dir, "secrets.yaml");
    // init's manifest has scope.prefix: names must start with it.
    const prefix = (sopsDecryptData(file, dir, env)[0] as { scope: { prefix: string } }).scope.prefix;
    const r1 = await runCli(["set", file, `${prefix}token`], { env, input: `${CANARY}-token\n` });
    expect(r1.code, r1.stderr).toBe(0);
    const r2 = await runCli(["set", file, `${prefix}db`, "password"], { env, input: `${CANARY}-pw` });
    expect(r2.code, r2.stderr).toBe(0);
    const data = sopsDecryptData(file, dir, env)[0] as Manifest;
    expect(data.secrets[`${prefix}token`]!.value).toBe(`${CANARY}-token`);
    expect(data.secrets[`${prefix}db`]!.value).toEqual({ password: `${CANARY}-pw` });
    expect(readFileSync(file, "utf8")).not.toContain(CANARY);
    const bad = await runCli(["set", file, `${prefix}token`, "k"], { env, input: "v" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("not a mapping");
    for (const out of allOutput) expect(out).not.toContain(CANARY);
  });

  it("edit re-encrypts the edited plaintext from a private temp file, then removes it", async () => {
    const dir = await initDir();
    const file = join(dir, "secrets.yaml");
    const before = readFileSync(file, "utf8");
    const log = join(dir, "editor.log");
    const script = join(dir, "editor.sh");
    writeFileSync(
      script,
      `#!/bin/sh\nstat -c '%a' "$(dirname "$1")" "$1" > ${log}\necho "$1" >> ${log}\nsed -i 's/change-me/${CANARY}-edited/' "$1"\n`,
    );
    chmodSync(script, 0o755);
    expect(await runEdit(file, { env, editor: script })).toBe(true);
    const [dirMode, fileMode, tmpPath] = readFileSync(log, "utf8").trim().split("\n");
    expect(dirMode).toBe("700");
    expect(fileMode).toBe("600");
    expect(existsSync(tmpPath!)).toBe(false);
    const data = sopsDecryptData(file, dir, env)[0] as Manifest;
    const example = Object.values(data.secrets)[0]!;
    expect(example.value).toEqual({ username: "example", password: `${CANARY}-edited` });
    // Only the edited value's ciphertext changed.
    const enc = (t: string) => t.split("\n").filter((l) => l.includes("ENC[") && !l.includes("mac:"));
    expect(enc(readFileSync(file, "utf8")).filter((l) => !enc(before).includes(l))).toHaveLength(1);
  });

  it("edit with no change does not write; a failing editor changes nothing", async () => {
    const dir = await initDir();
    const file = join(dir, "secrets.yaml");
    const before = readFileSync(file, "utf8");
    expect(await runEdit(file, { env, editor: "true" })).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(before);
    await expect(runEdit(file, { env, editor: "false" })).rejects.toMatchObject({ code: "ABORTED" });
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
