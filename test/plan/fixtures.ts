// Builders for hand-written planner cases: a desired state and a live state in a few lines.
import type { DesiredSecret, DesiredState, DesiredValue } from "../../src/manifest/model.js";
import { toStoredValue } from "../../src/manifest/values.js";
import type { LiveSecret, LiveState } from "../../src/state/model.js";
import { TAG_MANAGED_BY, TAG_RECOVERY_WINDOW, TAG_VERSION } from "../../src/state/ownership.js";

export const SCOPE = "team-a";
export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

export const str = (text: string): DesiredValue => ({ kind: "string", text });
export const json = (data: unknown): DesiredValue => ({ kind: "json", data });

export function secret(name: string, over: Partial<DesiredSecret> = {}): DesiredSecret {
  return {
    name,
    value: str(`value-of-${name}`),
    description: "",
    tags: {},
    recoveryWindowDays: 30,
    protect: false,
    adopt: false,
    at: { file: "m.yaml", line: 1, col: 1 },
    ...over,
  };
}

export function desiredState(secrets: DesiredSecret[], over: Partial<DesiredState> = {}): DesiredState {
  return {
    file: "m.yaml",
    manifests: [{ file: "m.yaml", sha256: "ab".repeat(32) }],
    target: {},
    scope: { id: SCOPE },
    recoveryWindowDays: 30,
    secrets: [...secrets].sort((a, b) => (a.name < b.name ? -1 : 1)),
    ...over,
  };
}

/** A live secret exactly as sopsync would have written `d` (in sync), with overrides. */
export function liveOf(d: DesiredSecret, over: Partial<LiveSecret> = {}): LiveSecret {
  return {
    name: d.name,
    arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${d.name}-AbCdEf`,
    description: d.description,
    kmsKeyId: d.kmsKeyId,
    tags: {
      ...d.tags,
      [TAG_MANAGED_BY]: SCOPE,
      [TAG_VERSION]: "v1",
      ...(d.protect ? { "sopsync:protected": "true" } : {}),
      ...(d.recoveryWindowOwn ? { [TAG_RECOVERY_WINDOW]: String(d.recoveryWindowDays) } : {}),
    },
    pendingDeletion: false,
    versionId: "v1",
    value: toStoredValue(d.value),
    policy: d.policy === undefined ? undefined : (d.policy ?? null),
    replicas: d.replicas,
    ...over,
  };
}

export function liveSecret(name: string, over: Partial<LiveSecret> = {}): LiveSecret {
  return liveOf(secret(name), over);
}

export function liveState(secrets: LiveSecret[], over: Partial<LiveState> = {}): LiveState {
  return { region: REGION, account: ACCOUNT, secrets: new Map(secrets.map((s) => [s.name, s])), ...over };
}
