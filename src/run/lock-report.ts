// What users read about a lock: who holds it and for how long, and how to remove one left behind.
import { SopsyncError } from "../errors.js";
import { formatDuration } from "../duration.js";
import { type LockHolder, type LockSecretState, lockSecretName } from "./lock-secret.js";

/**
 * The ID `force-unlock` takes for a lock whose holder never recorded itself. Per scope, so removing
 * one such lock never removes another scope's.
 */
export function unrecordedLockId(scopeId: string): string {
  return `unrecorded:${scopeId}`;
}

/** One line naming the holder, for the LOCKED error and force-unlock's report. */
export function describeHolder(holder: LockHolder | undefined, scopeId: string, nowMs: number): string {
  if (!holder || holder.id === unrecordedLockId(scopeId)) {
    return `lock ID ${unrecordedLockId(scopeId)} (the holder did not record itself; its age is unknown)`;
  }
  const since = holder.since ? Date.parse(holder.since) : Number.NaN;
  const parts = [`lock ID ${holder.id}`, `plan ${holder.planId ?? "?"}`, `by ${holder.who ?? "?"}`];
  if (holder.commit) parts.push(`commit ${holder.commit}`);
  // Clocks of two machines differ: an age of a few seconds either way means little.
  parts.push(
    Number.isNaN(since) ? "held since an unknown time" : `held for ${formatDuration(nowMs - since)} (since ${holder.since})`,
  );
  return parts.join(", ");
}

export function lockedError(
  where: { scopeId: string; region: string },
  holder: LockHolder | undefined,
  nowMs: number,
  waitedMs: number | undefined,
): SopsyncError {
  const waited = waitedMs === undefined ? "" : ` (waited ${formatDuration(waitedMs)})`;
  const id = holder?.id ?? unrecordedLockId(where.scopeId);
  const unrecorded = holder
    ? ""
    : "It was taken by an apply that stopped before naming itself, is naming itself right now, or lost " +
      "AWS's answer to taking it (then it gave up, so it is not running). ";
  return new SopsyncError(
    "LOCKED",
    `scope ${where.scopeId} in ${where.region} is locked by another apply${waited}: ` +
      `${describeHolder(holder, where.scopeId, nowMs)}.\n` +
      `${unrecorded}If that apply is no longer running (killed, or its runner lost), remove the lock with: ` +
      `sopsync force-unlock ${id} [FILE|DIR ...]`,
  );
}

export function foreignError(scopeId: string, s: LockSecretState): SopsyncError {
  return new SopsyncError(
    "LOCKED",
    `${lockSecretName(scopeId)} is not a lock sopsync can use: ${s.reason}. sopsync leaves it alone; ` +
      "delete it if nothing else uses it (sopsync then creates its lock anew)",
  );
}
