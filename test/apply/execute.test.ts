// The executor against an in-memory port with AWS's documented semantics: ordering, tokens,
// recovery windows, repeated deliveries, re-runs after a crash, quota errors.
import { describe, expect, it } from "vitest";
import { applyTarget } from "../../src/apply/execute.js";
import { orderActions, phases } from "../../src/apply/order.js";
import { requestToken } from "../../src/apply/tokens.js";
import type { DesiredSecret, DesiredState } from "../../src/manifest/model.js";
import type { Action, Plan, SecretChange, TargetPlan } from "../../src/plan/model.js";
import type { LiveState } from "../../src/state/model.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import { type MemoryPort, memoryPort } from "./memory-port.js";

const at = { file: "secrets.yaml", line: 1, col: 1 };

function secret(name: string, text: string): DesiredSecret {
  return {
    name,
    value: { kind: "string", text },
    description: "",
    tags: {},
    replicas: [],
    recoveryWindowDays: 30,
    protect: false,
    adopt: false,
    at,
  };
}

function desired(secrets: DesiredSecret[]): DesiredState {
  return {
    file: "secrets.yaml",
    manifestSha256: "abc",
    target: {},
    scope: { id: "t", prefix: "p/" },
    recoveryWindowDays: 9,
    secrets,
  };
}

function planOf(changes: SecretChange[], planId = "plan-1"): { plan: Plan; target: TargetPlan } {
  const target: TargetPlan = {
    manifest: { file: "secrets.yaml", sha256: "abc" },
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: "t", prefix: "p/" },
    changes,
    unmanaged: [],
    summary: { create: 0, update: 0, restore: 0, adopt: 0, delete: 0, noop: 0 },
  };
  return { plan: { formatVersion: 1, planId, createdAt: "2026-01-01T00:00:00Z", targets: [target] }, target };
}

const create = (tags: Record<string, string> = { [TAG_MANAGED_BY]: "t" }): Action => ({
  type: "create",
  valueKind: "string",
  description: "",
  tags,
});
const updateValue: Action = { type: "update-value", valueKind: "string", cause: "manifest-changed" };
const del = (days = 9): Action => ({ type: "delete", recoveryWindowDays: days });

/** An owned secret holding `text` at version `v0-<name>`. */
function seed(port: MemoryPort, name: string, text: string, extra: { deleted?: boolean } = {}) {
  port.secrets.set(name, {
    name,
    tags: { [TAG_MANAGED_BY]: "t" },
    versions: [{ id: `v0-${name}`, value: { string: text } }],
    deletedDate: extra.deleted ? new Date(0) : undefined,
  });
}

function liveOf(port: MemoryPort): LiveState {
  const secrets = new Map();
  for (const s of port.secrets.values()) {
    secrets.set(s.name, {
      name: s.name,
      arn: s.name,
      description: s.description ?? "",
      tags: { ...s.tags },
      pendingDeletion: s.deletedDate !== undefined,
      versionId: s.deletedDate ? undefined : s.versions[s.versions.length - 1]?.id,
    });
  }
  return { account: "123456789012", region: "eu-west-1", secrets };
}

const fast = { maxRps: 1e6 };

