// The executor and its read-back against the in-memory port (AWS's documented semantics), for issue
// 11: a key change carries the value in the same UpdateSecret, a create meeting someone else's secret
// is refused as stale, and what AWS accepted but does not hold is reported, not called applied.
import { describe, expect, it } from "vitest";
import { applyTarget } from "../../src/apply/execute.js";
import { requestToken, tokenContext } from "../../src/apply/tokens.js";
import type { DesiredSecret, DesiredState } from "../../src/manifest/model.js";
import type { Action, Precondition, SecretChange, TargetPlan } from "../../src/plan/model.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import { type MemoryPort, memoryPort } from "./memory-port.js";

const KEY_A = "arn:aws:kms:eu-west-1:123456789012:key/aaaa";
const KEY_B = "arn:aws:kms:eu-west-1:123456789012:key/bbbb";

function secret(name: string, text: string, over: Partial<DesiredSecret> = {}): DesiredSecret {
  return {
    name,
    value: { kind: "string", text },
    description: "",
    tags: {},
    recoveryWindowDays: 30,
    protect: false,
    adopt: false,
    at: { file: "secrets.yaml", line: 1, col: 1 },
    ...over,
  };
}

function desired(secrets: DesiredSecret[]): DesiredState {
  return {
    file: "secrets.yaml",
    manifests: [{ file: "secrets.yaml", sha256: "abc" }],
    target: {},
    scope: { id: "t", prefix: "p/" },
    recoveryWindowDays: 9,
    secrets,
  };
}

function planOf(changes: SecretChange[]) {
  const target: TargetPlan = {
    manifests: [{ file: "secrets.yaml", sha256: "abc" }],
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: "t", prefix: "p/" },
    changes,
    unmanaged: [],
    summary: { create: 0, update: 0, restore: 0, adopt: 0, delete: 0, noop: 0 },
  };
  return { tokens: tokenContext("plan-1", target), target };
}

/** An owned secret holding "A" at version v0, with `extra` fields. */
function seed(port: MemoryPort, name: string, extra: { kmsKeyId?: string; description?: string } = {}) {
  port.secrets.set(name, { name, tags: { [TAG_MANAGED_BY]: "t" }, versions: [{ id: "v0", value: { string: "A" } }], ...extra });
}

const owned = (extra: Partial<Exclude<Precondition, { state: "absent" }>> = {}): Precondition => ({
  state: "present",
  versionId: "v0",
  managedBy: "t",
  protected: false,
  description: "",
  kmsKeyId: null,
  ...extra,
});

const fast = { maxRps: 1e6 };
const rekey: Action[] = [
  { type: "update-metadata", kmsKeyId: { before: KEY_A, after: KEY_B } },
  { type: "update-value", valueKind: "string", cause: "kms-key-changed" },
];

describe("a KMS key change", () => {
  it("writes the value in the same UpdateSecret, under the new key, with this plan's token", async () => {
    const port = memoryPort();
    seed(port, "p/k", { kmsKeyId: KEY_A });
    const { tokens, target } = planOf([{ name: "p/k", actions: rekey, precondition: owned({ kmsKeyId: KEY_A }) }]);
    const r = await applyTarget(target, tokens, desired([secret("p/k", "A", { kmsKeyId: KEY_B })]), port, fast);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(r.verification).toEqual([]);
    expect(port.log.filter((l) => !l.startsWith("BatchGet"))).toEqual(["UpdateSecret p/k"]);
    const s = port.secrets.get("p/k");
    const token = requestToken(tokens, "p/k", "update-value", "v0");
    expect(s?.kmsKeyId).toBe(KEY_B);
    expect(s?.versions.map((v) => v.id)).toEqual(["v0", token]);
    expect(s?.tags[TAG_VERSION]).toBeUndefined();
  });

  it("an UpdateSecret repeated after a lost answer (AWS refuses the known token) is recognised as done", async () => {
    const port = memoryPort();
    port.redeliver.add("UpdateSecret");
    seed(port, "p/k", { kmsKeyId: KEY_A });
    const { tokens, target } = planOf([{ name: "p/k", actions: rekey, precondition: owned({ kmsKeyId: KEY_A }) }]);
    const r = await applyTarget(target, tokens, desired([secret("p/k", "A", { kmsKeyId: KEY_B })]), port, fast);
    expect(port.log.filter((l) => l === "UpdateSecret p/k")).toHaveLength(2);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(port.secrets.get("p/k")?.versions).toHaveLength(2);
  });

  it("a description change alone sends no value", async () => {
    const port = memoryPort();
    seed(port, "p/d");
    const change: SecretChange = {
      name: "p/d",
      actions: [{ type: "update-metadata", description: { before: "", after: "new" } }],
      precondition: owned(),
    };
    const { tokens, target } = planOf([change]);
    const r = await applyTarget(target, tokens, desired([secret("p/d", "A", { description: "new" })]), port, fast);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(port.secrets.get("p/d")?.versions.map((v) => v.id)).toEqual(["v0"]);
  });
});

