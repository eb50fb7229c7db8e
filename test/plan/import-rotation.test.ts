// Import of rotating secrets: the live rotation becomes the manifest's `rotation:`, which validates.
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import type { ListedSecret } from "../../src/aws/port.js";
import { buildImport } from "../../src/import/build.js";
import { manifestSchema } from "../../src/manifest/schema.js";

const LAMBDA = "arn:aws:lambda:eu-west-1:000000000001:function:rotate";
const listed = (name: string, rotation?: ListedSecret["rotation"]): ListedSecret => ({
  name,
  arn: `arn:aws:secretsmanager:eu-west-1:000000000001:secret:${name}-AbCdEf`,
  tags: {},
  ...(rotation ? { rotation } : {}),
});

describe("import of rotating secrets", () => {
  it("declares the live rotation as a config, `external` when it cannot be spelled as one, nothing when off", () => {
    const r = buildImport({
      scope: { id: "prod", prefix: "p/" },
      target: { region: "eu-west-1", account: "000000000001" },
      listed: [
        listed("p/days", { enabled: true, lambdaArn: LAMBDA, rules: { automaticallyAfterDays: 30 } }),
        listed("p/cron", {
          enabled: true,
          lambdaArn: LAMBDA,
          rules: { scheduleExpression: "cron(0 4 ? * MON *)", duration: "3h" },
        }),
        listed("p/managed", { enabled: true }),
        listed("p/off", { enabled: false, lambdaArn: LAMBDA }),
      ],
      values: new Map(["p/days", "p/cron", "p/managed", "p/off"].map((n) => [n, { string: "v" }])),
    });
    const doc = YAML.parse(r.plaintext, { version: "1.1" });
    expect(doc.secrets["p/days"].rotation).toEqual({ lambdaArn: LAMBDA, afterDays: 30 });
    expect(doc.secrets["p/cron"].rotation).toEqual({ lambdaArn: LAMBDA, schedule: "cron(0 4 ? * MON *)", duration: "3h" });
    expect(doc.secrets["p/managed"].rotation).toBe("external");
    expect(doc.secrets["p/off"].rotation).toBeUndefined();
    expect(manifestSchema.safeParse(doc).success).toBe(true);
  });
});
