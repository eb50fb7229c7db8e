// The executor against an in-memory port with AWS's documented semantics: ordering, tokens,
// recovery windows, repeated deliveries, re-runs after a crash, quota errors.
import { describe, expect, it } from "vitest";
import { applyTarget } from "../../src/apply/execute.js";
import { orderActions, phases } from "../../src/apply/order.js";
import { requestToken, tokenContext } from "../../src/apply/tokens.js";
import type { DesiredSecret, DesiredState } from "../../src/manifest/model.js";
import type { Action, Precondition, SecretChange, TargetPlan } from "../../src/plan/model.js";
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
    manifests: [{ file: "secrets.yaml", sha256: "abc" }],
    target: {},
    scope: { id: "t", prefix: "p/" },
    recoveryWindowDays: 9,
    secrets,
  };
}

/** An owned secret as the planner saw it (seed's defaults), at version `versionId`. */
function owned(versionId: string | null, state: "present" | "pending-deletion" = "present"): Precondition {
  return { state, versionId, managedBy: "t", protected: false, description: "", kmsKeyId: null };
}

/** A target plan and the token context apply derives its request tokens from. */
function planOf(changes: SecretChange[], planId = "plan-1") {
  const target: TargetPlan = {
    manifests: [{ file: "secrets.yaml", sha256: "abc" }],
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: "t", prefix: "p/" },
    changes,
    unmanaged: [],
    summary: { create: 0, update: 0, restore: 0, adopt: 0, delete: 0, noop: 0 },
  };
  return { tokens: tokenContext(planId, target), target };
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
      { name: "p/a", actions: [del()], precondition: owned("v0-p/a") },
      { name: "p/b", actions: [create()], precondition: { state: "absent" } },
      { name: "p/c", actions: [del()], precondition: owned("v0-p/c") },
      { name: "p/d", actions: [create()], precondition: { state: "absent" } },
      { name: "p/e", actions: [updateValue], precondition: owned("v0-p/e") },
    ];
    expect(phases(changes).map((p) => p.map((c) => c.name))).toEqual([
      ["p/b", "p/d", "p/e"],
      ["p/a", "p/c"],
    ]);
    const { tokens, target } = planOf(changes);
    const r = await applyTarget(
      target,
      tokens,
      desired([secret("p/b", "B"), secret("p/d", "D"), secret("p/e", "E")]),
      port,
      fast,
    );
    expect(r.outcomes.every((o) => o.status === "applied")).toBe(true);
    const firstDelete = port.log.findIndex((l) => l.startsWith("DeleteSecret"));
    const lastOther = Math.max(...port.log.map((l, i) => (!l.startsWith("DeleteSecret") && !l.startsWith("BatchGet") ? i : -1)));
    expect(firstDelete).toBeGreaterThan(lastOther);
  });
});

