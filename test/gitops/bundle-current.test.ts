// The action runs action/sopsync.mjs and the chunks it imports from action/chunks/, a committed bundle
// of the CLI (scripts/bundle.ts): every file of it must be exactly what the sources and the locked
// dependencies build today, none more and none less, or users run stale code.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { BUNDLE_DIR, BUNDLE_ENTRY, BUNDLE_PATH, type BundleFile, buildBundle, CHUNKS_DIR } from "../../scripts/bundle.js";
import { runProcess } from "../helpers/spawn.js";
import { startMoto, TEST_REGION } from "../helpers/moto.js";
import { projectRoot } from "../helpers/tools.js";
import { MANIFEST_YAML } from "../sops/fixtures.js";
import { sopsEncryptFile } from "../sops/helpers.js";
import { readAction } from "./workflow-steps.js";

const committed = join(projectRoot, BUNDLE_DIR);

/** Every file under `dir`, relative to it, "/"-separated, sorted. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => f.replaceAll("\\", "/"))
    .sort();
}

/** The committed bundle copied alone into a new folder, as the action's checkout holds it. */
function bundleCopy(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(committed, dir, { recursive: true });
  return dir;
}

/** The files `--version` reads: the entry and, transitively, what it imports statically. */
function startupFiles(files: BundleFile[]): BundleFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const seen = new Map<string, BundleFile>();
  const queue = [BUNDLE_ENTRY];
  for (let p = queue.pop(); p !== undefined; p = queue.pop()) {
    const f = byPath.get(p);
    if (!f) throw new Error(`${p} is imported but was not written`);
    if (seen.has(p)) continue;
    seen.set(p, f);
    queue.push(...f.staticImports);
  }
  return [...seen.values()];
}

let fresh: BundleFile[] | undefined;

