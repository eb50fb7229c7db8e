// UpdateSecretVersionStage as AWS documents it: a staging label moves from RemoveFromVersionId to
// MoveToVersionId, or the call fails and nothing moves ("If the staging label you are trying to attach
// to one version is already attached to a different version, then you must include this parameter
// and specify the version that the label is to be removed from. If the label is attached and you
// either do not specify this parameter, or the version ID does not match, then the operation fails.")
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
// moto takes the label off RemoveFromVersionId before it checks MoveToVersionId exists, so a call
// naming a version not yet created leaves no version labelled AWSCURRENT. This rule checks first.
// It is always on: the apply lock is a compare-and-set on this call, and a lock test must not fail
// on moto's half-done move.
import { awsError, type Rule } from "./aws-behaviour.js";

export function atomicStageMove(): Rule {
  return {
    name: "UpdateSecretVersionStage fails whole when MoveToVersionId does not exist",
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html",
    async handle(req, next) {
      const moveTo = req.body.MoveToVersionId;
      if (req.operation !== "UpdateSecretVersionStage" || typeof moveTo !== "string") return next(req);
      const d = await next({ operation: "DescribeSecret", body: { SecretId: req.body.SecretId } });
      if (d.status !== 200) return d;
      const versions = (d.body.VersionIdsToStages ?? {}) as Record<string, unknown>;
      if (!Object.hasOwn(versions, moveTo)) {
        return awsError(400, "InvalidParameterException", `Not a valid version: ${moveTo}`);
      }
      return next(req);
    },
  };
}
