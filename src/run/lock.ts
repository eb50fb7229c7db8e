// The apply lock: one apply per (account, region, scope) at a time, with nothing but Secrets Manager.
// Taking it moves AWSCURRENT of the scope's lock secret from its "free" version to its "held" version,
// a compare-and-set that creates no version; the holder is then recorded in the secret's tags.
// docs/apply.md ("Locking") has what users see and the cases in between.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { SecretsPort } from "../aws/port.js";
import { SopsyncError } from "../errors.js";
import { foreignError, lockedError, unrecordedLockId } from "./lock-report.js";
import {
  AWSCURRENT,
  createLockSecret,
  addHeldVersion,
  FREE_VERSION,
  HELD_VERSION,
  HOLDER_TAG_KEYS,
  holderTags,
  inspectLock,
  isAwsCode,
  type LockHolder,
  lockSecretName,
  restoreLockSecret,
} from "./lock-secret.js";

export { parseDuration } from "../duration.js";
export { describeHolder, unrecordedLockId } from "./lock-report.js";
export { LOCK_PREFIX, type LockHolder, lockSecretName } from "./lock-secret.js";

export interface HeldLock {
  readonly scopeId: string;
  readonly id: string;
  release(): Promise<void>;
}

export interface AcquireOptions {
  planId: string;
  who?: string;
  commit?: string;
  /** --lock-timeout; 0 (the default) fails at once. */
  timeoutMs?: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Once aborted (Ctrl-C, the run's deadline), waiting for a held lock stops. */
  signal?: AbortSignal;
}

const DEFAULT_POLL_MS = 2000;
/** A live holder tags the lock one request after taking it; a reader waits this long to name it. */
const RECORD_GRACE_MS = 2000;
const RECORD_POLL_MS = 100;
/** Rounds of "try, look, fix" before giving up on a lock whose state keeps changing underneath. */
const MAX_ROUNDS = 6;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `wait` does or the signal aborts, whichever comes first. */
function abortable(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return wait;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    void wait.then(done);
  });
}

/**
 * The compare-and-set. "If the staging label is already attached to a different version [than
 * RemoveFromVersionId] ... the operation fails": so of two applies, one moves the label and the
 * other fails. That this check-and-move is atomic on AWS's side is assumed from the API's contract;
 * AWS does not state it in other words.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 */
function moveCurrent(port: SecretsPort, scopeId: string, from: string, to: string): Promise<void> {
  return port.updateSecretVersionStage({ id: lockSecretName(scopeId), stage: AWSCURRENT, moveTo: to, removeFrom: from });
}

/** Failures that say something about the lock secret's state, as opposed to access, quota or network. */
const STATE_ERRORS = ["InvalidParameterException", "InvalidRequestException", "ResourceNotFoundException"];

type Attempt = { taken: true } | { taken: false; holder?: LockHolder };

async function tryTake(port: SecretsPort, scopeId: string): Promise<Attempt> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      await moveCurrent(port, scopeId, FREE_VERSION, HELD_VERSION);
      return { taken: true };
    } catch (err) {
      // A lost response whose SDK retry then fails lands here too: the first attempt may have taken
      // the lock. Nothing tells that apart from another apply holding it, so it counts as held.
      if (!isAwsCode(err, ...STATE_ERRORS)) throw err;
    }
    const s = await inspectLock(port, scopeId);
    // Pending deletion, the CAS is refused ("The secret is scheduled for deletion"); it is ours.
    if (s.deleted) await restoreLockSecret(port, scopeId);
    else if (s.kind === "held") return { taken: false, holder: s.holder };
    else if (s.kind === "absent") await createLockSecret(port, scopeId);
    else if (s.kind === "incomplete") await addHeldVersion(port, scopeId);
    else if (s.kind === "foreign") throw foreignError(scopeId, s);
    // "free": released between our CAS and our look; try again.
  }
  throw new SopsyncError("LOCKED", `could not take the apply lock ${lockSecretName(scopeId)}: its state kept changing`);
}

function commitOf(given: string | undefined): string | undefined {
  const c = given ?? process.env.GITHUB_SHA;
  return c && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(c) ? c.toLowerCase() : undefined;
}

export async function acquireLock(port: SecretsPort, scopeId: string, opts: AcquireOptions): Promise<HeldLock> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? delay;
  const timeoutMs = opts.timeoutMs ?? 0;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const started = now();
  let graceUsed = false;
  for (;;) {
    if (opts.signal?.aborted) {
      throw new SopsyncError("ABORTED", `stopped waiting for the apply lock of scope ${scopeId}; nothing was changed`);
    }
    const attempt = await tryTake(port, scopeId).catch((err) => {
      throw awsError(`taking the apply lock of scope ${scopeId}`, err);
    });
    if (attempt.taken) return record(port, scopeId, opts, now);
    const waited = now() - started;
    if (waited < timeoutMs) {
      // Jittered, so applies waiting on one lock do not poll in step.
      await abortable(sleep(Math.min(pollMs * (0.75 + Math.random() / 2), timeoutMs - waited)), opts.signal);
      continue;
    }
    let holder = attempt.holder;
    if (!holder && !graceUsed) {
      graceUsed = true;
      const seen = await awaitRecord(port, scopeId, now, sleep);
      if (seen === "changed") continue;
      holder = seen;
    }
    throw lockedError({ scopeId, region: port.region }, holder, now(), timeoutMs > 0 ? waited : undefined);
  }
}

