// `--only`: a plan of some secrets only (Terraform's -target, named apart from a target, which here
// is an account and region). Patterns are globs over secret names, where `/` separates levels as in a
// path: `prod/*` matches `prod/db` but not `prod/db/replica`, `prod/**` matches everything under
// `prod/`, and a name without glob characters matches only itself. picomatch rather than node's
// path.matchesGlob: that is missing before Node 20.17 and prints an ExperimentalWarning in 20.x.
import picomatch from "picomatch";
import { SopsyncError } from "../errors.js";
import type { Plan, TargetPlan } from "./model.js";

/** Secret-name characters plus the glob syntax picomatch reads; nothing that could break a line or markup. */
const PATTERN = /^[A-Za-z0-9/_+=.@\-*?[\]{},!()|^]{1,512}$/;

export function isPattern(p: string): boolean {
  return PATTERN.test(p);
}

/** Refuses a pattern sopsync would not know how to read, before anything is read. */
export function checkPatterns(patterns: readonly string[]): void {
  for (const p of patterns) {
    if (!isPattern(p)) {
      throw new SopsyncError(
        "USAGE",
        `--only ${JSON.stringify(p)}: not a secret name or glob (1-512 of A-Za-z0-9/_+=.@- and the glob characters * ? [ ] { } , !)`,
      );
    }
  }
}

/** A name is selected when any pattern matches it. */
export function selector(patterns: readonly string[]): (name: string) => boolean {
  // dot: a leading `.` in a level is an ordinary character of a secret name, not a hidden file's.
  const tests = patterns.map((p) => picomatch(p, { dot: true }));
  return (name) => tests.some((t) => t(name));
}

/** `--only prod/db* --only api`, as a user would type it again. */
export function describeSelection(patterns: readonly string[]): string {
  return patterns.map((p) => `--only ${p}`).join(" ");
}

/** Two selections are the same when they hold the same patterns, in any order. */
export function sameSelection(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const key = (s: readonly string[] | undefined) => JSON.stringify([...new Set(s ?? [])].sort());
  return key(a) === key(b);
}

/**
 * `subset: --only prod/db*, 3 of 40 secrets`, or undefined for a plan of every secret. `quote` sets
 * the selection apart (markdown: a code span, where `*` is not emphasis).
 */
export function subsetLine(
  plan: Pick<Plan, "only">,
  t: Pick<TargetPlan, "subset">,
  quote: (s: string) => string = (s) => s,
): string | undefined {
  if (!plan.only) return undefined;
  const counts = t.subset ? `, ${t.subset.selected} of ${t.subset.total} secrets` : "";
  return `subset: ${quote(describeSelection(plan.only))}${counts}`;
}