describe("read-back of what is not a value", () => {
  it("reports a description, key, tag and policy that did not take effect, and the secret is not applied", async () => {
    const port = memoryPort();
    seed(port, "p/m", { description: "old", kmsKeyId: KEY_A });
    // A store that answers success and keeps what it had (moto does this with Description: "").
    port.updateSecret = async () => {};
    port.tagResource = async () => {};
    port.putResourcePolicy = async () => {};
    const change: SecretChange = {
      name: "p/m",
      actions: [
        { type: "update-metadata", description: { before: "old", after: "" } },
        { type: "put-policy", after: { Version: "2012-10-17", Statement: [] }, blockPublicPolicy: true },
        { type: "tag", tags: { team: { after: "x" } } },
      ],
      precondition: owned({ description: "old", kmsKeyId: KEY_A }),
    };
    const { tokens, target } = planOf([change]);
    const r = await applyTarget(target, tokens, desired([secret("p/m", "A")]), port, fast);
    expect(r.verification).toEqual([
      { name: "p/m", problem: 'its description is "old", not "" as written' },
      { name: "p/m", problem: 'tag "team" is missing' },
      { name: "p/m", problem: "no resource policy is attached" },
    ]);
    expect(r.outcomes[0]).toMatchObject({ status: "failed", failedAction: "read-back", code: "ReadBackMismatch" });
  });

  it("reads back a key by identity, a removed tag, a deletion and a restore, at one DescribeSecret each", async () => {
    const port = memoryPort();
    seed(port, "p/k", { kmsKeyId: "alias/b" });
    port.secrets.get("p/k")!.tags.gone = "1";
    port.describeKey = async (ref) => (ref === "alias/b" || ref === KEY_B ? KEY_B : undefined);
    seed(port, "p/del");
    seed(port, "p/res");
    port.secrets.get("p/res")!.deletedDate = new Date(0);
    const changes: SecretChange[] = [
      {
        name: "p/k",
        actions: [
          { type: "update-metadata", kmsKeyId: { before: "alias/b", after: KEY_B } },
          { type: "untag", tags: { gone: "1" } },
        ],
        precondition: owned({ kmsKeyId: "alias/b" }),
      },
      {
        name: "p/del",
        actions: [{ type: "delete", recoveryWindowDays: 9, recoveryWindowFrom: "defaults" }],
        precondition: owned(),
      },
      { name: "p/res", actions: [{ type: "restore" }], precondition: owned({ state: "pending-deletion" }) },
    ];
    // The store keeps the key as first given (alias/b), as Secrets Manager may report a key by any name.
    const update = port.updateSecret.bind(port);
    port.updateSecret = (input) => update({ ...input, kmsKeyId: undefined });
    let describes = 0;
    const describe = port.describeSecret.bind(port);
    port.describeSecret = (id) => {
      describes++;
      return describe(id);
    };
    const { tokens, target } = planOf(changes);
    const r = await applyTarget(target, tokens, desired([secret("p/k", "A"), secret("p/res", "A")]), port, fast);
    expect(r.verification).toEqual([]);
    expect(r.outcomes.map((o) => o.status)).toEqual(["applied", "applied", "applied"]);
    expect(describes).toBe(6); // the re-read before writing and the read-back, for each of the three
  });

  it("reports a deletion or restore that did not happen", async () => {
    const port = memoryPort();
    seed(port, "p/del");
    seed(port, "p/res");
    port.secrets.get("p/res")!.deletedDate = new Date(0);
    port.deleteSecret = async () => ({});
    port.restoreSecret = async () => {};
    const { tokens, target } = planOf([
      {
        name: "p/del",
        actions: [{ type: "delete", recoveryWindowDays: 9, recoveryWindowFrom: "defaults" }],
        precondition: owned(),
      },
      { name: "p/res", actions: [{ type: "restore" }], precondition: owned({ state: "pending-deletion" }) },
    ]);
    const r = await applyTarget(target, tokens, desired([secret("p/res", "A")]), port, fast);
    expect(r.verification).toContainEqual({ name: "p/del", problem: "it is not scheduled for deletion" });
    expect(r.verification).toContainEqual({ name: "p/res", problem: "it is still scheduled for deletion" });
  });
});
