// One write call per value update (issue 15, item 6), through the CLI against real moto behind the
// counting proxy: sopsync's versions are told by their VersionId (state/own-version.ts), so an update
// is one PutSecretValue and a create one CreateSecret, with no TagResource of sopsync:version. Drift
// attribution from the VersionIds: a write without sopsync's token, a console-like UpdateSecret, a
// rotation function's version, and AWSCURRENT moved back to an older sopsync version are all changed outside sopsync;
// a secret written by a sopsync from before (only the sopsync:version tag) is still sopsync's.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan, SecretChange } from "../../src/plan/model.js";
import { TAG_MANAGED_BY, TAG_VERSION } from "../../src/state/ownership.js";
import {
  currentVersion,
  type ProxiedMoto,
  startProxiedMoto,
  stopProxiedMoto,
  versionsOf,
  writeManifest,
} from "../apply/cli-fixtures.js";
import { smClient, tagsOf } from "../helpers/aws.js";
import { documentedAws } from "../helpers/aws-behaviour.js";
import { LOCK_SECRET_PREFIX, WRITE_OPERATIONS } from "../helpers/fault-proxy.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";

const N = 20;
const SCOPE = "own-versions";
const names = Array.from({ length: N }, (_, i) => `ov/s${String(i).padStart(2, "0")}`);
const CANARIES = {
  one: "canary-ov-one-71f3",
  two: "canary-ov-two-0c2e",
  three: "canary-ov-three-9ad1",
  hand: "canary-ov-hand-4b4b",
};
const OWN = /^sopsync-g(\d+)-[0-9a-f]{40}$/;

