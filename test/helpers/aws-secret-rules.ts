// AWS-behaviour rules for secrets' metadata, values and listings where moto differs from the API
// reference (see aws-behaviour.ts for what a rule is). Each emulates exactly what its page documents.
// Types only: aws-behaviour.ts imports this file.
import type { AwsRequest, AwsResponse, Next, Rule } from "./aws-behaviour.js";

type Body = Record<string, unknown>;

/** The secret a request names (SecretId or Name); an ARN is reduced to the name. */
function secretName(body: Body): string | undefined {
  const id = typeof body.SecretId === "string" ? body.SecretId : typeof body.Name === "string" ? body.Name : undefined;
  const arn = id ? /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)-[A-Za-z0-9]{6}$/.exec(id) : null;
  return arn ? arn[1] : id;
}

const describeSecret = (next: Next, name: string) => next({ operation: "DescribeSecret", body: { SecretId: name } });

/**
 * UpdateSecret with `Description: ""` sets the description to the empty string, i.e. clears it: the
 * API reference's Description has a maximum length and no minimum, so "" is a description like any
 * other. moto skips an empty Description, so the rule remembers the secrets cleared through it and
 * leaves the description out of their DescribeSecret and ListSecrets answers until a new one is set.
 */
export function clearedDescriptions(): Rule {
  const cleared = new Set<string>();
  const strip = (entry: Body) => {
    if (typeof entry.Name === "string" && cleared.has(entry.Name)) delete entry.Description;
  };
  return {
    name: "UpdateSecret with an empty Description clears it",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html",
    async handle(req, next) {
      const res = await next(req);
      if (res.status !== 200) return res;
      const name = secretName(req.body);
      if (req.operation === "UpdateSecret" && name !== undefined && typeof req.body.Description === "string") {
        if (req.body.Description === "") cleared.add(name);
        else cleared.delete(name);
      } else if (req.operation === "CreateSecret" && name !== undefined) {
        cleared.delete(name);
      } else if (req.operation === "DescribeSecret") {
        strip(res.body);
      } else if (req.operation === "ListSecrets" && Array.isArray(res.body.SecretList)) {
        for (const e of res.body.SecretList as Body[]) strip(e);
      }
      return res;
    },
  };
}

/**
 * PutSecretValue on a secret scheduled for deletion fails with InvalidRequestException ("A parameter
 * value is not valid for the current state of the resource. Possible causes: The secret is scheduled
 * for deletion."). moto stores the new version. Other writes list the same cause; moto already refuses
 * UpdateSecret, and sopsync restores a secret before any other write to it.
 */
export function noValueWritesWhilePendingDeletion(): Rule {
  return {
    name: "PutSecretValue is refused on a secret scheduled for deletion",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html",
    async handle(req, next) {
      const name = secretName(req.body);
      if (req.operation !== "PutSecretValue" || name === undefined) return next(req);
      const d = await describeSecret(next, name);
      // moto writes `"DeletedDate": null` for a secret that is not scheduled for deletion.
      if (d.status === 200 && d.body.DeletedDate !== undefined && d.body.DeletedDate !== null) {
        const message = "You can't perform this operation on the secret because it was marked for deletion.";
        return { status: 400, body: { __type: "InvalidRequestException", message } };
      }
      return next(req);
    },
  };
}

/**
 * BatchGetSecretValue reports a secret it cannot read in `Errors` and returns the others ("If Secrets
 * Manager encounters errors ... while attempting to retrieve any of the secrets, you can see the errors
 * in Errors in the response"). moto fails the whole call, e.g. for a secret without a current value;
 * the rule then reads each listed secret on its own and answers as AWS does.
 */
export function batchErrorsPerSecret(): Rule {
  return {
    name: "BatchGetSecretValue reports unreadable secrets in Errors",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html",
    async handle(req, next) {
      const res = await next(req);
      const ids = req.body.SecretIdList;
      if (req.operation !== "BatchGetSecretValue" || res.status === 200 || !Array.isArray(ids)) return res;
      if (res.body.__type !== "ResourceNotFoundException") return res;
      const SecretValues: Body[] = [];
      const Errors: Body[] = [];
      for (const id of ids as string[]) {
        const one = await next({ operation: "GetSecretValue", body: { SecretId: id } });
        if (one.status === 200) SecretValues.push(one.body);
        else Errors.push({ SecretId: id, ErrorCode: one.body.__type, Message: one.body.message ?? one.body.Message });
      }
      return { status: 200, body: { SecretValues, Errors } };
    },
  };
}

/** The Secrets Manager operations that change a secret, after which a listing may lag. */
const WRITES = new Set([
  "CreateSecret",
  "PutSecretValue",
  "UpdateSecret",
  "TagResource",
  "UntagResource",
  "DeleteSecret",
  "RestoreSecret",
  "ReplicateSecretToRegions",
  "RemoveRegionsFromReplication",
  "UpdateSecretVersionStage",
]);

/** DescribeSecret's answer as the ListSecrets entry of the same secret. */
function listEntry(d: Body): Body {
  const { VersionIdsToStages, ReplicationStatus: _, ...rest } = d;
  return VersionIdsToStages === undefined ? rest : { ...rest, SecretVersionsToStages: VersionIdsToStages };
}

export interface LaggingListing extends Rule {
  /** As if five minutes passed: every listing is current again. */
  settle(): void;
}

/**
 * "All Secrets Manager operations are eventually consistent. ListSecrets might not reflect changes from
 * the last five minutes. You can get more recent information for a specific secret by calling
 * DescribeSecret." After a write to a secret, ListSecrets answers show the secret as it was before the
 * write (absent if it did not exist) for the next `listings` listings or `ms` milliseconds, whichever
 * ends first; the other calls are current. moto's listing is always current. Only entries in the
 * answer are replaced or dropped: a secret the answer's filters no longer match is not added back.
 */
export function laggingListing(opts: { listings?: number; ms?: number; now?: () => number } = {}): LaggingListing {
  const lag = opts.listings ?? Number.POSITIVE_INFINITY;
  const window = opts.ms ?? Number.POSITIVE_INFINITY;
  const now = opts.now ?? Date.now;
  const stale = new Map<string, { before: Body | undefined; left: number; until: number }>();
  return {
    name: "ListSecrets lags behind writes",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html",
    settle: () => stale.clear(),
    async handle(req: AwsRequest, next: Next): Promise<AwsResponse> {
      const name = secretName(req.body);
      if (WRITES.has(req.operation) && name !== undefined) {
        // The oldest view is the one still served: a second write does not make the listing fresher.
        const pending = stale.get(name);
        let before = pending?.before;
        if (!pending) {
          const d = await describeSecret(next, name);
          before = d.status === 200 ? listEntry(d.body) : undefined;
        }
        const res = await next(req);
        if (res.status === 200) stale.set(name, { before, left: lag, until: now() + window });
        return res;
      }
      if (req.operation !== "ListSecrets") return next(req);
      const res = await next(req);
      for (const [n, s] of stale) if (s.until <= now()) stale.delete(n);
      if (res.status !== 200 || !Array.isArray(res.body.SecretList) || stale.size === 0) return res;
      const list = (res.body.SecretList as Body[]).flatMap((e) => {
        const s = typeof e.Name === "string" ? stale.get(e.Name) : undefined;
        if (!s) return [e];
        return s.before ? [s.before] : [];
      });
      for (const [n, s] of stale) if (--s.left <= 0) stale.delete(n);
      return { ...res, body: { ...res.body, SecretList: list } };
    },
  };
}
