// AWS-behaviour rule for secrets created by another AWS service (see aws-behaviour.ts for what a rule
// is). ListSecrets and DescribeSecret name that service in OwningService
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html,
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html). Only the
// service itself makes such a secret (an RDS master-user secret, say), and moto's API cannot: moto
// derives OwningService from an `aws:` tag that AWS refuses to anyone but AWS. So tests register the
// names a service owns, and the rule answers for them as AWS would.
// Types only: aws-behaviour.ts imports this file.
import type { Rule } from "./aws-behaviour.js";

type Body = Record<string, unknown>;

export const SERVICE_OWNED_RULE = "ListSecrets and DescribeSecret report OwningService for a service's secret";

export interface ServiceOwnedSecrets extends Rule {
  /** From now on, `name` is reported as created by `service` (e.g. `rds`). */
  own(name: string, service: string): void;
  /** Forget every registration (moto was reset). */
  clear(): void;
}

export function serviceOwnedSecrets(): ServiceOwnedSecrets {
  const owners = new Map<string, string>();
  const mark = (entry: Body) => {
    const service = typeof entry.Name === "string" ? owners.get(entry.Name) : undefined;
    if (service !== undefined) entry.OwningService = service;
  };
  return {
    name: SERVICE_OWNED_RULE,
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/service-linked-secrets.html",
    own: (name, service) => void owners.set(name, service),
    clear: () => owners.clear(),
    async handle(req, next) {
      const res = await next(req);
      if (res.status !== 200 || owners.size === 0) return res;
      if (req.operation === "DescribeSecret") mark(res.body);
      else if (req.operation === "ListSecrets" && Array.isArray(res.body.SecretList)) {
        for (const e of res.body.SecretList as Body[]) mark(e);
      }
      return res;
    },
  };
}

/** The layer's instance of the rule, to register names with. */
export function serviceOwnedRuleOf(rules: readonly Rule[]): ServiceOwnedSecrets {
  const r = rules.find((x) => x.name === SERVICE_OWNED_RULE);
  if (!r) throw new Error("the layer has no service-owned secrets rule");
  return r as ServiceOwnedSecrets;
}
