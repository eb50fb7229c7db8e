// An in-memory SecretsPort that follows Secrets Manager's documented behaviour where moto does not:
// CreateSecret on an existing name fails with ResourceExistsException whatever the token; PutSecretValue
// with a token already used for the same value is ignored, for another value fails; DeleteSecret on a
// secret pending deletion fails with InvalidRequestException; writes to a secret pending deletion fail.
// `redeliver` replays chosen operations the way an SDK retry after a lost response does: the call
// takes effect, then runs again, and the caller sees only the second answer.
import { randomBytes } from "node:crypto";
import { AwsCallError, type FetchedValue, type SecretsPort, type StoredValue } from "../../src/aws/port.js";
import type { LiveRotation } from "../../src/aws/port.js";

export interface MemSecret {
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags: Record<string, string>;
  /** VersionIds in creation order; the last one is AWSCURRENT. */
  versions: { id: string; value: StoredValue }[];
  deletedDate?: Date;
  deletionWindow?: number;
  policy?: unknown;
  rotation?: LiveRotation;
}

export interface MemoryPort extends SecretsPort {
  secrets: Map<string, MemSecret>;
  /** Every call in order, as `Operation name`. */
  log: string[];
  redeliver: Set<string>;
  /** Throws this AwsCallError code for the named operation on the named secret. */
  failWith: Map<string, string>;
}

const same = (a: StoredValue, b: StoredValue) =>
  a.string !== undefined ? a.string === b.string : b.binary !== undefined && Buffer.from(a.binary).equals(Buffer.from(b.binary));

