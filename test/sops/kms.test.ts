// AWS KMS master keys against moto: sops and sopsync wrap/unwrap the data key through the real SDKs.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptFile, decryptText } from "../../src/sops/index.js";
import { encryptText } from "../../src/sops/encrypt.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";
import { CANARY, MANIFEST_YAML } from "./fixtures.js";
import { dataOf, sopsDecryptData, sopsEncryptFile, tempDir } from "./helpers.js";

describe("AWS KMS key source (moto)", () => {
  let moto: Moto;
  let arn: string;
  let dir: string;

  beforeAll(async () => {
    moto = await startMoto();
    const kms = new KMSClient({ region: TEST_REGION });
    arn = (await kms.send(new CreateKeyCommand({ Description: "sopsync test" }))).KeyMetadata!.Arn!;
    kms.destroy();
    dir = tempDir();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it("a file sops encrypted with --kms (pointed at moto) decrypts in sopsync", async () => {
    const path = sopsEncryptFile(
      tempDir(),
      "kms.yaml",
      MANIFEST_YAML,
      ["--kms", arn, "--encrypted-regex", "^(value|binary)$"],
      moto.env,
    );
    expect(readFileSync(path, "utf8")).toContain(arn);
    const got = await decryptFile(path, { env: moto.env });
    expect(dataOf(got.documents)).toEqual(sopsDecryptData(path, dir, moto.env));
  });

  it("a file sopsync encrypted with KMS + encryption context + role opens in sops", async () => {
    const path = join(tempDir(), "ctx.yaml");
    const key = {
      kind: "kms" as const,
      arn,
      enc: "",
      context: { app: "sopsync", env: "test" },
      role: "arn:aws:iam::123456789012:role/sops-decrypt",
    };
    writeFileSync(
      path,
      await encryptText(MANIFEST_YAML, "ctx.yaml", {
        keyGroups: [[key]],
        rule: { kind: "encrypted_regex", value: "^(value|binary)$" },
      }),
    );
    const text = readFileSync(path, "utf8");
    expect(text).toMatch(/context:\n\s+app: sopsync\n\s+env: test/);
    expect(text).toContain("role: arn:aws:iam::123456789012:role/sops-decrypt");
    expect(sopsDecryptData(path, dir, moto.env)).toEqual(dataOf((await decryptFile(path, { env: moto.env })).documents));
  });

  it("a wrong encryption context is rejected", async () => {
    const path = sopsEncryptFile(
      tempDir(),
      "ctx2.yaml",
      MANIFEST_YAML,
      ["--kms", arn, "--encryption-context", "app:sopsync"],
      moto.env,
    );
    const text = readFileSync(path, "utf8");
    expect(text).toContain("app: sopsync");
    await expect(decryptText(text, "ctx2.yaml", { env: moto.env })).resolves.toBeTruthy();
    const tampered = text.replace("app: sopsync", "app: other");
    const err = await decryptText(tampered, "ctx2.yaml", { env: moto.env }).catch((e) => e);
    expect(err.code).toBe("SOPS_DECRYPT");
    expect(err.message).toContain(arn);
    expect(err.message).not.toContain(CANARY);
  });

  it("KMS plus age in one group: either key opens the file", async () => {
    const path = join(tempDir(), "mixed.yaml");
    const { generateAgeKey } = await import("../helpers/tools.js");
    const age = generateAgeKey(dir);
    writeFileSync(
      path,
      await encryptText(MANIFEST_YAML, "mixed.yaml", {
        keyGroups: [
          [
            { kind: "kms", arn, enc: "" },
            { kind: "age", recipient: age.recipient, enc: "" },
          ],
        ],
      }),
    );
    await expect(decryptFile(path, { env: { SOPS_AGE_KEY: age.identity } })).resolves.toBeTruthy();
    expect(sopsDecryptData(path, dir, moto.env)).toBeTruthy();
  });
});
