// `sopsync apply` on a terminal (a real pseudo-terminal through util-linux `script`): it shows the
// plan and asks; anything but "yes" writes nothing; "yes" applies with a progress line (count, rate,
// ETA) instead of one line per action.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary } from "../helpers/cli.js";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.js";
import { type Moto, startMoto } from "../helpers/moto.js";
import { cliCommand, onTerminal } from "../helpers/terminal.js";
import { generateAgeKey } from "../helpers/tools.js";
import { writeManifest } from "../apply/cli-fixtures.js";

const CANARY = "canary-tty-90f1d3";
/** Runs the CLI with a pseudo-terminal as stdin/stdout/stderr, typing `input`. */
const runOnTerminal = (args: string[], env: Record<string, string>, input: string) =>
  onTerminal(cliCommand(args), { env: { HOME: process.env.HOME ?? "/tmp", ...env }, input });

describe("apply on a terminal", () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let env: Record<string, string>;
  let file: string;

  beforeAll(async () => {
    moto = await startMoto({ setProcessEnv: false });
    proxy = await startFaultProxy({ target: moto.endpoint });
    const dir = mkdtempSync(join(tmpdir(), "sopsync-tty-"));
    const key = generateAgeKey(dir);
    env = { ...moto.env, ...proxy.env, SOPS_AGE_KEY_FILE: key.file };
    const secrets = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t/s${i}`, `${CANARY}-${i}`]));
    file = writeManifest({ scopeId: "tty", prefix: "t/", secrets }, { dir, recipient: key.recipient });
  });
  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it("shows the plan, asks, and writes nothing unless the answer is yes", async () => {
    proxy.resetStats();
    const r = await runOnTerminal(["apply", file], env, "no\n");
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/\+ t\/s0: create/);
    expect(r.output).toMatch(/Apply these changes\? Only 'yes' will be accepted:/);
    expect(r.output).toMatch(/apply cancelled; nothing was changed/);
    expect(proxy.writes({ excludeLock: true })).toBe(0);
  });

  it("applies after yes, with a progress line rather than one line per action", async () => {
    proxy.resetStats();
    const r = await runOnTerminal(["apply", file], env, "yes\n");
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/30\/30 actions · [\d.]+\/s · ETA 0s/);
    expect(r.output).not.toMatch(/^ok {3}create/m);
    expect(r.output).toMatch(/Apply: 30 applied, 0 failed, 0 not started/);
    expect(proxy.writes({ excludeLock: true })).toBe(30);
    expect(await getString(smClient(moto.endpoint), "t/s7")).toBe(`${CANARY}-7`);
    assertNoCanary(allOutput, { canary: CANARY });
  });
});
