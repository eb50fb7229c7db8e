// Carries out a target plan: per secret, its actions in execution order (order.ts); secrets
// concurrently, every write paced; deletes after everything else. Values come from the re-decrypted
// desired state, never from the plan. Each write carries a token derived from (plan id, target,
// secret, action), so a crash, a retried call or a second run of the same plan never makes a second
// version. Right before its first write, each secret is read again with DescribeSecret, and left
// alone when it no longer shows what the plan was made against.
import { mapConcurrent, Pacer } from "../aws/pacing.js";
import { AwsCallError, type SecretsPort } from "../aws/port.js";
import { type PacedOperation, QuotaPacers } from "../aws/quotas.js";
import { NOT_RETRIED, stopsTheRun } from "../aws/retry.js";
import type { DesiredSecret, DesiredState, StoredValue } from "../manifest/model.js";
import { toStoredValue } from "../manifest/values.js";
import type { Action, SecretChange, TargetPlan } from "../plan/model.js";
import { freshValue, type Paced, rewrittenValue, writeOnce } from "./generated.js";
import { orderActions, phases } from "./order.js";
import { type ApplyResult, type SecretOutcome, type Stopped, stopOf } from "./outcome.js";
import { changedSincePlanned } from "./recheck.js";
import { rotationToken, type TokenContext, valueToken } from "./tokens.js";
import { verifyWrites } from "./verify.js";

export interface ActionEvent {
  name: string;
  action: Action["type"] | "recheck";
  ok: boolean;
  /** Actions finished so far (this one included) and in all, for progress display. */
  done: number;
  total: number;
}

export interface ApplyOptions {
  /**
   * Write calls started per second across all secrets and quota families; each family is also kept
   * below its own quota (aws/quotas.ts), which binds once this is raised above it.
   */
  maxRps?: number;
  /** The target's quota pacers, when a run shares them between reading and writing. */
  pacers?: QuotaPacers;
  /** Secrets worked on at once. */
  concurrency?: number;
  /** Called after each action, for progress display. */
  onAction?: (event: ActionEvent) => void;
  now?: () => number;
  /**
   * Once aborted (Ctrl-C, the run's deadline), nothing new is started; what is in flight finishes.
   * Its reason says why (outcome.ts, stopOf).
   */
  signal?: AbortSignal;
}

export const DEFAULT_WRITE_RPS = 20;
export const DEFAULT_CONCURRENCY = 8;
const MIN_RECOVERY_DAYS = 7;
const MAX_RECOVERY_DAYS = 30;

