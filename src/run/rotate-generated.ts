// `sopsync rotate NAME` for a secret whose value is generated (`generate:`) and that declares no
// rotation: a fresh generated value is put as its new current version (apply/generated.ts). Shaped as
// a rotator for run/rotate.ts; listed after the rotation rotator, so a generated secret that also
// declares rotation is rotated by its rotation function instead.
import { putFreshValue } from "../apply/generated.js";
import { requestToken, tokenContext } from "../apply/tokens.js";
import type { SecretsPort } from "../aws/port.js";
import type { QuotaPacers } from "../aws/quotas.js";
import type { DesiredSecret } from "../manifest/model.js";
import type { RunTarget } from "./targets.js";

export const generatedRotator = {
  handles: (d: DesiredSecret): boolean => d.generate !== undefined,
  refusal: (): string | undefined => undefined,
  describe: (d: DesiredSecret): string =>
    d.generate?.form === "keys"
      ? `put a new value with freshly generated ${Object.keys(d.generate.keys).join(", ")} (static keys from the manifest)`
      : "put a freshly generated value",
  async run(input: {
    port: SecretsPort;
    target: RunTarget;
    secret: DesiredSecret;
    runId: string;
    pacers: QuotaPacers;
  }): Promise<string> {
    const { port, target, secret, runId, pacers } = input;
    // One run id per `rotate`: every retry of this run carries the same token, so a value that landed
    // is recognised rather than generated and written a second time.
    const token = requestToken(tokenContext(runId, { target, scope: target.desired.scope }), secret.name, "rotate-generated");
    const version = await putFreshValue(port, secret, token, target.desired.scope.id, pacers);
    return `new generated value (version ${version})`;
  },
};