describe("writes", () => {
  it("creates with the plan's token as version and updates values with a new token per plan, one write call each, no tag", async () => {
    const port = memoryPort();
    seed(port, "p/old", "A");
    const { tokens, target } = planOf([
      { name: "p/new", actions: [create()], precondition: { state: "absent" } },
      { name: "p/old", actions: [updateValue], precondition: owned("v0-p/old") },
    ]);
    const r = await applyTarget(target, tokens, desired([secret("p/new", "N"), secret("p/old", "B")]), port, fast);
    expect(r.verification).toEqual([]);
    expect(r.calls).toBe(2); // create; put — the version id is the record, no tag
    expect(port.log.filter((l) => !l.startsWith("BatchGet") && !l.startsWith("Describe"))).toEqual([
      "CreateSecret p/new",
      "PutSecretValue p/old",
    ]);
    const created = port.secrets.get("p/new");
    expect(created?.versions.map((v) => v.id)).toEqual([requestToken(tokens, "p/new", "create")]);
    expect(created?.tags[TAG_VERSION]).toBeUndefined();
    const updated = port.secrets.get("p/old");
    expect(updated?.versions.map((v) => v.value.string)).toEqual(["A", "B"]);
    expect(updated?.versions.at(-1)?.id).toBe(requestToken(tokens, "p/old", "update-value", "v0-p/old"));
    expect(updated?.tags[TAG_VERSION]).toBeUndefined();
  });

  it("reverting A -> B -> A over two plans writes a new version each time", async () => {
    const port = memoryPort();
    seed(port, "p/x", "A");
    const one = planOf([{ name: "p/x", actions: [updateValue], precondition: owned("v0-p/x") }], "plan-1");
    await applyTarget(one.target, one.tokens, desired([secret("p/x", "B")]), port, fast);
    const written = requestToken(one.tokens, "p/x", "update-value");
    const two = planOf([{ name: "p/x", actions: [updateValue], precondition: owned(written) }], "plan-2");
    const r = await applyTarget(two.target, two.tokens, desired([secret("p/x", "A")]), port, fast);
    expect(r.verification).toEqual([]);
    expect(port.secrets.get("p/x")?.versions.map((v) => v.value.string)).toEqual(["A", "B", "A"]);
  });

  it("deletes with the plan's recovery window and refuses one outside 7..30 days without calling AWS", async () => {
    const port = memoryPort();
    seed(port, "p/a", "A");
    seed(port, "p/b", "B");
    const { tokens, target } = planOf([
      { name: "p/a", actions: [del(9)], precondition: owned("v0-p/a") },
      { name: "p/b", actions: [del(0)], precondition: owned("v0-p/b") },
    ]);
    const r = await applyTarget(target, tokens, desired([]), port, fast);
    expect(port.secrets.get("p/a")?.deletionWindow).toBe(9);
    expect(port.secrets.get("p/b")?.deletedDate).toBeUndefined();
    expect(port.log.filter((l) => l === "DeleteSecret p/b")).toEqual([]);
    expect(r.outcomes.find((o) => o.name === "p/b")).toMatchObject({ status: "failed", code: "InvalidPlan" });
  });

  it("restores a secret pending deletion before writing its value", async () => {
    const port = memoryPort();
    seed(port, "p/r", "old", { deleted: true });
    const { tokens, target } = planOf([
      { name: "p/r", actions: [updateValue, { type: "restore" }], precondition: owned("v0-p/r", "pending-deletion") },
    ]);
    const r = await applyTarget(target, tokens, desired([secret("p/r", "new")]), port, fast);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(port.log.slice(0, 2)).toEqual(["RestoreSecret p/r", "PutSecretValue p/r"]);
    expect(port.secrets.get("p/r")?.versions.at(-1)?.value.string).toBe("new");
  });
});

describe("repeated deliveries (an SDK retry after a lost response)", () => {
  it("a CreateSecret that already took effect is recognised by its token; no second version", async () => {
    const port = memoryPort();
    port.redeliver.add("CreateSecret");
    const { tokens, target } = planOf([{ name: "p/n", actions: [create()], precondition: { state: "absent" } }]);
    const r = await applyTarget(target, tokens, desired([secret("p/n", "N")]), port, fast);
    expect(port.log.filter((l) => l === "CreateSecret p/n")).toHaveLength(2);
    expect(r.outcomes[0]?.status).toBe("applied");
    expect(port.secrets.get("p/n")?.versions).toHaveLength(1);
  });

  it("a CreateSecret on a name someone else took after the last re-read is still a failure", async () => {
    const port = memoryPort();
    const original = port.createSecret.bind(port);
    port.createSecret = async (input) => {
      port.secrets.set("p/n", { name: "p/n", tags: {}, versions: [{ id: "theirs", value: { string: "x" } }] });
      return original(input);
    };
    const { tokens, target } = planOf([{ name: "p/n", actions: [create()], precondition: { state: "absent" } }]);
    const r = await applyTarget(target, tokens, desired([secret("p/n", "N")]), port, fast);
    // Refused as stale for this secret (issue 11), like the re-read's refusal; never an update.
    expect(r.outcomes[0]).toMatchObject({ status: "failed", failedAction: "create", code: "SecretChanged" });
    expect(port.secrets.get("p/n")?.versions.map((v) => v.id)).toEqual(["theirs"]);
  });
});

