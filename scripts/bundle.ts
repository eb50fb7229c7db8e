// Writes action/sopsync.mjs: the whole CLI and its dependencies in one file, which the GitHub Action
// runs as it is, so a user's workflow installs and builds nothing. Run after changing src/ or a
// dependency: npm run bundle (test/gitops/bundle-current.test.ts fails while the file is stale).
// Usage: tsx scripts/bundle.ts [OUTFILE]
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
export const BUNDLE_PATH = "action/sopsync.mjs";

/** Builds the bundle into `outfile`; the same sources always give the same bytes. */
export async function buildBundle(outfile = join(root, BUNDLE_PATH)): Promise<void> {
  const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  await build({
    absWorkingDir: root,
    entryPoints: ["src/cli/main.ts"],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    // ESM, one file, no splitting: a dynamic import() of a bundled module stays lazy (esbuild wraps it
    // and runs it on the first import), so a command still loads only what it uses.
    format: "esm",
    minify: true,
    sourcemap: false,
    legalComments: "eof",
    logLevel: "warning",
    // Some dependencies are CommonJS and require() Node's own modules, which an ES module cannot do.
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
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // An output path may be given (the tests build one into a temp folder); by default the committed file.
  const out = process.argv[2] ? resolve(process.argv[2]) : join(root, BUNDLE_PATH);
  await buildBundle(out);
  process.stdout.write(`wrote ${out}\n`);
}
