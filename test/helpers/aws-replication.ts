// AWS-behaviour rules for multi-Region replication (see aws-behaviour.ts for the layer). moto 5.2.5
// reports every replica InSync the moment it is asked for, encrypted with alias/aws/secretsmanager
// whatever key was asked for, and words a name conflict with a fixed name ("Secret name simple
// already exists"). Each rule below makes the wire say what the API reference documents instead,
// and nothing more. Secrets are identified by (signed region, name): one proxy serves every region.
import type { AwsRequest, AwsResponse, Rule } from "./aws-behaviour.js";

interface ReplicationEntry {
  Region?: string;
  KmsKeyId?: string;
  Status?: string;
  StatusMessage?: string;
}

const ADDS = new Set(["CreateSecret", "ReplicateSecretToRegions"]);

/** `region/name` of the primary a request or its answer is about; an ARN is reduced to its name. */
function primaryKey(req: AwsRequest, res: AwsResponse): string | undefined {
  const id = [res.body.Name, req.body.SecretId, req.body.Name].find((v): v is string => typeof v === "string");
  if (!id || !req.region) return undefined;
  const arn = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id);
  return `${req.region}/${arn ? arn[1] : id}`;
}

function added(req: AwsRequest): { Region: string; KmsKeyId?: string }[] {
  const list = ADDS.has(req.operation) ? req.body.AddReplicaRegions : undefined;
  return Array.isArray(list) ? list.filter((r): r is { Region: string; KmsKeyId?: string } => typeof r?.Region === "string") : [];
}

function removed(req: AwsRequest): string[] {
  const list = req.operation === "RemoveRegionsFromReplication" ? req.body.RemoveReplicaRegions : undefined;
  return Array.isArray(list) ? list.filter((r): r is string => typeof r === "string") : [];
}

/** The answer with each ReplicationStatus entry passed through `edit` (a copy; the rest as it was). */
function withEntries(res: AwsResponse, edit: (e: ReplicationEntry) => ReplicationEntry): AwsResponse {
  const list = res.body.ReplicationStatus;
  if (!Array.isArray(list)) return res;
  return { ...res, body: { ...res.body, ReplicationStatus: list.map((e: ReplicationEntry) => edit({ ...e })) } };
}

/**
 * A replica is encrypted with the key it was replicated with: ReplicaRegionType's KmsKeyId is "the
 * ARN, key ID, or alias of the KMS key to encrypt the secret", and ReplicationStatusType reports it
 * ("Can be an ARN, Key ID, or Alias"). Reported here as it was given.
 */
export function replicaKeysAsGiven(): Rule {
  const keys = new Map<string, Map<string, string>>();
  return {
    name: "ReplicationStatus reports the KMS key each replica was made with",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html",
    async handle(req, next) {
      const res = await next(req);
      const key = primaryKey(req, res);
      if (!key || res.status !== 200) return res;
      const regions = keys.get(key) ?? new Map<string, string>();
      for (const r of added(req)) {
        if (r.KmsKeyId) regions.set(r.Region, r.KmsKeyId);
        else regions.delete(r.Region);
      }
      for (const region of removed(req)) regions.delete(region);
      keys.set(key, regions);
      return withEntries(res, (e) => {
        const given = e.Region ? regions.get(e.Region) : undefined;
        return given ? { ...e, KmsKeyId: given } : e;
      });
    },
  };
}

/**
 * Replication takes a while: a replica starts InProgress, "which indicates that Secrets Manager is in
 * the process of creating the replica", before it is InSync. Here: the answer to the call that adds
 * it and the next `reads` DescribeSecret answers say InProgress (a failure is shown as it is).
 */
export function replicationInProgress(reads = 2): Rule {
  const pending = new Map<string, Map<string, number>>();
  return {
    name: "a new replica is InProgress for a while",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html",
    async handle(req, next) {
      const res = await next(req);
      const key = primaryKey(req, res);
      if (!key || res.status !== 200) return res;
      const regions = pending.get(key) ?? new Map<string, number>();
      pending.set(key, regions);
      for (const region of removed(req)) regions.delete(region);
      const fresh = new Set(added(req).map((r) => r.Region));
      for (const region of fresh) regions.set(region, reads);
      const describing = req.operation === "DescribeSecret";
      if (!describing && fresh.size === 0) return res;
      return withEntries(res, (e) => {
        const left = e.Region ? regions.get(e.Region) : undefined;
        if (left === undefined || e.Status !== "InSync" || !e.Region) return e;
        if (describing) {
          if (left <= 0) {
            regions.delete(e.Region);
            return e;
          }
          regions.set(e.Region, left - 1);
        }
        const { StatusMessage: _, ...rest } = e;
        return { ...rest, Status: "InProgress" };
      });
    },
  };
}

/**
 * A replica whose region already holds a secret of that name fails with the message the API
 * reference gives, "Secret with this name already exists in this region"; moto names a fixed secret
 * ("Secret name simple already exists in region ...").
 */
export function replicaNameConflictMessage(): Rule {
  return {
    name: "a replica failing on a taken name says so in AWS's words",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html",
    async handle(req, next) {
      const res = await next(req);
      return withEntries(res, (e) =>
        e.Status === "Failed" && /already exists in region/.test(e.StatusMessage ?? "")
          ? { ...e, StatusMessage: "Secret with this name already exists in this region" }
          : e,
      );
    },
  };
}