describe("the re-read right before writing (DescribeSecret)", () => {
  it("leaves a secret alone when it moved on since it was planned: taken, re-owned, rewritten, unprotected", async () => {
    const port = memoryPort();
    port.secrets.set("p/taken", { name: "p/taken", tags: {}, versions: [{ id: "theirs", value: { string: "x" } }] });
    seed(port, "p/moved", "A");
    port.secrets.get("p/moved")!.tags[TAG_MANAGED_BY] = "other";
    seed(port, "p/rewritten", "A");
    port.secrets.get("p/rewritten")!.versions.push({ id: "by-hand", value: { string: "H" } });
    seed(port, "p/unprotected", "A");
    const { tokens, target } = planOf([
      { name: "p/taken", actions: [create()], precondition: { state: "absent" } },
      { name: "p/moved", actions: [updateValue], precondition: owned("v0-p/moved") },
      { name: "p/rewritten", actions: [updateValue], precondition: owned("v0-p/rewritten") },
      {
        name: "p/unprotected",
        actions: [del()],
        precondition: { ...owned("v0-p/unprotected"), protected: true } as Precondition,
      },
    ]);
    const want = desired(["p/taken", "p/moved", "p/rewritten"].map((n) => secret(n, "N")));
    const r = await applyTarget(target, tokens, want, port, fast);
    expect(r.outcomes.map((o) => [o.name, o.status, o.status === "failed" ? o.code : ""])).toEqual([
      ["p/taken", "failed", "SecretChanged"],
      ["p/moved", "failed", "SecretChanged"],
      ["p/rewritten", "failed", "SecretChanged"],
      ["p/unprotected", "failed", "SecretChanged"],
    ]);
    expect(port.log).toEqual([]); // writes only: DescribeSecret is a read
    const moved = r.outcomes.find((o) => o.name === "p/moved") as { message: string };
    expect(moved.message).toMatch(/owner tag is now 'other', planned as 't'/);
  });

  it("PutSecretValue and DeleteSecret delivered twice converge", async () => {
    const port = memoryPort();
    port.redeliver.add("PutSecretValue").add("DeleteSecret").add("TagResource");
    seed(port, "p/u", "A");
    seed(port, "p/d", "D");
    const { tokens, target } = planOf([
      { name: "p/u", actions: [updateValue], precondition: owned("v0-p/u") },
      { name: "p/d", actions: [del()], precondition: owned("v0-p/d") },
    ]);
    const r = await applyTarget(target, tokens, desired([secret("p/u", "B")]), port, fast);
    expect(r.outcomes.map((o) => o.status)).toEqual(["applied", "applied"]);
    expect(port.secrets.get("p/u")?.versions.map((v) => v.value.string)).toEqual(["A", "B"]);
    expect(port.secrets.get("p/d")?.deletedDate).toBeInstanceOf(Date);
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
    const { tokens, target } = planOf(changes);
    const r = await applyTarget(target, tokens, desired(["p/a", "p/b", "p/c"].map((n) => secret(n, "v"))), port, {
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
    const { tokens, target } = planOf(changes);
    const r = await applyTarget(target, tokens, desired(["p/a", "p/b"].map((n) => secret(n, "v"))), port, fast);
    expect(r.outcomes.map((o) => o.status)).toEqual(["failed", "applied"]);
    expect(r.outcomes[0]).toMatchObject({
      code: "AccessDeniedException",
      message: "injected AccessDeniedException",
    });
  });

  it("read-back reports a value that differs and a version that is not ours", async () => {
    const port = memoryPort();
    const { tokens, target } = planOf([{ name: "p/n", actions: [create()], precondition: { state: "absent" } }]);
    const want = desired([secret("p/n", "N")]);
    // Someone writes between our create and the read-back.
    const original = port.createSecret.bind(port);
    port.createSecret = async (input) => {
      const r = await original(input);
      port.secrets.get("p/n")?.versions.push({ id: "out-of-band", value: { string: "N" } });
      return r;
    };
    const r = await applyTarget(target, tokens, want, port, fast);
    expect(r.verification).toEqual([
      {
        name: "p/n",
        problem: `the current version is out-of-band, not ${requestToken(tokens, "p/n", "create")} written by this apply`,
      },
    ]);
  });
});
