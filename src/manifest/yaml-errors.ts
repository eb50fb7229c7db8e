// The `yaml` library's parse errors as plain sentences. Its own messages quote source text, which in a
// decrypted or cleartext manifest may be a secret value, so only the error code and position are used;
// the one thing quoted is a duplicated key, and keys are never encrypted by sops.
import type { YAMLError } from "yaml";

const PLAIN: Readonly<Record<string, string>> = {
  TAB_AS_INDENT: "a tab is used for indentation: YAML indents with spaces only",
  MULTILINE_IMPLICIT_KEY: "a key runs over more than one line: check the indentation and the `:` after each key",
  BLOCK_AS_IMPLICIT_KEY: "a mapping is nested on the same line as its key: put it on the next line, indented",
  BAD_INDENT: "wrong indentation: items of one mapping or list start at the same column",
  MISSING_CHAR: "a quote or bracket is not closed",
  UNEXPECTED_TOKEN: "unexpected text: check the indentation and the `:` or `-` before it",
  BAD_SCALAR_START: "a value starts with a character YAML reserves (such as @, ` or %): quote the value",
  BAD_DQ_ESCAPE: 'an unknown escape in a double-quoted string: use single quotes or write "\\\\"',
  BLOCK_IN_FLOW: "an indented block inside [ ] or { }: use one style per collection",
  BAD_ALIAS: "an alias (*name) that no anchor (&name) defines",
  ALIAS_PROPS: "an alias (*name) cannot have a tag or an anchor",
  MULTIPLE_ANCHORS: "more than one anchor (&name) on one value",
  MULTIPLE_TAGS: "more than one tag (!tag) on one value",
  BAD_PROP_ORDER: "an anchor or tag is in the wrong place: write it before the value",
  BAD_DIRECTIVE: "an unknown or malformed % directive",
  MULTIPLE_DOCS: "more than one YAML document (---): a manifest is one document",
  KEY_OVER_1024_CHARS: "a key longer than 1024 characters: write long keys with `? `",
  NON_STRING_KEY: "a key that is not a string: keys are names",
  TAG_RESOLVE_FAILED: "an unknown tag (!tag) on a value: remove it",
  BAD_COLLECTION_TYPE: "a tag (!tag) that does not fit its collection: remove it",
};

/** The key a DUPLICATE_KEY error points at, read from the source (plain or quoted). */
function keyAt(text: string, offset: number): string | undefined {
  const rest = text.slice(offset);
  const quoted = /^("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*')/.exec(rest);
  if (quoted) return quoted[1];
  const plain = /^([^\n:#]*?)\s*:(?:\s|$)/.exec(rest);
  const key = plain?.[1]?.trim();
  return key && key.length <= 200 ? key : undefined;
}

export function yamlErrorMessage(err: Pick<YAMLError, "code" | "pos">, text: string): string {
  if (err.code === "DUPLICATE_KEY") {
    const key = keyAt(text, err.pos[0]);
    return key
      ? `duplicate key '${key.replace(/^["']|["']$/g, "")}': each key may appear once in a mapping; remove or rename one`
      : "duplicate key: each key may appear once in a mapping; remove or rename one";
  }
  return PLAIN[err.code] ?? `invalid YAML (${err.code})`;
}
