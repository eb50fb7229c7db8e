// Carries out a target plan: per secret, its actions in plan order; secrets concurrently and paced;
// deletes after everything else. Values come from the (re-decrypted) desired state, never the plan.
import { mapConcurrent, Pacer } from "../aws/pacing.js";
import { AwsCallError, type SecretsPort } from "../aws/port.js";
import type { DesiredSecret, DesiredState } from "../manifest/model.js";
import { toStoredValue } from "../manifest/values.js";
import type { Action, Plan, SecretChange, TargetPlan } from "../plan/model.js";
import { TAG_VERSION } from "../state/ownership.js";
import type { ApplyResult, SecretOutcome } from "./outcome.js";
import { requestToken } from "./tokens.js";
import { verifyWrites } from "./verify.js";

export interface ApplyOptions {
  /** Write calls per second across all secrets (AWS allows 50/s per family). */
  maxRps?: number;
  concurrency?: number;
  /** Called after each action, for progress display. */
  onAction?: (event: { name: string; action: Action["type"]; ok: boolean }) => void;
  now?: () => number;
}

export const DEFAULT_WRITE_RPS = 20;

export async function applyTarget(
  plan: Plan,
  target: TargetPlan,
  desired: DesiredState,
  port: SecretsPort,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const pacer = new Pacer(opts.maxRps ?? DEFAULT_WRITE_RPS);
  const concurrency = opts.concurrency ?? 8;
  const byName = new Map(desired.secrets.map((s) => [s.name, s]));
  let calls = 0;

  const changed = target.changes.filter((c) => c.actions.length > 0);
  const isDelete = (c: SecretChange) => c.actions.some((a) => a.type === "delete");
  const phases = [changed.filter((c) => !isDelete(c)), changed.filter(isDelete)];
  const outcomes = new Map<string, SecretOutcome>(changed.map((c) => [c.name, { name: c.name, status: "not-started" }]));

  for (const phase of phases) {
    await mapConcurrent(phase, concurrency, async (change) => {
      const done: string[] = [];
      for (const action of change.actions) {
        try {
          // Await first: `calls += await ...` would read `calls` before the await and lose updates.
          const made = await runAction(action, change.name, byName.get(change.name), {
            port,
            pacer,
            token: requestToken(plan.planId, change.name, action.type),
          });
          calls += made;
          done.push(action.type);
          opts.onAction?.({ name: change.name, action: action.type, ok: true });
        } catch (err) {
          const e = err instanceof AwsCallError ? err : new AwsCallError(action.type, "Error", (err as Error).message);
          outcomes.set(change.name, {
            name: change.name,
            status: "failed",
            actions: done,
            failedAction: action.type,
            code: e.awsCode,
            message: e.message,
          });
          opts.onAction?.({ name: change.name, action: action.type, ok: false });
          return;
        }
      }
      outcomes.set(change.name, { name: change.name, status: "applied", actions: done });
    });
  }

  const applied = changed.filter((c) => outcomes.get(c.name)?.status === "applied" && !isDelete(c));
  const verification = await verifyWrites(port, applied, byName);
  return { outcomes: [...outcomes.values()], verification, calls, seconds: (now() - started) / 1000 };
}

interface Ctx {
  port: SecretsPort;
  pacer: Pacer;
  token: string;
}

/** Runs one action; returns how many write calls it made. */
async function runAction(action: Action, name: string, d: DesiredSecret | undefined, ctx: Ctx): Promise<number> {
  const { port, pacer, token } = ctx;
  const need = (): DesiredSecret => {
    if (!d) throw new AwsCallError(action.type, "InternalError", `no desired state for '${name}'`);
    return d;
  };
  const write = async (fn: () => Promise<unknown>) => {
    await pacer.take();
    await fn();
    return 1;
  };
  switch (action.type) {
    case "adopt":
      return 0; // the ownership tag is written by the tag action, after values and metadata
    case "restore":
      return write(() => port.restoreSecret(name));
    case "create":
      return write(() =>
        port.createSecret({
          name,
          value: toStoredValue(need().value),
          token,
          description: action.description || undefined,
          kmsKeyId: action.kmsKeyId,
          tags: { ...action.tags, [TAG_VERSION]: token },
        }),
      );
    case "update-value": {
      const n = await write(() => port.putSecretValue({ id: name, value: toStoredValue(need().value), token }));
      return n + (await write(() => port.tagResource(name, { [TAG_VERSION]: token })));
    }
    case "update-metadata":
      return write(() =>
        port.updateSecret({ id: name, description: action.description?.after, kmsKeyId: action.kmsKeyId?.after }),
      );
    case "tag":
      return write(() => port.tagResource(name, Object.fromEntries(Object.entries(action.tags).map(([k, v]) => [k, v.after]))));
    case "untag":
      return write(() => port.untagResource(name, Object.keys(action.tags)));
    case "put-policy":
      return write(() => port.putResourcePolicy(name, action.after));
    case "delete-policy":
      return write(() => port.deleteResourcePolicy(name));
    case "add-replica":
      return write(() => port.replicateToRegions(name, [{ region: action.region, kmsKeyId: action.kmsKeyId }]));
    case "remove-replica":
      return write(() => port.removeRegionsFromReplication(name, [action.region]));
    case "delete":
      return write(() => port.deleteSecret(name, action.recoveryWindowDays));
  }
}
