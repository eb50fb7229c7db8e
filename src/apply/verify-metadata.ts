// Read-back of what apply wrote besides values: the description, the KMS key, the tags, whether the
// secret is scheduled for deletion, and whether a resource policy is attached — each as the plan's
// actions left it. DescribeSecret is current where ListSecrets "might not reflect changes from the last
// five minutes" (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html).
// A call that answered success but did not take effect (AWS clears a description on `Description: ""`;
// a store that ignores it does not) is reported, never called applied. Names and metadata only.
import type { SecretDetails, SecretsPort } from "../aws/port.js";
import type { SecretChange } from "../plan/model.js";
import { ownValue } from "../records.js";
import { sameKmsKeyAsWritten } from "../state/kms.js";

const DESCRIBED = new Set(["create", "update-metadata", "tag", "untag", "restore", "delete"]);

/** Changes read back with DescribeSecret: a value-only change is read back through its value. */
export function changesMetadata(c: SecretChange): boolean {
  return c.actions.some((a) => DESCRIBED.has(a.type));
}

/** Changes whose policy presence is read back (GetResourcePolicy). */
export function changesPolicy(c: SecretChange): boolean {
  return c.actions.some((a) => a.type === "put-policy" || a.type === "delete-policy");
}

/** What the change's actions leave behind, field by field; undefined where it wrote nothing. */
interface Expected {
  description?: string;
  kmsKeyId?: string;
  tags: Map<string, string | undefined>;
  pendingDeletion?: boolean;
}

function expected(c: SecretChange): Expected {
  const out: Expected = { tags: new Map() };
  for (const a of c.actions) {
    switch (a.type) {
      case "create":
        out.description = a.description;
        out.kmsKeyId = a.kmsKeyId;
        for (const [k, v] of Object.entries(a.tags)) out.tags.set(k, v);
        break;
      case "update-metadata":
        if (a.description) out.description = a.description.after;
        if (a.kmsKeyId?.after !== undefined) out.kmsKeyId = a.kmsKeyId.after;
        break;
      case "tag":
        for (const [k, v] of Object.entries(a.tags)) out.tags.set(k, v.after);
        break;
      case "untag":
        for (const k of Object.keys(a.tags)) out.tags.set(k, undefined);
        break;
      case "restore":
        out.pendingDeletion = false;
        break;
      case "delete":
        out.pendingDeletion = true;
        break;
      default:
        break;
    }
  }
  return out;
}

/** A key reference's key ARN (kms:DescribeKey), or undefined when KMS knows no such key. */
export type KeyResolver = (ref: string) => Promise<string | undefined>;

/** kms:DescribeKey once per distinct reference, for one read-back. */
export function keyResolver(port: SecretsPort): KeyResolver {
  const seen = new Map<string, Promise<string | undefined>>();
  return (ref) => {
    let arn = seen.get(ref);
    if (!arn) {
      arn = /^arn:[^:]+:kms:[^:]*:\d*:key\//.test(ref) ? Promise.resolve(ref) : port.describeKey(ref);
      seen.set(ref, arn);
    }
    return arn;
  };
}

/** What DescribeSecret shows that differs from what the change wrote. */
export async function metadataReadBack(c: SecretChange, d: SecretDetails, resolve: KeyResolver): Promise<string[]> {
  const want = expected(c);
  const problems: string[] = [];
  if (want.pendingDeletion !== undefined && want.pendingDeletion !== (d.deletedDate !== undefined))
    problems.push(want.pendingDeletion ? "it is not scheduled for deletion" : "it is still scheduled for deletion");
  // A deleted secret's other fields were not this apply's to change.
  if (want.pendingDeletion) return problems;
  if (want.description !== undefined && want.description !== (d.description ?? ""))
    problems.push(`its description is ${show(d.description ?? "")}, not ${show(want.description)} as written`);
  if (want.kmsKeyId !== undefined && !(await sameKey(want.kmsKeyId, d.kmsKeyId, resolve)))
    problems.push(
      `its KMS key is ${d.kmsKeyId === undefined ? "the AWS managed key" : show(d.kmsKeyId)}, not ${show(want.kmsKeyId)} as written`,
    );
  for (const [k, v] of want.tags) {
    const live = ownValue(d.tags, k);
    if (v === undefined && live !== undefined) problems.push(`tag ${show(k)} is still there`);
    else if (v !== undefined && live === undefined) problems.push(`tag ${show(k)} is missing`);
    else if (v !== undefined && live !== v) problems.push(`tag ${show(k)} is ${show(live)}, not ${show(v)} as written`);
  }
  return problems;
}

/** Whether a resource policy is attached as the change left it (presence only; content is the planner's). */
export function policyReadBack(c: SecretChange, attached: boolean): string[] {
  const last = c.actions.filter((a) => a.type === "put-policy" || a.type === "delete-policy").at(-1);
  if (last?.type === "put-policy" && !attached) return ["no resource policy is attached"];
  if (last?.type === "delete-policy" && attached) return ["a resource policy is still attached"];
  return [];
}

async function sameKey(want: string, live: string | undefined, resolve: KeyResolver): Promise<boolean> {
  if (sameKmsKeyAsWritten(want, live)) return true;
  if (live === undefined) return false;
  const [a, b] = await Promise.all([resolve(want), resolve(live)]);
  return a !== undefined && a === b;
}

/** Quoted, so a tag key or description read from the account cannot break a log line. */
function show(s: string | undefined): string {
  return JSON.stringify(s ?? "");
}
