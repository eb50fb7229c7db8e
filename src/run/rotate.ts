// `sopsync rotate NAME...`: starts a rotation now for declared secrets that own their value through
// rotation. Every name is resolved and checked (declared, owned by the scope, rotation on the
// account) before anything is written: one refused name refuses the whole run, with zero writes.
// The writes run under the scope's apply lock, each secret re-read right before its call.
import { randomUUID } from "node:crypto";
import type { SecretsPort } from "../aws/port.js";
import { QuotaPacers } from "../aws/quotas.js";
import { rotationToken, tokenContext } from "../apply/tokens.js";
import { SopsyncError } from "../errors.js";
import type { DesiredSecret } from "../manifest/model.js";
import type { LiveSecret } from "../state/model.js";
import { TAG_MANAGED_BY } from "../state/ownership.js";
import { readLiveState } from "../state/read.js";
import type { RunTarget } from "./targets.js";
import { withLocks } from "./workflow.js";

/**
 * How one kind of secret is rotated on demand. Rotation (RotateSecret) is built in; a secret whose
 * value is generated without rotation plugs in its own (a fresh generated value).
 */
export interface Rotator {
  /** Whether this rotator handles the declared secret. */
  handles(d: DesiredSecret): boolean;
  /** Why the live secret cannot be rotated this way now, or undefined when it can. */
  refusal(d: DesiredSecret, l: LiveSecret): string | undefined;
  /** One line for the confirmation, never a value. */
  describe(d: DesiredSecret, l: LiveSecret): string;
  /** Does the rotation; `runId` is the same for every retry of this run. */
  run(input: {
    port: SecretsPort;
    target: RunTarget;
    secret: DesiredSecret;
    runId: string;
    pacers: QuotaPacers;
  }): Promise<string>;
}

export const rotationRotator: Rotator = {
  handles: (d) => d.rotation !== undefined && d.rotation.mode !== "none",
  refusal: (_d, l) => (l.rotation?.enabled ? undefined : "rotation is not enabled on the account (run apply first)"),
  describe: (_d, l) => `rotate now with ${l.rotation?.lambdaArn ?? "its rotation function"}`,
  async run({ port, target, secret, runId, pacers }) {
    // Without new settings: RotateSecret rotates now with the ones the secret has (API_RotateSecret).
    const token = rotationToken(tokenContext(runId, { target, scope: target.desired.scope }), secret.name, "rotate");
    await pacers.take("RotateSecret");
    await port.rotateSecret({ id: secret.name, token });
    return `rotation started (version ${token})`;
  },
};

export interface RotateRequest {
  target: RunTarget;
  secret: DesiredSecret;
  live: LiveSecret;
  rotator: Rotator;
}

/** Resolves every name to its target and checks it, reading each target once; throws before any write. */
export async function resolveRotations(
  targets: readonly RunTarget[],
  names: readonly string[],
  rotators: readonly Rotator[] = [rotationRotator],
): Promise<RotateRequest[]> {
  const problems: string[] = [];
  const wanted = new Map<RunTarget, DesiredSecret[]>();
  for (const name of new Set(names)) {
    const found = targets.flatMap((t) => t.desired.secrets.filter((s) => s.name === name).map((s) => ({ t, s })));
    if (found.length === 0) {
      problems.push(`'${name}' is not declared in these manifests`);
      continue;
    }
    for (const { t, s } of found) {
      if (!rotators.some((r) => r.handles(s))) {
        problems.push(`'${name}' declares no rotation (\`rotation:\`) and no generated value: nothing to rotate`);
        continue;
      }
      wanted.set(t, [...(wanted.get(t) ?? []), s]);
    }
  }
  const out: RotateRequest[] = [];
  for (const [t, secrets] of wanted) {
    const live = await readLiveState(t.port, { ...t.desired, secrets }, { account: t.account });
    for (const s of secrets) {
      const l = live.secrets.get(s.name);
      const rotator = rotators.find((r) => r.handles(s)) as Rotator;
      const why = !l ? "it does not exist (run apply first)" : (unmanaged(l, t.desired.scope.id) ?? rotator.refusal(s, l));
      if (why || !l) problems.push(`'${s.name}' (account ${t.account}, ${t.region}): ${why}`);
      else out.push({ target: t, secret: s, live: l, rotator });
    }
  }
  if (problems.length) throw new SopsyncError("USAGE", `refusing to rotate; nothing was changed:\n  ${problems.join("\n  ")}`);
  return out;
}

function unmanaged(l: LiveSecret, scopeId: string): string | undefined {
  if (l.pendingDeletion) return "it is scheduled for deletion";
  if (l.replicaOf) return `it is a replica of the secret in ${l.replicaOf}`;
  if (l.tags[TAG_MANAGED_BY] !== scopeId) return `it is not managed by scope '${scopeId}'`;
  return undefined;
}

export interface RotateOutcome {
  name: string;
  ok: boolean;
  message: string;
}

/** Takes the targets' apply locks and rotates each request, re-checking its owner right before the call. */
export async function rotateNow(
  requests: readonly RotateRequest[],
  opts: { lockTimeoutMs?: number } = {},
): Promise<RotateOutcome[]> {
  const runId = randomUUID();
  const targets = [...new Set(requests.map((r) => r.target))];
  return withLocks(targets, runId, { timeoutMs: opts.lockTimeoutMs }, async () => {
    const outcomes: RotateOutcome[] = [];
    const pacers = new QuotaPacers();
    for (const r of requests) {
      const { port } = r.target;
      try {
        await pacers.take("DescribeSecret");
        const d = await port.describeSecret(r.secret.name);
        if (d.deletedDate || d.tags[TAG_MANAGED_BY] !== r.target.desired.scope.id)
          throw new Error("its owner or state changed since it was read; nothing was written to it");
        const message = await r.rotator.run({ port, target: r.target, secret: r.secret, runId, pacers });
        outcomes.push({ name: r.secret.name, ok: true, message });
      } catch (err) {
        outcomes.push({ name: r.secret.name, ok: false, message: (err as Error).message });
      }
    }
    return outcomes;
  });
}
