// instrument(): what every sopsync SDK client gets, against a real moto. The SDK's logger middleware
// is taken out (it copied every answer, values included, through a masking filter for a logger that
// drops it); the calls still work, every attempt is counted, and the endpoint is known.
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instrument } from "../../src/aws/sdk-client.js";
import { type Moto, startMoto, TEST_REGION } from "../helpers/moto.js";

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** A logger that remembers what it is handed; the SDK's own middleware would hand it every call. */
function recordingLogger() {
  const seen: { level: string; args: unknown[] }[] = [];
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      seen.push({ level, args });
  return {
    seen,
    logger: { trace: log("trace"), debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
  };
}

describe("instrument", () => {
  it("takes out the SDK's per-call logging; calls, counts and the endpoint are unchanged", async () => {
    const plain = recordingLogger();
    const control = new SecretsManagerClient({ region: TEST_REGION, logger: plain.logger });
    await control.send(new CreateSecretCommand({ Name: "sdk-client/a", SecretString: "v-a" }));
    // Without instrument the SDK logs the call's input and output: what the test below must not see.
    expect(plain.seen.filter((s) => s.level === "info")).toHaveLength(1);

    const quiet = recordingLogger();
    const client = new SecretsManagerClient({ region: TEST_REGION, logger: quiet.logger });
    const ops: string[] = [];
    const observed = instrument(client, (op) => ops.push(op));
    await client.send(new CreateSecretCommand({ Name: "sdk-client/b", SecretString: "v-b" }));
    const r = await client.send(new BatchGetSecretValueCommand({ SecretIdList: ["sdk-client/a", "sdk-client/b"] }));
    expect((r.SecretValues ?? []).map((v) => [v.Name, v.SecretString]).sort()).toEqual([
      ["sdk-client/a", "v-a"],
      ["sdk-client/b", "v-b"],
    ]);
    // A failing call still fails as before, and is not logged either.
    await expect(client.send(new GetSecretValueCommand({ SecretId: "sdk-client/none" }))).rejects.toThrow(/can.t find/);
    expect(ops).toEqual(["CreateSecretCommand", "BatchGetSecretValueCommand", "GetSecretValueCommand"]);
    expect(observed.endpoint()).toBe(moto.endpoint);
    expect(quiet.seen.filter((s) => s.level === "info" || s.level === "error")).toEqual([]);
  });
});
