// `--only NAME|GLOB`: a plan of some secrets. In process, against the in-memory port, every id the
// reader asks about is recorded, so "the other secrets are not read" is checked exactly; through the
// CLI against moto (behind the counting proxy), a subset plan is saved, refused with another --only,
// applied with its own selection (deleting only selected secrets that left the manifest), and an
// edited selection in the saved file is refused before any write.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SecretsPort } from "../../src/aws/port.js";
import type { Plan } from "../../src/plan/model.js";
import { comparePlans } from "../../src/apply/compare.js";
import { selector } from "../../src/plan/selection.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import { newPlanIdentity, planTargets } from "../../src/run/workflow.js";
import type { RunTarget } from "../../src/run/targets.js";
import { memoryPort } from "../apply/memory-port.js";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";
import { getString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { desiredState, SCOPE, secret } from "../plan/fixtures.js";

describe("--only patterns", () => {
  it("* stays within one level, ** crosses levels, a plain name matches itself only", () => {
    const names = ["prod/db", "prod/db-ro", "prod/db/replica", "prod/api", "prodx", "dev/db", "prod/.hidden"];
    const pick = (...p: string[]) => names.filter(selector(p));
    expect(pick("prod/*")).toEqual(["prod/db", "prod/db-ro", "prod/api", "prod/.hidden"]);
    expect(pick("prod/**")).toEqual(["prod/db", "prod/db-ro", "prod/db/replica", "prod/api", "prod/.hidden"]);
    expect(pick("prod/db*")).toEqual(["prod/db", "prod/db-ro"]);
    expect(pick("prod/db")).toEqual(["prod/db"]);
    expect(pick("*/db")).toEqual(["prod/db", "dev/db"]);
    expect(pick("prod/api", "dev/*")).toEqual(["prod/api", "dev/db"]);
  });
});

describe("the saved-plan comparison", () => {
  it("compares a subset with a subset of the same patterns only", () => {
    const base: Plan = { formatVersion: 2, planId: "00000000-0000-4000-8000-000000000000", createdAt: "", targets: [] };
    const cmp = (saved: string[] | undefined, fresh: string[] | undefined) =>
      comparePlans({ ...base, ...(saved ? { only: saved } : {}) }, { ...base, ...(fresh ? { only: fresh } : {}) }, new Map())
        .differences;
    expect(cmp(["a/*", "b"], ["b", "a/*"])).toEqual([]);
    expect(cmp(undefined, undefined)).toEqual([]);
    expect(cmp(["a/*"], undefined)).toEqual(["the saved plan covers --only a/*, the fresh plan every secret"]);
    expect(cmp(undefined, ["a/*"])).toEqual(["the saved plan covers every secret, the fresh plan --only a/*"]);
    expect(cmp(["a/*"], ["a/**"])).toEqual(["the saved plan covers --only a/*, the fresh plan --only a/**"]);
  });
});

describe("a subset plan reads and plans the selected secrets only (in process)", () => {
  const N = 40;
  const name = (i: number) => `p/s${String(i).padStart(2, "0")}`;

  /** 40 owned secrets in sync; the manifest changes s00..s04, drops s05..s09, and adds p/new. */
  function setUp() {
    const port = memoryPort();
    for (let i = 0; i < N; i++) {
      port.secrets.set(name(i), {
        name: name(i),
        description: "",
        tags: { [TAG_MANAGED_BY]: SCOPE, [TAG_VERSION]: "v1" },
        versions: [{ id: "v1", value: { string: `value-of-${name(i)}` } }],
      });
    }
    const declared = [
      ...Array.from({ length: 5 }, (_, i) => secret(name(i), { value: { kind: "string", text: `changed-${i}` } })),
      ...Array.from({ length: N - 10 }, (_, i) => secret(name(i + 10))),
      secret("p/new"),
    ];
    const desired = desiredState(declared, { scope: { id: SCOPE, prefix: "p/" }, recoveryWindowDays: 7 });
    const asked: string[] = [];
    // Every id a call names, reads included (values, descriptions, policies).
    const spy: SecretsPort = Object.assign(Object.create(port) as SecretsPort, {
      batchGetValues: (ids: string[]) => {
        asked.push(...ids.map((id) => `BatchGetSecretValue ${id}`));
        return port.batchGetValues(ids);
      },
      getValue: (id: string) => {
        asked.push(`GetSecretValue ${id}`);
        return port.getValue(id);
      },
      describeSecret: (id: string) => {
        asked.push(`DescribeSecret ${id}`);
        return port.describeSecret(id);
      },
      getResourcePolicy: (id: string) => {
        asked.push(`GetResourcePolicy ${id}`);
        return port.getResourcePolicy(id);
      },
    });
    const target: RunTarget = { account: "123456789012", region: "eu-west-1", desired, port: spy };
    return { target, asked };
  }

  it("names only selected secrets in any call but the listing, and says 'n of total'", async () => {
    const { target, asked } = setUp();
    const only = ["p/s0[0-1]", "p/s05", "p/new"];
    const { plan } = await planTargets([target], {}, newPlanIdentity(), only);
    const t = plan.targets[0];
    expect(plan.only).toEqual(only);
    const selected = ["p/new", "p/s00", "p/s01", "p/s05"];
    expect(t?.changes.map((c) => c.name)).toEqual(selected);
    expect(t?.changes.map((c) => c.actions.map((a) => a.type).join(","))).toEqual([
      "create",
      "update-value",
      "update-value",
      "delete",
    ]);
    // 40 owned plus p/new declared: 41 secrets in all, 4 of them selected.
    expect(t?.subset).toEqual({ selected: 4, total: 41 });
    const named = new Set(asked.map((a) => a.split(" ")[1]));
    expect([...named].sort()).toEqual(["p/s00", "p/s01", "p/s05"]);
    expect(asked.filter((a) => a.startsWith("BatchGetSecretValue")).sort()).toEqual([
      "BatchGetSecretValue p/s00",
      "BatchGetSecretValue p/s01",
    ]);
  });

  it("a plan of every secret reads them all and deletes every secret that left (the contrast)", async () => {
    const { target, asked } = setUp();
    const { plan } = await planTargets([target], {}, newPlanIdentity());
    const t = plan.targets[0];
    expect(plan.only).toBeUndefined();
    expect(t?.subset).toBeUndefined();
    expect(t?.summary).toMatchObject({ create: 1, update: 5, delete: 5, noop: 30 });
    expect(asked.filter((a) => a.startsWith("BatchGetSecretValue"))).toHaveLength(35);
  });

  it("the guards weigh a subset's deletions against the whole scope", async () => {
    // Selecting only secrets that left the manifest: the selected part declares nothing, but the
    // manifest does, so this is no "empty manifest"; 5 of 40 owned is not more than 25%.
    const { target } = setUp();
    const { plan } = await planTargets([target], {}, newPlanIdentity(), ["p/s0[5-9]"]);
    expect(plan.targets[0]?.summary).toMatchObject({ delete: 5, create: 0, update: 0, noop: 0 });
    // --max-deletes still counts the subset's own deletions.
    await expect(planTargets([setUp().target], { maxDeletes: 2 }, newPlanIdentity(), ["p/s0[5-9]"])).rejects.toThrow(
      /deletes 5 secrets, more than --max-deletes 2/,
    );
  });
});

describe("--only through the CLI (moto behind the counting proxy)", () => {
  const CANARY = "canary-only-5c1e";
  let w: ProxiedMoto;
  const sm = () => smClient(w.proxy.endpoint);
  let file: string;
  const first = {
    "o/db": `${CANARY}-db-1`,
    "o/db-ro": `${CANARY}-ro-1`,
    "o/api": `${CANARY}-api-1`,
    "o/web/a": `${CANARY}-wa-1`,
    "o/web/b": `${CANARY}-wb-1`,
    "o/old": `${CANARY}-old-1`,
    // More owned secrets, so two deletions stay within the 25% guard.
    ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`o/k${i}`, `${CANARY}-k${i}`])),
  };
  const cli = (args: string[]) => runCli(args, { env: w.env, cwd: w.dir });

  beforeAll(async () => {
    w = await startProxiedMoto("only", {});
    file = writeManifest({ scopeId: "only", prefix: "o/", secrets: first }, { dir: w.dir, recipient: w.recipient });
    const seeded = await cli(["apply", "--yes", file]);
    expect(seeded.code, seeded.stderr).toBe(0);
    // Next manifest: db and api change, web/b and old leave.
    const { "o/web/b": _b, "o/old": _old, ...kept } = first;
    writeManifest(
      { scopeId: "only", prefix: "o/", secrets: { ...kept, "o/db": `${CANARY}-db-2`, "o/api": `${CANARY}-api-2` } },
      { dir: w.dir, recipient: w.recipient },
    );
  }, 120_000);
  afterAll(async () => {
    assertNoCanary(allOutput, { canary: CANARY });
    await stopProxiedMoto(w);
  });

  it("plan --only names the subset in text and markdown, and changes nothing else", async () => {
    const text = await cli(["plan", "--only", "o/db*", file]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[1]).toBe("  subset: --only o/db*, 2 of 12 secrets");
    expect(text.stdout).toMatch(/~ o\/db: update-value/);
    expect(text.stdout).not.toMatch(/o\/api|o\/old|o\/web/);
    expect(text.stdout).toMatch(/Plan: 0 to create, 1 to update, 0 to delete, 1 in sync\./);
    const md = await cli(["plan", "--only", "o/db*", "--format", "markdown", file]);
    expect(md.stdout).toContain("subset: `--only o/db*`, 2 of 12 secrets (the other secrets were not read or changed)");
    const json = JSON.parse((await cli(["plan", "--only", "o/db*", "--only", "o/api", "--format", "json", file])).stdout) as Plan;
    expect(json.only).toEqual(["o/db*", "o/api"]);
    expect(json.targets[0]?.subset).toEqual({ selected: 3, total: 12 });
  });

  it("a saved subset plan is applied with its own selection; deletes only the selected names that left", async () => {
    const out = join(w.dir, "subset.json");
    const planned = await cli(["plan", "--only", "o/web/*", "--only", "o/old", "--out", out, file]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("subset: --only o/web/* --only o/old, 3 of 12 secrets");
    const saved = JSON.parse(readFileSync(out, "utf8")) as Plan;
    expect(saved.only).toEqual(["o/web/*", "o/old"]);
    expect(saved.targets[0]?.changes.map((c) => [c.name, c.actions.map((a) => a.type)])).toEqual([
      ["o/old", ["delete"]],
      ["o/web/a", []],
      ["o/web/b", ["delete"]],
    ]);

    // Another selection on the command line is refused before anything is read.
    const before = w.proxy.writes({ excludeLock: true });
    const other = await cli(["apply", out, "--only", "o/db"]);
    expect(other.code).toBe(1);
    expect(other.stderr.split("\n")[0]).toBe(
      `Error: ${out} was made with --only o/web/* --only o/old, not --only o/db: apply it without --only (it keeps its own selection), or run plan again with --only o/db --out PLAN`,
    );
    expect(w.proxy.writes({ excludeLock: true })).toBe(before);

    // The same selection, in another order, is the same selection.
    const applied = await cli(["apply", out, "--only", "o/old", "--only", "o/web/*"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply: 2 applied, 0 failed, 0 not started/);
    for (const n of ["o/old", "o/web/b"]) {
      expect((await sm().send(new DescribeSecretCommand({ SecretId: n }))).DeletedDate, n).toBeDefined();
    }
    // Outside the selection: neither the changed values nor anything else was written.
    expect(await getString(sm(), "o/db")).toBe(first["o/db"]);
    expect(await getString(sm(), "o/api")).toBe(first["o/api"]);
    expect((await sm().send(new DescribeSecretCommand({ SecretId: "o/web/a" }))).DeletedDate).toBeUndefined();

    const again = await cli(["apply", out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split("\n").at(-1)).toBe(
      "Already applied, nothing to do: the account already shows everything this plan does.",
    );
    expect(again.stdout).not.toMatch(/Apply: \d+ applied/);
  });

  it("a saved plan of every secret cannot be narrowed, and an edited selection is refused before any write", async () => {
    const all = join(w.dir, "all.json");
    expect((await cli(["plan", "--out", all, file])).code).toBe(0);
    const before = w.proxy.writes({ excludeLock: true });
    const narrowed = await cli(["apply", all, "--only", "o/db"]);
    expect(narrowed.code).toBe(1);
    expect(narrowed.stderr.split("\n")[0]).toBe(
      `Error: ${all} is a plan of every secret; --only cannot narrow a saved plan: run plan again with --only o/db --out PLAN`,
    );

    // A subset plan whose selection was widened in the file: the fresh plan of that selection does
    // more than the saved changes, so nothing is written.
    const sub = join(w.dir, "db.json");
    expect((await cli(["plan", "--only", "o/db", "--out", sub, file])).code).toBe(0);
    const edited = JSON.parse(readFileSync(sub, "utf8")) as Plan;
    edited.only = ["o/**"];
    writeFileSync(sub, JSON.stringify(edited));
    const widened = await cli(["apply", sub]);
    expect(widened.code).toBe(3);
    expect(widened.stderr).toMatch(/plan does not match the account or manifest any more/);
    expect(widened.stderr).toMatch(/o\/api: would update-value, which the saved plan does not/);
    // A selection that is not a pattern does not pass the saved-plan check.
    edited.only = ["o/db\nx"];
    writeFileSync(sub, JSON.stringify(edited));
    const bad = await cli(["apply", sub]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a valid sopsync plan \(was it edited\?\)\n {2}at only\.0: a secret name or glob/);
    expect(w.proxy.writes({ excludeLock: true })).toBe(before);
  });

  it("refuses a pattern with characters no secret name or glob has", async () => {
    const r = await cli(["plan", "--only", "o/db x", file]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      'Error: --only "o/db x": not a secret name or glob (1-512 of A-Za-z0-9/_+=.@- and the glob characters * ? [ ] { } , !)',
    );
  });
});
