// The last check before a secret is written: DescribeSecret, which is current, where the ListSecrets
// the plan was read with "might not reflect changes from the last five minutes"
// (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html). Whatever
// ownership and safety depend on must still be what the plan was made against; a secret that moved
// on (another scope took it, its protect tag went, a new version was written) is not touched.
import { AwsCallError, type SecretsPort } from "../aws/port.js";
import type { Precondition, SecretChange } from "../plan/model.js";
import { preconditionOf } from "../plan/planner.js";

/** Why the secret no longer matches its precondition, or undefined when it still does. */
export async function changedSincePlanned(port: SecretsPort, change: SecretChange): Promise<string | undefined> {
  let now: Precondition;
  try {
    const d = await port.describeSecret(change.name);
    now = preconditionOf({
      name: d.name,
      arn: "",
      description: d.description ?? "",
      kmsKeyId: d.kmsKeyId,
      tags: d.tags,
      pendingDeletion: d.deletedDate !== undefined,
      versionId: d.currentVersionId,
    });
  } catch (err) {
    if (!(err instanceof AwsCallError && err.awsCode === "ResourceNotFoundException")) throw err;
    now = { state: "absent" };
  }
  return preconditionDifference(change.precondition, now);
}

/** The first field in which `now` differs from `planned`, described without any value. */
export function preconditionDifference(planned: Precondition, now: Precondition): string | undefined {
  if (planned.state !== now.state) return `it is now ${now.state}, planned as ${planned.state}`;
  if (planned.state === "absent" || now.state === "absent") return undefined;
  if (planned.managedBy !== now.managedBy)
    return `its owner tag is now ${show(now.managedBy)}, planned as ${show(planned.managedBy)}`;
  if (planned.protected !== now.protected) return `its protect tag changed since it was read`;
  // A rotation-owned value may be rotated at any time; no plan writes it after create (planner.ts).
  if (planned.valueOwner !== "rotation" && planned.versionId !== now.versionId)
    return `a new version (${show(now.versionId)}) was written since it was read`;
  if (planned.description !== now.description) return "its description changed since it was read";
  if (planned.kmsKeyId !== now.kmsKeyId) return "its KMS key changed since it was read";
  return undefined;
}

function show(v: string | null): string {
  return v === null ? "none" : `'${v}'`;
}