export async function applyTarget(
  target: TargetPlan,
  tokens: TokenContext,
  desired: DesiredState,
  port: SecretsPort,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const pacer = new Pacer(opts.maxRps ?? DEFAULT_WRITE_RPS);
  const quotas = opts.pacers ?? new QuotaPacers();
  const byName = new Map(desired.secrets.map((s) => [s.name, s]));
  // Set below; a write waiting for its pace slot checks it before it is sent (paced).
  let stopped: Stopped | undefined;
  const stopping = (): boolean => {
    if (!stopped && opts.signal?.aborted) stopped = stopOf(opts.signal);
    return stopped !== undefined;
  };
  const ctx: Ctx = { tokens, port, pacer, quotas, calls: 0, stopping };

  const [writes, deletes] = phases(target.changes);
  const total = [...writes, ...deletes].reduce((n, c) => n + c.actions.length, 0);
  let done = 0;
  const outcomes = new Map<string, SecretOutcome>(
    [...writes, ...deletes].map((c) => [c.name, { name: c.name, status: "not-started" }]),
  );

  // After a quota error, an unreachable endpoint or refused credentials nothing new is started: every
  // further call would fail the same way. Nor after the signal (Ctrl-C, deadline).
  const applyChange = async (change: SecretChange) => {
    if (stopping()) return;
    const began = now();
    const seconds = () => (now() - began) / 1000;
    await quotas.take("DescribeSecret");
    if (stopping()) return;
    let moved: string | undefined;
    let code = "SecretChanged";
    try {
      moved = await changedSincePlanned(port, change);
    } catch (err) {
      code = err instanceof AwsCallError ? err.awsCode : "Error";
      if (stopsTheRun(code)) stopped ??= { reason: "fatal", message: `${code} reading ${change.name} again` };
      moved = `could not be read again before writing: ${(err as Error).message}`;
    }
    if (moved) {
      outcomes.set(change.name, {
        name: change.name,
        status: "failed",
        actions: [],
        failedAction: "recheck",
        code,
        message: `${moved}; nothing was written to it, run plan again`,
        seconds: seconds(),
      });
      done += change.actions.length;
      opts.onAction?.({ name: change.name, action: "recheck", ok: false, done, total });
      return;
    }
    const finished: string[] = [];
    for (const action of orderActions(change.actions)) {
      if (stopping()) break;
      try {
        await runAction(action, change, byName.get(change.name), ctx);
      } catch (err) {
        if (err instanceof NotSent) break;
        const e = err instanceof AwsCallError ? err : new AwsCallError(action.type, "Error", (err as Error).message);
        if (NOT_RETRIED.has(e.awsCode)) stopped ??= { reason: "quota", message: `${e.awsCode} on ${change.name}` };
        else if (stopsTheRun(e.awsCode)) stopped ??= { reason: "fatal", message: `${e.awsCode} on ${change.name}` };
        outcomes.set(change.name, {
          name: change.name,
          status: "failed",
          actions: finished,
          failedAction: action.type,
          code: e.awsCode,
          message: NOT_RETRIED.has(e.awsCode)
            ? `a Secrets Manager quota was reached (not retried): ${awsMessage(e)}`
            : awsMessage(e),
          seconds: seconds(),
        });
        opts.onAction?.({ name: change.name, action: action.type, ok: false, done: ++done, total });
        return;
      }
      finished.push(action.type);
      opts.onAction?.({ name: change.name, action: action.type, ok: true, done: ++done, total });
    }
    // Stopped before its first write was sent: it stays not started. Between two actions: some of
    // them ran; the next run finishes the rest.
    if (finished.length === 0) return;
    if (finished.length < change.actions.length) {
      const why = stopped?.reason === "interrupted" || !stopped ? "interrupted" : `stopped (${stopped.message})`;
      outcomes.set(change.name, {
        name: change.name,
        status: "failed",
        actions: finished,
        failedAction: change.actions[finished.length]?.type ?? "",
        code: "Interrupted",
        message: `${why} before this action; run apply again to finish`,
        seconds: seconds(),
      });
      return;
    }
    outcomes.set(change.name, { name: change.name, status: "applied", actions: finished, seconds: seconds() });
  };

  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  await mapConcurrent(writes, concurrency, applyChange);
  await mapConcurrent(deletes, concurrency, applyChange);

  // Deletes too: that a secret is scheduled for deletion is read back like any other write.
  const applied = [...writes, ...deletes].filter((c) => outcomes.get(c.name)?.status === "applied");
  const verification = await verifyWrites(port, tokens, applied, byName, quotas);
  // AWS answered, but what it holds is not what was written: that secret is not "applied".
  for (const name of new Set(verification.map((v) => v.name))) {
    const o = outcomes.get(name);
    if (o?.status !== "applied") continue;
    const message = "what was written did not all take effect (see its read-back lines); run plan to see what is left";
    outcomes.set(name, { ...o, status: "failed", failedAction: "read-back", code: "ReadBackMismatch", message });
  }
  const leftUndone = [...outcomes.values()].some(
    (o) => o.status === "not-started" || (o.status === "failed" && o.code === "Interrupted"),
  );
  return {
    outcomes: [...outcomes.values()],
    verification,
    calls: ctx.calls,
    seconds: (now() - started) / 1000,
    ...(stopped && leftUndone ? { stopped } : {}),
  };
}

