// The planner: a pure function of (desired, live, options). No I/O, no clock, no randomness —
// the plan id and time come in through `options`.
import { type Problem, SopsyncError } from "../errors.js";
import { ownRecord, ownValue } from "../records.js";
import type { DesiredSecret, DesiredState } from "../manifest/model.js";
import { keyDiff, valuesEqual } from "../manifest/values.js";
import type { LiveSecret, LiveState } from "../state/model.js";
import { sameKmsKey } from "../state/kms.js";
import { declaredServiceSecretMessage } from "../state/owning-service.js";
import {
  isAwsTag,
  isUnknownSopsyncTag,
  ownershipOf,
  recordedRecoveryWindow,
  TAG_MANAGED_BY,
  TAG_PROTECTED,
  TAG_RECOVERY_WINDOW,
  TAG_VERSION,
} from "../state/ownership.js";
import { checkGuards, type GuardOptions, type WholeScope } from "./guards.js";
import { alignPolicy, equivalentPolicies, partitionOf } from "./policy.js";
import type { Action, DriftCause, PlanSummary, Precondition, SecretChange, TargetPlan } from "./model.js";
import { planReplicas, removeAllReplicas, replicaStatusOf } from "./replicas.js";
import { rotationDrift, undeclaredRotation } from "./undeclared-rotation.js";
import { rotationAttribution } from "./attribution.js";
import { currentVersionAuthor, tagMayRecord } from "../state/own-version.js";
import { generatePlan, planGeneratedValue } from "./generated.js";
import { planCreateRotation, planRotation, rotationNotes } from "./rotation.js";
import { rotationOwnsValue } from "../manifest/rotation.js";

export interface PlanOptions extends GuardOptions {
  /** Adopt every declared secret that exists without an ownership tag (`--adopt`). */
  adoptAll?: boolean;
}

/**
 * `whole` is given for a plan of some secrets only (`--only`): `desired` and `live` then hold just the
 * selected secrets, and the guards and the "3 of 40" count come from it.
 */
export function planTarget(desired: DesiredState, live: LiveState, options: PlanOptions = {}, whole?: WholeScope): TargetPlan {
  const scopeId = desired.scope.id;
  const problems: Problem[] = [];
  const changes: SecretChange[] = [];
  const declared = new Set<string>();

  for (const d of desired.secrets) {
    declared.add(d.name);
    const l = live.secrets.get(d.name);
    if (!l) {
      changes.push({ name: d.name, precondition: preconditionOf(undefined), actions: planCreate(d, scopeId) });
      continue;
    }
    if (l.replicaOf) {
      problems.push({
        ...d.at,
        message:
          `secret '${d.name}' is a replica of the secret in ${l.replicaOf}, which "can't be updated independently from its ` +
          `primary secret"; declare it in a manifest for ${l.replicaOf}`,
      });
      continue;
    }
    if (l.owningService) {
      problems.push({ ...d.at, message: declaredServiceSecretMessage(d.name, l.owningService) });
      continue;
    }
    const owner = ownershipOf(l.tags, scopeId);
    if (typeof owner === "object") {
      problems.push({
        ...d.at,
        message: `secret '${d.name}' is managed by another scope ('${owner.otherScope}'); sopsync never takes it over`,
      });
      continue;
    }
    const adopting = owner === "unmanaged";
    if (adopting && !(d.adopt || options.adoptAll)) {
      problems.push({
        ...d.at,
        message: `secret '${d.name}' already exists and is not managed by sopsync; set 'adopt: true' on it (or pass --adopt) to take it over`,
      });
      continue;
    }
    const actions: Action[] = [];
    if (l.pendingDeletion) actions.push({ type: "restore" });
    if (adopting) actions.push({ type: "adopt" });
    const replicas = d.replicas && planReplicas(d.replicas, l.replicas ?? [], live.replicaKmsKeyArns ?? {});
    for (const message of replicas?.problems ?? []) problems.push({ ...d.at, message: `secret '${d.name}': ${message}` });
    actions.push(...planReconcile(d, l, scopeId, live.kmsKeyArns ?? {}, replicas?.actions ?? []));
    const declaredOwner = rotationOwnsValue(d.rotation);
    const outside = undeclaredRotation(d, l);
    const precondition = preconditionOf(l);
    if ((declaredOwner || outside) && precondition.state !== "absent") precondition.valueOwner = "rotation";
    const notes = declaredOwner ? rotationNotes(d, l) : {};
    changes.push({ name: d.name, precondition, actions, ...replicaStatusOf(l), ...notes, ...rotationDrift(outside, l) });
  }

  const unmanaged: string[] = [];
  const replicaSecrets: { name: string; primaryRegion: string }[] = [];
  const serviceSecrets: { name: string; owningService: string }[] = [];
  for (const l of live.secrets.values()) {
    if (declared.has(l.name)) continue;
    if (l.replicaOf) {
      replicaSecrets.push({ name: l.name, primaryRegion: l.replicaOf });
      continue;
    }
    if (l.owningService) {
      serviceSecrets.push({ name: l.name, owningService: l.owningService });
      continue;
    }
    if (ownershipOf(l.tags, scopeId) !== "ours") {
      if (!desired.scope.prefix || l.name.startsWith(desired.scope.prefix)) unmanaged.push(l.name);
      continue;
    }
    if (l.pendingDeletion) continue; // already leaving, nothing to do
    // The secret's own window, recorded while it was declared, wins over today's defaults.
    const recorded = recordedRecoveryWindow(l.tags);
    changes.push({
      name: l.name,
      precondition: preconditionOf(l),
      // A replicated primary cannot be deleted: its replicas go first, each deleted at once.
      actions: [
        ...removeAllReplicas(l),
        {
          type: "delete",
          recoveryWindowDays: recorded ?? desired.recoveryWindowDays,
          recoveryWindowFrom: recorded === undefined ? "defaults" : "secret",
        },
      ],
      ...replicaStatusOf(l),
    });
  }
  if (problems.length) {
    throw new SopsyncError("OWNERSHIP", `${desired.file}: ${problems.length} ownership problem(s)`, { problems });
  }

  changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  unmanaged.sort();
  replicaSecrets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  serviceSecrets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const plan: TargetPlan = {
    manifests: desired.manifests.map((m) => ({ ...m })),
    target: { account: live.account, region: live.region },
    scope: { ...desired.scope },
    changes,
    unmanaged,
    ...(replicaSecrets.length ? { replicaSecrets } : {}),
    ...(serviceSecrets.length ? { serviceSecrets } : {}),
    summary: summarize(changes),
    ...(whole ? { subset: { selected: changes.length, total: whole.total } } : {}),
  };
  checkGuards(desired, live, plan, options, whole);
  return plan;
}

