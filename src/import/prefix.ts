// ListSecrets' name filter is a plain string prefix: `prod` matches `prod/db`, and also `prod-db` and
// `production/x`. A prefix that does not end in a separator is almost always meant to end in one, and
// it becomes scope.prefix, so the manifest would claim every name that starts with those letters.

/** Characters a secret name allows that end a path segment. */
const SEPARATOR = /[/_+=.@-]$/;

/**
 * The warning for a prefix without a separator at its end, naming up to two listed names it matches
 * beyond `prefix/`; undefined when the prefix ends in one.
 */
export function prefixWarning(prefix: string, listedNames: readonly string[]): string | undefined {
  if (prefix === "" || SEPARATOR.test(prefix)) return undefined;
  const beyond = listedNames
    .filter((n) => n.length > prefix.length && n[prefix.length] !== "/")
    .sort()
    .slice(0, 2);
  const examples = beyond.length
    ? `it also matches ${beyond.map((n) => `'${n}'`).join(" and ")}`
    : `it would also match names like '${prefix}-db' and '${prefix}2/db'`;
  return `--prefix '${prefix}' does not end with a separator: ${examples}; did you mean --prefix ${prefix}/ ?`;
}
