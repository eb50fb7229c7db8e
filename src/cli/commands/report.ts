import { type Command, Option } from "commander";
import { renderFleetJson, renderFleetMarkdown, renderFleetText } from "../../plan/render-fleet.js";
import { FORMATS, type Format, render } from "../../plan/render.js";
import { readFleet, readMatrix } from "../../run/fleet.js";
import { EXIT_OK } from "../exit.js";
import { useColor } from "../io.js";
import { positiveInt } from "../options.js";

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command("report")
    .description("aggregate saved plans of many targets (one per CI job) into one review")
    .argument("[plans...]", "plan files saved with 'sopsync plan --out'")
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--targets <file>", "the matrix from 'sopsync targets --json': a target without a plan is shown as an error")
    .option("--max-chars <n>", "markdown: the most characters the comment may take", positiveInt, 65_536)
    .option("--run-url <url>", "markdown: link to the run whose job summary holds the full plans")
    .action(async (files: string[], o) => {
      const fleet = await readFleet(files, o.targets ? await readMatrix(o.targets) : undefined);
      const format = o.format as Format;
      const [only] = fleet.targets;
      let out: string;
      if (fleet.targets.length === 1 && fleet.errors.length === 0 && only) {
        // One target: exactly the comment and output `plan` gives for it.
        out = render({ ...only.plan, targets: [only.target] }, format, { color: useColor(process.stdout) });
      } else if (format === "markdown") out = renderFleetMarkdown(fleet, { limit: o.maxChars, runUrl: o.runUrl });
      else if (format === "json") out = renderFleetJson(fleet);
      else out = renderFleetText(fleet, { color: useColor(process.stdout) });
      process.stdout.write(out);
      setExit(EXIT_OK);
    });
}
