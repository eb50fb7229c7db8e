/**
 * A control character in something printed — a newline above all — could start a CI workflow
 * command (`::add-mask::`, `::error::`) in the log. Text from a plan file or the account is checked
 * with this before it is printed as is.
 */
export function hasControlCharacter(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
