// `<<` as sops treats it: yaml.v3 reads it as an ordinary key named "<<" (sops writes it `!!merge <<`),
// with associated data like `a:<<:k:`, and nothing is ever merged. sopsync must read sops's files the
// same way, keep the key when it writes, and never merge it when the manifest becomes JS.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { loadManifest } from "../../src/manifest/load.js";
import { toJSWithoutMerge } from "../../src/sops/document.js";
import { encryptText } from "../../src/sops/encrypt.js";
import { decryptText, updateFile } from "../../src/sops/index.js";
import { type AgeKey, generateAgeKey } from "../helpers/tools.js";
import { sops, sopsEncryptFile, tempDir } from "./helpers.js";
import { ourData, sopsDecryptGoData } from "./spellings.js";

const PLAINTEXT = `base:
    <<:
        k: v
        n: 1
    x: 1
nested:
    inner:
        <<:
            deep:
                <<: {z: 2}
    list:
        - <<: {a: b}
        - c
plain_unencrypted:
    <<:
        k: 2
other_unencrypted:
    "<<": quoted
    t: 2024-01-02T03:04:05
`;

/** What sops -d prints for PLAINTEXT: every `<<` a key of its own, nothing merged. */
const DATA = {
  base: { "<<": { k: "v", n: 1 }, x: 1 },
  nested: { inner: { "<<": { deep: { "<<": { z: 2 } } } }, list: [{ "<<": { a: "b" } }, "c"] },
  plain_unencrypted: { "<<": { k: 2 } },
  other_unencrypted: { "<<": "quoted", t: "2024-01-02T03:04:05" },
};

describe("YAML merge key `<<` as sops reads and writes it", () => {
  let age: AgeKey;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = tempDir();
    age = generateAgeKey(dir);
    env = { SOPS_AGE_KEY_FILE: age.file };
  });

  it("decrypts a sops file with `<<` keys, encrypted and plaintext, nested, without merging", async () => {
    const path = sopsEncryptFile(dir, "merge.yaml", PLAINTEXT, ["--age", age.recipient]);
    const text = readFileSync(path, "utf8");
    expect(text).toContain("!!merge <<:");
    expect(sopsDecryptGoData(path, dir, env)).toEqual([DATA]);
    const got = await decryptText(text, path, { env });
    expect(ourData(got.documents)).toEqual([DATA]);
  });

  it("uses `<<` in the associated data: a value moved out from under it does not decrypt", async () => {
    const path = sopsEncryptFile(dir, "moved.yaml", "a:\n    <<:\n        k: v\n    k: w\n", ["--age", age.recipient]);
    const text = readFileSync(path, "utf8");
    const lines = text.split("\n");
    const under = lines.findIndex((l) => l.startsWith("        k: ENC["));
    const beside = lines.findIndex((l) => l.startsWith("    k: ENC["));
    // Swap the two ciphertexts: `a:<<:k:` and `a:k:` are different associated data.
    const swapped = [...lines];
    swapped[under] = `        k: ${lines[beside]?.slice("    k: ".length)}`;
    swapped[beside] = `    k: ${lines[under]?.slice("        k: ".length)}`;
    writeFileSync(path, swapped.join("\n"));
    expect(sops(["decrypt", path], { cwd: dir, env }).status).not.toBe(0);
    await expect(decryptText(swapped.join("\n"), path, { env })).rejects.toMatchObject({ code: "SOPS_DECRYPT" });
    await expect(decryptText(text, path, { env })).resolves.toBeDefined();
  });

  it("writes `<<` back as sops does when it re-encrypts, and sops -d reads the same data", async () => {
    const path = sopsEncryptFile(dir, "rewrite.yaml", PLAINTEXT, ["--age", age.recipient]);
    await updateFile(
      path,
      (docs) => {
        docs[0]?.setIn(["base", "<<", "k"], "changed");
        docs[0]?.setIn(["added", "<<"], "new");
      },
      { env },
    );
    const text = readFileSync(path, "utf8");
    expect(text.match(/!!merge <<:/g)?.length).toBe(7);
    const expected = { ...DATA, base: { "<<": { k: "changed", n: 1 }, x: 1 }, added: { "<<": "new" } };
    expect(sopsDecryptGoData(path, dir, env)).toEqual([expected]);
    expect(ourData((await decryptText(text, path, { env })).documents)).toEqual([expected]);
  });

  it("encrypts new plaintext holding `<<` keys so that sops -d reads them unmerged", async () => {
    const path = join(dir, "new.yaml");
    writeFileSync(
      path,
      await encryptText(PLAINTEXT, path, { keyGroups: [[{ kind: "age", recipient: age.recipient, enc: "" }]] }),
    );
    expect(sopsDecryptGoData(path, dir, env)).toEqual([DATA]);
  });

  it("never merges when a manifest becomes JS, however it was parsed", async () => {
    // A `yaml` default parse turns `!!merge <<` into a key that toJS() merges.
    const doc = parseDocument("a:\n  !!merge <<: {k: v}\n  x: 1\n");
    expect(doc.toJS()).toEqual({ a: { k: "v", x: 1 } });
    expect(toJSWithoutMerge(doc)).toEqual({ a: { "<<": { k: "v" }, x: 1 } });

    const manifest = `sopsync: 1
scope:
    id: merge-test
secrets:
    app/config:
        value:
            <<:
                user: base
            password: s3cr3t
`;
    const path = sopsEncryptFile(dir, "secrets.yaml", manifest, [
      "--age",
      age.recipient,
      "--encrypted-regex",
      "^(value|binary)$",
    ]);
    expect(readFileSync(path, "utf8")).toContain("!!merge <<:");
    const desired = await loadManifest(path, { env });
    const secret = desired.secrets.find((s) => s.name === "app/config");
    expect(secret?.value).toEqual({ kind: "json", data: { "<<": { user: "base" }, password: "s3cr3t" } });
  });
});
