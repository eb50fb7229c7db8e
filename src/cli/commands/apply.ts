import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_WRITE_RPS } from "../../apply/execute.js";
import { applyDocument, applySucceeded, renderOutcome, stoppedLine, totalsOf } from "../../apply/outcome.js";
import { progressReporter, retryReporter } from "../../apply/progress.js";
import { withCallContext } from "../../aws/call-context.js";
import { readSavedPlan } from "../../apply/saved-plan.js";
import { SopsyncError } from "../../errors.js";
import { resolveManifestFiles } from "../../manifest/load.js";
import type { Plan } from "../../plan/model.js";
import { type Format, render } from "../../plan/render.js";
import { parseDuration } from "../../run/lock.js";
import { openTargets } from "../../run/targets.js";
import { applyRun } from "../../run/workflow.js";
import { EXIT_ERROR, EXIT_OK } from "../exit.js";
import { runLimit, timeoutOption } from "../deadline.js";
import { confirm, isInteractive, promptOutput, useColor } from "../io.js";
import { describeSelection, sameSelection } from "../../plan/selection.js";
import {
  formatOption,
  onlyOption,
  parallelOption,
  planOptions,
  quietSummary,
  registerPlanOptions,
  registerScopeOptions,
  resolveOptions,
} from "./plan.js";

function atLeastOne(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError("expected a number of at least 1");
  return n;
}

