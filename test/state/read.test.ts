// The reader's call pattern against a recording SecretsPort (sopsync's own interface, not the SDK):
// batching, never reading values of secrets pending deletion, the whole-batch fallback, exact-name
// lookups and one kms:DescribeKey per distinct key reference. moto covers the real wire in
// test/integration/plan-call-budget.test.ts.
import { describe, expect, it } from "vitest";
import type { FetchedValue, ListedSecret, ListFilter, SecretsPort } from "../../src/aws/port.js";
import { SopsyncError } from "../../src/errors.js";
import { readLiveState } from "../../src/state/read.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { desiredState, secret } from "../plan/fixtures.js";

interface FakeOptions {
  secrets: ListedSecret[];
  batchFails?: boolean;
  keys?: Record<string, string>;
}

function fakePort(o: FakeOptions) {
  const calls: string[] = [];
  /** List pages and value batches in the order they happened. */
  const events: string[] = [];
  const batches: string[][] = [];
  const lists: ListFilter[] = [];
  const byName = new Map(o.secrets.map((s) => [s.name, s]));
  const value = (name: string): FetchedValue => ({ name, versionId: `v-${name}`, value: { string: `value-${name}` } });
  const port: SecretsPort = {
    region: "eu-west-1",
    async callerAccount() {
      calls.push("GetCallerIdentity");
      return "123456789012";
    },
    async listSecrets(f, onPage) {
      calls.push("ListSecrets");
      lists.push(f);
      const found = o.secrets.filter(
        (s) =>
          (!f.namePrefixes || f.namePrefixes.some((p) => s.name.startsWith(p))) &&
          (!f.tagKey || f.tagKey in s.tags) &&
          (!f.tagValue || Object.values(s.tags).some((v) => v.startsWith(f.tagValue as string))) &&
          (!f.names || f.names.includes(s.name)),
      );
      // Pages of 100 as AWS sends them, with a turn of the event loop between pages.
      for (let i = 0; i < found.length; i += 100) {
        events.push("list page");
        onPage?.(found.slice(i, i + 100));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return found;
    },
    async batchGetValues(ids) {
      calls.push("BatchGetSecretValue");
      events.push("batch");
      batches.push(ids);
      if (o.batchFails) throw new Error("whole batch failed");
      const missing = ids.filter((id) => id.endsWith("-flaky"));
      return {
        values: ids.filter((id) => !missing.includes(id)).map(value),
        errors: missing.map((id) => ({ id, code: "InternalServiceError", message: "x" })),
      };
    },
    async getValue(id) {
      calls.push("GetSecretValue");
      if (byName.get(id)?.deletedDate) throw new Error("read of a secret pending deletion");
      return value(id);
    },
    async describeSecret(id) {
      calls.push("DescribeSecret");
      return { name: id, tags: {}, versionStages: {}, replicas: [{ region: "us-east-1" }] };
    },
    async getResourcePolicy() {
      calls.push("GetResourcePolicy");
      return undefined;
    },
    async describeKey(ref) {
      calls.push(`DescribeKey ${ref}`);
      return o.keys?.[ref];
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
  return { port, calls, events, batches, lists };
}

async function unused(): Promise<never> {
  throw new Error("the reader never writes");
}

const owned = (name: string, over: Partial<ListedSecret> = {}): ListedSecret => ({
  name,
  arn: `arn:${name}`,
  tags: { [TAG_MANAGED_BY]: "team-a" },
  ...over,
});
const count = (calls: string[], op: string) => calls.filter((c) => c.startsWith(op)).length;

describe("readLiveState", () => {
  it("reads values 20 per BatchGetSecretValue and never for secrets pending deletion", async () => {
    const names = Array.from({ length: 45 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    const f = fakePort({ secrets: names.map((n, i) => owned(n, i < 3 ? { deletedDate: new Date() } : {})) });
    const live = await readLiveState(f.port, desiredState(names.map((n) => secret(n))));
    expect(f.batches.map((b) => b.length)).toEqual([20, 20, 2]);
    expect(f.batches.flat()).not.toContain("s00");
    expect(live.secrets.get("s00")?.pendingDeletion).toBe(true);
    expect(live.secrets.get("s00")?.value).toBeUndefined();
    expect(live.secrets.get("s10")?.value).toEqual({ string: "value-s10" });
    expect(count(f.calls, "GetSecretValue")).toBe(0);
  });

  it("falls back to GetSecretValue for a batch that fails as a whole, and for ids a batch reports as errors", async () => {
    const f = fakePort({ secrets: ["a", "b", "c"].map((n) => owned(n)), batchFails: true });
    const live = await readLiveState(f.port, desiredState(["a", "b", "c"].map((n) => secret(n))));
    expect(count(f.calls, "GetSecretValue")).toBe(3);
    expect(live.secrets.get("b")?.versionId).toBe("v-b");
    const g = fakePort({ secrets: ["a", "b-flaky"].map((n) => owned(n)) });
    const live2 = await readLiveState(g.port, desiredState(["a", "b-flaky"].map((n) => secret(n))));
    expect(count(g.calls, "GetSecretValue")).toBe(1);
    expect(live2.secrets.get("b-flaky")?.value).toEqual({ string: "value-b-flaky" });
  });

  it("without a prefix: lists our scope by tag, then looks up undeclared-by-tag names exactly, 10 per call", async () => {
    const mine = Array.from({ length: 5 }, (_, i) => owned(`mine-${i}`));
    const theirs = owned("theirs", { tags: { [TAG_MANAGED_BY]: "team-ab" } }); // tag-value prefix match: filtered out
    const f = fakePort({ secrets: [...mine, theirs, { name: "plain-3", arn: "x", tags: {} }] });
    const declared = [
      ...mine.map((s) => secret(s.name)),
      ...Array.from({ length: 12 }, (_, i) => secret(`plain-${i}`, { adopt: true })),
    ];
    const live = await readLiveState(f.port, desiredState(declared));
    expect(f.lists[0]).toEqual({ tagKey: TAG_MANAGED_BY, tagValue: "team-a" });
    expect(f.lists.slice(1).map((l) => l.names?.length)).toEqual([10, 2]);
    expect([...live.secrets.keys()].sort()).toEqual([...mine.map((s) => s.name), "plain-3"].sort());
    expect(live.secrets.has("theirs")).toBe(false);
  });

  it("with a prefix: one listing of the prefix, no name lookups", async () => {
    const f = fakePort({ secrets: [owned("app/a"), { name: "app/hand", arn: "x", tags: {} }, owned("other/b")] });
    const live = await readLiveState(
      f.port,
      desiredState([secret("app/a"), secret("app/new")], { scope: { id: "team-a", prefix: "app/" } }),
    );
    expect(f.lists).toEqual([{ namePrefixes: ["app/"] }]);
    expect([...live.secrets.keys()]).toEqual(["app/a", "app/hand"]);
  });

  it("never takes the apply lock's secret for one of the scope's, even under a prefix that lists it", async () => {
    const lock = { name: "sopsync-lock/team-a", arn: "x", tags: { "sopsync:lock": "team-a" } };
    const f = fakePort({ secrets: [owned("sopsync-app/a"), lock] });
    const live = await readLiveState(
      f.port,
      desiredState([secret("sopsync-app/a")], { scope: { id: "team-a", prefix: "sopsync-" } }),
    );
    expect([...live.secrets.keys()]).toEqual(["sopsync-app/a"]);
  });

  it("reads values while the listing pages in, still 20 per batch across page boundaries", async () => {
    const names = Array.from({ length: 250 }, (_, i) => `app/s${String(i).padStart(3, "0")}`);
    const f = fakePort({ secrets: names.map((n) => owned(n)) });
    const live = await readLiveState(
      f.port,
      desiredState(
        names.map((n) => secret(n)),
        { scope: { id: "team-a", prefix: "app/" } },
      ),
    );
    expect(f.events.filter((e) => e === "list page")).toHaveLength(3);
    // The first batches go out before the last page has arrived.
    expect(f.events.indexOf("batch")).toBeLessThan(f.events.lastIndexOf("list page"));
    expect(f.batches.map((b) => b.length)).toEqual([...Array(12).fill(20), 10]);
    expect(new Set(f.batches.flat()).size).toBe(250);
    expect(live.secrets.get("app/s249")?.value).toEqual({ string: "value-app/s249" });
  });

  it("reads policies and replicas only for secrets that declare them; replicas also while pending deletion", async () => {
    const f = fakePort({ secrets: [owned("p"), owned("r", { deletedDate: new Date() }), owned("plain")] });
    const live = await readLiveState(
      f.port,
      desiredState([secret("p", { policy: null }), secret("r", { replicas: [], policy: null }), secret("plain")]),
    );
    expect(count(f.calls, "GetResourcePolicy")).toBe(1);
    expect(count(f.calls, "DescribeSecret")).toBe(1);
    expect(live.secrets.get("p")?.policy).toBeNull();
    expect(live.secrets.get("r")?.policy).toBeUndefined();
    expect(live.secrets.get("r")?.replicas).toEqual([{ region: "us-east-1" }]);
  });

  it("resolves KMS key references with one DescribeKey each, only when they do not match as written", async () => {
    const arn = "arn:aws:kms:eu-west-1:123456789012:key/k-1";
    const f = fakePort({
      secrets: [
        owned("a", { kmsKeyId: arn }),
        owned("b", { kmsKeyId: arn }),
        owned("c", { kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:alias/same" }),
        owned("d"),
      ],
      keys: { "alias/platform": arn },
    });
    const live = await readLiveState(
      f.port,
      desiredState([
        secret("a", { kmsKeyId: "alias/platform" }),
        secret("b", { kmsKeyId: "alias/platform" }),
        secret("c", { kmsKeyId: "alias/same" }),
        secret("d", { kmsKeyId: "alias/platform" }),
      ]),
    );
    expect(f.calls.filter((c) => c.startsWith("DescribeKey"))).toEqual(["DescribeKey alias/platform"]);
    expect(live.kmsKeyArns).toEqual({ "alias/platform": arn });
  });

  it("refuses another account before listing anything", async () => {
    const f = fakePort({ secrets: [owned("a")] });
    await expect(readLiveState(f.port, desiredState([secret("a")], { target: { account: "999999999999" } }))).rejects.toThrow(
      SopsyncError,
    );
    expect(f.calls).toEqual(["GetCallerIdentity"]);
  });
});