describe(BUNDLE_PATH, () => {
  it("is byte for byte what npm run bundle builds now: every file, none missing, none extra", async () => {
    const out = mkdtempSync(join(tmpdir(), "sopsync-bundle-"));
    // A chunk an older build left behind: the build writes the folder afresh.
    mkdirSync(join(out, CHUNKS_DIR));
    writeFileSync(join(out, CHUNKS_DIR, "chunk-STALE000.mjs"), "export const stale = 1;\n");
    fresh = await buildBundle(out);
    expect(fresh.map((f) => f.path)).toContain(BUNDLE_ENTRY);
    expect(filesUnder(out)).toEqual(fresh.map((f) => f.path));

    const built = filesUnder(out);
    const have = filesUnder(committed);
    const missing = built.filter((f) => !have.includes(f));
    const extra = have.filter((f) => !built.includes(f));
    const differ = built.filter((f) => have.includes(f) && !readFileSync(join(out, f)).equals(readFileSync(join(committed, f))));
    // Not expect(...).toEqual: a 1.4 MB diff says nothing; the remedy does, and which files are off.
    const off = [
      ...missing.map((f) => `missing ${f}`),
      ...extra.map((f) => `extra ${f}`),
      ...differ.map((f) => `different ${f}`),
    ];
    if (off.length > 0) {
      throw new Error(
        `the committed bundle is not current: run npm run bundle (in ${BUNDLE_DIR}/: ${off.slice(0, 6).join(", ")})`,
      );
    }
  });

  it("starts without reading any command, the AWS SDK or the manifest libraries: --version reads under 100 KB", async () => {
    const files = fresh ?? (await buildBundle(mkdtempSync(join(tmpdir(), "sopsync-bundle-"))));
    const startup = startupFiles(files);
    const inputs = startup.flatMap((f) => f.inputs);
    expect(inputs).toContain("src/cli/main.ts");
    expect(
      inputs.filter((i) => /^src\/cli\/commands\/|^node_modules\/(@aws-sdk|@smithy|yaml|zod|age-encryption)\//.test(i)),
    ).toEqual([]);
    // Each command is a chunk of its own, read when the entry's import() of it runs.
    expect(files.filter((f) => f.inputs.includes("src/cli/commands/validate.ts"))).toHaveLength(1);
    const bytes = startup.reduce((n, f) => n + f.bytes, 0);
    const total = files.reduce((n, f) => n + f.bytes, 0);
    // One file, it was all of it (1.4 MB); the entry and its static imports are about 46 KB today.
    expect(bytes).toBeLessThan(100_000);
    expect(total).toBeGreaterThan(10 * bytes);
  });

  it("takes only `default` from a CommonJS module it loads with import(): esbuild's chunk of one has no other name", async () => {
    const files = fresh ?? (await buildBundle(mkdtempSync(join(tmpdir(), "sopsync-bundle-"))));
    const targets = new Set(files.flatMap((f) => f.dynamicImports));
    const loaded = files.filter((f) => targets.has(f.path));
    // The SDK clients src/ loads lazily are among them, each in a chunk of its own, and ES modules
    // (scripts/bundle.ts picks their ES build): src/ takes named exports from them.
    for (const client of ["client-kms", "client-secrets-manager", "client-sts"]) {
      const chunk = loaded.filter((f) => f.entryPoint?.startsWith(`node_modules/@aws-sdk/${client}/`));
      expect(chunk.map((f) => f.commonJsEntry)).toEqual([false]);
    }
    // Node gives a CommonJS module's named exports to import() too, but a split bundle does not
    // (esbuild issues 3245, 4377): src/ must write `const { default: x } = await import("pkg")`.
    const sources = (readdirSync(join(projectRoot, "src"), { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => readFileSync(join(projectRoot, "src", f), "utf8"));
    for (const f of loaded.filter((f) => f.commonJsEntry)) {
      const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.entryPoint ?? "")?.[1];
      expect(pkg, `${f.entryPoint}: a CommonJS import() target outside node_modules`).toBeDefined();
      const calls = sources
        .flatMap((text) => [...text.matchAll(/(.{0,60})\bimport\("([^"]+)"\)/g)])
        .filter((m) => {
          const spec = m[2] as string;
          return spec === pkg || spec.startsWith(`${pkg}/`);
        });
      expect(calls.length, `import() of ${pkg} (CommonJS) is not in src/`).toBeGreaterThan(0);
      for (const m of calls) {
        expect(m[1], `import("${m[2]}"): ${pkg} is CommonJS; take only default from it`).toMatch(
          /\{\s*default:\s*[\w$]+\s*\}\s*=\s*await\s*$/,
        );
      }
    }
  });

  it("is what the action runs, and runs with no node_modules beside it", async () => {
    const run = readAction()
      .runs.steps.map((s) => s.run ?? "")
      .join("\n");
    expect(run).toContain(`"$GITHUB_ACTION_PATH/${BUNDLE_PATH}"`);
    expect(run).not.toMatch(/npm (ci|install|run)|dist\/cli/);
    // A copy alone in a folder: nothing it loads may come from this project's node_modules.
    const dir = bundleCopy("sopsync-bundle-run-");
    cpSync(join(projectRoot, "secrets.yaml"), join(dir, "secrets.yaml"));
    const env = { PATH: process.env.PATH ?? "", SOPS_AGE_KEY_FILE: join(projectRoot, "examples/demo-age-key.txt") };
    const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
    const version = await runProcess(process.execPath, [BUNDLE_ENTRY, "--version"], { cwd: dir, env });
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const help = await runProcess(process.execPath, [BUNDLE_ENTRY, "plan", "--help"], { cwd: dir, env });
    expect(help.stdout).toMatch(/^Usage: sopsync plan \[options\]/);
    expect(help.code).toBe(0);
    const validate = await runProcess(process.execPath, [BUNDLE_ENTRY, "validate", "secrets.yaml"], { cwd: dir, env });
    expect(validate.stderr).toBe("");
    expect(validate.stdout).toMatch(/^secrets\.yaml: ok \(3 secrets/);
    expect(validate.code).toBe(0);
  });

  it("has no chunk that fails to load: each parses, and finds every name it imports (a copy, no node_modules)", async () => {
    // A chunk only a rare path reaches (an SSO credential provider, say) is never loaded by the tests
    // around this one; importing every chunk proves each links. Their top level only defines things:
    // the entry, which runs the CLI, is not among them.
    const dir = bundleCopy("sopsync-bundle-load-");
    const script = `import { readdirSync } from "node:fs";
for (const f of readdirSync(${JSON.stringify(CHUNKS_DIR)}).sort()) await import(\`./${CHUNKS_DIR}/\${f}\`);
process.stdout.write("loaded\\n");`;
    const r = await runProcess(process.execPath, ["--input-type=module", "-e", script], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("loaded\n");
    expect(r.code).toBe(0);
  });

  it("loads the AWS SDK it bundles when a command needs it: validate of a KMS manifest (with a role) against moto", async () => {
    const moto = await startMoto({ setProcessEnv: false });
    try {
      const kms = new KMSClient({
        region: TEST_REGION,
        endpoint: moto.endpoint,
        credentials: { accessKeyId: moto.env.AWS_ACCESS_KEY_ID ?? "", secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY ?? "" },
      });
      const arn = (await kms.send(new CreateKeyCommand({ Description: "sopsync bundle test" }))).KeyMetadata!.Arn!;
      kms.destroy();
      const dir = bundleCopy("sopsync-bundle-kms-");
      // ARN+ROLE: sops records the role, and decrypting assumes it through STS first.
      const role = "arn:aws:iam::123456789012:role/sops-decrypt";
      sopsEncryptFile(
        dir,
        "kms.yaml",
        MANIFEST_YAML,
        ["--kms", `${arn}+${role}`, "--encrypted-regex", "^(value|binary)$"],
        moto.env,
      );
      expect(readFileSync(join(dir, "kms.yaml"), "utf8")).toContain(`role: ${role}`);
      const r = await runProcess(process.execPath, [BUNDLE_ENTRY, "validate", "kms.yaml"], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", HOME: dir, ...moto.env },
      });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("kms.yaml: ok (3 secrets, scope platform-prod)\n");
      expect(r.code).toBe(0);
    } finally {
      await moto.stop();
    }
  });
});