describe("ordering", () => {
  it("puts restore first, values and metadata before tags, and delete last, whatever the plan says", () => {
    const shuffled: Action[] = [
      { type: "tag", tags: { a: { after: "1" } } },
      { type: "untag", tags: { b: "2" } },
      updateValue,
      { type: "add-replica", region: "us-east-1" },
      { type: "update-metadata", description: { before: "", after: "d" } },
      { type: "restore" },
      { type: "put-policy", after: {} },
    ];
    expect(orderActions(shuffled).map((a) => a.type)).toEqual([
      "restore",
      "update-metadata",
      "update-value",
      "put-policy",
      "add-replica",
      "tag",
      "untag",
    ]);
    expect(orderActions([{ type: "add-replica", region: "x" }, create()]).map((a) => a.type)).toEqual(["create", "add-replica"]);
  });

  it("runs every delete after every other change", async () => {
    const port = memoryPort();
    for (const n of ["p/a", "p/c", "p/e"]) seed(port, n, "old");
    const changes: SecretChange[] = [
      { name: "p/a", actions: [del()], precondition: { state: "present", versionId: "v0-p/a" } },
      { name: "p/b", actions: [create()], precondition: { state: "absent" } },
      { name: "p/c", actions: [del()], precondition: { state: "present", versionId: "v0-p/c" } },
      { name: "p/d", actions: [create()], precondition: { state: "absent" } },
      { name: "p/e", actions: [updateValue], precondition: { state: "present", versionId: "v0-p/e" } },
    ];
    expect(phases(changes).map((p) => p.map((c) => c.name))).toEqual([
      ["p/b", "p/d", "p/e"],
      ["p/a", "p/c"],
    ]);
    const { plan, target } = planOf(changes);
    const r = await applyTarget(plan, target, desired([secret("p/b", "B"), secret("p/d", "D"), secret("p/e", "E")]), port, fast);
    expect(r.outcomes.every((o) => o.status === "applied")).toBe(true);
    const firstDelete = port.log.findIndex((l) => l.startsWith("DeleteSecret"));
    const lastOther = Math.max(...port.log.map((l, i) => (!l.startsWith("DeleteSecret") && !l.startsWith("BatchGet") ? i : -1)));
    expect(firstDelete).toBeGreaterThan(lastOther);
  });
});

describe("writes", () => {
  it("creates with the plan's token as version, records it in a tag, and updates values with a new token per plan", async () => {
    const port = memoryPort();
    seed(port, "p/old", "A");
    const { plan, target } = planOf([
      { name: "p/new", actions: [create()], precondition: { state: "absent" } },
      { name: "p/old", actions: [updateValue], precondition: { state: "present", versionId: "v0-p/old" } },
    ]);
    const r = await applyTarget(plan, target, desired([secret("p/new", "N"), secret("p/old", "B")]), port, fast);
    expect(r.verification).toEqual([]);
    expect(r.calls).toBe(3); // create; put + version tag
    const created = port.secrets.get("p/new");
    expect(created?.versions.map((v) => v.id)).toEqual([requestToken("plan-1", "p/new", "create")]);
    expect(created?.tags[TAG_VERSION]).toBe(requestToken("plan-1", "p/new", "create"));
    const updated = port.secrets.get("p/old");
    expect(updated?.versions.map((v) => v.value.string)).toEqual(["A", "B"]);
    expect(updated?.tags[TAG_VERSION]).toBe(requestToken("plan-1", "p/old", "update-value"));
  });

  it("reverting A -> B -> A over two plans writes a new version each time", async () => {
    const port = memoryPort();
    seed(port, "p/x", "A");
    const one = planOf(
      [{ name: "p/x", actions: [updateValue], precondition: { state: "present", versionId: "v0-p/x" } }],
      "plan-1",
    );
    await applyTarget(one.plan, one.target, desired([secret("p/x", "B")]), port, fast);
    const two = planOf([{ name: "p/x", actions: [updateValue], precondition: { state: "present", versionId: "x" } }], "plan-2");
    const r = await applyTarget(two.plan, two.target, desired([secret("p/x", "A")]), port, fast);
    expect(r.verification).toEqual([]);
    expect(port.secrets.get("p/x")?.versions.map((v) => v.value.string)).toEqual(["A", "B", "A"]);
  });

  it("deletes with the plan's recovery window and refuses one outside 7..30 days without calling AWS", async () => {
    const port = memoryPort();
    seed(port, "p/a", "A");
    seed(port, "p/b", "B");
    const { plan, target } = planOf([
      { name: "p/a", actions: [del(9)], precondition: { state: "present", versionId: "v0-p/a" } },
      { name: "p/b", actions: [del(0)], precondition: { state: "present", versionId: "v0-p/b" } },
    ]);
    const r = await applyTarget(plan, target, desired([]), port, fast);
    expect(port.secrets.get("p/a")?.deletionWindow).toBe(9);
    expect(port.secrets.get("p/b")?.deletedDate).toBeUndefined();
    expect(port.log.filter((l) => l === "DeleteSecret p/b")).toEqual([]);
    expect(r.outcomes.find((o) => o.name === "p/b")).toMatchObject({ status: "failed", code: "InvalidPlan" });
  });

  it("restores a secret pending deletion before writing its value", async () => {
    const port = memoryPort();
    seed(port, "p/r", "old", { deleted: true });
    const { plan, target } = planOf([
      { name: "p/r", actions: [updateValue, { type: "restore" }], precondition: { state: "pending-deletion" } },
    ]);
    const r = await applyTarget(plan, target, desired([secret("p/r", "new")]), port, fast);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(port.log.slice(0, 2)).toEqual(["RestoreSecret p/r", "PutSecretValue p/r"]);
    expect(port.secrets.get("p/r")?.versions.at(-1)?.value.string).toBe("new");
  });
});

