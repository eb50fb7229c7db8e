// Splits the listing of a large prefix into chains that page in parallel. ListSecrets pages only
// sequentially (each page needs the previous NextToken), so 10,000 secrets under one prefix are 100
// round trips in a row however fast the value reads behind them could go. A name filter is a prefix
// match and takes up to 10 values, ORed
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html), so the names under
// a prefix Q are exactly: the secret named Q itself, plus those under Q+c for every character c a
// name may hold. Splitting Q that way covers every name under it, declared or not; the declared names
// only decide where to split, so that no chain has many more pages than the others.

import { chunk } from "../aws/pacing.js";

/**
 * The characters of a secret name: "ASCII letters, numbers, and the following characters: /_+=.@-"
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html#SecretsManager-CreateSecret-request-Name).
 */
export const NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+=.@-";

/** AWS accepts at most 10 values in one ListSecrets filter. */
export const VALUES_PER_FILTER = 10;

export interface ListingSplit {
  /** Each chain is one ListSecrets filter: the names under any of its prefixes. */
  chains: string[][];
  /** Prefixes that were split: a secret may carry exactly one of these names; ask for each by name. */
  exactNames: string[];
}

/** ListSecrets returns at most 100 secrets a page. */
const PAGE = 100;

/**
 * How to list everything under `prefix` in chains of about `perChain` declared names each (at
 * most 10 prefixes per chain). One chain, the prefix itself, below `perChain` declared names, and
 * when the split would add more calls than the one chain has pages (each chain and lookup adds at
 * most one): names sharing a long common start split into ~7 chains per shared character, most empty.
 */
export function splitListing(prefix: string, declared: readonly string[], perChain: number): ListingSplit {
  const under = declared.filter((n) => n.startsWith(prefix));
  const whole = { chains: [[prefix]], exactNames: [] };
  if (under.length <= perChain) return whole;
  const parts = split(prefix, under, perChain);
  const pages = Math.ceil(under.length / PAGE);
  return parts.chains.length + parts.exactNames.length <= pages ? parts : whole;
}

function split(prefix: string, under: readonly string[], perChain: number): ListingSplit {
  const units: { prefix: string; count: number }[] = [];
  const exactNames: string[] = [];
  const todo: { prefix: string; names: readonly string[] }[] = [{ prefix, names: under }];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const { prefix: q, names } = next;
    if (names.length <= perChain) {
      units.push({ prefix: q, count: names.length });
      continue;
    }
    exactNames.push(q);
    const byChar = new Map<string, string[]>();
    for (const n of names) {
      if (n.length === q.length) continue; // the name Q itself: among exactNames
      const c = n[q.length] as string;
      const group = byChar.get(c);
      if (group) group.push(n);
      else byChar.set(c, [n]);
    }
    // Every character a name may hold, and any other a declared name holds (validation reports it).
    const chars = new Set([...NAME_CHARS, ...byChar.keys()]);
    for (const c of chars) todo.push({ prefix: q + c, names: byChar.get(c) ?? [] });
  }
  return { chains: pack(units, perChain), exactNames: exactNames.sort() };
}

/**
 * The prefixes holding declared names first, first fit, largest first, in chains of at most
 * `perChain` declared names and 10 prefixes; then the others, 10 a chain. Those most likely hold
 * nothing (one call each) and are kept out of the long chains, so that every page of a long chain
 * does not also make the service match names against prefixes that hold nothing.
 */
function pack(units: { prefix: string; count: number }[], perChain: number): string[][] {
  units.sort((a, b) => b.count - a.count || (a.prefix < b.prefix ? -1 : 1));
  const bins: { prefixes: string[]; count: number }[] = [];
  for (const u of units.filter((x) => x.count > 0)) {
    const bin = bins.find((b) => b.prefixes.length < VALUES_PER_FILTER && b.count + u.count <= perChain);
    if (bin) {
      bin.prefixes.push(u.prefix);
      bin.count += u.count;
    } else bins.push({ prefixes: [u.prefix], count: u.count });
  }
  const empty = units.filter((x) => x.count === 0).map((x) => x.prefix);
  return [...bins.map((b) => b.prefixes), ...chunk(empty, VALUES_PER_FILTER)];
}
