// The split of a prefix's listing: whatever the declared names, every name under the prefix is seen by
// exactly one chain or one by-name lookup, and no chain is longer than asked.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NAME_CHARS, splitListing } from "../../src/state/list-split.js";

/** Names from a few characters so that they share long starts, plus any character a name may hold. */
const nameTail = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom("a", "b", "0", "/") },
    { weight: 1, arbitrary: fc.constantFrom(...NAME_CHARS) },
  ),
  minLength: 0,
  maxLength: 6,
});

/** Which chain prefixes and by-name lookups see `name`. */
function seenBy(split: ReturnType<typeof splitListing>, name: string) {
  const chains = split.chains.filter((c) => c.some((p) => name.startsWith(p))).length;
  const exact = split.exactNames.filter((n) => n === name).length;
  return chains + exact;
}

describe("splitListing", () => {
  it("one chain, the prefix itself, up to perChain declared names", () => {
    const names = Array.from({ length: 1000 }, (_, i) => `app/${i}`);
    expect(splitListing("app/", names, 1000)).toEqual({ chains: [["app/"]], exactNames: [] });
  });

  it("5,000 names under one start: 5 chains of 1,000 declared names, 20 of prefixes holding none, 3 names asked for", () => {
    const names = Array.from({ length: 5000 }, (_, i) => `bench/s${String(i).padStart(5, "0")}`);
    const s = splitListing("bench/", names, 1000);
    expect(s.exactNames).toEqual(["bench/", "bench/s", "bench/s0"]);
    expect(s.chains).toHaveLength(25);
    expect(s.chains.slice(0, 5)).toEqual(["bench/s00", "bench/s01", "bench/s02", "bench/s03", "bench/s04"].map((p) => [p]));
    for (const c of s.chains) {
      expect(c.length).toBeLessThanOrEqual(10);
      expect(names.filter((n) => c.some((p) => n.startsWith(p))).length).toBeLessThanOrEqual(1000);
    }
  });

  it("does not split when the split would cost more calls than the one chain's pages", () => {
    // A shared start of 9 characters: about 7 chains for each, for 10 pages.
    const names = Array.from({ length: 1000 }, (_, i) => `svc/item-${String(i).padStart(4, "0")}`);
    expect(splitListing("svc/", names, 500)).toEqual({ chains: [["svc/"]], exactNames: [] });
  });

  it("every name under the prefix is seen exactly once, declared or not; chains hold at most 10 prefixes and perChain declared names", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(nameTail, { minLength: 0, maxLength: 400 }),
        fc.array(nameTail, { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (declaredTails, otherTails, perChain) => {
          const declared = declaredTails.map((t) => `p/${t}`);
          const s = splitListing("p/", declared, perChain);
          for (const name of [...declared, ...otherTails.map((t) => `p/${t}`)]) expect(seenBy(s, name)).toBe(1);
          // A name outside the prefix is never listed.
          expect(seenBy(s, "q/a")).toBe(0);
          for (const c of s.chains) expect(c.length).toBeLessThanOrEqual(10);
          if (s.chains.length > 1)
            for (const c of s.chains)
              expect(declared.filter((n) => c.some((p) => n.startsWith(p))).length).toBeLessThanOrEqual(perChain);
        },
      ),
      { numRuns: 300 },
    );
  });
});
