// A tampered file never decrypts: changed ciphertext, changed cleartext, swapped values, removed or
// altered MAC. Error messages name the file and never contain a value.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { SopsyncError } from "../../src/errors.js";
import { decryptText } from "../../src/sops/index.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { CANARY } from "./fixtures.js";
import { sopsEncryptFile, tempDir } from "./helpers.js";

const PLAIN = `secrets:
  a:
    value: ${CANARY}-a
  b:
    value: ${CANARY}-b
  list:
    value: [${CANARY}-first, ${CANARY}-second]
notes_unencrypted: ${CANARY}-note
`;

let original = "";

async function refusal(text: string, env: Record<string, string>, mustDiffer = true): Promise<SopsyncError> {
  if (mustDiffer) expect(text).not.toBe(original);
  const err = await decryptText(text, "tampered.yaml", { env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SopsyncError);
  const e = err as SopsyncError;
  expect(e.message).toContain("tampered.yaml");
  expect(e.message).not.toContain(CANARY);
  expect(JSON.stringify(e.problems)).not.toContain(CANARY);
  return e;
}

const encOf = (text: string, key: string) => new RegExp(`(${key}: )(ENC\\[[^\\]]+\\])`).exec(text)?.[2] ?? "";

describe("tampering is refused", () => {
  let key: AgeKey;
  let env: Record<string, string>;
  let text: string;
  let macOnlyText: string;

  beforeAll(() => {
    const dir = tempDir();
    key = generateAgeKey(dir);
    env = { SOPS_AGE_KEY: key.identity };
    text = readFileSync(sopsEncryptFile(dir, "t.yaml", PLAIN, ["--age", key.recipient]), "utf8");
    original = text;
    macOnlyText = readFileSync(
      sopsEncryptFile(dir, "m.yaml", PLAIN, ["--age", key.recipient, "--encrypted-regex", "^value$"]),
      "utf8",
    );
  });

  it("the untouched file decrypts", async () => {
    await expect(decryptText(text, "t.yaml", { env })).resolves.toBeTruthy();
  });

  it("a changed ciphertext", async () => {
    const enc = encOf(text, "value");
    const data = /data:([^,]+)/.exec(enc)![1]!;
    const flipped = (data[0] === "A" ? "B" : "A") + data.slice(1);
    const e = await refusal(text.replace(enc, enc.replace(data, flipped)), env);
    expect(e.code).toBe("SOPS_DECRYPT");
  });

  it("a changed cleartext value", async () => {
    const e = await refusal(text.replace(`${CANARY}-note`, `${CANARY}-evil`), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("values swapped between two keys", async () => {
    const a = encOf(text, "  a:\n    value");
    const lines = text.split("\n");
    const ia = lines.findIndex((l) => l.includes("value: ENC["));
    const ib = lines.findIndex((l, i) => i > ia && l.includes("value: ENC["));
    const va = lines[ia]!.replace(/^.*value: /, "");
    const vb = lines[ib]!.replace(/^.*value: /, "");
    lines[ia] = lines[ia]!.replace(va, vb);
    lines[ib] = lines[ib]!.replace(vb, va);
    expect(a).toBe("");
    const e = await refusal(lines.join("\n"), env);
    expect(e.code).toBe("SOPS_DECRYPT");
  });

  it("list elements swapped (same AAD, caught by the MAC)", async () => {
    const lines = text.split("\n");
    const items = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s+- ENC\[/.test(l));
    expect(items.length).toBe(2);
    const [[l0, i0], [l1, i1]] = items as [[string, number], [string, number]];
    lines[i0] = l1;
    lines[i1] = l0;
    const e = await refusal(lines.join("\n"), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("a removed MAC", async () => {
    const e = await refusal(text.replace(/\n\s+mac: ENC\[[^\]]+\]/, ""), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("an emptied MAC", async () => {
    const e = await refusal(text.replace(/mac: ENC\[[^\]]+\]/, 'mac: ""'), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("a changed lastmodified", async () => {
    const e = await refusal(text.replace(/lastmodified: "([^"]+)"/, 'lastmodified: "2001-01-01T00:00:00Z"'), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("a MAC taken from another file", async () => {
    const otherMac = /mac: (ENC\[[^\]]+\])/.exec(macOnlyText)![1]!;
    const e = await refusal(text.replace(/mac: ENC\[[^\]]+\]/, `mac: ${otherMac}`), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("an encrypted value replaced by plaintext", async () => {
    const e = await refusal(text.replace(encOf(text, "value"), "plain-text"), env);
    expect(e.code).toBe("SOPS_DECRYPT");
  });

  it("a removed key (MAC covers the structure's values)", async () => {
    const e = await refusal(text.replace(/\n\s+b:\n\s+value: ENC\[[^\]]+\]/, ""), env);
    expect(e.code).toBe("SOPS_MAC");
  });

  it("a corrupt value type", async () => {
    const enc = encOf(text, "value");
    const e = await refusal(text.replace(enc, enc.replace("type:str", "type:weird")), env);
    expect(e.code).toBe("SOPS_DECRYPT");
  });

  it("a file that is not sops-encrypted", async () => {
    const e = await refusal(PLAIN, env);
    expect(e.code).toBe("SOPS_FORMAT");
  });

  it("a wrong key", async () => {
    const other = generateAgeKey(tempDir());
    const e = await refusal(text, { SOPS_AGE_KEY: other.identity }, false);
    expect(e.code).toBe("SOPS_DECRYPT");
    expect(e.message).toContain(key.recipient);
  });
});