export function memoryPort(opts: { account?: string; region?: string } = {}): MemoryPort {
  const secrets = new Map<string, MemSecret>();
  const log: string[] = [];
  const redeliver = new Set<string>();
  const failWith = new Map<string, string>();
  let n = 0;

  const err = (op: string, code: string, msg: string) => new AwsCallError(op, code, msg);
  const get = (op: string, id: string): MemSecret => {
    const s = secrets.get(id);
    if (!s) throw err(op, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return s;
  };
  const live = (op: string, id: string): MemSecret => {
    const s = get(op, id);
    if (s.deletedDate)
      throw err(
        op,
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.",
      );
    return s;
  };
  /** Runs a write, twice when redelivered; logs it once per delivery. */
  const write = async <T>(op: string, id: string, fn: () => T): Promise<T> => {
    const code = failWith.get(`${op} ${id}`);
    log.push(`${op} ${id}`);
    if (code) throw err(op, code, `injected ${code}`);
    if (!redeliver.has(op)) return fn();
    try {
      fn();
    } catch {
      // the first delivery's answer is lost either way
    }
    log.push(`${op} ${id}`);
    return fn();
  };
  const current = (s: MemSecret) => s.versions[s.versions.length - 1];

  const port: MemoryPort = {
    secrets,
    log,
    redeliver,
    failWith,
    region: opts.region ?? "eu-west-1",
    async callerAccount() {
      return opts.account ?? "123456789012";
    },
    async listSecrets(filter) {
      return [...secrets.values()]
        .filter((s) => !filter.namePrefixes || filter.namePrefixes.some((p) => s.name.startsWith(p)))
        .map((s) => ({
          name: s.name,
          arn: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${s.name}`,
          description: s.description,
          kmsKeyId: s.kmsKeyId,
          tags: { ...s.tags },
          deletedDate: s.deletedDate,
          ...(s.rotation ? { rotation: { ...s.rotation } } : {}),
          currentVersionId: current(s)?.id,
        }));
    },
    async batchGetValues(ids) {
      log.push(`BatchGetSecretValue ${ids.length}`);
      const values: FetchedValue[] = [];
      const errors: { id: string; code: string; message: string }[] = [];
      for (const id of ids) {
        try {
          values.push(await port.getValue(id));
        } catch (e) {
          errors.push({ id, code: (e as AwsCallError).awsCode, message: (e as Error).message });
        }
      }
      return { values, errors };
    },
    async getValue(id) {
      const s = live("GetSecretValue", id);
      const v = current(s);
      if (!v) throw err("GetSecretValue", "ResourceNotFoundException", "no current version");
      return { name: s.name, versionId: v.id, value: v.value };
    },
    async describeSecret(id) {
      const s = get("DescribeSecret", id);
      const current = s.versions.at(-1)?.id;
      return {
        name: s.name,
        description: s.description,
        kmsKeyId: s.kmsKeyId,
        tags: { ...s.tags },
        replicas: [],
        deletedDate: s.deletedDate,
        ...(s.rotation ? { rotation: { ...s.rotation } } : {}),
        currentVersionId: current,
        versionStages: current ? { [current]: ["AWSCURRENT"] } : {},
      };
    },
    async getResourcePolicy(id) {
      return get("GetResourcePolicy", id).policy;
    },
    async describeKey(ref) {
      return ref;
    },
    createSecret(input) {
      return write("CreateSecret", input.name, () => {
        if (secrets.has(input.name))
          throw err(
            "CreateSecret",
            "ResourceExistsException",
            `The operation failed because the secret ${input.name} already exists.`,
          );
        secrets.set(input.name, {
          name: input.name,
          description: input.description,
          kmsKeyId: input.kmsKeyId,
          tags: { ...input.tags },
          versions: [{ id: input.token, value: input.value }],
        });
        return { arn: `arn:${input.name}`, versionId: input.token };
      });
    },
    putSecretValue(input) {
      return write("PutSecretValue", input.id, () => {
        const s = live("PutSecretValue", input.id);
        const existing = s.versions.find((v) => v.id === input.token);
        if (existing) {
          if (same(existing.value, input.value)) return { versionId: input.token };
          throw err(
            "PutSecretValue",
            "ResourceExistsException",
            "You can't modify an existing version, you can only create a new version.",
          );
        }
        s.versions.push({ id: input.token, value: input.value });
        return { versionId: input.token };
      });
    },
    updateSecret(input) {
      return write("UpdateSecret", input.id, () => {
        const s = live("UpdateSecret", input.id);
        if (input.description !== undefined) s.description = input.description;
        if (input.kmsKeyId !== undefined) s.kmsKeyId = input.kmsKeyId;
        if (input.value === undefined) return;
        // "If you call this operation with a ClientRequestToken that matches an existing version's
        // VersionId, the operation results in an error" (API_UpdateSecret), the same value or not.
        if (s.versions.some((v) => v.id === input.token))
          throw err("UpdateSecret", "ResourceExistsException", "A resource with the ID you requested already exists.");
        s.versions.push({ id: input.token ?? `v${++n}`, value: input.value });
      });
    },
    tagResource(id, tags) {
      return write("TagResource", id, () => {
        Object.assign(get("TagResource", id).tags, tags);
      });
    },
    untagResource(id, keys) {
      return write("UntagResource", id, () => {
        const s = get("UntagResource", id);
        for (const k of keys) delete s.tags[k];
      });
    },
    putResourcePolicy(id, policy) {
      return write("PutResourcePolicy", id, () => {
        live("PutResourcePolicy", id).policy = policy;
      });
    },
    deleteResourcePolicy(id) {
      return write("DeleteResourcePolicy", id, () => {
        live("DeleteResourcePolicy", id).policy = undefined;
      });
    },
    replicateToRegions(id) {
      return write("ReplicateSecretToRegions", id, () => {
        live("ReplicateSecretToRegions", id);
      });
    },
    removeRegionsFromReplication(id) {
      return write("RemoveRegionsFromReplication", id, () => {
        live("RemoveRegionsFromReplication", id);
      });
    },
    deleteSecret(id, days) {
      return write("DeleteSecret", id, () => {
        const s = live("DeleteSecret", id);
        s.deletedDate = new Date(Date.UTC(2030, 0, 1) + ++n);
        s.deletionWindow = days;
        return { deletionDate: s.deletedDate };
      });
    },
    rotateSecret(input) {
      return write("RotateSecret", input.id, () => {
        const s = get("RotateSecret", input.id);
        if (input.lambdaArn) s.rotation = { ...s.rotation, enabled: true, lambdaArn: input.lambdaArn, rules: input.rules };
      });
    },
    cancelRotateSecret(id) {
      return write("CancelRotateSecret", id, () => {
        const s = get("CancelRotateSecret", id);
        if (s.rotation) s.rotation = { ...s.rotation, enabled: false };
      });
    },
    async updateSecretVersionStage() {
      throw new Error("staging labels are not modelled here: the lock is tested against moto");
    },
    restoreSecret(id) {
      return write("RestoreSecret", id, () => {
        const s = get("RestoreSecret", id);
        s.deletedDate = undefined;
        s.deletionWindow = undefined;
      });
    },
    async getRandomPassword(o) {
      log.push("GetRandomPassword");
      return randomBytes(64)
        .toString("base64url")
        .slice(0, o.length ?? 32);
    },
  };
  return port;
}
