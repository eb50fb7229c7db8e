// Writes the action's bundle: action/sopsync.mjs, the entry, and action/chunks/, the rest of the CLI
// and its dependencies, which the GitHub Action runs as they are, so a user's workflow installs and
// builds nothing. Run after changing src/ or a dependency: npm run bundle
// (test/gitops/bundle-current.test.ts fails while the committed files are stale).
// Usage: tsx scripts/bundle.ts [OUTDIR]
//
// Why split, and the layout: as one 1.4 MB file, every run, even `--version`, had Node parse all of it
// (3.8x a bare `node -e 0`). src/cli/main.ts loads each command with a dynamic import(); with code
// splitting each of those, and each AWS SDK client (and credential provider) loaded with import() in
// turn, is a chunk of its own, read only when that import() runs; code that several chunks use goes
// to a chunk they all import. About 1.3 MB in some 70 files: the entry (2 KB) imports commander and
// the error reporting (about 46 KB in all, what `--version` reads); a command adds its own chunks.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
/** The folder the action runs from, relative to the project. */
export const BUNDLE_DIR = "action";
/** The entry, relative to BUNDLE_DIR; action.yml runs `node "$GITHUB_ACTION_PATH/action/sopsync.mjs"`. */
export const BUNDLE_ENTRY = "sopsync.mjs";
/** Every other file of the bundle, relative to BUNDLE_DIR. */
export const CHUNKS_DIR = "chunks";
export const BUNDLE_PATH = `${BUNDLE_DIR}/${BUNDLE_ENTRY}`;

/** One file written by buildBundle. */
export interface BundleFile {
  /** Relative to the output folder, "/"-separated: the entry's name, or chunks/NAME-HASH.mjs. */
  path: string;
  bytes: number;
  /** The source files bundled into it, relative to the project (node_modules/... for dependencies). */
  inputs: string[];
  /** The bundle's files it imports statically (read before it runs), as paths like `path`. */
  staticImports: string[];
  /** The bundle's files it loads with import() when that runs, as paths like `path`. */
  dynamicImports: string[];
  /** The module an import() of this file loads, when it is one (relative to the project). */
  entryPoint?: string;
  /** Whether that module is CommonJS: then this file exports only `default`, whatever names it had. */
  commonJsEntry: boolean;
}

/**
 * Builds the bundle into `outdir` (its entry and its chunks folder, written afresh: a chunk of an older
 * build is removed); the same sources always give the same bytes and the same file names.
 * Returns the files written, sorted by path.
 */
export async function buildBundle(into = join(root, BUNDLE_DIR)): Promise<BundleFile[]> {
  const outdir = resolve(into);
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  const result = await build({
    absWorkingDir: root,
    entryPoints: [{ in: "src/cli/main.ts", out: BUNDLE_ENTRY.replace(/\.mjs$/, "") }],
    outdir,
    outExtension: { ".js": ".mjs" },
    // Chunk names carry a hash of their content: a changed chunk gets a new name, so a stale one can
    // never be mistaken for the current one.
    chunkNames: `${CHUNKS_DIR}/[name]-[hash]`,
    bundle: true,
    splitting: true,
    platform: "node",
    // The ES module build of a package before its CommonJS one, where it has both and no "exports" map
    // (the AWS SDK clients): with splitting, a chunk that an import() of a CommonJS module loads
    // exports only `default`, so `const { KMSClient } = await import(...)` would get undefined
    // (esbuild issues 3245 and 4377, open). Without splitting it worked. bundle-current.test.ts checks
    // the clients' chunks are ES modules, and that src/ takes only `default` from a CommonJS one.
    mainFields: ["module", "main"],
    target: "node20",
    format: "esm",
    minify: true,
    sourcemap: false,
    legalComments: "eof",
    logLevel: "warning",
    // Written below, once the old files are gone.
    write: false,
    metafile: true,
    // Some dependencies are CommonJS and require() Node's own modules, which an ES module cannot do.
    // esbuild puts the banner at the top of every chunk, each an ES module with a scope of its own.
    banner: {
      js: 'import { createRequire as __sopsyncRequire } from "node:module"; const require = __sopsyncRequire(import.meta.url);',
    },
    plugins: [
      {
        // src/version.ts reads ../package.json next to itself; the bundle has none beside it.
        name: "sopsync-version",
        setup(b) {
          b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({
            contents: `export const SOPSYNC_VERSION = ${JSON.stringify(version)};`,
            loader: "ts",
          }));
        },
      },
    ],
  });
  rmSync(join(outdir, CHUNKS_DIR), { recursive: true, force: true });
  rmSync(join(outdir, BUNDLE_ENTRY), { force: true });
  for (const f of result.outputFiles) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.contents);
  }
  // The metafile names outputs relative to absWorkingDir.
  const rel = (p: string) => relative(outdir, resolve(root, p)).replaceAll("\\", "/");
  const { inputs, outputs } = result.metafile;
  const imports = (o: (typeof outputs)[string], kind: string) =>
    o.imports.filter((i) => i.kind === kind && !i.external).map((i) => rel(i.path));
  return Object.entries(outputs)
    .map(([path, o]) => ({
      path: rel(path),
      bytes: o.bytes,
      inputs: Object.keys(o.inputs),
      staticImports: imports(o, "import-statement"),
      dynamicImports: imports(o, "dynamic-import"),
      ...(o.entryPoint ? { entryPoint: o.entryPoint } : {}),
      commonJsEntry: o.entryPoint !== undefined && inputs[o.entryPoint]?.format === "cjs",
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // An output folder may be given (the tests build one into a temp folder); by default the committed one.
  const out = process.argv[2] ? resolve(process.argv[2]) : join(root, BUNDLE_DIR);
  const files = await buildBundle(out);
  process.stdout.write(`wrote ${files.length} files to ${out}\n`);
}
