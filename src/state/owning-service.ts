// Secrets created by another AWS service (RDS master-user secrets, Redshift, …). ListSecrets and
// DescribeSecret name that service in OwningService ("The ID of the service that created this secret":
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html,
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html). Such a
// secret is updated and rotated through its service ("For secrets created by other services, you might
// need to use the other service to update or rotate it":
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_update-secret.html, and
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/service-linked-secrets.html): writing its
// value here would break the service's credentials. So sopsync never writes, adopts or deletes one,
// whatever its tags say, and never reads its value.
import type { ListedSecret } from "../aws/port.js";

/** The owning service, when the listed secret belongs to one. */
export function owningServiceOf(l: Pick<ListedSecret, "owningService">): string | undefined {
  return l.owningService || undefined;
}

/** Why a declared service-owned secret is a plan error, naming the service. */
export function declaredServiceSecretMessage(name: string, service: string): string {
  return (
    `secret '${name}' is owned by ${service} (OwningService): it is updated and rotated through ${service}, ` +
    "and sopsync never writes, adopts or deletes it; remove it from the manifest"
  );
}

/** Why `sopsync import` leaves it out. */
export function serviceSecretSkipReason(service: string): string {
  return `owned by ${service} (OwningService): it is managed through ${service}, never by sopsync`;
}
