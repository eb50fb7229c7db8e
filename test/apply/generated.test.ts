// The executor with generated values, against the in-memory port: the value is made right before the
// write that carries it; a re-put keeps the live generated parts (a static key change, a KMS key
// change). A repeat under one token is tested against moto (test/integration/generated.test.ts).
import { describe, expect, it } from "vitest";
import { applyTarget } from "../../src/apply/execute.js";
import { requestToken, tokenContext } from "../../src/apply/tokens.js";
import type { DesiredSecret, DesiredState } from "../../src/manifest/model.js";
import type { Action, SecretChange, TargetPlan } from "../../src/plan/model.js";
import { TAG_MANAGED_BY } from "../../src/state/ownership.js";
import { memoryPort } from "./memory-port.js";

const at = { file: "secrets.yaml", line: 1, col: 1 };
const base = { description: "", tags: {}, recoveryWindowDays: 30, protect: false, adopt: false, at };
const whole: DesiredSecret = {
  ...base,
  name: "p/whole",
  value: { kind: "string", text: "" },
  generate: { form: "whole", options: { length: 20 } },
};
const creds: DesiredSecret = {
  ...base,
  name: "p/creds",
  value: { kind: "json", data: { username: "app2" } },
  generate: { form: "keys", keys: { password: { length: 30 } } },
};
const desired: DesiredState = {
  file: "secrets.yaml",
  manifests: [{ file: "secrets.yaml", sha256: "abc" }],
  target: {},
  scope: { id: "t" },
  recoveryWindowDays: 9,
  secrets: [whole, creds],
};
const present = { state: "present" as const, managedBy: "t", protected: false, description: "", kmsKeyId: null };

function planOf(changes: SecretChange[]) {
  const target: TargetPlan = {
    manifests: desired.manifests,
    target: { account: "123456789012", region: "eu-west-1" },
    scope: { id: "t" },
    changes,
    unmanaged: [],
    summary: { create: 0, update: 0, restore: 0, adopt: 0, delete: 0, noop: 0 },
  };
  return { tokens: tokenContext("plan-g", target), target };
}

const current = (port: ReturnType<typeof memoryPort>, name: string) => port.secrets.get(name)?.versions.at(-1);

describe("generated values at apply", () => {
  it("creates with a value generated right before CreateSecret", async () => {
    const port = memoryPort();
    const create = (valueKind: "string" | "json"): Action => ({
      type: "create",
      valueKind,
      description: "",
      tags: { [TAG_MANAGED_BY]: "t" },
    });
    const { tokens, target } = planOf([
      { name: "p/whole", precondition: { state: "absent" }, actions: [create("string")] },
      { name: "p/creds", precondition: { state: "absent" }, actions: [create("json")] },
    ]);
    const r = await applyTarget(target, tokens, desired, port, { maxRps: 1e6 });
    expect(
      r.outcomes.every((o) => o.status === "applied"),
      JSON.stringify(r),
    ).toBe(true);
    expect(r.verification).toEqual([]);
    expect(current(port, "p/whole")?.value.string).toHaveLength(20);
    const json = JSON.parse(current(port, "p/creds")?.value.string ?? "{}");
    expect(Object.keys(json).sort()).toEqual(["password", "username"]);
    expect(json.password).toHaveLength(30);
    expect(port.log.filter((l) => l.startsWith("GetRandomPassword"))).toHaveLength(2);
  });

  it("re-puts the static keys with the live generated key, and a key change with the live value", async () => {
    const port = memoryPort();
    port.secrets.set("p/creds", {
      name: "p/creds",
      tags: { [TAG_MANAGED_BY]: "t" },
      versions: [{ id: "v0", value: { string: '{"username":"app","password":"live-generated"}' } }],
    });
    port.secrets.set("p/whole", {
      name: "p/whole",
      tags: { [TAG_MANAGED_BY]: "t" },
      versions: [{ id: "w0", value: { string: "live-whole" } }],
    });
    const { tokens, target } = planOf([
      {
        name: "p/creds",
        precondition: { ...present, versionId: "v0" },
        actions: [{ type: "update-value", valueKind: "json", cause: "manifest-changed" }],
      },
      {
        name: "p/whole",
        precondition: { ...present, versionId: "w0" },
        actions: [
          { type: "update-metadata", kmsKeyId: { after: "alias/new" } },
          { type: "update-value", valueKind: "string", cause: "kms-key-changed" },
        ],
      },
    ]);
    const r = await applyTarget(target, tokens, desired, port, { maxRps: 1e6 });
    expect(
      r.outcomes.every((o) => o.status === "applied"),
      JSON.stringify(r),
    ).toBe(true);
    expect(JSON.parse(current(port, "p/creds")?.value.string ?? "{}")).toEqual({ username: "app2", password: "live-generated" });
    expect(current(port, "p/whole")).toEqual({
      id: requestToken(tokens, "p/whole", "update-value"),
      value: { string: "live-whole" },
    });
    expect(port.log.filter((l) => l.startsWith("GetRandomPassword"))).toEqual([]);
  });
});
