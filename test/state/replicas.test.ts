// What the reader reads about replicas, against a recording SecretsPort (sopsync's own interface):
// replicas of primaries elsewhere are marked and their values never read; DescribeSecret only for
// declared secrets with `replicas:` and for owned secrets leaving the manifest; replica keys resolved
// in the replica's region. moto covers the wire in test/integration/replicas.test.ts.
import { describe, expect, it } from "vitest";
import type { LiveReplica, ListedSecret, SecretsPort } from "../../src/aws/port.js";
import { readLiveState } from "../../src/state/read.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { desiredState, secret } from "../plan/fixtures.js";

const HOME = "eu-west-1";
const US = "us-east-1";

function fakePort(listed: ListedSecret[], replicas: Record<string, LiveReplica[]>, keys: Record<string, string> = {}) {
  const calls: string[] = [];
  const unused = async (): Promise<never> => {
    throw new Error("the reader never writes");
  };
  const port: SecretsPort = {
    region: HOME,
    callerAccount: async () => "123456789012",
    async listSecrets(_f, onPage) {
      onPage?.(listed);
      return listed;
    },
    async batchGetValues(ids) {
      calls.push(...ids.map((id) => `BatchGetSecretValue ${id}`));
      return { values: ids.map((name) => ({ name, versionId: "v", value: { string: "x" } })), errors: [] };
    },
    getValue: unused,
    async describeSecret(id) {
      calls.push(`DescribeSecret ${id}`);
      return { name: id, tags: {}, versionStages: {}, replicas: replicas[id] ?? [] };
    },
    getResourcePolicy: unused,
    async describeKey(ref, region) {
      calls.push(`DescribeKey ${ref} in ${region ?? HOME}`);
      return keys[`${region ?? HOME} ${ref}`];
    },
    createSecret: unused,
    putSecretValue: unused,
    updateSecretVersionStage: unused,
    updateSecret: unused,
    tagResource: unused,
    untagResource: unused,
    putResourcePolicy: unused,
    deleteResourcePolicy: unused,
    replicateToRegions: unused,
    removeRegionsFromReplication: unused,
    deleteSecret: unused,
    rotateSecret: unused,
    cancelRotateSecret: unused,
    restoreSecret: unused,
    getRandomPassword: unused,
  };
  return { port, calls };
}

const ours = { [TAG_MANAGED_BY]: "team-a" };
const entry = (name: string, over: Partial<ListedSecret> = {}): ListedSecret => ({
  name,
  arn: `arn:${name}`,
  tags: ours,
  ...over,
});

describe("reading replicas", () => {
  it("marks replicas of primaries elsewhere and never reads their values; a primary here is ours", async () => {
    const f = fakePort([entry("app/replica", { primaryRegion: US }), entry("app/primary", { primaryRegion: HOME })], {});
    const live = await readLiveState(f.port, desiredState([secret("app/replica"), secret("app/primary")]));
    expect(live.secrets.get("app/replica")?.replicaOf).toBe(US);
    expect(live.secrets.get("app/primary")?.replicaOf).toBeUndefined();
    expect(f.calls).toEqual(["BatchGetSecretValue app/primary"]);
  });

  it("describes owned secrets leaving the manifest and declared ones with replicas, nothing else", async () => {
    const f = fakePort(
      [
        entry("app/in-sync"),
        entry("app/with-replicas"),
        entry("app/leaving"),
        entry("app/leaving-already", { deletedDate: new Date() }),
        entry("app/not-ours", { tags: {} }),
        entry("app/replica", { primaryRegion: US }),
      ],
      { "app/leaving": [{ region: US, status: "InSync" }] },
    );
    const live = await readLiveState(
      f.port,
      desiredState([secret("app/in-sync"), secret("app/with-replicas", { replicas: [] })], { scope: { id: "team-a" } }),
    );
    expect(f.calls.filter((c) => c.startsWith("DescribeSecret")).sort()).toEqual([
      "DescribeSecret app/leaving",
      "DescribeSecret app/with-replicas",
    ]);
    expect(live.secrets.get("app/leaving")?.replicas).toEqual([{ region: US, status: "InSync" }]);
  });

  it("resolves a replica's key references in the replica's region, once each, only when they differ as written", async () => {
    const keyArn = `arn:aws:kms:${US}:123456789012:key/k1`;
    const f = fakePort(
      [entry("app/a"), entry("app/b"), entry("app/c")],
      {
        "app/a": [{ region: US, kmsKeyId: keyArn, status: "InSync" }],
        "app/b": [{ region: US, kmsKeyId: "alias/rep", status: "InSync" }],
        "app/c": [{ region: US, kmsKeyId: "alias/other", status: "Failed" }],
      },
      { [`${US} alias/rep`]: keyArn },
    );
    const live = await readLiveState(
      f.port,
      desiredState([
        secret("app/a", { replicas: [{ region: US, kmsKeyId: "alias/rep" }] }),
        secret("app/b", { replicas: [{ region: US, kmsKeyId: "alias/rep" }] }), // same as written: no call
        secret("app/c", { replicas: [{ region: US, kmsKeyId: "alias/rep" }] }), // failed: re-added anyway
      ]),
    );
    expect(f.calls.filter((c) => c.startsWith("DescribeKey"))).toEqual([`DescribeKey alias/rep in ${US}`]);
    expect(live.replicaKmsKeyArns).toEqual({ [US]: { "alias/rep": keyArn } });
  });
});
