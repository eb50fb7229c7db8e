// Reading a fleet's saved plans (one per matrix job) into one view for `sopsync report`. Each file is
// untrusted (an artifact any job of the workflow could have written) and is checked as strictly as
// `apply PLAN` does. With the matrix from `sopsync targets --json`, a target whose plan is missing is
// reported as an error rather than left out.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { parseSavedPlan } from "../apply/saved-plan.js";
import { SopsyncError } from "../errors.js";
import type { Fleet, FleetError, FleetTarget } from "../plan/render-fleet.js";
import { hasControlCharacter } from "../plan/printable.js";

const printable = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !hasControlCharacter(s), "no control characters");

/** One GitHub Actions matrix entry: a target and the manifests that make it. */
export const matrixEntry = z.strictObject({
  account: z.string().regex(/^\d{12}$/, "a 12-digit account id"),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region"),
  files: z.array(printable(4096)).min(1),
  name: printable(256),
});
export type MatrixEntry = z.infer<typeof matrixEntry>;
const matrixSchema = z.strictObject({ include: z.array(matrixEntry) });

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const why = err instanceof SyntaxError ? "not valid JSON" : ((err as NodeJS.ErrnoException).code ?? "unreadable");
    throw new SopsyncError("PLAN_INVALID", `${file}: not a readable ${what} (${why})`);
  }
}

export async function readMatrix(file: string): Promise<MatrixEntry[]> {
  const r = matrixSchema.safeParse(await readJson(file, "targets file"));
  if (!r.success) {
    const at = r.error.issues[0]?.path.map(String).join(".") || "(top)";
    throw new SopsyncError("PLAN_INVALID", `${file}: not the output of 'sopsync targets --json' (at ${JSON.stringify(at)})`);
  }
  return r.data.include;
}

/**
 * The targets of every plan file, and (with `expected`) an error for each expected (account, region)
 * that no plan covers. The same (account, region, scope) in two files is refused: one of them is stale.
 */
export async function readFleet(files: readonly string[], expected?: readonly MatrixEntry[]): Promise<Fleet> {
  if (files.length === 0 && !expected?.length) throw new SopsyncError("USAGE", "report needs at least one plan file");
  const targets: FleetTarget[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const plan = parseSavedPlan(await readJson(file, "plan file"), file);
    for (const t of plan.targets) {
      const key = `account ${t.target.account}, ${t.target.region}, scope ${t.scope.id}`;
      const first = seen.get(key);
      if (first !== undefined) {
        throw new SopsyncError(
          "PLAN_INVALID",
          `${file}: ${key} is also planned in ${first}; give report each target's plan once`,
        );
      }
      seen.set(key, file);
      targets.push({ file, plan, target: t });
    }
  }
  const covered = new Set(targets.map((t) => `${t.target.target.account}/${t.target.target.region}`));
  const errors: FleetError[] = (expected ?? [])
    .filter((e) => !covered.has(`${e.account}/${e.region}`))
    .map((e) => ({
      account: e.account,
      region: e.region,
      name: e.name,
      message: "no plan for this target: its job failed or its plan was not passed to report",
    }));
  return { targets, errors };
}
