// Which leaves are encrypted: sops.go shouldBeEncrypted. A rule matching any key on the path covers the
// whole subtree; comment rules look at the comments preceding a value in its branch and its ancestors'.
import type { EncryptionRule } from "./metadata.js";

/**
 * Go RE2 patterns are mostly valid JavaScript; a leading (?flags) group becomes JS flags. RE2 accepts
 * escaped punctuation such as `\-` that a `u` regexp rejects, so such a pattern is retried without
 * `u`, which reads those escapes as RE2 does. Throws SyntaxError when neither form is valid.
 */
export function goRegExp(pattern: string): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  const body = m ? pattern.slice(m[0].length) : pattern;
  const flags = [...new Set((m?.[1] ?? "").replace("U", "").split(""))].join("");
  try {
    return new RegExp(body, `u${flags}`);
  } catch {
    return new RegExp(body, flags);
  }
}

/** goRegExp once per pattern: a file's rule is tested against every leaf. No flag makes these stateful (g, y). */
const compiled = new Map<string, RegExp>();
function ruleRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = goRegExp(pattern);
    compiled.set(pattern, re);
  }
  return re;
}

export function shouldBeEncrypted(rule: EncryptionRule, path: string[], stack: string[][], isComment: boolean): boolean {
  switch (rule.kind) {
    case "unencrypted_suffix":
      return !path.some((k) => k.endsWith(rule.value));
    case "encrypted_suffix":
      return path.some((k) => k.endsWith(rule.value));
    case "unencrypted_regex": {
      const re = ruleRegExp(rule.value);
      return !path.some((k) => re.test(k));
    }
    case "encrypted_regex": {
      const re = ruleRegExp(rule.value);
      return path.some((k) => re.test(k));
    }
    case "unencrypted_comment_regex": {
      const re = ruleRegExp(rule.value);
      return !stack.some((level) => level.some((c) => re.test(c)));
    }
    case "encrypted_comment_regex": {
      const re = ruleRegExp(rule.value);
      const last = stack.length - 1;
      // The matching marker comment itself stays readable: skip the newest comment when judging a comment.
      return stack.some((level, i) => level.some((c, j) => !(isComment && i === last && j === level.length - 1) && re.test(c)));
    }
  }
}
