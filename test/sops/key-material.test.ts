// Key material never appears in output: a malformed identity is named by its source and line and
// skipped, and the good identities of other sources still decrypt (sops stops at the first bad one).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/sops/index.js";
import { parseIdentityLines } from "../../src/sops/keys/age.js";
import { redactKeyMaterial } from "../../src/cli/exit.js";
import { assertNoKeyMaterial, runCli } from "../helpers/cli.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { CANARY, MANIFEST_YAML } from "./fixtures.js";
import { sopsEncryptFile, tempDir } from "./helpers.js";

/** The key with one character of its body changed: still a plausible key, wrong checksum. */
function typo(identity: string): string {
  const i = identity.length - 10;
  const c = identity[i] === "Q" ? "P" : "Q";
  return identity.slice(0, i) + c + identity.slice(i + 1);
}

describe("age key material in output", () => {
  let dir: string;
  let key: AgeKey;
  let path: string;
  let bodies: string[];

  beforeAll(() => {
    dir = tempDir();
    key = generateAgeKey(dir);
    path = sopsEncryptFile(dir, "secrets.yaml", MANIFEST_YAML, ["--age", key.recipient]);
    // A 20-character slice of the body is enough to rebuild trust in a leaked key; none may show.
    bodies = [key.identity, typo(key.identity)].map((k) => k.slice(20, 40));
  });

  const clean = (outputs: string[]) => {
    assertNoKeyMaterial(outputs);
    for (const out of outputs) for (const b of bodies) expect(out.includes(b)).toBe(false);
  };

  it("a typo in SOPS_AGE_KEY next to a good key file: warning naming the source, decryption succeeds", async () => {
    const r = await runCli(["validate", path], {
      cwd: dir,
      env: { SOPS_AGE_KEY: typo(key.identity), SOPS_AGE_KEY_FILE: key.file },
    });
    expect(r.stderr).toContain("Warning: SOPS_AGE_KEY line 1: malformed age identity");
    expect(r.code).toBe(0);
    clean([r.stdout, r.stderr]);
  });

  it("a truncated key alone: an error naming the source and line, never the key", async () => {
    const r = await runCli(["validate", path], { cwd: dir, env: { SOPS_AGE_KEY: key.identity.slice(0, -3) } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SOPS_AGE_KEY line 1: malformed age identity");
    expect(r.stderr).toContain(key.recipient);
    clean([r.stdout, r.stderr]);
  });

  it("a bad line in a key file or a key command's output is named by file and line", async () => {
    const file = join(dir, "keys.txt");
    writeFileSync(
      file,
      `# created: today\n# public key: ${key.recipient}\n${typo(key.identity)}\n${readFileSync(key.file, "utf8")}`,
    );
    const r = await runCli(["validate", path], { cwd: dir, env: { SOPS_AGE_KEY_FILE: file } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`SOPS_AGE_KEY_FILE ${file} line 3: malformed age identity`);
    const cmd = await runCli(["validate", path], {
      cwd: dir,
      env: { SOPS_AGE_KEY_CMD: `printf '%s\\n' 'not-a-key' ; cat ${key.file}` },
    });
    expect(cmd.code).toBe(0);
    expect(cmd.stderr).toContain("SOPS_AGE_KEY_CMD output line 1 is not an age identity");
    clean([r.stdout, r.stderr, cmd.stdout, cmd.stderr]);
  });

  it("the library reports skipped identities without their text", async () => {
    const warnings: string[] = [];
    const ids = await parseIdentityLines(`${typo(key.identity)}\n\n${key.identity}\nAGE-SECRET-KEY-1\n`, "test", warnings);
    expect(ids).toEqual([key.identity]);
    expect(warnings).toEqual([
      "test line 1: malformed age identity (a wrong, missing or extra character); skipped",
      "test line 4: malformed age identity (a wrong, missing or extra character); skipped",
    ]);
    const err = await decryptFile(path, { env: { SOPS_AGE_KEY: typo(key.identity), HOME: tempDir() } }).catch((e) => e);
    expect(err.code).toBe("SOPS_DECRYPT");
    expect(err.message).toContain("SOPS_AGE_KEY line 1");
    clean([err.message]);
    expect(err.message).not.toContain(CANARY);
  });

  it("the error reporter redacts any age key a library message might quote", () => {
    expect(redactKeyMaterial(`Invalid checksum in ${typo(key.identity)}`)).toBe("Invalid checksum in AGE-SECRET-KEY-…(redacted)");
  });
});
