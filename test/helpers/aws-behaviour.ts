// The AWS-behaviour layer of the test proxy: where moto differs from what the AWS API reference
// documents, a rule here makes the wire behave as documented — exactly that and nothing more, each
// rule citing its page. sopsync's code follows the documentation; tests run with the layer to prove
// it copes with AWS as documented, and without it to prove nothing leans on the layer.
// docs/aws-behaviour.md lists every behaviour sopsync relies on and how it is tested.

import { awsPolicyForm, awsPolicyText } from "./aws-policy-form.js";
import { serviceOwnedSecrets } from "./aws-owning-service.js";
import { rotationDates } from "./aws-rotation-dates.js";
import { currentValueByStage } from "./aws-current-value.js";
import { replicaKeysAsGiven, replicaNameConflictMessage, replicationInProgress } from "./aws-replication.js";
import {
  batchErrorsPerSecret,
  clearedDescriptions,
  laggingListing,
  noValueWritesWhilePendingDeletion,
} from "./aws-secret-rules.js";

export { batchErrorsPerSecret, clearedDescriptions, laggingListing, noValueWritesWhilePendingDeletion };
export { replicaKeysAsGiven, replicaNameConflictMessage, replicationInProgress };
export { serviceOwnedSecrets };
export { rotationDates };

/** One Secrets Manager (or KMS) JSON-protocol request, as the SDK sent it. */
export interface AwsRequest {
  operation: string;
  body: Record<string, unknown>;
  /** The region the request was signed for: one proxy serves every region. */
  region?: string;
}

export interface AwsResponse {
  status: number;
  body: Record<string, unknown>;
}

export type Next = (req: AwsRequest) => Promise<AwsResponse>;

export interface Rule {
  /** What AWS does that moto does not, in a few words. */
  name: string;
  /** The documentation page the rule implements. */
  doc: string;
  handle(req: AwsRequest, next: Next): Promise<AwsResponse>;
  /** For a rule emulating eventual consistency: every answer is current again, as if minutes passed. */
  settle?(): void;
}

/** Lets every rule catch up (what a user does by waiting): see Rule.settle. */
export function settle(rules: readonly Rule[] | undefined): void {
  for (const r of rules ?? []) r.settle?.();
}

/** An error answer in the JSON protocol's shape (`__type`, `message`). */
export function awsError(status: number, type: string, message: string): AwsResponse {
  return { status, body: { __type: type, message } };
}

/** The rules in order, the first one outermost, around the service itself. */
export function compose(rules: readonly Rule[], service: Next): Next {
  return rules.reduceRight<Next>((next, rule) => (req) => rule.handle(req, next), service);
}

/**
 * Every documented behaviour the layer emulates, fresh (rules may keep state, e.g. a listing that
 * lags). Pass to startFaultProxy({ behaviour: documentedAws() }).
 */
export function documentedAws(): Rule[] {
  return [
    // A fifth of a second, not AWS's five minutes: a listing right after a write in the same process is
    // stale, commands run one after another are not (as if their user waited). The listing-lag tests
    // hold the listing stale across whole commands.
    laggingListing({ ms: 200 }),
    canonicalPolicies(),
    replicaKeysAsGiven(),
    replicationInProgress(),
    replicaNameConflictMessage(),
    clearedDescriptions(),
    noValueWritesWhilePendingDeletion(),
    batchErrorsPerSecret(),
    serviceOwnedSecrets(),
    rotationDates(),
    currentValueByStage(),
  ];
}

/**
 * GetResourcePolicy answers with the policy in AWS's own form (aws-policy-form.ts says exactly what
 * that is and where it is documented or observed); moto answers with the text as it was put.
 */
export function canonicalPolicies(): Rule {
  return {
    name: "GetResourcePolicy returns the policy in AWS's canonical form",
    doc: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    async handle(req, next) {
      const res = await next(req);
      const text = res.body.ResourcePolicy;
      if (req.operation !== "GetResourcePolicy" || res.status !== 200 || typeof text !== "string") return res;
      const partition = /^arn:([a-z-]+):/.exec(String(res.body.ARN ?? ""))?.[1] ?? "aws";
      return { ...res, body: { ...res.body, ResourcePolicy: awsPolicyText(awsPolicyForm(JSON.parse(text), partition)) } };
    },
  };
}