/** Until the holder records itself, the lock is no longer held, or the grace period ends. */
async function awaitRecord(
  port: SecretsPort,
  scopeId: string,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<LockHolder | undefined | "changed"> {
  const until = now() + RECORD_GRACE_MS;
  while (now() < until) {
    await sleep(RECORD_POLL_MS);
    const s = await inspectLock(port, scopeId);
    if (s.kind !== "held") return "changed";
    if (s.holder) return s.holder;
  }
  return undefined;
}

async function record(port: SecretsPort, scopeId: string, opts: AcquireOptions, now: () => number): Promise<HeldLock> {
  const holder: LockHolder = {
    id: randomUUID(),
    planId: opts.planId,
    who: opts.who ?? hostname(),
    since: new Date(now()).toISOString(),
    commit: commitOf(opts.commit),
  };
  try {
    await port.tagResource(lockSecretName(scopeId), holderTags(holder));
  } catch (err) {
    // A lock nobody can name helps no one: give it back before reporting.
    const left = await moveCurrent(port, scopeId, HELD_VERSION, FREE_VERSION).then(
      () => "it was released again",
      () => `it may be left held without a holder; if so, remove it with: sopsync force-unlock ${unrecordedLockId(scopeId)}`,
    );
    throw awsError(`took the apply lock of scope ${scopeId} but could not record the holder (${left})`, err);
  }
  let releasing: Promise<void> | undefined;
  return {
    scopeId,
    id: holder.id,
    release() {
      releasing ??= release(port, scopeId, holder.id).catch((err) => {
        releasing = undefined;
        throw err;
      });
      return releasing;
    },
  };
}

/**
 * Checks the lock is still ours first: after a force-unlock another apply may hold it, and untagging
 * or moving the label then would take it from that apply.
 */
async function release(port: SecretsPort, scopeId: string, id: string): Promise<void> {
  const s = await inspectLock(port, scopeId).catch((err) => {
    throw awsError(`releasing the apply lock of scope ${scopeId}`, err);
  });
  if (s.kind !== "held" || s.holder?.id !== id) {
    const now = s.kind === "held" ? (s.holder ? `held by lock ID ${s.holder.id}` : "held by an unrecorded apply") : s.kind;
    throw new SopsyncError(
      "LOCKED",
      `the apply lock of scope ${scopeId} was no longer this apply's (lock ID ${id}) when it finished: ` +
        `someone ran force-unlock while it was applying (the lock is now ${now}); it was left as it is`,
    );
  }
  const what = `releasing the apply lock of scope ${scopeId}; it is still held`;
  await port.untagResource(lockSecretName(scopeId), [...HOLDER_TAG_KEYS]).catch((err) => {
    throw awsError(`${what}: remove it with: sopsync force-unlock ${id}`, err);
  });
  await moveBack(port, scopeId).catch((err) => {
    throw awsError(`${what}, no holder recorded: remove it with: sopsync force-unlock ${unrecordedLockId(scopeId)}`, err);
  });
}

/**
 * Holder tags are removed before this, so a free lock never names a holder; dying in between leaves
 * it held and unrecorded. A CAS failing on state means AWSCURRENT already left the held version (an
 * SDK retry after a lost response, or a concurrent force-unlock): the lock is not ours either way.
 */
async function moveBack(port: SecretsPort, scopeId: string): Promise<void> {
  try {
    await moveCurrent(port, scopeId, HELD_VERSION, FREE_VERSION);
  } catch (err) {
    if (!isAwsCode(err, "InvalidParameterException")) throw err;
  }
}

export async function readLock(
  port: SecretsPort,
  scopeId: string,
  opts: { now?: () => number } = {},
): Promise<{ state: "absent" | "free" | "held"; holder?: LockHolder; ageSeconds?: number }> {
  const s = await inspectLock(port, scopeId);
  if (s.kind === "foreign") throw foreignError(scopeId, s);
  if (s.kind === "absent") return { state: "absent" };
  if (s.kind !== "held") return { state: "free" };
  const holder = s.holder ?? { id: unrecordedLockId(scopeId) };
  const since = holder.since ? Date.parse(holder.since) : Number.NaN;
  const ageSeconds = Number.isNaN(since) ? undefined : Math.max(0, Math.floor(((opts.now ?? Date.now)() - since) / 1000));
  return { state: "held", holder, ageSeconds };
}

/** Removes the lock only when `id` is its holder's: a stale ID never frees another apply's lock. */
export async function forceUnlock(port: SecretsPort, scopeId: string, id: string): Promise<void> {
  let s = await inspectLock(port, scopeId);
  if (s.kind === "foreign") throw foreignError(scopeId, s);
  if (s.deleted) {
    await restoreLockSecret(port, scopeId);
    s = await inspectLock(port, scopeId);
  }
  const holderId = s.kind === "held" ? (s.holder?.id ?? unrecordedLockId(scopeId)) : undefined;
  if (holderId !== id) {
    throw new SopsyncError(
      "USAGE",
      `no apply lock with ID ${id} in scope ${scopeId}: ${holderId ? `it is held by lock ID ${holderId}` : "the lock is not held"}`,
    );
  }
  if (s.holder) await port.untagResource(lockSecretName(scopeId), [...HOLDER_TAG_KEYS]);
  await moveBack(port, scopeId);
}

function awsError(what: string, err: unknown): unknown {
  if (err instanceof SopsyncError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SopsyncError("AWS", `${what}: ${message}`, { cause: err });
}
