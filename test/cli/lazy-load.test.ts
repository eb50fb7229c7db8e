// Start-up loads only what the command needs: `--version` no command module, `validate` of an age-only
// manifest no AWS SDK client. A module-resolution hook in the CLI's process lists every module it loads.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runProcess } from "../helpers/spawn.js";
import { projectRoot } from "../helpers/tools.js";

const tsxLoader = pathToFileURL(join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;
const entry = join(projectRoot, "src/cli/main.ts");
const ageKeyFile = join(projectRoot, "examples/demo-age-key.txt");
const demoRecipient = "age1squ8kav9tt4nww3lsnjpza55fvv7nf7au7xkg3wnfa0gsarmzygqj7jnuf";

/** Runs the CLI with a hook that appends each module URL it resolves to a file; returns those URLs. */
async function loadedModules(args: string[], cwd = projectRoot, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "sopsync-lazy-"));
  const log = join(dir, "modules.log");
  writeFileSync(log, "");
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + "\\n");
  return r;
}
`,
  );
  const register = join(dir, "register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = await runProcess(process.execPath, ["--import", tsxLoader, "--import", register, entry, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1", ...env },
  });
  const urls = readFileSync(log, "utf8").split("\n").filter(Boolean);
  return { ...r, urls };
}

const sdkClients = (urls: string[]) => [...new Set(urls.filter((u) => /@aws-sdk\/client-/.test(u)))];
const commandModules = (urls: string[]) =>
  [...new Set(urls.filter((u) => /\/src\/cli\/commands\//.test(u)).map((u) => u.replace(/.*\/commands\//, "")))].sort();

describe("lazy loading", () => {
  it("--version prints the version and loads no command module and no SDK client", async () => {
    const r = await loadedModules(["--version"]);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.urls.some((u) => u.endsWith("/src/cli/main.ts"))).toBe(true);
    expect(commandModules(r.urls)).toEqual([]);
    expect(sdkClients(r.urls)).toEqual([]);
  });

  it("validate of an age-only manifest loads validate's module and no AWS SDK client", async () => {
    const r = await loadedModules(["validate", "secrets.yaml"], projectRoot, { SOPS_AGE_KEY_FILE: ageKeyFile });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^secrets\.yaml: ok/);
    const commands = commandModules(r.urls);
    expect(commands).toContain("validate.ts");
    for (const other of ["completion.ts", "init.ts", "import.ts", "edit.ts", "rotate.ts"]) expect(commands).not.toContain(other);
    expect(sdkClients(r.urls)).toEqual([]);
    // An X25519 key opens the file without the age package (its post-quantum code costs more than the rest).
    expect(r.urls.filter((u) => /node_modules\/(age-encryption|@noble)\//.test(u))).toEqual([]);
  });

  it("sees an SDK client when a command does load one (init asks the SDK for the profile's region)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sopsync-lazy-init-"));
    const r = await loadedModules(["init", "--age", demoRecipient], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(sdkClients(r.urls).some((u) => u.includes("@aws-sdk/client-sts/"))).toBe(true);
  });

  it("help lists every command, so it registers them all", async () => {
    const r = await loadedModules(["--help"]);
    expect(r.code).toBe(0);
    expect(commandModules(r.urls)).toEqual(
      [
        "apply.ts",
        "completion.ts",
        "edit.ts",
        "force-unlock.ts",
        "import.ts",
        "init.ts",
        "plan.ts",
        "report.ts",
        "rotate.ts",
        "set.ts",
        "show.ts",
        "targets.ts",
        "updatekeys.ts",
        "validate.ts",
      ].sort(),
    );
    expect(sdkClients(r.urls)).toEqual([]);
  });
});
