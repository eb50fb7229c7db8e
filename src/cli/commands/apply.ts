import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_WRITE_RPS } from "../../apply/execute.js";
import { applySucceeded, renderOutcome } from "../../apply/outcome.js";
import { progressReporter } from "../../apply/progress.js";
import { readSavedPlan } from "../../apply/saved-plan.js";
import { SopsyncError } from "../../errors.js";
import { resolveManifestFiles } from "../../manifest/load.js";
import type { Plan } from "../../plan/model.js";
import { type Format, render } from "../../plan/render.js";
import { parseDuration } from "../../run/lock.js";
import { openTargets } from "../../run/targets.js";
import { applyRun } from "../../run/workflow.js";
import { EXIT_ERROR, EXIT_OK } from "../exit.js";
import { confirm, isInteractive, useColor } from "../io.js";
import { formatOption, planOptions, registerPlanOptions } from "./plan.js";

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
async function manifestsFor(saved: Plan, args: string[]): Promise<string[]> {
  const named = [...new Set(saved.targets.flatMap((t) => t.manifests.map((m) => m.file)))];
  if (args.length === 0) return named;
  const given = await resolveManifestFiles(args);
  const key = (files: string[]) => JSON.stringify(files.map((f) => resolve(f)).sort());
  if (key(given) !== key(named)) {
    throw new SopsyncError(
      "PLAN_STALE",
      `plan does not match the account or manifest any more: run plan again; nothing was changed:\n  the plan was made from ${named.join(", ")}, not from ${given.join(", ")}`,
    );
  }
  return named; // the same files, spelled as the plan spells them (./a.yaml and a.yaml compare equal)
}

export function register(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("apply")
    .description("apply a saved plan (checked against a fresh one first), or plan and apply the manifests")
    .argument("[plan-or-files...]", "a saved plan (plan.json) and optionally its manifests, or manifest files or directories", [])
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
  registerPlanOptions(cmd);
  cmd.action(async (args: string[], o) => {
    const saved = args[0] ? await readSavedPlan(args[0]) : undefined;
    const files = saved ? await manifestsFor(saved, args.slice(1)) : await resolveManifestFiles(args);
    const targets = await openTargets(files, { planId: saved?.planId });
    if (saved) {
      // Validated fields only: a plan id is a UUID, a time an ISO time (saved-plan.ts).
      process.stdout.write(
        `Applying saved plan ${saved.planId} (made ${saved.createdAt}) after checking it against a fresh plan.\n`,
      );
    }
    const interrupt = new AbortController();
    const onSigint = () => {
      if (interrupt.signal.aborted) process.exit(130);
      interrupt.abort();
      process.stderr.write("\nInterrupted: finishing the calls in flight, then releasing the lock (Ctrl-C again to quit now).\n");
    };
    process.on("SIGINT", onSigint);
    try {
      const run = await applyRun(targets, saved, {
        planOptions: planOptions(o),
        lock: { timeoutMs: o.lockTimeout },
        maxRps: o.maxRps,
        signal: interrupt.signal,
        onAction: progressReporter((t) => process.stderr.write(t), process.stderr.isTTY === true).onAction,
        review: async (p) => {
          process.stdout.write(render(p, o.format as Format, { color: useColor(process.stdout) }));
          if (o.yes) return true;
          if (!isInteractive()) throw new SopsyncError("USAGE", "apply needs --yes when not run on a terminal");
          if (!(await confirm("Apply these changes?"))) throw new SopsyncError("ABORTED", "apply cancelled; nothing was changed");
          return true;
        },
      });
      if (!run.results) {
        if (!saved) process.stdout.write(render(run.plan, o.format as Format, { color: useColor(process.stdout) }));
        setExit(EXIT_OK);
        return;
      }
      if (run.results.every((r) => r.outcomes.length === 0 && r.calls === 0)) {
        process.stdout.write("Nothing left to apply: the account already shows everything this plan does.\n");
      } else for (const r of run.results) process.stdout.write(`${renderOutcome(r)}\n`);
      if (interrupt.signal.aborted) {
        process.stderr.write("Interrupted: the summary above lists what ran; run apply again to finish.\n");
        setExit(130);
        return;
      }
      setExit(run.results.every(applySucceeded) ? EXIT_OK : EXIT_ERROR);
    } finally {
      process.off("SIGINT", onSigint);
    }
  });
}
