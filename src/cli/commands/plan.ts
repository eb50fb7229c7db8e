import { type Command, InvalidArgumentError, Option } from "commander";
import { retryReporter } from "../../apply/progress.js";
import { withCallContext } from "../../aws/call-context.js";
import { resolveManifestFiles } from "../../manifest/load.js";
import { hasChanges } from "../../plan/model.js";
import { hasDrift } from "../../plan/undeclared-rotation.js";
import type { PlanOptions } from "../../plan/planner.js";
import { FORMATS, type Format, render } from "../../plan/render.js";
import { summaryLine } from "../../plan/render-text.js";
import { checkPatterns, subsetLine } from "../../plan/selection.js";
import type { Plan } from "../../plan/model.js";
import { openTargets } from "../../run/targets.js";
import { DEFAULT_PARALLEL, newPlanIdentity, planTargets } from "../../run/workflow.js";
import { EXIT_CHANGES, EXIT_OK } from "../exit.js";
import { runLimit, timeoutOption } from "../deadline.js";
import { useColor } from "../io.js";
import { writeFileAtomic } from "../write-file.js";
import { collect, positiveInt } from "../options.js";

/** `--parallel N`: how many targets (account and Region) are read at once; a whole number of at least 1. */
export const parallelOption = () =>
  new Option("--parallel <n>", "read this many targets (account and Region) at once")
    .argParser((v: string) => {
      const n = Number(v);
      if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) {
        throw new InvalidArgumentError("expected a whole number of targets, at least 1");
      }
      return n;
    })
    .default(DEFAULT_PARALLEL);

export const formatOption = () => new Option("--format <format>", "output format").choices(FORMATS).default("text");

/**
 * The options that widen what a plan may do. `apply PLAN` takes them from its own command line,
 * never from the saved file: a plan made with --adopt is applied only with --adopt.
 */
export function registerPlanOptions(cmd: Command): Command {
  return cmd
    .option("--adopt", "take over existing unmanaged secrets that the manifest declares")
    .option("--max-deletes <n>", "refuse plans deleting more secrets than this", positiveInt, 10)
    .option("--allow-mass-delete", "lift the deletion-count guards (never lifts protect)");
}

/** --only, --exclude and --quiet: what plan and apply act on, and how much they say. */
export function registerScopeOptions(cmd: Command): Command {
  return cmd
    .option(
      "--only <name-or-glob>",
      "act on these secrets only (repeatable; * stays within one level of a/b/c, ** crosses levels)",
      collect,
    )
    .option("--exclude <glob>", "leave out these files of a directory (repeatable; file name or path)", collect)
    .option("--quiet", "print only errors and the summary line (--format json is unchanged)");
}

/** The --only patterns, checked; undefined when none were given. */
export function onlyOption(o: { only?: string[] }): string[] | undefined {
  if (!o.only?.length) return undefined;
  checkPatterns(o.only);
  return o.only;
}

/** How a directory's skipped files are said: on stderr, unless --quiet. */
export function resolveOptions(o: { exclude?: string[]; quiet?: boolean }) {
  return { exclude: o.exclude ?? [], ...(o.quiet ? { onSkip: () => {} } : {}) };
}

/** The plan's summary line(s), for --quiet: one per target, named when there are several. */
export function quietSummary(p: Plan): string {
  const many = p.targets.length > 1;
  return p.targets
    .map((t) => {
      const who = many ? `scope ${t.scope.id} (account ${t.target.account}, ${t.target.region}): ` : "";
      const subset = subsetLine(p, t);
      return `${who}${summaryLine(t).trim()}${subset ? ` (${subset})` : ""}\n`;
    })
    .join("");
}

export function planOptions(o: { adopt?: boolean; maxDeletes?: number; allowMassDelete?: boolean }): PlanOptions {
  return { adoptAll: o.adopt, maxDeletes: o.maxDeletes, allowMassDelete: o.allowMassDelete };
}

export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("plan")
    .description("show what apply would change, without changing anything")
    .argument("[files...]", "manifest files or directories")
    .addOption(formatOption())
    .option("--out <plan>", "save the plan (no values) for 'sopsync apply PLAN'")
    .option("--detailed-exitcode", "exit 2 when there are changes, 0 when none")
    .addOption(parallelOption())
    .addOption(timeoutOption());
  registerScopeOptions(registerPlanOptions(cmd)).action(async (files: string[], o) => {
    const id = newPlanIdentity();
    const only = onlyOption(o);
    const limit = runLimit(o.timeout);
    const onRetry = o.quiet ? () => {} : retryReporter((s) => process.stderr.write(s), false);
    let p: Awaited<ReturnType<typeof planTargets>>["plan"];
    try {
      p = await withCallContext({ signal: limit.signal, onRetry }, async () => {
        const targets = await openTargets(await resolveManifestFiles(files, resolveOptions(o)), { planId: id.planId });
        return (await planTargets(targets, planOptions(o), id, only, o.parallel)).plan;
      });
    } catch (err) {
      throw limit.expired ? limit.timeoutError("plan") : err;
    } finally {
      limit.clear();
    }
    const format = o.format as Format;
    if (o.quiet && format !== "json") process.stdout.write(quietSummary(p));
    else process.stdout.write(render(p, format, { color: useColor(process.stdout) }));
    if (o.out) {
      await writeFileAtomic(o.out, `${JSON.stringify(p, null, 2)}\n`, { mode: 0o644 });
      if (!o.quiet) process.stderr.write(`Saved the plan to ${o.out}; apply it with: sopsync apply ${o.out}\n`);
    }
    setExit(o.detailedExitcode && (hasChanges(p) || hasDrift(p)) ? EXIT_CHANGES : EXIT_OK);
  });
}