describe("one write call per value update; attribution from the VersionId", () => {
  let w: ProxiedMoto;
  let n = 0;
  const sm = () => smClient(w.moto.endpoint);
  const cli = (...args: string[]) => runCli(args, { env: w.env, cwd: w.dir });
  const manifest = (values: Record<string, string>) => {
    const dir = join(w.dir, `m${n++}`);
    mkdirSync(dir);
    return writeManifest({ scopeId: SCOPE, prefix: "ov/", secrets: values }, { dir, recipient: w.recipient });
  };
  const all = (value: string) => Object.fromEntries(names.map((name) => [name, `${value}-${name}`]));
  const apply = async (file: string) => {
    const r = await cli("apply", "--yes", file);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r;
  };
  const planOf = async (file: string): Promise<SecretChange[]> => {
    const r = await cli("plan", "--format", "json", file);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as Plan).targets[0]?.changes ?? [];
  };
  const causeOf = (changes: SecretChange[], name: string) => {
    const a = changes.find((c) => c.name === name)?.actions.find((x) => x.type === "update-value");
    return a?.type === "update-value" ? a.cause : undefined;
  };
  const generationOf = async (name: string) => Number(OWN.exec(currentVersion(await versionsOf(sm(), name)) ?? "")?.[1]);
  /** Write calls to the secrets (the apply lock's own calls left out), per operation, on the wire. */
  let wire = new Map<string, number>();
  const secretWrites = () => {
    const count = (op: string) => wire.get(op) ?? 0;
    return {
      CreateSecret: count("CreateSecret"),
      PutSecretValue: count("PutSecretValue"),
      UpdateSecret: count("UpdateSecret"),
      TagResource: count("TagResource"),
      all: [...wire].filter(([op]) => WRITE_OPERATIONS.has(op)).reduce((sum, [, k]) => sum + k, 0),
    };
  };
  const resetWire = () => {
    wire = new Map();
  };

  beforeAll(async () => {
    // moto answers GetSecretValue with the version it last wrote, not AWSCURRENT: the layer's rules.
    w = await startProxiedMoto("own-versions", {
      behaviour: documentedAws(),
      onRequest: ({ operation, secret }) => {
        if (secret?.startsWith(LOCK_SECRET_PREFIX)) return undefined;
        wire.set(operation, (wire.get(operation) ?? 0) + 1);
        return undefined;
      },
    });
  });
  afterAll(async () => {
    assertNoCanary(allOutput, CANARIES);
    await stopProxiedMoto(w);
  });

  it(`${N} creates are ${N} CreateSecret and ${N} updates are ${N} PutSecretValue, no TagResource, counted on the wire`, async () => {
    resetWire();
    await apply(manifest(all(CANARIES.one)));
    expect(secretWrites()).toEqual({ CreateSecret: N, PutSecretValue: 0, UpdateSecret: 0, TagResource: 0, all: N });
    for (const name of names) expect(await generationOf(name)).toBe(1);

    resetWire();
    const two = manifest(all(CANARIES.two));
    expect(new Set((await planOf(two)).map((c) => causeOf([c], c.name)))).toEqual(new Set(["manifest-changed"]));
    resetWire();
    await apply(two);
    const updates = secretWrites();
    expect(updates).toEqual({ CreateSecret: 0, PutSecretValue: N, UpdateSecret: 0, TagResource: 0, all: N });
    // The figure for the report: write calls per updated secret.
    console.log(`write calls per updated secret: ${updates.all / N} (${updates.all} for ${N} updates)`);
    for (const name of names) expect(await generationOf(name)).toBe(2);
    const described = await sm().send(new DescribeSecretCommand({ SecretId: names[0] }));
    expect(tagsOf(described.Tags)[TAG_VERSION]).toBeUndefined();
    // In sync afterwards: the versions need no record to be sopsync's.
    expect((await planOf(two)).every((c) => c.actions.length === 0)).toBe(true);
  });

  it("a write without sopsync's token, a console-like UpdateSecret, a rotation function's version and a moved-back AWSCURRENT are changed outside", async () => {
    const [put, console_, rotated, untouched, movedBack] = names;
    if (!put || !console_ || !rotated || !untouched || !movedBack) throw new Error("names");
    // An SDK write: the SDK makes up a UUID token when none is given.
    await sm().send(new PutSecretValueCommand({ SecretId: put, SecretString: CANARIES.hand }));
    // The console's "edit secret value": UpdateSecret with the value, no token of sopsync's form.
    await sm().send(new UpdateSecretCommand({ SecretId: console_, SecretString: CANARIES.hand }));
    // What a rotation function does with the token RotateSecret hands it (a UUID when the caller gave
    // none): createSecret puts the new value as AWSPENDING, finishSecret moves AWSCURRENT onto it
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html).
    const rotationToken = randomUUID();
    await sm().send(
      new PutSecretValueCommand({
        SecretId: rotated,
        SecretString: CANARIES.hand,
        ClientRequestToken: rotationToken,
        VersionStages: ["AWSPENDING"],
      }),
    );
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: rotated,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: rotationToken,
        RemoveFromVersionId: currentVersion(await versionsOf(sm(), rotated)),
      }),
    );
    // Back to sopsync's first version: UpdateSecretVersionStage, AWSPREVIOUS moves to the newer one.
    const versions = await versionsOf(sm(), movedBack);
    const current = currentVersion(versions) ?? "";
    const previous = versions.find((v) => v.stages.includes("AWSPREVIOUS"))?.id ?? "";
    expect([OWN.exec(current)?.[1], OWN.exec(previous)?.[1]]).toEqual(["2", "1"]);
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: movedBack,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: previous,
        RemoveFromVersionId: current,
      }),
    );
    for (const name of [put, console_, rotated]) expect(OWN.test(currentVersion(await versionsOf(sm(), name)) ?? "")).toBe(false);

    const three = manifest(all(CANARIES.three));
    const changes = await planOf(three);
    expect(causeOf(changes, put)).toBe("changed-outside");
    expect(causeOf(changes, console_)).toBe("changed-outside");
    expect(causeOf(changes, movedBack)).toBe("changed-outside");
    expect(causeOf(changes, untouched)).toBe("manifest-changed");
    expect(causeOf(changes, rotated)).toBe("changed-outside");
    const text = await cli("plan", three);
    expect(text.stdout).toContain("changed outside sopsync");

    // The moved-back secret is rewritten by its one call, a generation above the version it replaces
    // (moto leaves AWSCURRENT on the moved-back version too, so the new one is found as the one added).
    const beforeApply = new Set((await versionsOf(sm(), movedBack)).map((v) => v.id));
    resetWire();
    await apply(three);
    expect(secretWrites()).toMatchObject({ PutSecretValue: N, TagResource: 0, all: N });
    const added = (await versionsOf(sm(), movedBack)).filter((v) => !beforeApply.has(v.id));
    expect(added.map((v) => OWN.exec(v.id)?.[1])).toEqual(["2"]);
    expect(await generationOf(untouched)).toBe(3);
  });

  it("a secret written by the previous sopsync (only the sopsync:version tag) is sopsync's: no drift, no write", async () => {
    const name = "ov/legacy";
    const token = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"; // a UUID, as the previous sopsync's tokens were
    await sm().send(
      new CreateSecretCommand({
        Name: name,
        SecretString: CANARIES.one,
        ClientRequestToken: token,
        Tags: [
          { Key: TAG_MANAGED_BY, Value: "legacy" }, // its own scope: the manifests above do not declare it
          { Key: "team", Value: "apply-test" },
          { Key: TAG_VERSION, Value: token },
        ],
      }),
    );
    const legacy = (value: string) => {
      const dir = join(w.dir, `l${n++}`);
      mkdirSync(dir);
      return writeManifest(
        { scopeId: "legacy", prefix: "ov/legacy", secrets: { [name]: value } },
        { dir, recipient: w.recipient },
      );
    };

    const same = legacy(CANARIES.one);
    expect(await planOf(same)).toEqual([expect.objectContaining({ name, actions: [] })]);
    resetWire();
    await apply(same);
    expect(secretWrites().all).toBe(0);
    // The manifest moves on: the tagged version is sopsync's, so it is the manifest that changed.
    const next = legacy(CANARIES.two);
    expect(causeOf(await planOf(next), name)).toBe("manifest-changed");
    resetWire();
    await apply(next);
    expect(secretWrites()).toMatchObject({ PutSecretValue: 1, TagResource: 0, all: 1 });
    const versions = await versionsOf(sm(), name);
    expect(OWN.exec(currentVersion(versions) ?? "")?.[1]).toBe("1");
    // The old tag stays (removing it would be a write of its own) and no longer decides: AWSCURRENT
    // moved back to the tagged version is changed outside, since a newer sopsync version is labelled.
    await sm().send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        RemoveFromVersionId: currentVersion(versions),
      }),
    );
    expect(causeOf(await planOf(legacy(CANARIES.three)), name)).toBe("changed-outside");
  });
});