describe("repeated deliveries (an SDK retry after a lost response)", () => {
  it("a CreateSecret that already took effect is recognised by its token; no second version", async () => {
    const port = memoryPort();
    port.redeliver.add("CreateSecret");
    const { plan, target } = planOf([{ name: "p/n", actions: [create()], precondition: { state: "absent" } }]);
    const r = await applyTarget(plan, target, desired([secret("p/n", "N")]), port, fast);
    expect(port.log.filter((l) => l === "CreateSecret p/n")).toHaveLength(2);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(port.secrets.get("p/n")?.versions).toHaveLength(1);
  });

  it("a CreateSecret on a name someone else took is still a failure", async () => {
    const port = memoryPort();
    port.secrets.set("p/n", { name: "p/n", tags: {}, versions: [{ id: "theirs", value: { string: "x" } }] });
    const { plan, target } = planOf([{ name: "p/n", actions: [create()], precondition: { state: "absent" } }]);
    const r = await applyTarget(plan, target, desired([secret("p/n", "N")]), port, fast);
    expect(r.outcomes[0]).toMatchObject({ status: "failed", code: "ResourceExistsException" });
  });

  it("PutSecretValue and DeleteSecret delivered twice converge", async () => {
    const port = memoryPort();
    port.redeliver.add("PutSecretValue").add("DeleteSecret").add("TagResource");
    seed(port, "p/u", "A");
    seed(port, "p/d", "D");
    const { plan, target } = planOf([
      { name: "p/u", actions: [updateValue], precondition: { state: "present", versionId: "v0-p/u" } },
      { name: "p/d", actions: [del()], precondition: { state: "present", versionId: "v0-p/d" } },
    ]);
    const r = await applyTarget(plan, target, desired([secret("p/u", "B")]), port, fast);
    expect(r.outcomes.map((o) => o.status)).toEqual(["applied", "applied"]);
    expect(port.secrets.get("p/u")?.versions.map((v) => v.value.string)).toEqual(["A", "B"]);
    expect(port.secrets.get("p/d")?.deletedDate).toBeInstanceOf(Date);
  });
});

