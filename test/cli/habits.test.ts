// Habits people bring from Terraform and the shell, through the CLI against moto (behind the counting
// proxy): `apply | tee log` asks on the terminal (confirmation follows stdin, under a real
// pseudo-terminal through util-linux `script`); re-applying an applied plan says so; folder mode takes
// only sops-encrypted sopsync manifests and says what it skipped, with --exclude; --quiet.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestText, type ProxiedMoto, startProxiedMoto, stopProxiedMoto, writeManifest } from "../apply/cli-fixtures.js";
import { getString, smClient } from "../helpers/aws.js";
import { allOutput, assertNoCanary, runCli } from "../helpers/cli.js";
import { cliCommand, onTerminal, shellQuote as quote } from "../helpers/terminal.js";

const CANARY = "canary-habits-7e2a";
/**
 * Runs `shell` (bash, pipefail) under a pseudo-terminal: stdin and stderr are the terminal; `$SOPSYNC`
 * is the CLI. Returns what the terminal showed.
 */
function runShellOnTerminal(shell: string, env: Record<string, string>, input: string, cwd: string) {
  const script = join(cwd, `term-${Date.now()}.sh`);
  writeFileSync(script, `set -o pipefail\nSOPSYNC=(${cliCommand()})\n${shell}\n`);
  return onTerminal(`bash ${quote(script)}`, { env, input, cwd });
}

let w: ProxiedMoto;
const cli = (args: string[], cwd = w.dir) => runCli(args, { env: w.env, cwd });
const writes = () => w.proxy.writes({ excludeLock: true });

beforeAll(async () => {
  w = await startProxiedMoto("habits", {});
}, 120_000);
afterAll(async () => {
  assertNoCanary(allOutput, { canary: CANARY });
  await stopProxiedMoto(w);
});

describe("confirmation follows stdin", () => {
  let file: string;
  beforeAll(() => {
    const dir = join(w.dir, "tty");
    mkdirSync(dir);
    file = writeManifest(
      { scopeId: "tty", prefix: "tty/", secrets: { "tty/a": `${CANARY}-a`, "tty/b": `${CANARY}-b` } },
      { dir, recipient: w.recipient },
    );
  });

  it("`apply | tee log` on a terminal asks there, keeps the question out of the log, and writes nothing on 'no'", async () => {
    const before = writes();
    const r = await runShellOnTerminal(`"\${SOPSYNC[@]}" apply ${quote(file)} | tee no.log`, w.env, "no\n", w.dir);
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/Apply these changes\? Only 'yes' will be accepted:/);
    expect(r.output).toMatch(/apply cancelled; nothing was changed/);
    expect(writes()).toBe(before);
    const log = readFileSync(join(w.dir, "no.log"), "utf8");
    expect(log).toMatch(/\+ tty\/a: create/);
    expect(log).not.toMatch(/Apply these changes/);
  });

  it("`apply | tee log` applies after 'yes'", async () => {
    const before = writes();
    const r = await runShellOnTerminal(`"\${SOPSYNC[@]}" apply ${quote(file)} | tee yes.log`, w.env, "yes\n", w.dir);
    expect(r.code, r.output).toBe(0);
    expect(writes() - before).toBe(2);
    expect(await getString(smClient(w.proxy.endpoint), "tty/b")).toBe(`${CANARY}-b`);
    expect(readFileSync(join(w.dir, "yes.log"), "utf8")).toMatch(/Apply: 2 applied, 0 failed, 0 not started/);
  });

  it("stdin off a terminal (stdout on one) refuses without --yes, as before", async () => {
    writeManifest(
      { scopeId: "tty", prefix: "tty/", secrets: { "tty/a": `${CANARY}-a2`, "tty/b": `${CANARY}-b` } },
      { dir: join(w.dir, "tty"), recipient: w.recipient },
    );
    const before = writes();
    const r = await runShellOnTerminal(`"\${SOPSYNC[@]}" apply ${quote(file)} < /dev/null`, w.env, "", w.dir);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/apply needs --yes when not run on a terminal/);
    expect(writes()).toBe(before);
  });
});

