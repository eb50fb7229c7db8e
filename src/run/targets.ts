// A run is one set of targets keyed by (account, region), checked before anything is read or
// written: every manifest is decrypted and validated, each credential set is asked once who it is
// (STS), a name declared twice for one account and region — in one scope or by two — is an error
// naming both places, and manifests sharing (account, region, scope.id) become one desired state
// (a scope may be split across files; planning them separately would have each file delete the
// other's secrets).
import { connect } from "../aws/connect.js";
import type { SecretsPort } from "../aws/port.js";
import { type Problem, SopsyncError } from "../errors.js";
import { loadManifest } from "../manifest/load.js";
import type { DesiredSecret, DesiredState } from "../manifest/model.js";
import type { DecryptOptions } from "../sops/index.js";
import { compareTuples } from "../tuple-order.js";

export interface RunTarget {
  account: string;
  region: string;
  desired: DesiredState;
  port: SecretsPort;
}

export interface OpenOptions {
  decrypt?: DecryptOptions;
  /** Counts every HTTP request to AWS (tests and the benchmark use it). */
  onRequest?: (operation: string) => void;
  /** Carried in every request's user agent, so CloudTrail ties each call to its plan. */
  planId?: string;
}

export async function openTargets(files: readonly string[], opts: OpenOptions = {}): Promise<RunTarget[]> {
  const states = await loadAll(files, opts.decrypt);

  // One client and one GetCallerIdentity per credential set, however many files share it.
  const ports = new Map<string, Promise<{ port: SecretsPort; account: string }>>();
  const identify = (d: DesiredState) => {
    const key = JSON.stringify([d.target.region ?? "", d.target.profile ?? "", d.target.roleArn ?? ""]);
    let p = ports.get(key);
    if (!p) {
      p = (async () => {
        const port = await connect(d.target, { onRequest: opts.onRequest, userAgent: { planId: opts.planId } });
        return { port, account: await port.callerAccount() };
      })();
      ports.set(key, p);
    }
    return p;
  };
  const located = await Promise.all(states.map(async (d) => ({ d, ...(await identify(d)) })));

  const groups = new Map<string, { account: string; region: string; port: SecretsPort; states: DesiredState[] }>();
  for (const { d, port, account } of located) {
    if (d.target.account && d.target.account !== account) {
      throw new SopsyncError(
        "GUARD",
        `${d.file}: target.account is ${d.target.account} but the credentials are for account ${account}; refusing to run`,
      );
    }
    const key = `${account}/${port.region}`;
    const g = groups.get(key) ?? { account, region: port.region, port, states: [] };
    g.states.push(d);
    groups.set(key, g);
  }

  const targets: RunTarget[] = [];
  const problems: Problem[] = [];
  for (const g of groups.values()) {
    problems.push(...duplicateNames(g.states, `account ${g.account}, ${g.region}`));
    const byScope = new Map<string, DesiredState[]>();
    for (const d of g.states) byScope.set(d.scope.id, [...(byScope.get(d.scope.id) ?? []), d]);
    for (const parts of byScope.values()) {
      const merged = mergeScope(parts, problems);
      targets.push({ account: g.account, region: g.region, desired: merged, port: g.port });
    }
  }
  if (problems.length) {
    throw new SopsyncError("MANIFEST_INVALID", `${problems.length} problem(s) across the manifests of this run`, { problems });
  }
  return targets.sort((a, b) => compareTuples(targetOrder(a), targetOrder(b)));
}

/**
 * Decrypts and validates every file before the first AWS call, so bad input never reaches AWS, and
 * reports the problems of every file in one pass (as `validate` does) rather than stopping at the first.
 */