function ownershipTags(d: DesiredSecret, scopeId: string): Record<string, string> {
  const tags = ownRecord(Object.entries(d.tags));
  tags[TAG_MANAGED_BY] = scopeId;
  if (d.protect) tags[TAG_PROTECTED] = "true";
  if (d.recoveryWindowOwn) tags[TAG_RECOVERY_WINDOW] = String(d.recoveryWindowDays);
  return tags;
}

function planCreate(d: DesiredSecret, scopeId: string): Action[] {
  const actions: Action[] = [
    {
      type: "create",
      valueKind: d.value.kind,
      description: d.description,
      kmsKeyId: d.kmsKeyId,
      tags: ownershipTags(d, scopeId),
      ...(d.generate ? { generate: generatePlan(d) } : {}),
    },
  ];
  for (const r of d.replicas ?? []) actions.push({ type: "add-replica", region: r.region, kmsKeyId: r.kmsKeyId });
  if (d.policy !== undefined && d.policy !== null)
    actions.push({ type: "put-policy", after: d.policy, blockPublicPolicy: !d.allowPublicPolicy });
  actions.push(...planCreateRotation(d.rotation));
  return actions;
}

type KmsArns = Readonly<Record<string, string>>;

function planReconcile(d: DesiredSecret, l: LiveSecret, scopeId: string, kms: KmsArns, replicas: Action[]): Action[] {
  const actions: Action[] = [];

  const descriptionChanged = d.description !== l.description;
  const kmsChanged = d.kmsKeyId !== undefined && !sameKmsKey(d.kmsKeyId, l.kmsKeyId, kms);
  if (descriptionChanged || kmsChanged) {
    actions.push({
      type: "update-metadata",
      ...(descriptionChanged ? { description: { before: l.description, after: d.description } } : {}),
      ...(kmsChanged ? { kmsKeyId: { before: l.kmsKeyId, after: d.kmsKeyId } } : {}),
    });
  }

  // Rotation owns the value (rotation.ts notes why it differs): the manifest's was only the initial one.
  // Undeclared rotation enabled on the account owns it just the same: reported, never overwritten.
  const owned = rotationOwnsValue(d.rotation) || undeclaredRotation(d, l) !== undefined;
  const valueInSync = owned || (l.value !== undefined && valuesEqual(d.value, l.value));
  // Generated values belong to AWS: never drift, written again only as generated.ts says.
  const generated = d.generate && !owned ? planGeneratedValue(d, l, kmsChanged, driftCause(l)) : undefined;
  if (generated) actions.push(...generated);
  else if (!valueInSync) {
    actions.push({ type: "update-value", valueKind: d.value.kind, cause: driftCause(l), keys: keyDiff(d.value, l.value) });
  } else if (kmsChanged && !owned) {
    // UpdateSecret re-encrypts AWSCURRENT with the new key only when it may decrypt with the old one,
    // and leaves it decryptable with the old key either way: "to make AWSCURRENT decryptable only with
    // the new key, create a new version of the secret with the new key"
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_update-encryption-key.html).
    // The manifest's value, for ordinary secrets; a generated value is re-put as it is live
    // (plan/generated.ts). Rotation-owned values are written by a rotation, not here.
    actions.push({ type: "update-value", valueKind: d.value.kind, cause: "kms-key-changed" });
  }
  const writesValue = actions.some((a) => a.type === "update-value");

  if (d.policy !== undefined) {
    if (d.policy === null) {
      // undefined = not readable (pending deletion): remove whatever may be there; it is idempotent.
      if (l.policy !== null) actions.push({ type: "delete-policy", before: l.policy });
    } else if (l.policy === undefined || l.policy === null) {
      actions.push({ type: "put-policy", after: d.policy, blockPublicPolicy: !d.allowPublicPolicy });
    } else if (!equivalentPolicies(l.policy, d.policy, partitionOf(l.arn))) {
      // AWS hands a policy back in its own spelling: only a difference in meaning is a change.
      const before = alignPolicy(l.policy, d.policy, partitionOf(l.arn));
      actions.push({ type: "put-policy", before, after: d.policy, blockPublicPolicy: !d.allowPublicPolicy });
    }
  }

  // Omitted replicas are not managed; a declared list (even []) is the whole truth (replicas.ts).
  actions.push(...replicas);
  actions.push(...planRotation(d.rotation, l.rotation));

  const want = ownershipTags(d, scopeId);
  // Tag keys are the user's: own-key lookups and records without a prototype (`constructor` is a tag).
  const added = ownRecord<{ before?: string; after: string }>();
  for (const [k, v] of Object.entries(want)) {
    const before = ownValue(l.tags, k);
    if (before !== v) added[k] = { before, after: v };
  }
  const removed = ownRecord<string>();
  for (const [k, v] of Object.entries(l.tags)) {
    // Kept: sopsync:version (read for drift), AWS's own tags, and sopsync: tags of a newer sopsync,
    // which an older one (a pinned cron) must not strip.
    if (!Object.hasOwn(want, k) && k !== TAG_VERSION && !isAwsTag(k) && !isUnknownSopsyncTag(k)) removed[k] = v;
  }
  // The live value is the manifest's but nothing records its version as sopsync's (adopted, or
  // converged by hand before sopsync wrote a version of its own form): record it in sopsync:version, so
  // later drift is attributed right. Only in a TagResource sent anyway (adoption's ownership tag):
  // never a call of its own, and never while a version in sopsync's own form is labelled, so a tag is
  // always older than every such version (state/own-version.ts). Never a rotation's version: that
  // would attribute rotation's value to sopsync.
  if (!writesValue && !owned && l.versionId && Object.keys(added).length > 0 && tagMayRecord(l))
    added[TAG_VERSION] = { before: ownValue(l.tags, TAG_VERSION), after: l.versionId };
  if (Object.keys(added).length) actions.push({ type: "tag", tags: added });
  if (Object.keys(removed).length) actions.push({ type: "untag", tags: removed });
  return actions;
}

