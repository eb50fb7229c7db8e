// A prefix's listing split into parallel chains sees exactly what one chain sees — declared secrets,
// owned ones to delete in every corner of the name space (each character a name may start with, the
// prefix itself as a name), one pending deletion, an unmanaged one — counted on the wire against moto.
import { CreateSecretCommand, DeleteSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapConcurrent } from "../../src/aws/pacing.js";
import { createSdkPort } from "../../src/aws/sdk-adapter.js";
import type { DesiredState } from "../../src/manifest/model.js";
import { planTarget } from "../../src/plan/planner.js";
import { QuotaPacers } from "../../src/aws/quotas.js";
import { readLiveState } from "../../src/state/read.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { smClient } from "../helpers/aws.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const SCOPE = "split";
const PREFIX = "split/";
/** 26 starts of 40 names each: 1,040 declared names, 11 pages for one chain (with the strays). */
const declaredNames = [..."abcdefghijklmnopqrstuvwxyz"].flatMap((c) => Array.from({ length: 40 }, (_, i) => `${PREFIX}${c}${i}`));
/** Owned, not declared: the plan deletes them, so the listing must find every one. */
const strays = [
  "split/",
  "split/Z1",
  "split/-dash",
  "split/.dot",
  "split/@at",
  "split/=eq",
  "split/+plus",
  "split/_u",
  "split//x",
  "split/9",
  "split/a39x",
];

function desired(): DesiredState {
  return {
    file: "split.yaml",
    manifests: [{ file: "split.yaml", sha256: "0".repeat(64) }],
    target: {},
    scope: { id: SCOPE, prefix: PREFIX },
    recoveryWindowDays: 7,
    secrets: declaredNames.map((name) => ({
      name,
      value: { kind: "string" as const, text: "v" },
      description: "",
      tags: {},
      recoveryWindowDays: 7,
      protect: false,
      adopt: false,
      at: { file: "split.yaml", line: 1, col: 1 },
    })),
  };
}

async function countedRead(namesPerChain?: number) {
  const calls: Record<string, number> = {};
  const port = await createSdkPort({
    region: TEST_REGION,
    onRequest: (op) => {
      calls[op] = (calls[op] ?? 0) + 1;
    },
  });
  // Every page takes its slot of the ListSecrets pacer: chains page at once, the quota is one.
  const pacers = new QuotaPacers();
  const take = pacers.take.bind(pacers);
  let listSlots = 0;
  pacers.take = (op, ...also) => {
    if (op === "ListSecrets") listSlots++;
    return take(op, ...also);
  };
  const live = await readLiveState(port, desired(), { namesPerChain, pacers });
  return { live, calls, listSlots };
}

describe("a prefix's listing in parallel chains", () => {
  let moto: Moto;

  beforeAll(async () => {
    moto = await startMoto();
    const sm = smClient(moto.endpoint);
    const owned = [{ Key: TAG_MANAGED_BY, Value: SCOPE }];
    await mapConcurrent([...declaredNames, ...strays], 16, (Name) =>
      sm.send(new CreateSecretCommand({ Name, SecretString: "v", Tags: owned })),
    );
    // Not ours, and outside the prefix: listed or not, never in the plan's deletes.
    for (const Name of ["split/b5-theirs", "splitx/a", "other/a"])
      await sm.send(new CreateSecretCommand({ Name, SecretString: "v" }));
    await sm.send(new DeleteSecretCommand({ SecretId: "split/c3", RecoveryWindowInDays: 7 }));
  }, 120_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it("sees the same secrets as one chain, with a few more calls", async () => {
    const one = await countedRead(Number.POSITIVE_INFINITY);
    const split = await countedRead(400);
    expect(one.calls.ListSecretsCommand).toBe(11);
    // Each owned secret leaving the manifest is described (its replicas go first).
    expect(one.calls.DescribeSecretCommand).toBe(strays.length);
    // 26 starts of 40 names in chains of at most 400 declared names and 10 prefixes (3 chains, of 5, 4
    // and 3 pages), the other 43 characters 10 a chain (5 chains of one page); the name "split/"
    // itself by DescribeSecret. 9 calls for the split (8 chains, 1 lookup), no more than the 11 pages.
    expect(split.calls.ListSecretsCommand).toBe(17);
    expect(split.calls.DescribeSecretCommand).toBe(strays.length + 1);
    expect(split.calls.BatchGetSecretValueCommand).toBe(one.calls.BatchGetSecretValueCommand);
    expect(one.listSlots).toBe(one.calls.ListSecretsCommand);
    expect(split.listSlots).toBe(split.calls.ListSecretsCommand);

    const names = (l: typeof one.live) => [...l.secrets.keys()].sort();
    expect(names(split.live)).toEqual(names(one.live));
    expect(names(split.live)).toEqual([...declaredNames, ...strays, "split/b5-theirs"].sort());
    for (const [name, s] of one.live.secrets) expect(split.live.secrets.get(name), name).toEqual(s);

    const plan = planTarget(desired(), split.live, { maxDeletes: strays.length });
    expect(plan.summary).toMatchObject({ restore: 1, create: 0, delete: strays.length });
  });
});
