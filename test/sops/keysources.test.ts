// Where age identities come from, as in sops: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and
// the user config directory's sops/age/keys.txt.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/sops/index.js";
import { userConfigDir } from "../../src/sops/keys/age.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { MANIFEST_YAML } from "./fixtures.js";
import { sopsEncryptFile, tempDir } from "./helpers.js";

describe("age key sources", () => {
  let key: AgeKey;
  let path: string;

  beforeAll(() => {
    const dir = tempDir();
    key = generateAgeKey(dir);
    path = sopsEncryptFile(dir, "k.yaml", MANIFEST_YAML, ["--age", key.recipient]);
  });

  it("SOPS_AGE_KEY_FILE", async () => {
    await expect(decryptFile(path, { env: { SOPS_AGE_KEY_FILE: key.file, HOME: tempDir() } })).resolves.toBeTruthy();
  });

  it("SOPS_AGE_KEY_CMD", async () => {
    await expect(
      decryptFile(path, { env: { SOPS_AGE_KEY_CMD: `cat ${key.file}`, HOME: tempDir(), PATH: process.env.PATH ?? "" } }),
    ).resolves.toBeTruthy();
  });

  it("XDG_CONFIG_HOME/sops/age/keys.txt and ~/.config/sops/age/keys.txt", async () => {
    const xdg = tempDir();
    mkdirSync(join(xdg, "sops", "age"), { recursive: true });
    writeFileSync(join(xdg, "sops", "age", "keys.txt"), `# created: now\n${readFileSync(key.file, "utf8")}`);
    await expect(decryptFile(path, { env: { XDG_CONFIG_HOME: xdg, HOME: tempDir() } })).resolves.toBeTruthy();
    const home = tempDir();
    mkdirSync(join(home, ".config", "sops", "age"), { recursive: true });
    writeFileSync(join(home, ".config", "sops", "age", "keys.txt"), readFileSync(key.file, "utf8"));
    await expect(decryptFile(path, { env: { HOME: home } })).resolves.toBeTruthy();
  });

  it("every identity from every source is tried", async () => {
    const other = generateAgeKey(tempDir());
    const env = { SOPS_AGE_KEY: other.identity, SOPS_AGE_KEY_FILE: key.file, HOME: tempDir() };
    await expect(decryptFile(path, { env })).resolves.toBeTruthy();
  });

  it("a missing key file is named in the error, the key never", async () => {
    const err = await decryptFile(path, { env: { SOPS_AGE_KEY_FILE: "/nonexistent/keys.txt", HOME: tempDir() } }).catch((e) => e);
    expect(err.code).toBe("SOPS_DECRYPT");
    expect(err.message).toContain("/nonexistent/keys.txt");
    expect(err.message).toContain(key.recipient);
  });

  it("the config directory follows the OS convention", () => {
    expect(userConfigDir({ HOME: "/h" }, "linux")).toBe("/h/.config");
    expect(userConfigDir({ HOME: "/h", XDG_CONFIG_HOME: "/x" }, "linux")).toBe("/x");
    expect(userConfigDir({ HOME: "/h" }, "darwin")).toBe("/h/Library/Application Support");
  });
});