function driftCause(l: LiveSecret): DriftCause {
  if (l.pendingDeletion) return "not-readable";
  if (l.noCurrentValue) return "no-current-value";
  if (l.versionId === undefined) return "unknown";
  // Read from the VersionIds (and the tag of secrets written before they carried sopsync's format).
  const author = currentVersionAuthor(l);
  if (author === "unrecorded") return "unknown";
  if (author === "own") return "manifest-changed";
  return rotationAttribution(l) ?? "changed-outside";
}

export function preconditionOf(l: LiveSecret | undefined): Precondition {
  if (!l) return { state: "absent" };
  return {
    state: l.pendingDeletion ? "pending-deletion" : "present",
    versionId: l.versionId ?? null,
    managedBy: l.tags[TAG_MANAGED_BY] ?? null,
    protected: l.tags[TAG_PROTECTED] === "true",
    description: l.description,
    kmsKeyId: l.kmsKeyId ?? null,
  };
}

export function summarize(changes: readonly SecretChange[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, restore: 0, adopt: 0, delete: 0, noop: 0 };
  for (const c of changes) {
    const types = new Set(c.actions.map((a) => a.type));
    if (types.size === 0 && c.drift?.length) s.drift = (s.drift ?? 0) + 1;
    else if (types.size === 0) s.noop++;
    else if (types.has("create")) s.create++;
    else if (types.has("delete")) s.delete++;
    else if (types.has("restore")) s.restore++;
    else if (types.has("adopt")) s.adopt++;
    else s.update++;
  }
  return s;
}
