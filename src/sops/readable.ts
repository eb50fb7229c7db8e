// Which values a file's encryption rule leaves in plaintext, and why, in words a user can act on.
// `set` uses it to refuse writing a secret in clear: sops decides per key path (and, for comment rules,
// per preceding comment), so a secret named `db_unencrypted` or a file with `encrypted_suffix: _secret`
// can leave a new value readable in the file while every check still passes.
import type { Document } from "yaml";
import type { FileFormat } from "./goyaml.js";
import type { EncryptionRule } from "./metadata.js";
import { goRegExp, shouldBeEncrypted } from "./rules.js";
import { walkDocument } from "./tree.js";

export interface ReadableLeaf {
  /** Mapping keys from the document root (list indexes are not part of sops paths). */
  path: string[];
  /** Why the rule leaves it unencrypted; names keys and the rule, never a value. */
  reason: string;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((k, i) => path[i] === k);
}

/** The leaves at or under `under` (a key path) that the rule leaves in plaintext. */
export function readableLeaves(
  doc: Document,
  format: FileFormat,
  rule: EncryptionRule,
  under: readonly string[],
): ReadableLeaf[] {
  const found: ReadableLeaf[] = [];
  walkDocument(doc, format, (item) => {
    if (item.kind !== "leaf" || !startsWith(item.path, under)) return;
    if (shouldBeEncrypted(rule, item.path, item.stack, false)) return;
    found.push({ path: item.path, reason: whyReadable(rule, item.path) });
  });
  return found;
}

function whyReadable(rule: EncryptionRule, path: readonly string[]): string {
  const v = rule.value;
  switch (rule.kind) {
    case "unencrypted_suffix": {
      const key = path.find((k) => k.endsWith(v));
      const isDefault = v === "_unencrypted" ? " (sops's default rule)" : "";
      return `the key '${key}' ends with the file's unencrypted_suffix '${v}'${isDefault}`;
    }
    case "encrypted_suffix":
      return `no key on its path ends with the file's encrypted_suffix '${v}'`;
    case "unencrypted_regex": {
      const re = goRegExp(v);
      return `the key '${path.find((k) => re.test(k))}' matches the file's unencrypted_regex '${v}'`;
    }
    case "encrypted_regex":
      return `no key on its path matches the file's encrypted_regex '${v}'`;
    case "unencrypted_comment_regex":
      return `a comment before it matches the file's unencrypted_comment_regex '${v}'`;
    case "encrypted_comment_regex":
      return `no comment before it matches the file's encrypted_comment_regex '${v}'`;
  }
}