/** AWS's own message, without the "Operation: Code: " prefix AwsCallError adds (the outcome has the code). */
function awsMessage(e: AwsCallError): string {
  const prefix = `${e.operation}: ${e.awsCode}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

interface Ctx {
  tokens: TokenContext;
  port: SecretsPort;
  /** The --max-rps budget, shared by every write whatever its family. */
  pacer: Pacer;
  quotas: QuotaPacers;
  /** Write calls made (SDK retries not included). */
  calls: number;
  /** True once nothing new may be sent (outcome.ts, Stopped). */
  stopping: () => boolean;
}

/** An action's write that waited for its pace slot while the run stopped, and was not sent. */
class NotSent extends Error {}

/** An action makes at most one write call, which a stop may still hold back while it waits for its slot. */
async function paced(ctx: Ctx, operation: PacedOperation, fn: () => Promise<unknown>): Promise<void> {
  await ctx.quotas.take(operation, ctx.pacer);
  if (ctx.stopping()) throw new NotSent();
  ctx.calls++;
  await fn();
}

/**
 * A key change that also writes the value goes in one UpdateSecret: KmsKeyId is "the KMS key that
 * Secrets Manager uses to encrypt new secret versions", so the new version is under the new key, and no
 * crash can leave the key changed with AWSCURRENT still readable with the old one and no trace of it
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html).
 */
function valueRidesOnKeyChange(actions: readonly Action[]): boolean {
  return (
    actions.some((a) => a.type === "update-metadata" && a.kmsKeyId?.after !== undefined) &&
    actions.some((a) => a.type === "update-value")
  );
}

/**
 * The value a write carries: the manifest's, or for a generated secret one made now (a create) or
 * read back from AWS and completed (a re-put), never taken from the plan (apply/generated.ts).
 */
function storedFor(d: DesiredSecret, ctx: Ctx, create: boolean): Promise<StoredValue> {
  if (!d.generate) return Promise.resolve(toStoredValue(d.value));
  const p: Paced = async (operation, fn) => {
    await ctx.quotas.take(operation);
    return fn();
  };
  return create ? freshValue(d, ctx.port, p) : rewrittenValue(d, ctx.port, p);
}

/** Runs one action, pacing each write call. */
async function runAction(action: Action, change: SecretChange, d: DesiredSecret | undefined, ctx: Ctx): Promise<void> {
  const { port } = ctx;
  const name = change.name;
  // Only create and update-value (and its ride on UpdateSecret) make a version. Its id marks it as
  // sopsync's (tokens.ts), so the write is the whole of it: no tag records it.
  const token = valueToken(ctx.tokens, change, action.type);
  const need = (): DesiredSecret => {
    if (!d) throw new AwsCallError(action.type, "InternalError", `no desired state for '${name}'`);
    return d;
  };
  const write = (operation: PacedOperation, fn: () => Promise<unknown>) => paced(ctx, operation, fn);
  switch (action.type) {
    case "adopt":
      return; // the ownership tag is written by the tag action, after values and metadata
    case "restore":
      return write("RestoreSecret", () => port.restoreSecret(name));
    case "create": {
      const value = await storedFor(need(), ctx, true);
      return write("CreateSecret", () =>
        port
          .createSecret({
            name,
            value,
            token,
            description: action.description || undefined,
            kmsKeyId: action.kmsKeyId,
            tags: action.tags,
          })
          .catch(async (err) => {
            if (!(err instanceof AwsCallError && err.awsCode === "ResourceExistsException")) throw err;
            // AWS answers a repeated CreateSecret (an SDK retry after a lost response) this way too, even
            // with the same token: the secret holding a version with our token is the one we created.
            const details = await port.describeSecret(name).catch(() => undefined);
            if (details && Object.hasOwn(details.versionStages, token)) return;
            // Anyone else's: the plan's listing did not show it ("ListSecrets might not reflect changes
            // from the last five minutes", API_ListSecrets) or it appeared since the re-read. Refused
            // for this secret, never turned into a write to a secret nobody reviewed.
            throw new AwsCallError(
              "CreateSecret",
              "SecretChanged",
              "a secret of this name exists, which the plan did not see (created since, or not yet listed when it was read); nothing was written to it, run plan again",
            );
          }),
      );
    }
    case "update-value": {
      // Already written by the key change's UpdateSecret, in the same call.
      if (valueRidesOnKeyChange(change.actions)) return;
      const value = await storedFor(need(), ctx, false);
      const put = () => port.putSecretValue({ id: name, value, token });
      // A generated value may differ between attempts of this token: the token tells if one landed.
      return write("PutSecretValue", () => (d?.generate ? writeOnce(port, name, token, put) : put()));
    }
    case "update-metadata": {
      const rewriteToken = valueRidesOnKeyChange(change.actions) ? valueToken(ctx.tokens, change, "update-value") : undefined;
      const rewrite = rewriteToken ? { value: await storedFor(need(), ctx, false), token: rewriteToken } : {};
      return write("UpdateSecret", () =>
        port
          .updateSecret({ id: name, description: action.description?.after, kmsKeyId: action.kmsKeyId?.after, ...rewrite })
          .catch(async (err) => {
            // UpdateSecret with "a ClientRequestToken that matches an existing version's VersionId ...
            // results in an error": how AWS answers an SDK retry after a lost response. A version with
            // this plan's token is that first call having taken effect.
            if (!rewriteToken) throw err;
            const details = await port.describeSecret(name).catch(() => undefined);
            if (!details || !Object.hasOwn(details.versionStages, rewriteToken)) throw err;
          }),
      );
    }
    case "tag":
      return write("TagResource", () =>
        port.tagResource(name, Object.fromEntries(Object.entries(action.tags).map(([k, v]) => [k, v.after]))),
      );
    case "untag":
      return write("UntagResource", () => port.untagResource(name, Object.keys(action.tags)));
    case "put-policy":
      return write("PutResourcePolicy", () =>
        port.putResourcePolicy(name, action.after, { blockPublicPolicy: action.blockPublicPolicy !== false }),
      );
    case "delete-policy":
      return write("DeleteResourcePolicy", () => port.deleteResourcePolicy(name));
    case "add-replica":
      return write("ReplicateSecretToRegions", () =>
        port.replicateToRegions(name, [{ region: action.region, kmsKeyId: action.kmsKeyId }]),
      );
    case "remove-replica":
      return write("RemoveRegionsFromReplication", () => port.removeRegionsFromReplication(name, [action.region]));
    case "enable-rotation":
    case "update-rotation":
      // RotateImmediately always sent: AWS rotates at once when it is omitted (API_RotateSecret).
      return write("RotateSecret", () =>
        port.rotateSecret({
          id: name,
          token: rotationToken(ctx.tokens, name, action.type),
          lambdaArn: action.lambdaArn,
          rules: action.rules,
          rotateImmediately: action.rotateImmediately,
        }),
      );
    case "cancel-rotation":
      return write("CancelRotateSecret", () => port.cancelRotateSecret(name));
    case "delete": {
      const days = action.recoveryWindowDays;
      // Always a recovery window, never ForceDeleteWithoutRecovery: a plan asking otherwise is refused.
      if (!Number.isInteger(days) || days < MIN_RECOVERY_DAYS || days > MAX_RECOVERY_DAYS) {
        throw new AwsCallError(
          "DeleteSecret",
          "InvalidPlan",
          `recovery window ${days} is outside ${MIN_RECOVERY_DAYS}..${MAX_RECOVERY_DAYS} days`,
        );
      }
      return write("DeleteSecret", () =>
        port.deleteSecret(name, days).catch(async (err) => {
          // A repeated DeleteSecret (retry after a lost response) finds the secret already pending
          // deletion and fails with InvalidRequestException: that is the state we asked for.
          if (!(err instanceof AwsCallError && err.awsCode === "InvalidRequestException")) throw err;
          const details = await port.describeSecret(name).catch(() => undefined);
          if (!details?.deletedDate) throw err;
        }),
      );
    }
  }
}
