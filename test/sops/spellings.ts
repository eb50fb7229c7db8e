// Helpers for the yaml.v3 scalar tests: put scalar spellings into one file that the real sops encrypts
// (once in a mapping it leaves in plaintext, once in one it encrypts), and read data the way sops does.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, type Document, type Node } from "yaml";
import { jsValue } from "../../src/sops/decrypt.js";
import { parseDocuments, toJSWithoutMerge } from "../../src/sops/document.js";
import { goYamlValue } from "../../src/sops/goyaml.js";
import { normalise, sops } from "./helpers.js";

export const PLAIN_KEY = "plain_unencrypted";
export const ENCRYPTED_KEY = "encrypted";

/** `key: spelling` lines, one per spelling, indented under a parent mapping. */
export function block(spellings: readonly string[]): string {
  return spellings.map((s, i) => `    s${String(i).padStart(4, "0")}: ${s}\n`).join("");
}

/**
 * Encrypts a file holding every spelling twice with sops, then puts the plaintext spellings back as
 * written: sops re-prints plaintext values in its own canonical form (017 as 15), and its MAC covers
 * the decoded value, so the file only tests the spellings once they are restored. `sops -d` must
 * still accept it (the MAC it stored is over the values these spellings mean to yaml.v3).
 */
export function sopsFileWithSpellings(dir: string, name: string, spellings: readonly string[], recipient: string): string {
  const original = `${PLAIN_KEY}:\n${block(spellings)}`;
  const path = join(dir, name);
  // sops refuses to encrypt a tagged scalar yaml.v3 cannot decode (!!int 1.5) but reads it as a null,
  // which the MAC skips: such spellings are null while sops encrypts, and restored afterwards.
  const encryptable = spellings.map((s) => (undecodable(s) ? "null" : s));
  writeFileSync(path, `${PLAIN_KEY}:\n${block(encryptable)}${ENCRYPTED_KEY}:\n${block(encryptable)}`);
  const r = sops(["encrypt", "--age", recipient, "--in-place", path], { cwd: dir });
  if (r.status !== 0) throw new Error(`sops encrypt ${name} failed (${r.status}): ${r.stderr}`);
  writeFileSync(path, restorePlainBlock(readFileSync(path, "utf8"), original));
  return path;
}

/**
 * A tagged scalar that sopsync's port of yaml.v3 cannot decode as its tag. Should the port be wrong
 * about one, the restored spelling changes the MAC input and `sops -d` itself fails the test.
 */
export function undecodable(spelling: string): boolean {
  const [doc] = parseDocuments(`k: ${spelling}\n`, "spelling.yaml");
  const node = (doc?.contents as { items?: { value: unknown }[] } | null)?.items?.[0]?.value;
  return isScalar(node) && node.tag !== undefined && node.value !== null && goYamlValue(node) === null;
}

/** Replaces the top-level plaintext mapping sops wrote with the original text of it. */
export function restorePlainBlock(encrypted: string, original: string): string {
  const start = encrypted.indexOf(`${PLAIN_KEY}:\n`);
  if (start < 0) throw new Error("no plaintext block in the sops output");
  const rest = encrypted.slice(start + PLAIN_KEY.length + 2);
  const end = rest.search(/^\S/m);
  return `${encrypted.slice(0, start)}${original}${rest.slice(end)}`;
}

/** A mutable view of Go-typed data: safe integers as numbers, -0 as 0 (sops -d prints a float -0 as "-0", an int). */
function plain(v: unknown): unknown {
  const n = normalise(v);
  if (typeof n === "number" && Object.is(n, -0)) return 0;
  if (Array.isArray(n)) return n.map(plain);
  if (n && typeof n === "object") return Object.fromEntries(Object.entries(n).map(([k, x]) => [k, plain(x)]));
  return n;
}

function goNode(node: Node | null): unknown {
  if (node === null) return null;
  if (isMap(node))
    return Object.fromEntries(node.items.map((p) => [String((p.key as { value: unknown }).value), goNode(p.value as Node)]));
  if (isSeq(node)) return node.items.map((i) => goNode(i as Node));
  if (isScalar(node)) {
    const v = goYamlValue(node);
    return v === null ? null : jsValue(v);
  }
  throw new Error("unexpected YAML node in sops -d output");
}

/**
 * `sops -d` output as Go sees it. sops prints values in yaml.v3's canonical form (ints in decimal,
 * floats as %g, timestamps in RFC 3339, strings quoted whenever yaml.v3 would retype them), and a
 * string such as 1.7976931348623157e309 stays plain: the `yaml` package would read it as Infinity.
 */
export function sopsDecryptGoData(path: string, dir: string, env: Record<string, string>): unknown[] {
  const r = sops(["decrypt", path], { cwd: dir, env });
  if (r.status !== 0) throw new Error(`sops decrypt failed (${r.status}): ${r.stderr}`);
  return parseDocuments(r.stdout, "sops-d.yaml").map((d) => plain(goNode(d.contents as Node | null)));
}

/** sopsync's decrypted documents as the manifest reads them (toJS, `<<` never merged). */
export function ourData(docs: Document[]): unknown[] {
  return docs.map((d) => plain(toJSWithoutMerge(d)));
}
