// GetSecretValue and BatchGetSecretValue answer with the version labelled AWSCURRENT: "If you don't
// specify either a VersionStage or VersionId, Secrets Manager returns the AWSCURRENT version"
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html); a batch
// returns "the value of each secret" as GetSecretValue would
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html).
// moto answers with the version it last wrote, so after UpdateSecretVersionStage moved AWSCURRENT
// (a roll-back by hand) it still returns the newer value. This rule asks moto by the label instead.
import type { AwsResponse, Next, Rule } from "./aws-behaviour.js";

export function currentValueByStage(): Rule {
  return {
    name: "GetSecretValue and BatchGetSecretValue return the version labelled AWSCURRENT",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html",
    async handle(req, next) {
      if (req.operation === "GetSecretValue" && req.body.VersionId === undefined && req.body.VersionStage === undefined)
        return next({ ...req, body: { ...req.body, VersionStage: "AWSCURRENT" } });
      const res = await next(req);
      if (req.operation !== "BatchGetSecretValue" || res.status !== 200 || !Array.isArray(res.body.SecretValues)) return res;
      const values = await Promise.all(
        (res.body.SecretValues as Record<string, unknown>[]).map((v) => currentOf(v, req.region, next)),
      );
      return { ...res, body: { ...res.body, SecretValues: values } };
    },
  };
}

async function currentOf(v: Record<string, unknown>, region: string | undefined, next: Next): Promise<Record<string, unknown>> {
  const stages = Array.isArray(v.VersionStages) ? (v.VersionStages as string[]) : [];
  if (stages.includes("AWSCURRENT")) return v;
  const r: AwsResponse = await next({
    operation: "GetSecretValue",
    body: { SecretId: v.ARN ?? v.Name, VersionStage: "AWSCURRENT" },
    ...(region ? { region } : {}),
  });
  return r.status === 200 ? r.body : v;
}