function duration(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/**
 * The manifests a saved plan is applied with: the files given after it, else the ones it names.
 * Given files must be exactly the plan's (the action passes the files it was configured with, so a
 * plan naming other manifests is refused).
 */
async function manifestsFor(saved: Plan, args: string[], o: { exclude?: string[]; quiet?: boolean }): Promise<string[]> {
  const named = [...new Set(saved.targets.flatMap((t) => t.manifests.map((m) => m.file)))];
  if (args.length === 0) return named;
  const given = await resolveManifestFiles(args, resolveOptions(o));
  const key = (files: string[]) => JSON.stringify(files.map((f) => resolve(f)).sort());
  if (key(given) !== key(named)) {
    throw new SopsyncError(
      "PLAN_STALE",
      `plan does not match the account or manifest any more: run plan again; nothing was changed:\n  the plan was made from ${named.join(", ")}, not from ${given.join(", ")}`,
    );
  }
  return named; // the same files, spelled as the plan spells them (./a.yaml and a.yaml compare equal)
}

/**
 * A saved plan is applied with the selection it was made with (none: every secret). An --only on the
 * command line must say the same; it cannot widen or narrow what was reviewed.
 */
function checkSavedSelection(file: string, saved: Plan, only: readonly string[] | undefined): void {
  if (!only || sameSelection(saved.only, only)) return;
  const again = `run plan again with ${describeSelection(only)} --out PLAN`;
  if (!saved.only) {
    throw new SopsyncError("USAGE", `${file} is a plan of every secret; --only cannot narrow a saved plan: ${again}`);
  }
  throw new SopsyncError(
    "USAGE",
    `${file} was made with ${describeSelection(saved.only)}, not ${describeSelection(only)}: apply it without --only (it keeps its own selection), or ${again}`,
  );
}

export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("apply")
    .description("apply a saved plan (checked against a fresh one first), or plan and apply the manifests")
    .argument("[plan-or-files...]", "a saved plan (plan.json) and optionally its manifests, or manifest files or directories")
    .option("--yes", "apply without asking (required when not on a terminal)")
    .addOption(formatOption())
    .option(
      "--max-rps <n>",
      "write calls started per second, all quota families together (each also stays below 80% of its own quota)",
      atLeastOne,
      DEFAULT_WRITE_RPS,
    )
    .addOption(
      new Option("--lock-timeout <duration>", "wait this long for another apply's lock (e.g. 30s, 5m)")
        .argParser(duration)
        .default(0, "0: fail at once"),
    );
  registerScopeOptions(registerPlanOptions(cmd));
  cmd.addOption(parallelOption());
  cmd.addOption(timeoutOption());
  cmd.action(async (args: string[], o) => {
    const format = o.format as Format;
    const json = format === "json";
    const quiet = o.quiet === true;
    const only = onlyOption(o);
    // With --format json, stdout carries one document; everything said along the way goes to stderr.
    const say = (t: string) => (json ? process.stderr : process.stdout).write(t);
    const startedAt = new Date();
    const limit = runLimit(o.timeout);
    const held = new Map<string, string>();
    let manifests: string[] = [];
    let interrupted = false;
    let writing = false;
    const onSigint = () => {
      if (interrupted) {
        process.stderr.write(`\n${quitNowMessage(held, manifests)}\n`);
        process.exit(EXIT_INTERRUPTED);
      }
      interrupted = true;
      limit.stop({ reason: "interrupted", message: "interrupted (Ctrl-C)" });
      process.stderr.write(
        "\nInterrupted: starting nothing new; finishing the calls in flight, then releasing the lock (Ctrl-C again to quit now).\n",
      );
    };
    process.on("SIGINT", onSigint);
    // --quiet: no progress or retry lines; errors and the summary only.
    const progress = progressReporter((t) => (quiet ? undefined : process.stderr.write(t)), process.stderr.isTTY === true);
    const onRetry = quiet ? () => {} : retryReporter((t) => process.stderr.write(t), process.stderr.isTTY === true);
    try {
      const run = await withCallContext({ signal: limit.signal, onRetry }, async () => {
        const saved = args[0] ? await readSavedPlan(args[0]) : undefined;
        if (saved) checkSavedSelection(args[0] as string, saved, only);
        const files = saved ? await manifestsFor(saved, args.slice(1), o) : await resolveManifestFiles(args, resolveOptions(o));
        manifests = files;
        const targets = await openTargets(files, { planId: saved?.planId });
        if (saved && !quiet) {
          // Validated fields only: a plan id is a UUID, a time an ISO time (saved-plan.ts).
          say(`Applying saved plan ${saved.planId} (made ${saved.createdAt}) after checking it against a fresh plan.\n`);
        }
        return {
          saved,
          ...(await applyRun(targets, saved, {
            planOptions: planOptions(o),
            only,
            parallel: o.parallel,
            lock: {
              timeoutMs: o.lockTimeout,
              onLock: ({ scopeId, id }, isHeld) => (isHeld ? held.set(scopeId, id) : held.delete(scopeId)),
            },
            maxRps: o.maxRps,
            signal: limit.signal,
            onApplying: () => {
              writing = true;
            },
            onAction: progress.onAction,
            review: async (p) => {
              // JSON: the plan is part of the document printed at the end; a person reads it as text.
              if (quiet) (json ? process.stderr : process.stdout).write(quietSummary(p));
              else if (json) process.stderr.write(render(p, "text", { color: useColor(process.stderr) }));
              else process.stdout.write(render(p, format, { color: useColor(process.stdout) }));
              if (o.yes) return true;
              // The answer comes from stdin: `apply | tee log` on a terminal still asks.
              if (!isInteractive()) throw new SopsyncError("USAGE", "apply needs --yes when not run on a terminal");
              if (!(await confirm("Apply these changes?", promptOutput(json)))) {
                throw new SopsyncError("ABORTED", "apply cancelled; nothing was changed");
              }
              return true;
            },
          })),
        };
      }).catch((err) => {
        // Stopped before the first write: nothing was changed, and the error says so.
        if (writing) throw err;
        if (limit.expired) throw limit.timeoutError("apply");
        if (interrupted) throw new Interrupted();
        throw err;
      });
      progress.finish();
      const finishedAt = new Date();
      const results = run.results;
      if (json) {
        process.stdout.write(
          `${JSON.stringify(applyDocument(run.plan, results, { startedAt, finishedAt }, { interrupted }), null, 2)}\n`,
        );
      } else if (!results) {
        if (run.saved) process.stdout.write(`${ALREADY_APPLIED}\n`);
        else if (quiet) process.stdout.write(quietSummary(run.plan));
        else process.stdout.write(render(run.plan, format, { color: useColor(process.stdout) }));
      } else if (results.every((r) => r.calls === 0 && r.outcomes.every((x) => x.status === "applied"))) {
        process.stdout.write(`${ALREADY_APPLIED}\n`);
      } else for (const r of results) process.stdout.write(`${renderOutcome(r)}\n`);
      const stopped = results && stoppedLine(results);
      if (stopped) process.stderr.write(`${stopped}\n`);
      else if (interrupted && results) {
        const t = totalsOf(results);
        process.stderr.write(`interrupted after every secret was started: ${t.applied} of ${t.secrets} applied\n`);
      } else if (interrupted) process.stderr.write("interrupted before the first write; nothing was changed\n");
      // The writes are reported first; a lock left held fails the run after them, saying what to do.
      if (run.lockError) throw run.lockError;
      if (interrupted) {
        setExit(EXIT_INTERRUPTED);
        return;
      }
      setExit(!results || results.every(applySucceeded) ? EXIT_OK : EXIT_ERROR);
    } catch (err) {
      if (!(err instanceof Interrupted)) throw err;
      process.stderr.write("interrupted before the first write; nothing was changed\n");
      setExit(EXIT_INTERRUPTED);
    } finally {
      progress.finish();
      limit.clear();
      process.off("SIGINT", onSigint);
    }
  });
}

/** A saved plan whose every change the account already shows: a re-run, or a second apply of it. */
const ALREADY_APPLIED = "Already applied, nothing to do: the account already shows everything this plan does.";

/** Exit code of an apply stopped by Ctrl-C (128 + SIGINT, as shells report it). */
const EXIT_INTERRUPTED = 130;

class Interrupted extends Error {}

/** Said on a second Ctrl-C: the process quits with its locks held, and how to remove each. */
function quitNowMessage(held: ReadonlyMap<string, string>, manifests: readonly string[]): string {
  if (held.size === 0) return "Quit at once: no apply lock was held.";
  const files = manifests.map((f) => ` ${shellWord(f)}`).join("");
  const lines = [...held].map(
    ([scope, id]) =>
      `  scope ${scope}: lock ID ${id}; once no apply is running, remove it with: sopsync force-unlock ${id}${files}`,
  );
  return ["Quit at once, calls in flight abandoned: the apply lock is left held.", ...lines].join("\n");
}

/** A path as one shell word, quoted only when it needs to be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}