describe("re-applying an applied plan", () => {
  it("says 'Already applied, nothing to do', exit 0, no write", async () => {
    const dir = join(w.dir, "again");
    mkdirSync(dir);
    const secrets = { "again/a": `${CANARY}-a`, "again/b": `${CANARY}-b`, "again/c": `${CANARY}-c` };
    const file = writeManifest({ scopeId: "again", prefix: "again/", secrets }, { dir, recipient: w.recipient });
    expect((await cli(["apply", "--yes", file])).code).toBe(0);
    // A plan with a create, an update and a delete.
    const { "again/c": _c, ...kept } = secrets;
    writeManifest(
      { scopeId: "again", prefix: "again/", secrets: { ...kept, "again/b": `${CANARY}-b2`, "again/d": `${CANARY}-d` } },
      { dir, recipient: w.recipient },
    );
    const plan = join(dir, "plan.json");
    expect((await cli(["plan", "--out", plan, file])).code).toBe(0);
    const first = await cli(["apply", plan]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Apply: 3 applied, 0 failed, 0 not started/);
    const before = writes();
    const again = await cli(["apply", plan]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split("\n").at(-1)).toBe(
      "Already applied, nothing to do: the account already shows everything this plan does.",
    );
    expect(again.stdout).not.toMatch(/applied, 0 failed/);
    expect(writes()).toBe(before);
  });
});

