// `sopsync show PLAN`: a plan saved by `plan --out` against moto, printed again in each format, is
// what that plan run printed; a hand-edited or malformed file is refused before anything of it is
// printed; and show never calls AWS (no request reaches the proxy in front of moto).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxiedMoto, startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";

const CANARIES = {
  kept: "canary-show-kept-4a4a",
  before: "canary-show-before-5b5b",
  after: "canary-show-after-6c6c",
  removed: "canary-show-removed-7d7d",
  added: "canary-show-added-8e8e",
};
const FORMATS = ["text", "markdown", "json"] as const;
const ESC = String.fromCharCode(27);

describe("sopsync show PLAN", () => {
  let w: ProxiedMoto;
  let manifest: string;
  const saved: Record<string, { file: string; stdout: string }> = {};

  const show = async (...args: string[]) => {
    w.proxy.resetStats();
    const r = await runCli(["show", ...args], { env: w.env, cwd: w.dir });
    // Offline whatever the outcome: not one request on the wire.
    expect(w.proxy.stats.requests, "requests made by show").toBe(0);
    return r;
  };
  const refused = async (file: string) => {
    const r = await show(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/internal|bug in sopsync/i);
    return r.stderr.split("\n");
  };
  const tampered = (name: string, edit: (plan: Record<string, unknown>) => void) => {
    const plan = JSON.parse(readFileSync(saved.json?.file as string, "utf8")) as Record<string, unknown>;
    edit(plan);
    const file = join(w.dir, name);
    writeFileSync(file, JSON.stringify(plan, null, 2));
    return file;
  };

  beforeAll(async () => {
    w = await startProxiedMoto("show", {});
    const spec = (secrets: Record<string, string>) => ({ scopeId: "show-test", prefix: "app/", secrets });
    manifest = writeManifest(
      spec({ "app/kept": CANARIES.kept, "app/changed": CANARIES.before, "app/removed": CANARIES.removed }),
      { dir: w.dir, recipient: w.recipient },
    );
    const applied = await runCli(["apply", "--yes", manifest], { env: w.env, cwd: w.dir });
    expect(applied.code, applied.stderr).toBe(0);
    // Now a plan with every kind of line: in sync, an update, a create and a delete.
    writeManifest(spec({ "app/kept": CANARIES.kept, "app/changed": CANARIES.after, "app/added": CANARIES.added }), {
      dir: w.dir,
      recipient: w.recipient,
    });
    for (const format of FORMATS) {
      const file = join(w.dir, `plan-${format}.json`);
      const r = await runCli(["plan", "--format", format, "--out", file, manifest], { env: w.env, cwd: w.dir });
      expect(r.code, r.stderr).toBe(0);
      saved[format] = { file, stdout: r.stdout };
    }
    expect(saved.text?.stdout).toContain("Plan: 1 to create, 1 to update, 1 to delete, 1 in sync.");
  }, 180_000);

  afterAll(async () => {
    await stopProxiedMoto(w ?? {});
  });

  for (const format of FORMATS) {
    it(`--format ${format} prints what 'plan --format ${format} --out' printed for the same plan`, async () => {
      const { file, stdout } = saved[format] as { file: string; stdout: string };
      const r = await show(file, "--format", format);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(stdout);
    });
  }

  it("--format json is the saved file itself, and text is the default", async () => {
    const { file } = saved.json as { file: string };
    expect((await show(file, "--format", "json")).stdout).toBe(readFileSync(file, "utf8"));
    expect((await show(saved.text?.file as string)).stdout).toBe(saved.text?.stdout);
  });

  it("colours only when asked to: never into a pipe, with FORCE_COLOR as plan does", async () => {
    const { file, stdout } = saved.text as { file: string; stdout: string };
    w.proxy.resetStats();
    const piped = await runCli(["show", file], { env: { ...w.env, NO_COLOR: "" }, cwd: w.dir });
    expect(piped.stdout).toBe(stdout);
    const forced = await runCli(["show", file], { env: { ...w.env, NO_COLOR: "", FORCE_COLOR: "1" }, cwd: w.dir });
    expect(forced.stdout).toContain(`${ESC}[`);
    expect(forced.stdout.replace(new RegExp(`${ESC}\\[\\d+m`, "g"), "")).toBe(stdout);
    expect(w.proxy.stats.requests).toBe(0);
  });

  it("refuses a plan with a field added by hand, naming the file and the field", async () => {
    const file = tampered("extra-field.json", (p) => {
      p.approvedBy = "someone";
    });
    const lines = await refused(file);
    expect(lines[0]).toBe(`Error: ${file}: not a valid sopsync plan (was it edited?)`);
    expect(lines[1]).toBe(`  at (top): unknown field(s) "approvedBy"`);
  });

  it("refuses a plan whose planId is not a UUID, without echoing it", async () => {
    const file = tampered("bad-id.json", (p) => {
      p.planId = "1234\n::warning::injected";
    });
    const lines = await refused(file);
    expect(lines[0]).toBe(`Error: ${file}: not a valid sopsync plan (was it edited?)`);
    expect(lines[1]).toBe("  at planId: a UUID");
    expect(lines.join("\n")).not.toContain("::warning::");
  });

  it("refuses a plan of another format version", async () => {
    const file = tampered("v99.json", (p) => {
      p.formatVersion = 99;
    });
    const lines = await refused(file);
    expect(lines[0]).toBe(
      `Error: ${file}: plan format version 99 is not supported (this sopsync reads version 2); run plan again`,
    );
  });

  it("refuses a manifest in the plan's place, and a missing file", async () => {
    expect((await refused(manifest))[0]).toBe(
      `Error: ${manifest}: not a readable plan file (not valid JSON); show prints a plan saved by 'sopsync plan --out FILE'`,
    );
    const missing = join(w.dir, "nosuch.json");
    expect((await refused(missing))[0]).toBe(`Error: ${missing}: not a readable plan file (no such file)`);
  });

  it("never prints a secret value", () => {
    expect(allOutput.length).toBeGreaterThan(10);
    assertNoCanary(allOutput, CANARIES);
    for (const format of FORMATS) assertNoCanary([readFileSync(saved[format]?.file as string, "utf8")], CANARIES);
  });
});