describe("re-running a saved plan after a crash", () => {
  it("skips the writes the live state shows this plan already made, and finishes the rest", async () => {
    const port = memoryPort();
    seed(port, "p/u1", "A");
    seed(port, "p/u2", "A");
    seed(port, "p/d", "D");
    const changes: SecretChange[] = [
      { name: "p/c1", actions: [create()], precondition: { state: "absent" } },
      { name: "p/c2", actions: [create()], precondition: { state: "absent" } },
      { name: "p/d", actions: [del()], precondition: { state: "present", versionId: "v0-p/d" } },
      { name: "p/u1", actions: [updateValue], precondition: { state: "present", versionId: "v0-p/u1" } },
      { name: "p/u2", actions: [updateValue], precondition: { state: "present", versionId: "v0-p/u2" } },
    ];
    const { plan, target } = planOf(changes);
    const want = desired([secret("p/c1", "C1"), secret("p/c2", "C2"), secret("p/u1", "B"), secret("p/u2", "B")]);
    // The first run died after creating p/c1, putting p/u1's value (not its tag) and deleting p/d.
    port.failWith.set("CreateSecret p/c2", "Crash").set("PutSecretValue p/u2", "Crash").set("TagResource p/u1", "Crash");
    await applyTarget(plan, target, want, port, fast);
    port.failWith.clear();
    port.log.length = 0;

    const events: string[] = [];
    const r = await applyTarget(plan, target, want, port, {
      ...fast,
      live: liveOf(port),
      onAction: (e) => events.push(`${e.skipped ? "skip" : "run"} ${e.action} ${e.name}`),
    });
    expect(r.outcomes.every((o) => o.status === "applied")).toBe(true);
    expect(r.verification).toEqual([]);
    expect(events.sort()).toEqual([
      "run create p/c2",
      "run update-value p/u2",
      "skip create p/c1",
      "skip delete p/d",
      "skip update-value p/u1",
    ]);
    expect(port.log.filter((l) => !l.startsWith("BatchGet")).sort()).toEqual([
      "CreateSecret p/c2",
      "PutSecretValue p/u2",
      "TagResource p/u1",
      "TagResource p/u2",
    ]);
    for (const n of ["p/u1", "p/u2"]) expect(port.secrets.get(n)?.versions.map((v) => v.value.string)).toEqual(["A", "B"]);
    for (const n of ["p/c1", "p/c2"]) expect(port.secrets.get(n)?.versions).toHaveLength(1);
  });
});

describe("failures", () => {
  it("reports AWS's code and message per secret, and stops starting new work after a quota error", async () => {
    const port = memoryPort();
    port.failWith.set("CreateSecret p/a", "LimitExceededException");
    const changes: SecretChange[] = ["p/a", "p/b", "p/c"].map((name) => ({
      name,
      actions: [create()],
      precondition: { state: "absent" },
    }));
    const { plan, target } = planOf(changes);
    const r = await applyTarget(plan, target, desired(["p/a", "p/b", "p/c"].map((n) => secret(n, "v"))), port, {
      ...fast,
      concurrency: 1,
    });
    expect(r.outcomes[0]).toMatchObject({ status: "failed", code: "LimitExceededException", failedAction: "create" });
    expect((r.outcomes[0] as { message: string }).message).toMatch(/quota was reached \(not retried\)/);
    expect(r.outcomes.slice(1).map((o) => o.status)).toEqual(["not-started", "not-started"]);
    expect(port.log.filter((l) => l.startsWith("CreateSecret"))).toEqual(["CreateSecret p/a"]);
  });

  it("an ordinary failure of one secret leaves the others applied", async () => {
    const port = memoryPort();
    port.failWith.set("CreateSecret p/a", "AccessDeniedException");
    const changes: SecretChange[] = ["p/a", "p/b"].map((name) => ({
      name,
      actions: [create()],
      precondition: { state: "absent" },
    }));
    const { plan, target } = planOf(changes);
    const r = await applyTarget(plan, target, desired(["p/a", "p/b"].map((n) => secret(n, "v"))), port, fast);
    expect(r.outcomes.map((o) => o.status)).toEqual(["failed", "applied"]);
    expect(r.outcomes[0]).toMatchObject({
      code: "AccessDeniedException",
      message: "injected AccessDeniedException",
    });
  });

  it("read-back reports a value that differs and a version that is not ours", async () => {
    const port = memoryPort();
    const { plan, target } = planOf([{ name: "p/n", actions: [create()], precondition: { state: "absent" } }]);
    const want = desired([secret("p/n", "N")]);
    // Someone writes between our create and the read-back.
    const original = port.createSecret.bind(port);
    port.createSecret = async (input) => {
      const r = await original(input);
      port.secrets.get("p/n")?.versions.push({ id: "out-of-band", value: { string: "N" } });
      return r;
    };
    const r = await applyTarget(plan, target, want, port, fast);
    expect(r.verification).toEqual([
      {
        name: "p/n",
        problem: `the current version is out-of-band, not ${requestToken("plan-1", "p/n", "create")} written by this apply`,
      },
    ]);
  });
});
