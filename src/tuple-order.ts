// Stable output orders (targets, fleet rows) sort by several fields at once: (account, region, scope).

/** Orders string tuples field by field, as a reader scans a sorted table. */
export function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
