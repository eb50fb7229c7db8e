// The AWS-behaviour layer of the test proxy: where moto differs from what the AWS API reference
// documents, a rule here makes the wire behave as documented — exactly that and nothing more, each
// rule citing its page. sopsync's code follows the documentation; tests run with the layer to prove
// it copes with AWS as documented, and without it to prove nothing leans on the layer.
// docs/aws-behaviour.md lists every behaviour sopsync relies on and how it is tested.

/** One Secrets Manager (or KMS) JSON-protocol request, as the SDK sent it. */
export interface AwsRequest {
  operation: string;
  body: Record<string, unknown>;
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
  return [];
}
