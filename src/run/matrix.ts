// The GitHub Actions matrix of a fleet: one entry per (account, region) with the manifests that make
// it, so each matrix job plans or applies one target. Manifests are decrypted and validated as for a
// plan (target and scope may be encrypted, and a bad manifest should fail here, before any job
// starts). The account is the manifest's `target.account` when it says one; otherwise each
// credential set is asked once (STS GetCallerIdentity), as `plan` does.
import { connect } from "../aws/connect.js";
import type { SecretsPort } from "../aws/port.js";
import { SopsyncError } from "../errors.js";
import { loadManifest } from "../manifest/load.js";
import type { DesiredState } from "../manifest/model.js";
import type { DecryptOptions } from "../sops/index.js";
import type { MatrixEntry } from "./fleet.js";

export interface MatrixOptions {
  decrypt?: DecryptOptions;
  /** Counts every HTTP request to AWS (tests use it). */
  onRequest?: (operation: string) => void;
}

export async function fleetMatrix(files: readonly string[], opts: MatrixOptions = {}): Promise<MatrixEntry[]> {
  const states: DesiredState[] = [];
  for (const f of files) states.push(await loadManifest(f, opts.decrypt));

  const ports = new Map<string, Promise<SecretsPort>>();
  const accounts = new Map<string, Promise<string>>();
  const credentialKey = (d: DesiredState) =>
    JSON.stringify([d.target.region ?? "", d.target.profile ?? "", d.target.roleArn ?? ""]);
  const portOf = (d: DesiredState) => {
    const key = credentialKey(d);
    let p = ports.get(key);
    if (!p) {
      p = connect(d.target, { onRequest: opts.onRequest });
      ports.set(key, p);
    }
    return p;
  };
  const accountOf = (d: DesiredState) => {
    const key = credentialKey(d);
    let a = accounts.get(key);
    if (!a) {
      a = portOf(d).then((p) => p.callerAccount());
      accounts.set(key, a);
    }
    return a;
  };
  const located = await Promise.all(
    states.map(async (d) => ({
      d,
      account: d.target.account ?? (await accountOf(d)),
      // connect() resolves the SDK's default region (env, profile) without a request.
      region: d.target.region ?? (await portOf(d)).region,
    })),
  );

  const groups = new Map<string, MatrixEntry>();
  for (const { d, account, region } of located) {
    const key = `${account}/${region}`;
    const g = groups.get(key) ?? { account, region, files: [], name: `${account}-${region}` };
    g.files.push(...d.manifests.map((m) => m.file));
    groups.set(key, g);
  }
  if (groups.size === 0) throw new SopsyncError("USAGE", "no manifests: nothing to put in the matrix");
  return [...groups.values()]
    .map((g) => ({ ...g, files: [...new Set(g.files)].sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
