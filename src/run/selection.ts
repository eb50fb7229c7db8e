// Reading one target for a plan of some secrets only (`--only`). The reader is handed the selected
// declared secrets and a port whose listing shows only selected names, so it reads no value, policy
// or replica of any other secret and plans no change (delete included) outside the selection. The
// listing itself is read in full, as for any plan, and counted here for the guards and "3 of 40".
import type { ListedSecret, SecretsPort } from "../aws/port.js";
import type { DesiredState } from "../manifest/model.js";
import { RESERVED_NAME_PREFIX } from "../manifest/schema.js";
import type { WholeScope } from "../plan/guards.js";
import { ownershipOf } from "../state/ownership.js";
import { owningServiceOf } from "../state/owning-service.js";
import { replicaOf } from "../state/replicas.js";

export interface SelectedRead {
  desired: DesiredState;
  port: SecretsPort;
  /** Filled in as the listing pages in; complete once the read is done. */
  whole: () => WholeScope;
}

export function selectedRead(desired: DesiredState, port: SecretsPort, selected: (name: string) => boolean): SelectedRead {
  const owned = new Set<string>();
  const onlySelected = (page: readonly ListedSecret[]) => page.filter((l) => selected(l.name));
  const listSecrets: SecretsPort["listSecrets"] = async (filter, onPage, pace) => {
    const all = await port.listSecrets(filter, onPage && ((page) => onPage(onlySelected(page))), pace);
    for (const l of all) {
      // Counted as the guards count owned secrets (plan/guards.ts); the apply lock is nobody's secret.
      if (l.name.startsWith(RESERVED_NAME_PREFIX) || l.deletedDate || replicaOf(l, port.region) || owningServiceOf(l)) continue;
      if (ownershipOf(l.tags, desired.scope.id) === "ours") owned.add(l.name);
    }
    return onlySelected(all);
  };
  // Every other call goes to the port itself (its methods keep their `this`).
  const narrowed = Object.assign(Object.create(port) as SecretsPort, { listSecrets });
  const declared = desired.secrets.map((s) => s.name);
  return {
    desired: { ...desired, secrets: desired.secrets.filter((s) => selected(s.name)) },
    port: narrowed,
    whole: () => ({ total: new Set([...declared, ...owned]).size, declared: declared.length, owned: owned.size }),
  };
}
