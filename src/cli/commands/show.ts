// `show PLAN`: a saved plan printed again, e.g. as the markdown comment of the pull request that made it.
// The file is whatever is on disk by then, so it goes through the same strict check as `apply PLAN`
// before any of it is printed. Offline: no AWS call, no manifest, no key.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { parseSavedPlan } from "../../apply/saved-plan.js";
import { SopsyncError } from "../../errors.js";
import type { Plan } from "../../plan/model.js";
import { type Format, render } from "../../plan/render.js";
import { EXIT_OK } from "../exit.js";
import { useColor } from "../io.js";
import { formatOption } from "./plan.js";

const READ_FAILURE: Record<string, string> = { ENOENT: "no such file", EISDIR: "a directory", EACCES: "permission denied" };

async function readPlanFile(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new SopsyncError("PLAN_INVALID", `${file}: not a readable plan file (${READ_FAILURE[code] ?? code})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // The usual slip is a manifest in the plan's place.
    throw new SopsyncError(
      "PLAN_INVALID",
      `${file}: not a readable plan file (not valid JSON); show prints a plan saved by 'sopsync plan --out FILE'`,
    );
  }
  return parseSavedPlan(data, file);
}

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("show")
    .description("print a plan saved by 'plan --out' as text, markdown or json, without calling AWS")
    .argument("<plan>", "the saved plan file")
    .addOption(formatOption())
    .action(async (file: string, o: { format: Format }) => {
      const plan = await readPlanFile(file);
      process.stdout.write(render(plan, o.format, { color: useColor(process.stdout) }));
      setExit(EXIT_OK);
    });
}
