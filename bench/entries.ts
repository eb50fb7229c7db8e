// The two ways sopsync is run, as the benchmark starts them: the npm package's bin (the tsc build in
// dist/, which scripts/setup.sh keeps current) and the action's committed bundle (an entry and its chunks).
import { join } from "node:path";
import { projectRoot } from "../test/helpers/tools.js";

export const CLI = join(projectRoot, "dist/cli/main.js");
/** scripts/bundle.ts writes it, with the chunks it imports in action/chunks/; the action runs it as it is. */
export const BUNDLE = join(projectRoot, "action/sopsync.mjs");

/** The Python file moto is started with: none for moto as installed, bench/moto-fast-lookups.py for `fast`. */
export function motoScript(moto: "fast" | "stock"): string | undefined {
  return moto === "fast" ? join(projectRoot, "bench/moto-fast-lookups.py") : undefined;
}