describe("folder mode", () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(w.dir, "folder");
    mkdirSync(dir);
    // Written as secrets.yaml (the name the repository's .sops.yaml rule covers), then renamed:
    // the sops MAC does not cover the file name.
    for (const scope of ["fa", "fb"]) {
      const made = writeManifest(
        { scopeId: scope, prefix: `${scope}/`, secrets: { [`${scope}/x`]: `${CANARY}-${scope}` } },
        { dir, recipient: w.recipient },
      );
      renameSync(made, join(dir, `${scope.slice(1)}.yaml`));
    }
    // A saved plan, a values file of another tool, and a manifest nobody encrypted.
    const saved = await cli(["plan", "--out", join(dir, "plan.json"), join(dir, "a.yaml")]);
    expect(saved.code, saved.stderr).toBe(0);
    writeFileSync(join(dir, "values.yaml"), "replicaCount: 2\nimage: { tag: v1 }\n");
    writeFileSync(join(dir, "plain.yaml"), manifestText({ scopeId: "fc", prefix: "fc/", secrets: { "fc/x": "not secret" } }));
  }, 60_000);

  /** `at`: how the folder's files are spelled, `DIR/` or nothing for `.`. */
  const skipped = (at: string) => [
    `skipped ${at}plain.yaml: a sopsync manifest, but not encrypted with sops (no \`sops:\` metadata)`,
    `skipped ${at}plan.json: a saved plan`,
    `skipped ${at}values.yaml: not a sopsync manifest (no top-level \`sopsync:\` key)`,
  ];

  it("validate DIR takes the two manifests and says what it skipped and why", async () => {
    const r = await cli(["validate", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual(skipped(`${dir}/`));
    expect(r.stdout).toBe(`${dir}/a.yaml: ok (1 secret, scope fa)\n${dir}/b.yaml: ok (1 secret, scope fb)\n`);
  });

  it("plan . in the folder plans both manifests (the saved plan there is skipped, not read as a manifest)", async () => {
    const r = await cli(["plan", "."], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual(skipped(""));
    expect(r.stdout).toMatch(/^a\.yaml -> account \d{12}, eu-west-1 \(scope fa\)$/m);
    expect(r.stdout).toMatch(/^b\.yaml -> account \d{12}, eu-west-1 \(scope fb\)$/m);
  });

  it("--exclude leaves out files by name or path, and says so", async () => {
    const r = await cli(["plan", dir, "--exclude", "b.*", "--exclude", `${dir}/plain.yaml`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual([
      `skipped ${dir}/b.yaml: excluded by --exclude b.*`,
      `skipped ${dir}/plain.yaml: excluded by --exclude ${dir}/plain.yaml`,
      `skipped ${dir}/plan.json: a saved plan`,
      `skipped ${dir}/values.yaml: not a sopsync manifest (no top-level \`sopsync:\` key)`,
    ]);
    expect(r.stdout).toMatch(/\(scope fa\)/);
    expect(r.stdout).not.toMatch(/\(scope fb\)/);
  });

  it("validate takes --exclude too", async () => {
    const r = await cli(["validate", dir, "--exclude", "b.yaml"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.trim().split("\n")[0]).toBe(`skipped ${dir}/b.yaml: excluded by --exclude b.yaml`);
    expect(r.stdout).toBe(`${dir}/a.yaml: ok (1 secret, scope fa)\n`);
  });

  it("a folder with no manifest left is an error naming it", async () => {
    const r = await cli(["plan", dir, "--exclude", "*.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toBe(
      `Error: ${dir}: none of its 5 *.yaml, *.yml, *.json file(s) is a sops-encrypted sopsync manifest (\`sopsync:\` and \`sops:\` keys); pass the file`,
    );
  });
});

describe("--quiet", () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = join(w.dir, "quiet");
    mkdirSync(dir);
    file = writeManifest(
      { scopeId: "q", prefix: "q/", secrets: { "q/a": `${CANARY}-qa`, "q/b": `${CANARY}-qb` } },
      { dir, recipient: w.recipient },
    );
    writeFileSync(join(dir, "notes.yaml"), "todo: []\n");
  });

  it("plan --quiet prints the summary line only, nothing on stderr (not even a skipped file)", async () => {
    const r = await cli(["plan", "--quiet", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("Plan: 2 to create, 0 to update, 0 to delete, 0 in sync.\n");
    expect(r.stderr).toBe("");
    const sub = await cli(["plan", "--quiet", "--only", "q/a", file]);
    expect(sub.stdout).toBe("Plan: 1 to create, 0 to update, 0 to delete, 0 in sync. (subset: --only q/a, 1 of 2 secrets)\n");
  });

  it("--format json is the same document with --quiet", async () => {
    const loud = JSON.parse((await cli(["plan", "--format", "json", file])).stdout);
    const quiet = JSON.parse((await cli(["plan", "--format", "json", "--quiet", file])).stdout);
    for (const p of [loud, quiet]) {
      p.planId = "";
      p.createdAt = "";
    }
    expect(quiet).toEqual(loud);
  });

  it("apply --yes --quiet prints the one-line outcome only; a saved plan's too", async () => {
    const before = writes();
    const r = await cli(["apply", "--yes", "--quiet", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Plan: 2 to create, 0 to update, 0 to delete, 0 in sync\.\nApply: 2 applied, 0 failed, 0 not started \(2 write calls in [\d.]+s(, [\d.]+\/s)?\)\.\n$/,
    );
    expect(r.stderr).toBe("");
    expect(writes() - before).toBe(2);
    writeManifest(
      { scopeId: "q", prefix: "q/", secrets: { "q/a": `${CANARY}-qa2`, "q/b": `${CANARY}-qb` } },
      { dir, recipient: w.recipient },
    );
    const plan = join(dir, "plan.json");
    expect((await cli(["plan", "--quiet", "--out", plan, file])).stderr).toBe("");
    const saved = await cli(["apply", "--quiet", plan]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/^Apply: 1 applied, 0 failed, 0 not started \(\d+ write calls in [\d.]+s(, [\d.]+\/s)?\)\.\n$/);
    expect(saved.stderr).toBe("");
  });
});

describe("help", () => {
  it("shows no '(default: [])' for a list of files", async () => {
    for (const cmd of ["plan", "apply", "validate", "force-unlock"]) {
      const r = await runCli([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Arguments:");
      expect(r.stdout).not.toContain("default: []");
    }
  });
});
