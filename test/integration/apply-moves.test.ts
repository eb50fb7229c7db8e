// Ownership can move between `plan --out` and `apply plan.json`, and again between apply's fresh read
// and its write. Either way the secret that moved is not written to: moves made before apply
// starts are caught by the fresh plan (an ownership error, exit 1, or a saved plan that no longer
// matches, exit 3), with zero writes to any secret; moves made while apply runs — injected when the
// proxy sees the pre-write DescribeSecret of that secret — fail that secret with SecretChanged while
// the other secrets are applied. Moves are made with the SDK straight to moto, so every write the
// proxy counts is sopsync's.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteSecretCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applySucceeded } from "../../src/apply/outcome.js";
import { valueToken } from "../../src/apply/tokens.js";
import type { Plan } from "../../src/plan/model.js";
import { openTargets } from "../../src/run/targets.js";
import { applyRun } from "../../src/run/workflow.js";
import { describe as describeSecret, getString, smClient, tagsOf } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { type FaultProxy, LOCK_SECRET_PREFIX, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { awsEnv, MOTO_ACCOUNT, type Moto, TEST_REGION } from "../helpers/moto.js";
import { type ManifestSpec, startProxiedMoto, stopProxiedMoto, versionsOf, writeManifest } from "../apply/cli-fixtures.js";

const CANARY = "canary-moves-e4a19c";
const SCOPE = "moves";
const OTHER = "other-team";
const value = (name: string, round: string) => `${CANARY}-${round}-${name}`;
const NAMES = ["m/a", "m/b", "m/c", "m/d", "m/p"];

const spec = (round: (name: string) => string, names = NAMES): ManifestSpec => ({
  scopeId: SCOPE,
  prefix: "m/",
  secrets: Object.fromEntries(names.map((n) => [n, value(n, round(n))])),
  protect: ["m/p"],
});
/** Every secret gets a new value. */
const allNew = () => spec(() => "2");

describe("ownership moves after planning are refused for the secret that moved", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let dir: string;
  let recipient: string;
  let env: Record<string, string>;
  const sm = () => smClient(moto.endpoint);
  let n = 0;
  /** Each manifest as secrets.yaml in its own folder: the name the project's .sops.yaml rule matches. */
  const manifest = (s: ManifestSpec) => {
    const sub = join(dir, `m${n++}`);
    mkdirSync(sub);
    return writeManifest(s, { dir: sub, recipient });
  };
  /** Write requests to each secret, lock aside, since the last cli() started. */
  let writesTo = new Map<string, number>();
  /** A move to make when the proxy sees this secret's DescribeSecret, before letting it through. */
  let onDescribe: { secret: string; move: () => Promise<void>; fired: boolean } | undefined;

  async function cli(args: string[]) {
    proxy.resetStats();
    writesTo = new Map();
    const r = await runCli(args, { env, cwd: dir });
    return { ...r, writes: proxy.writes({ excludeLock: true }) };
  }

  /** What a mover left on a secret, to show sopsync added nothing to it. */
  async function snapshot(name: string) {
    const d = await describeSecret(sm(), name);
    return { versions: await versionsOf(sm(), name), tags: tagsOf(d.Tags), deleted: d.DeletedDate !== undefined };
  }

  async function planOut(target: string) {
    const p = await cli(["plan", "--out", "plan.json", target]);
    expect(p.code, p.stderr).toBe(0);
    allOutput.push(readFileSync(join(dir, "plan.json"), "utf8"));
    return JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
  }

  const tagOwner = (name: string, owner: string) =>
    sm().send(new TagResourceCommand({ SecretId: name, Tags: [{ Key: "sopsync:managed-by", Value: owner }] }));
  const rewrite = (name: string) => sm().send(new PutSecretValueCommand({ SecretId: name, SecretString: value(name, "theirs") }));
  const unprotect = (name: string) => sm().send(new UntagResourceCommand({ SecretId: name, TagKeys: ["sopsync:protected"] }));
  const restore = (name: string) => sm().send(new RestoreSecretCommand({ SecretId: name }));

  beforeAll(async () => {
    ({ moto, proxy, dir, recipient, env } = await startProxiedMoto("moves", {
      onRequest: async ({ operation, secret }) => {
        if (WRITE_OPERATIONS.has(operation) && secret && !secret.startsWith(LOCK_SECRET_PREFIX))
          writesTo.set(secret, (writesTo.get(secret) ?? 0) + 1);
        // Planning reads with ListSecrets and BatchGetSecretValue; the only DescribeSecret of a
        // secret (none declares replicas) is apply's re-read right before its first write. Should a
        // write ever come first, the move is made right before that write instead.
        const reread = operation === "DescribeSecret" || WRITE_OPERATIONS.has(operation);
        if (reread && onDescribe && !onDescribe.fired && secret === onDescribe.secret) {
          onDescribe.fired = true;
          await onDescribe.move();
        }
        return undefined;
      },
    }));
    // Scene setting goes straight to moto, in-process.
    Object.assign(process.env, awsEnv(moto.endpoint), { SOPS_AGE_KEY_FILE: env.SOPS_AGE_KEY_FILE });
  });
  afterAll(() => stopProxiedMoto({ moto, proxy }));
  beforeEach(async () => {
    onDescribe = undefined;
    await moto.reset();
    const seeded = await applyRun(await openTargets([manifest(spec(() => "1"))]), undefined, { planOptions: {} });
    expect(seeded.results?.every(applySucceeded), "seeding").toBe(true);
  });

  describe("made after plan --out: the fresh plan refuses before any write", () => {
    it("(a) tag-only move: another scope's owner tag, no new version -> ownership error, exit 1", async () => {
      await planOut(manifest(allNew()));
      await tagOwner("m/a", OTHER);
      const moved = await snapshot("m/a");

      const r = await cli(["apply", "plan.json"]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/secret 'm\/a' is managed by another scope \('other-team'\); sopsync never takes it over/);
      expect(r.writes).toBe(0);
      expect(await snapshot("m/a")).toEqual(moved);
      expect(await getString(sm(), "m/b")).toBe(value("m/b", "1"));
    });

    it("(b) tag + new version by another scope -> ownership error, exit 1", async () => {
      await planOut(manifest(allNew()));
      await rewrite("m/a");
      await tagOwner("m/a", OTHER);
      const moved = await snapshot("m/a");

      const r = await cli(["apply", "plan.json"]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/secret 'm\/a' is managed by another scope \('other-team'\)/);
      expect(r.writes).toBe(0);
      expect(await snapshot("m/a")).toEqual(moved);
      expect(await getString(sm(), "m/a")).toBe(value("m/a", "theirs"));
    });

    it("(c) a secret the plan restores is restored and rewritten by someone else -> stale, exit 3", async () => {
      await sm().send(new DeleteSecretCommand({ SecretId: "m/c", RecoveryWindowInDays: 7 }));
      const plan = await planOut(manifest(allNew()));
      expect(plan.targets[0]?.changes.find((c) => c.name === "m/c")?.actions.map((a) => a.type)).toEqual([
        "restore",
        "update-value",
      ]);
      await restore("m/c");
      await rewrite("m/c");
      const moved = await snapshot("m/c");

      const r = await cli(["apply", "plan.json"]);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toMatch(/plan does not match the account or manifest any more/);
      expect(r.stderr).toMatch(/m\/c: planned against versionId .*, the account now shows "[0-9a-f-]+"/);
      expect(r.stderr).not.toMatch(/m\/[abdp]:/);
      expect(r.writes).toBe(0);
      expect(await snapshot("m/c")).toEqual(moved);
      expect(await getString(sm(), "m/c")).toBe(value("m/c", "theirs"));
    });

    it("(d) protect tag removed out of band from a secret the plan leaves alone -> stale, exit 3", async () => {
      await planOut(manifest(spec((name) => (name === "m/a" ? "2" : "1"))));
      await unprotect("m/p");
      const moved = await snapshot("m/p");

      const r = await cli(["apply", "plan.json"]);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      // The fresh plan would put the protect tag back; the reviewed plan did not say so.
      expect(r.stderr).toMatch(/m\/p: would tag, which the saved plan does not/);
      expect(r.writes).toBe(0);
      expect(await snapshot("m/p")).toEqual(moved);
      expect(await getString(sm(), "m/a")).toBe(value("m/a", "1"));
    });

    it("(d) protect tag removed out of band from a secret the plan updates -> stale, exit 3", async () => {
      await planOut(manifest(allNew()));
      await unprotect("m/p");
      const moved = await snapshot("m/p");

      const r = await cli(["apply", "plan.json"]);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toMatch(/m\/p: would also tag, which the saved plan does not/);
      expect(r.stderr).toMatch(/m\/p: planned against protected true, the account now shows false/);
      expect(r.writes).toBe(0);
      expect(await snapshot("m/p")).toEqual(moved);
      expect(await getString(sm(), "m/p")).toBe(value("m/p", "1"));
    });
  });

  describe("(e) made between apply's fresh read and its write: that secret fails with SecretChanged", () => {
    const moves: {
      label: string;
      secret: string;
      before?: () => Promise<unknown>;
      /** The manifest planned; by default every secret gets a new value. */
      target?: () => ManifestSpec;
      move: () => Promise<void>;
      why: RegExp;
    }[] = [
      {
        label: "tag-only move",
        secret: "m/a",
        move: async () => {
          await tagOwner("m/a", OTHER);
        },
        why: /its owner tag is now 'other-team', planned as 'moves'/,
      },
      {
        label: "tag + new version",
        secret: "m/a",
        move: async () => {
          await rewrite("m/a");
          await tagOwner("m/a", OTHER);
        },
        why: /its owner tag is now 'other-team', planned as 'moves'/,
      },
      {
        label: "restore + rewrite by another",
        secret: "m/c",
        before: () => sm().send(new DeleteSecretCommand({ SecretId: "m/c", RecoveryWindowInDays: 7 })),
        move: async () => {
          await restore("m/c");
          await rewrite("m/c");
        },
        why: /it is now present, planned as pending-deletion/,
      },
      {
        label: "protect tag removed",
        secret: "m/p",
        move: async () => {
          await unprotect("m/p");
        },
        why: /its protect tag changed since it was read/,
      },
      {
        // The other way round, on the delete phase: a secret the plan deletes is protected meanwhile.
        label: "protect tag added to a secret the plan deletes",
        secret: "m/d",
        target: () =>
          spec(
            () => "2",
            NAMES.filter((x) => x !== "m/d"),
          ),
        move: async () => {
          await sm().send(new TagResourceCommand({ SecretId: "m/d", Tags: [{ Key: "sopsync:protected", Value: "true" }] }));
        },
        why: /its protect tag changed since it was read/,
      },
    ];

    it.each(moves)("$label", async (m) => {
      await m.before?.();
      await planOut(manifest(m.target?.() ?? allNew()));
      let moved: Awaited<ReturnType<typeof snapshot>> | undefined;
      onDescribe = {
        secret: m.secret,
        fired: false,
        move: async () => {
          await m.move();
          moved = await snapshot(m.secret);
        },
      };

      const r = await cli(["apply", "plan.json"]);
      expect(onDescribe.fired, "the pre-write DescribeSecret was seen").toBe(true);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const line = r.stdout.split("\n").find((l) => l.includes(`! ${m.secret}:`)) ?? "";
      expect(line, r.stdout).toMatch(/recheck failed: SecretChanged: /);
      expect(line).toMatch(m.why);
      expect(line).toMatch(/nothing was written to it, run plan again/);
      expect(r.stdout).toMatch(/Apply: 4 applied, 1 failed, 0 not started/);
      expect(writesTo.get(m.secret) ?? 0, `writes to ${m.secret}`).toBe(0);
      expect(await snapshot(m.secret)).toEqual(moved);
      for (const other of NAMES.filter((x) => x !== m.secret)) {
        expect(writesTo.get(other), `writes to ${other}`).toBeGreaterThan(0);
        expect(await getString(sm(), other)).toBe(value(other, "2"));
      }
    });
  });

  it("(e) a secret whose value this plan wrote before a crash: nothing is left to write to it, even once it moved", async () => {
    const plan = await planOut(manifest(allNew()));
    // What an apply of this plan killed right after PutSecretValue leaves: the new value under this
    // plan's token, which is the whole of the write (no version tag follows it).
    const change = plan.targets[0]?.changes.find((c) => c.name === "m/a");
    if (!change) throw new Error("m/a is not in the plan");
    const token = valueToken(
      { planId: plan.planId, account: MOTO_ACCOUNT, region: TEST_REGION, scopeId: SCOPE },
      change,
      "update-value",
    );
    await sm().send(new PutSecretValueCommand({ SecretId: "m/a", SecretString: value("m/a", "2"), ClientRequestToken: token }));
    let moved: Awaited<ReturnType<typeof snapshot>> | undefined;
    onDescribe = {
      secret: "m/a",
      fired: false,
      move: async () => {
        await tagOwner("m/a", OTHER);
        moved = await snapshot("m/a");
      },
    };

    const r = await cli(["apply", "plan.json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Its write is recognised as done: no action is left for it, so it is neither re-read nor written.
    expect(onDescribe.fired, "no pre-write read of m/a").toBe(false);
    expect(writesTo.get("m/a") ?? 0, `writes to m/a: ${r.stdout}`).toBe(0);
    expect(moved).toBeUndefined();
  });

  it("no secret value appeared in any output or saved plan", () => {
    expect(allOutput.length).toBeGreaterThan(20);
    assertNoCanary(allOutput, { canary: CANARY });
  });
});
