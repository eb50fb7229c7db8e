// sops-age, an independent reader, as a second opinion on a manifest the real sops wrote: where it is
// right, it agrees with sopsync; where it is too lax (it skips the MAC), sopsync is stricter.
import { readFileSync, writeFileSync } from "node:fs";
import { decryptSops } from "sops-age";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/sops/index.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { MANIFEST_YAML } from "./fixtures.js";
import { dataOf, sopsEncryptFile, tempDir } from "./helpers.js";

describe("second opinion: sops-age", () => {
  let key: AgeKey;
  let dir: string;
  let file: string;

  beforeAll(() => {
    dir = tempDir();
    key = generateAgeKey(dir);
    file = sopsEncryptFile(dir, "secrets.yaml", MANIFEST_YAML, ["--age", key.recipient, "--encrypted-regex", "^(value|binary)$"]);
  });

  it("decrypts a sops-written manifest to the same data as sopsync", async () => {
    const theirs = await decryptSops(readFileSync(file, "utf8"), { fileType: "yaml", secretKey: key.identity });
    const ours = dataOf((await decryptFile(file, { env: { SOPS_AGE_KEY: key.identity } })).documents)[0];
    delete (theirs as Record<string, unknown>).sops;
    expect(ours).toEqual(theirs);
  });

  it("accepts a file whose MAC was changed, which sopsync refuses", async () => {
    const tampered = readFileSync(file, "utf8").replace(/mac: ENC\[AES256_GCM,data:([A-Za-z0-9+/])/, (_m, c: string) => {
      return `mac: ENC[AES256_GCM,data:${c === "A" ? "B" : "A"}`;
    });
    const path = `${dir}/tampered.yaml`;
    writeFileSync(path, tampered);
    await expect(decryptSops(tampered, { fileType: "yaml", secretKey: key.identity })).resolves.toBeTruthy();
    await expect(decryptFile(path, { env: { SOPS_AGE_KEY: key.identity } })).rejects.toMatchObject({ code: "SOPS_MAC" });
  });
});
