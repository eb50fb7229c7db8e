// AWS-behaviour rule for the dates drift attribution with rotation reads (see aws-behaviour.ts for
// what a rule is):
// - ListSecretVersionIds' CreatedDate is when the version was created
//   (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html,
//   SecretVersionsListEntry); moto answers the time of the call for every version. The rule records
//   when each version made through the proxy was created and answers with that.
// - LastRotatedDate is "the most recent date and time that the Secrets Manager rotation process was
//   successfully completed" (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html);
//   moto sets it when RotateSecret is called, even with RotateImmediately false, when nothing ran. Here
//   no function runs (tests play it by writing a new AWSCURRENT), so a rotation completes when the test
//   says so (`rotationCompleted`), and until then no LastRotatedDate is reported.
// Types only: aws-behaviour.ts imports this file.
import type { Rule } from "./aws-behaviour.js";

type Body = Record<string, unknown>;

export const ROTATION_DATES_RULE = "version CreatedDate and LastRotatedDate as AWS reports them";

export interface RotationDates extends Rule {
  /** The rotation function of `name` finished now (what AWS records as LastRotatedDate). */
  rotationCompleted(name: string): void;
}

const VERSION_WRITES = new Set(["CreateSecret", "PutSecretValue", "UpdateSecret", "RotateSecret"]);

/** Epoch seconds with milliseconds, as the JSON protocol carries timestamps. */
const nowSeconds = () => Date.now() / 1000;

export function rotationDates(): RotationDates {
  const created = new Map<string, number>();
  const completed = new Map<string, number>();
  const lastRotated = (entry: Body) => {
    if (typeof entry.Name !== "string") return;
    const at = completed.get(entry.Name);
    if (at === undefined) delete entry.LastRotatedDate;
    else entry.LastRotatedDate = at;
  };
  return {
    name: ROTATION_DATES_RULE,
    doc: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html",
    rotationCompleted: (name) => void completed.set(name, nowSeconds()),
    async handle(req, next) {
      const res = await next(req);
      if (res.status !== 200) return res;
      if (VERSION_WRITES.has(req.operation) && typeof res.body.VersionId === "string" && !created.has(res.body.VersionId)) {
        created.set(res.body.VersionId, nowSeconds());
      } else if (req.operation === "ListSecretVersionIds" && Array.isArray(res.body.Versions)) {
        for (const v of res.body.Versions as Body[]) {
          const at = typeof v.VersionId === "string" ? created.get(v.VersionId) : undefined;
          if (at !== undefined) v.CreatedDate = at;
        }
      } else if (req.operation === "DescribeSecret") {
        lastRotated(res.body);
      } else if (req.operation === "ListSecrets" && Array.isArray(res.body.SecretList)) {
        for (const e of res.body.SecretList as Body[]) lastRotated(e);
      }
      return res;
    },
  };
}

/** The layer's instance of the rule. */
export function rotationDatesRuleOf(rules: readonly Rule[]): RotationDates {
  const r = rules.find((x) => x.name === ROTATION_DATES_RULE);
  if (!r) throw new Error("the layer has no rotation dates rule");
  return r as RotationDates;
}
