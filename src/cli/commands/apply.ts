import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_WRITE_RPS } from "../../apply/execute.js";
import { applySucceeded, renderOutcome } from "../../apply/outcome.js";
import { progressReporter } from "../../apply/progress.js";
import { SopsyncError } from "../../errors.js";
import { resolveManifestFiles } from "../../manifest/load.js";
import { hasChanges, PLAN_FORMAT_VERSION, type Plan } from "../../plan/model.js";
import { type Format, render } from "../../plan/render.js";
import { applyPlan, openSessions, planSessions } from "../../workflow.js";
import { EXIT_ERROR, EXIT_OK } from "../exit.js";
import { confirm, isInteractive, useColor } from "../io.js";
import { formatOption, positiveInt } from "./plan.js";

async function readSavedPlan(file: string): Promise<Plan | undefined> {
  if (!file.endsWith(".json")) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new SopsyncError("PLAN_INVALID", `${file}: not a readable plan file (${(err as Error).message.split("\n")[0]})`);
  }
  const p = data as Partial<Plan>;
  if (p.planId === undefined && p.formatVersion === undefined) return undefined; // a JSON manifest
  if (p.formatVersion !== PLAN_FORMAT_VERSION || !Array.isArray(p.targets) || typeof p.planId !== "string") {
    throw new SopsyncError(
      "PLAN_INVALID",
      `${file}: plan format version ${String(p.formatVersion)} is not supported (expected ${PLAN_FORMAT_VERSION})`,
    );
  }
  return p as Plan;
}

function atLeastOne(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError("expected a number of at least 1");
  return n;
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("apply")
    .description("apply a saved plan, or plan and apply the manifests")
    .argument("[plan-or-files...]", "a saved plan (plan.json), or manifest files or directories", [])
    .option("--yes", "apply without asking (required when not on a terminal)")
    .addOption(formatOption())
    .option("--adopt", "take over existing unmanaged secrets that the manifest declares")
    .option("--max-deletes <n>", "refuse plans deleting more secrets than this", positiveInt, 10)
    .option("--allow-mass-delete", "lift the deletion-count guards (never lifts protect)")
    .option("--max-rps <n>", "write calls started per second (AWS allows 50/s per family)", atLeastOne, DEFAULT_WRITE_RPS)
    .action(async (args: string[], o) => {
      const saved = args.length === 1 ? await readSavedPlan(args[0] as string) : undefined;
      let plan: Plan;
      let sessions: Awaited<ReturnType<typeof openSessions>>;
      if (saved) {
        sessions = await openSessions(saved.targets.map((t) => t.manifest.file));
        plan = saved;
        const changes = saved.targets.reduce((n, t) => n + t.changes.filter((c) => c.actions.length > 0).length, 0);
        process.stdout.write(`Saved plan ${saved.planId} (made ${saved.createdAt}): ${changes} secret(s) to change.\n`);
      } else {
        sessions = await openSessions(await resolveManifestFiles(args));
        plan = await planSessions(sessions, { adoptAll: o.adopt, maxDeletes: o.maxDeletes, allowMassDelete: o.allowMassDelete });
        process.stdout.write(render(plan, o.format as Format, { color: useColor(process.stdout) }));
        if (!hasChanges(plan)) {
          setExit(EXIT_OK);
          return;
        }
        if (!o.yes) {
          if (!isInteractive()) throw new SopsyncError("USAGE", "apply needs --yes when not run on a terminal");
          if (!(await confirm("Apply these changes?"))) throw new SopsyncError("ABORTED", "apply cancelled; nothing was changed");
        }
      }
      const results = await applyPlan(plan, sessions, {
        saved: saved !== undefined,
        maxRps: o.maxRps,
        onAction: progressReporter((t) => process.stderr.write(t), process.stderr.isTTY === true).onAction,
      });
      for (const r of results) process.stdout.write(`${renderOutcome(r)}\n`);
      setExit(results.every(applySucceeded) ? EXIT_OK : EXIT_ERROR);
    });
}