async function loadAll(files: readonly string[], decrypt: DecryptOptions | undefined): Promise<DesiredState[]> {
  const states: DesiredState[] = [];
  const failed: { file: string; err: SopsyncError }[] = [];
  for (const f of files) {
    try {
      states.push(await loadManifest(f, decrypt));
    } catch (err) {
      if (!(err instanceof SopsyncError)) throw err;
      failed.push({ file: f, err });
    }
  }
  const [only] = failed;
  if (failed.length === 1 && only) throw only.err;
  if (failed.length > 1) {
    const problems = failed.flatMap(asProblems).sort(byFileThenLine);
    throw new SopsyncError(
      "MANIFEST_INVALID",
      `${problems.length} problems in ${failed.length} of ${files.length} manifests; nothing was sent to AWS`,
      { problems },
    );
  }
  return states;
}

/** A file's error as problem lines: its own list, or the one message of a file-wide error at 1:1. */
function asProblems({ file, err }: { file: string; err: SopsyncError }): Problem[] {
  if (err.problems.length) return err.problems;
  // File-wide errors (unreadable, not sops, cannot decrypt) open with "FILE: ".
  const message = err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message;
  return [{ file, line: 1, col: 1, message }];
}

function byFileThenLine(a: Problem, b: Problem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.col - b.col;
}

function targetOrder(t: RunTarget): string[] {
  return [t.account, t.region, t.desired.scope.id];
}

function where(s: DesiredSecret): string {
  return `${s.at.file}:${s.at.line}:${s.at.col}`;
}

/**
 * The duplicate-name check without AWS, for `validate`: files that state the same account and region,
 * or reach AWS with the same region, profile and role (so the same account), are one target.
 */
export function duplicateNamesOffline(states: readonly DesiredState[]): Problem[] {
  const groups = new Map<string, DesiredState[]>();
  for (const d of states) {
    const t = d.target;
    const key = t.account
      ? `account ${t.account}, ${t.region ?? "the default region"}`
      : JSON.stringify([t.region, t.profile, t.roleArn]);
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  return [...groups.entries()].flatMap(([key, g]) =>
    duplicateNames(g, key.startsWith("account") ? key : "one account and region"),
  );
}

/** Every second declaration of a name within one account and region, naming the first. */
function duplicateNames(states: readonly DesiredState[], target: string): Problem[] {
  const first = new Map<string, { secret: DesiredSecret; scope: string }>();
  const problems: Problem[] = [];
  for (const d of states) {
    for (const s of d.secrets) {
      const seen = first.get(s.name);
      if (!seen) {
        first.set(s.name, { secret: s, scope: d.scope.id });
        continue;
      }
      const message =
        seen.scope === d.scope.id
          ? `secret '${s.name}' is declared twice for ${target}: here and at ${where(seen.secret)}; declare it once`
          : `secret '${s.name}' is claimed by two scopes for ${target}: '${d.scope.id}' here and '${seen.scope}' at ${where(seen.secret)}; one secret has one owner`;
      problems.push({ ...s.at, message });
    }
  }
  return problems;
}

/**
 * One desired state from the files of one scope. They must agree on the prefix (it decides what
 * the scope sees); a secret leaving the manifest gets the longest default recovery window among them.
 */
function mergeScope(parts: readonly DesiredState[], problems: Problem[]): DesiredState {
  const [first, ...rest] = parts as [DesiredState, ...DesiredState[]];
  if (rest.length === 0) return first;
  for (const d of rest) {
    if ((d.scope.prefix ?? "") !== (first.scope.prefix ?? "")) {
      problems.push({
        file: d.file,
        line: 1,
        col: 1,
        message: `scope '${d.scope.id}' is split over ${first.file} and ${d.file}, which give it different prefixes; give every file of one scope the same scope.prefix`,
      });
    }
  }
  const secrets = parts.flatMap((d) => d.secrets).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    file: parts.map((d) => d.file).join(", "),
    manifests: parts.flatMap((d) => d.manifests),
    target: first.target,
    scope: first.scope,
    recoveryWindowDays: Math.max(...parts.map((d) => d.recoveryWindowDays)),
    secrets,
  };
}
